// trackPods against the real apiserver and the real training-operator: a PyTorchJob's pods
// appear as master-0 / worker-N, a pod created later joins, a deleted pod leaves (and its re-created successor
// joins), and deleting the job ends the tracker.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ClusterConnection } from '../../src/k8s/connection';
import { loadKubeconfig, type MergedKubeconfig } from '../../src/k8s/kubeconfig';
import { trackPods, type TrackedPod, type WorkloadPods } from '../../src/k8s/workloadPods';
import { sharedCluster, type TestCluster } from './harness/index';
import { h100Replica, waitFor } from './helpers';

let cluster: TestCluster;
let conn: ClusterConnection;
let ns: string;
let tracker: WorkloadPods | undefined;

const labels = (pods: readonly TrackedPod[]) => pods.map((p) => p.label);

before(async () => {
  cluster = await sharedCluster();
  const loaded = loadKubeconfig({ explicitPath: cluster.kubeconfigPath });
  assert.equal(loaded.kind, 'ok');
  const cfg = loaded as MergedKubeconfig;
  ns = await cluster.createNamespace('wpods');
  const c = ClusterConnection.create(cfg, cfg.currentContext!);
  assert.ok(c.ok);
  conn = c.value;
});

after(async () => {
  tracker?.dispose();
  conn?.dispose();
  await cluster?.kubectl(['delete', 'namespace', ns, '--wait=false']);
});

test('the pods of a PyTorchJob, now and later, until it is deleted', async () => {
  const job = {
    apiVersion: 'kubeflow.org/v1',
    kind: 'PyTorchJob',
    metadata: { name: 'llama', namespace: ns },
    // no GPUs: the node pool is shared with the other tests
    spec: {
      pytorchReplicaSpecs: {
        Master: h100Replica(1, 0, { 'sim.gantry.dev/duration': '600s' }),
        Worker: h100Replica(2, 0, { 'sim.gantry.dev/duration': '600s' }),
      },
    },
  };
  const r = await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(job) });
  assert.equal(r.code, 0, r.stderr);

  const w = (tracker = trackPods(conn, {
    type: 'workload',
    group: 'kubeflow.org',
    kind: 'PyTorchJob',
    namespace: ns,
    name: 'llama',
  }));
  const ready = await w.ready();
  assert.ok(ready.ok, JSON.stringify(ready));
  assert.equal(w.workload()?.metadata.name, 'llama');
  const history: { uid: string; label: string }[][] = [];
  w.onDidChange((pods) => history.push(pods.map((p) => ({ uid: p.pod.metadata.uid!, label: p.label }))));
  let ended: string | undefined;
  w.onDidEnd((why) => (ended = why));

  await waitFor(
    'master-0, worker-0, worker-1 in order',
    async () => labels(w.current()).join() === 'master-0,worker-0,worker-1',
    60_000,
  );
  assert.deepEqual(
    w.current().map((p) => [p.role, p.rank]),
    [
      ['master', [0]],
      ['worker', [0]],
      ['worker', [1]],
    ],
  );

  // a pod created later (the job scaled up) joins
  const scale = await cluster.kubectl([
    'patch',
    'pytorchjob',
    '-n',
    ns,
    'llama',
    '--type=merge',
    '-p',
    JSON.stringify({ spec: { pytorchReplicaSpecs: { Worker: { replicas: 3 } } } }),
  ]);
  assert.equal(scale.code, 0, scale.stderr);
  await waitFor(
    'worker-2 to join',
    async () => labels(w.current()).join() === 'master-0,worker-0,worker-1,worker-2',
    60_000,
  );

  // a deleted pod leaves; the operator's replacement (a new uid under the same name) joins
  const old = w.current().find((p) => p.label === 'worker-1')!.pod.metadata.uid!;
  const del = await cluster.kubectl(['delete', 'pod', '-n', ns, 'llama-worker-1', '--wait=false']);
  assert.equal(del.code, 0, del.stderr);
  await waitFor(
    'worker-1 replaced',
    async () => {
      const p = w.current().find((x) => x.label === 'worker-1');
      return !!p && p.pod.metadata.uid !== old;
    },
    60_000,
  );
  assert.ok(!w.current().some((p) => p.pod.metadata.uid === old), 'the deleted pod left');
  assert.equal(ended, undefined);
  assert.ok(
    history.some((h) => h.some((p) => p.label === 'worker-2')),
    'onDidChange reported the join',
  );

  // deleting the workload ends the tracker
  const gone = await cluster.kubectl(['delete', 'pytorchjob', '-n', ns, 'llama', '--wait=false']);
  assert.equal(gone.code, 0, gone.stderr);
  await waitFor('the end', async () => ended === 'deleted', 60_000);
  assert.equal(w.workload(), undefined);
  assert.deepEqual(w.current(), []);
});

test('a pod target that does not exist fails as a value', async () => {
  const w = trackPods(conn, { type: 'pod', namespace: ns, name: 'nope' });
  assert.deepEqual(await w.ready(), {
    ok: false,
    error: { kind: 'notFound', message: `Pod ${ns}/nope was not found.` },
  });
  w.dispose();
});
