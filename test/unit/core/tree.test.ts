import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type KubeObject, kindKey } from '../../../src/core/kube';
import { ML_KINDS, selectDiscovered } from '../../../src/core/kinds';
import {
  type ClusterSnapshot,
  GpuTreeModel,
  ROOT,
  applyChange,
  buildGpuTree,
  buildWorkloadTree,
  kindGroupId,
  namespaceGroupId,
  podId,
  snapshotKey,
} from '../../../src/core/tree';
import { NOW, cond, event, fixtureNodes, obj, owner, pod } from './builders';

const kinds = selectDiscovered(
  ML_KINDS.map((k) => ({
    group: k.group,
    version: k.versions[0],
    kind: k.kind,
    plural: k.plural,
    namespaced: k.namespaced,
  })),
);

function snapshot(
  objects: KubeObject[],
  pods: KubeObject[],
  events: KubeObject[] = [],
  nodes: KubeObject[] = [],
): ClusterSnapshot {
  const workloads = new Map<string, KubeObject[]>();
  for (const o of objects) {
    const k = snapshotKey(o);
    workloads.set(k, [...(workloads.get(k) ?? []), o]);
  }
  return { kinds, workloads, pods, events, nodes };
}

const tl = (name: string, type: string, i: number) => ({
  'training.kubeflow.org/job-name': name,
  'training.kubeflow.org/replica-type': type,
  'training.kubeflow.org/replica-index': String(i),
});

// --- a small cluster ---
const llama = obj(
  'kubeflow.org/v1',
  'PyTorchJob',
  'llama',
  {
    pytorchReplicaSpecs: {
      Master: {
        replicas: 1,
        template: { spec: { containers: [{ name: 'p', resources: { limits: { 'nvidia.com/gpu': '4' } } }] } },
      },
      Worker: {
        replicas: 2,
        template: { spec: { containers: [{ name: 'p', resources: { limits: { 'nvidia.com/gpu': '4' } } }] } },
      },
    },
  },
  { conditions: [cond('Running', 'True', 'PyTorchJobRunning')] },
);
const llamaPods = [
  pod('llama-master-0', {
    labels: tl('llama', 'master', 0),
    owners: [owner(llama)],
    node: 'h100-node-0',
    gpus: 4,
  }),
  pod('llama-worker-0', {
    labels: tl('llama', 'worker', 0),
    owners: [owner(llama)],
    node: 'h100-node-1',
    gpus: 4,
  }),
  pod('llama-worker-1', {
    labels: tl('llama', 'worker', 1),
    owners: [owner(llama)],
    node: 'h100-node-1',
    gpus: 4,
  }),
];
const llamaKueue = obj(
  'kueue.x-k8s.io/v1beta2',
  'Workload',
  'pytorchjob-llama-1a2b3',
  { queueName: 'team-a', podSets: [] },
  { conditions: [cond('QuotaReserved', 'True'), cond('Admitted', 'True')] },
  { ownerReferences: [owner(llama)] },
);

const ft = obj('trainer.kubeflow.org/v1alpha1', 'TrainJob', 'ft', { trainer: { numNodes: 2 } }, {});
const ftJobSet = obj(
  'jobset.x-k8s.io/v1alpha2',
  'JobSet',
  'ft',
  { replicatedJobs: [] },
  {},
  { ownerReferences: [owner(ft)] },
);
const ftJob = obj(
  'batch/v1',
  'Job',
  'ft-node-0',
  { parallelism: 2 },
  { active: 2 },
  { ownerReferences: [owner(ftJobSet)] },
);
const jsl = (i: number) => ({
  'jobset.sigs.k8s.io/jobset-name': 'ft',
  'jobset.sigs.k8s.io/replicatedjob-name': 'node',
  'jobset.sigs.k8s.io/replicatedjob-replicas': '1',
  'jobset.sigs.k8s.io/job-index': '0',
  'batch.kubernetes.io/job-completion-index': String(i),
  'batch.kubernetes.io/job-name': 'ft-node-0',
});
const ftPods = [0, 1].map((i) => pod(`ft-node-0-${i}-abcde`, { labels: jsl(i), owners: [owner(ftJob)] }));

const nb = obj(
  'kubeflow.org/v1',
  'Notebook',
  'nb',
  { template: { spec: {} } },
  { readyReplicas: 1 },
  { namespace: 'alice' },
);
const nbPod = pod('nb-0', {
  ns: 'alice',
  labels: { 'notebook-name': 'nb' },
  owners: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'nb', uid: 'sts-nb', controller: true }],
});

const cq = obj(
  'kueue.x-k8s.io/v1beta2',
  'ClusterQueue',
  'gpu',
  {},
  { conditions: [cond('Active', 'True')] },
  { namespace: undefined },
);

function small() {
  return buildWorkloadTree(
    snapshot([llama, llamaKueue, ft, ftJobSet, ftJob, nb, cq], [...llamaPods, ...ftPods, nbPod]),
    { now: () => NOW },
  );
}

describe('WorkloadTreeModel: grouping by kind', () => {
  const t = small();
  it('shows one group per kind with visible workloads, in table order; owned objects are hidden', () => {
    assert.deepEqual(
      t.children().map((g) => [g.label, g.description]),
      [
        ['PyTorchJob', '1'],
        ['TrainJob', '1'],
        ['Notebook', '1'],
        ['ClusterQueue', '1'],
      ],
    );
  });
  it('workload nodes: label, description with status, ready/total, GPUs, age; contextValue', () => {
    const [w] = t.children(kindGroupId('PyTorchJob.kubeflow.org'));
    assert.equal(w.type, 'workload');
    assert.equal(w.label, 'llama');
    assert.equal(w.description, 'Running · 3/3 · 12× gpu · 60m');
    assert.equal(w.contextValue, 'gantry.workload.training.Running');
    assert.equal(w.id, 'w:PyTorchJob.kubeflow.org:ml/llama');
    assert.match(w.tooltip!, /\| Running \| True \| PyTorchJobRunning/);
    // Kueue Workload owned by the job feeds its queue
    assert.equal(w.type === 'workload' && w.summary.queue, 'team-a');
  });
  it('nodes stay plain writable records (a view may Object.assign a fresh node onto the element it kept)', () => {
    const [first] = t.children(kindGroupId('PyTorchJob.kubeflow.org'));
    const [again] = t.children(kindGroupId('PyTorchJob.kubeflow.org'));
    Object.assign(first, again);
    assert.equal(first.tooltip, again.tooltip);
    assert.match(first.tooltip!, /PyTorchJob/);
    assert.deepEqual(JSON.parse(JSON.stringify(first)).label, 'llama');
  });
  it('pods roll up through Job -> JobSet -> TrainJob and sit under role nodes when roles differ', () => {
    const [trainJob] = t.children(kindGroupId('TrainJob.trainer.kubeflow.org'));
    assert.deepEqual(
      t.children(trainJob.id).map((p) => p.label),
      ['node-0', 'node-1'],
    );
    const [pj] = t.children(kindGroupId('PyTorchJob.kubeflow.org'));
    const roles = t.children(pj.id);
    assert.deepEqual(
      roles.map((r) => [r.type, r.label, r.description]),
      [
        ['role', 'master', '1'],
        ['role', 'worker', '2'],
      ],
    );
    assert.deepEqual(
      t.children(roles[1].id).map((p) => [p.label, p.contextValue]),
      [
        ['worker-0', 'gantry.pod.running'],
        ['worker-1', 'gantry.pod.running'],
      ],
    );
  });
  it('pods found by label when their owner is not a workload (StatefulSet of a Notebook)', () => {
    const [n] = t.children(kindGroupId('Notebook.kubeflow.org'));
    assert.deepEqual(
      t.children(n.id).map((p) => p.label),
      ['notebook'],
    );
    assert.equal(t.workloadOfPod(nbPod), n.id);
  });
  it('node(id) finds pods and workloads', () => {
    assert.equal(t.node(podId(llamaPods[2]))?.label, 'worker-1');
    assert.equal(t.node('w:Notebook.kubeflow.org:alice/nb')?.label, 'nb');
    assert.equal(t.node('w:Job.batch:ml/ft-node-0'), undefined, 'hidden child Job');
  });
});

describe('WorkloadTreeModel: grouping by namespace', () => {
  it('groups by namespace, cluster-scoped last-named "(cluster)"', () => {
    const t = buildWorkloadTree(snapshot([llama, nb, cq], [...llamaPods, nbPod]), {
      grouping: 'namespace',
      now: () => NOW,
    });
    assert.deepEqual(
      t.children().map((g) => g.label),
      ['(cluster)', 'alice', 'ml'],
    );
    const [w] = t.children(namespaceGroupId('ml'));
    assert.match(w.description!, /^PyTorchJob · Running/);
  });
});

describe('WorkloadTreeModel: incremental changes', () => {
  it('pod status change that alters the summary -> the pod and its workload', () => {
    const t = small();
    t.children(kindGroupId('PyTorchJob.kubeflow.org'));
    const oom = structuredClone(llamaPods[2]);
    oom.status.phase = 'Failed';
    oom.status.containerStatuses = [
      {
        name: 'p',
        ready: false,
        restartCount: 0,
        state: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
      },
    ];
    oom.status.conditions = [cond('Ready', 'False')];
    const ids = applyChange(t, { type: 'modified', object: oom });
    assert.deepEqual(ids.sort(), ['p:ml/llama-worker-1', 'w:PyTorchJob.kubeflow.org:ml/llama'].sort());
    assert.equal(t.summary('w:PyTorchJob.kubeflow.org:ml/llama')?.reason, 'OOMKilled in worker-1');
  });
  it('pod change with the same summary -> only the pod', () => {
    const t = small();
    t.children(kindGroupId('PyTorchJob.kubeflow.org'));
    const p = structuredClone(llamaPods[0]);
    p.metadata.resourceVersion = '42';
    assert.deepEqual(applyChange(t, { type: 'modified', object: p }), ['p:ml/llama-master-0']);
  });
  it('pod added or deleted -> its workload (children changed)', () => {
    const t = small();
    const extra = pod('llama-worker-2', { labels: tl('llama', 'worker', 2), owners: [owner(llama)] });
    assert.deepEqual(applyChange(t, { type: 'added', object: extra }), [
      'w:PyTorchJob.kubeflow.org:ml/llama',
    ]);
    assert.equal(t.podsOf('w:PyTorchJob.kubeflow.org:ml/llama').length, 4);
    assert.deepEqual(applyChange(t, { type: 'deleted', object: extra }), [
      'w:PyTorchJob.kubeflow.org:ml/llama',
    ]);
    assert.equal(t.podsOf('w:PyTorchJob.kubeflow.org:ml/llama').length, 3);
  });
  it('workload status write that only bumps timestamps -> nothing; a condition change -> the workload', () => {
    const t = small();
    t.children(kindGroupId('PyTorchJob.kubeflow.org'));
    const bumped = structuredClone(llama);
    bumped.status.lastReconcileTime = '2026-11-29T11:59:59Z';
    bumped.status.conditions[0].lastUpdateTime = '2026-11-29T11:59:59Z';
    assert.deepEqual(applyChange(t, { type: 'modified', object: bumped }), []);
    const restarting = structuredClone(llama);
    restarting.status.conditions.push(
      cond('Restarting', 'True', 'PyTorchJobRestarting', 'worker-1 restarted'),
    );
    assert.deepEqual(applyChange(t, { type: 'modified', object: restarting }), [
      'w:PyTorchJob.kubeflow.org:ml/llama',
    ]);
    assert.equal(t.summary('w:PyTorchJob.kubeflow.org:ml/llama')?.phase, 'Restarting');
  });
  it('hidden Kueue Workload admitted -> its job', () => {
    const queued = structuredClone(llama);
    queued.spec.runPolicy = { suspend: true };
    queued.status = { conditions: [cond('Suspended', 'True', 'PyTorchJobSuspended')] };
    const wl = structuredClone(llamaKueue);
    wl.status = { conditions: [cond('QuotaReserved', 'False', 'Pending', 'insufficient unused quota')] };
    const t = buildWorkloadTree(snapshot([queued, wl], []), { now: () => NOW });
    const id = 'w:PyTorchJob.kubeflow.org:ml/llama';
    assert.equal(t.summary(id)?.phase, 'Queued');
    const admitted = structuredClone(wl);
    admitted.status = { conditions: [cond('QuotaReserved', 'True'), cond('Admitted', 'True')] };
    assert.deepEqual(applyChange(t, { type: 'modified', object: admitted }), [id]);
    assert.equal(t.summary(id)?.phase, 'Suspended');
  });
  it('re-created workload (new uid, missed delete) takes the new pods', () => {
    const t = small();
    const again = structuredClone(llama);
    again.metadata.uid = 'uid-llama-2';
    for (const p of llamaPods) applyChange(t, { type: 'deleted', object: p });
    applyChange(t, { type: 'added', object: again });
    const np = pod('llama-master-0', { labels: tl('llama', 'master', 0), owners: [owner(again)] });
    assert.deepEqual(applyChange(t, { type: 'added', object: np }), ['w:PyTorchJob.kubeflow.org:ml/llama']);
    assert.equal(t.podsOf('w:PyTorchJob.kubeflow.org:ml/llama').length, 1);
  });
  it('unrelated pod -> nothing', () => {
    const t = small();
    assert.deepEqual(
      applyChange(t, { type: 'added', object: pod('kube-proxy-x', { ns: 'kube-system' }) }),
      [],
    );
  });
  it('workload of a new kind -> ROOT; same kind -> its group', () => {
    const t = small();
    const rc = obj('ray.io/v1', 'RayCluster', 'rc', {}, { state: 'ready' });
    assert.ok(applyChange(t, { type: 'added', object: rc }).includes(ROOT));
    const llama2 = obj('kubeflow.org/v1', 'PyTorchJob', 'llama2', {}, {});
    assert.deepEqual(applyChange(t, { type: 'added', object: llama2 }), [
      kindGroupId('PyTorchJob.kubeflow.org'),
    ]);
    assert.equal(t.children(kindGroupId('PyTorchJob.kubeflow.org')).length, 2);
  });
  it('pods that arrive before their workload are adopted when it appears', () => {
    const t = buildWorkloadTree(snapshot([], []), { now: () => NOW });
    const lws = obj(
      'leaderworkerset.x-k8s.io/v1',
      'LeaderWorkerSet',
      'vllm',
      { replicas: 1, leaderWorkerTemplate: { size: 2 } },
      {},
    );
    const lp = pod('vllm-0', {
      labels: { 'leaderworkerset.sigs.k8s.io/name': 'vllm', 'leaderworkerset.sigs.k8s.io/worker-index': '0' },
    });
    assert.deepEqual(applyChange(t, { type: 'added', object: lp }), []);
    const ids = applyChange(t, { type: 'added', object: lws });
    assert.ok(ids.includes(ROOT));
    assert.equal(t.podsOf('w:LeaderWorkerSet.leaderworkerset.x-k8s.io:ml/vllm').length, 1);
  });
  it('RayJob gains status.rayClusterName -> cluster pods attach to it', () => {
    const rj = obj('ray.io/v1', 'RayJob', 'tune', {}, { jobDeploymentStatus: 'Initializing' });
    const head = pod('tune-rc-head-x', {
      labels: { 'ray.io/cluster': 'tune-rc', 'ray.io/node-type': 'head' },
    });
    const t = buildWorkloadTree(snapshot([rj], [head]), { now: () => NOW });
    const id = 'w:RayJob.ray.io:ml/tune';
    assert.equal(t.podsOf(id).length, 0);
    const rj2 = structuredClone(rj);
    rj2.status = { jobDeploymentStatus: 'Running', jobStatus: 'RUNNING', rayClusterName: 'tune-rc' };
    assert.ok(applyChange(t, { type: 'modified', object: rj2 }).includes(id));
    assert.equal(t.podsOf(id).length, 1);
  });
  it('owner arriving after its child hides the child and takes its pods', () => {
    const t = buildWorkloadTree(snapshot([ftJobSet], ftPods), { now: () => NOW });
    assert.equal(t.podsOf('w:JobSet.jobset.x-k8s.io:ml/ft').length, 2);
    const ids = applyChange(t, { type: 'added', object: ft });
    assert.ok(ids.includes(ROOT));
    assert.equal(t.podsOf('w:TrainJob.trainer.kubeflow.org:ml/ft').length, 2);
    assert.equal(t.node('w:JobSet.jobset.x-k8s.io:ml/ft'), undefined);
    // and deleting the owner shows the child again
    applyChange(t, { type: 'deleted', object: ft });
    assert.equal(t.podsOf('w:JobSet.jobset.x-k8s.io:ml/ft').length, 2);
    assert.deepEqual(
      t.children().map((g) => g.label),
      ['JobSet'],
    );
  });
  it('deleting the last workload of a kind -> ROOT', () => {
    const t = small();
    const ids = applyChange(t, { type: 'deleted', object: nb });
    assert.ok(ids.includes(ROOT));
    assert.ok(!t.children().some((g) => g.label === 'Notebook'));
  });
  it('warning event on a pod -> that pod and its workload', () => {
    const t = small();
    const ids = applyChange(t, {
      type: 'added',
      object: event(llamaPods[1], 'BackOff', 'Back-off restarting failed container'),
    });
    assert.deepEqual(ids.sort(), ['p:ml/llama-worker-0', 'w:PyTorchJob.kubeflow.org:ml/llama'].sort());
    const normal = event(llamaPods[1], 'Pulled', 'pulled', 'Normal');
    assert.deepEqual(applyChange(t, { type: 'added', object: normal }), []);
  });
});

describe('GpuTreeModel', () => {
  const nodes = fixtureNodes();
  it('models -> nodes -> pods holding GPUs with their workload', () => {
    const t = small();
    const g = buildGpuTree({ nodes, pods: llamaPods }, t.workloadRefOf);
    assert.deepEqual(
      g.children().map((m) => [m.label, m.description]),
      [
        ['AMD Instinct MI300X OAM', '8/8 free · 0 allocated · 1 node'],
        ['NVIDIA A100 PCIE 40GB', '5/5 free · 0 allocated · 2 nodes · 1g.5gb 14/14 free · 3g.20gb 2/2 free'],
        ['NVIDIA H100 80GB HBM3', '4/16 free · 12 allocated · 2 nodes'],
      ],
    );
    const h100 = g.children('m:NVIDIA H100 80GB HBM3');
    assert.deepEqual(
      h100.map((n) => [n.label, n.description]),
      [
        ['h100-node-0', 'gpu 4/8 free'],
        ['h100-node-1', 'gpu 0/8 free'],
      ],
    );
    assert.deepEqual(
      g.children('n:h100-node-1').map((p) => [p.label, p.description]),
      [
        ['ml/llama-worker-0', '4× nvidia.com/gpu · PyTorchJob llama'],
        ['ml/llama-worker-1', '4× nvidia.com/gpu · PyTorchJob llama'],
      ],
    );
    assert.deepEqual(g.summaryLines()[0], 'NVIDIA H100 80GB HBM3: 16 total, 12 allocated, 4 free');
  });
  it('pod and node changes report the node and its model group only', () => {
    const g = new GpuTreeModel(nodes, llamaPods);
    const done = structuredClone(llamaPods[1]);
    done.status.phase = 'Succeeded';
    assert.deepEqual(applyChange(g, { type: 'modified', object: done }).sort(), [
      'm:NVIDIA H100 80GB HBM3',
      'n:h100-node-1',
    ]);
    assert.equal(g.gpuNode('h100-node-1')!.resources[0].free, 4);
    // a no-op change reports nothing
    assert.deepEqual(applyChange(g, { type: 'modified', object: done }), []);
    const cordoned = structuredClone(nodes.find((n) => n.metadata.name === 'mi300x-node-0')!);
    cordoned.spec.unschedulable = true;
    assert.deepEqual(applyChange(g, { type: 'modified', object: cordoned }).sort(), [
      'm:AMD Instinct MI300X OAM',
      'n:mi300x-node-0',
    ]);
    assert.equal(g.children('m:AMD Instinct MI300X OAM')[0].contextValue, 'gantry.gpuNode.Cordoned');
  });
});

describe('scale sanity: 5,000 pods / 300 workloads / 500 nodes', () => {
  it('builds both trees and applies changes through the indexes', () => {
    const objects: KubeObject[] = [];
    const pods: KubeObject[] = [];
    const nodes: KubeObject[] = [];
    for (let n = 0; n < 500; n++) {
      nodes.push({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: `gpu-${n}`,
          labels: { 'nvidia.com/gpu.product': n % 2 ? 'NVIDIA-H100-80GB-HBM3' : 'NVIDIA-A100-SXM4-80GB' },
        },
        spec: {},
        status: {
          allocatable: { 'nvidia.com/gpu': '8' },
          capacity: { 'nvidia.com/gpu': '8' },
          conditions: [cond('Ready', 'True')],
        },
      });
    }
    let p = 0;
    for (let w = 0; w < 300; w++) {
      const ns = `team-${w % 10}`;
      const job = obj(
        'kubeflow.org/v1',
        'PyTorchJob',
        `job-${w}`,
        {},
        { conditions: [cond('Running', 'True')] },
        { namespace: ns },
      );
      objects.push(job);
      const count = w < 200 ? 17 : 16; // 200*17 + 100*16 = 5000
      for (let i = 0; i < count; i++, p++) {
        pods.push(
          pod(`job-${w}-worker-${i}`, {
            ns,
            labels: tl(`job-${w}`, i === 0 ? 'master' : 'worker', i),
            owners: [owner(job)],
            node: `gpu-${p % 500}`,
            gpus: 1,
          }),
        );
      }
    }
    assert.equal(pods.length, 5000);
    const snap = snapshot(objects, pods, [], nodes);
    const t = buildWorkloadTree(snap, { now: () => NOW });
    assert.deepEqual(t.size, { workloads: 300, shown: 300, pods: 5000 });
    const groups = t.children();
    assert.equal(t.children(groups[0].id).length, 300);
    const g = buildGpuTree(snap, t.workloadRefOf);
    assert.equal(
      g.pools().reduce((a, x) => a + x.allocated, 0),
      5000,
    );
    for (let i = 0; i < 200; i++) {
      const changed = structuredClone(pods[i * 25]);
      changed.status.phase = 'Succeeded';
      const ids = applyChange(t, { type: 'modified', object: changed });
      assert.ok(ids.length <= 3, `few ids per change: ${ids}`);
      applyChange(g, { type: 'modified', object: changed });
    }
    assert.equal(
      g.pools().reduce((a, x) => a + x.allocated, 0),
      4800,
    );
    assert.equal(
      kindKey({ group: 'kubeflow.org', kind: 'PyTorchJob' }),
      groups[0].id.slice('g:kind:'.length),
    );
  });
});
