import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sharedCluster, type TestCluster } from './harness/index';
import type { Rest } from './harness/rest';
import { type Json, rest, waitFor } from './helpers';
import { SIM_RAYJOB_MANAGED_BY } from './simulator/ray';

// The workload simulator's kinds that cannot run on a real operator here (test/cluster/simulator/README.md):
// a RayJob whose outcome needs a Ray dashboard (its RayCluster is the real KubeRay's), Notebook and
// InferenceService. The kinds real operators serve are tested against them under test/cluster/operators/.
describe('workload simulator (what no operator can play here)', () => {
  let cluster: TestCluster;
  let api: Rest;
  let ns: string;

  const pods = async (selector: string): Promise<Json[]> =>
    (
      await api.get<{ items: Json[] }>(
        `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`,
      )
    ).items;
  const get = (path: string): Promise<Json> => api.get(path);
  const cond = (o: Json, type: string): Json =>
    (o.status?.conditions ?? []).find((c: Json) => c.type === type && c.status === 'True');

  before(async () => {
    cluster = await sharedCluster();
    api = await rest(cluster);
    ns = await cluster.createNamespace('sim');
  });
  after(async () => {
    await api.delete(`/api/v1/namespaces/${ns}`);
    api.close();
    await cluster.stop();
  });

  it('RayJob: creates its RayCluster and submitter Job, then SUCCEEDED / Complete', async () => {
    await api.post(`/apis/ray.io/v1/namespaces/${ns}/rayjobs`, {
      apiVersion: 'ray.io/v1',
      kind: 'RayJob',
      metadata: { name: 'rayjob', annotations: { 'sim.gantry.dev/duration': '2s' } },
      spec: {
        // Handed to the simulator: the real KubeRay leaves it alone and plays only its RayCluster.
        managedBy: SIM_RAYJOB_MANAGED_BY,
        entrypoint: 'python /home/ray/samples/sample_code.py',
        rayClusterSpec: {
          headGroupSpec: {
            rayStartParams: {},
            template: { spec: { containers: [{ name: 'ray-head', image: 'rayproject/ray:2.52.0' }] } },
          },
          workerGroupSpecs: [
            {
              groupName: 'small',
              replicas: 1,
              rayStartParams: {},
              template: { spec: { containers: [{ name: 'ray-worker', image: 'rayproject/ray:2.52.0' }] } },
            },
          ],
        },
      },
    });
    const done = await waitFor(
      'Complete',
      async () => {
        const x = await get(`/apis/ray.io/v1/namespaces/${ns}/rayjobs/rayjob`);
        return x.status?.jobDeploymentStatus === 'Complete' ? x : undefined;
      },
      45_000,
    );
    assert.equal(done.status.jobStatus, 'SUCCEEDED');
    assert.match(done.status.rayClusterName, /^rayjob-[a-z0-9]{5}$/);
    assert.match(done.status.jobId, /^rayjob-[a-z0-9]{5}$/);
    const rc = await get(`/apis/ray.io/v1/namespaces/${ns}/rayclusters/${done.status.rayClusterName}`);
    assert.equal(rc.metadata.labels['ray.io/originated-from-crd'], 'RayJob');
    assert.equal(rc.metadata.labels['ray.io/originated-from-cr-name'], 'rayjob');
    const submitter = await get(`/apis/batch/v1/namespaces/${ns}/jobs/rayjob`);
    assert.equal(submitter.metadata.ownerReferences[0].kind, 'RayJob');
    // KubeRay v1.7 getSubmitterTemplate: the submitter pods carry the origin labels too.
    const origin = {
      'ray.io/originated-from-cr-name': 'rayjob',
      'ray.io/originated-from-crd': 'RayJob',
      'app.kubernetes.io/created-by': 'kuberay-operator',
    };
    const pick = (labels: Record<string, string>) =>
      Object.fromEntries(Object.keys(origin).map((k) => [k, labels?.[k]]));
    assert.deepEqual(pick(submitter.spec.template.metadata.labels), origin);
    const submitterPods = await pods('batch.kubernetes.io/job-name=rayjob');
    assert.ok(submitterPods.length >= 1, 'a submitter pod');
    for (const p of submitterPods) assert.deepEqual(pick(p.metadata.labels), origin);
  });

  it('Notebook: StatefulSet, Service and a Running pod; status mirrors the pod', async () => {
    await api.post(`/apis/kubeflow.org/v1/namespaces/${ns}/notebooks`, {
      apiVersion: 'kubeflow.org/v1',
      kind: 'Notebook',
      metadata: { name: 'jupyter' },
      spec: {
        template: {
          spec: { containers: [{ name: 'jupyter', image: 'kubeflownotebookswg/jupyter-scipy:v1.9.0' }] },
        },
      },
    });
    const nb = await waitFor(
      'readyReplicas 1',
      async () => {
        const x = await get(`/apis/kubeflow.org/v1/namespaces/${ns}/notebooks/jupyter`);
        return x.status?.readyReplicas === 1 ? x : undefined;
      },
      30_000,
    );
    assert.ok(nb.status.containerState.running);
    assert.ok(nb.status.conditions.some((c: Json) => c.type === 'Ready' && c.status === 'True'));
    const pod = await get(`/api/v1/namespaces/${ns}/pods/jupyter-0`);
    assert.equal(pod.metadata.labels['notebook-name'], 'jupyter');
    assert.equal(pod.metadata.labels.statefulset, 'jupyter');
    const svc = await get(`/api/v1/namespaces/${ns}/services/jupyter`);
    assert.deepEqual(
      svc.spec.ports.map((p: Json) => [p.name, p.port, p.targetPort]),
      [['http-jupyter', 80, 8888]],
    );
    const sts = await get(`/apis/apps/v1/namespaces/${ns}/statefulsets/jupyter`);
    assert.equal(sts.metadata.ownerReferences[0].kind, 'Notebook');
  });

  it('InferenceService: predictor Deployment and Service (Standard mode), Ready', async () => {
    await api.post(`/apis/serving.kserve.io/v1beta1/namespaces/${ns}/inferenceservices`, {
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 'sklearn-iris' },
      spec: {
        predictor: {
          model: {
            modelFormat: { name: 'sklearn' },
            storageUri: 'gs://kfserving-examples/models/sklearn/1.0/model',
          },
        },
      },
    });
    const isvc = await waitFor(
      'Ready',
      async () => {
        const x = await get(
          `/apis/serving.kserve.io/v1beta1/namespaces/${ns}/inferenceservices/sklearn-iris`,
        );
        return cond(x, 'Ready') ? x : undefined;
      },
      30_000,
    );
    assert.ok(cond(isvc, 'PredictorReady'));
    assert.equal(isvc.status.modelStatus.states.activeModelState, 'Loaded');
    const ps = await pods('serving.kserve.io/inferenceservice=sklearn-iris');
    assert.equal(ps.length, 1);
    assert.equal(ps[0].metadata.labels.component, 'predictor');
    assert.equal(ps[0].metadata.labels.app, 'isvc.sklearn-iris-predictor');
    const dep = await get(`/apis/apps/v1/namespaces/${ns}/deployments/sklearn-iris-predictor`);
    assert.equal(dep.metadata.ownerReferences[0].kind, 'InferenceService');
  });
});
