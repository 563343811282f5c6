import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ok, fail } from '../../../src/k8s/errors';
import { discover } from '../../../src/k8s/discovery';
import { mlKindsOf, toWatchChanges } from '../../../src/k8s/liveTrees';
import type { KubeObject } from '../../../src/core/kube';
import { FakeTransport } from './fakes';

const aggregatedCore = {
  kind: 'APIGroupDiscoveryList',
  items: [
    {
      metadata: { name: '' },
      versions: [
        {
          version: 'v1',
          resources: [
            {
              resource: 'pods',
              responseKind: { kind: 'Pod' },
              scope: 'Namespaced',
              verbs: ['get', 'list', 'watch'],
            },
            {
              resource: 'nodes',
              responseKind: { kind: 'Node' },
              scope: 'Cluster',
              verbs: ['get', 'list', 'watch'],
            },
            {
              resource: 'bindings',
              responseKind: { kind: 'Binding' },
              scope: 'Namespaced',
              verbs: ['create'],
            },
          ],
        },
      ],
    },
  ],
};
const aggregatedApis = {
  kind: 'APIGroupDiscoveryList',
  items: [
    {
      metadata: { name: 'kubeflow.org' },
      versions: [
        {
          version: 'v1',
          resources: [
            {
              resource: 'pytorchjobs',
              responseKind: { kind: 'PyTorchJob' },
              scope: 'Namespaced',
              verbs: ['list', 'watch'],
            },
          ],
        },
      ],
    },
    {
      metadata: { name: 'kueue.x-k8s.io' },
      versions: [
        {
          version: 'v1beta2',
          resources: [
            {
              resource: 'clusterqueues',
              responseKind: { kind: 'ClusterQueue' },
              scope: 'Cluster',
              verbs: ['list', 'watch'],
            },
          ],
        },
        {
          version: 'v1beta1',
          resources: [
            {
              resource: 'clusterqueues',
              responseKind: { kind: 'ClusterQueue' },
              scope: 'Cluster',
              verbs: ['list', 'watch'],
            },
          ],
        },
      ],
    },
  ],
};

test('aggregated discovery: list+watch kinds, preferred version first, scope', async () => {
  const t = new FakeTransport();
  t.listAnswer = (c) => ok(c.path === '/api' ? aggregatedCore : aggregatedApis);
  const r = await discover(t.asTransport());
  assert.ok(r.ok);
  const d = r.value;
  assert.equal(t.lists.length, 2, 'one request per root');
  assert.deepEqual(d.get('', 'Pod'), {
    group: '',
    version: 'v1',
    kind: 'Pod',
    plural: 'pods',
    namespaced: true,
  });
  assert.equal(d.get('', 'Node')!.namespaced, false);
  assert.equal(d.get('', 'Binding'), undefined, 'not listable');
  assert.equal(d.get('kueue.x-k8s.io', 'ClusterQueue')!.version, 'v1beta2');
  assert.equal(d.allVersions().filter((k) => k.kind === 'ClusterQueue').length, 2);
  // The core kinds table picks the ML kinds it knows.
  const ml = mlKindsOf(d.preferred());
  assert.deepEqual(
    ml.map((k) => k.key),
    ['PyTorchJob.kubeflow.org', 'ClusterQueue.kueue.x-k8s.io'],
  );
});

test('classic discovery when the server has no aggregated discovery; a broken group does not hide the rest', async () => {
  const t = new FakeTransport();
  t.listAnswer = (c) => {
    switch (c.path) {
      case '/api':
        return ok({ kind: 'APIVersions', versions: ['v1'] });
      case '/apis':
        return ok({
          kind: 'APIGroupList',
          groups: [
            { name: 'batch', preferredVersion: { version: 'v1' } },
            { name: 'metrics.k8s.io', preferredVersion: { version: 'v1beta1' } },
          ],
        });
      case '/api/v1':
        return ok({
          resources: [
            { name: 'pods', kind: 'Pod', namespaced: true, verbs: ['list', 'watch'] },
            { name: 'pods/log', kind: 'Pod', namespaced: true },
          ],
        });
      case '/apis/batch/v1':
        return ok({ resources: [{ name: 'jobs', kind: 'Job', namespaced: true, verbs: ['list', 'watch'] }] });
      default:
        return fail({ kind: 'server', status: 503, message: 'service unavailable' });
    }
  };
  const r = await discover(t.asTransport());
  assert.ok(r.ok);
  assert.deepEqual(
    r.value
      .preferred()
      .map((k) => `${k.kind}.${k.group}/${k.version}`)
      .sort(),
    ['Job.batch/v1', 'Pod./v1'],
  );
});

test('discovery errors are values', async () => {
  const t = new FakeTransport();
  t.listAnswer = () => fail({ kind: 'unauthorized', status: 401, message: 'x' });
  const r = await discover(t.asTransport());
  assert.equal(!r.ok && r.error.kind, 'unauthorized');
});

test('toWatchChanges orders workloads before pods before events, and added, modified, deleted within a kind', () => {
  const o = (kind: string, name: string, apiVersion = 'v1') =>
    ({ apiVersion, kind, metadata: { name, uid: name } }) as KubeObject;
  const set = (a: KubeObject[], m: KubeObject[], d: KubeObject[]) => ({
    added: new Map(a.map((x) => [x.metadata.uid!, x])),
    modified: new Map(m.map((x) => [x.metadata.uid!, x])),
    deleted: new Map(d.map((x) => [x.metadata.uid!, x])),
  });
  const pod = { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true };
  const ev = { group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true };
  const pj = {
    group: 'kubeflow.org',
    version: 'v1',
    kind: 'PyTorchJob',
    plural: 'pytorchjobs',
    namespaced: true,
  };
  const out = toWatchChanges([
    { kind: ev, changes: set([o('Event', 'e1')], [], []) },
    { kind: pod, changes: set([o('Pod', 'p1')], [o('Pod', 'p2')], [o('Pod', 'p3')]) },
    { kind: pj, changes: set([o('PyTorchJob', 'j1', 'kubeflow.org/v1')], [], []) },
  ]);
  assert.deepEqual(
    out.map((c) => `${c.type}:${c.object.metadata.name}`),
    ['added:j1', 'added:p1', 'modified:p2', 'deleted:p3', 'added:e1'],
  );
});
