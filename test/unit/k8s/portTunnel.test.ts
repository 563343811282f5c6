// The SPDY/3.1-over-WebSocket port-forward client against a local stand-in for the apiserver + kubelet: the
// handshake and subprotocol, the error/data stream pair per connection (headers read back with node:zlib),
// the error stream half-closed after its reply, data both ways with half-close, the kubelet's error text,
// PING, GOAWAY, receive windows, send windows once the peer does flow control, and refusals (403 names the
// verbs; 400 from an apiserver without the tunnel means "fall back to v4.channel").
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as zlib from 'node:zlib';
import { ClusterConnection } from '../../../src/k8s/connection';
import type { MergedKubeconfig } from '../../../src/k8s/kubeconfig';
import {
  openPortTunnel,
  RECEIVE_WINDOW,
  TUNNEL_PROTOCOL,
  type PortTunnel,
} from '../../../src/k8s/portTunnel';
import {
  controlStreamId,
  controlWord2,
  dataHeader,
  FrameReader,
  goAway,
  HEADER_DICTIONARY,
  parseSettings,
  ping,
  settings,
  windowUpdate,
} from '../../../src/k8s/spdy';
import { clientFrames, serverFrame } from '../helpers/wsFrames';

/** What the stand-in kubelet saw on one tunnel. */
interface Seen {
  streams: { id: number; headers: Record<string, string>; fin: boolean }[];
  data: Map<number, Buffer>;
  fins: number[];
  resets: { id: number; status: number }[];
  pings: number[];
  settings: { id: number; value: number }[];
  windowUpdates: { id: number; delta: number }[];
}

/** A SYN_REPLY with an empty (never read) header block. */
function synReply(id: number, fin = false): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(0x8003, 0);
  b.writeUInt16BE(2, 2);
  b.writeUInt32BE(((fin ? 1 : 0) << 24) | 4, 4);
  b.writeUInt32BE(id, 8);
  return b;
}

function dataFrame(id: number, data: Buffer, fin = false): Buffer {
  return Buffer.concat([dataHeader(id, data.length, fin), data]);
}

describe('k8s/portTunnel: SPDY/3.1 port-forward over one WebSocket', () => {
  let server: http.Server;
  let conn: ClusterConnection;
  const sockets = new Set<Socket>();
  const tunnels: { seen: Seen; send(b: Buffer): void; path: string; protocol: string }[] = [];
  /** How the stand-in behaves per pod name. */
  const behaviour: Record<string, 'echo' | 'refuse' | 'window'> = {
    echo: 'echo',
    refused: 'refuse',
    windowed: 'window',
  };

  before(async () => {
    server = http.createServer((_req, res) => res.writeHead(404).end());
    server.on('upgrade', (req: http.IncomingMessage, sock: Socket) => {
      sockets.add(sock);
      sock.on('error', () => sock.destroy());
      const url = new URL(req.url ?? '/', 'http://x');
      const pod = url.pathname.split('/')[6];
      const status = (code: number, reason: string, message: string) =>
        sock.end(
          `HTTP/1.1 ${code} ${reason}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n` +
            JSON.stringify({ kind: 'Status', reason, message, code }),
        );
      if (pod === 'forbidden')
        return status(
          403,
          'Forbidden',
          `pods "forbidden" is forbidden: User "viewer" cannot get resource "pods/portforward" in API group "" in the namespace "t"`,
        );
      if (pod === 'old') return status(400, 'BadRequest', 'query parameter "port" is required');
      // kubectl's SPDY/3.1 upgrade: the session's bytes go on the connection itself.
      const spdy = String(req.headers.upgrade).toLowerCase() === 'spdy/3.1';
      if (pod === 'legacy' && !spdy) {
        // A 1.30 apiserver: the kubelet's 400 passed on as a keep-alive answer, then the connection closed.
        const body = JSON.stringify({ kind: 'Status', reason: 'BadRequest', code: 400 });
        sock.write(
          `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        );
        setTimeout(() => sock.destroy(), 20);
        return;
      }
      if (spdy)
        sock.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nConnection: Upgrade\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n`,
        );
      else {
        const accept = createHash('sha1')
          .update(`${String(req.headers['sec-websocket-key'])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
          .digest('base64');
        sock.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: ${TUNNEL_PROTOCOL}\r\n\r\n`,
        );
      }
      // The apiserver forwards each of the kubelet's writes as its own message: split frames the same way.
      const send = (b: Buffer) => {
        if (sock.writableEnded) return;
        const cut = Math.min(4, b.length);
        if (spdy) {
          sock.write(b.subarray(0, cut));
          if (b.length > cut) sock.write(b.subarray(cut));
          return;
        }
        sock.write(serverFrame(2, b.subarray(0, cut)));
        if (b.length > cut) sock.write(serverFrame(2, b.subarray(cut)));
      };
      const seen: Seen = {
        streams: [],
        data: new Map(),
        fins: [],
        resets: [],
        pings: [],
        settings: [],
        windowUpdates: [],
      };
      tunnels.push({
        seen,
        send,
        path: `${url.pathname}${url.search}`,
        protocol: String(req.headers[spdy ? 'x-stream-protocol-version' : 'sec-websocket-protocol']),
      });
      const mode = behaviour[pod] ?? 'echo';
      if (mode === 'window') send(settings([{ id: 7, value: 1000 }]));
      send(ping(2)); // the server's pings have even ids
      const frames = new FrameReader();
      let compressed = Buffer.alloc(0);
      let inflated = 0;
      const errorOf = new Map<number, number>(); // data stream -> its error stream, by requestID
      const byRequest = new Map<string, number>();
      const onMessage = (opcode: number, payload: Buffer) => {
        if (opcode === 8) {
          sock.end(serverFrame(8, payload));
          return;
        }
        if (opcode !== 2) return;
        frames.push(payload);
        for (let f = frames.next(); f; f = frames.next()) {
          if (f.type === 'data') {
            const prev = seen.data.get(f.streamId) ?? Buffer.alloc(0);
            seen.data.set(f.streamId, Buffer.concat([prev, f.data]));
            if (f.fin) seen.fins.push(f.streamId);
            const errId = errorOf.get(f.streamId);
            if (errId === undefined) continue; // the error stream's FIN
            if (mode === 'echo' && f.data.length) send(dataFrame(f.streamId, Buffer.from(`echo:${f.data}`)));
            if (f.fin) {
              send(dataFrame(f.streamId, Buffer.alloc(0), true));
              send(dataFrame(errId, Buffer.alloc(0), true));
            }
            continue;
          }
          const p = f.payload;
          switch (f.frameType) {
            case 1: {
              // SYN_STREAM: the header blocks are one zlib stream; inflate all so far and take the new part.
              compressed = Buffer.concat([compressed, p.subarray(10)]);
              const all = zlib.inflateSync(compressed, {
                dictionary: HEADER_DICTIONARY,
                finishFlush: zlib.constants.Z_SYNC_FLUSH,
              });
              const block = all.subarray(inflated);
              inflated = all.length;
              const headers: Record<string, string> = {};
              let at = 4;
              for (let i = 0; i < block.readUInt32BE(0); i++) {
                const nl = block.readUInt32BE(at);
                const name = block.subarray(at + 4, at + 4 + nl).toString();
                at += 4 + nl;
                const vl = block.readUInt32BE(at);
                headers[name] = block.subarray(at + 4, at + 4 + vl).toString();
                at += 4 + vl;
              }
              const id = controlStreamId(p);
              seen.streams.push({ id, headers, fin: (f.flags & 1) !== 0 });
              if (headers.streamtype === 'error') byRequest.set(headers.requestid, id);
              else errorOf.set(id, byRequest.get(headers.requestid)!);
              send(synReply(id));
              if (mode === 'refuse' && headers.streamtype === 'data') {
                const errId = byRequest.get(headers.requestid)!;
                send(
                  dataFrame(
                    errId,
                    Buffer.from('error forwarding port 8888 to pod p: connection refused'),
                    true,
                  ),
                );
                send(dataFrame(id, Buffer.alloc(0), true));
              }
              break;
            }
            case 3:
              seen.resets.push({ id: controlStreamId(p), status: controlWord2(p) });
              break;
            case 4:
              seen.settings.push(...parseSettings(p).map(({ id, value }) => ({ id, value })));
              break;
            case 6:
              seen.pings.push(p.readUInt32BE(0));
              break;
            case 9:
              seen.windowUpdates.push({ id: controlStreamId(p), delta: controlWord2(p) });
              break;
          }
        }
      };
      if (spdy) sock.on('data', (c: Buffer) => onMessage(2, c));
      else clientFrames(sock, onMessage);
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

  async function open(pod: string): Promise<PortTunnel> {
    const t = await openPortTunnel(conn.transport, { namespace: 't', pod });
    assert.ok(t.ok, t.ok ? '' : t.error.message);
    return t.value;
  }

  const until = async (what: string, cond: () => boolean) => {
    for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(cond(), what);
  };

  const readAll = (s: NodeJS.ReadableStream) =>
    new Promise<string>((resolve, reject) => {
      let out = '';
      s.on('data', (c: Buffer) => (out += c.toString()));
      s.on('end', () => resolve(out));
      s.on('error', reject);
      s.on('close', () => reject(new Error(`closed without end after ${JSON.stringify(out)}`)));
    });

  it('opens an error and a data stream per connection on one WebSocket, and moves data both ways', async () => {
    const t = await open('echo');
    const tun = tunnels.at(-1)!;
    assert.equal(
      tun.path,
      '/api/v1/namespaces/t/pods/echo/portforward',
      'no ports query: ports go in headers',
    );
    assert.equal(tun.protocol, 'SPDY/3.1+portforward.k8s.io');
    const a = await t.openPort(8888);
    const b = await t.openPort(9000);
    assert.ok(a.ok && b.ok);
    assert.deepEqual(
      tun.seen.streams.map((s) => [s.id, s.headers]),
      [
        [1, { streamtype: 'error', port: '8888', requestid: '0' }],
        [3, { streamtype: 'data', port: '8888', requestid: '0' }],
        [5, { streamtype: 'error', port: '9000', requestid: '1' }],
        [7, { streamtype: 'data', port: '9000', requestid: '1' }],
      ],
    );
    // The receive windows are granted up front: SETTINGS for streams, WINDOW_UPDATE for the 3.1 session.
    assert.deepEqual(tun.seen.settings, [{ id: 7, value: RECEIVE_WINDOW }]);
    assert.deepEqual(tun.seen.windowUpdates, [{ id: 0, delta: RECEIVE_WINDOW - 65_536 }]);
    // The error streams are half-closed by us once replied; we never write to them.
    await until('error streams half-closed', () => tun.seen.fins.includes(1) && tun.seen.fins.includes(5));
    assert.equal(tun.seen.data.get(1)?.length ?? 0, 0);

    const aOut = readAll(a.value);
    const bOut = readAll(b.value);
    a.value.end('hello');
    b.value.end('world');
    assert.equal(await aOut, 'echo:hello');
    assert.equal(await bOut, 'echo:world');
    assert.ok(
      tun.seen.fins.includes(3) && tun.seen.fins.includes(7),
      'local end became FIN on the data streams',
    );
    // The server's PING (even id) is echoed.
    await until('ping echoed', () => tun.seen.pings.includes(2));
    await until('streams forgotten', () => t.openStreams === 0);
    assert.deepEqual(tun.seen.resets, []);
    t.close();
    assert.equal(t.usable, false);
  });

  it("destroying a connection early resets its streams; the kubelet's error text fails the stream", async () => {
    const t = await open('echo');
    const tun = tunnels.at(-1)!;
    const a = await t.openPort(8888);
    assert.ok(a.ok);
    a.value.destroy();
    await until('both streams reset', () => tun.seen.resets.length === 2);
    assert.deepEqual(tun.seen.resets.map((r) => [r.id, r.status]).sort(), [
      [1, 5],
      [3, 5],
    ]);
    t.close();

    const r = await open('refused');
    const s = await r.openPort(8888);
    assert.ok(!s.ok);
    assert.equal(s.error.message, 'error forwarding port 8888 to pod p: connection refused');
    r.close();
  });

  it('GOAWAY makes the tunnel unusable for new connections; its close ends open streams', async () => {
    const t = await open('echo');
    const tun = tunnels.at(-1)!;
    const a = await t.openPort(8888);
    assert.ok(a.ok);
    const failed = new Promise<Error>((resolve) => a.value.on('error', resolve));
    tun.send(goAway(3));
    await until('gone away', () => !t.usable);
    const refused = await t.openPort(8888);
    assert.ok(!refused.ok);
    t.close('test over');
    assert.match((await failed).message, /test over/);
  });

  it("honours the peer's send window once the peer does flow control", async () => {
    const t = await open('windowed');
    const tun = tunnels.at(-1)!;
    const a = await t.openPort(8888);
    assert.ok(a.ok);
    assert.equal(t.peerFlowControl, true, 'SETTINGS turned flow control on');
    a.value.write(Buffer.alloc(5000, 1));
    await until('first 1000 bytes', () => tun.seen.data.get(3)?.length === 1000);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(tun.seen.data.get(3)?.length, 1000, 'no more than the window');
    tun.send(windowUpdate(3, 4000));
    await until('the rest after WINDOW_UPDATE', () => tun.seen.data.get(3)?.length === 5000);
    const ended = new Promise<Error>((resolve) => a.value.on('error', resolve));
    t.close('test over');
    assert.match((await ended).message, /test over/);
  });

  it('a 403 names the missing verbs; a 400 (no tunnel on this apiserver) says to fall back', async () => {
    const f = await openPortTunnel(conn.transport, { namespace: 't', pod: 'forbidden' });
    assert.ok(!f.ok);
    assert.equal(f.unsupported, false);
    assert.equal(f.error.kind, 'forbidden');
    assert.match(f.error.message, /may not (get|create).* pods\/portforward in namespace t/);
    const o = await openPortTunnel(conn.transport, { namespace: 't', pod: 'old' });
    assert.ok(!o.ok);
    assert.equal(o.unsupported, true);
  });

  it('where the apiserver refuses the WebSocket tunnel (1.30), the session goes over a SPDY/3.1 upgrade, on a connection of its own', async () => {
    const t = await open('legacy');
    assert.equal(t.framing, 'spdy');
    const tun = tunnels.at(-1)!;
    assert.equal(tun.protocol, 'portforward.k8s.io');
    const a = await t.openPort(8888);
    assert.ok(a.ok, a.ok ? '' : a.error.message);
    a.value.end('hi');
    assert.equal(await readAll(a.value), 'echo:hi');
    t.close();
  });
});
