import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type KubeObject } from '../../../src/core/kube';
import { summarize } from '../../../src/core/status';
import {
  type KueueFacts,
  type WhyInput,
  ordinal,
  shortModel,
  whyMarkdown,
  whyNotRunning,
} from '../../../src/core/whyNotRunning';
import { NOW, T0, cond, event, fixtureNodes, obj, owner, pod } from './builders';

// Scheduler messages as kube-scheduler 1.36.3 and 1.33.5 write them (see test/fixtures/scheduler/messages.yaml).
const MSG_16 =
  '0/7 nodes are available: 1 node(s) had untolerated taint(s), 6 Insufficient nvidia.com/gpu. no new claims to deallocate, preemption: 0/7 nodes are available: 1 Preemption is not helpful for scheduling, 6 No preemption victims found for incoming pod.';
const MSG_AMD_TAINT =
  '0/7 nodes are available: 1 node(s) had untolerated taint {amd.com/gpu: present}, 6 Insufficient amd.com/gpu. preemption: 0/7 nodes are available: 7 Preemption is not helpful for scheduling.';
const MSG_SELECTOR =
  "0/7 nodes are available: 7 node(s) didn't match Pod's node affinity/selector. no new claims to deallocate, preemption: 0/7 nodes are available: 7 Preemption is not helpful for scheduling.";
const MSG_FRAGMENTED =
  "0/7 nodes are available: 3 Insufficient nvidia.com/gpu, 4 node(s) didn't match Pod's node affinity/selector. no new claims to deallocate, preemption: 0/7 nodes are available: 3 No preemption victims found for incoming pod, 4 Preemption is not helpful for scheduling.";
const MSG_PVC =
  '0/7 nodes are available: persistentvolumeclaim "checkpoints" not found. preemption: 0/7 nodes are available: 7 Preemption is not helpful for scheduling.';

const NV_TOL = [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }];

function unschedulable(
  name: string,
  message: string,
  spec: Record<string, unknown>,
  labels: Record<string, string>,
) {
  return pod(name, {
    labels,
    phase: 'Pending',
    spec,
    conditions: [cond('PodScheduled', 'False', 'Unschedulable', message)],
    containerStatuses: [],
  });
}

const gpuContainer = (resource: string, n: number) => [
  { name: 'main', image: 'train:1', resources: { limits: { [resource]: String(n) } } },
];

function batchJob(name: string, podSpec: Record<string, unknown>, meta = {}, suspend = false) {
  return obj(
    'batch/v1',
    'Job',
    name,
    { ...(suspend ? { suspend: true } : {}), template: { spec: podSpec } },
    suspend ? {} : { active: 1, ready: 0, startTime: T0 },
    meta,
  );
}

function why(input: Omit<WhyInput, 'summary'> & { workloads?: KubeObject[] }) {
  const summary = summarize(input.workload, {
    pods: [...input.pods],
    events: input.events ? [...input.events] : [],
    workloads: input.workloads ?? (input.kueue?.workload ? [input.kueue.workload] : []),
    now: NOW,
  });
  return whyNotRunning({ nodes: fixtureNodes(), ...input, summary });
}

describe('whyNotRunning: the scheduler restated against the GPU pool', () => {
  it('a Job asking for 16 GPUs in one pod', () => {
    const spec = { containers: gpuContainer('nvidia.com/gpu', 16), tolerations: NV_TOL };
    const p = unschedulable('big-x7k2p', MSG_16, spec, { 'batch.kubernetes.io/job-name': 'big' });
    const w = why({ workload: batchJob('big', spec), pods: [p] });
    assert.equal(w.applies, true);
    assert.equal(w.headline, 'Pending: needs 16 GPUs in one pod, nodes have at most 8');
    assert.equal(w.causes[0].text, 'a pod asks for 16 nvidia.com/gpu; the largest node has 8 (H100 80GB)');
    assert.deepEqual(w.fixes[0], {
      kind: 'setGpusPerPod',
      title: 'Ask for 8 nvidia.com/gpu per pod (the node size)',
      resource: 'nvidia.com/gpu',
      from: 16,
      to: 8,
    });
    assert.equal(w.scheduler[0].message, MSG_16);
  });

  it('a pod without the toleration for the AMD node', () => {
    const spec = { containers: gpuContainer('amd.com/gpu', 1) };
    const p = unschedulable('rocm-abcde', MSG_AMD_TAINT, spec, { 'batch.kubernetes.io/job-name': 'rocm' });
    const w = why({ workload: batchJob('rocm', spec), pods: [p] });
    assert.equal(
      w.causes[0].text,
      'the MI300X node is tainted amd.com/gpu=present:NoSchedule and the pod does not tolerate it',
    );
    assert.equal(w.headline, 'Pending: the MI300X node is tainted amd.com/gpu; the pod does not tolerate it');
    assert.deepEqual(w.fixes, [
      {
        kind: 'addToleration',
        title: 'Add the toleration amd.com/gpu=present:NoSchedule',
        toleration: { key: 'amd.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
      },
    ]);
  });

  it('GPUs free but fragmented over nodes', () => {
    // three H100 nodes with 4 of 8 GPUs held by other pods
    const nodes = [0, 1, 2].map((i) => {
      const n = structuredClone(fixtureNodes().find((x) => x.metadata.name === 'h100-node-0')!);
      n.metadata.name = `h100-node-${i}`;
      return n;
    });
    const fillers = nodes.map((n, i) =>
      pod(`filler-${i}`, { node: n.metadata.name, gpus: 4, spec: { tolerations: NV_TOL } }),
    );
    const spec = {
      containers: gpuContainer('nvidia.com/gpu', 8),
      tolerations: NV_TOL,
      nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' },
    };
    const labels = {
      'training.kubeflow.org/job-name': 'llama',
      'training.kubeflow.org/replica-type': 'worker',
      'training.kubeflow.org/replica-index': '0',
    };
    const p = unschedulable('llama-worker-0', MSG_FRAGMENTED, spec, labels);
    const job = obj(
      'kubeflow.org/v1',
      'PyTorchJob',
      'llama',
      {
        pytorchReplicaSpecs: { Worker: { replicas: 1, template: { spec } } },
      },
      { conditions: [cond('Created', 'True', 'PyTorchJobCreated')] },
    );
    const w = why({
      workload: job,
      pods: [p],
      nodes: [...nodes, ...fixtureNodes().slice(3)],
      allPods: [p, ...fillers],
    });
    assert.equal(
      w.causes[0].text,
      '12 H100 80GB are free but spread over 3 nodes (4+4+4); each worker needs 8 on one node',
    );
    assert.equal(w.headline, 'Pending: needs 8 GPUs on one node; 12 free but spread 4+4+4');
    assert.deepEqual(w.fixes, []);
  });

  it('GPUs simply in use: waiting, with the free count', () => {
    const nodes = fixtureNodes();
    const fillers = ['h100-node-0', 'h100-node-1'].map((n, i) =>
      pod(`filler-${i}`, { node: n, gpus: 6 + 2 * i, spec: { tolerations: NV_TOL } }),
    );
    const spec = {
      containers: gpuContainer('nvidia.com/gpu', 4),
      tolerations: NV_TOL,
      nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' },
    };
    const p = unschedulable('small-abcde', MSG_FRAGMENTED, spec, { 'batch.kubernetes.io/job-name': 'small' });
    const w = why({ workload: batchJob('small', spec), pods: [p], nodes, allPods: [p, ...fillers] });
    assert.equal(w.headline, 'Pending: waiting for 4 free H100 80GB GPUs on one node (2 of 16 free)');
  });

  it('a node selector no node matches, with the values nodes have', () => {
    const spec = {
      containers: gpuContainer('nvidia.com/gpu', 1),
      tolerations: NV_TOL,
      nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-H200' },
    };
    const p = unschedulable('sel-abcde', MSG_SELECTOR, spec, { 'batch.kubernetes.io/job-name': 'sel' });
    const w = why({ workload: batchJob('sel', spec), pods: [p] });
    assert.equal(w.headline, 'Pending: no node has nvidia.com/gpu.product=NVIDIA-H200');
    assert.equal(
      w.causes[0].text,
      "the pod's nodeSelector nvidia.com/gpu.product=NVIDIA-H200 matches no node (nodes have NVIDIA-A100-PCIE-40GB, NVIDIA-H100-80GB-HBM3)",
    );
    assert.deepEqual(w.fixes[0], {
      kind: 'setNodeSelector',
      title: 'Choose a nvidia.com/gpu.product that exists',
      key: 'nvidia.com/gpu.product',
      from: 'NVIDIA-H200',
      choices: ['NVIDIA-A100-PCIE-40GB', 'NVIDIA-H100-80GB-HBM3'],
    });
  });

  it('a PersistentVolumeClaim that does not exist', () => {
    const spec = { containers: gpuContainer('nvidia.com/gpu', 1), tolerations: NV_TOL };
    const p = unschedulable('ckpt-abcde', MSG_PVC, spec, { 'batch.kubernetes.io/job-name': 'ckpt' });
    const w = why({ workload: batchJob('ckpt', spec), pods: [p] });
    assert.equal(w.headline, 'Pending: PersistentVolumeClaim checkpoints does not exist');
  });

  it('a running workload has nothing to explain', () => {
    const spec = { containers: gpuContainer('nvidia.com/gpu', 1), tolerations: NV_TOL };
    const p = pod('ok-abcde', {
      node: 'h100-node-0',
      gpus: 1,
      labels: { 'batch.kubernetes.io/job-name': 'ok' },
    });
    const w = why({ workload: batchJob('ok', spec), pods: [p] });
    assert.equal(w.applies, false);
    assert.equal(w.phase, 'Running');
  });
});

describe('whyNotRunning: operators', () => {
  it('a suspended PyTorchJob (runPolicy.suspend)', () => {
    const job = obj(
      'kubeflow.org/v1',
      'PyTorchJob',
      'paused',
      {
        runPolicy: { suspend: true },
        pytorchReplicaSpecs: {
          Master: { replicas: 1, template: { spec: { containers: gpuContainer('nvidia.com/gpu', 8) } } },
        },
      },
      { conditions: [cond('Suspended', 'True', 'PyTorchJobSuspended', 'PyTorchJob paused is suspended.')] },
    );
    const w = why({ workload: job, pods: [] });
    assert.equal(w.headline, 'Suspended: suspended (runPolicy.suspend: true)');
    assert.deepEqual(w.fixes, [
      {
        kind: 'unsuspend',
        title: 'Resume: set runPolicy.suspend to false',
        path: ['spec', 'runPolicy', 'suspend'],
      },
    ]);
  });

  it('a RayJob waiting for its cluster whose head pod is not ready', () => {
    const rj = obj(
      'ray.io/v1',
      'RayJob',
      'rj',
      { entrypoint: 'python t.py' },
      {
        jobDeploymentStatus: 'Initializing',
        rayClusterName: 'rj-raycluster-x2k9f',
      },
    );
    const rc = obj(
      'ray.io/v1',
      'RayCluster',
      'rj-raycluster-x2k9f',
      {},
      {
        state: '',
        conditions: [cond('HeadPodReady', 'False', 'HeadPodNotFound')],
      },
    );
    const w = why({ workload: rj, pods: [], related: [rc] });
    assert.equal(w.headline, 'Pending: waiting for its Ray cluster rj-raycluster-x2k9f');
    assert.match(w.causes[0].text, /head pod is not ready \(HeadPodNotFound\)/);
  });

  it('a TrainJob whose runtime does not exist', () => {
    const tj = obj('trainer.kubeflow.org/v1alpha1', 'TrainJob', 'ft', {
      runtimeRef: {
        name: 'torch-distributed-h200',
        apiGroup: 'trainer.kubeflow.org',
        kind: 'ClusterTrainingRuntime',
      },
    });
    const rt = obj(
      'trainer.kubeflow.org/v1alpha1',
      'ClusterTrainingRuntime',
      'torch-distributed',
      {},
      undefined,
      {
        namespace: undefined,
      },
    );
    const w = why({ workload: tj, pods: [], related: [rt], runtimesListed: true });
    assert.equal(
      w.headline,
      'Pending: its runtime ClusterTrainingRuntime torch-distributed-h200 does not exist',
    );
  });

  it('a Volcano gang short of its min members', () => {
    const vj = obj(
      'batch.volcano.sh/v1alpha1',
      'Job',
      'gang',
      { minAvailable: 4, tasks: [] },
      { state: { phase: 'Pending' } },
    );
    const pg = obj(
      'scheduling.volcano.sh/v1beta1',
      'PodGroup',
      'gang-3f2a1',
      { minMember: 4 },
      {
        phase: 'Inqueue',
        running: 1,
        conditions: [
          cond(
            'Unschedulable',
            'True',
            'NotEnoughResources',
            '3/4 tasks in gang unschedulable: pod group is not ready, 1 Running, 4 minAvailable',
          ),
        ],
      },
    );
    const w = why({ workload: vj, pods: [], related: [pg] });
    assert.equal(w.headline, 'Pending: waiting for a gang of 4 pods (1 placed)');
    assert.match(
      w.causes[0].text,
      /needs 4 pods placed at once \(minMember\); 1 are, phase Inqueue: 3\/4 tasks/,
    );
  });
});

describe('whyNotRunning: Kueue', () => {
  const flavor = obj(
    'kueue.x-k8s.io/v1beta2',
    'ResourceFlavor',
    'h100',
    {
      nodeLabels: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' },
    },
    undefined,
    { namespace: undefined },
  );
  const cq = (name: string, nominal: number, used: number, borrowed = 0) =>
    obj(
      'kueue.x-k8s.io/v1beta2',
      'ClusterQueue',
      name,
      {
        cohortName: 'gpu-pool',
        resourceGroups: [
          {
            coveredResources: ['nvidia.com/gpu'],
            flavors: [{ name: 'h100', resources: [{ name: 'nvidia.com/gpu', nominalQuota: nominal }] }],
          },
        ],
      },
      {
        conditions: [cond('Active', 'True', 'Ready', 'Can admit new workloads')],
        flavorsUsage: [
          {
            name: 'h100',
            resources: [{ name: 'nvidia.com/gpu', total: String(used), borrowed: String(borrowed) }],
          },
        ],
      },
      { namespace: undefined },
    );
  const lq = (name: string, cqName: string) =>
    obj('kueue.x-k8s.io/v1beta2', 'LocalQueue', name, { clusterQueue: cqName }, {});

  const job = batchJob(
    'queued',
    { containers: gpuContainer('nvidia.com/gpu', 8), tolerations: NV_TOL },
    { labels: { 'kueue.x-k8s.io/queue-name': 'team-a-queue' } },
    true,
  );
  const workload = (conds: unknown[]) =>
    obj(
      'kueue.x-k8s.io/v1beta2',
      'Workload',
      'job-queued-3f2a1',
      {
        queueName: 'team-a-queue',
        podSets: [
          { name: 'main', count: 2, template: { spec: { containers: gpuContainer('nvidia.com/gpu', 8) } } },
        ],
      },
      { conditions: conds },
      { ownerReferences: [owner(job)] },
    );
  const pending = workload([
    cond(
      'QuotaReserved',
      'False',
      'Pending',
      "couldn't assign flavors to pod set main: insufficient unused quota for nvidia.com/gpu in flavor h100, 16 more needed",
    ),
  ]);
  const facts = (extra: Partial<KueueFacts> = {}): KueueFacts => ({
    workload: pending,
    clusterQueues: [cq('team-a-cq', 32, 32), cq('team-b-cq', 16, 32, 16), cq('team-c-cq', 32, 8)],
    localQueues: [lq('team-a-queue', 'team-a-cq'), lq('team-c-queue', 'team-c-cq')],
    resourceFlavors: [flavor],
    position: {
      localQueue: 'team-a-queue',
      clusterQueue: 'team-a-cq',
      positionInLocalQueue: 3,
      positionInClusterQueue: 5,
    },
    ...extra,
  });

  it('a queued job: its position, who borrows the quota, and a queue that has room', () => {
    const w = why({ workload: job, pods: [], kueue: facts() });
    assert.equal(w.phase, 'Queued');
    assert.equal(w.headline, 'Queued: 3rd in team-a-queue; 16 of 32 H100 80GB borrowed by team-b-cq');
    assert.match(
      w.causes[0].text,
      /^Kueue has not admitted it: couldn't assign flavors .* 16 more needed; 5th in the ClusterQueue team-a-cq$/,
    );
    assert.ok(
      w.causes.some(
        (c) => c.text === 'quota: team-a-cq uses 32 of 32 H100 80GB (flavor h100, nvidia.com/gpu)',
      ),
    );
    assert.deepEqual(w.fixes, [
      {
        kind: 'setQueue',
        title: 'Use the queue team-c-queue (team-c-cq has 16 nvidia.com/gpu free)',
        queue: 'team-c-queue',
      },
    ]);
    // the job is not suspended by the user: no "unsuspend" fix while Kueue holds it
    assert.ok(!w.fixes.some((f) => f.kind === 'unsuspend'));
  });

  it('without the visibility API: the quota in use instead of a position', () => {
    const w = why({
      workload: job,
      pods: [],
      kueue: facts({
        position: undefined,
        clusterQueues: [cq('team-a-cq', 32, 24)],
        localQueues: [lq('team-a-queue', 'team-a-cq')],
      }),
    });
    assert.equal(w.headline, 'Queued: team-a-cq has 24 of 32 H100 80GB in use');
  });

  it('a LocalQueue that does not exist', () => {
    const w = why({
      workload: job,
      pods: [],
      kueue: facts({ localQueues: [lq('team-c-queue', 'team-c-cq')] }),
    });
    assert.equal(w.headline, 'Queued: LocalQueue team-a-queue does not exist');
    assert.deepEqual(w.fixes[0], {
      kind: 'setQueue',
      title: 'Use the queue team-c-queue',
      queue: 'team-c-queue',
    });
  });

  it('a workload larger than its ClusterQueue can ever hold', () => {
    const small = cq('team-a-cq', 8, 0);
    small.spec.cohortName = undefined;
    const w = why({ workload: job, pods: [], kueue: facts({ clusterQueues: [small], position: undefined }) });
    assert.equal(w.headline, 'Queued: asks for 16 GPUs, more than team-a-cq can hold (8)');
  });

  it('evicted and preempted workloads say so', () => {
    const ev = workload([
      cond('QuotaReserved', 'False', 'Pending', 'Preempted'),
      cond(
        'Evicted',
        'True',
        'Preempted',
        'Preempted to accommodate a workload (UID: 1) due to prioritization in the ClusterQueue',
      ),
      cond(
        'Preempted',
        'True',
        'InClusterQueue',
        'Preempted to accommodate a workload (UID: 1) due to prioritization in the ClusterQueue',
      ),
    ]);
    const w = why({ workload: job, pods: [], kueue: facts({ workload: ev }) });
    assert.ok(
      w.causes.some((c) => c.text.startsWith('Kueue evicted it: Preempted (Preempted to accommodate')),
    );
    assert.ok(w.causes.some((c) => c.text.startsWith('Kueue preempted it: InClusterQueue')));
  });
});

describe('whyMarkdown and helpers', () => {
  it('lists causes, fixes, the scheduler verdict and the raw events, escaped', () => {
    const spec = { containers: gpuContainer('nvidia.com/gpu', 16), tolerations: NV_TOL };
    const p = unschedulable('big-x7k2p', MSG_16, spec, { 'batch.kubernetes.io/job-name': 'big' });
    const j = batchJob('big', spec);
    const evs = [
      event(p, 'FailedScheduling', MSG_16),
      event(j, 'SuccessfulCreate', 'Created pod: big-x7k2p', 'Normal'),
    ];
    const w = why({ workload: j, pods: [p], events: evs });
    const md = whyMarkdown(j, w, evs, { label: 'jobs/big.yaml', link: 'file:///ws/jobs/big.yaml#L3' });
    assert.match(md, /^# Why isn't Job ml\/big running\?/);
    assert.match(md, /\*\*Pending: needs 16 GPUs in one pod, nodes have at most 8\*\*/);
    assert.match(md, /- \*\*Scheduler:\*\* a pod asks for 16 nvidia.com/);
    assert.match(md, /## Fix\n\n- Ask for 8 nvidia.com/);
    assert.match(md, /Manifest: \[jobs\/big.yaml\]\(file:\/\/\/ws\/jobs\/big.yaml#L3\)/);
    assert.match(md, /\| Warning \| FailedScheduling \| Pod\/big-x7k2p \| 0\/7 nodes are available/);
    assert.match(md, /\| Normal \| SuccessfulCreate \| Job\/big \|/);
  });

  it('ordinal and shortModel', () => {
    assert.deepEqual([1, 2, 3, 4, 11, 12, 13, 21, 22, 103].map(ordinal), [
      '1st',
      '2nd',
      '3rd',
      '4th',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '103rd',
    ]);
    assert.equal(shortModel('NVIDIA H100 80GB HBM3'), 'H100 80GB');
    assert.equal(shortModel('AMD Instinct MI300X OAM'), 'MI300X');
    assert.equal(shortModel('NVIDIA A100 PCIE 40GB'), 'A100 40GB');
    assert.equal(shortModel('Some Future GPU'), 'Some Future GPU');
  });
});
