// The model the sidebar renders (session/ClusterModel) against the real apiserver: a PyTorchJob's tree (pods
// and status written by the real training-operator) with roles and ranks, its status moving, GPU figures of the
// fixture pool, grouping, and the state the views show when the apiserver goes away and comes back.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ClusterConnection } from '../../src/k8s/connection';
import { loadKubeconfig, type MergedKubeconfig } from '../../src/k8s/kubeconfig';
import { ClusterModelSource } from '../../src/k8s/modelSource';
import { ROOT, workloadId, type PodNode, type WorkloadNode } from '../../src/core/tree';
import { ClusterModel } from '../../src/model/clusterModel';
import { sharedCluster, type TestCluster } from './harness/index';
import { h100Replica, waitFor } from './helpers';

let cluster: TestCluster;
let cfg: MergedKubeconfig;
let ns: string;
let model: ClusterModel;

const replica = h100Replica;
const long = { 'sim.gantry.dev/duration': '600s' };

before(async () => {
  cluster = await sharedCluster();
  const loaded = loadKubeconfig({ explicitPath: cluster.kubeconfigPath });
  assert.equal(loaded.kind, 'ok');
  cfg = loaded as MergedKubeconfig;
  ns = await cluster.createNamespace('model');
  const conn = ClusterConnection.create(cfg, cfg.currentContext!);
  assert.ok(conn.ok);
  model = new ClusterModel(new ClusterModelSource(conn.value, { scope: { kind: 'some', namespaces: [ns] } }));
  const state = await model.start();
  assert.equal(state.state, 'connected');
});

after(async () => {
  model?.dispose();
  await cluster?.kubectl(['delete', 'namespace', ns, '--wait=false']);
});

test('a PyTorchJob appears with master and worker pods by rank, its status moving to Running', async () => {
  const changed: string[] = [];
  const sub = model.onDidChangeWorkloads((ids) => changed.push(...ids));
  const job = {
    apiVersion: 'kubeflow.org/v1',
    kind: 'PyTorchJob',
    metadata: { name: 'llama-ft', namespace: ns },
    spec: { pytorchReplicaSpecs: { Master: replica(1, 2, long), Worker: replica(2, 2, long) } },
  };
  const r = await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(job) });
  assert.equal(r.code, 0, r.stderr);

  const node = await waitFor(
    'the job Running with 3/3 ready',
    async () => {
      const w = model.workloads!.children(ROOT).flatMap((g) => model.workloads!.children(g.id));
      const n = w.find((x) => x.label === 'llama-ft') as WorkloadNode | undefined;
      return n && n.summary.phase === 'Running' && n.summary.ready === 3 ? n : undefined;
    },
    60_000,
  );
  assert.equal(node.parent, 'g:kind:PyTorchJob.kubeflow.org');
  assert.deepEqual(node.summary.gpus, [
    { resource: 'nvidia.com/gpu', count: 6, model: 'NVIDIA H100 80GB HBM3' },
  ]);
  assert.ok(changed.includes(node.id) || changed.includes(ROOT), 'the workload node was refreshed');

  const roles = model.workloads!.children(node.id);
  assert.deepEqual(
    roles.map((x) => x.label),
    ['master', 'worker'],
  );
  const workers = model.workloads!.children(roles[1]!.id) as PodNode[];
  assert.deepEqual(
    workers.map((p) => p.summary.label),
    ['worker-0', 'worker-1'],
  );
  for (const p of workers) {
    assert.equal(p.summary.phase, 'Running');
    assert.match(p.summary.node ?? '', /h100/);
  }
  sub.dispose();
});

test('the GPUs tree holds the job pods on H100 nodes and the pool totals add up', async () => {
  const gpus = model.gpus!;
  const pools = gpus.pools();
  const h100 = pools.find((p) => p.resource === 'nvidia.com/gpu' && /H100/.test(p.model));
  assert.ok(h100, `no H100 pool in ${JSON.stringify(pools.map((p) => p.model))}`);
  assert.equal(h100.total, 16); // 2 nodes x 8
  assert.ok(h100.allocated >= 6, `allocated ${h100.allocated}`);
  assert.equal(h100.free, h100.total - h100.allocated);
  const holders = gpus
    .children(ROOT)
    .filter((m) => /H100/.test(m.label))
    .flatMap((m) => gpus.children(m.id))
    .flatMap((n) => gpus.children(n.id))
    .filter((p) => p.label.startsWith(`${ns}/llama-ft-`));
  assert.equal(holders.length, 3);
});

test('GPUs held by pods of namespaces outside the chosen ones still count as allocated', async () => {
  const other = await cluster.createNamespace('model-other');
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'holder', namespace: other, annotations: { 'sim.gantry.dev/duration': '600s' } },
    spec: {
      nodeName: 'mi300x-node-0',
      tolerations: [{ operator: 'Exists' }],
      containers: [{ name: 'main', image: 'rocm:6.2', resources: { limits: { 'amd.com/gpu': 3 } } }],
    },
  };
  try {
    const r = await cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify(pod) });
    assert.equal(r.code, 0, r.stderr);
    const node = await waitFor('the MI300X node with 3 GPUs allocated', async () => {
      const n = model.gpus!.gpuNode('mi300x-node-0');
      const amd = n?.resources.find((x) => x.resource === 'amd.com/gpu');
      return amd && amd.allocated === 3 ? amd : undefined;
    });
    assert.equal(node.free, node.allocatable - 3);
    // The workload tree still shows only the chosen namespace.
    assert.deepEqual(
      model
        .workloads!.children(ROOT)
        .flatMap((g) => model.workloads!.children(g.id))
        .map((w) => w.label),
      ['llama-ft'],
    );
  } finally {
    await cluster.kubectl(['delete', 'namespace', other, '--wait=false']);
  }
});

test('grouping by namespace rebuilds the tree under the namespace', async () => {
  model.setGrouping('namespace');
  const groups = model.workloads!.children(ROOT);
  assert.deepEqual(
    groups.map((g) => g.label),
    [ns],
  );
  assert.ok(model.workloads!.children(groups[0]!.id).some((w) => w.label === 'llama-ft'));
  model.setGrouping('kind');
});

test('the apiserver going away is reported, and the model recovers with the right contents', async () => {
  const states: string[] = [];
  const sub = model.onDidChangeState((s) => states.push(s.state));
  await cluster.stopApiserver();
  try {
    await waitFor('reconnecting', async () => model.state.state === 'reconnecting', 30_000);
  } finally {
    await cluster.startApiserver();
  }
  // Deleted while the watch was reconnecting: gone afterwards, no ghost.
  const del = await cluster.kubectl(['delete', 'pytorchjob', '-n', ns, 'llama-ft', '--wait=false']);
  assert.equal(del.code, 0, del.stderr);
  await waitFor('connected again', async () => model.state.state === 'connected', 60_000);
  const wid = workloadId('PyTorchJob.kubeflow.org', {
    apiVersion: 'kubeflow.org/v1',
    kind: 'PyTorchJob',
    metadata: { name: 'llama-ft', namespace: ns },
  });
  await waitFor(
    'the deleted job gone from the tree',
    async () => model.workloads!.node(wid) === undefined,
    30_000,
  );
  assert.ok(states.includes('reconnecting') && states.at(-1) === 'connected', states.join(' -> '));
  sub.dispose();
});
