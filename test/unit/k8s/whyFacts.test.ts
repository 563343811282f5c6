import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type KubeObject } from '../../../src/core/kube';
import { type Result, fail, ok } from '../../../src/k8s/errors';
import { type ApiReader, queuePosition, readKueueFacts, visibilityVersion } from '../../../src/k8s/whyFacts';

/** Answers GET paths from a table; anything else is a 404, as the apiserver answers unknown groups. */
function api(table: Record<string, unknown>): ApiReader & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    get<T>(path: string): Promise<Result<T>> {
      asked.push(path);
      return Promise.resolve(
        path in table
          ? ok(table[path] as T)
          : fail({
              kind: 'notFound',
              message: `the server could not find the requested resource`,
              status: 404,
            }),
      );
    },
  };
}

const group = (name: string, versions: string[]) => ({
  kind: 'APIGroup',
  name,
  versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
  preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
});

// PendingWorkloadsSummary as Kueue's visibility server writes it (positions from 0).
const summary = {
  kind: 'PendingWorkloadsSummary',
  apiVersion: 'visibility.kueue.x-k8s.io/v1beta2',
  items: [
    {
      metadata: { name: 'job-a-1', namespace: 'ml' },
      localQueueName: 'team-a-queue',
      priority: 0,
      positionInClusterQueue: 1,
      positionInLocalQueue: 0,
    },
    {
      metadata: { name: 'job-b-2', namespace: 'ml' },
      localQueueName: 'team-a-queue',
      priority: 0,
      positionInClusterQueue: 3,
      positionInLocalQueue: 1,
    },
    {
      metadata: { name: 'job-queued-3f2a1', namespace: 'ml' },
      localQueueName: 'team-a-queue',
      priority: 0,
      positionInClusterQueue: 4,
      positionInLocalQueue: 2,
    },
  ],
};

describe('Kueue visibility API', () => {
  it('prefers v1beta2 (Kueue 0.15+) and falls back to v1beta1', async () => {
    assert.equal(
      await visibilityVersion(
        api({
          '/apis/visibility.kueue.x-k8s.io': group('visibility.kueue.x-k8s.io', ['v1beta2', 'v1beta1']),
        }),
      ),
      'v1beta2',
    );
    assert.equal(
      await visibilityVersion(
        api({
          '/apis/visibility.kueue.x-k8s.io': group('visibility.kueue.x-k8s.io', ['v1beta1', 'v1alpha1']),
        }),
      ),
      'v1beta1',
    );
    assert.equal(await visibilityVersion(api({})), undefined);
  });

  it('position counted from 1, at the served version', async () => {
    const a = api({
      '/apis/visibility.kueue.x-k8s.io': group('visibility.kueue.x-k8s.io', ['v1beta1']),
      '/apis/visibility.kueue.x-k8s.io/v1beta1/namespaces/ml/localqueues/team-a-queue/pendingworkloads':
        summary,
    });
    const r = await queuePosition(a, 'ml', 'team-a-queue', 'job-queued-3f2a1', { clusterQueue: 'team-a-cq' });
    assert.ok(r.ok);
    assert.deepEqual(r.value, {
      localQueue: 'team-a-queue',
      clusterQueue: 'team-a-cq',
      pendingInLocalQueue: 3,
      positionInLocalQueue: 3,
      positionInClusterQueue: 5,
    });
    const absent = await queuePosition(a, 'ml', 'team-a-queue', 'other');
    assert.ok(absent.ok && absent.value === undefined);
  });

  it('without the visibility API: a value saying so', async () => {
    const r = await queuePosition(api({}), 'ml', 'q', 'w');
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'notFound');
  });
});

describe('readKueueFacts', () => {
  const job: KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: 'queued',
      namespace: 'ml',
      uid: 'job-uid',
      labels: { 'kueue.x-k8s.io/queue-name': 'team-a-queue' },
    },
    spec: { suspend: true },
  };
  const wl = {
    apiVersion: 'kueue.x-k8s.io/v1beta2',
    kind: 'Workload',
    metadata: {
      name: 'job-queued-3f2a1',
      namespace: 'ml',
      ownerReferences: [
        { apiVersion: 'batch/v1', kind: 'Job', name: 'queued', uid: 'job-uid', controller: true },
      ],
    },
    spec: { queueName: 'team-a-queue', podSets: [] },
    status: {
      conditions: [
        { type: 'QuotaReserved', status: 'False', reason: 'Pending', message: 'insufficient quota' },
      ],
    },
  };
  const lq = {
    apiVersion: 'kueue.x-k8s.io/v1beta2',
    kind: 'LocalQueue',
    metadata: { name: 'team-a-queue', namespace: 'ml' },
    spec: { clusterQueue: 'team-a-cq' },
  };
  const cq = {
    apiVersion: 'kueue.x-k8s.io/v1beta2',
    kind: 'ClusterQueue',
    metadata: { name: 'team-a-cq' },
    spec: {},
  };

  it('finds the owned Workload, the queues and the position', async () => {
    const a = api({
      '/apis/kueue.x-k8s.io': group('kueue.x-k8s.io', ['v1beta2', 'v1beta1']),
      '/apis/kueue.x-k8s.io/v1beta2/clusterqueues': { items: [cq] },
      '/apis/kueue.x-k8s.io/v1beta2/namespaces/ml/localqueues': { items: [lq] },
      '/apis/kueue.x-k8s.io/v1beta2/resourceflavors': { items: [] },
      '/apis/kueue.x-k8s.io/v1beta2/namespaces/ml/workloads': { items: [wl] },
      '/apis/visibility.kueue.x-k8s.io': group('visibility.kueue.x-k8s.io', ['v1beta2']),
      '/apis/visibility.kueue.x-k8s.io/v1beta2/namespaces/ml/localqueues/team-a-queue/pendingworkloads':
        summary,
    });
    const f = await readKueueFacts(a, job);
    assert.equal(f.workload?.metadata.name, 'job-queued-3f2a1');
    assert.equal(f.clusterQueues?.length, 1);
    assert.equal(f.localQueues?.length, 1);
    assert.deepEqual(f.position?.positionInLocalQueue, 3);
    assert.equal(f.position?.clusterQueue, 'team-a-cq');
  });

  it('without Kueue: nothing added, nothing else asked', async () => {
    const a = api({});
    assert.deepEqual(await readKueueFacts(a, job), {});
    assert.deepEqual(a.asked, ['/apis/kueue.x-k8s.io']);
  });
});
