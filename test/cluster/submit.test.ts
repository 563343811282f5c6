// Submitting manifests (src/k8s/apply.ts, src/core/fit.ts, src/server/applyCauses.ts) against the real apiserver
// of the shared test cluster: server-side apply by `gantry`, dry-run rejections on the right line, dependency
// order, the fit outcomes, generateName, field conflicts, immutable fields and the failure-in-the-middle report.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sharedCluster, type TestCluster } from './harness/index';
import { waitFor } from './helpers';
import { checkFit } from '../../src/core/fit';
import { type KindRef, type KubeObject } from '../../src/core/kube';
import { splitManifests } from '../../src/core/manifests';
import {
  applyObject,
  deleteAndWait,
  reportText,
  submitObjects,
  type SubmitOptions,
  type SubmitReport,
} from '../../src/k8s/apply';
import { ClusterConnection } from '../../src/k8s/connection';
import type { DiscoveredKinds } from '../../src/k8s/discovery';
import { loadKubeconfig, type MergedKubeconfig } from '../../src/k8s/kubeconfig';
import { dryRunDiagnosticsFor } from '../../src/server/applyCauses';

let cluster: TestCluster;
let cfg: MergedKubeconfig;
let conn: ClusterConnection;
let kinds: DiscoveredKinds;
let ns: string;
const extraNamespaces: string[] = [];
const open: ClusterConnection[] = [];

const JOB: KindRef = { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true };

function connect(config: MergedKubeconfig): ClusterConnection {
  const r = ClusterConnection.create(config, config.currentContext!);
  assert.ok(r.ok, !r.ok ? r.error.message : '');
  open.push(r.value);
  return r.value;
}

before(async () => {
  cluster = await sharedCluster();
  const loaded = loadKubeconfig({ explicitPath: cluster.kubeconfigPath });
  assert.equal(loaded.kind, 'ok');
  cfg = loaded as MergedKubeconfig;
  conn = connect(cfg);
  const d = await conn.discover();
  assert.ok(d.ok, !d.ok ? d.error.message : '');
  kinds = d.value;
  ns = await cluster.createNamespace('submit');
});

after(async () => {
  for (const n of [ns, ...extraNamespaces])
    if (n) await cluster.kubectl(['delete', 'namespace', n, '--wait=false', '--ignore-not-found']);
  for (const c of open.splice(0)) c.dispose();
});

function submit(text: string, o: Partial<SubmitOptions> = {}, c = conn): Promise<SubmitReport> {
  const { objects, problems } = splitManifests(text);
  assert.deepEqual(problems, []);
  return submitObjects(c.transport, kinds, objects, { namespaces: { chosen: ns }, ...o });
}

async function get(
  path: string,
): Promise<KubeObject & { metadata: { managedFields?: Record<string, unknown>[] } }> {
  const r = await conn.transport.get<KubeObject>(path);
  assert.ok(r.ok, !r.ok ? r.error.message : '');
  return r.value as KubeObject & { metadata: { managedFields?: Record<string, unknown>[] } };
}

async function exists(path: string): Promise<boolean> {
  const r = await conn.transport.get(path);
  if (r.ok) return true;
  assert.equal(r.error.kind, 'notFound', r.error.message);
  return false;
}

const job = (name: string, extra = '', image = 'busybox:1.36') => `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
spec:
  suspend: true
${extra}  template:
    spec:
      restartPolicy: Never
      containers:
        - name: main
          image: ${image}
`;

test('objects are applied by the field manager gantry (Apply), into the chosen namespace', async () => {
  const r = await submit(job('train'));
  assert.equal(r.failed, undefined, reportText(r));
  assert.deepEqual(
    r.applied.map((a) => a.label),
    [`Job ${ns}/train`],
  );
  const o = await get(`/apis/batch/v1/namespaces/${ns}/jobs/train`);
  const managers = (o.metadata.managedFields ?? []).map((m) => `${m.manager}/${m.operation}`);
  assert.ok(managers.includes('gantry/Apply'), managers.join(', '));
});

test('a dry run changes nothing', async () => {
  const r = await submit(job('dry-only'), { dryRun: true });
  assert.equal(r.failed, undefined, reportText(r));
  assert.equal(r.applied[0]?.result.metadata.name, 'dry-only');
  assert.equal(await exists(`/apis/batch/v1/namespaces/${ns}/jobs/dry-only`), false);
});

describe('dry-run rejections become diagnostics on the right line', () => {
  test('a value the apiserver rejects (422 with causes)', async () => {
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-a\n---\n${job('bad', '  parallelism: -1\n')}`;
    const r = await submit(text, { dryRun: true });
    assert.equal(r.failed?.error.kind, 'invalid', reportText(r));
    const causes = r.failed!.error.kind === 'invalid' ? r.failed!.error.causes : [];
    assert.deepEqual(
      causes.map((c) => [c.docIndex, c.fieldPath]),
      [[1, 'spec.parallelism']],
    );
    const ds = dryRunDiagnosticsFor(text, causes);
    const line = text.split('\n').indexOf('  parallelism: -1');
    assert.deepEqual(
      ds.map((d) => [d.range.start.line, d.range.start.character]),
      [[line, 2]],
    );
    assert.match(String(ds[0].message), /^spec\.parallelism: .*greater than or equal to 0/);
  });

  test('an unknown field (server-side apply: not declared in the schema)', async () => {
    const text = job('typo', '  paralelism: 2\n');
    const r = await submit(text, { dryRun: true });
    assert.equal(r.failed?.error.kind, 'invalid', reportText(r));
    const causes = r.failed!.error.kind === 'invalid' ? r.failed!.error.causes : [];
    const ds = dryRunDiagnosticsFor(text, causes);
    assert.deepEqual(
      ds.map((d) => d.range.start.line),
      [text.split('\n').indexOf('  paralelism: 2')],
    );
  });
});

test('dependency order: a Namespace, a ConfigMap and a Job in one file, listed backwards', async () => {
  const fresh = `submit-order-${randomBytes(3).toString('hex')}`;
  extraNamespaces.push(fresh);
  const text = `${job('ordered').replace('metadata:\n', `metadata:\n  namespace: ${fresh}\n`)}---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: ${fresh}
data:
  lr: "0.001"
---
apiVersion: v1
kind: Namespace
metadata:
  name: ${fresh}
`;
  // The dry run cannot look into a namespace that does not exist yet: those objects are checked when applied.
  const dry = await submit(text, { dryRun: true });
  assert.equal(dry.failed, undefined, reportText(dry));
  assert.deepEqual(
    dry.applied.map((a) => a.label),
    [`Namespace ${fresh}`],
  );
  assert.deepEqual(
    dry.deferred.map((d) => d.docIndex),
    [1, 0],
  );
  const r = await submit(text);
  assert.equal(r.failed, undefined, reportText(r));
  assert.deepEqual(
    r.applied.map((a) => a.label),
    [`Namespace ${fresh}`, `ConfigMap ${fresh}/settings`, `Job ${fresh}/ordered`],
  );
  assert.ok(await exists(`/apis/batch/v1/namespaces/${fresh}/jobs/ordered`));
});

test('generateName documents are created, a new object each time', async () => {
  const text = job('x').replace('  name: x\n', '  generateName: sweep-\n');
  const a = await submit(text);
  const b = await submit(text);
  for (const r of [a, b]) assert.equal(r.failed, undefined, reportText(r));
  const names = [a.applied[0].name, b.applied[0].name];
  assert.ok(
    names.every((n) => /^sweep-[a-z0-9]{5}$/.test(n)),
    names.join(', '),
  );
  assert.notEqual(names[0], names[1]);
  for (const n of names) assert.ok(await exists(`/apis/batch/v1/namespaces/${ns}/jobs/${n}`));
});

test('a field owned by another manager: the conflict names it; Force takes it over', async () => {
  const cm = (v: string) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n  namespace: ${ns}\ndata:\n  lr: "${v}"\n`;
  const k = await cluster.kubectl(['apply', '--server-side', '--field-manager=team-tool', '-f', '-'], {
    input: cm('0.1'),
  });
  assert.equal(k.code, 0, k.stderr);
  const r = await submit(cm('0.2'));
  assert.equal(r.failed?.error.kind, 'conflict', reportText(r));
  assert.deepEqual(r.failed!.error.kind === 'conflict' && r.failed!.error.conflicts, [
    { fieldPath: 'data.lr', manager: 'team-tool' },
  ]);
  const forced = await submit(cm('0.2'), { force: true });
  assert.equal(forced.failed, undefined, reportText(forced));
  const o = await get(`/api/v1/namespaces/${ns}/configmaps/shared`);
  assert.equal((o as unknown as { data: Record<string, string> }).data.lr, '0.2');
  const gantry = o.metadata.managedFields?.find((m) => m.manager === 'gantry');
  assert.ok(JSON.stringify(gantry?.fieldsV1).includes('f:lr'), 'gantry owns data.lr');
});

test('an immutable field: detected, then delete and resubmit replaces the object', async () => {
  assert.equal((await submit(job('frozen'))).failed, undefined);
  const changed = job('frozen', '', 'busybox:1.37');
  const r = await submit(changed);
  assert.equal(r.failed?.error.kind, 'immutable', reportText(r));
  assert.match(r.failed!.error.message, /spec\.template.*Delete and resubmit/);
  const del = await deleteAndWait(conn.transport, JOB, ns, 'frozen', { timeoutMs: 60_000 });
  assert.ok(del.ok, !del.ok ? del.error.message : '');
  const again = await submit(changed);
  assert.equal(again.failed, undefined, reportText(again));
  const o = await get(`/apis/batch/v1/namespaces/${ns}/jobs/frozen`);
  assert.equal(o.spec.template.spec.containers[0].image, 'busybox:1.37');
});

test('a failure in the middle: what was applied and what was not', async () => {
  const text = `${job('after-failure')}---
apiVersion: v1
kind: Service
metadata:
  name: broken
spec:
  ports:
    - port: 99999
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: before-failure
`;
  const r = await submit(text);
  assert.deepEqual(
    r.applied.map((a) => a.label),
    [`ConfigMap ${ns}/before-failure`],
  );
  assert.equal(r.failed?.label, `Service ${ns}/broken`);
  assert.deepEqual(r.notApplied, [{ docIndex: 0, label: 'Job after-failure' }]);
  assert.match(
    reportText(r),
    /^Applied: ConfigMap .*\/before-failure\. Failed: .*Not applied: Job after-failure\.$/,
  );
  assert.ok(await exists(`/api/v1/namespaces/${ns}/configmaps/before-failure`));
  assert.equal(await exists(`/apis/batch/v1/namespaces/${ns}/jobs/after-failure`), false);
});

test('an unknown kind names the missing CRD; a forbidden apply names the verb and resource', async () => {
  const r = await submit('apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n');
  assert.equal(
    r.failed?.error.message,
    'The cluster has no Widget in example.com: the CustomResourceDefinition widgets.example.com is not installed.',
  );
  // The same kubeconfig, impersonating the namespace's default ServiceAccount (no RBAC rights).
  const users = new Map(cfg.users);
  const ctx = cfg.contexts.find((c) => c.name === cfg.currentContext)!;
  users.set(ctx.user, { ...users.get(ctx.user), as: `system:serviceaccount:${ns}:default` });
  const weak = connect({ ...cfg, users });
  const f = await submit(job('nope'), {}, weak);
  assert.equal(f.failed?.error.kind, 'forbidden', reportText(f));
  assert.equal(
    f.failed?.error.message,
    `You may not patch jobs.batch in namespace ${ns} (RBAC forbids it): ask for the "patch" verb on jobs.batch.`,
  );
});

describe('fit check against the live node pool', () => {
  async function pool(): Promise<{ nodes: KubeObject[]; pods: KubeObject[] }> {
    const n = await conn.transport.get<{ items: KubeObject[] }>('/api/v1/nodes');
    const p = await conn.transport.get<{ items: KubeObject[] }>('/api/v1/pods');
    assert.ok(n.ok && p.ok);
    return { nodes: n.value.items, pods: p.value.items };
  }
  const pytorch = (name: string, workers: number, limits: Record<string, number>, selector?: string) =>
    ({
      apiVersion: 'kubeflow.org/v1',
      kind: 'PyTorchJob',
      metadata: { name, namespace: ns },
      spec: {
        pytorchReplicaSpecs: {
          Worker: {
            replicas: workers,
            template: {
              spec: {
                tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
                ...(selector ? { nodeSelector: { 'nvidia.com/gpu.product': selector } } : {}),
                containers: [{ name: 'pytorch', image: 'trainer:1', resources: { limits } }],
              },
            },
          },
        },
      },
    }) as KubeObject;

  test('never: more GPUs per pod than the largest node has', async () => {
    assert.deepEqual(checkFit(pytorch('big', 2, { 'nvidia.com/gpu': 16 }), await pool()), {
      fit: 'never',
      role: 'worker',
      reason: 'a worker asks for 16 nvidia.com/gpu; the largest NVIDIA H100 80GB HBM3 node has 8',
    });
  });

  test('wait: each pod fits a node, all of them at once cannot (3 x 8 on two 8-GPU H100 nodes)', async () => {
    const r = checkFit(pytorch('many', 3, { 'nvidia.com/gpu': 8 }, 'NVIDIA-H100-80GB-HBM3'), await pool());
    assert.equal(r.fit, 'wait');
    assert.match(
      (r as { reason: string }).reason,
      /^it needs 24 nvidia\.com\/gpu at once \(3 workers x 8\); \d+ (is|are) free now/,
    );
  });

  test('now: and the real scheduler agrees (the submitted pod is scheduled)', async () => {
    const slice = { 'nvidia.com/mig-1g.5gb': 1 };
    assert.deepEqual(checkFit(pytorch('small', 1, slice), await pool()), { fit: 'now' });
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'fits-now', namespace: ns },
      spec: pytorch('small', 1, slice).spec.pytorchReplicaSpecs.Worker.template.spec,
    } as KubeObject;
    const r = await applyObject(
      conn.transport,
      { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
      { docIndex: 0, object: pod },
      ns,
    );
    assert.ok(r.ok, !r.ok ? r.error.message : '');
    const bound = await waitFor('the pod to be scheduled', async () => {
      const p = await get(`/api/v1/namespaces/${ns}/pods/fits-now`);
      return p.spec?.nodeName as string | undefined;
    });
    assert.equal(bound, 'a100-mig-node-0');
    await cluster.kubectl(['delete', 'pod', '-n', ns, 'fits-now', '--wait=false']);
  });
});
