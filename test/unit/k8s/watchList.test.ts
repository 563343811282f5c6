// Watch lists (KEP-3157, sendInitialEvents): a WatchCache reads its initial state as one watch stream instead of
// a list response where the server serves that, and lists where it refuses (the WatchList feature off, as on
// Kubernetes 1.30), remembering the refusal for the connection's other caches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ok } from '../../../src/k8s/errors';
import { ClusterConnection, servesWatchList } from '../../../src/k8s/connection';
import { Backoff, type ChangeSet } from '../../../src/k8s/timing';
import { WatchCache, type WatchListSupport } from '../../../src/k8s/watchCache';
import type { KubeObject } from '../../../src/core/kube';
import { FakeTransport, FakeWatch, ManualTimers, pod, tick } from './fakes';

const PODS = { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true };
const END = { 'k8s.io/initial-events-end': 'true' };

function setup(support: WatchListSupport = { use: true }) {
  const t = new FakeTransport();
  const timers = new ManualTimers();
  const make = () =>
    new WatchCache(
      t.asTransport(),
      { kind: PODS, namespace: 'ns' },
      {
        timers,
        random: () => 0.5,
        batchMs: 50,
        inactivityMs: 90_000,
        backoff: new Backoff({ random: () => 0.5 }),
        watchList: support,
      },
    );
  return { t, timers, make, support };
}

/** The server's side of a watch list the test plays by hand: no scripted answer. */
function handPlayed(t: FakeTransport): void {
  t.watchList = 'refuse';
  t.watchAnswer = () => undefined;
  // A stream asked with sendInitialEvents is answered as a plain watch the test writes into.
  const stream = t.stream.bind(t);
  t.stream = async (path, o = {}) => {
    if (!o.query?.sendInitialEvents) return stream(path, o);
    const w = new FakeWatch({ path, query: o.query });
    t.watches.push(w);
    return ok(w.body as never);
  };
}

/** A started cache on a hand-played server, and its first stream. */
async function started() {
  const env = setup();
  handPlayed(env.t);
  const cache = env.make();
  cache.start();
  await tick();
  return { ...env, cache, w: env.t.watches[0]! };
}

test('the initial state comes as events in one stream, applied at the closing bookmark; the watch goes on in it', async () => {
  const { t, timers, make } = setup();
  handPlayed(t);
  const cache = make();
  const changes: ChangeSet<KubeObject>[] = [];
  cache.onDidChange((c) => changes.push(c));
  let synced = false;
  void cache.whenSynced().then(() => (synced = true));
  cache.start();
  await tick();
  assert.equal(t.watches.length, 1);
  const w = t.watches[0]!;
  // Asked from the apiserver's watch cache, like the first list, with the initial events and bookmarks.
  assert.deepEqual(
    Object.fromEntries(Object.entries(w.call.query!).filter(([, v]) => v !== undefined && v !== '')),
    {
      watch: 1,
      resourceVersion: '0',
      sendInitialEvents: true,
      resourceVersionMatch: 'NotOlderThan',
      allowWatchBookmarks: true,
      timeoutSeconds: w.call.query!.timeoutSeconds,
    },
  );
  w.send('ADDED', pod('a', 'u1', '5'));
  w.send('ADDED', pod('b', 'u2', '6'));
  await tick();
  timers.advance(100);
  assert.equal(synced, false, 'not synced before the bookmark');
  assert.equal(cache.size, 0, 'nothing applied before the bookmark');
  w.send('BOOKMARK', { metadata: { resourceVersion: '7', annotations: END } });
  await tick();
  assert.equal(synced, true);
  assert.equal(cache.size, 2);
  assert.equal(cache.resourceVersion, '7');
  assert.equal('managedFields' in cache.get('u1')!.metadata, false, 'stripped like listed objects');
  timers.advance(50);
  assert.equal(changes.length, 1);
  assert.deepEqual([...changes[0]!.added.keys()].sort(), ['u1', 'u2']);
  // The same stream carries the watch: no list request, no second stream.
  w.send('MODIFIED', { ...pod('a', 'u1', '8'), status: { phase: 'Failed' } });
  await tick();
  timers.advance(50);
  assert.equal(cache.get('u1')!.status?.phase, 'Failed');
  assert.deepEqual([...changes[1]!.modified.keys()], ['u1']);
  assert.equal(cache.resourceVersion, '8');
  assert.equal(t.lists.length, 0);
  assert.equal(t.watches.length, 1);
  assert.equal(cache.health.state, 'connected');
  cache.dispose();
});

test('a bookmark without the end annotation does not end the initial state', async () => {
  const { cache, w } = await started();
  w.send('ADDED', pod('a', 'u1', '5'));
  w.send('BOOKMARK', { metadata: { resourceVersion: '6' } });
  await tick();
  assert.equal(cache.synced, false);
  assert.equal(cache.size, 0);
  w.send('BOOKMARK', { metadata: { resourceVersion: '6', annotations: END } });
  await tick();
  assert.equal(cache.synced, true);
  assert.equal(cache.size, 1);
  cache.dispose();
});

test('a stream cut before the closing bookmark applies nothing of it and starts over after a backoff', async () => {
  const { t, timers, cache, w: first } = await started();
  first.send('ADDED', pod('a', 'u1', '5'));
  first.end(); // a clean end before the bookmark
  await tick();
  assert.equal(cache.size, 0);
  assert.equal(cache.synced, false);
  assert.equal(cache.health.state, 'reconnecting');
  assert.equal(t.watches.length, 1, 'not asked again at once');
  timers.advance(60_000);
  await tick();
  assert.equal(t.watches.length, 2);
  const w = t.watches[1]!;
  assert.equal(w.call.query!.sendInitialEvents, true);
  w.send('ADDED', pod('b', 'u2', '9'));
  w.send('BOOKMARK', { metadata: { resourceVersion: '9', annotations: END } });
  await tick();
  assert.deepEqual(
    [...cache.items()].map((o) => o.metadata.name),
    ['b'],
    'only the complete state',
  );
  cache.dispose();
});

test('410 Gone on the watch: a consistent watch list (no resourceVersion) replaces the state exactly', async () => {
  const { t, timers, cache, w } = await started();
  w.send('ADDED', pod('a', 'u1', '5'));
  w.send('ADDED', pod('b', 'u2', '5'));
  w.send('BOOKMARK', { metadata: { resourceVersion: '5', annotations: END } });
  await tick();
  w.send('ERROR', { kind: 'Status', code: 410, reason: 'Expired' });
  w.end();
  await tick();
  timers.advance(10);
  await tick();
  assert.equal(t.watches.length, 2);
  const again = t.watches[1]!;
  assert.equal(again.call.query!.sendInitialEvents, true);
  assert.equal(again.call.query!.resourceVersion, undefined, 'the newest state, not the watch cache');
  again.send('ADDED', pod('b', 'u2', '12'));
  again.send('ADDED', pod('c', 'u3', '12'));
  again.send('BOOKMARK', { metadata: { resourceVersion: '12', annotations: END } });
  await tick();
  assert.deepEqual([...cache.items()].map((o) => o.metadata.name).sort(), ['b', 'c'], 'a is gone, no ghost');
  cache.dispose();
});

test('a server that refuses watch lists (422) is listed instead, and the connection stops asking', async () => {
  const { t, make, support } = setup();
  t.watchList = 'refuse';
  t.listAnswer = () => ok({ metadata: { resourceVersion: '10' }, items: [pod('a', 'u1', '5')] });
  const first = make();
  first.start();
  assert.equal(await first.whenSynced(), undefined);
  assert.equal(first.size, 1);
  assert.equal(support.use, false);
  assert.equal(t.lists.length, 1);
  await tick();
  // The watch after the list is a plain one from the list's resourceVersion.
  const w = t.watches.at(-1)!;
  assert.equal(w.call.query!.sendInitialEvents, undefined);
  assert.equal(w.call.query!.resourceVersion, '10');
  // A second cache of the same connection lists at once: one refused request in all.
  let asked = 0;
  const stream = t.stream.bind(t);
  t.stream = async (path, o = {}) => {
    if (o.query?.sendInitialEvents) asked++;
    return stream(path, o);
  };
  const second = make();
  second.start();
  assert.equal(await second.whenSynced(), undefined);
  assert.equal(asked, 0);
  assert.equal(t.lists.length, 2);
  first.dispose();
  second.dispose();
});

test('a forbidden watch list is listed instead (RBAC may allow list without watch), and is no refusal of the feature', async () => {
  const { t, make, support } = setup();
  t.listAnswer = () => ok({ metadata: { resourceVersion: '4' }, items: [pod('a', 'u1', '4')] });
  t.watchAnswer = (c) =>
    c.query?.sendInitialEvents ? { kind: 'forbidden', status: 403, message: 'pods is forbidden' } : undefined;
  const cache = make();
  cache.start();
  assert.equal(await cache.whenSynced(), undefined);
  assert.equal(cache.size, 1, 'the listed state is shown');
  assert.equal(support.use, true, 'other resources still come by watch list');
  assert.equal(t.lists.length, 1);
  cache.dispose();
});

test('a watch list and a list both forbidden: forbidden', async () => {
  const { t, make } = setup();
  const forbidden = { kind: 'forbidden' as const, status: 403, message: 'pods is forbidden' };
  t.listAnswer = () => ({ ok: false as const, error: forbidden });
  t.watchAnswer = () => forbidden;
  const cache = make();
  cache.start();
  assert.equal((await cache.whenSynced())?.kind, 'forbidden');
  assert.equal(cache.health.state, 'forbidden');
  cache.dispose();
});

test('watch lists are asked of servers from 1.27 on (older ones ignore the option)', () => {
  assert.equal(servesWatchList({ gitVersion: 'v1.36.3' }), true);
  assert.equal(servesWatchList({ gitVersion: 'v1.30.14' }), true);
  assert.equal(servesWatchList({ gitVersion: 'v1.27.0-gke.100' }), true);
  assert.equal(servesWatchList({ gitVersion: 'v1.26.15' }), false);
  assert.equal(servesWatchList({ gitVersion: '', major: '1', minor: '29+' }), true);
  assert.equal(servesWatchList({ gitVersion: '', major: '1', minor: '25' }), false);
  assert.equal(servesWatchList({ gitVersion: 'garbage' }), false);
});

test('probe: the version and the credentials check are asked at once', async () => {
  const t = new FakeTransport();
  let answerVersion!: () => void;
  const version = new Promise<void>((r) => (answerVersion = r));
  t.listAnswer = async (c) => {
    if (c.path === '/version') {
      await version;
      return ok({ gitVersion: 'v1.30.14' });
    }
    return ok({});
  };
  const conn = ClusterConnection.fromTransport(
    { name: 'ctx', cluster: 'c', user: 'u', file: '/k' },
    t.asTransport(),
    { timers: new ManualTimers() },
  );
  const probed = conn.probe();
  await tick();
  assert.equal(
    t.posts.filter((p) => p.path.endsWith('/selfsubjectaccessreviews')).length,
    1,
    'asked before /version answered',
  );
  answerVersion();
  const r = await probed;
  assert.ok(r.ok);
  assert.equal(r.value.gitVersion, 'v1.30.14');
  assert.equal(conn.watchListInUse, true);
  conn.dispose();
});
