// KubeTransport.stream's readBuffer (src/k8s/transport.ts), against a local HTTP server: a followed log's
// response holds that many bytes unread before Node stops reading its connection, on a connection of its own
// (a pooled one keeps the 16 KiB it was made with), while other requests keep the pooled connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CachingExecAuth } from '../../../src/k8s/execAuth';
import { loadKubeconfig, type MergedKubeconfig } from '../../../src/k8s/kubeconfig';
import { contextConfig, KubeTransport } from '../../../src/k8s/transport';

const SENT = 200 * 1024;

/** A server whose /stream writes SENT bytes in 1 KiB chunks and keeps the response open; counts connections. */
async function server(): Promise<{
  url: string;
  connections: () => number;
  wrote: Promise<void>;
  close(): void;
}> {
  let connections = 0;
  let wrote!: () => void;
  const done = new Promise<void>((r) => (wrote = r));
  const open = new Set<http.ServerResponse>();
  const s = http.createServer((req, res) => {
    if (req.url?.startsWith('/stream')) {
      open.add(res);
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      const chunk = Buffer.alloc(1024, 'x');
      for (let i = 0; i < SENT / 1024; i++) res.write(chunk);
      wrote();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{}');
  });
  s.on('connection', () => connections++);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    connections: () => connections,
    wrote: done,
    close: () => {
      for (const r of open) r.destroy();
      s.close();
    },
  };
}

function transport(url: string): KubeTransport {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-stream-'));
  const file = path.join(dir, 'kubeconfig');
  fs.writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster: {server: "${url}", insecure-skip-tls-verify: true}\n` +
      `users:\n- name: u\n  user: {token: t}\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n`,
  );
  const cfg = loadKubeconfig({ explicitPath: file }) as MergedKubeconfig;
  const c = contextConfig(cfg, 'c');
  assert.ok(c.ok);
  return new KubeTransport(c.value, new CachingExecAuth({ env: { PATH: '/usr/bin:/bin' } }));
}

/** Bytes the response holds unread once the server wrote everything and the client had time to take it. */
async function unreadAfterFlood(readBuffer: number | undefined) {
  const s = await server();
  const t = transport(s.url);
  try {
    const g = await t.get('/api');
    assert.ok(g.ok, g.ok ? '' : g.error.message);
    const before = s.connections();
    const r = await t.stream('/stream', readBuffer ? { readBuffer } : {});
    assert.ok(r.ok);
    await s.wrote;
    await new Promise((res) => setTimeout(res, 300));
    const out = {
      unread: r.value.readableLength,
      hwm: r.value.readableHighWaterMark,
      newConnection: s.connections() > before,
    };
    r.value.destroy();
    return out;
  } finally {
    t.dispose();
    s.close();
  }
}

test('a stream with readBuffer holds that much unread on a connection of its own', async () => {
  const r = await unreadAfterFlood(256 * 1024);
  assert.equal(r.hwm, 256 * 1024);
  assert.equal(r.newConnection, true);
  // Everything the server sent was read off the connection: it was never paused.
  assert.equal(r.unread, SENT);
});

test('without readBuffer the pooled connection is reused and paused after 16 KiB unread', async () => {
  const r = await unreadAfterFlood(undefined);
  assert.equal(r.newConnection, false);
  assert.ok(r.unread < SENT, `read ${r.unread} of ${SENT} bytes while nobody consumed them`);
});
