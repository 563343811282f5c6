// DRA kinds in the model source: watched only where resource.k8s.io is served, at the most preferred version
// Gantry reads (v1, else v1beta2, else v1beta1); a cluster without DRA (Kubernetes 1.30) watches nothing more.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterConnection } from '../../../src/k8s/connection';
import { ok } from '../../../src/k8s/errors';
import { ClusterModelSource, draKinds } from '../../../src/k8s/modelSource';
import { FakeTransport, ManualTimers, tick } from './fakes';

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
          resources: [res('pods', 'Pod'), res('nodes', 'Node', 'Cluster'), res('events', 'Event')],
        },
      ],
    },
  ],
};
const draGroup = (versions: string[]) => ({
  metadata: { name: 'resource.k8s.io' },
  versions: versions.map((version) => ({
    version,
    resources: [
      res('resourceslices', 'ResourceSlice', 'Cluster'),
      res('resourceclaims', 'ResourceClaim'),
      res('deviceclasses', 'DeviceClass', 'Cluster'),
    ],
  })),
});

async function start(groups: unknown[]) {
  const t = new FakeTransport();
  t.listAnswer = (c) => {
    if (c.path === '/version') return ok({ gitVersion: 'v1.36.3' });
    if (c.path === '/api') return ok(CORE);
    if (c.path === '/apis') return ok({ kind: 'APIGroupDiscoveryList', items: groups });
    return ok({ metadata: { resourceVersion: '1' }, items: [] });
  };
  const timers = new ManualTimers();
  const conn = ClusterConnection.fromTransport(
    { name: 'ctx', cluster: 'c', user: 'u', namespace: 'team-a', file: '/k' },
    t.asTransport(),
    { timers },
  );
  const src = new ClusterModelSource(conn, { scope: { kind: 'all' }, timers });
  const snap = await src.start();
  assert.ok(snap.ok);
  await tick();
  const watched = [...new Set(t.watches.filter((w) => !w.body.destroyed).map((w) => w.call.path))].sort();
  src.dispose();
  conn.dispose();
  return { keys: [...snap.value.objects.keys()].sort(), watched };
}

test('no resource.k8s.io (Kubernetes 1.30 without DRA): no slice or claim watch', async () => {
  const { keys, watched } = await start([]);
  assert.deepEqual(keys, ['Event', 'Node', 'Pod']);
  assert.ok(!watched.some((p) => p.includes('resource.k8s.io')));
});

test('resource.k8s.io v1 and v1beta2 served: slices and claims watched at v1', async () => {
  const { keys, watched } = await start([draGroup(['v1', 'v1beta2'])]);
  assert.deepEqual(keys, [
    'Event',
    'Node',
    'Pod',
    'ResourceClaim.resource.k8s.io',
    'ResourceSlice.resource.k8s.io',
  ]);
  assert.deepEqual(
    watched.filter((p) => p.includes('resource.k8s.io')),
    ['/apis/resource.k8s.io/v1/resourceclaims', '/apis/resource.k8s.io/v1/resourceslices'],
  );
});

test('draKinds picks v1beta1 on a cluster serving only v1beta1 (1.32), and nothing for DeviceClass', () => {
  const served = ['v1beta1'].flatMap((version) => [
    { group: 'resource.k8s.io', version, kind: 'ResourceSlice', plural: 'resourceslices', namespaced: false },
    { group: 'resource.k8s.io', version, kind: 'ResourceClaim', plural: 'resourceclaims', namespaced: true },
    { group: 'resource.k8s.io', version, kind: 'DeviceClass', plural: 'deviceclasses', namespaced: false },
    {
      group: 'resource.k8s.io',
      version: 'v1alpha3',
      kind: 'ResourceSlice',
      plural: 'resourceslices',
      namespaced: false,
    },
  ]);
  assert.deepEqual(
    draKinds(served).map((k) => `${k.kind}@${k.version}`),
    ['ResourceSlice@v1beta1', 'ResourceClaim@v1beta1'],
  );
  assert.deepEqual(draKinds([]), []);
});
