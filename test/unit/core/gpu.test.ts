import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type KubeObject } from '../../../src/core/kube';
import {
  buildGpuInventory,
  groupNodesByModel,
  nodeGpuInfo,
  nodeState,
  poolLine,
  workloadRefFromPod,
} from '../../../src/core/gpu';
import { isGpuResource, parseQuantity, podRequests } from '../../../src/core/resources';
import { cond, fixtureNodes, pod } from './builders';

describe('isGpuResource', () => {
  const table: [string, boolean][] = [
    ['nvidia.com/gpu', true],
    ['amd.com/gpu', true],
    ['nvidia.com/mig-1g.5gb', true],
    ['nvidia.com/mig-3g.20gb', true],
    ['nvidia.com/shared-gpu', true],
    ['gpu.intel.com/i915', true],
    ['example.com/notgpu', false],
    ['example.com/fpga', false],
    ['cpu', false],
    ['gpu', false],
    ['hugepages-2Mi', false],
  ];
  for (const [name, want] of table) it(`${name} -> ${want}`, () => assert.equal(isGpuResource(name), want));
});

describe('parseQuantity', () => {
  const table: [string, number][] = [
    ['8', 8],
    ['500m', 0.5],
    ['16Gi', 16 * 2 ** 30],
    ['1k', 1000],
    ['1e3', 1000],
    ['127500m', 127.5],
  ];
  for (const [q, want] of table) it(`${q}`, () => assert.equal(parseQuantity(q), want));
  it('malformed is NaN', () => assert.ok(Number.isNaN(parseQuantity('eight'))));
});

const c = (name: string, gpu?: number, extra: Record<string, unknown> = {}) => ({
  name,
  resources:
    gpu === undefined
      ? {}
      : { requests: { 'nvidia.com/gpu': String(gpu) }, limits: { 'nvidia.com/gpu': String(gpu) } },
  ...extra,
});

describe('podRequests (scheduler PodRequests rules)', () => {
  const cases: { name: string; spec: Record<string, unknown>; want: number }[] = [
    { name: 'sum of app containers', spec: { containers: [c('a', 2), c('b', 1)] }, want: 3 },
    {
      name: 'init container larger than the app sum wins',
      spec: { initContainers: [c('warmup', 4)], containers: [c('a', 1), c('b', 1)] },
      want: 4,
    },
    {
      name: 'init smaller than app sum',
      spec: { initContainers: [c('i', 1)], containers: [c('a', 2)] },
      want: 2,
    },
    {
      name: 'sidecar (restartPolicy Always) adds to the app sum',
      spec: { initContainers: [c('proxy', 1, { restartPolicy: 'Always' })], containers: [c('a', 2)] },
      want: 3,
    },
    {
      name: 'classic init after a sidecar runs alongside it',
      spec: {
        initContainers: [c('proxy', 1, { restartPolicy: 'Always' }), c('big-init', 4)],
        containers: [c('a', 1)],
      },
      want: 5,
    },
    {
      name: 'limits only: requests default to limits',
      spec: { containers: [{ name: 'a', resources: { limits: { 'nvidia.com/gpu': '2' } } }] },
      want: 2,
    },
    {
      name: 'pod overhead is added',
      spec: { containers: [c('a', 1)], overhead: { 'nvidia.com/gpu': '1' } },
      want: 2,
    },
  ];
  for (const t of cases) it(t.name, () => assert.equal(podRequests(t.spec)['nvidia.com/gpu'] ?? 0, t.want));
});

const nodes = fixtureNodes();
const node = (name: string) => nodes.find((n) => n.metadata.name === name)!;

describe('GPU inventory on the fixture pool', () => {
  const owner = {
    apiVersion: 'kubeflow.org/v1',
    kind: 'PyTorchJob',
    name: 'llama',
    uid: 'u1',
    controller: true,
  };
  const tl = { 'training.kubeflow.org/job-name': 'llama', 'training.kubeflow.org/replica-type': 'worker' };
  const pods: KubeObject[] = [
    pod('llama-master-0', { node: 'h100-node-0', gpus: 8, labels: tl, owners: [owner] }),
    pod('llama-worker-0', { node: 'h100-node-1', gpus: 4, labels: tl, owners: [owner] }),
    // terminated pods hold nothing
    pod('old-succeeded', { node: 'h100-node-1', gpus: 4, phase: 'Succeeded' }),
    pod('old-failed', { node: 'h100-node-1', gpus: 4, phase: 'Failed' }),
    // deleting but not yet gone: still holds its GPUs
    pod('terminating', { node: 'a100-node-0', gpus: 2, deleting: true }),
    // pending, unbound: holds nothing
    pod('pending', { gpus: 8, phase: 'Pending' }),
    // MIG slices on the mixed node
    pod('mig-a', { node: 'a100-mig-node-0', gpus: 3, gpuResource: 'nvidia.com/mig-1g.5gb' }),
    pod('mig-b', { node: 'a100-mig-node-0', gpus: 1, gpuResource: 'nvidia.com/mig-3g.20gb' }),
    // AMD
    pod('rocm', { node: 'mi300x-node-0', gpus: 6, gpuResource: 'amd.com/gpu' }),
    // CPU pod on a CPU node
    pod('cpu-only', { node: 'cpu-node-0' }),
  ];
  const inv = buildGpuInventory(nodes, pods);

  it('lists only GPU nodes (CPU nodes left out)', () => {
    assert.deepEqual(inv.nodes.map((n) => n.name).sort(), [
      'a100-mig-node-0',
      'a100-node-0',
      'h100-node-0',
      'h100-node-1',
      'mi300x-node-0',
    ]);
  });

  it('per-resource allocatable / allocated / free and the pods holding GPUs', () => {
    const get = (n: string, r: string) =>
      inv.nodes.find((x) => x.name === n)!.resources.find((x) => x.resource === r)!;
    const table: [string, string, number, number, number][] = [
      ['h100-node-0', 'nvidia.com/gpu', 8, 8, 0],
      ['h100-node-1', 'nvidia.com/gpu', 8, 4, 4],
      ['a100-node-0', 'nvidia.com/gpu', 4, 2, 2],
      ['a100-mig-node-0', 'nvidia.com/gpu', 1, 0, 1],
      ['a100-mig-node-0', 'nvidia.com/mig-1g.5gb', 14, 3, 11],
      ['a100-mig-node-0', 'nvidia.com/mig-3g.20gb', 2, 1, 1],
      ['mi300x-node-0', 'amd.com/gpu', 8, 6, 2],
    ];
    for (const [n, r, alloc, used, free] of table) {
      const x = get(n, r);
      assert.deepEqual([x.allocatable, x.allocated, x.free], [alloc, used, free], `${n} ${r}`);
    }
    assert.deepEqual(
      get('h100-node-1', 'nvidia.com/gpu').pods.map((p) => p.name),
      ['llama-worker-0'],
    );
    assert.deepEqual(get('h100-node-0', 'nvidia.com/gpu').pods[0].workload, {
      group: 'kubeflow.org',
      kind: 'PyTorchJob',
      name: 'llama',
      namespace: 'ml',
    });
    assert.equal(get('a100-node-0', 'nvidia.com/gpu').pods[0].phase, 'Terminating');
  });

  it('models from GFD and the AMD labeller, MIG profiles per resource', () => {
    const n = (name: string) => inv.nodes.find((x) => x.name === name)!;
    assert.equal(n('h100-node-0').model, 'NVIDIA H100 80GB HBM3');
    assert.equal(n('h100-node-0').memoryMiB, 81559);
    assert.equal(n('mi300x-node-0').model, 'AMD Instinct MI300X OAM');
    assert.equal(n('mi300x-node-0').vram, '191G');
    const mig = n('a100-mig-node-0');
    assert.equal(mig.migStrategy, 'mixed');
    assert.deepEqual(
      mig.resources.map((r) => [r.resource, r.model, r.migProfile]),
      [
        ['nvidia.com/gpu', 'NVIDIA A100 PCIE 40GB', undefined],
        ['nvidia.com/mig-1g.5gb', 'NVIDIA A100 PCIE 40GB MIG 1g.5gb', '1g.5gb'],
        ['nvidia.com/mig-3g.20gb', 'NVIDIA A100 PCIE 40GB MIG 3g.20gb', '3g.20gb'],
      ],
    );
  });

  it('cluster summary lines per resource + model', () => {
    assert.deepEqual(inv.pools.map(poolLine), [
      'NVIDIA H100 80GB HBM3: 16 total, 12 allocated, 4 free',
      'NVIDIA A100 PCIE 40GB MIG 1g.5gb: 14 total, 3 allocated, 11 free',
      'AMD Instinct MI300X OAM: 8 total, 6 allocated, 2 free',
      'NVIDIA A100 PCIE 40GB: 5 total, 2 allocated, 3 free',
      'NVIDIA A100 PCIE 40GB MIG 3g.20gb: 2 total, 1 allocated, 1 free',
    ]);
  });

  it('groups nodes by physical model', () => {
    assert.deepEqual(
      groupNodesByModel(inv.nodes).map((g) => [g.model, g.nodes.map((n) => n.name)]),
      [
        ['AMD Instinct MI300X OAM', ['mi300x-node-0']],
        ['NVIDIA A100 PCIE 40GB', ['a100-mig-node-0', 'a100-node-0']],
        ['NVIDIA H100 80GB HBM3', ['h100-node-0', 'h100-node-1']],
      ],
    );
  });

  it("AMD labeller's experimental counted labels are read too", () => {
    const n = structuredClone(node('mi300x-node-0'));
    for (const k of Object.keys(n.metadata.labels!))
      if (k.startsWith('amd.com/')) delete n.metadata.labels![k];
    n.metadata.labels!['beta.amd.com/gpu.product-name.AMD_Instinct_MI300X_OAM'] = '8';
    const g = nodeGpuInfo(n, []);
    assert.deepEqual([g.model, g.vram], ['AMD Instinct MI300X OAM', '191G']);
  });

  it('pods bound to other nodes do not count on this one', () => {
    const g = nodeGpuInfo(node('h100-node-0'), [pod('elsewhere', { node: 'h100-node-1', gpus: 8 })]);
    assert.equal(g.resources[0].allocated, 0);
  });

  it('free GPUs on a cordoned node count as unavailable', () => {
    const cordoned = structuredClone(node('h100-node-1'));
    cordoned.spec.unschedulable = true;
    const inv2 = buildGpuInventory([node('h100-node-0'), cordoned], []);
    assert.equal(
      poolLine(inv2.pools[0]),
      'NVIDIA H100 80GB HBM3: 16 total, 0 allocated, 16 free, 8 unavailable',
    );
  });
});

describe('nodeState', () => {
  const base = () => structuredClone(node('h100-node-0'));
  const cases: { name: string; mutate: (n: KubeObject) => void; want: string }[] = [
    { name: 'ready, GPU-dedication taint is routine', mutate: () => {}, want: 'Ready' },
    {
      name: 'not ready',
      mutate: (n) =>
        (n.status.conditions = [
          cond('Ready', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'),
        ]),
      want: 'NotReady',
    },
    { name: 'cordoned', mutate: (n) => (n.spec.unschedulable = true), want: 'Cordoned' },
    {
      name: 'tainted by something else',
      mutate: (n) =>
        n.spec.taints.push({ key: 'nvidia.com/gpu.health', value: 'xid-79', effect: 'NoSchedule' }),
      want: 'Tainted',
    },
    { name: 'no conditions yet', mutate: (n) => delete n.status.conditions, want: 'Unknown' },
  ];
  for (const t of cases) {
    it(t.name, () => {
      const n = base();
      t.mutate(n);
      assert.equal(nodeState(n).state, t.want);
    });
  }
});

describe('workloadRefFromPod', () => {
  const cases: { name: string; pod: KubeObject; want: unknown }[] = [
    {
      name: 'JobSet label beats the Job owner',
      pod: pod('p', {
        labels: { 'jobset.sigs.k8s.io/jobset-name': 'js' },
        owners: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'js-w-0', uid: 'j', controller: true }],
      }),
      want: { group: 'jobset.x-k8s.io', kind: 'JobSet', name: 'js', namespace: 'ml' },
    },
    {
      name: 'LWS pod owned by a StatefulSet',
      pod: pod('p', {
        labels: { 'leaderworkerset.sigs.k8s.io/name': 'vllm' },
        owners: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'vllm', uid: 's', controller: true }],
      }),
      want: { group: 'leaderworkerset.x-k8s.io', kind: 'LeaderWorkerSet', name: 'vllm', namespace: 'ml' },
    },
    {
      name: 'plain Job',
      pod: pod('p', {
        owners: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'j', controller: true }],
      }),
      want: { group: 'batch', kind: 'Job', name: 'j', namespace: 'ml' },
    },
    { name: 'bare pod', pod: pod('p'), want: undefined },
  ];
  for (const t of cases) it(t.name, () => assert.deepEqual(workloadRefFromPod(t.pod), t.want));
});
