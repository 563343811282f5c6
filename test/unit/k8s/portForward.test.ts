// The port-forward WebSocket client against a local server that speaks the apiserver's side of
// v4.channel.k8s.io: handshake, port prefixes, masked client frames, fragmented and large server frames,
// pings, the error channel and a 403 Status.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ClusterConnection } from '../../../src/k8s/connection';
import type { MergedKubeconfig } from '../../../src/k8s/kubeconfig';
import { openPodPort, type PodPortStream } from '../../../src/k8s/portForward';
import { clientFrames, serverFrame } from '../helpers/wsFrames';

type Mode = 'echo' | 'refused' | 'ping';

describe('k8s/portForward: the v4.channel.k8s.io client', () => {
  let server: http.Server;
  let conn: ClusterConnection;
  const pongs: Buffer[] = [];
  const sockets = new Set<Socket>();
  const seen: { path: string; protocol: string; auth: string }[] = [];

  before(async () => {
    server = http.createServer((_req, res) => {
      res.writeHead(403, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          status: 'Failure',
          reason: 'Forbidden',
          message: `pods "nb-0" is forbidden: User "system:serviceaccount:t:viewer" cannot get resource "pods/portforward" in API group "" in the namespace "t"`,
        }),
      );
    });
    server.on('upgrade', (req: http.IncomingMessage, sock: Socket) => {
      sockets.add(sock);
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push({
        path: `${url.pathname}?${url.searchParams}`,
        protocol: String(req.headers['sec-websocket-protocol']),
        auth: String(req.headers.authorization),
      });
      const mode = url.pathname.split('/')[6] as Mode;
      if (url.pathname.includes('/pods/forbidden/')) {
        sock.end(
          'HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n' +
            JSON.stringify({
              kind: 'Status',
              reason: 'Forbidden',
              message: `pods "forbidden" is forbidden: User "viewer" cannot create resource "pods/portforward" in API group "" in the namespace "t"`,
            }),
        );
        return;
      }
      const accept = createHash('sha1')
        .update(`${String(req.headers['sec-websocket-key'])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
        .digest('base64');
      const port = Number(url.searchParams.get('ports'));
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16LE(port, 0);
      sock.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n`,
      );
      // The port prefix of the data channel arrives together with the handshake (the "head" bytes).
      sock.write(serverFrame(2, Buffer.concat([Buffer.from([0]), prefix])));
      sock.write(serverFrame(2, Buffer.concat([Buffer.from([1]), prefix])));
      if (mode === 'refused') {
        sock.write(
          serverFrame(
            2,
            Buffer.from('\x01error forwarding port 8888 to pod p: connection refused', 'latin1'),
          ),
        );
        sock.end();
        return;
      }
      if (mode === 'ping') sock.write(serverFrame(9, Buffer.from('hi')));
      clientFrames(sock, (opcode, payload) => {
        if (opcode === 0xa) pongs.push(payload);
        if (opcode === 0x8) {
          if (!sock.writableEnded) sock.end(serverFrame(8, payload));
          return;
        }
        if (sock.writableEnded) return;
        if (opcode !== 2) return;
        assert.equal(payload[0], 0, 'client data goes on channel 0');
        const data = payload.subarray(1);
        if (data.toString() === 'bye') {
          sock.end(serverFrame(8, Buffer.alloc(0)));
          return;
        }
        // Echo, as a fragmented message split across TCP writes.
        const half = Math.floor(data.length / 2);
        const f1 = serverFrame(2, Buffer.concat([Buffer.from([0]), data.subarray(0, half)]), false);
        const f2 = serverFrame(0, data.subarray(half));
        const both = Buffer.concat([f1, f2]);
        sock.write(both.subarray(0, 3));
        sock.write(both.subarray(3));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const cfg: MergedKubeconfig = {
      kind: 'ok',
      files: [],
      contexts: [{ name: 't', cluster: 'c', user: 'u', file: '' }],
      clusters: new Map([['c', { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true }]]),
      users: new Map([['u', { token: 'secret-token' }]]),
      issues: [],
    };
    const c = ClusterConnection.create(cfg, 't');
    assert.ok(c.ok);
    conn = c.value;
  });

  after(async () => {
    conn.dispose();
    for (const s of sockets) s.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const read = (s: PodPortStream, n: number) =>
    new Promise<Buffer>((resolve, reject) => {
      const parts: Buffer[] = [];
      let got = 0;
      const on = (c: Buffer) => {
        parts.push(c);
        got += c.length;
        if (got >= n) {
          s.off('data', on);
          resolve(Buffer.concat(parts));
        }
      };
      s.on('data', on);
      s.once('error', reject);
    });

  it('round-trips bytes, small and large (> 64 KiB, 64-bit lengths), with credentials and the port query', async () => {
    const r = await openPodPort(conn.transport, { namespace: 't', pod: 'echo', port: 8888 });
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    const s = r.value;
    const echoed = read(s, 5);
    s.write(Buffer.from('hello'));
    assert.equal((await echoed).toString(), 'hello');
    const big = randomBytes(300_000);
    const back = read(s, big.length);
    s.write(big);
    assert.ok((await back).equals(big), 'large payload echoed intact');
    s.write(Buffer.from('bye'));
    await new Promise((res) => s.on('end', res).resume());
    assert.deepEqual(seen[0], {
      path: '/api/v1/namespaces/t/pods/echo/portforward?ports=8888',
      protocol: 'v4.channel.k8s.io',
      auth: 'Bearer secret-token',
    });
  });

  it('answers a ping with a pong carrying its payload', async () => {
    const r = await openPodPort(conn.transport, { namespace: 't', pod: 'ping', port: 80 });
    assert.ok(r.ok);
    const echoed = read(r.value, 2);
    r.value.write(Buffer.from('ok'));
    await echoed;
    assert.deepEqual(
      pongs.map((p) => p.toString()),
      ['hi'],
    );
    r.value.destroy();
  });

  it("ends with the kubelet's error text when the pod refuses the port", async () => {
    const r = await openPodPort(conn.transport, { namespace: 't', pod: 'refused', port: 8888 });
    assert.ok(r.ok);
    const err = await new Promise<Error>((resolve) => r.value.on('error', resolve).resume());
    assert.equal(err.message, 'error forwarding port 8888 to pod p: connection refused');
  });

  it('names the missing permission on a 403', async () => {
    const r = await openPodPort(conn.transport, { namespace: 't', pod: 'forbidden', port: 8888 });
    assert.equal(r.ok, false);
    assert.deepEqual(!r.ok && [r.error.kind, r.error.message], [
      'forbidden',
      'Port-forward is not allowed: your account may not create pods/portforward in namespace t. Ask for a Role granting "create" on "pods/portforward" there.',
    ]);
  });
});
