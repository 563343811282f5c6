// The three lifetimes against the real apiserver, through the extension's own wiring (Services, under a
// stand-in vscode module): a user session holding a lease on the connection keeps its watch through a
// namespace change and a Refresh (both rebuild the views' scope, a retry even gives the views a new
// connection), and ends on a context switch with the reason; deactivation releases everything.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { installVscodeStub } from '../unit/helpers/vscodeStub';
import { CORE_KINDS } from '../../src/k8s/connection';
import type { ConnectionLease } from '../../src/k8s/connections';
import type { WatchCache } from '../../src/k8s/watchCache';
import { BaseSession } from '../../src/sessions/session';
import { sharedCluster, type TestCluster } from './harness/index';
import { waitFor } from './helpers';

installVscodeStub();

/** A session like a log stream: it leases the connection and watches the pods of one namespace. */
class PodWatchSession extends BaseSession {
  readonly cache: WatchCache;
  constructor(id: string, context: string, lease: ConnectionLease, namespace: string) {
    super(id, 'logs', context, `pods of ${namespace}`);
    this.store.add(lease);
    const w = this.store.add(lease.connection.watch({ kind: CORE_KINDS.pod, namespace }));
    this.cache = w.cache;
    this.setState('live');
  }
  names(): string[] {
    return [...this.cache.items()].map((p) => p.metadata.name).sort();
  }
}

let cluster: TestCluster;
let ns: string;
let other: string;
let kubeconfig: string;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the lazily loaded Services, typed below
let services: any;

function memento() {
  const m = new Map<string, unknown>();
  return {
    get: (k: string, d?: unknown) => (m.has(k) ? m.get(k) : d),
    update: async (k: string, v: unknown) => void m.set(k, v),
    keys: () => [...m.keys()],
  };
}

const log = new Proxy({}, { get: () => () => undefined });

async function pod(namespace: string, name: string): Promise<void> {
  const r = await cluster.kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace },
      spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] },
    }),
  });
  assert.equal(r.code, 0, r.stderr);
}

before(async () => {
  cluster = await sharedCluster();
  ns = await cluster.createNamespace('life');
  other = await cluster.createNamespace('life-other');
  // The cluster's kubeconfig plus a second context on the same cluster, to switch to.
  const cfg = parse(readFileSync(cluster.kubeconfigPath, 'utf8'));
  const first = cfg.contexts[0];
  cfg.contexts.push({ name: 'second', context: { ...first.context } });
  kubeconfig = join(mkdtempSync(join(tmpdir(), 'gantry-life-')), 'config');
  writeFileSync(kubeconfig, stringify(cfg));
  process.env.KUBECONFIG = kubeconfig;
  const { Services } = await import('../../src/services');
  const { Config } = await import('../../src/config');
  services = new Services({
    config: new Config(),
    log: log as never,
    extension: {
      workspaceState: memento(),
      asAbsolutePath: (p: string) => join(process.cwd(), p),
      globalStorageUri: { fsPath: mkdtempSync(join(tmpdir(), 'gantry-life-storage-')) },
    } as never,
  });
});

after(async () => {
  services?.dispose();
  await cluster?.kubectl(['delete', 'namespace', ns, other, '--wait=false']);
});

test('a session survives a namespace change and a Refresh, and ends on a context switch with its reason', async () => {
  const current = services.cluster;
  await current.connect('start');
  assert.equal(current.phase, 'connected');
  const firstContext: string = current.contextName;
  assert.notEqual(firstContext, 'second');
  const lease = current.leaseConnection() as ConnectionLease;
  const session = services.sessions.add(
    new PodWatchSession(services.sessions.nextId('logs'), firstContext, lease, ns),
  ) as PodWatchSession;
  const conn = lease.connection;
  await pod(ns, 'before');
  await waitFor('the session sees the first pod', async () => session.names().includes('before'));

  // Narrow the views to another namespace: the views' scope is rebuilt on the same connection.
  await current.setNamespaces([other]);
  assert.equal(current.phase, 'connected');
  assert.equal(current.connection, conn, 'a namespace change keeps the connection');
  await pod(ns, 'after-namespaces');
  await waitFor('the session still watches', async () => session.names().includes('after-namespaces'));
  assert.equal(session.state, 'live');

  // Refresh after a failure builds a new connection for the views; the session keeps its own.
  await current.connect('retry', firstContext);
  assert.equal(current.phase, 'connected');
  assert.notEqual(current.connection, conn, 'the views got a fresh connection');
  assert.equal(conn.isDisposed, false, 'the session still holds its connection');
  await pod(ns, 'after-refresh');
  await waitFor('the session still watches', async () => session.names().includes('after-refresh'));
  assert.equal(session.state, 'live');
  assert.equal(services.pool.size, 2, 'the retired connection lives while the session holds it');

  // A context switch ends it, with the reason, and releases the old connection.
  await current.switchContext('second');
  assert.equal(current.contextName, 'second');
  assert.equal(session.state, 'ended');
  assert.equal(session.endReason, 'context switched to second');
  assert.equal(conn.isDisposed, true, 'the last lease released the session connection');
  assert.equal(services.pool.size, 1);
  assert.deepEqual(
    services.sessions.list().map((s: BaseSession) => [s.id, s.state]),
    [[session.id, 'ended']],
  );
});

test('deactivation stops every session and closes every connection', async () => {
  const current = services.cluster;
  const lease = current.leaseConnection() as ConnectionLease;
  const session = services.sessions.add(
    new PodWatchSession(services.sessions.nextId('logs'), current.contextName, lease, ns),
  ) as PodWatchSession;
  const conn = lease.connection;
  services.dispose();
  services = undefined;
  assert.equal(session.state, 'ended');
  assert.equal(session.endReason, 'Gantry stopped');
  assert.equal(conn.isDisposed, true);
});
