// What the tree models keep between changes instead of scanning every node or workload per row: the pool
// the waiting workloads are explained against, and the Kueue queues. Behaviour only: what they return
// before and after a change.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ML_KINDS, selectDiscovered } from '../../../src/core/kinds';
import type { KubeObject } from '../../../src/core/kube';
import { buildGpuTree, buildWorkloadTree, snapshotKey, workloadId } from '../../../src/core/tree';
import { fixtureNodes, obj, pod } from './builders';

const kinds = selectDiscovered(
  ML_KINDS.map((k) => ({
    group: k.group,
    version: k.versions[0],
    kind: k.kind,
    plural: k.plural,
    namespaced: k.namespaced,
  })),
);

const allocated = (g: ReturnType<typeof buildGpuTree>, node: string) =>
  g
    .pool()
    .gpuNodes.find((n) => n.name === node)!
    .resources.reduce((a, r) => a + r.allocated, 0);

describe('GPU pool kept between changes', () => {
  it('is the same until a node or a pod changes, then shows the change', () => {
    const gpus = buildGpuTree({ nodes: fixtureNodes(), pods: [] });
    const a = gpus.pool();
    assert.equal(gpus.pool(), a, 'no change: the same pool');
    assert.equal(allocated(gpus, 'h100-node-0'), 0);
    const p = pod('train-0', {
      node: 'h100-node-0',
      spec: { containers: [{ name: 'main', resources: { limits: { 'nvidia.com/gpu': '4' } } }] },
    });
    gpus.apply({ type: 'added', object: p });
    assert.notEqual(gpus.pool(), a);
    assert.equal(allocated(gpus, 'h100-node-0'), 4);
    gpus.apply({ type: 'deleted', object: p });
    assert.equal(allocated(gpus, 'h100-node-0'), 0);
    const n = gpus.pool().nodes.length;
    gpus.apply({ type: 'deleted', object: fixtureNodes()[0]! });
    assert.equal(gpus.pool().nodes.length, n - 1);
  });
});

const queue = (kind: 'ClusterQueue' | 'LocalQueue', name: string, ns?: string): KubeObject => ({
  apiVersion: 'kueue.x-k8s.io/v1beta2',
  kind,
  metadata: { name, uid: `${kind}-${name}-${ns ?? ''}`, ...(ns ? { namespace: ns } : {}) },
  spec: {},
});

describe('Kueue queues kept between workload changes', () => {
  it('lists the ClusterQueues watched, following additions and deletions', () => {
    const cq = queue('ClusterQueue', 'gpu-cq');
    const tree = buildWorkloadTree({
      kinds,
      workloads: new Map([
        [snapshotKey(cq), [cq]],
        [snapshotKey(queue('LocalQueue', 'x', 'a')), [queue('LocalQueue', 'team', 'a')]],
      ]),
      pods: [],
    });
    assert.deepEqual(
      tree.kueueClusterQueues().map((q) => q.metadata.name),
      ['gpu-cq'],
    );
    const cq2 = queue('ClusterQueue', 'cpu-cq');
    tree.apply({ type: 'added', object: cq2 });
    assert.deepEqual(
      tree
        .kueueClusterQueues()
        .map((q) => q.metadata.name)
        .sort(),
      ['cpu-cq', 'gpu-cq'],
    );
    tree.apply({ type: 'deleted', object: cq });
    assert.deepEqual(
      tree.kueueClusterQueues().map((q) => q.metadata.name),
      ['cpu-cq'],
    );
    // A copy: the caller cannot change what the tree keeps.
    tree.kueueClusterQueues().length = 0;
    assert.equal(tree.kueueClusterQueues().length, 1);
  });

  it("explains a workload with its own namespace's LocalQueues, following additions", () => {
    const job = obj('batch/v1', 'Job', 'train', { suspend: true, template: { spec: { containers: [] } } });
    const lq = (name: string, ns: string) => queue('LocalQueue', name, ns);
    const tree = buildWorkloadTree({
      kinds,
      workloads: new Map([
        [snapshotKey(job), [job]],
        [snapshotKey(lq('x', 'ml')), [lq('ml-queue', 'ml'), lq('other-queue', 'other')]],
      ]),
      pods: [],
    });
    const local = () =>
      tree
        .whyInput(workloadId('Job.batch', job))!
        .kueue!.localQueues!.map((q) => q.metadata.name)
        .sort();
    assert.deepEqual(local(), ['ml-queue']);
    tree.apply({ type: 'added', object: lq('ml-second', 'ml') });
    assert.deepEqual(local(), ['ml-queue', 'ml-second']);
    assert.deepEqual(tree.whyInput(workloadId('Job.batch', job))!.kueue!.clusterQueues, []);
  });
});
