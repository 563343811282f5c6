import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { K8sError } from '../../../src/k8s/errors';
import { INACTIVE_REASON } from '../../../src/k8s/lineStream';
import { RetryLoop, type Health } from '../../../src/k8s/retry';
import { Backoff } from '../../../src/k8s/timing';
import { ManualTimers, tick } from './fakes';

const down: K8sError = { kind: 'unreachable', message: 'down' };

function scripted(outcomes: (K8sError | undefined)[]) {
  let n = 0;
  const attempt = async () => {
    n++;
    const o = outcomes.shift();
    return o === undefined && outcomes.length === 0 ? await new Promise<never>(() => {}) : o;
  };
  return { attempt, calls: () => n };
}

test('a clean end and an inactivity abort renew at once; other errors back off and report reconnecting', async () => {
  const timers = new ManualTimers();
  const loop = new RetryLoop({ timers, backoff: new Backoff({ random: () => 0.5 }) });
  const health: Health[] = [];
  loop.onDidChangeHealth((h) => health.push(h));
  const s = scripted([undefined, { ...down, reason: INACTIVE_REASON }, down, down]);
  void loop.run(s.attempt);
  await tick();
  assert.equal(s.calls(), 3, 'two immediate renewals, then the first failure');
  assert.equal((loop.health as Health).state, 'reconnecting');
  timers.advance(499);
  await tick();
  assert.equal(s.calls(), 3, 'waits the first backoff step');
  timers.advance(1);
  await tick();
  assert.equal(s.calls(), 4);
  assert.deepEqual(
    health.map((h) => (h.state === 'reconnecting' ? h.attempt : h.state)),
    [1, 2],
  );
  loop.connected();
  assert.equal((loop.health as Health).state, 'connected');
  loop.dispose();
  assert.equal((loop.health as Health).state, 'stopped');
});

test('forbidden waits the long delay; retryNow wakes it; onError can retry at once or stop', async () => {
  const timers = new ManualTimers();
  const forbidden: K8sError = { kind: 'forbidden', status: 403, message: 'no' };
  const gone: K8sError = { kind: 'gone', status: 410, message: 'old' };
  const fatal: K8sError = { kind: 'invalid', status: 400, message: 'bad' };
  const seen: string[] = [];
  const loop = new RetryLoop({
    timers,
    forbiddenRetryMs: 60_000,
    onError: (e) => {
      seen.push(e.kind);
      return e.kind === 'gone' ? 'again' : e.kind === 'invalid' ? 'stop' : 'default';
    },
  });
  const s = scripted([forbidden, gone, fatal]);
  const done = loop.run(s.attempt);
  await tick();
  assert.equal((loop.health as Health).state, 'forbidden');
  assert.equal(s.calls(), 1);
  loop.retryNow();
  await done;
  assert.equal(s.calls(), 3);
  assert.deepEqual(seen, ['forbidden', 'gone', 'invalid']);
  loop.dispose();
});

test('429 is retried quietly a few times before it counts', async () => {
  const timers = new ManualTimers();
  const loop = new RetryLoop({
    timers,
    tooManyRequestsRetries: 2,
    backoff: new Backoff({ random: () => 0.5 }),
  });
  const busy: K8sError = { kind: 'server', status: 429, message: 'busy' };
  const s = scripted([busy, busy, busy]);
  void loop.run(s.attempt);
  await tick();
  timers.advance(1000);
  await tick();
  timers.advance(1000);
  await tick();
  assert.equal(s.calls(), 3);
  assert.equal((loop.health as Health).state, 'reconnecting', 'the third 429 is reported');
  loop.dispose();
});

test('a 429 waits as long as its Retry-After asks, quietly at first and never shorter after', async () => {
  const timers = new ManualTimers();
  const loop = new RetryLoop({
    timers,
    tooManyRequestsRetries: 1,
    backoff: new Backoff({ random: () => 0.5 }),
  });
  const throttled: K8sError = { kind: 'server', status: 429, message: 'slow down', retryAfterMs: 3000 };
  const s = scripted([throttled, throttled, down]);
  void loop.run(s.attempt);
  await tick();
  assert.equal(s.calls(), 1);
  assert.equal((loop.health as Health).state, 'connecting', 'the first 429 is quiet');
  timers.advance(2999);
  await tick();
  assert.equal(s.calls(), 1, 'not before Retry-After');
  timers.advance(1);
  await tick();
  assert.equal(s.calls(), 2);
  // The quiet retries are used up: reported, and the wait is the longer of the backoff (500 ms) and 3 s.
  assert.equal((loop.health as Health).state, 'reconnecting');
  timers.advance(2999);
  await tick();
  assert.equal(s.calls(), 2, 'the backoff step alone would have retried at 500 ms');
  timers.advance(1);
  await tick();
  assert.equal(s.calls(), 3);
  loop.dispose();
});
