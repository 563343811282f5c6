// The pure parts of the training-log reader: which failures are too old to read unasked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../../src/core/kube';
import { isStale } from '../../../src/model/insights';

const NOW = Date.parse('2026-12-06T12:00:00Z');

function failedJob(at: string): KubeObject {
  return {
    apiVersion: 'kubeflow.org/v1',
    kind: 'PyTorchJob',
    metadata: { name: 'j', namespace: 'ns' },
    status: { conditions: [{ type: 'Failed', status: 'True', lastTransitionTime: at }] },
  };
}

function pod(finishedAt: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'j-master-0', namespace: 'ns' },
    status: { containerStatuses: [{ name: 'pytorch', state: { terminated: { exitCode: 1, finishedAt } } }] },
  };
}

test('a failure of yesterday is stale; one of this morning or with no time at all is not', () => {
  assert.equal(isStale(failedJob('2026-12-05T10:00:00Z'), [pod('2026-12-05T09:59:00Z')], NOW), true);
  assert.equal(isStale(failedJob('2026-12-06T09:00:00Z'), [], NOW), false);
  // The job's condition is old but a rank ended recently (a restart): not stale.
  assert.equal(isStale(failedJob('2026-12-01T00:00:00Z'), [pod('2026-12-06T11:00:00Z')], NOW), false);
  assert.equal(isStale({ ...failedJob('x'), status: {} }, [], NOW), false);
});
