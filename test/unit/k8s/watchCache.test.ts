import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fail, ok } from '../../../src/k8s/errors';
import { Backoff, type ChangeSet } from '../../../src/k8s/timing';
import { resourcePath, WatchCache, type WatchHealth } from '../../../src/k8s/watchCache';
import type { KubeObject } from '../../../src/core/kube';
import { FakeTransport, ManualTimers, pod, tick } from './fakes';

const PODS = { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true };

function setup(items: unknown[] = [], rv = '10') {
  const t = new FakeTransport();
  t.listAnswer = () => ok({ metadata: { resourceVersion: rv }, items });
  const timers = new ManualTimers();
  const cache = new WatchCache(
    t.asTransport(),
    { kind: PODS, namespace: 'ns' },
    {
      timers,
      random: () => 0.5,
      batchMs: 50,
      inactivityMs: 90_000,
      backoff: new Backoff({ random: () => 0.5 }),
    },
  );
  const changes: ChangeSet<KubeObject>[] = [];
  const health: WatchHealth[] = [];
  cache.onDidChange((c) => changes.push(c));
  cache.onDidChangeHealth((h) => health.push(h));
  return { t, timers, cache, changes, health };
}

const names = (m: ReadonlyMap<string, KubeObject>) => [...m.values()].map((o) => o.metadata.name).sort();

test('resourcePath builds core, group, namespaced and cluster paths', () => {
  assert.equal(resourcePath({ kind: PODS, namespace: 'a' }), '/api/v1/namespaces/a/pods');
  assert.equal(resourcePath({ kind: PODS }), '/api/v1/pods');
  const nodes = { group: '', version: 'v1', kind: 'Node', plural: 'nodes', namespaced: false };
  assert.equal(resourcePath({ kind: nodes, namespace: 'a' }), '/api/v1/nodes');
  const pj = {
    group: 'kubeflow.org',
    version: 'v1',
    kind: 'PyTorchJob',
    plural: 'pytorchjobs',
    namespaced: true,
  };
  assert.equal(resourcePath({ kind: pj, namespace: 'x' }), '/apis/kubeflow.org/v1/namespaces/x/pytorchjobs');
});

test('lists, then watches from the list resourceVersion with bookmarks, and strips managedFields', async () => {
  const { t, cache, changes } = setup([pod('a', 'u1', '5'), pod('b', 'u2', '6')]);
  cache.start();
  assert.equal(await cache.whenSynced(), undefined);
  await tick();
  assert.equal(cache.size, 2);
  assert.equal(changes.length, 1);
  assert.deepEqual(names(changes[0]!.added), ['a', 'b']);
  const a = cache.get('u1')!;
  assert.equal('managedFields' in a.metadata, false);
  assert.equal(a.metadata.annotations, undefined);
  assert.equal(a.kind, 'Pod');
  assert.equal(t.watches.length, 1);
  // The first list comes from the apiserver's watch cache.
  assert.equal(t.lists[0]!.query!.resourceVersion, '0');
  const q = t.watches[0]!.call.query!;
  assert.equal(q.resourceVersion, '10');
  assert.equal(q.allowWatchBookmarks, true);
  assert.equal(q.watch, 1);
  // 300 s + 50 % jitter at random 0.5
  assert.equal(q.timeoutSeconds, 375);
  cache.dispose();
});

test('coalesces watch events within the batch window and tracks RV from bookmarks', async () => {
  const { t, timers, cache, changes } = setup([pod('a', 'u1', '5')]);
  cache.start();
  await cache.whenSynced();
  await tick();
  changes.length = 0;
  const w = t.watches[0]!;
  w.send('ADDED', pod('c', 'u3', '11'));
  w.send('MODIFIED', pod('c', 'u3', '12', 'Succeeded'));
  w.send('MODIFIED', pod('a', 'u1', '13', 'Failed'));
  w.send('DELETED', pod('a', 'u1', '14'));
  w.send('BOOKMARK', { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '20' } });
  await tick();
  assert.equal(changes.length, 0, 'nothing before the window closes');
  timers.advance(50);
  assert.equal(changes.length, 1);
  assert.deepEqual(names(changes[0]!.added), ['c']);
  assert.equal(changes[0]!.added.get('u3')!.status.phase, 'Succeeded');
  assert.equal(changes[0]!.modified.size, 0);
  assert.deepEqual(names(changes[0]!.deleted), ['a']);
  assert.equal(cache.resourceVersion, '20');
  assert.equal(cache.stats.bookmarks, 1);
  cache.dispose();
});

test('a clean end of the watch renews it at once from the last resourceVersion (no relist)', async () => {
  const { t, cache } = setup();
  cache.start();
  await cache.whenSynced();
  await tick();
  t.watches[0]!.send('BOOKMARK', { metadata: { resourceVersion: '33' } });
  await tick();
  t.watches[0]!.end();
  await tick();
  assert.equal(t.watches.length, 2);
  assert.equal(t.watches[1]!.call.query!.resourceVersion, '33');
  assert.equal(cache.stats.lists, 1);
  cache.dispose();
});

test('410 Gone as an ERROR event then a clean close relists and replaces state exactly', async () => {
  const { t, timers, cache, changes } = setup([pod('a', 'u1', '5'), pod('b', 'u2', '6')]);
  cache.start();
  await cache.whenSynced();
  await tick();
  changes.length = 0;
  // While we were away: b was deleted, a changed, d appeared.
  t.listAnswer = () =>
    ok({
      metadata: { resourceVersion: '50' },
      items: [pod('a', 'u1', '40', 'Succeeded'), pod('d', 'u4', '45')],
    });
  const w = t.watches[0]!;
  w.send('ERROR', {
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    code: 410,
    reason: 'Expired',
    message: 'too old resource version',
  });
  w.end();
  await tick(10);
  timers.advance(50);
  assert.equal(cache.stats.gone, 1);
  assert.equal(cache.stats.lists, 2);
  assert.deepEqual([...cache.items()].map((o) => o.metadata.name).sort(), ['a', 'd']);
  const all = changes.at(-1)!;
  assert.deepEqual(names(all.added), ['d']);
  assert.deepEqual(names(all.modified), ['a']);
  assert.deepEqual(names(all.deleted), ['b']);
  assert.equal(t.watches.at(-1)!.call.query!.resourceVersion, '50');
  // After 410 the relist is consistent (no resourceVersion) and paginated.
  assert.equal(t.lists[1]!.query!.resourceVersion, undefined);
  assert.equal(t.lists[1]!.query!.limit, 500);
  cache.dispose();
});

test('connection errors back off exponentially and report reconnecting, then connected', async () => {
  const { t, timers, cache, health } = setup([pod('a', 'u1', '5')]);
  cache.start();
  await cache.whenSynced();
  await tick();
  assert.equal((cache.health as WatchHealth).state, 'connected');
  t.watchAnswer = () => ({ kind: 'unreachable', message: 'refused' });
  t.watches[0]!.fail();
  await tick(10);
  assert.equal((cache.health as WatchHealth).state, 'reconnecting');
  const h = cache.health as Extract<WatchHealth, { state: 'reconnecting' }>;
  assert.equal(h.lastError.kind, 'unreachable');
  const since = h.since;
  const watchesBefore = t.watches.length;
  // first delay: 500 ms (random 0.5 = no jitter offset)
  timers.advance(499);
  await tick();
  timers.advance(1);
  await tick(10);
  assert.equal((cache.health as WatchHealth).state, 'reconnecting');
  assert.equal((cache.health as { since: number }).since, since, 'since stays at the first failure');
  assert.equal((cache.health as { attempt: number }).attempt, 2);
  // second delay: 1000 ms; then the apiserver is back
  t.watchAnswer = () => undefined;
  timers.advance(1000);
  await tick(10);
  assert.equal(t.watches.length, watchesBefore + 1);
  assert.equal((cache.health as WatchHealth).state, 'connected');
  assert.deepEqual(
    health.map((x) => x.state),
    ['connected', 'reconnecting', 'reconnecting', 'connected'],
  );
  assert.equal(cache.size, 1, 'state kept while reconnecting');
  cache.dispose();
  assert.equal((cache.health as WatchHealth).state, 'stopped');
});

test('inactivity timeout aborts a silent watch and reconnects', async () => {
  const { t, timers, cache } = setup();
  cache.start();
  await cache.whenSynced();
  await tick();
  timers.advance(60_000);
  t.watches[0]!.send('BOOKMARK', { metadata: { resourceVersion: '11' } });
  await tick();
  timers.advance(60_000); // 60 s since the bookmark: still alive
  await tick();
  assert.equal(t.watches.length, 1);
  timers.advance(30_000); // 90 s of silence
  await tick(10);
  assert.equal(cache.stats.inactivityAborts, 1);
  assert.equal(t.watches[0]!.body.destroyed, true);
  // Renewed at once from the last bookmark, without reporting a problem.
  assert.equal(t.watches.length, 2);
  assert.equal(t.watches[1]!.call.query!.resourceVersion, '11');
  assert.equal((cache.health as WatchHealth).state, 'connected');
  // When the connection is really gone, the renewal fails and that is reported.
  t.watchAnswer = () => ({
    kind: 'unreachable',
    message: 'Cannot reach the cluster: the connection timed out (ETIMEDOUT).',
  });
  timers.advance(90_000);
  await tick(10);
  assert.equal(cache.stats.inactivityAborts, 2);
  assert.equal((cache.health as WatchHealth).state, 'reconnecting');
  cache.dispose();
});

test('a forbidden list reports forbidden health and resolves whenSynced with the error', async () => {
  const { t, cache } = setup();
  t.listAnswer = () => fail({ kind: 'forbidden', status: 403, message: 'Forbidden: pods is forbidden' });
  cache.start();
  const err = await cache.whenSynced();
  assert.equal(err?.kind, 'forbidden');
  await tick();
  assert.equal((cache.health as WatchHealth).state, 'forbidden');
  assert.equal(t.watches.length, 0);
  cache.dispose();
});

test('paginated lists follow continue tokens', async () => {
  const { t, cache } = setup();
  t.listAnswer = (c) =>
    c.query?.continue
      ? ok({ metadata: { resourceVersion: '9' }, items: [pod('b', 'u2', '2')] })
      : ok({ metadata: { resourceVersion: '9', continue: 'tok' }, items: [pod('a', 'u1', '1')] });
  cache.start();
  await cache.whenSynced();
  assert.equal(cache.size, 2);
  assert.equal(t.lists.length, 2);
  cache.dispose();
});

test('a 429 from the watch cache (storage initializing) falls back to a consistent list at once', async () => {
  const { t, cache } = setup();
  t.listAnswer = (c) =>
    c.query?.resourceVersion === '0'
      ? fail({
          kind: 'server',
          status: 429,
          reason: 'TooManyRequests',
          message: 'storage is (re)initializing',
        })
      : ok({ metadata: { resourceVersion: '7' }, items: [pod('a', 'u1', '5')] });
  cache.start();
  assert.equal(await cache.whenSynced(), undefined);
  assert.equal(cache.size, 1);
  assert.deepEqual(
    t.lists.map((l) => [l.query!.resourceVersion, l.query!.limit]),
    [
      ['0', undefined],
      [undefined, 500],
    ],
  );
  assert.equal((cache.health as WatchHealth).state, 'connected');
  cache.dispose();
});

test('a 429 on the watch is retried quietly before it counts as a connection problem', async () => {
  const { t, timers, cache, health } = setup();
  cache.start();
  await cache.whenSynced();
  await tick();
  t.watchAnswer = () => ({ kind: 'server', status: 429, message: 'storage is (re)initializing' });
  t.watches[0]!.end();
  await tick(10);
  assert.equal((cache.health as WatchHealth).state, 'connected');
  t.watchAnswer = () => undefined;
  timers.advance(1000);
  await tick(10);
  assert.equal(t.watches.length, 2);
  assert.deepEqual(
    health.map((h) => h.state),
    ['connected'],
  );
  cache.dispose();
});

test('an expired continue token restarts the list from the first page', async () => {
  const { t, cache } = setup();
  let calls = 0;
  t.listAnswer = () => {
    calls++;
    if (calls === 1)
      return ok({ metadata: { resourceVersion: '9', continue: 'tok' }, items: [pod('a', 'u1', '1')] });
    if (calls === 2) return fail({ kind: 'gone', status: 410, message: 'continue token expired' });
    if (calls === 3)
      return ok({ metadata: { resourceVersion: '12', continue: 'tok2' }, items: [pod('a', 'u1', '1')] });
    return ok({ metadata: { resourceVersion: '12' }, items: [pod('b', 'u2', '2')] });
  };
  cache.start();
  assert.equal(await cache.whenSynced(), undefined);
  assert.deepEqual([...cache.items()].map((o) => o.metadata.name).sort(), ['a', 'b']);
  assert.equal(t.lists[2]!.query!.continue, undefined);
  assert.equal(cache.resourceVersion, '12');
  cache.dispose();
});
