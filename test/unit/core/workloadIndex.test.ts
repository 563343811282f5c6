import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../../src/core/kube';
import { ML_KINDS, selectDiscovered } from '../../../src/core/kinds';
import { WorkloadIndex } from '../../../src/core/workloadIndex';
import { obj, owner, pod } from './builders';

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

const llama = obj('kubeflow.org/v1', 'PyTorchJob', 'llama', {}, {});
const llamaPod = (type: string, i: number) =>
  pod(`llama-${type}-${i}`, { labels: tl('llama', type, i), owners: [owner(llama)] });
const LLAMA = 'w:PyTorchJob.kubeflow.org:ml/llama';

// TrainJob -> JobSet -> Job -> pods, as the trainer and the JobSet controller write them.
const ft = obj('trainer.kubeflow.org/v1alpha1', 'TrainJob', 'ft', {}, {});
const ftJobSet = obj('jobset.x-k8s.io/v1alpha2', 'JobSet', 'ft', {}, {}, { ownerReferences: [owner(ft)] });
const ftJob = obj('batch/v1', 'Job', 'ft-node-0', {}, {}, { ownerReferences: [owner(ftJobSet)] });
const ftPods = [0, 1].map((i) =>
  pod(`ft-node-0-${i}-abcde`, {
    labels: { 'jobset.sigs.k8s.io/jobset-name': 'ft', 'batch.kubernetes.io/job-name': 'ft-node-0' },
    owners: [owner(ftJob)],
  }),
);
const FT = 'w:TrainJob.trainer.kubeflow.org:ml/ft';
const FT_JOBSET = 'w:JobSet.jobset.x-k8s.io:ml/ft';
const FT_JOB = 'w:Job.batch:ml/ft-node-0';

const names = (pods: readonly KubeObject[]) => pods.map((p) => p.metadata.name).sort();

describe('WorkloadIndex', () => {
  it('resolves pods to their workload by owner uid and answers the queries', () => {
    const pods = [llamaPod('master', 0), llamaPod('worker', 0)];
    const ix = new WorkloadIndex(kinds, { workloads: [llama], pods });
    assert.deepEqual(names(ix.podsOf(LLAMA)), ['llama-master-0', 'llama-worker-0']);
    assert.equal(ix.workloadOfPod(pods[0]!), LLAMA);
    assert.equal(ix.find('kubeflow.org', 'PyTorchJob', 'ml', 'llama'), LLAMA);
    assert.equal(ix.find('kubeflow.org', 'PyTorchJob', 'other', 'llama'), undefined);
    assert.equal(ix.entry(LLAMA)?.kind.kind, 'PyTorchJob');
    assert.equal(ix.entry(LLAMA)?.object, llama);
    assert.equal(ix.topOf(LLAMA), LLAMA);
    assert.equal(ix.isHidden(LLAMA), false);
    assert.deepEqual(ix.size, { workloads: 1, shown: 1, pods: 2 });
  });

  it('rolls a chain of owners up to the top and hides the rest', () => {
    const ix = new WorkloadIndex(kinds, { workloads: [ft, ftJobSet, ftJob], pods: ftPods });
    assert.equal(ix.topOf(FT_JOB), FT);
    assert.equal(ix.isHidden(FT_JOBSET), true);
    assert.equal(ix.isHidden(FT_JOB), true);
    assert.deepEqual([...ix.descendants(FT)].sort(), [FT_JOB, FT_JOBSET, FT].sort());
    assert.deepEqual(ix.childrenOf(FT), [FT_JOBSET]);
    assert.equal(ix.workloadOfPod(ftPods[0]!), FT);
    assert.equal(ix.pod(`p:ml/${ftPods[0]!.metadata.name}`)?.direct, FT_JOB);
    assert.equal(ix.podsOf(FT).length, 2);
    // a hidden workload still answers with the pods below it (a log stream of one Job of a JobSet)
    assert.deepEqual(names(ix.podsOf(FT_JOB)), names(ftPods));
    assert.deepEqual(names(ix.podsOf(FT_JOBSET)), names(ftPods));
    assert.deepEqual(ix.size, { workloads: 3, shown: 1, pods: 2 });
  });

  it('reports a pod joining, changing and leaving', () => {
    const ix = new WorkloadIndex(kinds, { workloads: [llama] });
    const p = llamaPod('worker', 2);
    const id = 'p:ml/llama-worker-2';
    assert.deepEqual(ix.apply({ type: 'added', object: p }).pod, {
      id,
      before: undefined,
      after: LLAMA,
      known: false,
    });
    const changed = structuredClone(p);
    changed.status.phase = 'Failed';
    assert.deepEqual(ix.apply({ type: 'modified', object: changed }).pod, {
      id,
      before: LLAMA,
      after: LLAMA,
      known: true,
    });
    assert.equal(ix.podsOf(LLAMA)[0]!.status.phase, 'Failed');
    const d = ix.apply({ type: 'deleted', object: changed });
    assert.deepEqual(d.pod, { id, before: LLAMA, after: undefined, known: true });
    assert.deepEqual(d.added, []);
    assert.deepEqual(ix.podsOf(LLAMA), []);
    assert.equal(ix.pod(id), undefined);
  });

  it('keeps pods seen before their workload and adopts them when it appears', () => {
    const ix = new WorkloadIndex(kinds);
    const p = llamaPod('master', 0);
    assert.equal(ix.apply({ type: 'added', object: p }).pod?.after, undefined);
    assert.equal(ix.workloadOfPod(p), undefined);
    const d = ix.apply({ type: 'added', object: llama });
    assert.deepEqual(d.added, [LLAMA]);
    assert.deepEqual(d.removed, []);
    assert.deepEqual(d.pods, [LLAMA]);
    assert.equal(ix.workloadOfPod(p), LLAMA);
  });

  it('an owner arriving later takes its child and the pods; deleting it gives them back', () => {
    const ix = new WorkloadIndex(kinds, { workloads: [ftJobSet, ftJob], pods: ftPods });
    assert.equal(ix.workloadOfPod(ftPods[0]!), FT_JOBSET);
    const d = ix.apply({ type: 'added', object: ft });
    assert.deepEqual(d.added, [FT]);
    assert.deepEqual([...d.pods].sort(), [FT_JOBSET, FT].sort());
    assert.deepEqual([...d.rehomed].sort(), [FT_JOB, FT_JOBSET].sort());
    assert.equal(ix.workloadOfPod(ftPods[1]!), FT);
    assert.equal(ix.isHidden(FT_JOBSET), true);

    const del = ix.apply({ type: 'deleted', object: ft });
    assert.deepEqual(del.removed, [FT]);
    assert.deepEqual(del.pods, [FT_JOBSET]);
    assert.deepEqual([...del.rehomed].sort(), [FT_JOB, FT_JOBSET].sort());
    assert.equal(ix.workloadOfPod(ftPods[1]!), FT_JOBSET);
    assert.equal(ix.isHidden(FT_JOBSET), false);
    assert.equal(ix.entry(FT), undefined);
    assert.deepEqual(ix.podsOf(FT), []);
  });

  it('a modified workload that gains an alias label adopts the pods it names', () => {
    const rj = obj('ray.io/v1', 'RayJob', 'tune', {}, {});
    const head = pod('tune-rc-head-x', {
      labels: { 'ray.io/cluster': 'tune-rc', 'ray.io/node-type': 'head' },
    });
    const ix = new WorkloadIndex(kinds, { workloads: [rj], pods: [head] });
    const id = 'w:RayJob.ray.io:ml/tune';
    assert.deepEqual(ix.podsOf(id), []);
    const rj2 = structuredClone(rj);
    rj2.status = { rayClusterName: 'tune-rc' };
    const d = ix.apply({ type: 'modified', object: rj2 });
    assert.deepEqual(d.modified, [id]);
    assert.deepEqual(d.pods, [id]);
    assert.deepEqual(names(ix.podsOf(id)), ['tune-rc-head-x']);
    assert.equal(ix.entry(id)?.object, rj2);
  });

  it('a re-created workload (new uid, missed delete) is removed and added, and keeps the pods that name it', () => {
    const pods = [llamaPod('master', 0)];
    const ix = new WorkloadIndex(kinds, { workloads: [llama], pods });
    const again = structuredClone(llama);
    again.metadata.uid = 'uid-llama-2';
    const d = ix.apply({ type: 'added', object: again });
    assert.deepEqual(d.removed, [LLAMA]);
    assert.deepEqual(d.added, [LLAMA]);
    assert.equal(ix.entry(LLAMA)?.uid, 'uid-llama-2');
    // the old owner uid is gone, the job-name label still names it
    assert.deepEqual(names(ix.podsOf(LLAMA)), ['llama-master-0']);
  });

  it('ignores objects of kinds it does not index', () => {
    const ix = new WorkloadIndex(kinds.filter((k) => k.kind === 'PyTorchJob'));
    const cm = obj('v1', 'ConfigMap', 'x');
    assert.equal(ix.handles(cm), false);
    assert.equal(ix.handles(ft), false);
    assert.deepEqual(ix.apply({ type: 'added', object: ft }), {
      added: [],
      removed: [],
      modified: [],
      pods: [],
      rehomed: [],
    });
    assert.equal(ix.size.workloads, 0);
  });
});
