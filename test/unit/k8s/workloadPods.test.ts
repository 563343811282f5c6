import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KindRef, KubeObject } from '../../../src/core/kube';
import { ClusterConnection } from '../../../src/k8s/connection';
import { ok, type Result } from '../../../src/k8s/errors';
import { trackPods, type TrackedPod } from '../../../src/k8s/workloadPods';
import { FakeTransport, ManualTimers, tick, type Call } from './fakes';

const res = (resource: string, kind: string) => ({
  resource,
  responseKind: { kind },
  scope: 'Namespaced',
  verbs: ['list', 'watch'],
});
const group = (name: string, version: string, resources: ReturnType<typeof res>[]) => ({
  metadata: { name },
  versions: [{ version, resources }],
});
const CORE = { kind: 'APIGroupDiscoveryList', items: [group('', 'v1', [res('pods', 'Pod')])] };
const APIS = {
  kind: 'APIGroupDiscoveryList',
  items: [
    group('kubeflow.org', 'v1', [res('pytorchjobs', 'PyTorchJob')]),
    group('trainer.kubeflow.org', 'v1alpha1', [res('trainjobs', 'TrainJob')]),
    group('jobset.x-k8s.io', 'v1alpha2', [res('jobsets', 'JobSet')]),
    group('batch', 'v1', [res('jobs', 'Job'), res('cronjobs', 'CronJob')]),
    group('ray.io', 'v1', [res('rayclusters', 'RayCluster')]),
  ],
};
const SERVED: KindRef[] = [
  { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
  { group: 'kubeflow.org', version: 'v1', kind: 'PyTorchJob', plural: 'pytorchjobs', namespaced: true },
];

const context = { name: 'ctx', cluster: 'c', user: 'u', namespace: 'ml', file: '/k' };
const list = (items: unknown[] = [], rv = '100') => ok({ metadata: { resourceVersion: rv }, items });

function setup(lists: Record<string, unknown[]> = {}, answer?: (c: Call) => Result<unknown> | undefined) {
  const t = new FakeTransport();
  t.listAnswer = (c) => {
    const a = answer?.(c);
    if (a) return a;
    if (c.path === '/api') return ok(CORE);
    if (c.path === '/apis') return ok(APIS);
    return list(lists[c.path] ?? []);
  };
  const timers = new ManualTimers();
  const conn = ClusterConnection.fromTransport(context, t.asTransport(), { timers });
  return { t, timers, conn };
}

const watchFor = (t: FakeTransport, path: string) =>
  t.watches.find((w) => w.call.path === path && !w.body.destroyed);

let rv = 10;
function o(
  apiVersion: string,
  kind: string,
  name: string,
  meta: Partial<KubeObject['metadata']> = {},
  status: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: { name, namespace: 'ml', uid: `uid-${kind}-${name}`, resourceVersion: String(++rv), ...meta },
    status,
  };
}
const ownerOf = (x: KubeObject) => ({
  apiVersion: x.apiVersion,
  kind: x.kind,
  name: x.metadata.name,
  uid: x.metadata.uid!,
  controller: true,
});

const llama = o('kubeflow.org/v1', 'PyTorchJob', 'llama');
const tpod = (job: KubeObject, type: string, i: number, phase = 'Running') =>
  o(
    'v1',
    'Pod',
    `${job.metadata.name}-${type}-${i}`,
    {
      labels: {
        'training.kubeflow.org/job-name': job.metadata.name,
        'training.kubeflow.org/replica-type': type,
        'training.kubeflow.org/replica-index': String(i),
      },
      ownerReferences: [ownerOf(job)],
    },
    { phase },
  );

const PODS = '/api/v1/namespaces/ml/pods';
const PYTORCHJOBS = '/apis/kubeflow.org/v1/namespaces/ml/pytorchjobs';
const labels = (pods: readonly TrackedPod[]) => pods.map((p) => p.label);
const LLAMA = {
  type: 'workload',
  group: 'kubeflow.org',
  kind: 'PyTorchJob',
  namespace: 'ml',
  name: 'llama',
} as const;

test('a PyTorchJob: its pods by role then rank; pods joining, changing and leaving; the job deleted ends it', async () => {
  const other = o('kubeflow.org/v1', 'PyTorchJob', 'other');
  const { t, timers, conn } = setup({
    [PYTORCHJOBS]: [llama, other],
    [PODS]: [
      tpod(llama, 'worker', 10),
      tpod(llama, 'worker', 2),
      tpod(llama, 'master', 0),
      tpod(other, 'master', 0),
    ],
  });
  const w = trackPods(conn, LLAMA);
  const r = await w.ready();
  assert.ok(r.ok, JSON.stringify(r));
  // only the target's namespace is listed, and only the kinds it needs
  assert.deepEqual(
    t.lists
      .filter((l) => l.path.includes('/namespaces/'))
      .map((l) => l.path)
      .sort(),
    [PODS, PYTORCHJOBS],
  );
  assert.deepEqual(labels(w.current()), ['master-0', 'worker-2', 'worker-10']);
  assert.deepEqual(
    w.current().map((p) => [p.role, p.rank]),
    [
      ['master', [0]],
      ['worker', [2]],
      ['worker', [10]],
    ],
  );
  assert.equal(w.workload()?.metadata.uid, 'uid-PyTorchJob-llama');

  const seen: string[][] = [];
  w.onDidChange((pods) => seen.push(labels(pods)));
  let ended: string | undefined;
  w.onDidEnd((why) => (ended = why));
  await tick();
  const pods = watchFor(t, PODS)!;
  const jobs = watchFor(t, PYTORCHJOBS)!;

  pods.send('ADDED', tpod(llama, 'worker', 3));
  await tick();
  timers.advance(50);
  assert.deepEqual(seen, [['master-0', 'worker-2', 'worker-3', 'worker-10']]);

  // another workload's pod: nothing for this target
  pods.send('ADDED', tpod(other, 'worker', 0));
  await tick();
  timers.advance(50);
  assert.equal(seen.length, 1);

  // a status change of one of its pods is reported with the new object
  const failed = tpod(llama, 'worker', 3, 'Failed');
  pods.send('MODIFIED', failed);
  await tick();
  timers.advance(50);
  assert.equal(seen.length, 2);
  assert.equal(w.current().find((p) => p.label === 'worker-3')!.pod.status.phase, 'Failed');

  pods.send('DELETED', failed);
  await tick();
  timers.advance(50);
  assert.deepEqual(seen[2], ['master-0', 'worker-2', 'worker-10']);
  assert.equal(ended, undefined);

  jobs.send('DELETED', llama);
  await tick();
  timers.advance(50);
  assert.equal(ended, 'deleted');
  assert.deepEqual(w.current(), []);
  assert.equal(w.workload(), undefined);

  w.dispose();
  await tick();
  assert.ok(pods.body.destroyed, 'the last holder released the pods watch');
  assert.ok(jobs.body.destroyed);
  conn.dispose();
});

test('two trackers in one namespace share the watch caches; each release keeps the other running', async () => {
  const { t, conn } = setup({ [PYTORCHJOBS]: [llama], [PODS]: [tpod(llama, 'master', 0)] });
  const a = trackPods(conn, LLAMA, { kinds: SERVED });
  const b = trackPods(conn, { type: 'pod', namespace: 'ml', name: 'llama-master-0' }, { kinds: SERVED });
  assert.ok((await a.ready()).ok);
  assert.ok((await b.ready()).ok);
  await tick();
  assert.equal(t.lists.filter((l) => l.path === PODS).length, 1);
  assert.equal(t.watches.filter((w) => w.call.path === PODS).length, 1);
  assert.ok(!t.lists.some((l) => l.path === '/apis'), 'the given kinds replace discovery');
  a.dispose();
  await tick();
  assert.ok(!watchFor(t, PODS)!.body.destroyed);
  b.dispose();
  await tick();
  assert.equal(watchFor(t, PODS), undefined);
  conn.dispose();
});

test('a TrainJob follows its pods through the JobSet and Jobs, which are watched too', async () => {
  const tj = o('trainer.kubeflow.org/v1alpha1', 'TrainJob', 'ft');
  const js = o('jobset.x-k8s.io/v1alpha2', 'JobSet', 'ft', { ownerReferences: [ownerOf(tj)] });
  const job = o('batch/v1', 'Job', 'ft-node-0', { ownerReferences: [ownerOf(js)] });
  const jpod = (i: number) =>
    o('v1', 'Pod', `ft-node-0-${i}-x`, {
      labels: {
        'jobset.sigs.k8s.io/replicatedjob-name': 'node',
        'jobset.sigs.k8s.io/job-index': '0',
        'batch.kubernetes.io/job-completion-index': String(i),
      },
      ownerReferences: [ownerOf(job)],
    });
  const { t, conn } = setup({
    '/apis/trainer.kubeflow.org/v1alpha1/namespaces/ml/trainjobs': [tj],
    '/apis/jobset.x-k8s.io/v1alpha2/namespaces/ml/jobsets': [js],
    '/apis/batch/v1/namespaces/ml/jobs': [job],
    [PODS]: [jpod(1), jpod(0)],
  });
  const w = trackPods(conn, {
    type: 'workload',
    group: 'trainer.kubeflow.org',
    kind: 'TrainJob',
    namespace: 'ml',
    name: 'ft',
  });
  assert.ok((await w.ready()).ok);
  assert.deepEqual(labels(w.current()), ['node-0-0', 'node-0-1']);
  assert.ok(!t.lists.some((l) => l.path.includes('rayclusters') || l.path.includes('cronjobs')));
  w.dispose();
  conn.dispose();
});

test('Ray workers are grouped per worker group and labelled <group>-<suffix>, like the tree', async () => {
  const rc = o('ray.io/v1', 'RayCluster', 'rc');
  const rpod = (name: string, type: string, grp?: string) =>
    o('v1', 'Pod', name, {
      labels: { 'ray.io/cluster': 'rc', 'ray.io/node-type': type, ...(grp ? { 'ray.io/group': grp } : {}) },
      ownerReferences: [ownerOf(rc)],
    });
  const { conn } = setup({
    '/apis/ray.io/v1/namespaces/ml/rayclusters': [rc],
    [PODS]: [
      rpod('rc-gpu-worker-b2', 'worker', 'gpu'),
      rpod('rc-cpu-worker-a1', 'worker', 'cpu'),
      rpod('rc-head-z', 'head'),
    ],
  });
  const w = trackPods(conn, {
    type: 'workload',
    group: 'ray.io',
    kind: 'RayCluster',
    namespace: 'ml',
    name: 'rc',
  });
  assert.ok((await w.ready()).ok);
  assert.deepEqual(
    w.current().map((p) => `${p.role}:${p.label}`),
    ['head:head', 'cpu:cpu-a1', 'gpu:gpu-b2'],
  );
  w.dispose();
  conn.dispose();
});

test('a RayJob follows its cluster pods and the pod of its submitter Job', async () => {
  const rj = o('ray.io/v1', 'RayJob', 'tune', {}, { rayClusterName: 'tune-rc' });
  const rc = o('ray.io/v1', 'RayCluster', 'tune-rc', { ownerReferences: [ownerOf(rj)] });
  const submit = o('batch/v1', 'Job', 'tune', { ownerReferences: [ownerOf(rj)] });
  const { t, conn } = setup(
    {
      '/apis/ray.io/v1/namespaces/ml/rayjobs': [rj],
      '/apis/ray.io/v1/namespaces/ml/rayclusters': [rc],
      '/apis/batch/v1/namespaces/ml/jobs': [submit],
      [PODS]: [
        o('v1', 'Pod', 'tune-rc-gpu-worker-q9', {
          labels: { 'ray.io/cluster': 'tune-rc', 'ray.io/node-type': 'worker', 'ray.io/group': 'gpu' },
          ownerReferences: [ownerOf(rc)],
        }),
        o('v1', 'Pod', 'tune-x2', {
          labels: { 'batch.kubernetes.io/job-name': 'tune', 'ray.io/originated-from-crd': 'RayJob' },
          ownerReferences: [ownerOf(submit)],
        }),
        o('v1', 'Pod', 'tune-rc-head-a', {
          labels: { 'ray.io/cluster': 'tune-rc', 'ray.io/node-type': 'head' },
          ownerReferences: [ownerOf(rc)],
        }),
      ],
    },
    (c) =>
      c.path === '/apis'
        ? ok({
            kind: 'APIGroupDiscoveryList',
            items: [
              group('ray.io', 'v1', [res('rayjobs', 'RayJob'), res('rayclusters', 'RayCluster')]),
              group('batch', 'v1', [res('jobs', 'Job')]),
            ],
          })
        : undefined,
  );
  const w = trackPods(conn, {
    type: 'workload',
    group: 'ray.io',
    kind: 'RayJob',
    namespace: 'ml',
    name: 'tune',
  });
  assert.ok((await w.ready()).ok);
  assert.deepEqual(
    w.current().map((p) => `${p.role}:${p.label}`),
    ['head:head', 'submitter:submitter', 'gpu:gpu-q9'],
  );
  assert.deepEqual(
    t.lists
      .filter((l) => l.path.includes('/namespaces/'))
      .map((l) => l.path)
      .sort(),
    [
      PODS,
      '/apis/batch/v1/namespaces/ml/jobs',
      '/apis/ray.io/v1/namespaces/ml/rayclusters',
      '/apis/ray.io/v1/namespaces/ml/rayjobs',
    ],
  );
  w.dispose();
  conn.dispose();
});

test('a pod target: re-created under the same name (new uid) ends it', async () => {
  const p = tpod(llama, 'master', 0);
  const { t, timers, conn } = setup({ [PODS]: [p] });
  const w = trackPods(conn, { type: 'pod', namespace: 'ml', name: 'llama-master-0' }, { kinds: SERVED });
  assert.ok((await w.ready()).ok);
  assert.deepEqual(labels(w.current()), ['master-0']);
  assert.equal(w.workload(), undefined);
  let ended = 0;
  w.onDidEnd(() => ended++);
  await tick();
  const again = structuredClone(p);
  again.metadata.uid = 'uid-new';
  watchFor(t, PODS)!.send('DELETED', p);
  watchFor(t, PODS)!.send('ADDED', again);
  await tick();
  timers.advance(50);
  assert.equal(ended, 1);
  assert.deepEqual(w.current(), []);
  w.dispose();
  conn.dispose();
});

test('failures are values: kind not served, target not found, forbidden list', async () => {
  const { conn } = setup({ [PYTORCHJOBS]: [llama] }, (c) =>
    c.path === '/api/v1/namespaces/locked/pods'
      ? { ok: false, error: { kind: 'forbidden', status: 403, message: 'pods is forbidden' } }
      : undefined,
  );
  const notServed = trackPods(conn, {
    type: 'workload',
    group: 'ray.io',
    kind: 'RayJob',
    namespace: 'ml',
    name: 'x',
  });
  assert.deepEqual(await notServed.ready(), {
    ok: false,
    error: { kind: 'notFound', message: 'The cluster does not serve RayJob (ray.io).' },
  });
  const unknown = trackPods(conn, {
    type: 'workload',
    group: 'apps',
    kind: 'Deployment',
    namespace: 'ml',
    name: 'x',
  });
  assert.equal((await unknown.ready()).ok, false);
  const missing = trackPods(conn, { ...LLAMA, name: 'gone' });
  assert.deepEqual(await missing.ready(), {
    ok: false,
    error: { kind: 'notFound', message: 'PyTorchJob ml/gone was not found.' },
  });
  const forbidden = trackPods(conn, { type: 'pod', namespace: 'locked', name: 'p' }, { kinds: SERVED });
  const f = await forbidden.ready();
  assert.equal(!f.ok && f.error.kind, 'forbidden');
  for (const w of [notServed, unknown, missing, forbidden]) w.dispose();
  conn.dispose();
});
