// The first rows are shown before every list has arrived: the model source tells which kinds have their first
// list, the trees are built from what has arrived (with one "Loading…" row for the rest), and fill in as the
// other lists complete, with the same row ids (VS Code keeps expansion by id).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT, LOADING_ID, type WorkloadTreeNode } from '../../../src/core/tree';
import { ClusterConnection } from '../../../src/k8s/connection';
import { ok, type Result } from '../../../src/k8s/errors';
import { ClusterModelSource, type ModelChange } from '../../../src/k8s/modelSource';
import { ClusterModel } from '../../../src/model/clusterModel';
import { FakeTransport, ManualTimers, tick, type Call } from './fakes';

const res = (resource: string, kind: string, scope = 'Namespaced') => ({
  resource,
  responseKind: { kind },
  scope,
  verbs: ['list', 'watch'],
});
const group = (name: string, resources: ReturnType<typeof res>[]) => ({
  metadata: { name },
  versions: [{ version: 'v1', resources }],
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
const APIS = {
  kind: 'APIGroupDiscoveryList',
  items: [
    group('kubeflow.org', [res('pytorchjobs', 'PyTorchJob')]),
    group('batch', [res('jobs', 'Job')]),
    group('apiextensions.k8s.io', [res('customresourcedefinitions', 'CustomResourceDefinition', 'Cluster')]),
  ],
};

const NOW = Date.parse('2026-12-01T12:00:00Z');
const HOUR_AGO = '2026-12-01T11:00:00Z';
const list = (items: unknown[] = [], rv = '100') => ok({ metadata: { resourceVersion: rv }, items });

function pytorchJob(name: string, uid: string, condition = 'Running') {
  return {
    apiVersion: 'kubeflow.org/v1',
    kind: 'PyTorchJob',
    metadata: { name, namespace: 'team', uid, resourceVersion: '10', creationTimestamp: HOUR_AGO },
    spec: {
      pytorchReplicaSpecs: {
        Master: { replicas: 1, template: { spec: { containers: [{ name: 'pytorch' }] } } },
        Worker: { replicas: 1, template: { spec: { containers: [{ name: 'pytorch' }] } } },
      },
    },
    status: { conditions: [{ type: condition, status: 'True', reason: `PyTorchJob${condition}` }] },
  };
}

function trainPod(job: string, jobUid: string, role: 'master' | 'worker', uid: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${job}-${role}-0`,
      namespace: 'team',
      uid,
      resourceVersion: '11',
      creationTimestamp: HOUR_AGO,
      labels: {
        'training.kubeflow.org/job-name': job,
        'training.kubeflow.org/replica-type': role,
        'training.kubeflow.org/replica-index': '0',
      },
      ownerReferences: [
        { apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob', name: job, uid: jobUid, controller: true },
      ],
    },
    spec: {
      nodeName: 'gpu-0',
      containers: [{ name: 'pytorch', resources: { limits: { 'nvidia.com/gpu': '1' } } }],
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'pytorch', ready: true, restartCount: 0, state: { running: {} } }],
    },
  };
}

const GPU_NODE = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: {
    name: 'gpu-0',
    uid: 'n0',
    resourceVersion: '3',
    labels: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' },
  },
  status: { allocatable: { 'nvidia.com/gpu': '8' }, capacity: { 'nvidia.com/gpu': '8' } },
};

/** A list the test answers later: a slow kind. */
function held(): { promise: Promise<Result<unknown>>; answer: (items: unknown[]) => void } {
  let answer!: (items: unknown[]) => void;
  const promise = new Promise<Result<unknown>>((r) => (answer = (items) => r(list(items))));
  return { promise, answer };
}

function setup() {
  const t = new FakeTransport();
  const pods = held();
  const jobs = held();
  t.listAnswer = (c: Call) => {
    if (c.path === '/version') return ok({ gitVersion: 'v1.36.3' });
    if (c.path === '/api') return ok(CORE);
    if (c.path === '/apis') return ok(APIS);
    if (c.path === '/api/v1/pods') return pods.promise;
    if (c.path === '/apis/batch/v1/jobs') return jobs.promise;
    if (c.path === '/apis/kubeflow.org/v1/pytorchjobs') return list([pytorchJob('train-0', 'j0')]);
    if (c.path === '/api/v1/nodes') return list([GPU_NODE]);
    return list();
  };
  const timers = new ManualTimers();
  const conn = ClusterConnection.fromTransport(
    { name: 'ctx', cluster: 'c', user: 'u', file: '/k' },
    t.asTransport(),
    { timers },
  );
  const source = new ClusterModelSource(conn, { scope: { kind: 'all' }, timers });
  return { t, timers, conn, source, pods, jobs };
}

/** Lets the lists that were answered land, then the source's batch window pass. */
async function settle(timers: ManualTimers): Promise<void> {
  await tick(10);
  timers.advance(100);
  await tick(10);
}

const rows = (model: ClusterModel): string[] => {
  const t = model.workloads!;
  const out: string[] = [];
  const walk = (id: string, depth: number) => {
    for (const n of t.children(id) as WorkloadTreeNode[]) {
      out.push(`${'  '.repeat(depth)}${n.label}${n.description ? ` | ${n.description}` : ''}`);
      if (n.collapsible !== 'none') walk(n.id, depth + 1);
    }
  };
  walk(ROOT, 0);
  return out;
};

test('source: kinds are told as their first lists complete, before start() resolves, never replayed as changes', async () => {
  const { timers, conn, source, pods, jobs } = setup();
  const synced: string[][] = [];
  const changes: ModelChange[][] = [];
  source.onDidSyncKinds((k) => synced.push([...k].sort()));
  source.onDidChange((c) => changes.push([...c]));
  let done = false;
  const started = source.start().then((r) => ((done = true), r));
  await settle(timers);
  assert.equal(done, false, 'pods and Jobs are still listing');
  assert.deepEqual(synced, [['Event', 'Node', 'PyTorchJob.kubeflow.org']]);
  assert.equal(source.isSynced('PyTorchJob.kubeflow.org'), true);
  assert.equal(source.isSynced('Pod'), false);
  assert.equal(source.isSynced('Job.batch'), false);
  assert.equal([...source.snapshot().objects.get('PyTorchJob.kubeflow.org')!.keys()].join(), 'j0');
  pods.answer([trainPod('train-0', 'j0', 'master', 'p0')]);
  await settle(timers);
  assert.deepEqual(synced.at(-1), ['Pod']);
  assert.equal(done, false);
  jobs.answer([]);
  const r = await started;
  assert.ok(r.ok);
  assert.deepEqual(synced.flat().sort(), ['Event', 'Job.batch', 'Node', 'Pod', 'PyTorchJob.kubeflow.org']);
  assert.equal(changes.length, 0, 'first lists are in the snapshot, not replayed as changes');
  source.dispose();
  conn.dispose();
});

test('model: rows are shown once the first workload kind is listed; pods and the other kinds fill in under the same ids', async () => {
  const { t, timers, conn, source, pods, jobs } = setup();
  const model = new ClusterModel(source, 'kind', () => NOW);
  const refreshed: string[][] = [];
  model.onDidChangeWorkloads((ids) => refreshed.push([...ids]));
  const states: string[] = [];
  model.onDidChangeState((s) => states.push(s.state));
  const started = model.start();
  await settle(timers);

  // What has arrived, and one row for the rest. No pod counts: the pods are not listed yet.
  assert.equal(model.state.state, 'connecting');
  assert.equal(model.loading, true);
  assert.deepEqual(rows(model), ['PyTorchJob | 1', '  train-0 | Running · 60m', 'Loading… | pods, Job']);
  const row = model.workloads!.children('g:kind:PyTorchJob.kubeflow.org')[0]!;
  assert.equal(row.collapsible, 'collapsed', 'expandable while its pods may still arrive');
  assert.equal(model.workloads!.node(LOADING_ID)?.label, 'Loading…');
  assert.deepEqual(refreshed, [[ROOT]]);
  assert.deepEqual(states, ['connecting'], 'told again, so the views drop "Connecting…" for the rows');
  assert.deepEqual(model.gpus!.children(ROOT), [], 'no GPU counts from nodes without their pods');

  // A change of a listed kind is applied at once, while the others still list.
  const watch = t.watches.find((w) => w.call.path === '/apis/kubeflow.org/v1/pytorchjobs')!;
  watch.send('MODIFIED', {
    ...pytorchJob('train-0', 'j0', 'Restarting'),
    metadata: { ...pytorchJob('train-0', 'j0').metadata, resourceVersion: '12' },
  });
  await settle(timers);
  assert.deepEqual(rows(model)[1], '  train-0 | Restarting · 60m');
  watch.send('MODIFIED', {
    ...pytorchJob('train-0', 'j0'),
    metadata: { ...pytorchJob('train-0', 'j0').metadata, resourceVersion: '13' },
  });
  await settle(timers);

  pods.answer([trainPod('train-0', 'j0', 'master', 'p0'), trainPod('train-0', 'j0', 'worker', 'p1')]);
  await settle(timers);
  assert.deepEqual(rows(model), [
    'PyTorchJob | 1',
    '  train-0 | Running · 2/2 · 60m',
    '    master | 1',
    '      master-0 | Running · gpu-0 · 1× gpu',
    '    worker | 1',
    '      worker-0 | Running · gpu-0 · 1× gpu',
    'Loading… | Job',
  ]);
  assert.deepEqual(
    model.gpus!.children(ROOT).map((n) => `${n.label} | ${n.description}`),
    ['NVIDIA H100 80GB HBM3 | 6/8 free · 2 allocated · 1 node'],
  );
  assert.equal(model.workloads!.children('g:kind:PyTorchJob.kubeflow.org')[0]!.id, row.id, 'the same row id');

  jobs.answer([]);
  const state = await started;
  assert.equal(state.state, 'connected');
  assert.equal(model.loading, false);
  assert.deepEqual(rows(model).slice(0, 2), ['PyTorchJob | 1', '  train-0 | Running · 2/2 · 60m']);
  assert.equal(
    rows(model).some((r) => r.startsWith('Loading')),
    false,
  );
  assert.equal(model.workloads!.node(LOADING_ID), undefined);
  model.dispose();
  conn.dispose();
});

/** A model over a fake apiserver that serves discovery and answers the lists with `lists` (empty otherwise). */
function modelWith(lists: (path: string) => Promise<Result<unknown>> | undefined) {
  const t = new FakeTransport();
  t.listAnswer = (c: Call) => {
    if (c.path === '/version') return ok({ gitVersion: 'v1.36.3' });
    if (c.path === '/api') return ok(CORE);
    if (c.path === '/apis') return ok(APIS);
    return lists(c.path) ?? list();
  };
  const timers = new ManualTimers();
  const conn = ClusterConnection.fromTransport(
    { name: 'ctx', cluster: 'c', user: 'u', file: '/k' },
    t.asTransport(),
    { timers },
  );
  const source = new ClusterModelSource(conn, { scope: { kind: 'all' }, timers });
  const model = new ClusterModel(source, 'kind', () => NOW);
  const refreshed: string[][] = [];
  model.onDidChangeWorkloads((ids) => refreshed.push([...ids]));
  const dispose = () => {
    model.dispose();
    conn.dispose();
  };
  return { timers, source, model, refreshed, dispose };
}

test('model: nothing is shown before a workload kind has been listed', async () => {
  const workloads = held();
  const { timers, model, dispose } = modelWith((path) =>
    path === '/apis/kubeflow.org/v1/pytorchjobs' || path === '/apis/batch/v1/jobs'
      ? workloads.promise
      : undefined,
  );
  const started = model.start();
  await settle(timers);
  assert.equal(model.workloads, undefined, 'pods, nodes and events alone are no rows of this view');
  assert.equal(model.loading, false);
  workloads.answer([pytorchJob('train-0', 'j0')]);
  assert.equal((await started).state, 'connected');
  assert.deepEqual(rows(model)[1], '  train-0 | Running · 0/2 · 60m');
  dispose();
});

test('model: an empty kind listed first builds no tree; the first refresh of the view carries rows', async () => {
  // VS Code holds back a tree refresh that comes within 200 ms of the previous one: a first refresh with only
  // "Loading…" would delay the one with the rows.
  const pytorch = held();
  const jobs = held();
  const { timers, source, model, refreshed, dispose } = modelWith((path) =>
    path === '/apis/kubeflow.org/v1/pytorchjobs'
      ? pytorch.promise
      : path === '/apis/batch/v1/jobs'
        ? jobs.promise
        : undefined,
  );
  const started = model.start();
  await settle(timers);
  jobs.answer([]);
  await settle(timers);
  assert.equal(source.isSynced('Job.batch'), true);
  assert.equal(model.workloads, undefined, 'an empty Job list is no row');
  assert.deepEqual(refreshed, []);
  pytorch.answer([pytorchJob('train-0', 'j0')]);
  await settle(timers);
  assert.equal((await started).state, 'connected');
  assert.deepEqual(refreshed[0], [ROOT]);
  assert.deepEqual(rows(model)[1], '  train-0 | Running · 0/2 · 60m');
  dispose();
});

test('model: an empty cluster is shown once every workload kind is listed', async () => {
  const pods = held();
  const { timers, model, dispose } = modelWith((path) =>
    path === '/api/v1/pods' ? pods.promise : undefined,
  );
  const started = model.start();
  await settle(timers);
  assert.ok(model.workloads, 'built while pods still list: no workload kind has objects to wait for');
  assert.equal(model.loading, true);
  pods.answer([]);
  assert.equal((await started).state, 'connected');
  dispose();
});

test('source: CRDs are listed once the views lists are in; a CRD established meanwhile is picked up then', async () => {
  const t = new FakeTransport();
  const pods = held();
  let apis: typeof APIS = APIS;
  const rayCrd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'rayjobs.ray.io', uid: 'crd-ray', resourceVersion: '50' },
    spec: {
      group: 'ray.io',
      names: { kind: 'RayJob', plural: 'rayjobs' },
      scope: 'Namespaced',
      versions: [{ name: 'v1', served: true }],
    },
    status: { conditions: [{ type: 'Established', status: 'True' }] },
  };
  t.listAnswer = (c: Call) => {
    if (c.path === '/version') return ok({ gitVersion: 'v1.36.3' });
    if (c.path === '/api') return ok(CORE);
    if (c.path === '/apis') return ok(apis);
    if (c.path === '/api/v1/pods') return pods.promise;
    if (c.path === '/apis/apiextensions.k8s.io/v1/customresourcedefinitions') return list([rayCrd]);
    return list();
  };
  const timers = new ManualTimers();
  const conn = ClusterConnection.fromTransport(
    { name: 'ctx', cluster: 'c', user: 'u', file: '/k' },
    t.asTransport(),
    {
      timers,
    },
  );
  const source = new ClusterModelSource(conn, { scope: { kind: 'all' }, timers });
  const started = source.start();
  await settle(timers);
  const crdLists = () => t.lists.filter((l) => l.path.endsWith('/customresourcedefinitions')).length;
  assert.equal(crdLists(), 0, 'not beside the first lists');
  // The RayJob CRD is established while the pods still list: discovery did not see it.
  apis = { ...APIS, items: [...APIS.items, group('ray.io', [res('rayjobs', 'RayJob')])] };
  pods.answer([]);
  assert.ok((await started).ok);
  assert.deepEqual(
    source.workloadKinds.map((k) => k.kind),
    ['PyTorchJob', 'Job'],
  );
  await settle(timers);
  assert.equal(crdLists(), 1);
  await settle(timers);
  assert.deepEqual(
    source.workloadKinds.map((k) => k.kind).sort(),
    ['Job', 'PyTorchJob', 'RayJob'],
    'discovery ran again for the CRD the first discovery missed',
  );
  assert.ok(t.lists.some((l) => l.path === '/apis/ray.io/v1/rayjobs'));
  source.dispose();
  conn.dispose();
});
