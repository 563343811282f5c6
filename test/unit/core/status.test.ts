import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type KubeObject } from '../../../src/core/kube';
import {
  type SummaryContext,
  type WorkloadSummary,
  formatAge,
  groupPodsByRole,
  podSummary,
  shortSchedulerMessage,
  statusLine,
  summarize,
  tooltipMarkdown,
} from '../../../src/core/status';
import { findKindDef } from '../../../src/core/kinds';
import { NOW, T0, SCHED_MSG, cond, event, obj, owner, pod, unschedulablePod } from './builders';

const gpuTemplate = (gpus: number, product?: string) => ({
  spec: {
    ...(product ? { nodeSelector: { 'nvidia.com/gpu.product': product } } : {}),
    containers: [
      { name: 'pytorch', image: 'train:1', resources: { limits: { 'nvidia.com/gpu': String(gpus) } } },
    ],
  },
});

/** Replica specs with an explicit restartPolicy (the operator defaults it to OnFailure). */
const replicaSpecs = (restartPolicy: string) => ({
  pytorchReplicaSpecs: {
    Master: { replicas: 1, restartPolicy, template: gpuTemplate(8, 'NVIDIA-H100-80GB-HBM3') },
    Worker: { replicas: 3, restartPolicy, template: gpuTemplate(8, 'NVIDIA-H100-80GB-HBM3') },
  },
});

function pytorchJob(status?: unknown, extra: Record<string, unknown> = {}, meta = {}) {
  return obj(
    'kubeflow.org/v1',
    'PyTorchJob',
    'llama',
    {
      pytorchReplicaSpecs: {
        Master: { replicas: 1, template: gpuTemplate(8, 'NVIDIA-H100-80GB-HBM3') },
        Worker: { replicas: 3, template: gpuTemplate(8, 'NVIDIA-H100-80GB-HBM3') },
      },
      ...extra,
    },
    status,
    meta,
  );
}

const tlabels = (type: string, i: number) => ({
  'training.kubeflow.org/job-name': 'llama',
  'training.kubeflow.org/operator-name': 'pytorchjob-controller',
  'training.kubeflow.org/replica-type': type,
  'training.kubeflow.org/replica-index': String(i),
});

const runningPods = () => [
  pod('llama-master-0', { labels: tlabels('master', 0), node: 'h100-node-0', gpus: 8 }),
  pod('llama-worker-0', { labels: tlabels('worker', 0), node: 'h100-node-1', gpus: 8 }),
  pod('llama-worker-1', { labels: tlabels('worker', 1), node: 'h100-node-0', gpus: 8 }),
  pod('llama-worker-2', { labels: tlabels('worker', 2), node: 'h100-node-1', gpus: 8 }),
];

const oomWorker2 = pod('llama-worker-2', {
  labels: tlabels('worker', 2),
  node: 'h100-node-1',
  phase: 'Failed',
  ready: false,
  containerStatuses: [
    {
      name: 'pytorch',
      ready: false,
      restartCount: 0,
      state: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
    },
  ],
});

/** worker-2 after the kubelet restarted its OOMKilled container in place (restartPolicy OnFailure). */
const restartedWorker2 = (finishedAt: string, running = true) =>
  pod('llama-worker-2', {
    labels: tlabels('worker', 2),
    node: 'h100-node-1',
    ready: running,
    containerStatuses: [
      {
        name: 'pytorch',
        ready: running,
        restartCount: 1,
        state: running
          ? { running: { startedAt: finishedAt } }
          : { waiting: { reason: 'ContainerCreating' } },
        lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt } },
      },
    ],
  });
const MINUTE_AGO = new Date(NOW - 60_000).toISOString();
const HOURS_AGO = new Date(NOW - 3 * 3600_000).toISOString();

const crashWorker1 = pod('llama-worker-1', {
  labels: tlabels('worker', 1),
  node: 'h100-node-0',
  ready: false,
  containerStatuses: [
    {
      name: 'pytorch',
      ready: false,
      restartCount: 5,
      state: {
        waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' },
      },
      lastState: { terminated: { exitCode: 1, reason: 'Error' } },
    },
  ],
});

interface Case {
  name: string;
  workload: KubeObject;
  ctx?: Partial<SummaryContext>;
  want: Partial<WorkloadSummary>;
  line?: string;
}

const kueueWl = (conds: unknown[], extra: Record<string, unknown> = {}, ownerOf?: KubeObject) =>
  obj(
    'kueue.x-k8s.io/v1beta2',
    'Workload',
    'pytorchjob-llama-3f2a1',
    { queueName: 'team-a', podSets: [{ name: 'master', count: 1 }], ...extra },
    { conditions: conds },
    ownerOf ? { ownerReferences: [owner(ownerOf)] } : {},
  );

const cases: Case[] = [
  // --- training operator v1 ---
  {
    name: 'PyTorchJob with no status yet',
    workload: pytorchJob(undefined),
    want: { phase: 'Pending', reason: 'No status yet', ready: 0, total: 4 },
  },
  {
    name: 'PyTorchJob running, requested GPUs from replica specs with the pinned model',
    workload: pytorchJob({
      conditions: [
        cond('Created', 'True', 'PyTorchJobCreated', 'PyTorchJob llama is created.'),
        cond('Running', 'True', 'PyTorchJobRunning', 'PyTorchJob ml/llama is running.'),
      ],
      replicaStatuses: { Master: { active: 1 }, Worker: { active: 3 } },
    }),
    ctx: { pods: runningPods() },
    want: {
      phase: 'Running',
      ready: 4,
      total: 4,
      restarts: 0,
      gpus: [{ resource: 'nvidia.com/gpu', count: 32, model: 'NVIDIA H100 80GB HBM3' }],
      age: '60m', // kubectl shows minutes up to 3h
    },
    line: 'Running',
  },
  {
    // training-operator v1.9 pkg/controller.v1/common/pod.go: a Failed pod fails the job only under Never (or
    // ExitCode with a non-retryable code); pytorchjob_controller.go UpdateJobStatus writes this message.
    name: 'PyTorchJob failed (restartPolicy Never): generic operator reason replaced by the OOMKilled pod',
    workload: pytorchJob(
      {
        conditions: [
          cond('Created', 'True', 'PyTorchJobCreated'),
          cond('Running', 'False', 'PyTorchJobRunning'),
          cond(
            'Failed',
            'True',
            'PyTorchJobFailed',
            'PyTorchJob llama is failed because 1 Worker replica(s) failed.',
          ),
        ],
      },
      replicaSpecs('Never'),
    ),
    ctx: { pods: [...runningPods().slice(0, 3), oomWorker2] },
    want: { phase: 'Failed', reason: 'OOMKilled in worker-2' },
    line: 'Failed: OOMKilled in worker-2',
  },
  {
    name: 'PyTorchJob running with a crash-looping worker',
    workload: pytorchJob({ conditions: [cond('Running', 'True', 'PyTorchJobRunning')] }),
    ctx: { pods: [runningPods()[0], runningPods()[1], crashWorker1, runningPods()[3]] },
    want: {
      phase: 'Running',
      reason: 'CrashLoopBackOff in worker-1 (5 restarts, exit 1)',
      restarts: 5,
      ready: 3,
    },
  },
  {
    // The common case: default OnFailure, worker-2 OOMKilled a minute ago and the kubelet restarted it in place.
    name: 'PyTorchJob (OnFailure) with a worker OOMKilled and restarted a minute ago: Restarting, not Failed',
    workload: pytorchJob(
      {
        conditions: [
          cond('Created', 'True', 'PyTorchJobCreated'),
          cond('Running', 'True', 'PyTorchJobRunning', 'PyTorchJob llama is running.'),
        ],
        replicaStatuses: { Master: { active: 1 }, Worker: { active: 3 } },
      },
      replicaSpecs('OnFailure'),
    ),
    ctx: { pods: [...runningPods().slice(0, 3), restartedWorker2(MINUTE_AGO)] },
    want: { phase: 'Restarting', reason: 'OOMKilled in worker-2 (restart 1)', restarts: 1, ready: 4 },
    line: 'Restarting: OOMKilled in worker-2 (restart 1)',
  },
  {
    name: 'PyTorchJob (OnFailure) whose worker restarted hours ago and runs since: Running, with the restart',
    workload: pytorchJob(
      { conditions: [cond('Running', 'True', 'PyTorchJobRunning')] },
      replicaSpecs('OnFailure'),
    ),
    ctx: { pods: [...runningPods().slice(0, 3), restartedWorker2(HOURS_AGO)] },
    want: { phase: 'Running', reason: 'OOMKilled in worker-2 (restart 1)' },
    line: 'Running: OOMKilled in worker-2 (restart 1)',
  },
  {
    name: 'PyTorchJob (OnFailure) whose restarted worker is not running yet: Restarting even after hours',
    workload: pytorchJob(
      { conditions: [cond('Running', 'True', 'PyTorchJobRunning')] },
      replicaSpecs('OnFailure'),
    ),
    ctx: { pods: [...runningPods().slice(0, 3), restartedWorker2(HOURS_AGO, false)] },
    want: { phase: 'Restarting', reason: 'OOMKilled in worker-2 (restart 1)', ready: 3 },
  },
  {
    // pod.go: a pod that ended Failed under OnFailure is deleted and recreated; its replacement has no history.
    name: 'PyTorchJob restarting (operator condition, failed pod replaced): Restarting with the operator message',
    workload: pytorchJob({
      conditions: [
        cond('Running', 'False'),
        cond(
          'Restarting',
          'True',
          'PyTorchJobRestarting',
          'PyTorchJob llama is restarting because 1 Worker replica(s) failed.',
        ),
      ],
    }),
    ctx: { pods: runningPods() },
    want: {
      phase: 'Restarting',
      reason: undefined,
      message: 'PyTorchJob llama is restarting because 1 Worker replica(s) failed.',
    },
    line: 'Restarting',
  },
  {
    // common/job.go + core/job.go PastBackoffLimit: container restarts of running pods reached backoffLimit.
    name: 'PyTorchJob past its backoffLimit: Failed, explained by the OOMKilled worker',
    workload: pytorchJob(
      {
        conditions: [
          cond('Running', 'False', 'PyTorchJobRunning'),
          cond(
            'Failed',
            'True',
            'PyTorchJobFailed',
            'Job llama has failed because it has reached the specified backoff limit',
          ),
        ],
      },
      { ...replicaSpecs('OnFailure'), runPolicy: { backoffLimit: 1 } },
    ),
    ctx: { pods: [...runningPods().slice(0, 3), restartedWorker2(MINUTE_AGO)] },
    want: {
      phase: 'Failed',
      reason: 'OOMKilled in worker-2',
      message: 'Job llama has failed because it has reached the specified backoff limit',
    },
    line: 'Failed: OOMKilled in worker-2',
  },
  {
    name: 'PyTorchJob succeeded',
    workload: pytorchJob({
      conditions: [cond('Running', 'False'), cond('Succeeded', 'True', 'PyTorchJobSucceeded')],
    }),
    want: { phase: 'Succeeded', reason: 'PyTorchJobSucceeded' },
  },
  {
    name: 'PyTorchJob pending: scheduler message of an unschedulable pod',
    workload: pytorchJob({ conditions: [cond('Created', 'True', 'PyTorchJobCreated')] }),
    ctx: { pods: [unschedulablePod('llama-master-0', { labels: tlabels('master', 0), gpus: 8 })] },
    want: {
      phase: 'Pending',
      reason:
        '0/7 nodes are available: 2 Insufficient nvidia.com/gpu, 5 node(s) had untolerated taint {nvidia.com/gpu: present}',
    },
  },
  {
    name: 'PyTorchJob pending: FailedScheduling event when the pod condition has no message',
    workload: pytorchJob({ conditions: [cond('Created', 'True', 'PyTorchJobCreated')] }),
    ctx: (() => {
      const p = pod('llama-master-0', {
        labels: tlabels('master', 0),
        phase: 'Pending',
        conditions: [],
        containerStatuses: [],
      });
      return { pods: [p], events: [event(p, 'FailedScheduling', SCHED_MSG)] };
    })(),
    want: {
      phase: 'Pending',
      reason:
        '0/7 nodes are available: 2 Insufficient nvidia.com/gpu, 5 node(s) had untolerated taint {nvidia.com/gpu: present}',
    },
  },
  {
    name: 'PyTorchJob image pull failure while pending',
    workload: pytorchJob({
      conditions: [cond('Created', 'True'), cond('Running', 'True', 'PyTorchJobRunning')],
    }),
    ctx: {
      pods: [
        pod('llama-master-0', {
          labels: tlabels('master', 0),
          node: 'h100-node-0',
          phase: 'Pending',
          containerStatuses: [
            {
              name: 'pytorch',
              ready: false,
              restartCount: 0,
              state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "train:1"' } },
            },
          ],
        }),
      ],
    },
    want: { phase: 'Pending', reason: 'ImagePullBackOff in master-0' },
  },
  {
    name: 'PyTorchJob suspended by the user (no Kueue)',
    workload: pytorchJob(
      { conditions: [cond('Suspended', 'True', 'PyTorchJobSuspended')] },
      { runPolicy: { suspend: true } },
    ),
    want: { phase: 'Suspended', reason: 'Suspended' },
    line: 'Suspended: Suspended',
  },
  {
    name: 'PyTorchJob queued by Kueue (suspended, Workload not admitted)',
    workload: pytorchJob(
      { conditions: [cond('Suspended', 'True', 'PyTorchJobSuspended')] },
      { runPolicy: { suspend: true } },
      { labels: { 'kueue.x-k8s.io/queue-name': 'team-a' } },
    ),
    ctx: {
      workloads: [
        kueueWl([
          cond(
            'QuotaReserved',
            'False',
            'Pending',
            "couldn't assign flavors to pod set worker: insufficient unused quota for nvidia.com/gpu in flavor h100, 16 more needed",
          ),
        ]),
      ],
    },
    want: {
      phase: 'Queued',
      queue: 'team-a',
      reason: 'Pending',
      message:
        "couldn't assign flavors to pod set worker: insufficient unused quota for nvidia.com/gpu in flavor h100, 16 more needed",
    },
    line: 'Queued in team-a (Kueue): Pending',
  },
  {
    name: 'job labelled for Kueue before its Workload exists',
    workload: pytorchJob(
      {},
      { runPolicy: { suspend: true } },
      { labels: { 'kueue.x-k8s.io/queue-name': 'team-a' } },
    ),
    want: { phase: 'Queued', queue: 'team-a', reason: 'waiting for Kueue' },
    line: 'Queued in team-a (Kueue)',
  },
  {
    name: 'Kueue-admitted job runs normally and keeps its queue',
    workload: pytorchJob(
      { conditions: [cond('Running', 'True', 'PyTorchJobRunning')] },
      {},
      { labels: { 'kueue.x-k8s.io/queue-name': 'team-a' } },
    ),
    ctx: {
      pods: runningPods(),
      workloads: [kueueWl([cond('QuotaReserved', 'True'), cond('Admitted', 'True')])],
    },
    want: { phase: 'Running', queue: 'team-a' },
  },
  {
    name: 'Kueue-evicted job goes back to Queued',
    workload: pytorchJob({ conditions: [cond('Suspended', 'True')] }, { runPolicy: { suspend: true } }),
    ctx: {
      workloads: [
        kueueWl([
          cond('QuotaReserved', 'False', 'Pending'),
          cond(
            'Evicted',
            'True',
            'Preempted',
            'Preempted to accommodate a workload (UID: 1) due to prioritization in the ClusterQueue',
          ),
        ]),
      ],
    },
    want: { phase: 'Queued', reason: 'Evicted (Preempted)' },
  },
  {
    name: 'workload being deleted',
    workload: pytorchJob(
      { conditions: [cond('Running', 'True')] },
      {},
      { deletionTimestamp: '2026-11-29T11:59:00Z' },
    ),
    ctx: { pods: runningPods() },
    want: { phase: 'Terminating', reason: 'Deleting', message: 'Running' },
  },
  {
    name: 'MPIJob launcher + workers counts and GPUs',
    workload: obj(
      'kubeflow.org/v1',
      'MPIJob',
      'bert',
      {
        mpiReplicaSpecs: {
          Launcher: { replicas: 1, template: { spec: { containers: [{ name: 'l', resources: {} }] } } },
          Worker: { replicas: 2, template: gpuTemplate(4) },
        },
      },
      { conditions: [cond('Running', 'True', 'MPIJobRunning')] },
    ),
    ctx: { pods: [] },
    want: { phase: 'Running', total: 3, gpus: [{ resource: 'nvidia.com/gpu', count: 8 }] },
  },
  // --- batch/v1 Job and CronJob ---
  {
    name: 'Job failed with BackoffLimitExceeded',
    workload: obj(
      'batch/v1',
      'Job',
      'prep',
      { parallelism: 2, completions: 2, template: { spec: { containers: [] } } },
      {
        conditions: [
          cond(
            'FailureTarget',
            'True',
            'BackoffLimitExceeded',
            'Job has reached the specified backoff limit',
          ),
          cond('Failed', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
        ],
        failed: 7,
      },
    ),
    want: {
      phase: 'Failed',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
      total: 2,
    },
  },
  {
    name: 'Job complete',
    workload: obj(
      'batch/v1',
      'Job',
      'prep',
      { template: { spec: { containers: [] } } },
      {
        conditions: [
          cond('SuccessCriteriaMet', 'True', 'CompletionsReached'),
          cond('Complete', 'True', 'CompletionsReached'),
        ],
        succeeded: 1,
      },
    ),
    want: { phase: 'Succeeded' },
  },
  {
    name: 'Job running with ready pods',
    workload: obj(
      'batch/v1',
      'Job',
      'prep',
      { parallelism: 3, template: { spec: { containers: [] } } },
      { active: 3, ready: 2, startTime: T0 },
    ),
    want: { phase: 'Running', ready: 2, total: 3 },
  },
  {
    name: 'Job suspended',
    workload: obj(
      'batch/v1',
      'Job',
      'prep',
      { suspend: true, template: { spec: { containers: [] } } },
      {
        conditions: [cond('Suspended', 'True', 'JobSuspended', 'Job suspended')],
      },
    ),
    want: { phase: 'Suspended' },
  },
  {
    name: 'CronJob idle',
    workload: obj(
      'batch/v1',
      'CronJob',
      'nightly',
      { schedule: '0 2 * * *', jobTemplate: { spec: { template: { spec: {} } } } },
      {
        lastScheduleTime: '2026-11-29T02:00:00Z',
      },
    ),
    want: { phase: 'Ready', reason: 'last scheduled 10h ago' },
  },
  {
    name: 'CronJob idle: an OOMKilled pod of an earlier run does not colour it',
    workload: obj(
      'batch/v1',
      'CronJob',
      'nightly',
      { schedule: '0 2 * * *', jobTemplate: { spec: {} } },
      {
        lastScheduleTime: '2026-11-29T02:00:00Z',
      },
    ),
    ctx: {
      pods: [
        pod('nightly-29400000-abcde', {
          labels: { 'batch.kubernetes.io/job-name': 'nightly-29400000' },
          node: 'cpu-node-0',
          phase: 'Failed',
          containerStatuses: [
            {
              name: 'main',
              ready: false,
              restartCount: 0,
              state: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
            },
          ],
        }),
      ],
    },
    want: { phase: 'Ready', reason: 'last scheduled 10h ago' },
  },
  {
    name: 'CronJob with an active run',
    workload: obj(
      'batch/v1',
      'CronJob',
      'nightly',
      { schedule: '0 2 * * *', jobTemplate: { spec: {} } },
      {
        active: [{ kind: 'Job', name: 'nightly-29400000' }],
      },
    ),
    want: { phase: 'Running', reason: '1 active' },
  },
  // --- JobSet and TrainJob ---
  {
    name: 'JobSet failed: FailedJobs',
    workload: obj(
      'jobset.x-k8s.io/v1alpha2',
      'JobSet',
      'tpu',
      {
        replicatedJobs: [
          { name: 'workers', replicas: 2, template: { spec: { parallelism: 4, template: gpuTemplate(1) } } },
        ],
      },
      {
        conditions: [cond('Failed', 'True', 'FailedJobs', 'jobset failed due to one or more job failures')],
        restarts: 0,
      },
    ),
    want: {
      phase: 'Failed',
      reason: 'FailedJobs',
      total: 8,
      gpus: [{ resource: 'nvidia.com/gpu', count: 8 }],
    },
  },
  {
    name: 'JobSet completed',
    workload: obj(
      'jobset.x-k8s.io/v1alpha2',
      'JobSet',
      'tpu',
      { replicatedJobs: [] },
      {
        conditions: [cond('Completed', 'True', 'AllJobsCompleted', 'jobset completed successfully')],
      },
    ),
    want: { phase: 'Succeeded', reason: 'AllJobsCompleted' },
  },
  {
    name: 'JobSet running after restarts',
    workload: obj(
      'jobset.x-k8s.io/v1alpha2',
      'JobSet',
      'tpu',
      { replicatedJobs: [{ name: 'workers', replicas: 1, template: { spec: {} } }] },
      {
        restarts: 2,
        replicatedJobsStatus: [
          { name: 'workers', ready: 1, succeeded: 0, failed: 0, active: 1, suspended: 0 },
        ],
      },
    ),
    ctx: {
      pods: [
        pod('tpu-workers-0-0-abcde', {
          labels: {
            'jobset.sigs.k8s.io/jobset-name': 'tpu',
            'jobset.sigs.k8s.io/replicatedjob-name': 'workers',
          },
        }),
      ],
    },
    want: { phase: 'Running', reason: 'restarted 2 times' },
  },
  {
    name: 'JobSet suspended',
    workload: obj(
      'jobset.x-k8s.io/v1alpha2',
      'JobSet',
      'tpu',
      { suspend: true, replicatedJobs: [] },
      {
        conditions: [cond('Suspended', 'True', 'SuspendedJobs', 'jobset is suspended')],
      },
    ),
    want: { phase: 'Suspended' },
  },
  {
    name: 'TrainJob running with progress',
    workload: obj(
      'trainer.kubeflow.org/v1alpha1',
      'TrainJob',
      'ft',
      {
        runtimeRef: { name: 'torch-distributed' },
        trainer: { numNodes: 2, resourcesPerNode: { limits: { 'nvidia.com/gpu': '8' } } },
      },
      {
        jobsStatus: [{ name: 'node', ready: 1, succeeded: 0, failed: 0, active: 1, suspended: 0 }],
        trainerStatus: { progressPercentage: 42, lastUpdatedTime: T0 },
      },
    ),
    ctx: { pods: [pod('ft-node-0-0-x', { labels: { 'jobset.sigs.k8s.io/jobset-name': 'ft' } })] },
    want: {
      phase: 'Running',
      reason: '42% done',
      total: 2,
      gpus: [{ resource: 'nvidia.com/gpu', count: 16 }],
    },
  },
  {
    // The runtime pins the model, not the TrainJob: its live GPU pods (all on A100 by their nodeSelector) name it.
    name: 'TrainJob whose GPU pods agree on a model shows it',
    workload: obj(
      'trainer.kubeflow.org/v1alpha1',
      'TrainJob',
      'ft',
      {
        runtimeRef: { name: 'torch-a100' },
        trainer: { numNodes: 2, resourcesPerNode: { limits: { 'nvidia.com/gpu': '1' } } },
      },
      { jobsStatus: [{ name: 'node', ready: 2, succeeded: 0, failed: 0, active: 2, suspended: 0 }] },
    ),
    ctx: {
      pods: [0, 1].map((i) =>
        pod(`ft-node-0-${i}-x`, {
          labels: { 'jobset.sigs.k8s.io/jobset-name': 'ft' },
          node: 'a100-node-0',
          gpus: 1,
          spec: { nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-A100-PCIE-40GB' } },
        }),
      ),
    },
    want: {
      phase: 'Running',
      total: 2,
      gpus: [{ resource: 'nvidia.com/gpu', count: 2, model: 'NVIDIA A100 PCIE 40GB' }],
    },
  },
  {
    name: 'TrainJob whose GPU pods are pinned to different models names none',
    workload: obj(
      'trainer.kubeflow.org/v1alpha1',
      'TrainJob',
      'ft',
      {
        runtimeRef: { name: 'torch' },
        trainer: { numNodes: 2, resourcesPerNode: { limits: { 'nvidia.com/gpu': '1' } } },
      },
      { jobsStatus: [{ name: 'node', ready: 2, succeeded: 0, failed: 0, active: 2, suspended: 0 }] },
    ),
    ctx: {
      pods: ['NVIDIA-A100-PCIE-40GB', 'NVIDIA-H100-80GB-HBM3'].map((product, i) =>
        pod(`ft-node-0-${i}-x`, {
          labels: { 'jobset.sigs.k8s.io/jobset-name': 'ft' },
          node: `n-${i}`,
          gpus: 1,
          spec: { nodeSelector: { 'nvidia.com/gpu.product': product } },
        }),
      ),
    },
    want: { phase: 'Running', total: 2, gpus: [{ resource: 'nvidia.com/gpu', count: 2 }] },
  },
  {
    name: 'TrainJob failed: DeadlineExceeded',
    workload: obj(
      'trainer.kubeflow.org/v1alpha1',
      'TrainJob',
      'ft',
      { runtimeRef: { name: 'torch' } },
      {
        conditions: [
          cond('Failed', 'True', 'DeadlineExceeded', 'TrainJob exceeded its activeDeadlineSeconds'),
        ],
      },
    ),
    want: { phase: 'Failed', reason: 'DeadlineExceeded' },
  },
  {
    name: 'TrainJob complete',
    workload: obj(
      'trainer.kubeflow.org/v1alpha1',
      'TrainJob',
      'ft',
      { runtimeRef: { name: 'torch' } },
      {
        conditions: [cond('Complete', 'True', 'JobsCompleted', 'jobset completed successfully')],
      },
    ),
    want: { phase: 'Succeeded' },
  },
  {
    name: 'TrainJob suspended',
    workload: obj(
      'trainer.kubeflow.org/v1alpha1',
      'TrainJob',
      'ft',
      { suspend: true },
      {
        conditions: [cond('Suspended', 'True', 'Suspended', 'TrainJob is suspended')],
      },
    ),
    want: { phase: 'Suspended' },
  },
  // --- KubeRay ---
  {
    name: 'RayJob running',
    workload: obj(
      'ray.io/v1',
      'RayJob',
      'tune',
      {
        rayClusterSpec: {
          headGroupSpec: { template: { spec: { containers: [{ name: 'ray-head' }] } } },
          workerGroupSpecs: [{ groupName: 'gpu', replicas: 2, minReplicas: 0, template: gpuTemplate(1) }],
        },
      },
      { jobStatus: 'RUNNING', jobDeploymentStatus: 'Running', rayClusterName: 'tune-raycluster-abcde' },
    ),
    want: { phase: 'Running', total: 3, gpus: [{ resource: 'nvidia.com/gpu', count: 2 }] },
  },
  {
    // Real KubeRay 1.6: the submitter Job's pod runs beside the Ray cluster's (ready 3 of 3, not 4 of 3).
    name: 'RayJob running: the submitter pod is not counted among the replicas',
    workload: obj(
      'ray.io/v1',
      'RayJob',
      'tune',
      {
        rayClusterSpec: {
          headGroupSpec: { template: { spec: { containers: [{ name: 'ray-head' }] } } },
          workerGroupSpecs: [{ groupName: 'gpu', replicas: 2, template: gpuTemplate(1) }],
        },
      },
      { jobDeploymentStatus: 'Running', rayClusterName: 'tune-abcde' },
    ),
    ctx: {
      pods: [
        pod('tune-abcde-head-x1', { labels: { 'ray.io/cluster': 'tune-abcde', 'ray.io/node-type': 'head' } }),
        ...[0, 1].map((i) =>
          pod(`tune-abcde-gpu-worker-${i}`, {
            labels: { 'ray.io/cluster': 'tune-abcde', 'ray.io/node-type': 'worker', 'ray.io/group': 'gpu' },
          }),
        ),
        pod('tune-4hnjn', {
          labels: { 'job-name': 'tune' },
          spec: {
            containers: [{ name: 'ray-job-submitter', env: [{ name: 'RAY_JOB_SUBMISSION_ID', value: 'j' }] }],
          },
        }),
      ],
    },
    want: { phase: 'Running', ready: 3, total: 3 },
  },
  {
    name: 'RayJob initializing',
    workload: obj(
      'ray.io/v1',
      'RayJob',
      'tune',
      {},
      { jobDeploymentStatus: 'Initializing', rayClusterName: 'tune-raycluster-abcde' },
    ),
    want: { phase: 'Pending', reason: 'Initializing Ray cluster' },
  },
  {
    name: 'RayJob failed with operator reason',
    workload: obj(
      'ray.io/v1',
      'RayJob',
      'tune',
      {},
      {
        jobStatus: 'FAILED',
        jobDeploymentStatus: 'Failed',
        reason: 'AppFailed',
        message: 'Job entrypoint command failed with exit code 1',
      },
    ),
    want: { phase: 'Failed', reason: 'AppFailed', message: 'Job entrypoint command failed with exit code 1' },
  },
  {
    name: 'RayJob complete and succeeded',
    workload: obj(
      'ray.io/v1',
      'RayJob',
      'tune',
      {},
      { jobStatus: 'SUCCEEDED', jobDeploymentStatus: 'Complete' },
    ),
    want: { phase: 'Succeeded' },
  },
  {
    name: 'RayJob suspended',
    workload: obj('ray.io/v1', 'RayJob', 'tune', { suspend: true }, { jobDeploymentStatus: 'Suspended' }),
    want: { phase: 'Suspended' },
  },
  {
    name: 'RayCluster ready',
    workload: obj(
      'ray.io/v1',
      'RayCluster',
      'rc',
      {},
      {
        state: 'ready',
        readyWorkerReplicas: 2,
        desiredWorkerReplicas: 2,
        conditions: [
          cond('HeadPodReady', 'True', 'HeadPodRunningAndReady'),
          cond('RayClusterProvisioned', 'True', 'AllPodRunningAndReadyFirstTime'),
        ],
      },
    ),
    want: { phase: 'Ready', ready: 3, total: 3 },
  },
  {
    // KubeRay 1.6.2 marked it provisioned from a pod cache holding only the Running head; the worker waits.
    name: 'RayCluster provisioned by KubeRay before its worker was seen, the worker not ready',
    workload: obj(
      'ray.io/v1',
      'RayCluster',
      'rc',
      {},
      {
        readyWorkerReplicas: 0,
        desiredWorkerReplicas: 1,
        conditions: [
          cond('HeadPodReady', 'True', 'HeadPodRunningAndReady'),
          cond('RayClusterProvisioned', 'True', 'AllPodRunningAndReadyFirstTime'),
        ],
      },
    ),
    want: { phase: 'NotReady', reason: 'Provisioning', ready: 1, total: 2 },
  },
  {
    name: 'RayCluster provisioned (conditions only, no state) with every worker ready',
    workload: obj(
      'ray.io/v1',
      'RayCluster',
      'rc',
      {},
      {
        readyWorkerReplicas: 1,
        desiredWorkerReplicas: 1,
        conditions: [
          cond('HeadPodReady', 'True', 'HeadPodRunningAndReady'),
          cond('RayClusterProvisioned', 'True', 'AllPodRunningAndReadyFirstTime'),
        ],
      },
    ),
    want: { phase: 'Ready', ready: 2, total: 2 },
  },
  {
    name: 'RayCluster head not ready',
    workload: obj(
      'ray.io/v1',
      'RayCluster',
      'rc',
      {},
      {
        desiredWorkerReplicas: 2,
        conditions: [
          cond('HeadPodReady', 'False', 'HeadPodNotFound', 'Head Pod not found'),
          cond('RayClusterProvisioned', 'False', 'RayClusterPodsProvisioning'),
        ],
      },
    ),
    want: { phase: 'NotReady', reason: 'HeadPodNotFound', ready: 0, total: 3 },
  },
  {
    name: 'RayCluster suspended',
    workload: obj(
      'ray.io/v1',
      'RayCluster',
      'rc',
      { suspend: true },
      { state: 'suspended', conditions: [cond('RayClusterSuspended', 'True')] },
    ),
    want: { phase: 'Suspended' },
  },
  {
    name: 'RayService ready, upgrading',
    workload: obj(
      'ray.io/v1',
      'RayService',
      'serve',
      {},
      {
        conditions: [
          cond('Ready', 'True', 'NonZeroServeEndpoints'),
          cond('UpgradeInProgress', 'True', 'BothActivePendingClustersExist'),
        ],
      },
    ),
    want: { phase: 'Ready', reason: 'upgrade in progress' },
  },
  {
    name: 'RayService not ready',
    workload: obj(
      'ray.io/v1',
      'RayService',
      'serve',
      {},
      { conditions: [cond('Ready', 'False', 'Initializing')] },
    ),
    want: { phase: 'NotReady', reason: 'Initializing' },
  },
  // --- LWS, KServe, Notebook ---
  {
    name: 'LeaderWorkerSet available',
    workload: obj(
      'leaderworkerset.x-k8s.io/v1',
      'LeaderWorkerSet',
      'vllm',
      {
        replicas: 2,
        leaderWorkerTemplate: { size: 2, workerTemplate: gpuTemplate(8) },
      },
      {
        readyReplicas: 2,
        replicas: 2,
        conditions: [
          cond('Available', 'True', 'AllGroupsReady', 'All replicas are ready'),
          cond('Progressing', 'False'),
        ],
      },
    ),
    want: { phase: 'Ready', ready: 2, total: 2, gpus: [{ resource: 'nvidia.com/gpu', count: 32 }] },
  },
  {
    name: 'LeaderWorkerSet progressing',
    workload: obj(
      'leaderworkerset.x-k8s.io/v1',
      'LeaderWorkerSet',
      'vllm',
      { replicas: 2, leaderWorkerTemplate: { size: 1 } },
      {
        readyReplicas: 0,
        conditions: [
          cond('Available', 'False'),
          cond('Progressing', 'True', 'GroupsProgressing', 'Replicas are progressing'),
        ],
      },
    ),
    want: { phase: 'NotReady', reason: 'GroupsProgressing', ready: 0, total: 2 },
  },
  {
    name: 'InferenceService ready with url',
    workload: obj(
      'serving.kserve.io/v1beta1',
      'InferenceService',
      'llm',
      {
        predictor: {
          minReplicas: 1,
          model: { modelFormat: { name: 'huggingface' }, resources: { limits: { 'nvidia.com/gpu': '1' } } },
        },
      },
      {
        url: 'http://llm.ml.example.com',
        conditions: [cond('IngressReady', 'True'), cond('PredictorReady', 'True'), cond('Ready', 'True')],
      },
    ),
    want: {
      phase: 'Ready',
      url: 'http://llm.ml.example.com',
      gpus: [{ resource: 'nvidia.com/gpu', count: 1 }],
    },
  },
  {
    name: 'InferenceService predictor failing',
    workload: obj(
      'serving.kserve.io/v1beta1',
      'InferenceService',
      'llm',
      { predictor: {} },
      {
        conditions: [
          cond('IngressReady', 'False'),
          cond(
            'PredictorReady',
            'False',
            'RevisionMissing',
            'Configuration "llm-predictor" is waiting for a Revision to become ready.',
          ),
          cond('Ready', 'False', 'RevisionMissing'),
        ],
        modelStatus: {
          transitionStatus: 'BlockedByFailedLoad',
          lastFailureInfo: { reason: 'ModelLoadFailed', message: 'CUDA out of memory' },
        },
      },
    ),
    want: { phase: 'NotReady', reason: 'ModelLoadFailed', message: 'CUDA out of memory' },
  },
  {
    name: 'InferenceService without status',
    workload: obj('serving.kserve.io/v1beta1', 'InferenceService', 'llm', { predictor: {} }),
    want: { phase: 'NotReady', reason: 'No status yet' },
  },
  {
    name: 'Notebook ready',
    workload: obj(
      'kubeflow.org/v1',
      'Notebook',
      'nb',
      {
        template: {
          spec: { containers: [{ name: 'nb', resources: { limits: { 'nvidia.com/gpu': '1' } } }] },
        },
      },
      {
        readyReplicas: 1,
        containerState: { running: { startedAt: T0 } },
        conditions: [],
      },
    ),
    want: { phase: 'Ready', ready: 1, total: 1, gpus: [{ resource: 'nvidia.com/gpu', count: 1 }] },
  },
  {
    name: 'Notebook stopped by the culler',
    workload: obj(
      'kubeflow.org/v1',
      'Notebook',
      'nb',
      { template: { spec: {} } },
      { readyReplicas: 0 },
      {
        annotations: { 'kubeflow-resource-stopped': '2026-11-29T10:00:00Z' },
      },
    ),
    want: { phase: 'Suspended', reason: 'Stopped' },
  },
  {
    name: 'Notebook waiting on image',
    workload: obj(
      'kubeflow.org/v1',
      'Notebook',
      'nb',
      { template: { spec: {} } },
      {
        readyReplicas: 0,
        containerState: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } },
      },
    ),
    want: { phase: 'NotReady', reason: 'ImagePullBackOff', message: 'Back-off pulling image' },
    ctx: {
      pods: [
        pod('nb-0', {
          labels: { 'notebook-name': 'nb', 'statefulset.kubernetes.io/pod-name': 'nb-0' },
          phase: 'Pending',
          node: 'cpu-node-0',
          containerStatuses: [
            { name: 'nb', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } },
          ],
        }),
      ],
    },
  },
  // --- Argo, Volcano ---
  {
    name: 'Argo Workflow failed with message and progress',
    workload: obj(
      'argoproj.io/v1alpha1',
      'Workflow',
      'etl',
      {},
      { phase: 'Failed', message: "child 'etl-123' failed", progress: '2/3' },
    ),
    want: { phase: 'Failed', reason: "child 'etl-123' failed", ready: 2, total: 3 },
  },
  {
    name: 'Argo Workflow running',
    workload: obj('argoproj.io/v1alpha1', 'Workflow', 'etl', {}, { phase: 'Running', progress: '1/3' }),
    want: { phase: 'Running', ready: 1, total: 3 },
  },
  {
    name: 'Volcano Job running',
    workload: obj(
      'batch.volcano.sh/v1alpha1',
      'Job',
      'tf',
      {
        minAvailable: 3,
        tasks: [
          { name: 'ps', replicas: 1, template: { spec: { containers: [] } } },
          { name: 'worker', replicas: 2, template: gpuTemplate(2) },
        ],
      },
      { state: { phase: 'Running' }, running: 3, minAvailable: 3 },
    ),
    want: { phase: 'Running', ready: 3, total: 3, gpus: [{ resource: 'nvidia.com/gpu', count: 4 }] },
  },
  {
    name: 'Volcano Job aborted reads as suspended',
    workload: obj(
      'batch.volcano.sh/v1alpha1',
      'Job',
      'tf',
      { tasks: [] },
      { state: { phase: 'Aborted', reason: 'Aborted by user' } },
    ),
    want: { phase: 'Suspended', reason: 'Aborted by user' },
  },
  {
    name: 'Volcano Job failed',
    workload: obj(
      'batch.volcano.sh/v1alpha1',
      'Job',
      'tf',
      { tasks: [] },
      { state: { phase: 'Failed', reason: 'PodFailed' }, failed: 1 },
    ),
    want: { phase: 'Failed', reason: 'PodFailed' },
  },
  // --- Kueue objects ---
  {
    name: 'Kueue Workload pending quota',
    workload: kueueWl(
      [
        cond(
          'QuotaReserved',
          'False',
          'Pending',
          "couldn't assign flavors to pod set main: insufficient quota for nvidia.com/gpu in flavor h100, request > maximum capacity (24 > 16)",
        ),
      ],
      {
        podSets: [{ name: 'main', count: 3, template: gpuTemplate(8) }],
      },
    ),
    want: { phase: 'Queued', queue: 'team-a', total: 3, gpus: [{ resource: 'nvidia.com/gpu', count: 24 }] },
  },
  {
    name: 'Kueue Workload admitted',
    workload: kueueWl(
      [cond('QuotaReserved', 'True', 'QuotaReserved'), cond('Admitted', 'True', 'Admitted')],
      {},
    ),
    want: { phase: 'Running', reason: 'admitted' },
  },
  {
    name: 'Kueue Workload finished failed',
    workload: kueueWl([cond('Finished', 'True', 'Failed', 'Job failed')]),
    want: { phase: 'Failed', reason: 'Failed' },
  },
  {
    name: 'LocalQueue active',
    workload: obj(
      'kueue.x-k8s.io/v1beta2',
      'LocalQueue',
      'team-a',
      { clusterQueue: 'gpu' },
      {
        pendingWorkloads: 2,
        reservingWorkloads: 1,
        admittedWorkloads: 1,
        conditions: [cond('Active', 'True', 'Ready', 'Can submit new workloads to localQueue')],
        flavorsUsage: [
          {
            name: 'h100',
            resources: [
              { name: 'nvidia.com/gpu', total: '8' },
              { name: 'cpu', total: '32' },
            ],
          },
        ],
      },
    ),
    want: {
      phase: 'Ready',
      reason: '2 pending, 1 admitted',
      ready: 1,
      total: 3,
      gpus: [{ resource: 'nvidia.com/gpu', count: 8 }],
    },
  },
  {
    name: 'ClusterQueue inactive',
    workload: obj(
      'kueue.x-k8s.io/v1beta2',
      'ClusterQueue',
      'gpu',
      {},
      {
        pendingWorkloads: 0,
        admittedWorkloads: 0,
        conditions: [
          cond(
            'Active',
            'False',
            'FlavorNotFound',
            "Can't admit new workloads: references missing ResourceFlavor(s): h100.",
          ),
        ],
      },
      { namespace: undefined },
    ),
    want: { phase: 'NotReady', reason: 'FlavorNotFound' },
  },
];

describe('summarize', () => {
  for (const c of cases) {
    it(c.name, () => {
      const s = summarize(c.workload, { pods: [], now: NOW, ...c.ctx });
      for (const [k, v] of Object.entries(c.want)) {
        assert.deepEqual(s[k as keyof WorkloadSummary], v, `${k} of ${JSON.stringify(s)}`);
      }
      if (c.line) assert.equal(statusLine(s), c.line);
    });
  }

  it('kind not in the table is Unknown', () => {
    const s = summarize(obj('example.com/v1', 'Thing', 't', {}), { pods: [], now: NOW });
    assert.equal(s.phase, 'Unknown');
  });
});

describe('formatAge', () => {
  const table: [number, string][] = [
    [5, '5s'],
    [119, '119s'],
    [180, '3m'],
    [185, '3m5s'],
    [45 * 60, '45m'],
    [2 * 3600 + 5 * 60, '125m'],
    [3 * 3600 + 5 * 60, '3h5m'],
    [10 * 3600, '10h'],
    [4 * 86400, '4d'],
    [4 * 86400 + 3 * 3600, '4d3h'],
    [30 * 86400, '30d'],
    [3 * 365 * 86400, '3y'],
    [-0.5, '0s'],
    [-10, '<invalid>'],
  ];
  for (const [sec, want] of table) {
    it(`${sec}s -> ${want}`, () => assert.equal(formatAge(NOW - sec * 1000, NOW), want));
  }
  it('parses RFC 3339 strings', () => assert.equal(formatAge(T0, NOW), '60m'));
});

describe('podSummary', () => {
  const cases: { name: string; pod: KubeObject; events?: KubeObject[]; want: Record<string, unknown> }[] = [
    {
      name: 'running training worker',
      pod: pod('llama-worker-2', { labels: tlabels('worker', 2), node: 'h100-node-1', gpus: 8 }),
      want: {
        role: 'worker',
        rank: [2],
        label: 'worker-2',
        phase: 'Running',
        ready: true,
        restarts: 0,
        node: 'h100-node-1',
        gpus: [{ resource: 'nvidia.com/gpu', count: 8 }],
      },
    },
    {
      name: 'OOMKilled',
      pod: oomWorker2,
      want: { phase: 'OOMKilled', lastTermination: 'OOMKilled', ready: false },
    },
    {
      name: 'crash loop',
      pod: crashWorker1,
      want: { phase: 'CrashLoopBackOff', restarts: 5, lastTermination: 'Error (exit 1)' },
    },
    {
      name: 'terminating',
      pod: pod('llama-worker-0', { labels: tlabels('worker', 0), node: 'h100-node-1', deleting: true }),
      want: { phase: 'Terminating' },
    },
    {
      name: 'unschedulable',
      pod: unschedulablePod('llama-master-0', { labels: tlabels('master', 0) }),
      want: {
        phase: 'Pending',
        pendingMessage:
          '0/7 nodes are available: 2 Insufficient nvidia.com/gpu, 5 node(s) had untolerated taint {nvidia.com/gpu: present}',
      },
    },
    {
      name: 'init container running',
      pod: (() => {
        const p = pod('x', {
          phase: 'Pending',
          node: 'n',
          containerStatuses: [
            {
              name: 'main',
              ready: false,
              restartCount: 0,
              state: { waiting: { reason: 'PodInitializing' } },
            },
          ],
        });
        p.spec.initContainers = [{ name: 'fetch' }];
        p.status.initContainerStatuses = [
          { name: 'fetch', ready: false, restartCount: 0, state: { running: { startedAt: T0 } } },
        ];
        return p;
      })(),
      want: { phase: 'Init:0/1' },
    },
    {
      name: 'completed',
      pod: pod('job-abc12', {
        labels: { 'batch.kubernetes.io/job-name': 'job' },
        phase: 'Succeeded',
        node: 'n',
      }),
      want: { phase: 'Completed', label: 'job-abc12', role: 'pod' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = podSummary(c.pod, c.events);
      for (const [k, v] of Object.entries(c.want))
        assert.deepEqual((s as unknown as Record<string, unknown>)[k], v, k);
    });
  }
});

describe('groupPodsByRole', () => {
  it('orders master first, then workers numerically', () => {
    const pods = [2, 10, 0, 1].map((i) => pod(`w${i}`, { labels: tlabels('worker', i) }));
    pods.push(pod('m0', { labels: tlabels('master', 0) }));
    const groups = groupPodsByRole(findKindDef('kubeflow.org', 'PyTorchJob'), pods);
    assert.deepEqual(
      groups.map((g) => [g.role, g.pods.map((p) => p.metadata.name)]),
      [
        ['master', ['m0']],
        ['worker', ['w0', 'w1', 'w2', 'w10']],
      ],
    );
  });
  it('MPI launcher before workers; TF chief, ps, worker, evaluator', () => {
    const mk = (t: string, i: number) => pod(`${t}${i}`, { labels: tlabels(t, i) });
    const g = groupPodsByRole(undefined, [
      mk('worker', 0),
      mk('evaluator', 0),
      mk('ps', 0),
      mk('chief', 0),
      mk('launcher', 0),
    ]);
    assert.deepEqual(
      g.map((x) => x.role),
      ['chief', 'launcher', 'ps', 'worker', 'evaluator'],
    );
  });
  it('Ray: head first, then each worker group', () => {
    const mk = (name: string, type: string, group: string) =>
      pod(name, { labels: { 'ray.io/cluster': 'rc', 'ray.io/node-type': type, 'ray.io/group': group } });
    const g = groupPodsByRole(findKindDef('ray.io', 'RayCluster'), [
      mk('rc-gpu-worker-b', 'worker', 'gpu'),
      mk('rc-cpu-worker-a', 'worker', 'cpu'),
      mk('rc-head-x', 'head', 'headgroup'),
    ]);
    assert.deepEqual(
      g.map((x) => x.role),
      ['head', 'cpu', 'gpu'],
    );
  });
  it('LWS leaders then workers by group and index', () => {
    const mk = (g: number, w: number) =>
      pod(`vllm-${g}${w ? `-${w}` : ''}`, {
        labels: {
          'leaderworkerset.sigs.k8s.io/name': 'vllm',
          'leaderworkerset.sigs.k8s.io/group-index': String(g),
          'leaderworkerset.sigs.k8s.io/worker-index': String(w),
        },
      });
    const g = groupPodsByRole(undefined, [mk(1, 1), mk(0, 1), mk(1, 0), mk(0, 0)]);
    assert.deepEqual(
      g.map((x) => [x.role, x.pods.map((p) => p.metadata.name)]),
      [
        ['leader', ['vllm-0', 'vllm-1']],
        ['worker', ['vllm-0-1', 'vllm-1-1']],
      ],
    );
  });
});

describe('tooltipMarkdown', () => {
  it('has the status line, a conditions table with escaped cells and the latest warnings', () => {
    const w = pytorchJob({
      conditions: [
        cond('Created', 'True', 'PyTorchJobCreated', 'PyTorchJob llama is created.'),
        cond('Failed', 'True', 'PyTorchJobFailed', 'a | b\nc'),
      ],
    });
    const pods = [oomWorker2];
    const s = summarize(w, { pods, now: NOW });
    const events = [
      event(
        oomWorker2,
        'BackOff',
        'Back-off restarting failed container',
        'Warning',
        '2026-11-29T11:50:00Z',
        4,
      ),
      event(oomWorker2, 'Pulled', 'Successfully pulled image', 'Normal'),
    ];
    const md = tooltipMarkdown(w, s, events, NOW);
    assert.match(md, /\*\*PyTorchJob\*\* `ml\/llama`/);
    assert.match(md, /\*\*Failed: OOMKilled in worker-2\*\*/);
    assert.match(md, /\| Condition \| Status \| Reason \| Message \| Age \|/);
    assert.match(md, /\| Failed \| True \| PyTorchJobFailed \| a \\\| b c \| 60m \|/);
    assert.match(md, /10m BackOff \(×4\) llama-worker-2: Back-off restarting failed container/);
    assert.doesNotMatch(md, /Successfully pulled/);
    assert.match(md, /GPUs: 32× nvidia.com\/gpu \(NVIDIA H100 80GB HBM3\)/);
  });
});

describe('shortSchedulerMessage', () => {
  it('keeps the first sentence: no preemption tail, no DRA "no new claims to deallocate" (1.34+)', () => {
    assert.equal(
      shortSchedulerMessage(
        "0/7 nodes are available: 7 node(s) didn't match Pod's node affinity/selector. no new claims to deallocate, preemption: 0/7 nodes are available: 7 Preemption is not helpful for scheduling.",
      ),
      "0/7 nodes are available: 7 node(s) didn't match Pod's node affinity/selector",
    );
    assert.equal(
      shortSchedulerMessage(SCHED_MSG),
      '0/7 nodes are available: 2 Insufficient nvidia.com/gpu, 5 node(s) had untolerated taint {nvidia.com/gpu: present}',
    );
  });
});
