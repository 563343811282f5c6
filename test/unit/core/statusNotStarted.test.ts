// A workload none of whose pods has started is Pending, Queued, Suspended or "admitted, not scheduled", never
// Running: one case per kind, objects shaped as each operator writes them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type KubeObject } from '../../../src/core/kube';
import { type Phase, statusLine, summarize } from '../../../src/core/status';
import { NOW, T0, cond, obj, owner, pod } from './builders';

/** kube-scheduler 1.36.3, the message (FitError + DynamicResources and DefaultPreemption PostFilter). */
const MSG_136 =
  '0/7 nodes are available: 1 node(s) had untolerated taint(s), 6 Insufficient nvidia.com/gpu. no new claims to deallocate, preemption: 0/7 nodes are available: 1 Preemption is not helpful for scheduling, 6 No preemption victims found for incoming pod.';
const HEADLINE = '0/7 nodes are available: 1 node(s) had untolerated taint(s), 6 Insufficient nvidia.com/gpu';

const pendingPod = (name: string, labels: Record<string, string>, owners?: ReturnType<typeof owner>[]) =>
  pod(name, {
    labels,
    owners,
    phase: 'Pending',
    gpus: 16,
    conditions: [cond('PodScheduled', 'False', 'Unschedulable', MSG_136)],
    containerStatuses: [],
  });

const job = (status: unknown, meta = {}) =>
  obj(
    'batch/v1',
    'Job',
    'big',
    {
      parallelism: 1,
      template: {
        spec: { containers: [{ name: 'm', resources: { limits: { 'nvidia.com/gpu': '16' } } }] },
      },
    },
    status,
    meta,
  );
const jobPod = () => pendingPod('big-x7k2p', { 'batch.kubernetes.io/job-name': 'big' });

const trainingLabels = {
  'training.kubeflow.org/job-name': 'llama',
  'training.kubeflow.org/replica-type': 'master',
};
const pytorch = (status: unknown, suspend = false) =>
  obj(
    'kubeflow.org/v1',
    'PyTorchJob',
    'llama',
    {
      ...(suspend ? { runPolicy: { suspend: true } } : {}),
      pytorchReplicaSpecs: {
        Master: { replicas: 1, template: { spec: { containers: [{ name: 'pytorch' }] } } },
      },
    },
    status,
  );

const kueueWorkload = (conds: unknown[], admission?: unknown) =>
  obj(
    'kueue.x-k8s.io/v1beta2',
    'Workload',
    'job-big-3f2a1',
    { queueName: 'team-a', podSets: [{ name: 'main', count: 1 }] },
    { conditions: conds, ...(admission ? { admission } : {}) },
  );

interface Case {
  name: string;
  workload: KubeObject;
  pods?: KubeObject[];
  workloads?: KubeObject[];
  phase: Phase;
  line: string;
}

const queuedJob = job({}, { labels: { 'kueue.x-k8s.io/queue-name': 'team-a' } });
queuedJob.spec.suspend = true;

const cases: Case[] = [
  {
    name: 'Job whose only pod is unschedulable (active 1, startTime set): Pending with the whole first sentence',
    workload: job({ active: 1, ready: 0, startTime: T0, uncountedTerminatedPods: {} }),
    pods: [jobPod()],
    phase: 'Pending',
    line: `Pending: ${HEADLINE}`,
  },
  {
    name: 'Job active with no pod seen yet and none ready',
    workload: job({ active: 1, ready: 0, startTime: T0 }),
    phase: 'Pending',
    line: 'Pending',
  },
  {
    name: 'Job with one running and one pending pod is Running',
    workload: job({ active: 2, ready: 1, startTime: T0 }),
    pods: [
      pod('big-a', { labels: { 'batch.kubernetes.io/job-name': 'big' }, node: 'h100-node-0' }),
      jobPod(),
    ],
    phase: 'Running',
    // one pod runs; the waiting one still explains itself
    line: `Running: ${HEADLINE}`,
  },
  {
    name: 'CronJob whose active run has not started',
    workload: obj(
      'batch/v1',
      'CronJob',
      'nightly',
      { schedule: '0 2 * * *', jobTemplate: { spec: {} } },
      { active: [{ kind: 'Job', name: 'nightly-29400000' }], lastScheduleTime: T0 },
    ),
    pods: [pendingPod('nightly-29400000-abcde', { 'batch.kubernetes.io/job-name': 'nightly-29400000' })],
    phase: 'Pending',
    line: `Pending: ${HEADLINE}`,
  },
  {
    name: 'PyTorchJob Running condition but no replica active and no pod seen',
    workload: pytorch({
      conditions: [
        cond('Created', 'True', 'PyTorchJobCreated'),
        cond('Running', 'True', 'PyTorchJobRunning'),
      ],
      replicaStatuses: { Master: { active: 0 } },
    }),
    phase: 'Pending',
    line: 'Pending',
  },
  {
    name: 'PyTorchJob Running condition with its master pod unschedulable',
    workload: pytorch({
      conditions: [
        cond('Created', 'True', 'PyTorchJobCreated'),
        cond('Running', 'True', 'PyTorchJobRunning'),
      ],
      replicaStatuses: { Master: { active: 0 } },
    }),
    pods: [pendingPod('llama-master-0', trainingLabels)],
    phase: 'Pending',
    line: `Pending: ${HEADLINE}`,
  },
  {
    name: 'PyTorchJob suspended by runPolicy.suspend',
    workload: pytorch(
      { conditions: [cond('Suspended', 'True', 'PyTorchJobSuspended', 'PyTorchJob llama is suspended.')] },
      true,
    ),
    phase: 'Suspended',
    line: 'Suspended: Suspended',
  },
  {
    name: 'JobSet whose child Jobs are active but none ready, no pod seen',
    workload: obj(
      'jobset.x-k8s.io/v1alpha2',
      'JobSet',
      'tpu',
      { replicatedJobs: [{ name: 'workers', replicas: 2, template: { spec: { parallelism: 1 } } }] },
      {
        replicatedJobsStatus: [
          { name: 'workers', active: 2, ready: 0, succeeded: 0, failed: 0, suspended: 0 },
        ],
      },
    ),
    phase: 'Pending',
    line: 'Pending',
  },
  {
    name: 'TrainJob whose child Job is active but its pod unschedulable',
    workload: obj(
      'trainer.kubeflow.org/v1alpha1',
      'TrainJob',
      'ft',
      { runtimeRef: { name: 'torch-distributed' } },
      { jobsStatus: [{ name: 'node', active: 1, ready: 0, succeeded: 0, failed: 0, suspended: 0 }] },
    ),
    pods: [pendingPod('ft-node-0-0-abcde', { 'jobset.sigs.k8s.io/jobset-name': 'ft' })],
    phase: 'Pending',
    line: `Pending: ${HEADLINE}`,
  },
  {
    name: 'Argo Workflow Running while its step pod waits',
    workload: obj(
      'argoproj.io/v1alpha1',
      'Workflow',
      'etl',
      {},
      { phase: 'Running', progress: '0/1', startedAt: T0 },
    ),
    pods: [pendingPod('etl-1234', { 'workflows.argoproj.io/workflow': 'etl' })],
    phase: 'Pending',
    line: `Pending: ${HEADLINE}`,
  },
  {
    name: 'Kueue Workload admitted with PodsReady=False',
    workload: kueueWorkload(
      [
        cond('QuotaReserved', 'True', 'QuotaReserved', 'Quota reserved in ClusterQueue team-a-cq'),
        cond('Admitted', 'True', 'Admitted', 'The workload is admitted'),
        cond('PodsReady', 'False', 'WaitForStart', 'Not all pods are ready or succeeded'),
      ],
      { clusterQueue: 'team-a-cq', podSetAssignments: [] },
    ),
    phase: 'Pending',
    line: 'Pending: admitted by team-a-cq, pods not ready',
  },
  {
    name: 'Job admitted by Kueue whose pod has no scheduler verdict yet: admitted, not scheduled',
    workload: job(
      { active: 1, ready: 0, startTime: T0 },
      { labels: { 'kueue.x-k8s.io/queue-name': 'team-a' } },
    ),
    pods: [
      pod('big-x7k2p', {
        labels: { 'batch.kubernetes.io/job-name': 'big' },
        phase: 'Pending',
        conditions: [],
        containerStatuses: [],
      }),
    ],
    workloads: [
      kueueWorkload([cond('QuotaReserved', 'True', 'QuotaReserved'), cond('Admitted', 'True', 'Admitted')], {
        clusterQueue: 'team-a-cq',
      }),
    ],
    phase: 'Pending',
    line: 'Pending: admitted by team-a-cq, not scheduled',
  },
  {
    name: 'Job held by Kueue (suspended, no quota yet): Queued',
    workload: queuedJob,
    workloads: [
      kueueWorkload([
        cond(
          'QuotaReserved',
          'False',
          'Pending',
          "couldn't assign flavors to pod set main: insufficient unused quota for nvidia.com/gpu in flavor h100, 16 more needed",
        ),
      ]),
    ],
    phase: 'Queued',
    line: 'Queued in team-a (Kueue): Pending',
  },
  {
    name: 'Volcano Job Pending',
    workload: obj(
      'batch.volcano.sh/v1alpha1',
      'Job',
      'vj',
      { minAvailable: 2, tasks: [] },
      { state: { phase: 'Pending' } },
    ),
    phase: 'Pending',
    line: 'Pending',
  },
  {
    name: 'RayJob waiting for its cluster',
    workload: obj(
      'ray.io/v1',
      'RayJob',
      'rj',
      { entrypoint: 'python t.py' },
      { jobDeploymentStatus: 'Initializing', jobStatus: '' },
    ),
    phase: 'Pending',
    line: 'Pending: Initializing Ray cluster',
  },
];

describe('summaries of workloads none of whose pods has started', () => {
  for (const c of cases) {
    it(c.name, () => {
      const s = summarize(c.workload, { pods: c.pods ?? [], workloads: c.workloads, now: NOW });
      assert.equal(s.phase, c.phase);
      const line = statusLine(s);
      assert.equal(line, c.line);
      assert.ok(!/[,:]$|preemption|deallocate/.test(line), line);
    });
  }

  it('the Kueue-owned Workload is linked by owner, as Kueue writes it', () => {
    const j = job({ active: 1, ready: 0, startTime: T0 });
    const wl = kueueWorkload([cond('Admitted', 'True', 'Admitted')], { clusterQueue: 'cq' });
    wl.metadata.ownerReferences = [owner(j)];
    const s = summarize(j, { pods: [jobPod()], workloads: [wl], now: NOW });
    assert.equal(s.phase, 'Pending');
    assert.equal(s.reason, HEADLINE);
    assert.match(s.message ?? '', /admitted by cq/);
  });
});
