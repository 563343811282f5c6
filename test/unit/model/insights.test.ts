// The pure parts of the training-log reader: which failures are too old to read unasked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../../src/core/kube';
import { Emitter } from '../../../src/core/lifecycle';
import { ClusterConnection } from '../../../src/k8s/connection';
import { ok } from '../../../src/k8s/errors';
import { bridgeLogSessions, isStale, type TrainingInsights } from '../../../src/model/insights';
import { LogSession, type TrackedPod, type WorkloadPods } from '../../../src/sessions/logFollow';
import { SessionManager } from '../../../src/sessions/manager';
import { FakeTransport, ManualTimers } from '../k8s/fakes';

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

// --- log panels report their progress to the reader -------------------------------------------------------------

test('a followed workload’s progress is reported to the current reader, and withdrawn when the stream ends', async () => {
  const t = new FakeTransport();
  const conn = ClusterConnection.fromTransport(
    { name: 'kind-gpu', cluster: 'c', user: 'u', file: 'kubeconfig' },
    t.asTransport(),
  );
  const change = new Emitter<readonly TrackedPod[]>();
  const master: TrackedPod = {
    role: 'master',
    label: 'master-0',
    rank: [0],
    pod: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bert-master-0', namespace: 'ns', uid: 'u-m' },
      spec: { restartPolicy: 'Never', containers: [{ name: 'pytorch' }] },
      status: {
        phase: 'Running',
        containerStatuses: [{ name: 'pytorch', restartCount: 0, state: { running: {} } }],
      },
    } as KubeObject,
  };
  const tracker: WorkloadPods = {
    ready: async () => ok(undefined),
    current: () => [master],
    workload: () => undefined,
    onDidChange: change.event,
    onDidEnd: () => ({ dispose: () => undefined }),
    dispose: () => undefined,
  };
  const timers = new ManualTimers();
  const sessions = new SessionManager();
  const reports: [string, string | undefined][] = [];
  const reader = {
    report: (wid: string, r: { progress?: { step?: number } } | undefined) =>
      reports.push([wid, r ? `step ${r.progress?.step}` : undefined]),
  } as unknown as TrainingInsights;
  const bridge = bridgeLogSessions(sessions, () => reader);
  const s = sessions.add(
    new LogSession(
      'logs-1',
      { type: 'workload', group: 'kubeflow.org', kind: 'PyTorchJob', namespace: 'ns', name: 'bert' },
      {
        lease: { connection: conn, dispose: () => undefined },
        trackPods: () => tracker,
        timers,
        readEveryMs: 0,
      },
    ),
  );
  await s.start();
  await new Promise((r) => setImmediate(r));
  const wid = 'w:PyTorchJob.kubeflow.org:ns/bert';
  assert.deepEqual(reports, [[wid, 'step undefined']]);
  t.watches[0]!.body.write('2026-12-06T10:00:00.000000001Z epoch 1 step 7/100 loss=0.9\n');
  // Read once per turn of the event loop here (readEveryMs 0; k8s/lineStream.ts): the line arrives in the next.
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  timers.advance(1000);
  assert.deepEqual(reports.at(-1), [wid, 'step 7']);
  s.stop('stopped by you');
  assert.deepEqual(reports.at(-1), [wid, undefined]);
  bridge.dispose();
  sessions.dispose();
});
