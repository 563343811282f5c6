// Watch lists against the real apiserver: a cache reads its initial state as one watch stream (sendInitialEvents)
// where the server serves that, and lists where it refuses it (Kubernetes 1.30: the WatchList feature is off);
// either way the state is exact and the watch goes on from it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ClusterConnection } from '../../src/k8s/connection';
import { loadKubeconfig, type MergedKubeconfig } from '../../src/k8s/kubeconfig';
import { sharedCluster, type TestCluster } from './harness/index';
import { RestError, type Rest } from './harness/rest';
import { rest, waitFor } from './helpers';

const CONFIGMAPS = { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };

let cluster: TestCluster;
let api: Rest;
let cfg: MergedKubeconfig;
let ns: string;

before(async () => {
  cluster = await sharedCluster();
  api = await rest(cluster);
  const loaded = loadKubeconfig({ explicitPath: cluster.kubeconfigPath });
  assert.equal(loaded.kind, 'ok');
  cfg = loaded as MergedKubeconfig;
  ns = await cluster.createNamespace('watchlist');
  for (const name of ['a', 'b', 'c'])
    await api.post(`/api/v1/namespaces/${ns}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name },
      data: { k: name },
    });
});

after(async () => {
  await api.delete(`/api/v1/namespaces/${ns}`);
  api.close();
  await cluster.stop();
});

/** LIST requests for configmaps the apiserver has served so far (its own counter, every code). */
async function configMapLists(): Promise<number> {
  const text = await api.raw('GET', '/metrics');
  let n = 0;
  for (const line of text.split('\n'))
    if (
      line.startsWith('apiserver_request_total{') &&
      line.includes('resource="configmaps"') &&
      line.includes('verb="LIST"')
    )
      n += Number(line.slice(line.lastIndexOf(' ') + 1));
  return n;
}

/** What the server answers a watch list, asked directly: served (200) or refused (422). */
async function serverServesWatchList(): Promise<boolean> {
  try {
    await api.raw(
      'GET',
      `/api/v1/namespaces/${ns}/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan` +
        '&resourceVersion=0&allowWatchBookmarks=true&timeoutSeconds=1',
    );
    return true;
  } catch (e) {
    if (e instanceof RestError && e.status === 422) return false;
    throw e;
  }
}

test('the first state comes by watch list exactly where the server serves it, and is exact either way', async () => {
  const served = await serverServesWatchList();
  // The two versions the tiers run: 1.36 serves watch lists, 1.30 refuses them.
  const minor = Number(/^v?1\.(\d+)/.exec(cluster.version)?.[1]);
  if (minor >= 36) assert.equal(served, true, `${cluster.version} serves watch lists`);
  if (minor <= 30) assert.equal(served, false, `${cluster.version} refuses watch lists`);

  const c = ClusterConnection.create(cfg, cfg.currentContext!);
  assert.ok(c.ok);
  const conn = c.value;
  try {
    assert.ok((await conn.probe()).ok);
    assert.equal(conn.watchListInUse, true, 'asked first of every server from 1.27 on');
    const lists0 = await configMapLists();
    const h = conn.watch({ kind: CONFIGMAPS, namespace: ns });
    assert.equal(await h.cache.whenSynced(), undefined);
    // Gantry uses the watch list where the server serves it (no LIST request at all), and stopped asking where
    // it refused (one LIST instead).
    assert.equal(conn.watchListInUse, served);
    assert.equal((await configMapLists()) - lists0, served ? 0 : 1, 'LIST requests for the first state');
    const names = () =>
      [...h.cache.items()]
        .map((o) => o.metadata.name)
        .filter((n) => n !== 'kube-root-ca.crt')
        .sort();
    assert.deepEqual(names(), ['a', 'b', 'c']);
    // The watch goes on from that state: a change and a new object arrive, nothing repeated.
    await api.delete(`/api/v1/namespaces/${ns}/configmaps/b`);
    await api.post(`/api/v1/namespaces/${ns}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'd' },
    });
    await waitFor('the delete and the create seen', async () => names().join() === 'a,c,d');
    // A second cache on the same connection takes the same way without asking again.
    const h2 = conn.watch({ kind: CONFIGMAPS, namespace: ns, labelSelector: 'none=none' });
    assert.equal(await h2.cache.whenSynced(), undefined);
    assert.equal(h2.cache.size, 0);
    assert.equal(conn.watchListInUse, served);
    h2.dispose();
    h.dispose();
  } finally {
    conn.dispose();
  }
});
