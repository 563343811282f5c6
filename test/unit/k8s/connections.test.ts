// The leased connection pool: one connection per context; a lease keeps it alive; reset() makes the next lease
// build a new connection without closing the one a session still holds.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { ConnectionPool } from '../../../src/k8s/connections';
import { loadKubeconfig, type MergedKubeconfig } from '../../../src/k8s/kubeconfig';

function kubeconfig(): MergedKubeconfig {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-pool-'));
  const file = path.join(d, 'config');
  fs.writeFileSync(
    file,
    `apiVersion: v1
kind: Config
current-context: a
clusters:
- {name: a, cluster: {server: "https://127.0.0.1:1"}}
- {name: b, cluster: {server: "https://127.0.0.1:2"}}
users:
- {name: u, user: {token: not-a-real-token}}
contexts:
- {name: a, context: {cluster: a, user: u}}
- {name: b, context: {cluster: b, user: u}}
`,
  );
  const r = loadKubeconfig({ explicitPath: file, env: {} });
  assert.equal(r.kind, 'ok');
  return r as MergedKubeconfig;
}

function lease(pool: ConnectionPool, cfg: MergedKubeconfig, ctx: string) {
  const r = pool.lease(cfg, ctx);
  assert.ok(r.ok, 'lease failed');
  return r.value;
}

test('leases of one context share one connection; the last release closes it', () => {
  const cfg = kubeconfig();
  const pool = new ConnectionPool();
  const views = lease(pool, cfg, 'a');
  const session = pool.share(views.connection)!;
  assert.equal(session.connection, views.connection);
  assert.equal(pool.leases('a'), 2);
  views.dispose();
  assert.equal(views.connection.isDisposed, false, 'a session still holds it');
  views.dispose(); // twice is harmless
  assert.equal(pool.leases('a'), 1);
  session.dispose();
  assert.equal(session.connection.isDisposed, true);
  assert.equal(pool.size, 0);
});

test('each context has its own connection', () => {
  const cfg = kubeconfig();
  const pool = new ConnectionPool();
  const a = lease(pool, cfg, 'a');
  const b = lease(pool, cfg, 'b');
  assert.notEqual(a.connection, b.connection);
  assert.equal(b.connection.server, 'https://127.0.0.1:2');
  pool.dispose();
  assert.ok(a.connection.isDisposed && b.connection.isDisposed);
});

test('reset: the views get a new connection, a session keeps the old one until it ends', () => {
  const cfg = kubeconfig();
  const pool = new ConnectionPool();
  const views = lease(pool, cfg, 'a');
  const session = pool.share(views.connection)!;
  pool.reset('a');
  const views2 = lease(pool, cfg, 'a');
  views.dispose();
  assert.notEqual(views2.connection, session.connection);
  assert.equal(session.connection.isDisposed, false);
  assert.equal(pool.size, 2);
  session.dispose();
  assert.equal(session.connection.isDisposed, true);
  assert.equal(views2.connection.isDisposed, false);
  assert.equal(pool.size, 1);
  pool.dispose();
});

test('a retired connection nobody holds closes at once; unknown contexts are errors as values', () => {
  const cfg = kubeconfig();
  const pool = new ConnectionPool();
  const views = lease(pool, cfg, 'a');
  const conn = views.connection;
  views.dispose();
  assert.equal(conn.isDisposed, true);
  const again = lease(pool, cfg, 'a');
  assert.notEqual(again.connection, conn);
  const missing = pool.lease(cfg, 'nope');
  assert.equal(missing.ok, false);
  pool.dispose();
  assert.equal(pool.share(again.connection), undefined);
});
