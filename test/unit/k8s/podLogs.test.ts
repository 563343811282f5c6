import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import type { KubeObject } from '../../../src/core/kube';
import { Emitter } from '../../../src/core/lifecycle';
import {
  ContainerLogFollower,
  LOG_READ_BUFFER,
  forbiddenLogMessage,
  type FollowState,
  type LogLine,
  type PodSource,
} from '../../../src/k8s/podLogs';
import { fail, type Result } from '../../../src/k8s/errors';
import { Backoff } from '../../../src/k8s/timing';
import type { RequestOptions } from '../../../src/k8s/transport';
import { FakeTransport, ManualTimers, tick } from './fakes';

class FakePod implements PodSource {
  pod: KubeObject | undefined;
  deleted = false;
  private readonly _e = new Emitter<void>();
  onDidChange = (l: () => void) => this._e.event(l);
  set(p: KubeObject | undefined, deleted = false): void {
    this.pod = p;
    this.deleted = deleted;
    this._e.fire();
  }
}

function podIn(
  state: 'waiting' | 'running' | 'terminated',
  o: { restarts?: number; reason?: string; exitCode?: number; phase?: string; policy?: string } = {},
): KubeObject {
  const st =
    state === 'waiting'
      ? { waiting: { reason: o.reason ?? 'ContainerCreating' } }
      : state === 'running'
        ? { running: { startedAt: 'x' } }
        : { terminated: { reason: o.reason, exitCode: o.exitCode } };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'bert-worker-2', namespace: 'ns', uid: 'u1' },
    spec: { restartPolicy: o.policy ?? 'Never', containers: [{ name: 'pytorch' }] },
    status: {
      phase: o.phase ?? (state === 'waiting' ? 'Pending' : 'Running'),
      containerStatuses: [{ name: 'pytorch', restartCount: o.restarts ?? 0, state: st }],
    },
  };
}

const T = (s: number, ns = 0) =>
  `2026-12-06T10:00:${String(s).padStart(2, '0')}.${String(ns).padStart(9, '0')}Z`;

function setup(pod = new FakePod()) {
  const t = new FakeTransport();
  const timers = new ManualTimers();
  const f = new ContainerLogFollower(
    t.asTransport(),
    { namespace: 'ns', pod: 'bert-worker-2', container: 'pytorch' },
    pod,
    { timers, tailLines: 300, backoff: new Backoff({ random: () => 0.5 }), graceMs: 1000, readEveryMs: 0 },
  );
  const lines: LogLine[] = [];
  const states: FollowState[] = [];
  const restarts: number[] = [];
  f.onLines((b) => lines.push(...b));
  f.onDidChangeState((s) => states.push(s));
  f.onRestarted((n) => restarts.push(n));
  return { t, timers, f, pod, lines, states, restarts, texts: () => lines.map((l) => l.text) };
}

test('waits while the pod starts, then follows with timestamps and tail lines, stripping the timestamps', async () => {
  const s = setup();
  s.pod.set(podIn('waiting'));
  s.f.start();
  await tick();
  assert.equal(s.t.watches.length, 0, 'no log request before the container runs');
  assert.deepEqual(s.f.state, {
    state: 'waiting',
    reason: 'waiting for the pod to start: ContainerCreating',
  });
  s.pod.set(podIn('running'));
  await tick();
  assert.equal(s.t.watches.length, 1);
  const call = s.t.watches[0]!.call;
  assert.equal(call.path, '/api/v1/namespaces/ns/pods/bert-worker-2/log');
  assert.deepEqual(
    { ...call.query },
    {
      follow: true,
      container: 'pytorch',
      timestamps: true,
      previous: undefined,
      tailLines: 300,
      sinceSeconds: undefined,
    },
  );
  // The job's followed containers share the context's HTTP/2 connection; over HTTP/1.1, a large read buffer.
  assert.deepEqual([call.multiplex, call.readBuffer], [true, LOG_READ_BUFFER]);
  assert.equal(s.f.state.state, 'following');
  s.t.watches[0]!.body.write(`${T(1)} epoch 1\n${T(2)} \r 10%|#\r 90%|#########\n`);
  await tick();
  assert.deepEqual(s.texts(), ['epoch 1', ' 90%|#########']);
  assert.equal(s.lines[0]!.ts, T(1));
  s.f.dispose();
});

test('a dropped connection resumes from the last timestamp: nothing lost, nothing repeated', async () => {
  const s = setup();
  s.pod.set(podIn('running'));
  s.f.start();
  await tick();
  const w = s.t.watches[0]!;
  w.body.write(`${T(1, 5)} a\n${T(2, 7)} b\n${T(2, 7)} c\n`);
  await tick();
  w.fail('ECONNRESET');
  await tick();
  assert.equal(s.f.state.state, 'reconnecting');
  s.timers.advance(500);
  await tick();
  assert.equal(s.t.watches.length, 2);
  const q = s.t.watches[1]!.call.query!;
  assert.equal(q.sinceTime, '2026-12-06T10:00:02Z');
  assert.equal(q.tailLines, undefined, 'no tail on a resume');
  // The server repeats the second from 10:00:02: an older line of it, b and c, then new lines.
  s.t.watches[1]!.body.write(`${T(2, 1)} early\n${T(2, 7)} b\n${T(2, 7)} c\n${T(2, 7)} d\n${T(3)} e\n`);
  await tick();
  assert.equal(s.f.state.state, 'following');
  assert.deepEqual(s.texts(), ['a', 'b', 'c', 'd', 'e']);
  assert.equal(s.f.deduplicated, 3);
  s.f.dispose();
});

test('403 on pods/log ends the follow with the missing permission named, without retrying', async () => {
  const s = setup();
  s.t.watchAnswer = () => ({ kind: 'forbidden', status: 403, message: 'Forbidden: pods "x" is forbidden' });
  s.pod.set(podIn('running'));
  s.f.start();
  await tick();
  assert.equal(s.f.state.state, 'ended');
  const st = s.f.state as Extract<FollowState, { state: 'ended' }>;
  assert.equal(st.how.message, forbiddenLogMessage('ns'));
  assert.match(st.how.message!, /"get pods\/log" in namespace ns/);
  assert.equal(st.error?.kind, 'forbidden');
  s.timers.advance(600_000);
  await tick();
  assert.equal(s.t.watches.length, 0);
  s.f.dispose();
});

test('a pod deleted while following ends with a line after the grace period', async () => {
  const s = setup();
  s.pod.set(podIn('running'));
  s.f.start();
  await tick();
  s.t.watches[0]!.body.write(`${T(1)} last words\n`);
  await tick();
  s.pod.set(undefined, true);
  await tick();
  assert.equal(s.f.state.state, 'following', 'the stream may still deliver');
  s.timers.advance(1000);
  await tick();
  assert.deepEqual(s.f.state, { state: 'ended', how: { message: 'pod deleted' }, error: undefined });
  assert.deepEqual(s.texts(), ['last words']);
  assert.equal(s.t.watches[0]!.body.destroyed, true);
});

test('a container that ends says how (OOMKilled, exit code 137); a restart continues and is reported', async () => {
  const s = setup();
  s.pod.set(podIn('running', { policy: 'OnFailure' }));
  s.f.start();
  await tick();
  s.t.watches[0]!.body.write(`${T(1)} step 1\n`);
  await tick();
  // The kubelet ends the stream when the container exits; it restarts (OnFailure).
  s.pod.set(podIn('terminated', { policy: 'OnFailure', reason: 'Error', exitCode: 1 }));
  s.t.watches[0]!.end();
  await tick();
  s.pod.set(podIn('waiting', { policy: 'OnFailure', reason: 'CrashLoopBackOff', restarts: 1 }));
  await tick();
  s.timers.advance(1000);
  await tick();
  assert.deepEqual(s.restarts, [1]);
  assert.equal(s.f.state.state, 'waiting');
  s.pod.set(podIn('running', { policy: 'OnFailure', restarts: 1 }));
  await tick();
  const w2 = s.t.watches.at(-1)!;
  assert.equal(w2.call.query!.sinceTime, '2026-12-06T10:00:01Z');
  w2.body.write(`${T(1)} step 1\n${T(9)} step 1 again after restart\n`);
  await tick();
  s.pod.set(
    podIn('terminated', {
      policy: 'OnFailure',
      reason: 'OOMKilled',
      exitCode: 137,
      phase: 'Failed',
      restarts: 1,
    }),
  );
  w2.end();
  await tick();
  assert.deepEqual(s.texts(), ['step 1', 'step 1 again after restart']);
  assert.deepEqual(s.f.state, {
    state: 'ended',
    how: { reason: 'OOMKilled', exitCode: 137 },
    error: undefined,
  });
});

test('an already finished container is read to its end and ended, even when the server keeps it open', async () => {
  const s = setup();
  s.pod.set(podIn('terminated', { reason: 'Completed', exitCode: 0, phase: 'Succeeded' }));
  s.f.start();
  await tick();
  s.t.watches[0]!.body.write(`${T(1)} done\n`);
  await tick();
  s.timers.advance(1000);
  await tick();
  assert.deepEqual(s.texts(), ['done']);
  assert.deepEqual(s.f.state, {
    state: 'ended',
    how: { reason: 'Completed', exitCode: 0 },
    error: undefined,
  });
});

test('a server that ends a live stream is followed again at once, without a reconnecting state', async () => {
  const s = setup();
  s.pod.set(podIn('running'));
  s.f.start();
  await tick();
  s.t.watches[0]!.body.write(`${T(1)} a\n`);
  s.timers.advance(2000);
  s.t.watches[0]!.end();
  await tick();
  assert.equal(s.t.watches.length, 2);
  assert.ok(!s.states.some((x) => x.state === 'reconnecting'));
  s.f.dispose();
  await tick();
  assert.equal(s.t.watches[1]!.body.destroyed, true, 'dispose closes the stream');
});

test('dispose while waiting makes no request and throws nothing', async () => {
  const s = setup();
  s.pod.set(podIn('waiting'));
  s.f.start();
  await tick();
  s.f.dispose();
  s.pod.set(podIn('running'));
  s.timers.advance(10_000);
  await tick();
  assert.equal(s.t.watches.length, 0);
});

/**
 * The kubelet (and kwok, same handler) sends a log response's headers with its first byte: a request for a
 * container that has printed nothing yet has no headers until it does. This transport holds such requests
 * until the test answers them or the caller aborts.
 */
class SilentTransport extends FakeTransport {
  readonly held: { call: { query: unknown }; answer(): void; aborted: () => boolean }[] = [];
  silent = true;
  override async stream(path: string, o: RequestOptions = {}): Promise<Result<IncomingMessage>> {
    if (!this.silent) return super.stream(path, o);
    return new Promise((resolve) => {
      const aborted = () => o.signal?.aborted ?? false;
      o.signal?.addEventListener('abort', () =>
        resolve(fail({ kind: 'cancelled', message: 'The operation was aborted' })),
      );
      this.held.push({
        call: { query: o.query },
        answer: () => void super.stream(path, o).then(resolve),
        aborted,
      });
    });
  }
}

function silentSetup() {
  const t = new SilentTransport();
  const timers = new ManualTimers();
  const pod = new FakePod();
  const f = new ContainerLogFollower(
    t.asTransport(),
    { namespace: 'ns', pod: 'bert-worker-2', container: 'pytorch' },
    pod,
    { timers, tailLines: 300, backoff: new Backoff({ random: () => 0.5 }), graceMs: 1000, readEveryMs: 0 },
  );
  const states: FollowState[] = [];
  const lines: LogLine[] = [];
  f.onDidChangeState((s) => states.push(s));
  f.onLines((b) => lines.push(...b));
  return { t, timers, f, pod, states, lines };
}

test('a silent container (no response headers yet) is following, asked again after 30 s, never reconnecting', async () => {
  const s = silentSetup();
  s.pod.set(podIn('running'));
  s.f.start();
  await tick();
  assert.equal(s.t.held.length, 1);
  s.timers.advance(29_999);
  await tick();
  assert.equal(s.t.held[0]!.aborted(), false);
  s.timers.advance(1);
  await tick();
  assert.equal(s.t.held[0]!.aborted(), true, 'the first request is given up after 30 s');
  assert.deepEqual(
    s.t.lists.map((c) => c.path),
    ['/api/v1/namespaces/ns/pods/bert-worker-2'],
    'the cluster answers (a GET of the pod)',
  );
  assert.equal(s.t.held.length, 2, 'and the log is asked again at once');
  assert.equal(s.f.state.state, 'following');
  // Nothing was served yet: the history (tail 300) is asked again.
  assert.deepEqual(s.t.held[1]!.call.query, s.t.held[0]!.call.query);
  s.timers.advance(30_000);
  await tick();
  assert.equal(s.t.held.length, 3);
  assert.ok(!s.states.some((x) => x.state === 'reconnecting'), JSON.stringify(s.states));
  // The container speaks: the held request gets its headers and the line.
  s.t.silent = false;
  s.t.held[2]!.answer();
  await tick();
  s.t.watches[0]!.body.write(`${T(1)} finally\n`);
  await tick();
  assert.deepEqual(
    s.lines.map((l) => l.text),
    ['finally'],
  );
  assert.equal(s.f.state.state, 'following');
  s.f.dispose();
});

test('a silent container whose pod is deleted ends at once, not after the headers wait', async () => {
  const s = silentSetup();
  s.pod.set(podIn('running'));
  s.f.start();
  await tick();
  s.pod.set(undefined, true);
  await tick();
  assert.equal(s.t.held[0]!.aborted(), true);
  assert.deepEqual(s.f.state, { state: 'ended', how: { message: 'pod deleted' }, error: undefined });
  assert.equal(s.t.held.length, 1);
});

test('dispose gives up a request still waiting for its headers', async () => {
  const s = silentSetup();
  s.pod.set(podIn('running'));
  s.f.start();
  await tick();
  s.f.dispose();
  assert.equal(s.t.held[0]!.aborted(), true);
  s.timers.advance(60_000);
  await tick();
  assert.equal(s.t.held.length, 1);
});

test('no headers and no answer to the GET either: that is an unreachable cluster, reconnecting with its error', async () => {
  const s = silentSetup();
  s.t.listAnswer = () =>
    fail({ kind: 'unreachable', message: 'Cannot reach the cluster: the connection timed out (ETIMEDOUT).' });
  s.pod.set(podIn('running'));
  s.f.start();
  await tick();
  s.timers.advance(30_000);
  await tick();
  assert.deepEqual(s.f.state, {
    state: 'reconnecting',
    message: 'Cannot reach the cluster: the connection timed out (ETIMEDOUT).',
    attempt: 1,
  });
  assert.equal(s.t.held.length, 1, 'asked again after the backoff, not at once');
  s.f.dispose();
});
