import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/core/kube';
import { Emitter } from '../../../src/core/lifecycle';
import { formatEntry } from '../../../src/core/logMerge';
import { ClusterConnection } from '../../../src/k8s/connection';
import { ok, type Result } from '../../../src/k8s/errors';
import {
  LogSession,
  type LogTarget,
  type TrackedPod,
  type TrackPods,
  type WorkloadPods,
} from '../../../src/sessions/logFollow';
import { FakeTransport, ManualTimers, tick } from '../k8s/fakes';

class FakeTracker implements WorkloadPods {
  pods: TrackedPod[] = [];
  readyResult: Result<void> = ok(undefined);
  disposed = false;
  private readonly _change = new Emitter<readonly TrackedPod[]>();
  private readonly _end = new Emitter<'deleted'>();
  onDidChange = this._change.event;
  onDidEnd = this._end.event;
  ready = async () => this.readyResult;
  current = () => this.pods;
  workload = () => undefined;
  set(pods: TrackedPod[]): void {
    this.pods = pods;
    this._change.fire(pods);
  }
  end(): void {
    this._end.fire('deleted');
  }
  dispose(): void {
    this.disposed = true;
  }
}

function tracked(label: string, containers = ['pytorch']): TrackedPod {
  const [role, rank] = label.split('-');
  return {
    role: role!,
    label,
    rank: rank ? [Number(rank)] : [],
    pod: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `bert-${label}`, namespace: 'ns', uid: `uid-${label}` },
      spec: { restartPolicy: 'Never', containers: containers.map((name) => ({ name })) },
      status: {
        phase: 'Running',
        containerStatuses: containers.map((name) => ({ name, restartCount: 0, state: { running: {} } })),
      },
    } as KubeObject,
  };
}

const TS = '2026-12-06T10:00:00.000000001Z';

function setup(
  target: LogTarget = {
    type: 'workload',
    group: 'kubeflow.org',
    kind: 'PyTorchJob',
    namespace: 'ns',
    name: 'bert',
  },
  maxLines?: number,
  maxBytes?: number,
) {
  const t = new FakeTransport();
  const conn = ClusterConnection.fromTransport(
    { name: 'kind-gpu', cluster: 'c', user: 'u', file: 'kubeconfig' },
    t.asTransport(),
  );
  let released = 0;
  const tracker = new FakeTracker();
  const calls: unknown[] = [];
  const trackPods: TrackPods = (_c, target, opts) => {
    calls.push({ target, opts });
    return tracker;
  };
  const timers = new ManualTimers();
  const s = new LogSession(
    'logs-1',
    target,
    {
      lease: { connection: conn, dispose: () => released++ },
      trackPods,
      timers,
      maxLines,
      maxBytes,
      graceMs: 1000,
      readEveryMs: 0,
    },
    {},
  );
  const text = () => s.ring.toArray().map((e) => formatEntry(e));
  const stream = (pod: string) => t.watches.find((w) => w.call.path.includes(`/pods/bert-${pod}/log`))!;
  return { t, conn, tracker, s, timers, calls, text, stream, released: () => released };
}

test('a workload stream merges its pods with role/rank prefixes and counts lines', async () => {
  const x = setup();
  x.tracker.pods = [tracked('master-0'), tracked('worker-1')];
  await x.s.start();
  await tick();
  assert.deepEqual(x.calls, [
    {
      target: { type: 'workload', group: 'kubeflow.org', kind: 'PyTorchJob', namespace: 'ns', name: 'bert' },
      opts: { kinds: undefined },
    },
  ]);
  assert.equal(x.t.watches.length, 2);
  assert.equal(x.stream('master-0').call.query!.container, 'pytorch');
  assert.equal(x.stream('master-0').call.query!.tailLines, 300);
  x.stream('master-0').body.write(`${TS} epoch 1 loss=0.9\n`);
  await tick();
  x.stream('worker-1').body.write(`${TS} epoch 1 loss=0.8\n`);
  await tick();
  assert.deepEqual(x.text(), ['[master-0] epoch 1 loss=0.9', '[worker-1] epoch 1 loss=0.8']);
  assert.equal(x.s.lines, 2);
  assert.equal(x.s.state, 'live');
  x.timers.advance(500);
  assert.equal(x.s.detail, '2 lines · 2 pods');
  assert.equal(x.s.context, 'kind-gpu');
  assert.equal(x.s.target, 'PyTorchJob ns/bert');
  assert.deepEqual(x.s.labels(), ['master-0', 'worker-1']);
  x.s.stop('stopped by you');
  assert.equal(x.released(), 1, 'the lease is released');
  assert.equal(x.tracker.disposed, true);
  await tick();
  assert.ok(
    x.t.watches.every((w) => w.body.destroyed),
    'every stream is closed',
  );
  assert.equal(x.s.state, 'ended');
  assert.equal(x.s.endReason, 'stopped by you');
});

test('a pod created later joins with a line; a pod that goes away ends with one', async () => {
  const x = setup();
  x.tracker.pods = [tracked('master-0')];
  await x.s.start();
  x.tracker.set([tracked('master-0'), tracked('worker-2')]);
  await tick();
  x.stream('worker-2').body.write(`${TS} hello from 2\n`);
  await tick();
  x.tracker.set([tracked('master-0')]);
  await tick();
  x.timers.advance(1000);
  await tick();
  assert.deepEqual(x.text(), [
    '[worker-2] joined (pod bert-worker-2)',
    '[worker-2] hello from 2',
    '[worker-2] ended: pod deleted',
  ]);
  assert.equal(x.s.state, 'live', 'the workload stream goes on');
  x.tracker.set([]);
  x.tracker.end();
  await tick();
  x.timers.advance(1000);
  await tick();
  assert.equal(x.s.state, 'ended');
  assert.equal(x.s.endReason, 'PyTorchJob deleted');
});

test('all containers on request: each prefixed with its container', async () => {
  const x = setup();
  x.tracker.pods = [tracked('worker-0', ['pytorch', 'sidecar'])];
  await x.s.start();
  x.s.reconfigure({ allContainers: true, sinceSeconds: 300 });
  await tick();
  const paths = x.t.watches
    .filter((w) => !w.body.destroyed)
    .map((w) => `${w.call.query!.container} ${w.call.query!.sinceSeconds}`);
  assert.deepEqual(paths.sort(), ['pytorch 300', 'sidecar 300']);
  assert.deepEqual(x.s.labels(), ['worker-0/pytorch', 'worker-0/sidecar']);
  x.s.stop('x');
});

test('forbidden pods/log fails the session with the missing permission', async () => {
  const x = setup({ type: 'pod', namespace: 'ns', name: 'bert-worker-0' });
  x.t.watchAnswer = () => ({ kind: 'forbidden', status: 403, message: 'Forbidden' });
  x.tracker.pods = [tracked('worker-0')];
  await x.s.start();
  await tick();
  assert.equal(x.s.state, 'failed');
  assert.equal(x.s.endReason, 'Not allowed to read logs: your account lacks "get pods/log" in namespace ns.');
  assert.equal(x.released(), 1);
});

test('a workload that is not found fails with the tracker message', async () => {
  const x = setup();
  x.tracker.readyResult = {
    ok: false,
    error: { kind: 'notFound', message: 'PyTorchJob ns/bert was not found.' },
  };
  await x.s.start();
  assert.equal(x.s.state, 'failed');
  assert.equal(x.s.endReason, 'PyTorchJob ns/bert was not found.');
});

test('the ring is bounded in bytes too: long lines keep only what fits, the newest, with their ranks', async () => {
  const x = setup(
    { type: 'container', namespace: 'ns', name: 'bert-worker-0', container: 'pytorch' },
    50_000,
    1024 * 1024,
  );
  x.tracker.pods = [tracked('worker-0')];
  await x.s.start();
  await tick();
  // 40 lines of 60,000 characters (each under the 64 KiB cut): 2.4 MB of text for a 1 MiB bound.
  for (let i = 0; i < 40; i++) x.stream('worker-0').body.write(`${TS} ${i} ${'x'.repeat(60_000)}\n`);
  await tick();
  assert.equal(x.s.lines, 40);
  assert.ok(x.s.ring.bytes <= 1024 * 1024);
  const kept = x.s.ring.toArray();
  assert.ok(kept.length >= 15 && kept.length <= 17, `kept ${kept.length}`);
  assert.deepEqual(
    kept.map((e) => `${e.source.label} ${e.text.split(' ')[0]} ${e.text.length}`),
    Array.from(
      { length: kept.length },
      (_, i) => `worker-0 ${40 - kept.length + i} ${60_000 + String(40 - kept.length + i).length + 1}`,
    ),
  );
  x.s.stop('x');
});

test('the ring keeps the last maxLines however many arrive; clear empties it', async () => {
  const x = setup({ type: 'container', namespace: 'ns', name: 'bert-worker-0', container: 'pytorch' }, 100);
  x.tracker.pods = [tracked('worker-0')];
  await x.s.start();
  await tick();
  let body = '';
  for (let i = 0; i < 250; i++) body += `${TS} line ${i}\n`;
  x.stream('worker-0').body.write(body);
  await tick();
  assert.equal(x.s.lines, 250);
  assert.equal(x.s.ring.size, 100);
  assert.equal(formatEntry(x.s.ring.at(0)!), '[worker-0] line 150');
  let resets = 0;
  x.s.onDidReset(() => resets++);
  x.s.clear();
  assert.equal(x.s.ring.size, 0);
  assert.equal(resets, 1);
  x.s.stop('x');
});

test('a container target ends with its container, saying how', async () => {
  const x = setup({ type: 'container', namespace: 'ns', name: 'bert-worker-0', container: 'pytorch' });
  x.tracker.pods = [tracked('worker-0')];
  await x.s.start();
  await tick();
  const done = tracked('worker-0');
  done.pod.status = {
    phase: 'Failed',
    containerStatuses: [
      { name: 'pytorch', restartCount: 0, state: { terminated: { reason: 'OOMKilled', exitCode: 137 } } },
    ],
  };
  x.tracker.set([done]);
  x.stream('worker-0').end();
  await tick();
  assert.equal(x.s.state, 'ended');
  assert.equal(x.s.endReason, 'ended: OOMKilled, exit code 137');
  assert.deepEqual(x.text(), ['[worker-0] ended: OOMKilled, exit code 137']);
});

test('progress is read from the main rank’s lines as they stream, and heard at most once a second', async () => {
  const x = setup();
  x.tracker.pods = [tracked('worker-1'), tracked('master-0')];
  await x.s.start();
  await tick();
  let heard = 0;
  x.s.onDidProgress(() => heard++);
  assert.equal(x.s.progressLabel, 'master-0');
  // A worker's bar is not the job's progress; the master's is. A chunk may end mid-line.
  x.stream('worker-1').body.write(`${TS} epoch 1 step 999/1000 loss=9.9\n`);
  x.stream('master-0').body.write(`${TS} epoch 1 step 10/600 loss=2.50\n${TS} epoch 1 step 20/6`);
  await tick();
  x.stream('master-0').body.write(`00 loss=2.40\n`);
  await tick();
  assert.deepEqual(
    { step: x.s.progress()?.step, steps: x.s.progress()?.steps, losses: x.s.progress()?.losses },
    { step: 20, steps: 600, losses: [2.5, 2.4] },
  );
  assert.equal(heard, 0);
  x.timers.advance(1000);
  assert.equal(heard, 1);
  x.timers.advance(5000);
  assert.equal(heard, 1);
  x.s.dispose();
});
