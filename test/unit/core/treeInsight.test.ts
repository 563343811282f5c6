// Workload rows with what the training logs told: progress after a running job's status, the failure
// explanation in place of a failed job's reason (and first in its tooltip), a TrainJob's own trainerStatus
// preferred over the logs. The tree calls the lookup when a row is built, so a changed insight shows on refresh.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainFailure } from '../../../src/core/failureExplain';
import { ML_KINDS, selectDiscovered } from '../../../src/core/kinds';
import type { KubeObject } from '../../../src/core/kube';
import { ProgressParser } from '../../../src/core/trainingProgress';
import {
  buildWorkloadTree,
  kindGroupId,
  snapshotKey,
  type RowInsight,
  type WorkloadNode,
} from '../../../src/core/tree';
import { NOW, cond, obj, owner, pod } from './builders';

const kinds = selectDiscovered(
  ML_KINDS.map((k) => ({
    group: k.group,
    version: k.versions[0],
    kind: k.kind,
    plural: k.plural,
    namespaced: k.namespaced,
  })),
);

const tl = (name: string, type: string, i: number) => ({
  'training.kubeflow.org/job-name': name,
  'training.kubeflow.org/replica-type': type,
  'training.kubeflow.org/replica-index': String(i),
});

function job(name: string, conditions: unknown[]): KubeObject {
  return obj(
    'kubeflow.org/v1',
    'PyTorchJob',
    name,
    {
      pytorchReplicaSpecs: {
        Master: { replicas: 1, template: { spec: { containers: [{ name: 'pytorch' }] } } },
      },
    },
    { conditions },
  );
}

function tree(objects: KubeObject[], pods: KubeObject[], insights: Map<string, RowInsight>) {
  const workloads = new Map<string, KubeObject[]>();
  for (const o of objects) workloads.set(snapshotKey(o), [...(workloads.get(snapshotKey(o)) ?? []), o]);
  return buildWorkloadTree(
    { kinds, workloads, pods },
    { now: () => NOW, insight: (wid) => insights.get(wid) },
  );
}

const running = job('bert', [cond('Running', 'True', 'PyTorchJobRunning')]);
const failed = job('gpt', [cond('Failed', 'True', 'PyTorchJobFailed', 'PyTorchJob gpt is failed')]);
const pods = [
  pod('bert-master-0', { labels: tl('bert', 'master', 0), owners: [owner(running)] }),
  pod('gpt-master-0', { labels: tl('gpt', 'master', 0), owners: [owner(failed)], phase: 'Failed' }),
];
const BERT = 'w:PyTorchJob.kubeflow.org:ml/bert';
const GPT = 'w:PyTorchJob.kubeflow.org:ml/gpt';

describe('workload rows with training insight', () => {
  const parser = new ProgressParser();
  for (const l of [
    'Epoch 1/3:  10%|█         | 20/200 [00:40<06:00,  2.00s/it, loss=1.900]',
    'Epoch 1/3:  15%|█▌        | 30/200 [01:00<05:40,  2.00s/it, loss=1.700]',
  ])
    parser.push(l);
  const failure = explainFailure([
    {
      label: 'master-0',
      lines: [
        'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.50 GiB. GPU 0 has a total capacity of 79.15 GiB of which 1.10 GiB is free.',
      ],
      exit: { reason: 'Error', exitCode: 1 },
    },
  ])!;
  const insights = new Map<string, RowInsight>([
    [BERT, { progress: parser.progress()!, progressFrom: 'master-0' }],
    [GPT, { failure }],
  ]);
  const t = tree([running, failed], pods, insights);
  const rows = t.children(kindGroupId('PyTorchJob.kubeflow.org')) as WorkloadNode[];
  const bert = rows.find((r) => r.label === 'bert')!;
  const gpt = rows.find((r) => r.label === 'gpt')!;

  it('a running job shows its progress after the status', () => {
    assert.match(bert.description!, /^Running · 1\/1 · epoch 1\/3 · step 30\/200 · loss 1\.7 · 2 s\/it · /);
    assert.match(bert.tooltip!, /\*\*Training:\*\* epoch 1\/3 · step 30\/200/);
    assert.match(bert.tooltip!, /Read from a tqdm bar of master-0\./);
  });

  it('a failed job says why in place of the operator’s reason, and the tooltip explains it first', () => {
    assert.match(
      gpt.description!,
      /^Failed: CUDA OOM on master-0: tried to allocate 2\.5 GiB, 1\.1 GiB free · /,
    );
    assert.ok(gpt.tooltip!.startsWith('**CUDA OOM on master-0: tried to allocate 2.5 GiB, 1.1 GiB free**'));
    assert.match(gpt.tooltip!, /\*What to do:\* Lower the per-GPU batch size/);
    assert.match(gpt.tooltip!, /Evidence \(master-0\)/);
  });

  it('a cause read from the container state alone keeps the status’s reason and is explained in the tooltip', () => {
    const oom = explainFailure([
      { label: 'master-0', lines: [], exit: { reason: 'OOMKilled', exitCode: 137 } },
    ])!;
    const t2 = tree([failed], pods.slice(1), new Map([[GPT, { failure: oom }]]));
    const row = t2.node(GPT) as WorkloadNode;
    assert.doesNotMatch(row.description!, /host memory/);
    assert.match(row.description!, /^Failed: /);
    assert.ok(row.tooltip!.startsWith('**Out of host memory on master-0 (OOMKilled, exit 137)**'));
    assert.match(row.tooltip!, /resources\.limits\.memory/);
  });

  it('without insight the rows read as before', () => {
    const plain = tree([running, failed], pods, new Map());
    const [a, b] = plain.children(kindGroupId('PyTorchJob.kubeflow.org')) as WorkloadNode[];
    assert.match(a!.description!, /^Running · 1\/1 · \d/);
    assert.match(b!.description!, /^Failed: /);
    assert.doesNotMatch(b!.description!, /CUDA/);
  });

  it('a changed insight shows when the row is built again', () => {
    const m = new Map<string, RowInsight>();
    const t2 = tree([running], pods.slice(0, 1), m);
    assert.doesNotMatch(t2.node(BERT)!.description!, /step/);
    m.set(BERT, { progress: parser.progress()! });
    assert.match(t2.node(BERT)!.description!, /step 30\/200/);
  });

  it('a TrainJob’s status.trainerStatus is preferred over the logs, and says so', () => {
    const tj = obj(
      'trainer.kubeflow.org/v1alpha1',
      'TrainJob',
      'llama',
      { trainer: { numNodes: 1 } },
      {
        conditions: [],
        trainerStatus: {
          progressPercentage: 42,
          estimatedRemainingSeconds: 600,
          lastUpdatedTime: '2026-11-29T11:59:00Z',
          metrics: [{ name: 'loss', value: '0.9' }],
        },
      },
    );
    const tjPod = pod('llama-node-0-0-abcde', {
      labels: {
        'jobset.sigs.k8s.io/jobset-name': 'llama',
        'jobset.sigs.k8s.io/replicatedjob-name': 'node',
        'jobset.sigs.k8s.io/replicatedjob-replicas': '1',
        'jobset.sigs.k8s.io/job-index': '0',
        'batch.kubernetes.io/job-completion-index': '0',
      },
    });
    const m = new Map<string, RowInsight>([
      ['w:TrainJob.trainer.kubeflow.org:ml/llama', { progress: parser.progress()!, progressFrom: 'node-0' }],
    ]);
    const t3 = tree([tj], [tjPod], m);
    const [row] = t3.children(kindGroupId('TrainJob.trainer.kubeflow.org')) as WorkloadNode[];
    assert.equal(row!.summary.phase, 'Running');
    assert.match(row!.description!, /· 42% · loss 0\.9 · /);
    assert.doesNotMatch(row!.description!, /step 30/);
    assert.match(row!.tooltip!, /From the TrainJob’s status\.trainerStatus \(preferred over the logs\)/);
  });
});
