// Many chosen namespaces, counted where it matters: the apiserver's own gauge of open watches
// (apiserver_longrunning_requests{verb="WATCH"}). With 50 namespaces and cluster-wide list rights Gantry opens one
// watch per kind and filters in memory; below CLUSTER_WIDE_FROM_NAMESPACES it opens one per namespace and kind.
// Each open watch is one long-running request, and over HTTP/1.1 one TCP connection to the apiserver.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ClusterConnection } from '../../src/k8s/connection';
import { loadKubeconfig, type MergedKubeconfig } from '../../src/k8s/kubeconfig';
import { CLUSTER_WIDE_FROM_NAMESPACES, ClusterModelSource } from '../../src/k8s/modelSource';
import { sharedCluster, type TestCluster } from './harness/index';
import type { Rest } from './harness/rest';
import { rest, waitFor } from './helpers';

let cluster: TestCluster;
let api: Rest;
let cfg: MergedKubeconfig;

before(async () => {
  cluster = await sharedCluster();
  api = await rest(cluster);
  const loaded = loadKubeconfig({ explicitPath: cluster.kubeconfigPath });
  assert.equal(loaded.kind, 'ok');
  cfg = loaded as MergedKubeconfig;
});
after(() => api?.close());

/** Open WATCH requests the apiserver reports, summed over resources. */
async function openWatches(): Promise<number> {
  const text = await api.raw('GET', '/metrics');
  let n = 0;
  for (const line of String(text).split('\n'))
    if (line.startsWith('apiserver_longrunning_requests{') && line.includes('verb="WATCH"'))
      n += Number(line.slice(line.lastIndexOf(' ') + 1));
  return n;
}

/**
 * The gauge once it holds still (two equal readings 1 s apart), or undefined when other clients keep it moving
 * for 30 s: the real operators' informers (six controller managers) re-open their watches at random times, and
 * all of them at once with backoff after a test restarted the apiserver (logs.test.ts runs just before).
 */
async function steadyWatches(): Promise<number | undefined> {
  let last = await openWatches();
  return waitFor('a steady watch count', async () => {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await openWatches();
    const same = now === last;
    last = now;
    return same ? now : undefined;
  }).catch(() => undefined);
}

/** The gauge's change for the figure printed: `+N`, or why there is none. */
const delta = (before: number | undefined, after: number | undefined): string =>
  before === undefined || after === undefined ? 'not steady' : `+${after - before}`;

/**
 * Watches Gantry's connection holds once the model source has started, counted on the connection (exact: one
 * watch stream per shared cache), and the change in the apiserver's open-watch gauge over the same time (printed
 * only: the controller-manager, scheduler, kwok, the operators and the simulator open watches of their own at any
 * moment, most of all right after the cluster started, so that delta cannot be asserted exactly).
 */
async function watchesOpenedFor(
  namespaces: string[],
): Promise<{ opened: number; gauge: string; kinds: number; clusterScoped: number; dra: number }> {
  const conn = ClusterConnection.create(cfg, cfg.currentContext!);
  assert.ok(conn.ok);
  const before = await steadyWatches();
  const src = new ClusterModelSource(conn.value, { scope: { kind: 'some', namespaces } });
  try {
    assert.ok((await src.start()).ok);
    const gauge = delta(before, await steadyWatches());
    const clusterScoped = src.workloadKinds.filter((k) => !k.namespaced).length;
    // DRA: ResourceSlices and ResourceClaims, each once (cluster-scoped / cluster-wide like pods) where served.
    const dra = src.draKinds.length;
    return { opened: conn.value.openWatches, gauge, kinds: src.workloadKinds.length, clusterScoped, dra };
  } finally {
    src.dispose();
    conn.value.dispose();
  }
}

test('50 chosen namespaces: one watch per kind on the apiserver, not 50', async () => {
  const many = Array.from({ length: 50 }, (_, i) => `many-ns-${i}`);
  const { opened, gauge, kinds, dra } = await watchesOpenedFor(many);
  // Pods, nodes, Warning events, each workload kind, CRDs and the DRA kinds, once each.
  assert.equal(opened, 3 + kinds + 1 + dra);
  console.log(`50 namespaces: ${opened} watches (${kinds} workload kinds); apiserver gauge ${gauge}`);
});

test(`${CLUSTER_WIDE_FROM_NAMESPACES - 1} chosen namespaces: per-namespace watches for the namespaced kinds`, async () => {
  const few = Array.from({ length: CLUSTER_WIDE_FROM_NAMESPACES - 1 }, (_, i) => `few-ns-${i}`);
  const { opened, gauge, kinds, clusterScoped, dra } = await watchesOpenedFor(few);
  // Pods stay cluster-wide (GPU allocation), nodes, CRDs and cluster-scoped workload kinds (Kueue's ClusterQueue)
  // are watched once; events and the namespaced workload kinds per namespace.
  assert.equal(opened, 1 + 1 + 1 + clusterScoped + dra + few.length * (1 + kinds - clusterScoped));
  console.log(
    `${few.length} namespaces: ${opened} watches (apiserver gauge ${gauge}); the same per-namespace design at 50: ${3 + 50 * (1 + kinds)}`,
  );
});
