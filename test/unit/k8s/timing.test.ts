import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, ChangeBatcher, jittered, type ChangeSet } from '../../../src/k8s/timing';
import { mergeChangeSets } from '../../../src/k8s/modelSource';
import type { KubeObject } from '../../../src/core/kube';
import { ManualTimers } from './fakes';

test('backoff doubles from 500 ms up to the 30 s cap, without jitter at random 0.5', () => {
  const b = new Backoff({ random: () => 0.5 });
  const seq = Array.from({ length: 9 }, () => b.next());
  assert.deepEqual(seq, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  b.reset();
  assert.equal(b.next(), 500);
});

test('backoff jitter spreads each delay by +/- 25 % (jitter 0.5)', () => {
  assert.equal(new Backoff({ random: () => 0 }).next(), 375);
  assert.equal(new Backoff({ random: () => 0.9999999 }).next(), 625);
  const hi = new Backoff({ random: () => 0.9999999 });
  for (let i = 0; i < 10; i++) hi.next();
  assert.equal(hi.next(), 37500);
  const custom = new Backoff({ initialMs: 100, maxMs: 1000, factor: 3, jitter: 0, random: () => 0.9 });
  assert.deepEqual([custom.next(), custom.next(), custom.next(), custom.next()], [100, 300, 900, 1000]);
});

test('jittered adds up to fraction * base', () => {
  assert.equal(
    jittered(300, 0.5, () => 0),
    300,
  );
  assert.equal(
    jittered(300, 0.5, () => 0.5),
    375,
  );
  assert.equal(
    jittered(300, 0.5, () => 0.9999999),
    450,
  );
});

const o = (name: string, rv = '1') =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, uid: name, resourceVersion: rv } }) as KubeObject;
const keys = (m: ReadonlyMap<string, unknown>) => [...m.keys()].sort();

test('change batcher: one flush per window, sequences collapse', () => {
  const timers = new ManualTimers();
  const out: ChangeSet<KubeObject>[] = [];
  const b = new ChangeBatcher<KubeObject>((c) => out.push(c), 80, timers);
  b.added('a', o('a'));
  b.modified('a', o('a', '2')); // added+modified = added (latest)
  b.added('b', o('b'));
  b.deleted('b', o('b')); // added+deleted = nothing
  b.modified('c', o('c', '3'));
  b.deleted('c', o('c', '4')); // modified+deleted = deleted
  b.modified('d', o('d', '5'));
  b.modified('d', o('d', '6'));
  timers.advance(79);
  assert.equal(out.length, 0);
  timers.advance(1);
  assert.equal(out.length, 1);
  assert.deepEqual(keys(out[0]!.added), ['a']);
  assert.equal(out[0]!.added.get('a')!.metadata.resourceVersion, '2');
  assert.deepEqual(keys(out[0]!.modified), ['d']);
  assert.equal(out[0]!.modified.get('d')!.metadata.resourceVersion, '6');
  assert.deepEqual(keys(out[0]!.deleted), ['c']);
  timers.advance(1000);
  assert.equal(out.length, 1, 'no empty flushes');
  // a new window starts with the next change
  b.deleted('x', o('x'));
  b.added('x', o('x', '9')); // deleted+added = modified
  timers.advance(80);
  assert.equal(out.length, 2);
  assert.deepEqual(keys(out[1]!.modified), ['x']);
  b.added('y', o('y'));
  b.dispose();
  timers.advance(1000);
  assert.equal(out.length, 2, 'dispose drops pending changes');
});

test('change batcher flush() emits at once', () => {
  const timers = new ManualTimers();
  const out: ChangeSet<KubeObject>[] = [];
  const b = new ChangeBatcher<KubeObject>((c) => out.push(c), 80, timers);
  b.added('a', o('a'));
  b.flush();
  assert.equal(out.length, 1);
  assert.equal(timers.pending, 0);
});

test('mergeChangeSets applies the same collapsing rules across sets', () => {
  const s = (added: string[], modified: string[], deleted: string[]): ChangeSet<KubeObject> => ({
    added: new Map(added.map((k) => [k, o(k)])),
    modified: new Map(modified.map((k) => [k, o(k)])),
    deleted: new Map(deleted.map((k) => [k, o(k)])),
  });
  const m = mergeChangeSets([s(['a', 'b'], ['c'], ['d']), s([], ['a'], ['b', 'c']), s(['d'], [], [])]);
  assert.deepEqual(keys(m.added), ['a']);
  assert.deepEqual(keys(m.modified), ['d']);
  assert.deepEqual(keys(m.deleted), ['c']);
});
