// The operators' own sample manifests (copied verbatim into ../shared/crds/examples, beside the project) read
// through the kind table: expected pods and requested GPUs come out as the operators would create them.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { type KubeObject } from '../../../src/core/kube';
import { summarize } from '../../../src/core/status';
import { podSelector, findKindDef, groupOf, selectorString } from '../../../src/core/kinds';

// Like the server tier (test/server/validation/helpers.ts): the shared folder beside the project.
const DIR = resolve(import.meta.dirname, '..', '..', '..', '..', 'shared', 'crds', 'examples');

function load(file: string, kind: string): KubeObject {
  for (const d of parseAllDocuments(readFileSync(join(DIR, file), 'utf8'), { version: '1.1' })) {
    const o = d.toJS() as KubeObject | null;
    if (o?.kind === kind) {
      o.metadata.namespace ??= 'default';
      return o;
    }
  }
  throw new Error(`${kind} not in ${file}`);
}

const cases: {
  file: string;
  kind: string;
  total: number;
  gpus: number;
  selector?: string;
  queued?: string;
}[] = [
  {
    file: 'lws/vllm-gpu-lws.yaml',
    kind: 'LeaderWorkerSet',
    total: 2,
    gpus: 32,
    selector: 'leaderworkerset.sigs.k8s.io/name=vllm',
  },
  { file: 'kserve/hf_isvc.yaml', kind: 'InferenceService', total: 1, gpus: 1 },
  {
    file: 'jobset/pytorch-cnn-mnist.yaml',
    kind: 'JobSet',
    total: 4,
    gpus: 0,
    selector: 'jobset.sigs.k8s.io/jobset-name=pytorch',
  },
  {
    file: 'kubeflow-trainer/01-multi-node.yaml',
    kind: 'TrainJob',
    total: 3,
    gpus: 0,
    selector: 'jobset.sigs.k8s.io/jobset-name=multi-node-example',
  },
  { file: 'kubeflow-training-operator/pytorch-simple.yaml', kind: 'PyTorchJob', total: 2, gpus: 0 },
  { file: 'kubeflow-training-operator/tfjob-dist-mnist.yaml', kind: 'TFJob', total: 4, gpus: 0 },
  { file: 'kubeflow-training-operator/mpi-tensorflow-mnist.yaml', kind: 'MPIJob', total: 3, gpus: 0 },
  { file: 'kuberay/ray-cluster.complete.yaml', kind: 'RayCluster', total: 2, gpus: 0 },
  { file: 'kuberay/ray-job.sample.yaml', kind: 'RayJob', total: 2, gpus: 0 },
  {
    file: 'volcano/tf-dist-mnist-vcjob.yaml',
    kind: 'Job',
    total: 3,
    gpus: 0,
    selector: 'volcano.sh/job-name=tensorflow-dist-mnist',
  },
  { file: 'kueue/sample-pytorchjob.yaml', kind: 'PyTorchJob', total: 2, gpus: 0, queued: 'user-queue' },
  { file: 'argo-workflows/dag-diamond.yaml', kind: 'Workflow', total: 0, gpus: 0 },
  {
    file: 'kubeflow-notebooks/_v1_notebook.yaml',
    kind: 'Notebook',
    total: 1,
    gpus: 0,
    selector: 'notebook-name=notebook-sample-v1',
  },
];

describe('upstream sample manifests', () => {
  before(() => assert.ok(existsSync(DIR), `the upstream examples are missing: ${DIR}`));
  for (const c of cases) {
    it(`${c.file} (${c.kind})`, () => {
      const o = load(c.file, c.kind);
      // Kueue's webhook suspends labelled jobs on admission to the API (runPolicy.suspend for training jobs)
      if (c.queued) o.spec.runPolicy = { ...o.spec.runPolicy, suspend: true };
      const s = summarize(o, { pods: [], now: Date.parse('2030-01-01T00:00:00Z') });
      if (c.total) assert.equal(s.total, c.total, 'total');
      assert.equal(
        s.gpus.reduce((a, g) => a + g.count, 0),
        c.gpus,
        'gpus',
      );
      assert.notEqual(s.phase, 'Unknown');
      if (c.queued) assert.deepEqual([s.phase, s.queue], ['Queued', c.queued]);
      if (c.selector) {
        const sel = podSelector(findKindDef(groupOf(o.apiVersion), o.kind)!, o);
        assert.equal(sel && selectorString(sel), c.selector);
      }
    });
  }
});
