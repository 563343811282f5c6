import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { crdGroups, listCrdFiles } from './harness/cluster';
import { sharedCluster, type TestCluster } from './harness/index';
import type { Rest } from './harness/rest';
import { type Json, rest, waitFor } from './helpers';

describe('the real apiserver: OpenAPI v3, server-side apply, RBAC, restart', () => {
  let cluster: TestCluster;
  let api: Rest;

  before(async () => {
    cluster = await sharedCluster();
    api = await rest(cluster);
  });
  after(async () => {
    api.close();
    await cluster.stop();
  });

  it('/openapi/v3 lists every ML CRD group with a schema document', async () => {
    const groups = await crdGroups(listCrdFiles());
    for (const g of [
      'kubeflow.org',
      'trainer.kubeflow.org',
      'ray.io',
      'kueue.x-k8s.io',
      'jobset.x-k8s.io',
      'leaderworkerset.x-k8s.io',
      'serving.kserve.io',
      'argoproj.io',
      'batch.volcano.sh',
      'scheduling.volcano.sh',
      'pipelines.kubeflow.org',
    ]) {
      assert.ok(groups.includes(g), `${g} among the installed CRD groups`);
    }
    const doc = await api.get<{ paths: Record<string, { serverRelativeURL: string }> }>('/openapi/v3');
    const paths = Object.keys(doc.paths);
    for (const g of groups)
      assert.ok(
        paths.some((p) => p.startsWith(`apis/${g}/`)),
        `openapi/v3 has apis/${g}/...`,
      );
    const pt = await api.get<Json>(doc.paths['apis/kubeflow.org/v1'].serverRelativeURL);
    assert.ok(pt.components.schemas['org.kubeflow.v1.PyTorchJob'], 'PyTorchJob schema served');
    const rj = await api.get<Json>(doc.paths['apis/ray.io/v1'].serverRelativeURL);
    assert.ok(rj.components.schemas['io.ray.v1.RayJob'], 'RayJob schema served');
  });

  it('applies a large CRD object server-side and tracks its field manager', async () => {
    const ns = await cluster.createNamespace('ssa');
    const wf = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { name: 'diamond', namespace: ns },
      spec: {
        entrypoint: 'main',
        templates: [{ name: 'main', container: { image: 'alpine', command: ['echo', 'hi'] } }],
      },
    };
    const r = await cluster.kubectl(['apply', '--server-side', '--field-manager=gantry', '-f', '-'], {
      input: JSON.stringify(wf),
    });
    assert.equal(r.code, 0, r.stderr);
    const got = await api.get<Json>(`/apis/argoproj.io/v1alpha1/namespaces/${ns}/workflows/diamond`);
    assert.ok(
      got.metadata.managedFields.some((m: Json) => m.manager === 'gantry' && m.operation === 'Apply'),
    );
    await api.delete(`/api/v1/namespaces/${ns}`);
  });

  it('enforces RBAC for a service account without permissions', async () => {
    const ns = await cluster.createNamespace('rbac');
    const review = await api.post<Json>('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: `system:serviceaccount:${ns}:default`,
        resourceAttributes: { namespace: ns, verb: 'list', resource: 'pods' },
      },
    });
    assert.equal(review.status.allowed, false);
    await api.delete(`/api/v1/namespaces/${ns}`);
  });

  it('stops and restarts kube-apiserver on the same address', async () => {
    await cluster.stopApiserver();
    await assert.rejects(api.get('/version'));
    await cluster.startApiserver();
    const v = await waitFor('apiserver back', () => api.get<{ gitVersion: string }>('/version'), 30_000);
    assert.equal(v.gitVersion, cluster.version);
    // Controllers reconnect: a new namespace still gets its default ServiceAccount.
    const ns = await cluster.createNamespace('after-restart');
    await api.delete(`/api/v1/namespaces/${ns}`);
  });
});
