import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KindRef } from '../../../src/core/kube';
import { ClusterConnection } from '../../../src/k8s/connection';
import { fail, ok, type Result } from '../../../src/k8s/errors';
import {
  CLUSTER_WIDE_FROM_NAMESPACES,
  ClusterModelSource,
  type ModelChange,
  type SourceHealth,
} from '../../../src/k8s/modelSource';
import { FakeTransport, ManualTimers, pod, tick, type Call } from './fakes';

const res = (resource: string, kind: string, scope = 'Namespaced') => ({
  resource,
  responseKind: { kind },
  scope,
  verbs: ['list', 'watch'],
});
const CORE = {
  kind: 'APIGroupDiscoveryList',
  items: [
    {
      metadata: { name: '' },
      versions: [
        {
          version: 'v1',
          resources: [
            res('pods', 'Pod'),
            res('nodes', 'Node', 'Cluster'),
            res('events', 'Event'),
            res('namespaces', 'Namespace', 'Cluster'),
          ],
        },
      ],
    },
  ],
};
function apis(extra: { group: string; resources: ReturnType<typeof res>[] }[] = []) {
  return {
    kind: 'APIGroupDiscoveryList',
    items: [
      {
        metadata: { name: 'kubeflow.org' },
        versions: [{ version: 'v1', resources: [res('pytorchjobs', 'PyTorchJob')] }],
      },
      {
        metadata: { name: 'apiextensions.k8s.io' },
        versions: [
          {
            version: 'v1',
            resources: [res('customresourcedefinitions', 'CustomResourceDefinition', 'Cluster')],
          },
        ],
      },
      ...extra.map((e) => ({
        metadata: { name: e.group },
        versions: [{ version: 'v1', resources: e.resources }],
      })),
    ],
  };
}

const context = { name: 'ctx', cluster: 'c', user: 'u', namespace: 'team-a', file: '/k' };
const list = (items: unknown[] = [], rv = '100') => ok({ metadata: { resourceVersion: rv }, items });

function setup(answer: (c: Call) => Result<unknown> | Promise<Result<unknown>> | undefined) {
  const t = new FakeTransport();
  let apisDoc = apis();
  t.listAnswer = (c) => {
    const a = answer(c);
    if (a) return a;
    if (c.path === '/version') return ok({ gitVersion: 'v1.36.3' });
    if (c.path === '/api') return ok(CORE);
    if (c.path === '/apis') return ok(apisDoc);
    return list();
  };
  const timers = new ManualTimers();
  const conn = ClusterConnection.fromTransport(context, t.asTransport(), {
    timers,
    configuredNamespaces: ['team-b'],
  });
  return { t, timers, conn, setApis: (d: ReturnType<typeof apis>) => (apisDoc = d) };
}

const watchFor = (t: FakeTransport, path: string) =>
  t.watches.find((w) => w.call.path === path && !w.body.destroyed);

test('start: one list+watch per kind, snapshot by kind key, then batched changes across kinds', async () => {
  const { t, timers, conn } = setup((c) =>
    c.path === '/api/v1/pods' ? list([pod('a', 'u1', '5')]) : undefined,
  );
  const src = new ClusterModelSource(conn, { scope: { kind: 'all' }, timers });
  const changes: (readonly ModelChange[])[] = [];
  src.onDidChange((c) => changes.push(c));
  const snap = await src.start();
  assert.ok(snap.ok);
  const s = snap.value;
  assert.deepEqual(s.scope, { kind: 'all' });
  assert.deepEqual(
    s.workloadKinds.map((k) => k.kind),
    ['PyTorchJob'],
  );
  assert.deepEqual([...s.objects.keys()].sort(), ['Event', 'Node', 'Pod', 'PyTorchJob.kubeflow.org']);
  assert.equal(s.objects.get('Pod')!.get('u1')!.metadata.name, 'a');
  assert.deepEqual(s.notes, []);
  assert.equal(src.health.state, 'connected');
  assert.equal(changes.length, 0, 'the initial lists are in the snapshot, not replayed as changes');
  await tick();
  // Warning events only, all namespaces.
  assert.equal(watchFor(t, '/api/v1/events')!.call.query!.fieldSelector, 'type=Warning');
  watchFor(t, '/api/v1/pods')!.send('ADDED', pod('b', 'u2', '6'));
  watchFor(t, '/apis/kubeflow.org/v1/pytorchjobs')!.send('ADDED', {
    apiVersion: 'kubeflow.org/v1',
    kind: 'PyTorchJob',
    metadata: { name: 'j', namespace: 'ns', uid: 'j1', resourceVersion: '7' },
  });
  await tick();
  timers.advance(50); // cache windows
  assert.equal(changes.length, 0, 'the source coalesces across kinds too');
  timers.advance(30);
  assert.equal(changes.length, 1);
  assert.deepEqual(changes[0]!.map((c) => `${c.kind.kind}:${[...c.changes.added.keys()]}`).sort(), [
    'Pod:u2',
    'PyTorchJob:j1',
  ]);
  src.dispose();
  conn.dispose();
});

test('RBAC fallback: forbidden across namespaces and for namespaces -> context + configured namespaces the user may list', async () => {
  const { t, timers, conn } = setup((c) => {
    if (c.path === '/api/v1/namespaces')
      return fail({ kind: 'forbidden', status: 403, message: 'Forbidden: namespaces is forbidden' });
    if (c.path === '/api/v1/nodes')
      return fail({ kind: 'forbidden', status: 403, message: 'Forbidden: nodes is forbidden' });
    return undefined;
  });
  t.canI = (verb, resource, ns) => ns === 'team-a' && resource === 'pods' && verb === 'list';
  const src = new ClusterModelSource(conn, { scope: { kind: 'all' }, timers });
  const snap = await src.start();
  assert.ok(snap.ok);
  const s = snap.value;
  assert.deepEqual(s.scope, {
    kind: 'some',
    namespaces: ['team-a'],
    note: 'Listing across all namespaces is forbidden; showing team-a.',
  });
  assert.deepEqual(s.notes, [
    'Listing across all namespaces is forbidden; showing team-a.',
    'Listing nodes is forbidden, so GPU capacity per node is not shown.',
  ]);
  assert.equal(s.health.get('Node')!.state, 'forbidden');
  assert.ok(t.lists.some((l) => l.path === '/api/v1/namespaces/team-a/pods'));
  assert.ok(!t.lists.some((l) => l.path === '/api/v1/pods'));
  assert.ok(!t.lists.some((l) => l.path.includes('team-b')), 'team-b is not listable');
  // A forbidden kind is not a connection problem.
  assert.equal(src.health.state, 'connected');
  src.dispose();
  conn.dispose();
});

test('with the namespace list readable, every listable namespace is shown', async () => {
  const { t, timers, conn } = setup((c) =>
    c.path === '/api/v1/namespaces'
      ? list(['default', 'team-a', 'team-c', 'kube-system'].map((n) => ({ metadata: { name: n, uid: n } })))
      : undefined,
  );
  t.canI = (_verb, _resource, ns) => ns === 'team-a' || ns === 'team-c';
  const src = new ClusterModelSource(conn, { scope: { kind: 'all' }, timers });
  const snap = await src.start();
  assert.ok(snap.ok);
  assert.equal(
    snap.value.scope.kind === 'some' && snap.value.scope.note,
    'Listing across all namespaces is forbidden; showing team-a, team-c.',
  );
  src.dispose();
  conn.dispose();
});

test('health follows the watches: reconnecting while one fails, connected again after', async () => {
  const { t, timers, conn } = setup(() => undefined);
  const src = new ClusterModelSource(conn, { scope: { kind: 'all' }, timers });
  const states: SourceHealth['state'][] = [];
  src.onDidChangeHealth((h) => states.push(h.state));
  assert.ok((await src.start()).ok);
  await tick();
  t.watchAnswer = (c) =>
    c.path === '/api/v1/pods' ? { kind: 'unreachable', message: 'refused' } : undefined;
  watchFor(t, '/api/v1/pods')!.fail();
  await tick(10);
  assert.equal(src.health.state, 'reconnecting');
  t.watchAnswer = () => undefined;
  timers.advance(1000);
  await tick(10);
  assert.equal(src.health.state, 'connected');
  assert.deepEqual(states.slice(-2), ['reconnecting', 'connected']);
  src.dispose();
  conn.dispose();
});

test('a start that cannot reach the cluster fails as a value', async () => {
  const { timers, conn } = setup((c) =>
    c.path === '/version' ? fail({ kind: 'unreachable', message: 'Cannot reach the cluster' }) : undefined,
  );
  const src = new ClusterModelSource(conn, { scope: { kind: 'all' }, timers });
  const r = await src.start();
  assert.equal(!r.ok && r.error.kind, 'unreachable');
  assert.equal(src.health.state, 'failed');
  src.dispose();
  conn.dispose();
});

test('a CRD event re-runs discovery and starts watching the new kind', async () => {
  const { t, timers, conn, setApis } = setup(() => undefined);
  const select = (served: readonly KindRef[]) =>
    served.filter((k) => k.kind === 'Widget' || k.kind === 'PyTorchJob');
  const src = new ClusterModelSource(conn, {
    scope: { kind: 'all' },
    timers,
    selectKinds: select,
    nodes: false,
    warningEvents: false,
  });
  const kinds: string[][] = [];
  src.onDidChangeKinds((k) => kinds.push(k.map((x) => x.kind)));
  assert.ok((await src.start()).ok);
  await tick();
  setApis(apis([{ group: 'x.dev', resources: [res('widgets', 'Widget')] }]));
  watchFor(t, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions')!.send('ADDED', {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.x.dev', uid: 'crd1', resourceVersion: '200' },
    spec: {
      group: 'x.dev',
      names: { kind: 'Widget', plural: 'widgets' },
      scope: 'Namespaced',
      versions: [{ name: 'v1', served: true }],
    },
  });
  await tick();
  timers.advance(50); // CRD cache batch
  timers.advance(300); // rediscovery debounce
  await tick(10);
  assert.deepEqual(kinds, [['PyTorchJob', 'Widget']]);
  assert.ok(t.lists.some((l) => l.path === '/apis/x.dev/v1/widgets'));
  assert.ok(src.snapshot().objects.has('Widget.x.dev'));
  src.dispose();
  conn.dispose();
});

test('50 chosen namespaces: one cluster-wide watch per kind, filtered in memory (per namespace where RBAC says so)', async () => {
  const namespaces = Array.from({ length: 50 }, (_, i) => `ns-${String(i).padStart(2, '0')}`);
  const job = (name: string, namespace: string, uid: string) => ({
    apiVersion: 'kubeflow.org/v1',
    kind: 'PyTorchJob',
    metadata: { name, namespace, uid, resourceVersion: '5' },
  });
  const run = async (clusterWideJobs: boolean) => {
    const { t, timers, conn } = setup((c) =>
      c.path === '/apis/kubeflow.org/v1/pytorchjobs'
        ? list([job('in', 'ns-07', 'j1'), job('out', 'elsewhere', 'j2')])
        : undefined,
    );
    // Every namespace is listable; across all namespaces only when asked for (pytorchjobs per the case).
    t.canI = (_verb, resource, ns) => ns !== '' || resource !== 'pytorchjobs' || clusterWideJobs;
    const src = new ClusterModelSource(conn, { scope: { kind: 'some', namespaces }, timers });
    const changes: (readonly ModelChange[])[] = [];
    src.onDidChange((c) => changes.push(c));
    const snap = await src.start();
    assert.ok(snap.ok);
    await tick();
    const watched = t.watches.map((w) => w.call.path);
    return { t, timers, conn, src, snap: snap.value, watched, changes };
  };

  const wide = await run(true);
  // Pods, nodes, Warning events, PyTorchJobs and CRDs: one watch each, whatever the number of namespaces.
  assert.deepEqual([...wide.watched].sort(), [
    '/api/v1/events',
    '/api/v1/nodes',
    '/api/v1/pods',
    '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
    '/apis/kubeflow.org/v1/pytorchjobs',
  ]);
  // Only the chosen namespaces' objects reach the model, in the snapshot and in later changes.
  assert.deepEqual([...wide.snap.objects.get('PyTorchJob.kubeflow.org')!.keys()], ['j1']);
  assert.deepEqual(
    [...wide.src.objectsOf('PyTorchJob.kubeflow.org')].map((o) => o.metadata.name),
    ['in'],
  );
  const w = wide.t.watches.find((x) => x.call.path === '/apis/kubeflow.org/v1/pytorchjobs')!;
  w.send('ADDED', job('late-in', 'ns-49', 'j3'));
  w.send('ADDED', job('late-out', 'kube-system', 'j4'));
  await tick();
  wide.timers.advance(200);
  assert.deepEqual(
    wide.changes.flatMap((c) => c.flatMap((m) => [...m.changes.added.keys()])),
    ['j3'],
  );
  wide.src.dispose();
  wide.conn.dispose();

  // PyTorchJobs not listable across namespaces: one watch per chosen namespace for that kind only.
  const narrow = await run(false);
  const jobWatches = narrow.watched.filter((p) => p.endsWith('/pytorchjobs'));
  assert.equal(jobWatches.length, 50);
  assert.ok(jobWatches.every((p) => /^\/apis\/kubeflow.org\/v1\/namespaces\/ns-\d\d\/pytorchjobs$/.test(p)));
  assert.equal(narrow.watched.filter((p) => p.endsWith('/events')).length, 1);
  narrow.src.dispose();
  narrow.conn.dispose();
});

test(`fewer than ${CLUSTER_WIDE_FROM_NAMESPACES} chosen namespaces: per-namespace watches (only what is shown is transferred)`, async () => {
  const { t, timers, conn } = setup(() => undefined);
  const src = new ClusterModelSource(conn, { scope: { kind: 'some', namespaces: ['a', 'b'] }, timers });
  assert.ok((await src.start()).ok);
  await tick();
  const jobs = t.watches.map((w) => w.call.path).filter((p) => p.endsWith('/pytorchjobs'));
  assert.deepEqual(jobs.sort(), [
    '/apis/kubeflow.org/v1/namespaces/a/pytorchjobs',
    '/apis/kubeflow.org/v1/namespaces/b/pytorchjobs',
  ]);
  src.dispose();
  conn.dispose();
});

test("startTimeline: the checks' round, then each kind's first list with its count, slowest last", async () => {
  let releasePods!: () => void;
  const podsHeld = new Promise<void>((r) => (releasePods = r));
  const { conn, timers } = setup((c) => {
    if (c.path === '/api/v1/pods')
      return podsHeld.then(() => list([pod('a', 'u1', '5'), pod('b', 'u2', '5')]));
    return undefined;
  });
  const src = new ClusterModelSource(conn, { scope: { kind: 'all' }, timers });
  assert.equal(src.startTimeline(), undefined, 'nothing before start');
  const started = src.start();
  await tick();
  timers.advance(40); // the other lists are in; pods are not
  await tick();
  timers.advance(300);
  releasePods();
  assert.ok((await started).ok);
  const line = src.startTimeline()!;
  // The other kinds were in before the clock moved; the held pods 340 ms after the start, with both counted.
  assert.equal(
    line,
    'checks and discovery 0 ms; first lists in: Node 0 ms (0), Event 0 ms (0), PyTorchJob.kubeflow.org 0 ms (0), Pod 340 ms (2)',
  );
  src.dispose();
  conn.dispose();
});
