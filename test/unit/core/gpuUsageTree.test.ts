// Utilisation and idle GPUs in the trees: the GPUs view's pod rows and "Allocated but idle" group, and the
// workload row's GPU part ("4× H100 80GB HBM3 · 94% util", "idle 45m") through LiveTrees' row hook.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdleTracker, type GpuUsageView, type PodUsage } from '../../../src/core/gpuMetrics';
import { type KubeObject } from '../../../src/core/kube';
import { ROOT, buildGpuTree } from '../../../src/core/tree';
import { LiveTrees } from '../../../src/k8s/liveTrees';
import type { ClusterModelSource, ModelSnapshot } from '../../../src/k8s/modelSource';
import { pod } from './builders';

const MIN = 60_000;
const H100 = 'NVIDIA H100 80GB HBM3';

const node: KubeObject = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'dra-0', uid: 'n0' },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
};
const slice: KubeObject = {
  apiVersion: 'resource.k8s.io/v1',
  kind: 'ResourceSlice',
  metadata: { name: 's', uid: 's' },
  spec: {
    driver: 'gpu.nvidia.com',
    nodeName: 'dra-0',
    pool: { name: 'dra-0', generation: 1, resourceSliceCount: 1 },
    devices: [0, 1, 2, 3].map((i) => ({
      name: `gpu-${i}`,
      attributes: { type: { string: 'gpu' }, productName: { string: H100 }, uuid: { string: `GPU-${i}` } },
    })),
  },
};
const claim: KubeObject = {
  apiVersion: 'resource.k8s.io/v1',
  kind: 'ResourceClaim',
  metadata: { name: 'train-0-gpu', namespace: 'ml', uid: 'c' },
  status: {
    allocation: {
      devices: {
        results: [0, 1, 2, 3].map((i) => ({
          request: 'gpu',
          driver: 'gpu.nvidia.com',
          pool: 'dra-0',
          device: `gpu-${i}`,
        })),
      },
    },
    reservedFor: [{ resource: 'pods', name: 'train-0', uid: 'uid-pod-train-0' }],
  },
};
const job: KubeObject = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'train', namespace: 'ml', uid: 'job-1', creationTimestamp: '2026-11-29T11:00:00Z' },
  spec: { template: { spec: { containers: [{ name: 'main' }] } } },
  status: { active: 1 },
};
const trainPod = (): KubeObject => {
  const p = pod('train-0', {
    node: 'dra-0',
    owners: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'train', uid: 'job-1', controller: true }],
    labels: { 'batch.kubernetes.io/job-name': 'train' },
  });
  p.status!.resourceClaimStatuses = [{ name: 'gpu', resourceClaimName: 'train-0-gpu' }];
  return p;
};

function usage(util: number[], idleSince: number | undefined, now: number): GpuUsageView {
  const u: PodUsage = {
    namespace: 'ml',
    name: 'train-0',
    gpus: util.map((x, i) => ({ host: 'dra-0', gpu: String(i), uuid: `GPU-${i}`, util: x })),
    util: util.reduce((a, b) => a + b, 0) / util.length,
    memUsedMiB: 0,
    powerW: 0,
  };
  return {
    byPod: new Map([['ml/train-0', u]]),
    idleSince: (k) => (k === 'ml/train-0' ? idleSince : undefined),
    now,
  };
}

describe('GPUs tree with utilisation', () => {
  it('pod rows show utilisation; idle pods are listed under "Allocated but idle" first', () => {
    const tree = buildGpuTree({
      nodes: [node],
      pods: [trainPod()],
      resourceSlices: [slice],
      resourceClaims: [claim],
    });
    tree.setUsage(usage([96, 94, 93, 93], undefined, 0));
    const model = tree.children(ROOT);
    assert.deepEqual(
      model.map((n) => n.label),
      [H100],
    );
    const rows = tree.children(`n:dra-0`);
    assert.match(rows[0]!.description!, /· 94% util$/);
    assert.equal(
      rows[0]!.tooltip,
      [
        '**ml/train-0**',
        '',
        '- GPU 0 (GPU-0): 96% util',
        '- GPU 1 (GPU-1): 94% util',
        '- GPU 2 (GPU-2): 93% util',
        '- GPU 3 (GPU-3): 93% util',
      ].join('\n'),
    );

    tree.setUsage(usage([2, 3, 1, 2], 0, 45 * MIN));
    const root = tree.children(ROOT);
    assert.deepEqual(
      root.map((n) => [n.type, n.label, n.description]),
      [
        ['gpuIdle', 'Allocated but idle', '4 GPUs · 1 pod'],
        ['gpuModel', H100, '0/4 free · 4 allocated · 1 node'],
      ],
    );
    const idle = tree.children(root[0]!.id);
    assert.deepEqual(
      idle.map((n) => [n.label, n.description]),
      [['ml/train-0', '4× gpu.nvidia.com · Job train · 2% util · idle 45m']],
    );
  });

  it('without figures (hidden view, no exporter) rows are as before', () => {
    const tree = buildGpuTree({
      nodes: [node],
      pods: [trainPod()],
      resourceSlices: [slice],
      resourceClaims: [claim],
    });
    const before = tree.children('n:dra-0')[0]!.description;
    tree.setUsage(usage([50], undefined, 0));
    tree.setUsage(undefined);
    assert.equal(tree.children('n:dra-0')[0]!.description, before);
    assert.equal(tree.children(ROOT)[0]!.type, 'gpuModel');
  });
});

describe('workload row GPU part (LiveTrees)', () => {
  const snapshot = (): ModelSnapshot => ({
    context: 'ctx',
    scope: { kind: 'all' },
    workloadKinds: [{ group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true }],
    objects: new Map([
      ['Job.batch', new Map([['job-1', job]])],
      ['Pod', new Map([['p', trainPod()]])],
      ['Node', new Map([['n0', node]])],
      ['ResourceSlice.resource.k8s.io', new Map([['s', slice]])],
      ['ResourceClaim.resource.k8s.io', new Map([['c', claim]])],
    ]),
    health: new Map(),
    notes: [],
  });
  const source = {
    snapshot,
    onDidChange: () => ({ dispose() {} }),
    onDidChangeKinds: () => ({ dispose() {} }),
    onDidSyncKinds: () => ({ dispose() {} }),
    isSynced: () => true,
    watches: () => true,
    draKinds: [],
    workloadKinds: snapshot().workloadKinds,
  } as unknown as ClusterModelSource;
  const jobRow = (t: LiveTrees) =>
    t.workloads
      .children(ROOT)
      .flatMap((g) => t.workloads.children(g.id))
      .find((n) => n.label === 'train')!;

  it('shows the DRA GPUs from claims, then utilisation, then how long they sat idle', () => {
    const t = new LiveTrees(source, { now: () => Date.parse('2026-11-29T12:00:00Z') });
    assert.match(jobRow(t).description!, /· 4× H100 80GB HBM3 · /);
    assert.doesNotMatch(jobRow(t).description!, /util/);
    t.setUsage(usage([96, 94, 93, 93], undefined, 0));
    assert.match(jobRow(t).description!, /· 4× H100 80GB HBM3 · 94% util · /);
    t.setUsage(usage([2, 3, 1, 2], 0, 95 * MIN));
    assert.match(jobRow(t).description!, /· 4× H100 80GB HBM3 · 2% util · idle 1h 35m · /);
    t.dispose();
  });
});

describe('idle over time feeds the tree', () => {
  it('a pod turns idle after the period of low readings and back when busy', () => {
    const tracker = new IdleTracker({ thresholdPct: 10, periodMs: 30 * MIN });
    const tree = buildGpuTree({
      nodes: [node],
      pods: [trainPod()],
      resourceSlices: [slice],
      resourceClaims: [claim],
    });
    const feed = (now: number, util: number) => {
      tracker.record(now, new Map([['ml/train-0', [util, util, util, util]]]));
      tree.setUsage(usage([util, util, util, util], tracker.idleSince('ml/train-0', now), now));
    };
    for (let m = 0; m < 30; m += 5) feed(m * MIN, 4);
    assert.equal(tree.children(ROOT)[0]!.type, 'gpuModel', 'not idle before 30 min');
    feed(30 * MIN, 4);
    assert.equal(tree.children(ROOT)[0]!.label, 'Allocated but idle');
    feed(35 * MIN, 80);
    assert.equal(tree.children(ROOT)[0]!.type, 'gpuModel', 'busy again');
  });
});
