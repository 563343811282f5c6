// KubeTransport's `multiplex` streams (src/k8s/transport.ts) against local TLS servers: the followed logs of
// one context share one HTTP/2 connection where the server offers it (with the context's credentials, a receive
// window that lets the server send ahead, the server's Status on errors), a new connection after the server
// closes one, and HTTP/1.1 where the server does not speak HTTP/2.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { generatePki, type Pki } from '../../cluster/harness/pki';
import { CachingExecAuth } from '../../../src/k8s/execAuth';
import { loadKubeconfig, type MergedKubeconfig } from '../../../src/k8s/kubeconfig';
import { readLines } from '../../../src/k8s/lineStream';
import { ClusterConnection } from '../../../src/k8s/connection';
import { contextConfig, KubeTransport, type TransportOptions } from '../../../src/k8s/transport';

let dir: string;
let pki: Pki;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-h2-'));
  pki = await generatePki(path.join(dir, 'pki'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What the handlers use of a response, HTTP/2 or HTTP/1.1. */
interface Res {
  writeHead(status: number, headers: Record<string, string>): unknown;
  write(chunk: string | Buffer, cb?: () => void): boolean;
  end(text?: string): unknown;
}

interface Seen {
  version: string;
  path: string;
  authorization: string | undefined;
}

/** A TLS server that speaks HTTP/2 (and HTTP/1.1 unless `h1Only`), recording each request and its connection. */
async function server(handle: (path: string, res: Res) => void, h1Only = false) {
  const seen: Seen[] = [];
  const sessions: http2.ServerHttp2Session[] = [];
  let refused = 0;
  const tls = { key: fs.readFileSync(pki.serverKey), cert: fs.readFileSync(pki.serverCrt) };
  const onRequest = (
    req: http2.Http2ServerRequest | http.IncomingMessage,
    res: http2.Http2ServerResponse | http.ServerResponse,
  ) => {
    seen.push({
      version: req.httpVersion,
      path: req.url ?? '',
      authorization: req.headers.authorization,
    });
    handle(req.url ?? '', res as Res);
  };
  const s = h1Only
    ? https.createServer(tls, onRequest)
    : http2.createSecureServer({ ...tls, allowHTTP1: true }, onRequest);
  s.on('tlsClientError', () => refused++);
  s.on('session', (x: http2.ServerHttp2Session) => sessions.push(x));
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    url: `https://127.0.0.1:${(s.address() as AddressInfo).port}`,
    seen,
    sessions,
    /** TLS handshakes the server refused (a client offering only HTTP/2 to a server without it). */
    refused: () => refused,
    close: () => {
      for (const x of sessions) x.destroy();
      s.close();
      if ('closeAllConnections' in s) s.closeAllConnections();
    },
  };
}

function kubeconfig(url: string): MergedKubeconfig {
  const file = path.join(fs.mkdtempSync(path.join(dir, 'kc-')), 'kubeconfig');
  fs.writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster: {server: "${url}", certificate-authority: "${pki.caCrt}"}\n` +
      `users:\n- name: u\n  user: {token: secret-token}\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n`,
  );
  return loadKubeconfig({ explicitPath: file }) as MergedKubeconfig;
}

function transport(url: string, options?: TransportOptions): KubeTransport {
  const c = contextConfig(kubeconfig(url), 'c');
  assert.ok(c.ok);
  return new KubeTransport(
    c.value,
    new CachingExecAuth({ env: { PATH: '/usr/bin:/bin' } }),
    Date.now,
    options,
  );
}

/** Lines of a stream until it ends, and how it ended. */
async function linesOf(body: Readable) {
  const got: string[] = [];
  const s = readLines(body, { onLines: (ls) => void got.push(...ls) });
  const err = await s.done;
  return { got, err };
}

/** Answers /log?n=N with N lines and ends; anything else with `{}`. */
const lines = (p: string, res: Res) => {
  const n = Number(new URL(p, 'https://x').searchParams.get('n') ?? 0);
  if (!p.startsWith('/log')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain' });
  for (let i = 0; i < n; i++) res.write(`${p.slice(-3)} line ${i}\n`);
  res.end();
};

test('multiplexed streams share one HTTP/2 connection with the context credentials; other requests stay on HTTP/1.1', async () => {
  const s = await server(lines);
  const t = transport(s.url);
  try {
    const rs = await Promise.all(
      ['p=a', 'p=b', 'p=c'].map((q) => t.stream(`/log?n=200&${q}`, { multiplex: true })),
    );
    const outs = await Promise.all(
      rs.map((r) => {
        assert.ok(r.ok, r.ok ? '' : r.error.message);
        return linesOf(r.value);
      }),
    );
    for (const [i, o] of outs.entries()) {
      assert.equal(o.err, undefined);
      assert.equal(o.got.length, 200);
      assert.equal(o.got[199], `${'p=' + 'abc'[i]} line 199`);
    }
    const g = await t.get('/api');
    assert.ok(g.ok);
    assert.deepEqual(
      s.seen.map((x) => x.version),
      ['2.0', '2.0', '2.0', '1.1'],
    );
    assert.equal(s.sessions.length, 1, 'one HTTP/2 connection for the three streams');
    assert.ok(s.seen.every((x) => x.authorization === 'Bearer secret-token'));
  } finally {
    t.dispose();
    s.close();
  }
});

test("an HTTP/2 stream's refusal is the server's Status, as over HTTP/1.1", async () => {
  const s = await server((_p, res) => {
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'Status',
        status: 'Failure',
        reason: 'Forbidden',
        code: 403,
        message: 'pods "w-0" is forbidden: User "u" cannot get resource "pods/log"',
      }),
    );
  });
  const t = transport(s.url);
  try {
    const r = await t.stream('/log?n=1', { multiplex: true });
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'forbidden');
    assert.match(r.error.message, /cannot get resource "pods\/log"/);
    assert.equal(s.seen[0]?.version, '2.0');
  } finally {
    t.dispose();
    s.close();
  }
});

test('the server may send a stream a megabyte ahead of a reader that waits (HTTP/2 default: 64 KiB)', async () => {
  const CHUNK = Buffer.alloc(16 * 1024, 'x');
  let sent = 0;
  const s = await server((p, res) => {
    if (!p.startsWith('/log')) return;
    res.writeHead(200, { 'content-type': 'text/plain' });
    // Writes 15 chunks of 16 KiB per stream; counts those the connection took (flow control allowed them).
    const next = (i: number) => {
      if (i === 15) return;
      res.write(CHUNK, () => {
        sent += CHUNK.length;
        next(i + 1);
      });
    };
    next(0);
  });
  const t = transport(s.url);
  try {
    const rs = await Promise.all([1, 2].map(() => t.stream('/log', { multiplex: true })));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(sent, 2 * 15 * CHUNK.length, `the server could send ${sent} bytes`);
    for (const r of rs) if (r.ok) r.value.destroy();
  } finally {
    t.dispose();
    s.close();
  }
});

test('a connection the server closes (GOAWAY) ends its streams as dropped; the next stream gets a new connection', async () => {
  const open: Res[] = [];
  const s = await server((p, res) => {
    if (!p.startsWith('/log')) return;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first\n');
    open.push(res);
  });
  const t = transport(s.url);
  try {
    const r1 = await t.stream('/log', { multiplex: true });
    assert.ok(r1.ok);
    const ended = linesOf(r1.value);
    s.sessions[0]!.destroy(); // the apiserver shutting down: the connection goes away under the stream
    const o = await ended;
    assert.deepEqual(o.got, ['first']);
    assert.equal(o.err?.kind, 'unreachable');
    const r2 = await t.stream('/log', { multiplex: true });
    assert.ok(r2.ok, r2.ok ? '' : r2.error.message);
    assert.equal(s.sessions.length, 2);
    assert.equal(s.seen[1]?.version, '2.0');
    r2.value.destroy();
  } finally {
    t.dispose();
    s.close();
  }
});

test('a server without HTTP/2 gets HTTP/1.1, and is not asked for HTTP/2 again', async () => {
  const s = await server(lines, true);
  const t = transport(s.url);
  try {
    for (const q of ['a', 'b']) {
      const r = await t.stream(`/log?n=50&p=${q}`, { multiplex: true });
      assert.ok(r.ok, r.ok ? '' : r.error.message);
      const o = await linesOf(r.value);
      assert.equal(o.got.length, 50);
    }
    assert.deepEqual(
      s.seen.map((x) => x.version),
      ['1.1', '1.1'],
    );
    // One refused HTTP/2 handshake: no second HTTP/2 attempt.
    assert.equal(s.refused(), 1);
  } finally {
    t.dispose();
    s.close();
  }
});

test('dispose closes the HTTP/2 connection', async () => {
  const s = await server(lines);
  const t = transport(s.url);
  const r = await t.stream('/log?n=1', { multiplex: true });
  assert.ok(r.ok);
  await linesOf(r.value);
  const closed = new Promise((res) => s.sessions[0]!.on('close', res));
  t.dispose();
  await closed;
  s.close();
});

test('HTTP/1.1 only where VS Code or the environment names a proxy (an HTTP/2 connection would go around it)', async () => {
  const s = await server(lines);
  const cfg = kubeconfig(s.url);
  const made = [
    ClusterConnection.create(cfg, 'c', { env: { PATH: '/usr/bin', HTTPS_PROXY: 'http://proxy:3128' } }),
    ClusterConnection.create(cfg, 'c', { env: { PATH: '/usr/bin' }, http2: false }),
    ClusterConnection.create(cfg, 'c', { env: { PATH: '/usr/bin' } }),
  ];
  try {
    for (const c of made) {
      assert.ok(c.ok);
      const r = await c.value.transport.stream('/log?n=3', { multiplex: true });
      assert.ok(r.ok, r.ok ? '' : r.error.message);
      assert.equal((await linesOf(r.value)).got.length, 3);
    }
    assert.deepEqual(
      s.seen.map((x) => x.version),
      ['1.1', '1.1', '2.0'],
    );
  } finally {
    for (const c of made) if (c.ok) c.value.dispose();
    s.close();
  }
});
