// DRA GPUs against the real control plane: a DRA pool published as NVIDIA's driver would (harness/dra.ts),
// ResourceClaimTemplates and pods that the real kube-scheduler allocates and binds, and the GPUs view model
// counting them by model next to the device-plugin GPUs; the workload row shows the claimed GPUs.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ClusterConnection } from '../../src/k8s/connection';
import { loadKubeconfig, type MergedKubeconfig } from '../../src/k8s/kubeconfig';
import { ClusterModelSource } from '../../src/k8s/modelSource';
import { ROOT, type GpuNodeNode, type GpuTreeNode } from '../../src/core/tree';
import { ClusterModel } from '../../src/model/clusterModel';
import { sharedCluster, type TestCluster } from './harness/index';
import { DRA_TAINT, H100_PRODUCT, publishDraPool, type DraPool } from './harness/dra';
import { apply, waitFor, type Json } from './helpers';

let cluster: TestCluster;
let ns: string;
let pool: DraPool;
let model: ClusterModel;

const toleration = {
  key: DRA_TAINT.key,
  operator: 'Equal',
  value: DRA_TAINT.value,
  effect: DRA_TAINT.effect,
};

function claimTemplate(name: string, deviceClassName: string, count: number): Json {
  return {
    apiVersion: 'resource.k8s.io/v1',
    kind: 'ResourceClaimTemplate',
    metadata: { name },
    spec: {
      spec: {
        devices: {
          requests: [{ name: 'gpu', exactly: { deviceClassName, allocationMode: 'ExactCount', count } }],
        },
      },
    },
  };
}

function podSpec(template: string, node?: string): Json {
  return {
    tolerations: [toleration],
    ...(node ? { nodeSelector: { 'kubernetes.io/hostname': node } } : {}),
    resourceClaims: [{ name: 'gpu', resourceClaimTemplateName: template }],
    containers: [{ name: 'main', image: 'trainer:1', resources: { claims: [{ name: 'gpu' }] } }],
  };
}

before(async () => {
  cluster = await sharedCluster();
  const loaded = loadKubeconfig({ explicitPath: cluster.kubeconfigPath });
  assert.equal(loaded.kind, 'ok');
  const cfg = loaded as MergedKubeconfig;
  ns = await cluster.createNamespace('dra');
  pool = await publishDraPool(cluster);
  const conn = ClusterConnection.create(cfg, cfg.currentContext!);
  assert.ok(conn.ok);
  model = new ClusterModel(new ClusterModelSource(conn.value, { scope: { kind: 'some', namespaces: [ns] } }));
  assert.equal((await model.start()).state, 'connected');
});

after(async () => {
  model?.dispose();
  await cluster?.kubectl(['delete', 'namespace', ns, '--wait=false']);
  await pool?.dispose();
});

const h100Row = () => model.gpus!.children(ROOT).find((n) => n.label === H100_PRODUCT);
const nodeRow = (name: string): GpuNodeNode | undefined => {
  const m = h100Row();
  return m
    ? (model.gpus!.children(m.id).find((n) => n.label === name) as GpuNodeNode | undefined)
    : undefined;
};
const draRes = (row: GpuNodeNode | undefined, resource: string) =>
  row?.node.resources.find((r) => r.resource === resource);

test('the DRA pool shows under its model with 8 devices per node and MIG partitions', async () => {
  const [n0, n1] = pool.nodes as [string, string];
  const r0 = await waitFor('DRA node 0 in the GPUs view', async () => draRes(nodeRow(n0), 'gpu.nvidia.com'));
  assert.deepEqual([r0.allocatable, r0.allocated, r0.free, r0.model], [8, 0, 8, H100_PRODUCT]);
  const r1 = await waitFor('DRA node 1 in the GPUs view', async () => draRes(nodeRow(n1), 'gpu.nvidia.com'));
  assert.deepEqual([r1.allocatable, r1.free], [8, 8]);
  const m1 = draRes(nodeRow(n1), 'gpu.nvidia.com/mig-1g.10gb')!;
  assert.deepEqual([m1.allocatable, m1.free, m1.migProfile], [7, 7, '1g.10gb']);
  assert.equal(nodeRow(n1)!.description, 'gpu.nvidia.com 8/8 free · 1g.10gb 7/7 free · Tainted'); // the pool's own gantry.dev/dra taint
});

test('a pod with a claim bound by the real scheduler shows under its node; a MIG claim blocks its parent GPU', async () => {
  const [n0, n1] = pool.nodes as [string, string];
  await apply(cluster, ns, claimTemplate('h100x4', 'gpu.nvidia.com', 4));
  await apply(cluster, ns, claimTemplate('mig1', 'mig.nvidia.com', 1));
  await apply(cluster, ns, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'dra-train' },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { annotations: { 'sim.gantry.dev/duration': '600s' } },
        spec: { restartPolicy: 'Never', ...podSpec('h100x4', n0) },
      },
    },
  });
  await apply(cluster, ns, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'mig-nb' },
    spec: podSpec('mig1'),
  });

  // The real scheduler allocated the claims and bound the pods.
  const bound = await waitFor(
    'both pods bound with allocated claims',
    async () => {
      const r = await cluster.kubectl(['get', 'pods,resourceclaims', '-n', ns, '-o', 'json']);
      const items: Json[] = JSON.parse(r.stdout).items;
      const pods = items.filter((i) => i.kind === 'Pod' && i.spec.nodeName);
      const claims = items.filter((i) => i.kind === 'ResourceClaim' && i.status?.allocation);
      return pods.length === 2 && claims.length === 2 ? { pods, claims } : undefined;
    },
    60_000,
  );
  const trainPod = bound.pods.find((p: Json) => p.metadata.name.startsWith('dra-train-'));
  assert.equal(trainPod.spec.nodeName, n0);
  assert.equal(bound.pods.find((p: Json) => p.metadata.name === 'mig-nb').spec.nodeName, n1);

  // The claim's allocation and the pod that holds it come through two watches (claims, pods), in either order:
  // wait for both, not for the first that arrives (seen once: the allocation in, the pod list still empty).
  const r0 = await waitFor('4 allocated on node 0, held by the Job pod', async () => {
    const r = draRes(nodeRow(n0), 'gpu.nvidia.com');
    return r && r.allocated === 4 && r.pods.length > 0 ? r : undefined;
  });
  assert.equal(r0.free, 4);
  assert.deepEqual(
    r0.pods.map((p) => [p.namespace, p.name, p.count, p.workload?.kind, p.workload?.name]),
    [[ns, trainPod.metadata.name, 4, 'Job', 'dra-train']],
  );
  // The pod's row reads Pending until kwok has the pod running (a separate update again): wait for that too.
  const podRows = await waitFor('the Job pod running under node 0', async () => {
    const rows = model.gpus!.children(nodeRow(n0)!.id) as GpuTreeNode[];
    return rows.every((p) => !/Pending/.test(p.description ?? '')) ? rows : undefined;
  });
  assert.deepEqual(
    podRows.map((p) => [p.label, p.description]),
    [[`${ns}/${trainPod.metadata.name}`, '4× gpu.nvidia.com · Job dra-train']],
  );

  // MIG: one partition allocated; the partitionable whole GPU 7 no longer counts as free.
  const m1 = await waitFor('MIG slice allocated on node 1', async () => {
    const r = draRes(nodeRow(n1), 'gpu.nvidia.com/mig-1g.10gb');
    return r && r.allocated === 1 ? r : undefined;
  });
  assert.equal(m1.free, 6);
  const g1 = draRes(nodeRow(n1), 'gpu.nvidia.com')!;
  assert.deepEqual([g1.allocated, g1.free], [0, 7]);

  // The model row sums its nodes' rows, DRA and device-plugin alike (one synchronous snapshot: other files share
  // the cluster and publish and free GPUs of the same model while this test runs), and this test's 4 are in it.
  const modelRow = h100Row() as Json;
  const nodeRows = model.gpus!.children(modelRow.id) as GpuNodeNode[];
  for (const pool of modelRow.pools as Json[]) {
    const rs = nodeRows.flatMap((n) => n.node.resources.filter((r) => r.resource === pool.resource));
    assert.deepEqual(
      [pool.total, pool.allocated],
      [rs.reduce((a, r) => a + r.allocatable, 0), rs.reduce((a, r) => a + r.allocated, 0)],
      `the ${pool.resource} totals of the model row are the sums of its node rows`,
    );
  }
  const draPool = (modelRow.pools as Json[]).find((p) => p.resource === 'gpu.nvidia.com');
  assert.ok(draPool && draPool.allocated >= 4, `the DRA pool counts this test's 4 (${draPool?.allocated})`);

  // The Job's workload row shows the GPUs it holds through its claim.
  const row = await waitFor('the Job row with its DRA GPUs', async () => {
    const w = model.workloads!.children(ROOT).flatMap((g) => model.workloads!.children(g.id));
    const n = w.find((x) => x.label === 'dra-train');
    return n?.description?.includes('4× H100 80GB HBM3') ? n : undefined;
  });
  assert.match(row.description ?? '', /4× H100 80GB HBM3/);
});
