/* eslint-disable @typescript-eslint/no-explicit-any -- parsed manifests */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { applyFix, findManifest, podSpecPaths } from '../../../src/core/manifestFixes';

const FILE = `# training jobs
apiVersion: v1
kind: ConfigMap
metadata:
  name: big
---
apiVersion: batch/v1
kind: Job
metadata:
  name: big # the 16-GPU one
  labels:
    kueue.x-k8s.io/queue-name: team-a-queue
spec:
  suspend: true
  template:
    spec:
      nodeSelector:
        nvidia.com/gpu.product: NVIDIA-H200
      containers:
        - name: train
          image: train:1
          resources:
            limits:
              nvidia.com/gpu: 16 # all of them
---
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: llama
spec:
  runPolicy:
    suspend: true
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      template:
        spec:
          containers:
            - name: pytorch
              image: train:1
    Worker:
      replicas: 3
      template:
        spec:
          tolerations:
            - key: nvidia.com/gpu
              operator: Exists
              effect: NoSchedule
          containers:
            - name: pytorch
              image: train:1
`;

const docs = (t: string) => parseAllDocuments(t).map((d) => d.toJS() as Record<string, any>);

describe('manifest fixes', () => {
  it('finds the document declaring the object (group, kind, name) and its line', () => {
    assert.deepEqual(
      findManifest(FILE, { apiVersion: 'batch/v1', kind: 'Job', name: 'big', namespace: 'ml' }),
      {
        index: 1,
        line: 6,
      },
    );
    assert.equal(findManifest(FILE, { apiVersion: 'v1', kind: 'Job', name: 'big' }), undefined);
    assert.equal(
      findManifest(FILE, { apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob', name: 'llama' })?.index,
      2,
    );
  });

  it('pod templates at any depth', () => {
    assert.deepEqual(podSpecPaths(docs(FILE)[2]), [
      ['spec', 'pytorchReplicaSpecs', 'Master', 'template', 'spec'],
      ['spec', 'pytorchReplicaSpecs', 'Worker', 'template', 'spec'],
    ]);
  });

  it('reduce GPUs per pod: only that document changes, comments kept', () => {
    const r = applyFix(FILE, 1, {
      kind: 'setGpusPerPod',
      title: '',
      resource: 'nvidia.com/gpu',
      from: 16,
      to: 8,
    });
    assert.ok(r.ok);
    assert.equal(r.edits, 1);
    assert.match(r.text, /nvidia.com\/gpu: 8 # all of them/);
    assert.match(r.text, /name: big # the 16-GPU one/);
    const [cm, job, pt] = docs(r.text);
    assert.deepEqual(cm, docs(FILE)[0]);
    assert.deepEqual(pt, docs(FILE)[2]);
    assert.equal(job.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu'], 8);
    assert.equal(r.text.slice(0, r.text.indexOf('kind: Job')), FILE.slice(0, FILE.indexOf('kind: Job')));
  });

  it('add a toleration to each pod template that lacks it', () => {
    const fix = {
      kind: 'addToleration' as const,
      title: '',
      toleration: { key: 'nvidia.com/gpu', operator: 'Exists' as const, effect: 'NoSchedule' },
    };
    const r = applyFix(FILE, 2, fix);
    assert.ok(r.ok);
    assert.equal(r.edits, 1); // the Worker template already tolerates it
    const pt = docs(r.text)[2];
    assert.deepEqual(pt.spec.pytorchReplicaSpecs.Master.template.spec.tolerations, [
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    const again = applyFix(r.text, 2, fix);
    assert.ok(!again.ok);
  });

  it('choose a node selector value, a queue, resume a suspended job', () => {
    const sel = applyFix(
      FILE,
      1,
      {
        kind: 'setNodeSelector',
        title: '',
        key: 'nvidia.com/gpu.product',
        from: 'NVIDIA-H200',
        choices: ['NVIDIA-A100-PCIE-40GB', 'NVIDIA-H100-80GB-HBM3'],
      },
      'NVIDIA-H100-80GB-HBM3',
    );
    assert.ok(sel.ok);
    assert.equal(
      docs(sel.text)[1].spec.template.spec.nodeSelector['nvidia.com/gpu.product'],
      'NVIDIA-H100-80GB-HBM3',
    );
    const q = applyFix(FILE, 1, { kind: 'setQueue', title: '', queue: 'team-c-queue' });
    assert.ok(q.ok);
    assert.equal(docs(q.text)[1].metadata.labels['kueue.x-k8s.io/queue-name'], 'team-c-queue');
    const u = applyFix(FILE, 2, { kind: 'unsuspend', title: '', path: ['spec', 'runPolicy', 'suspend'] });
    assert.ok(u.ok);
    assert.equal(docs(u.text)[2].spec.runPolicy.suspend, false);
    assert.equal(docs(u.text)[1].spec.suspend, true);
  });
});
