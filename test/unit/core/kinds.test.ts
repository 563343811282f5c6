import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type KindRef, type KubeObject } from '../../../src/core/kube';
import {
  ML_KINDS,
  findKindDef,
  podAliases,
  podRole,
  podSelector,
  replicaTemplates,
  selectDiscovered,
  selectorString,
} from '../../../src/core/kinds';
import { obj, pod } from './builders';

const ref = (group: string, version: string, kind: string, plural: string, namespaced = true): KindRef => ({
  group,
  version,
  kind,
  plural,
  namespaced,
});

describe('ML kind table', () => {
  it('has every kind of the brief with a unique group/kind', () => {
    const keys = ML_KINDS.map((k) => `${k.kind}.${k.group}`);
    assert.equal(new Set(keys).size, keys.length);
    for (const k of [
      'Job.batch',
      'CronJob.batch',
      'PyTorchJob.kubeflow.org',
      'TFJob.kubeflow.org',
      'MPIJob.kubeflow.org',
      'XGBoostJob.kubeflow.org',
      'PaddleJob.kubeflow.org',
      'JAXJob.kubeflow.org',
      'TrainJob.trainer.kubeflow.org',
      'RayJob.ray.io',
      'RayCluster.ray.io',
      'RayService.ray.io',
      'JobSet.jobset.x-k8s.io',
      'LeaderWorkerSet.leaderworkerset.x-k8s.io',
      'Workload.kueue.x-k8s.io',
      'LocalQueue.kueue.x-k8s.io',
      'ClusterQueue.kueue.x-k8s.io',
      'InferenceService.serving.kserve.io',
      'Notebook.kubeflow.org',
      'Workflow.argoproj.io',
      'Job.batch.volcano.sh',
    ]) {
      assert.ok(keys.includes(k), k);
    }
  });
});

describe('selectDiscovered', () => {
  const cases: { name: string; served: KindRef[]; want: string[] }[] = [
    {
      name: 'only served kinds, in table order',
      served: [
        ref('ray.io', 'v1', 'RayCluster', 'rayclusters'),
        ref('batch', 'v1', 'Job', 'jobs'),
        ref('kubeflow.org', 'v1', 'PyTorchJob', 'pytorchjobs'),
        ref('', 'v1', 'Pod', 'pods'),
      ],
      want: ['PyTorchJob kubeflow.org/v1', 'RayCluster ray.io/v1', 'Job batch/v1'],
    },
    {
      name: 'Kueue: newest served version preferred',
      served: [
        ref('kueue.x-k8s.io', 'v1beta1', 'Workload', 'workloads'),
        ref('kueue.x-k8s.io', 'v1beta2', 'Workload', 'workloads'),
        ref('kueue.x-k8s.io', 'v1beta1', 'LocalQueue', 'localqueues'),
      ],
      want: ['Workload kueue.x-k8s.io/v1beta2', 'LocalQueue kueue.x-k8s.io/v1beta1'],
    },
    {
      name: 'Notebook v1beta1 only (older Kubeflow)',
      served: [ref('kubeflow.org', 'v1beta1', 'Notebook', 'notebooks')],
      want: ['Notebook kubeflow.org/v1beta1'],
    },
    {
      name: 'MPIJob from the standalone mpi-operator (v2beta1)',
      served: [ref('kubeflow.org', 'v2beta1', 'MPIJob', 'mpijobs')],
      want: ['MPIJob kubeflow.org/v2beta1'],
    },
    {
      name: 'a version Gantry does not read is skipped',
      served: [ref('ray.io', 'v1alpha1', 'RayCluster', 'rayclusters')],
      want: [],
    },
    {
      name: 'same kind under another resource name is not ours',
      served: [ref('batch', 'v1', 'Job', 'myjobs')],
      want: [],
    },
    {
      name: 'Volcano Job and batch Job are told apart by group',
      served: [ref('batch.volcano.sh', 'v1alpha1', 'Job', 'jobs'), ref('batch', 'v1', 'Job', 'jobs')],
      want: ['Job batch.volcano.sh/v1alpha1', 'Job batch/v1'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(
        selectDiscovered(c.served).map((k) => `${k.kind} ${k.apiVersion}`),
        c.want,
      );
    });
  }
  it('carries the table entry and a key', () => {
    const [k] = selectDiscovered([ref('kueue.x-k8s.io', 'v1beta2', 'ClusterQueue', 'clusterqueues', false)]);
    assert.equal(k.key, 'ClusterQueue.kueue.x-k8s.io');
    assert.equal(k.category, 'queueing');
    assert.equal(k.namespaced, false);
    assert.equal(k.hasPods, false);
  });
});

describe('pod selectors', () => {
  const d = (group: string, kind: string) => findKindDef(group, kind)!;
  const cases: { name: string; kind: [string, string]; o: KubeObject; want: string | undefined }[] = [
    {
      name: 'PyTorchJob',
      kind: ['kubeflow.org', 'PyTorchJob'],
      o: obj('kubeflow.org/v1', 'PyTorchJob', 'a'),
      want: 'training.kubeflow.org/job-name=a',
    },
    {
      name: 'JobSet',
      kind: ['jobset.x-k8s.io', 'JobSet'],
      o: obj('jobset.x-k8s.io/v1alpha2', 'JobSet', 'a'),
      want: 'jobset.sigs.k8s.io/jobset-name=a',
    },
    {
      name: 'TrainJob via its JobSet of the same name',
      kind: ['trainer.kubeflow.org', 'TrainJob'],
      o: obj('trainer.kubeflow.org/v1alpha1', 'TrainJob', 'a'),
      want: 'jobset.sigs.k8s.io/jobset-name=a',
    },
    {
      name: 'Job',
      kind: ['batch', 'Job'],
      o: obj('batch/v1', 'Job', 'a'),
      want: 'batch.kubernetes.io/job-name=a',
    },
    {
      name: 'CronJob: through its Jobs',
      kind: ['batch', 'CronJob'],
      o: obj('batch/v1', 'CronJob', 'a'),
      want: undefined,
    },
    {
      name: 'RayCluster',
      kind: ['ray.io', 'RayCluster'],
      o: obj('ray.io/v1', 'RayCluster', 'a'),
      want: 'ray.io/cluster=a',
    },
    {
      name: 'RayJob through status.rayClusterName',
      kind: ['ray.io', 'RayJob'],
      o: obj('ray.io/v1', 'RayJob', 'a', {}, { rayClusterName: 'a-raycluster-x2x' }),
      want: 'ray.io/cluster=a-raycluster-x2x',
    },
    {
      name: 'RayJob before its cluster',
      kind: ['ray.io', 'RayJob'],
      o: obj('ray.io/v1', 'RayJob', 'a', {}, {}),
      want: undefined,
    },
    {
      name: 'RayService active cluster',
      kind: ['ray.io', 'RayService'],
      o: obj('ray.io/v1', 'RayService', 's', {}, { activeServiceStatus: { rayClusterName: 's-rc-1' } }),
      want: 'ray.io/cluster=s-rc-1',
    },
    {
      name: 'LeaderWorkerSet',
      kind: ['leaderworkerset.x-k8s.io', 'LeaderWorkerSet'],
      o: obj('leaderworkerset.x-k8s.io/v1', 'LeaderWorkerSet', 'a'),
      want: 'leaderworkerset.sigs.k8s.io/name=a',
    },
    {
      name: 'Notebook',
      kind: ['kubeflow.org', 'Notebook'],
      o: obj('kubeflow.org/v1', 'Notebook', 'a'),
      want: 'notebook-name=a',
    },
    {
      name: 'InferenceService',
      kind: ['serving.kserve.io', 'InferenceService'],
      o: obj('serving.kserve.io/v1beta1', 'InferenceService', 'a'),
      want: 'serving.kserve.io/inferenceservice=a',
    },
    {
      name: 'Argo',
      kind: ['argoproj.io', 'Workflow'],
      o: obj('argoproj.io/v1alpha1', 'Workflow', 'a'),
      want: 'workflows.argoproj.io/workflow=a',
    },
    {
      name: 'Volcano',
      kind: ['batch.volcano.sh', 'Job'],
      o: obj('batch.volcano.sh/v1alpha1', 'Job', 'a'),
      want: 'volcano.sh/job-name=a',
    },
    {
      name: 'Kueue queue: none',
      kind: ['kueue.x-k8s.io', 'LocalQueue'],
      o: obj('kueue.x-k8s.io/v1beta2', 'LocalQueue', 'a'),
      want: undefined,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const sel = podSelector(d(...c.kind), c.o);
      assert.equal(sel && selectorString(sel), c.want);
    });
  }
  it('RayService with active and pending clusters matches both', () => {
    const o = obj(
      'ray.io/v1',
      'RayService',
      's',
      {},
      {
        activeServiceStatus: { rayClusterName: 's-1' },
        pendingServiceStatus: { rayClusterName: 's-2' },
      },
    );
    assert.deepEqual(
      podAliases(d('ray.io', 'RayService'), o).map((a) => a.value),
      ['s-1', 's-2'],
    );
  });
});

describe('podRole', () => {
  const cases: {
    name: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
    podName?: string;
    want: [string, number[], string];
  }[] = [
    {
      name: 'training operator v1 (lower-cased replica type)',
      labels: { 'training.kubeflow.org/replica-type': 'worker', 'training.kubeflow.org/replica-index': '2' },
      want: ['worker', [2], 'worker-2'],
    },
    {
      name: 'MPIJob launcher',
      labels: {
        'training.kubeflow.org/replica-type': 'launcher',
        'training.kubeflow.org/replica-index': '0',
      },
      want: ['launcher', [0], 'launcher-0'],
    },
    {
      name: 'JobSet, one Job per replicated job: completion index is the rank',
      labels: {
        'jobset.sigs.k8s.io/replicatedjob-name': 'node',
        'jobset.sigs.k8s.io/replicatedjob-replicas': '1',
        'jobset.sigs.k8s.io/job-index': '0',
        'batch.kubernetes.io/job-completion-index': '3',
      },
      want: ['node', [0, 3], 'node-3'],
    },
    {
      name: 'JobSet, several Jobs: job index then completion index',
      labels: {
        'jobset.sigs.k8s.io/replicatedjob-name': 'slice',
        'jobset.sigs.k8s.io/replicatedjob-replicas': '4',
        'jobset.sigs.k8s.io/job-index': '2',
        'batch.kubernetes.io/job-completion-index': '1',
      },
      want: ['slice', [2, 1], 'slice-2-1'],
    },
    {
      name: 'Ray head',
      labels: { 'ray.io/node-type': 'head', 'ray.io/group': 'headgroup' },
      want: ['head', [], 'head'],
    },
    {
      name: 'Ray worker of a group',
      labels: { 'ray.io/node-type': 'worker', 'ray.io/group': 'gpu-group' },
      podName: 'rc-gpu-group-worker-x7k2p',
      want: ['worker', [], 'gpu-group-x7k2p'],
    },
    {
      // Read from real KubeRay 1.6.2 pods (RayMultiHostIndexing is on by default): the index, not the suffix.
      name: 'Ray worker with its replica index (KubeRay >= 1.5)',
      labels: {
        'ray.io/node-type': 'worker',
        'ray.io/group': 'cpu',
        'ray.io/worker-group-replica-index': '2',
      },
      podName: 'rc-cpu-worker-sssm5',
      want: ['worker', [2], 'cpu-2'],
    },
    {
      name: 'Ray worker of a multi-host group: replica and host index',
      labels: {
        'ray.io/node-type': 'worker',
        'ray.io/group': 'tpu',
        'ray.io/worker-group-replica-index': '1',
        'ray.io/replica-host-index': '3',
      },
      podName: 'rc-tpu-worker-abcde',
      want: ['worker', [1, 3], 'tpu-1-3'],
    },
    {
      name: 'LWS leader',
      labels: {
        'leaderworkerset.sigs.k8s.io/name': 'v',
        'leaderworkerset.sigs.k8s.io/group-index': '1',
        'leaderworkerset.sigs.k8s.io/worker-index': '0',
      },
      want: ['leader', [1, 0], 'leader-1'],
    },
    {
      name: 'LWS worker',
      labels: {
        'leaderworkerset.sigs.k8s.io/name': 'v',
        'leaderworkerset.sigs.k8s.io/group-index': '1',
        'leaderworkerset.sigs.k8s.io/worker-index': '3',
      },
      want: ['worker', [1, 3], 'worker-1-3'],
    },
    {
      name: 'Volcano task with index label',
      labels: { 'volcano.sh/job-name': 'tf', 'volcano.sh/task-spec': 'ps', 'volcano.sh/task-index': '1' },
      want: ['ps', [1], 'ps-1'],
    },
    {
      name: 'Volcano task index from the pod name',
      labels: { 'volcano.sh/job-name': 'tf', 'volcano.sh/task-spec': 'worker' },
      podName: 'tf-worker-4',
      want: ['worker', [4], 'worker-4'],
    },
    {
      name: 'Argo step from the node-name annotation',
      labels: { 'workflows.argoproj.io/workflow': 'dag' },
      annotations: { 'workflows.argoproj.io/node-name': 'dag.B' },
      want: ['step', [], 'B'],
    },
    {
      name: 'KServe predictor',
      labels: { 'serving.kserve.io/inferenceservice': 'llm', component: 'predictor' },
      podName: 'llm-predictor-7d9f-abcde',
      want: ['predictor', [], 'predictor-abcde'],
    },
    { name: 'Notebook', labels: { 'notebook-name': 'nb' }, want: ['notebook', [0], 'notebook'] },
    {
      name: 'Indexed Job',
      labels: { 'batch.kubernetes.io/job-name': 'j', 'batch.kubernetes.io/job-completion-index': '7' },
      want: ['pod', [7], 'pod-7'],
    },
    {
      name: "RayJob's submitter",
      labels: { 'batch.kubernetes.io/job-name': 'tune', 'ray.io/originated-from-crd': 'RayJob' },
      want: ['submitter', [], 'submitter'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = podRole(pod(c.podName ?? 'p-abcde', { labels: c.labels, annotations: c.annotations }));
      assert.deepEqual([r.role, r.rank, r.label], c.want);
    });
  }
  it("RayJob's submitter from KubeRay 1.6 (no origin labels on the pod): known by its job id env", () => {
    const labels = { 'batch.kubernetes.io/job-name': 'tune', 'job-name': 'tune' };
    const env = [
      { name: 'PYTHONUNBUFFERED', value: '1' },
      { name: 'RAY_DASHBOARD_ADDRESS', value: 'tune-abcde-head-svc.ml.svc.cluster.local:8265' },
      { name: 'RAY_JOB_SUBMISSION_ID', value: 'tune-xyz12' },
    ];
    const r = podRole(
      pod('tune-4hnjn', { labels, spec: { containers: [{ name: 'ray-job-submitter', env }] } }),
    );
    assert.deepEqual([r.role, r.rank, r.label], ['submitter', [], 'submitter']);
    // a plain Job's pod stays a pod named by its pod name
    assert.equal(podRole(pod('tune-4hnjn', { labels })).label, 'tune-4hnjn');
  });
});

describe('replicaTemplates', () => {
  const d = (group: string, kind: string) => findKindDef(group, kind)!;
  it('JobSet: replicas x parallelism', () => {
    const js = obj('jobset.x-k8s.io/v1alpha2', 'JobSet', 'j', {
      replicatedJobs: [
        { name: 'leader', replicas: 1, template: { spec: { parallelism: 1, template: { spec: {} } } } },
        {
          name: 'workers',
          replicas: 2,
          template: { spec: { parallelism: 4, completions: 4, template: { spec: {} } } },
        },
      ],
    });
    assert.deepEqual(
      replicaTemplates(d('jobset.x-k8s.io', 'JobSet'), js).map((t) => [t.role, t.replicas]),
      [
        ['leader', 1],
        ['workers', 8],
      ],
    );
  });
  it('RayCluster: head + worker groups (replicas x numOfHosts), suspended groups skipped', () => {
    const rc = obj('ray.io/v1', 'RayCluster', 'r', {
      headGroupSpec: { template: { spec: {} } },
      workerGroupSpecs: [
        { groupName: 'tpu', replicas: 2, numOfHosts: 4, template: { spec: {} } },
        { groupName: 'off', replicas: 3, suspend: true, template: { spec: {} } },
      ],
    });
    assert.deepEqual(
      replicaTemplates(d('ray.io', 'RayCluster'), rc).map((t) => [t.role, t.replicas]),
      [
        ['head', 1],
        ['worker', 8],
      ],
    );
  });
  it('LWS: leaders and workers per group', () => {
    const l = obj('leaderworkerset.x-k8s.io/v1', 'LeaderWorkerSet', 'l', {
      replicas: 3,
      leaderWorkerTemplate: { size: 4, workerTemplate: { spec: {} } },
    });
    assert.deepEqual(
      replicaTemplates(d('leaderworkerset.x-k8s.io', 'LeaderWorkerSet'), l).map((t) => [t.role, t.replicas]),
      [
        ['leader', 3],
        ['worker', 9],
      ],
    );
  });
  it('Volcano tasks and Kueue pod sets', () => {
    const v = obj('batch.volcano.sh/v1alpha1', 'Job', 'v', {
      tasks: [{ name: 'ps', replicas: 2, template: { spec: {} } }],
    });
    assert.deepEqual(
      replicaTemplates(d('batch.volcano.sh', 'Job'), v).map((t) => [t.role, t.replicas]),
      [['ps', 2]],
    );
    const w = obj('kueue.x-k8s.io/v1beta2', 'Workload', 'w', {
      podSets: [{ name: 'main', count: 5, template: { spec: {} } }],
    });
    assert.deepEqual(
      replicaTemplates(d('kueue.x-k8s.io', 'Workload'), w).map((t) => [t.role, t.replicas]),
      [['main', 5]],
    );
  });
});
