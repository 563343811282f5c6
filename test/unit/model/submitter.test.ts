import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { causesOf, planLabel, planSubmit, treeIdOf, type SubmitReport } from '../../../src/model/submitter';

const FILE = `apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
---
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: train
spec:
  pytorchReplicaSpecs: {}
`;

describe('submitter', () => {
  it('plans one document (CodeLens Submit) or the whole file (Submit All)', () => {
    const one = planSubmit(FILE, 1);
    assert.deepEqual(
      one.objects.map((o) => o.object.kind),
      ['PyTorchJob'],
    );
    assert.deepEqual(one.lines, [{ start: 4, end: 10 }]);
    assert.equal(planLabel(one, { chosen: 'ml' }), 'PyTorchJob ml/train');
    const all = planSubmit(FILE);
    assert.equal(planLabel(all, {}), '2 objects (ConfigMap, PyTorchJob)');
  });
  it('dry-run causes come from invalid and immutable failures only', () => {
    const base: SubmitReport = { dryRun: true, applied: [], deferred: [], notApplied: [] };
    const cause = { docIndex: 1, fieldPath: 'spec.x', message: 'bad' };
    assert.deepEqual(
      causesOf({
        ...base,
        failed: { docIndex: 1, label: 'x', error: { kind: 'invalid', message: 'm', causes: [cause] } },
      }),
      [cause],
    );
    assert.deepEqual(
      causesOf({ ...base, failed: { docIndex: 1, label: 'x', error: { kind: 'noName', message: 'm' } } }),
      [],
    );
  });
  it('tree ids of applied workloads match the workload tree; other objects have none', () => {
    const kind = {
      group: 'kubeflow.org',
      version: 'v1',
      kind: 'PyTorchJob',
      plural: 'pytorchjobs',
      namespaced: true,
    };
    const result = {
      apiVersion: 'kubeflow.org/v1',
      kind: 'PyTorchJob',
      metadata: { name: 'train', namespace: 'ml' },
    };
    assert.equal(
      treeIdOf({ docIndex: 1, label: 'l', kind, namespace: 'ml', name: 'train', result }),
      'w:PyTorchJob.kubeflow.org:ml/train',
    );
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ml' } };
    assert.equal(
      treeIdOf({
        docIndex: 0,
        label: 'l',
        kind: { ...kind, group: '', kind: 'ConfigMap', plural: 'configmaps' },
        namespace: 'ml',
        name: 'c',
        result: cm,
      }),
      undefined,
    );
  });
});
