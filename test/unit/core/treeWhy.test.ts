// The ML Workloads tree shows a waiting workload's explanation as its status line and tooltip's first line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type KubeObject } from '../../../src/core/kube';
import { ML_KINDS, selectDiscovered } from '../../../src/core/kinds';
import {
  type ClusterSnapshot,
  type WorkloadNode,
  buildGpuTree,
  buildWorkloadTree,
  snapshotKey,
  workloadId,
} from '../../../src/core/tree';
import { NOW, T0, cond, fixtureNodes, obj, owner, pod } from './builders';

const kinds = selectDiscovered(
  ML_KINDS.map((k) => ({
    group: k.group,
    version: k.versions[0],
    kind: k.kind,
    plural: k.plural,
    namespaced: k.namespaced,
  })),
);

const MSG_16 =
  '0/7 nodes are available: 1 node(s) had untolerated taint(s), 6 Insufficient nvidia.com/gpu. no new claims to deallocate, preemption: 0/7 nodes are available: 1 Preemption is not helpful for scheduling, 6 No preemption victims found for incoming pod.';
const spec = {
  containers: [{ name: 'main', image: 'train:1', resources: { limits: { 'nvidia.com/gpu': '16' } } }],
  tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
};
const job = obj('batch/v1', 'Job', 'big', { template: { spec } }, { active: 1, ready: 0, startTime: T0 });
const bigPod = pod('big-x7k2p', {
  labels: { 'batch.kubernetes.io/job-name': 'big', 'controller-uid': job.metadata.uid! },
  owners: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'big', uid: job.metadata.uid!, controller: true }],
  phase: 'Pending',
  spec,
  conditions: [cond('PodScheduled', 'False', 'Unschedulable', MSG_16)],
  containerStatuses: [],
});

function snap(nodes: KubeObject[]): ClusterSnapshot {
  return { kinds, workloads: new Map([[snapshotKey(job), [job]]]), pods: [bigPod], events: [], nodes };
}

describe('tree rows of waiting workloads', () => {
  it('status line, tooltip first line and contextValue of a Job asking for 16 GPUs', () => {
    const s = snap(fixtureNodes());
    const gpus = buildGpuTree(s);
    const tree = buildWorkloadTree(s, { now: () => NOW, pool: () => gpus.pool() });
    const n = tree.node(workloadId('Job.batch', job)) as WorkloadNode;
    assert.equal(
      n.description,
      'Pending: needs 16 GPUs in one pod, nodes have at most 8 · 0/1 · 16× gpu · 60m',
    );
    assert.equal(
      (n.tooltip ?? '').split('\n')[0],
      '**Pending: needs 16 GPUs in one pod, nodes have at most 8**',
    );
    assert.match(n.tooltip ?? '', /- a pod asks for 16 nvidia.com/);
    assert.equal(n.contextValue, 'gantry.workload.batch.Pending');
    // the scheduler's own words stay in the summary's message
    assert.equal(
      n.summary.message,
      '0/7 nodes are available: 1 node(s) had untolerated taint(s), 6 Insufficient nvidia.com/gpu',
    );
    const input = tree.whyInput(n.id)!;
    assert.equal(input.summary.reason, n.summary.message);
    assert.equal(input.nodes?.length, 7);
  });

  it('without the node pool, the line is the scheduler first sentence, whole', () => {
    const tree = buildWorkloadTree(snap([]), { now: () => NOW });
    const n = tree.node(workloadId('Job.batch', job)) as WorkloadNode;
    assert.equal(
      n.description,
      'Pending: 0/7 nodes are available: 1 node(s) had untolerated taint(s), 6 Insufficient nvidia.com/gpu · 0/1 · 16× gpu · 60m',
    );
  });

  it('a bigger node joining the pool re-explains the row', () => {
    const nodes = fixtureNodes();
    const s = snap(nodes);
    const gpus = buildGpuTree(s);
    const tree = buildWorkloadTree(s, { now: () => NOW, pool: () => gpus.pool() });
    const id = workloadId('Job.batch', job);
    assert.match((tree.node(id) as WorkloadNode).description!, /nodes have at most 8/);
    const big = structuredClone(nodes.find((x) => x.metadata.name === 'h100-node-0')!);
    big.metadata.name = 'h200-node-0';
    big.status.allocatable['nvidia.com/gpu'] = '16';
    big.status.capacity['nvidia.com/gpu'] = '16';
    gpus.apply({ type: 'added', object: big });
    assert.deepEqual(tree.poolChanged(), [id]);
    assert.doesNotMatch((tree.node(id) as WorkloadNode).description!, /at most 8/);
  });
});

describe('a Kueue-queued row follows its queues', () => {
  const K = 'kueue.x-k8s.io/v1beta2';
  const flavor = 'h100';
  const queued = obj(
    'batch/v1',
    'Job',
    'queued',
    {
      suspend: true,
      parallelism: 2,
      template: {
        spec: {
          ...spec,
          containers: [{ ...spec.containers[0], resources: { limits: { 'nvidia.com/gpu': '8' } } }],
        },
      },
    },
    {},
    { labels: { 'kueue.x-k8s.io/queue-name': 'team-a-queue' } },
  );
  const wl = obj(
    K,
    'Workload',
    'job-queued-1a2b3',
    {
      queueName: 'team-a-queue',
      podSets: [{ name: 'main', count: 2, template: queued.spec.template }],
    },
    {
      conditions: [
        cond(
          'QuotaReserved',
          'False',
          'Pending',
          `couldn't assign flavors to pod set main: insufficient unused quota for nvidia.com/gpu in flavor ${flavor}, 16 more needed`,
        ),
      ],
    },
    { ownerReferences: [owner(queued)] },
  );
  const cq = (name: string, nominal: number, used: number, borrowed: number): KubeObject =>
    obj(
      K,
      'ClusterQueue',
      name,
      {
        cohortName: 'pool',
        resourceGroups: [
          {
            coveredResources: ['nvidia.com/gpu'],
            flavors: [{ name: flavor, resources: [{ name: 'nvidia.com/gpu', nominalQuota: nominal }] }],
          },
        ],
      },
      {
        flavorsUsage: [
          {
            name: flavor,
            resources: [{ name: 'nvidia.com/gpu', total: String(used), borrowed: String(borrowed) }],
          },
        ],
      },
      { namespace: undefined },
    );
  const lq = obj(K, 'LocalQueue', 'team-a-queue', { clusterQueue: 'team-a' });

  it('Kueue writing a borrowing queue’s usage after the row was made explains it again', () => {
    const cqA = cq('team-a', 32, 16, 0);
    // Kueue has admitted team-b's workload but not yet written its usage.
    const cqB = cq('team-b', 16, 0, 0);
    const s: ClusterSnapshot = {
      kinds,
      workloads: new Map(
        [[queued], [wl], [cqA, cqB], [lq]].map((l) => [snapshotKey(l[0]!), l] as [string, KubeObject[]]),
      ),
      pods: [],
      events: [],
    };
    const tree = buildWorkloadTree(s, { now: () => NOW });
    const id = workloadId('Job.batch', queued);
    assert.match(
      (tree.node(id) as WorkloadNode).description!,
      /^Queued in team-a-queue \(Kueue\): waiting for quota in team-a · /,
    );
    const changed = tree.apply({ type: 'modified', object: cq('team-b', 16, 32, 16) });
    assert.ok(changed.includes(id), JSON.stringify(changed));
    assert.match(
      (tree.node(id) as WorkloadNode).description!,
      /^Queued in team-a-queue \(Kueue\): 16 of 32 h100 borrowed by team-b · /,
    );
  });
});

describe('tree rows while pods, events or nodes are still listing', () => {
  it('a waiting Job shows its own status and age, no counts, no explanation, and a Loading… row last', () => {
    const s: ClusterSnapshot = {
      kinds,
      workloads: new Map([[snapshotKey(job), [job]]]),
      pods: [],
      events: [],
    };
    const tree = buildWorkloadTree(s, {
      now: () => NOW,
      pool: () => ({ nodes: [], gpuNodes: [] }),
      loading: { pods: true, what: ['pods', 'nodes', 'RayJob'] },
    });
    const top = tree.children();
    assert.deepEqual(
      top.map((n) => `${n.type} ${n.label} | ${n.description}`),
      ['group Job | 1', 'loading Loading… | pods, nodes, RayJob'],
    );
    const n = tree.node(workloadId('Job.batch', job)) as WorkloadNode;
    assert.equal(n.description, 'Pending · 60m');
    assert.equal(n.collapsible, 'collapsed', 'its pods may still arrive');
    assert.doesNotMatch(n.tooltip ?? '', /needs|no pod/);
    assert.equal(tree.node('loading')?.contextValue, 'gantry.loading');
  });

  it('once listed, the same Job reads its pods and nodes (the explanation and counts), and no Loading… row', () => {
    const s = snap(fixtureNodes());
    const gpus = buildGpuTree(s);
    const tree = buildWorkloadTree(s, {
      now: () => NOW,
      pool: () => gpus.pool(),
      loading: { pods: false, what: [] },
    });
    assert.deepEqual(
      tree.children().map((n) => n.type),
      ['group'],
    );
    assert.equal(tree.node('loading'), undefined);
    assert.match(
      tree.node(workloadId('Job.batch', job))!.description!,
      /^Pending: needs 16 GPUs .* · 0\/1 · /,
    );
  });
});
