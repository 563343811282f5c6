// The live sidebar data layer (src/k8s) against the real apiserver of the shared test cluster.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { sharedCluster, type TestCluster } from '../harness/index';
import { buildGpuInventory } from '../../../src/core/gpu';
import { kindKey, type KindRef, type KubeObject } from '../../../src/core/kube';
import { ClusterConnection, CORE_KINDS } from '../../../src/k8s/connection';
import { loadKubeconfig, type MergedKubeconfig } from '../../../src/k8s/kubeconfig';
import { LiveTrees } from '../../../src/k8s/liveTrees';
import { workloadId } from '../../../src/core/tree';
import { ClusterModelSource, type ModelChange, type SourceHealth } from '../../../src/k8s/modelSource';
import { Backoff } from '../../../src/k8s/timing';
import { WatchCache, type WatchHealth } from '../../../src/k8s/watchCache';

let cluster: TestCluster;
let cfg: MergedKubeconfig;
const open: { dispose(): void }[] = [];

before(async () => {
  cluster = await sharedCluster();
  const loaded = loadKubeconfig({ explicitPath: cluster.kubeconfigPath });
  assert.equal(loaded.kind, 'ok');
  cfg = loaded as MergedKubeconfig;
});

after(() => {
  for (const d of open.splice(0).reverse()) d.dispose();
});

function connect(
  config: MergedKubeconfig = cfg,
  context?: string,
  env?: Record<string, string | undefined>,
): ClusterConnection {
  const r = ClusterConnection.create(config, context ?? config.currentContext!, { env });
  assert.ok(r.ok, !r.ok ? r.error.message : '');
  open.push(r.value);
  return r.value;
}

async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function kubectl(args: string[], input?: unknown): Promise<string> {
  const r = await cluster.kubectl(args, input === undefined ? undefined : { input: JSON.stringify(input) });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const PYTORCHJOB: KindRef = {
  group: 'kubeflow.org',
  version: 'v1',
  kind: 'PyTorchJob',
  plural: 'pytorchjobs',
  namespaced: true,
};

function pytorchJob(ns: string, name: string) {
  return {
    apiVersion: 'kubeflow.org/v1',
    kind: 'PyTorchJob',
    metadata: { name, namespace: ns },
    spec: {
      pytorchReplicaSpecs: {
        Master: {
          replicas: 1,
          template: { spec: { containers: [{ name: 'pytorch', image: 'trainer:1' }] } },
        },
      },
    },
  };
}

function gpuPod(ns: string, name: string, node: string, gpus: number, owner?: KubeObject) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns,
      labels: owner
        ? {
            'training.kubeflow.org/job-name': owner.metadata.name,
            'training.kubeflow.org/replica-type': 'master',
          }
        : { app: name },
      ownerReferences: owner
        ? [
            {
              apiVersion: owner.apiVersion,
              kind: owner.kind,
              name: owner.metadata.name,
              uid: owner.metadata.uid!,
              controller: true,
            },
          ]
        : undefined,
    },
    spec: {
      nodeName: node,
      tolerations: [{ operator: 'Exists' }],
      containers: [
        { name: 'main', image: 'trainer:1', resources: { limits: { 'nvidia.com/gpu': String(gpus) } } },
      ],
    },
  };
}

function byName(objs: Iterable<KubeObject>, name: string): KubeObject | undefined {
  for (const o of objs) if (o.metadata.name === name) return o;
  return undefined;
}

test('workloads and pods appear, change and disappear in the model source', async () => {
  const ns = await cluster.createNamespace('k8s-model');
  const conn = connect();
  const src = new ClusterModelSource(conn, { scope: { kind: 'some', namespaces: [ns] } });
  open.push(src);
  const changes: ModelChange[] = [];
  src.onDidChange((c) => changes.push(...c));
  const snap = await src.start();
  assert.ok(snap.ok, !snap.ok ? snap.error.message : '');
  assert.ok(snap.value.workloadKinds.some((k) => kindKey(k) === 'PyTorchJob.kubeflow.org'));
  // Pods are watched cluster-wide (for GPU allocation) when allowed; this namespace has none yet.
  const podsIn = (objs: Iterable<KubeObject>) => [...objs].filter((p) => p.metadata.namespace === ns);
  assert.equal(podsIn(snap.value.objects.get('Pod')!.values()).length, 0);
  const notConnected = [...snap.value.health].filter(([, h]) => h.state !== 'connected');
  assert.deepEqual(notConnected, [], JSON.stringify(notConnected));
  assert.equal(src.health.state, 'connected');
  const trees = new LiveTrees(src);
  open.push(trees);
  const refreshed: string[] = [];
  trees.onDidChange((r) => refreshed.push(...r.workloads));

  await kubectl(['apply', '-f', '-'], pytorchJob(ns, 'llama'));
  const job = await waitFor('the PyTorchJob in the cache', () =>
    byName(src.objectsOf('PyTorchJob.kubeflow.org'), 'llama'),
  );
  assert.equal(job.metadata.namespace, ns);
  assert.equal(job.kind, 'PyTorchJob');
  assert.equal(
    (job.metadata as { managedFields?: unknown }).managedFields,
    undefined,
    'managedFields stripped',
  );

  await kubectl(['create', '-f', '-'], gpuPod(ns, 'llama-manual-0', 'h100-node-0', 1, job));
  const pod = await waitFor('the pod Running in the cache', () => {
    const p = byName(src.objectsOf('Pod'), 'llama-manual-0');
    return p?.status?.phase === 'Running' ? p : undefined;
  });
  assert.equal(pod.metadata.ownerReferences?.[0]?.uid, job.metadata.uid);
  await waitFor('an added change', () =>
    changes.some((c) => c.kind.kind === 'Pod' && c.changes.added.has(pod.metadata.uid!)),
  );

  // The core tree model shows the workload with its pod.
  const wid = workloadId('PyTorchJob.kubeflow.org', job);
  await waitFor('the pod under its workload in the tree', () =>
    trees.workloads.podsOf(wid).some((p) => p.metadata.name === 'llama-manual-0'),
  );
  assert.ok(refreshed.length > 0);
  await kubectl(['label', 'pod', '-n', ns, 'llama-manual-0', 'gantry.dev/step=2']);
  await waitFor(
    'the label change',
    () => byName(src.objectsOf('Pod'), 'llama-manual-0')?.metadata.labels?.['gantry.dev/step'] === '2',
  );
  await waitFor('a modified change', () =>
    changes.some((c) => c.kind.kind === 'Pod' && c.changes.modified.has(pod.metadata.uid!)),
  );

  await kubectl(['delete', 'pod', '-n', ns, 'llama-manual-0', '--wait=false']);
  await kubectl(['delete', 'pytorchjob', '-n', ns, 'llama', '--wait=false']);
  await waitFor(
    'both gone',
    () =>
      !byName(src.objectsOf('Pod'), 'llama-manual-0') &&
      !byName(src.objectsOf('PyTorchJob.kubeflow.org'), 'llama'),
    30_000,
  );
  await waitFor('a deleted change', () =>
    changes.some((c) => c.kind.kind === 'PyTorchJob' && c.changes.deleted.has(job.metadata.uid!)),
  );
  // The snapshot agrees with the incremental stream (the simulator's pods of the job go with it, by GC).
  await waitFor(
    "the job's pods gone",
    () => podsIn(src.snapshot().objects.get('Pod')!.values()).length === 0,
    30_000,
  );
  assert.equal(src.snapshot().objects.get('PyTorchJob.kubeflow.org')!.size, 0);
  await waitFor('the workload gone from the tree', () => trees.workloads.node(wid) === undefined);
});

test('GPU totals from the cached nodes and pods match hand-computed figures', async () => {
  const ns = await cluster.createNamespace('k8s-gpu');
  const node = `gantry-k8s-gpu-${randomBytes(3).toString('hex')}`;
  await kubectl(['create', '-f', '-'], {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node,
      labels: {
        type: 'kwok',
        'kubernetes.io/hostname': node,
        'nvidia.com/gpu.present': 'true',
        'nvidia.com/gpu.product': 'NVIDIA-L40S',
        'nvidia.com/gpu.count': '8',
      },
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    // Nobody else schedules here.
    spec: { taints: [{ key: 'gantry.dev/k8s-test', value: 'only', effect: 'NoSchedule' }] },
    status: {
      capacity: { cpu: '64', memory: '512Gi', pods: '110', 'nvidia.com/gpu': '8' },
      allocatable: { cpu: '64', memory: '512Gi', pods: '110', 'nvidia.com/gpu': '8' },
    },
  });
  try {
    const conn = connect();
    const src = new ClusterModelSource(conn, { scope: { kind: 'all' } });
    open.push(src);
    assert.ok((await src.start()).ok);
    await kubectl(['create', '-f', '-'], gpuPod(ns, 'a', node, 2));
    await kubectl(['create', '-f', '-'], gpuPod(ns, 'b', node, 1));
    await waitFor('both pods on the test node', () => {
      const pods = [...src.objectsOf('Pod')].filter((p) => p.spec?.nodeName === node);
      return pods.length === 2 && pods.every((p) => p.status?.phase === 'Running');
    });
    const snap = src.snapshot();
    const inv = buildGpuInventory(
      [...snap.objects.get('Node')!.values()],
      [...snap.objects.get('Pod')!.values()],
    );
    const mine = inv.nodes.find((n) => n.name === node)!;
    assert.ok(mine, 'the test node is a GPU node');
    const r = mine.resources.find((x) => x.resource === 'nvidia.com/gpu')!;
    // 8 GPUs, pods holding 2 + 1.
    assert.equal(r.capacity, 8);
    assert.equal(r.allocated, 3);
    assert.equal(r.free, 5);
    // The fixture pool: 2 x H100 nodes with 8 GPUs each, 1 x MI300X node with 8.
    const h100 = inv.pools.find((p) => p.resource === 'nvidia.com/gpu' && /H100/.test(p.model))!;
    assert.equal(h100.nodes, 2);
    assert.equal(h100.total, 16);
    const mi = inv.pools.find((p) => p.resource === 'amd.com/gpu')!;
    assert.equal(mi.nodes, 1);
    assert.equal(mi.total, 8);
    // Deleting a pod frees its GPU in the next inventory.
    await kubectl(['delete', 'pod', '-n', ns, 'b', '--wait=false']);
    await waitFor(
      'pod b gone',
      () => ![...src.objectsOf('Pod')].some((p) => p.metadata.name === 'b' && p.metadata.namespace === ns),
      30_000,
    );
    const inv2 = buildGpuInventory([...src.objectsOf('Node')], [...src.objectsOf('Pod')]);
    assert.equal(inv2.nodes.find((n) => n.name === node)!.resources[0]!.allocated, 2);
  } finally {
    await cluster.kubectl(['delete', 'node', node, '--wait=false']);
  }
});

test('killing and restarting the apiserver mid-watch recovers with the right contents', async () => {
  const ns = await cluster.createNamespace('k8s-restart');
  for (const name of ['keep', 'change', 'remove'])
    await kubectl(['create', '-f', '-'], gpuPod(ns, name, 'cpu-node-0', 0));
  const conn = connect();
  // A long first backoff so the changes below land before this cache reconnects.
  const cache = new WatchCache(
    conn.transport,
    { kind: CORE_KINDS.pod, namespace: ns },
    { backoff: new Backoff({ initialMs: 3000, maxMs: 6000, jitter: 0 }) },
  );
  open.push(cache);
  const states: WatchHealth['state'][] = [];
  cache.onDidChangeHealth((h) => states.push(h.state));
  const src = new ClusterModelSource(connect(), {
    scope: { kind: 'some', namespaces: [ns] },
    nodes: false,
    warningEvents: false,
  });
  open.push(src);
  const srcStates: SourceHealth['state'][] = [];
  src.onDidChangeHealth((h) => srcStates.push(h.state));
  cache.start();
  assert.equal(await cache.whenSynced(), undefined);
  assert.ok((await src.start()).ok);
  assert.deepEqual([...cache.items()].map((p) => p.metadata.name).sort(), ['change', 'keep', 'remove']);

  await cluster.stopApiserver();
  try {
    await waitFor('reconnecting', () => cache.health.state === 'reconnecting', 15_000);
    await waitFor('model source reconnecting', () => src.health.state === 'reconnecting', 15_000);
    assert.equal(
      (cache.health as Extract<WatchHealth, { state: 'reconnecting' }>).lastError.kind,
      'unreachable',
    );
    // The first error is the dropped watch; the next attempt is refused.
    await waitFor(
      'a refused reconnect',
      () => {
        const h = cache.health;
        return (
          h.state === 'reconnecting' &&
          /Cannot reach the cluster at https:\/\/127\.0\.0\.1:\d+: the connection was refused/.test(
            h.lastError.message,
          )
        );
      },
      15_000,
    );
    assert.equal(cache.size, 3, 'the last known state stays while reconnecting');
  } finally {
    await cluster.startApiserver();
  }
  // Changes made as soon as the apiserver is back, most likely before the cache reconnects.
  await kubectl(['delete', 'pod', '-n', ns, 'remove', '--grace-period=0', '--force']);
  await kubectl(['label', 'pod', '-n', ns, 'change', 'gantry.dev/changed=yes']);
  await kubectl(['create', '-f', '-'], gpuPod(ns, 'new', 'cpu-node-0', 0));
  await waitFor(
    'the cache to converge',
    () => {
      const names = [...cache.items()]
        .map((p) => p.metadata.name)
        .sort()
        .join(',');
      return (
        names === 'change,keep,new' &&
        byName(cache.items(), 'change')?.metadata.labels?.['gantry.dev/changed'] === 'yes'
      );
    },
    60_000,
  );
  await waitFor('connected', () => cache.health.state === 'connected', 30_000);
  await waitFor(
    'model source converged',
    () => {
      const names = [...src.objectsOf('Pod')]
        .map((p) => p.metadata.name)
        .sort()
        .join(',');
      return names === 'change,keep,new' && src.health.state === 'connected';
    },
    60_000,
  );
  // No duplicates: one entry per uid, and uids match the server.
  const server = JSON.parse(await kubectl(['get', 'pods', '-n', ns, '-o', 'json'])) as {
    items: KubeObject[];
  };
  assert.deepEqual(
    [...cache.items()].map((p) => p.metadata.uid).sort(),
    server.items.map((p) => p.metadata.uid).sort(),
  );
  assert.ok(states.includes('reconnecting'));
  assert.equal(states.at(-1), 'connected');
  assert.ok(
    srcStates.indexOf('reconnecting') >= 0 &&
      srcStates.lastIndexOf('connected') > srcStates.indexOf('reconnecting'),
  );
});

/** A kubeconfig for a ServiceAccount limited to one namespace; its credential comes from `credential`. */
function restrictedKubeconfig(dir: string, user: Record<string, unknown>, namespace: string): string {
  const admin = parse(readFileSync(cluster.kubeconfigPath, 'utf8')) as {
    clusters: { cluster: Record<string, unknown> }[];
  };
  const c = { ...admin.clusters[0]!.cluster };
  if (typeof c['certificate-authority'] === 'string') {
    c['certificate-authority-data'] = readFileSync(c['certificate-authority'] as string).toString('base64');
    delete c['certificate-authority'];
  }
  const file = join(dir, 'team.kubeconfig');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'team',
      clusters: [{ name: 'test', cluster: c }],
      users: [{ name: 'team', user }],
      contexts: [{ name: 'team', context: { cluster: 'test', user: 'team', namespace } }],
    }),
  );
  return file;
}

test('a user limited to one namespace gets the fallback scope and forbidden notes, not a failure', async () => {
  const ns = await cluster.createNamespace('k8s-team');
  const other = await cluster.createNamespace('k8s-other');
  await kubectl(['create', 'serviceaccount', 'dev', '-n', ns]);
  await kubectl([
    'create',
    'role',
    'dev',
    '-n',
    ns,
    '--verb=get,list,watch',
    '--resource=pods,events,jobs.batch,pytorchjobs.kubeflow.org',
  ]);
  await kubectl(['create', 'rolebinding', 'dev', '-n', ns, '--role=dev', `--serviceaccount=${ns}:dev`]);
  const token = (await kubectl(['create', 'token', 'dev', '-n', ns, '--duration=1h'])).trim();
  await kubectl(['create', '-f', '-'], gpuPod(ns, 'mine', 'cpu-node-0', 0));
  await kubectl(['create', '-f', '-'], gpuPod(other, 'theirs', 'cpu-node-0', 0));

  const dir = mkdtempSync(join(tmpdir(), 'gantry-k8s-rbac-'));
  const loaded = loadKubeconfig({
    explicitPath: restrictedKubeconfig(dir, { token }, ns),
  }) as MergedKubeconfig;
  const conn = connect(loaded);
  const src = new ClusterModelSource(conn, { scope: { kind: 'all' } });
  open.push(src);
  const snap = await src.start();
  assert.ok(snap.ok, !snap.ok ? snap.error.message : '');
  const s = snap.value;
  assert.deepEqual(s.scope, {
    kind: 'some',
    namespaces: [ns],
    note: `Listing across all namespaces is forbidden; showing ${ns}.`,
  });
  assert.ok(s.notes.includes(`Listing across all namespaces is forbidden; showing ${ns}.`));
  assert.ok(
    s.notes.includes('Listing nodes is forbidden, so GPU capacity per node is not shown.'),
    s.notes.join('\n'),
  );
  assert.equal(s.health.get('Node')!.state, 'forbidden');
  assert.equal(s.health.get('Pod')!.state, 'connected');
  assert.deepEqual(
    [...s.objects.get('Pod')!.values()].map((p) => p.metadata.name),
    ['mine'],
  );
  // A kind allowed by the Role is connected; one not in it is forbidden but does not fail the source.
  assert.equal(s.health.get('PyTorchJob.kubeflow.org')!.state, 'connected');
  assert.equal(s.health.get('RayJob.ray.io')!.state, 'forbidden');
  assert.ok(['connected', 'connecting'].includes(src.health.state));

  // Actions are values too.
  const forbidden = await conn.deleteObject(CORE_KINDS.pod, other, 'theirs');
  assert.equal(!forbidden.ok && forbidden.error.kind, 'forbidden');
  assert.match(
    !forbidden.ok ? forbidden.error.message : '',
    /^Forbidden: pods "theirs" is forbidden: User "system:serviceaccount:.*:dev" cannot delete/,
  );
  const listNs = await conn.listNamespaces();
  assert.equal(!listNs.ok && listNs.error.kind, 'forbidden');
});

test('exec credential plugins run (once, cached) and a missing one is named with the PATH searched', async () => {
  const ns = await cluster.createNamespace('k8s-exec');
  await kubectl(['create', 'serviceaccount', 'dev', '-n', ns]);
  await kubectl([
    'create',
    'rolebinding',
    'dev',
    '-n',
    ns,
    '--clusterrole=view',
    `--serviceaccount=${ns}:dev`,
  ]);
  const token = (await kubectl(['create', 'token', 'dev', '-n', ns, '--duration=1h'])).trim();
  const dir = mkdtempSync(join(tmpdir(), 'gantry-k8s-exec-'));
  const plugin = join(dir, 'bin', 'token-plugin');
  mkdirSync(join(dir, 'bin'));
  // No expirationTimestamp: client-node 1.4 would run this on every request (pitfall 7).
  writeFileSync(
    plugin,
    `#!/bin/sh\necho run >> "${dir}/runs"\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${token}"}}'\n`,
    { mode: 0o755 },
  );
  const file = restrictedKubeconfig(
    dir,
    {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1',
        command: './bin/token-plugin',
        interactiveMode: 'Never',
      },
    },
    ns,
  );
  const loaded = loadKubeconfig({ explicitPath: file }) as MergedKubeconfig;
  const conn = connect(loaded, undefined, { PATH: process.env.PATH });
  assert.equal(conn.preflight(), undefined);
  for (let i = 0; i < 5; i++) {
    const r = await conn.listEvents({ kind: 'Pod' }, ns, 'x');
    assert.ok(r.ok, !r.ok ? r.error.message : '');
  }
  assert.equal(readFileSync(join(dir, 'runs'), 'utf8').trim().split('\n').length, 1);

  // A credential the apiserver rejects (401) is dropped and the plugin runs again, once.
  const rotating = join(dir, 'bin', 'rotating-plugin');
  writeFileSync(
    rotating,
    `#!/bin/sh\necho run >> "${dir}/rot-runs"\nif [ -f "${dir}/rot-seen" ]; then T='${token}'; else touch "${dir}/rot-seen"; T=expired-token; fi\n` +
      `echo "{\\"apiVersion\\":\\"client.authentication.k8s.io/v1\\",\\"kind\\":\\"ExecCredential\\",\\"status\\":{\\"token\\":\\"$T\\"}}"\n`,
    { mode: 0o755 },
  );
  const rotFile = restrictedKubeconfig(
    dir,
    { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: rotating } },
    ns,
  );
  const conn3 = connect(loadKubeconfig({ explicitPath: rotFile }) as MergedKubeconfig, undefined, {
    PATH: process.env.PATH,
  });
  const afterRotate = await conn3.listEvents({ kind: 'Pod' }, ns, 'x');
  assert.ok(afterRotate.ok, !afterRotate.ok ? afterRotate.error.message : '');
  assert.equal(readFileSync(join(dir, 'rot-runs'), 'utf8').trim().split('\n').length, 2);

  const missing = restrictedKubeconfig(
    dir,
    { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'gke-gcloud-auth-plugin' } },
    ns,
  );
  const conn2 = connect(loadKubeconfig({ explicitPath: missing }) as MergedKubeconfig, undefined, {
    PATH: '/nonexistent-gantry/bin:/nonexistent-gantry/sbin',
  });
  const probe = await conn2.probe();
  assert.equal(!probe.ok && probe.error.kind, 'execPluginMissing');
  assert.match(
    !probe.ok ? probe.error.message : '',
    /"gke-gcloud-auth-plugin".*searched: \/nonexistent-gantry\/bin:\/nonexistent-gantry\/sbin/,
  );
});

test('a CRD installed later is discovered and watched without reconnecting', async () => {
  const group = `k8s-${randomBytes(3).toString('hex')}.gantry.dev`;
  const ns = await cluster.createNamespace('k8s-crd');
  const conn = connect();
  const wanted = (served: readonly KindRef[]) =>
    served.filter((k) => k.group === group && k.kind === 'Widget');
  const src = new ClusterModelSource(conn, {
    scope: { kind: 'some', namespaces: [ns] },
    selectKinds: wanted,
    nodes: false,
  });
  open.push(src);
  const kindsSeen: KindRef[][] = [];
  src.onDidChangeKinds((k) => kindsSeen.push([...k]));
  const snap = await src.start();
  assert.ok(snap.ok);
  assert.deepEqual(snap.value.workloadKinds, []);
  await kubectl(['apply', '-f', '-'], {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  });
  try {
    await waitFor('Widget discovered', () => src.workloadKinds.some((k) => k.kind === 'Widget'), 30_000);
    assert.deepEqual(
      kindsSeen.at(-1)!.map((k) => `${k.kind}.${k.group}/${k.version}`),
      [`Widget.${group}/v1`],
    );
    await kubectl(['wait', '--for=condition=Established', `crd/widgets.${group}`]);
    await kubectl(['apply', '-f', '-'], {
      apiVersion: `${group}/v1`,
      kind: 'Widget',
      metadata: { name: 'w1', namespace: ns },
      spec: { size: 3 },
    });
    const w = await waitFor(
      'the Widget in the model',
      () => byName(src.objectsOf(`Widget.${group}`), 'w1'),
      30_000,
    );
    assert.equal(w.spec.size, 3);
  } finally {
    await cluster.kubectl(['delete', 'crd', `widgets.${group}`, '--wait=false']);
  }
  await waitFor(
    'Widget gone after the CRD is deleted',
    () => !src.workloadKinds.some((k) => k.kind === 'Widget'),
    30_000,
  );
});

test('describe, YAML and delete with a propagation policy', async () => {
  const ns = await cluster.createNamespace('k8s-actions');
  await kubectl(['apply', '-f', '-'], pytorchJob(ns, 'bert'));
  const uid = (
    await kubectl(['get', 'pytorchjob', '-n', ns, 'bert', '-o', 'jsonpath={.metadata.uid}'])
  ).trim();
  await kubectl(['create', '-f', '-'], {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'bert.1', namespace: ns },
    involvedObject: { apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob', name: 'bert', namespace: ns, uid },
    reason: 'FailedScheduling',
    message: '0/7 nodes are available: 7 Insufficient nvidia.com/gpu.',
    type: 'Warning',
    firstTimestamp: new Date().toISOString(),
    lastTimestamp: new Date().toISOString(),
    count: 1,
    source: { component: 'test' },
  });
  const conn = connect();
  const yaml = await conn.getObjectYaml(PYTORCHJOB, ns, 'bert');
  assert.ok(yaml.ok);
  assert.match(yaml.value, /^apiVersion: kubeflow\.org\/v1\nkind: PyTorchJob\n/);
  assert.doesNotMatch(yaml.value, /managedFields/);
  const d = await conn.describe(PYTORCHJOB, ns, 'bert');
  assert.ok(d.ok);
  assert.ok(
    d.value.events.map((e) => (e as unknown as { reason: string }).reason).includes('FailedScheduling'),
  );
  const missing = await conn.getObjectYaml(PYTORCHJOB, ns, 'nope');
  assert.equal(!missing.ok && missing.error.kind, 'notFound');
  const del = await conn.deleteObject(PYTORCHJOB, ns, 'bert', 'Foreground');
  assert.ok(del.ok, !del.ok ? del.error.message : '');
  // Foreground: the garbage collector removes the object after its dependents (none here).
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await conn.getObject(PYTORCHJOB, ns, 'bert');
    if (!r.ok && r.error.kind === 'notFound') break;
    assert.ok(Date.now() < deadline, 'the PyTorchJob was not deleted');
    await new Promise((res) => setTimeout(res, 200));
  }
  const nsList = await conn.listNamespaces();
  assert.ok(nsList.ok && nsList.value.includes(ns));
});
