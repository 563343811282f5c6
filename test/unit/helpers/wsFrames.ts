// The apiserver's side of WebSocket framing (RFC 6455) for tests: unmasked server frames, masked client frames.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';
import type { Socket } from 'node:net';

/** Server frames (unmasked); `split` writes the frame in two TCP writes. */
export function serverFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.alloc(2) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = (fin ? 0x80 : 0) | opcode;
  if (n < 126) head[1] = n;
  else if (n < 65536) {
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}

/** Parses masked client frames from a socket. */
export function clientFrames(sock: Socket, onFrame: (opcode: number, payload: Buffer) => void): void {
  let buf = Buffer.alloc(0);
  sock.on('data', (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    for (;;) {
      if (buf.length < 2) return;
      let len = buf[1] & 0x7f;
      let at = 2;
      assert.ok(buf[1] & 0x80, 'client frames are masked');
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        at = 10;
      }
      if (buf.length < at + 4 + len) return;
      const mask = buf.subarray(at, at + 4);
      const payload = Buffer.from(buf.subarray(at + 4, at + 4 + len));
      for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
      const opcode = buf[0] & 0x0f;
      buf = buf.subarray(at + 4 + len);
      onFrame(opcode, payload);
    }
  });
}

export type PortForwardRoute = number | 'forbidden' | 'notFound' | undefined;

/**
 * A stand-in for the apiserver's pods/portforward (v4.channel.k8s.io) that bridges each WebSocket to a local
 * TCP port, as kwok does: `route(ns, pod, port)` says where (a loopback port), or refuses.
 */
export async function startFakePortForwardApiserver(
  route: (ns: string, pod: string, port: number) => PortForwardRoute,
): Promise<{ url: string; upgrades: string[]; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const upgrades: string[] = [];
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req: http.IncomingMessage, sock: Socket) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/.exec(url.pathname);
    const port = Number(url.searchParams.get('ports'));
    const where = m ? route(m[1], m[2], port) : undefined;
    upgrades.push(`${m?.[1]}/${m?.[2]}:${port}`);
    const status = (code: number, reason: string, message: string) =>
      sock.end(
        `HTTP/1.1 ${code} ${reason}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n` +
          JSON.stringify({ kind: 'Status', reason, message, code }),
      );
    // An apiserver without PortForwardWebsockets hands any WebSocket to the kubelet, whose v4.channel handler
    // wants the ports query: kubectl's SPDY tunnel request (no ports) gets 400, as from a real kubelet.
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(/,\s*/);
    if (!offered.includes('v4.channel.k8s.io'))
      return status(400, 'BadRequest', 'query parameter "port" is required');
    if (where === 'forbidden')
      return status(
        403,
        'Forbidden',
        `pods "${m?.[2]}" is forbidden: User "viewer" cannot create resource "pods/portforward" in API group "" in the namespace "${m?.[1]}"`,
      );
    if (where === undefined || where === 'notFound')
      return status(404, 'NotFound', `pods "${m?.[2]}" not found`);
    const accept = createHash('sha1')
      .update(`${String(req.headers['sec-websocket-key'])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest('base64');
    sock.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n`,
    );
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16LE(port, 0);
    sock.write(serverFrame(2, Buffer.concat([Buffer.from([0]), prefix])));
    sock.write(serverFrame(2, Buffer.concat([Buffer.from([1]), prefix])));
    const backend = net.connect(where, '127.0.0.1');
    backend.on('error', (e) => {
      if (!sock.writableEnded) sock.end(serverFrame(2, Buffer.from(`\x01${e.message}`, 'latin1')));
    });
    backend.on('data', (c: Buffer) => {
      if (!sock.writableEnded) sock.write(serverFrame(2, Buffer.concat([Buffer.from([0]), c])));
    });
    backend.on('close', () => {
      if (!sock.writableEnded) sock.end(serverFrame(8, Buffer.alloc(0)));
    });
    sock.on('close', () => backend.destroy());
    clientFrames(sock, (opcode, payload) => {
      if (opcode === 0x8) {
        backend.destroy();
        if (!sock.writableEnded) sock.end(serverFrame(8, payload));
      } else if (opcode === 0x2 && payload[0] === 0) backend.write(payload.subarray(1));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    upgrades,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A minimal WebSocket client for tests (text messages, masked frames), over any http(s) URL. */
export interface TestWebSocket {
  readonly protocol: string;
  send(text: string): void;
  /** The next text message. */
  next(timeoutMs?: number): Promise<string>;
  close(): void;
}

export function connectWebSocket(url: string, protocols: string[] = []): Promise<TestWebSocket> {
  return new Promise((resolve, reject) => {
    const key = Buffer.from(Array.from({ length: 16 }, () => Math.floor(Math.random() * 256))).toString(
      'base64',
    );
    const req = http.get(url, {
      agent: false,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': key,
        ...(protocols.length ? { 'Sec-WebSocket-Protocol': protocols.join(', ') } : {}),
      },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      res.resume();
      reject(new Error(`no WebSocket upgrade: HTTP ${res.statusCode}`));
    });
    req.on('upgrade', (res, sock: Socket, head: Buffer) => {
      const messages: string[] = [];
      const waiters: ((m: string) => void)[] = [];
      let buf = head;
      let frag: Buffer[] = [];
      const onData = (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        for (;;) {
          if (buf.length < 2) return;
          let len = buf[1] & 0x7f;
          let at = 2;
          if (len === 126) {
            if (buf.length < 4) return;
            len = buf.readUInt16BE(2);
            at = 4;
          } else if (len === 127) {
            if (buf.length < 10) return;
            len = Number(buf.readBigUInt64BE(2));
            at = 10;
          }
          if (buf.length < at + len) return;
          const fin = (buf[0] & 0x80) !== 0;
          const opcode = buf[0] & 0x0f;
          const payload = buf.subarray(at, at + len);
          buf = buf.subarray(at + len);
          if (opcode === 0x9) {
            sock.write(maskedFrame(0xa, payload));
            continue;
          }
          if (opcode === 0x8) {
            sock.end();
            continue;
          }
          frag.push(payload);
          if (!fin) continue;
          const text = Buffer.concat(frag).toString('utf8');
          frag = [];
          const w = waiters.shift();
          if (w) w(text);
          else messages.push(text);
        }
      };
      sock.on('data', onData);
      sock.on('error', () => sock.destroy());
      if (head.length) onData(Buffer.alloc(0));
      resolve({
        protocol: String(res.headers['sec-websocket-protocol'] ?? ''),
        send: (text) => sock.write(maskedFrame(0x1, Buffer.from(text, 'utf8'))),
        next: (timeoutMs = 30_000) =>
          new Promise<string>((res2, rej2) => {
            const m = messages.shift();
            if (m !== undefined) return res2(m);
            const t = setTimeout(() => rej2(new Error('no WebSocket message in time')), timeoutMs);
            waiters.push((x) => {
              clearTimeout(t);
              res2(x);
            });
          }),
        close: () => {
          if (!sock.destroyed) sock.end(maskedFrame(0x8, Buffer.from([0x03, 0xe8])));
          setTimeout(() => sock.destroy(), 500).unref();
        },
      });
    });
  });
}

function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.alloc(6) : n < 65536 ? Buffer.alloc(8) : Buffer.alloc(14);
  head[0] = 0x80 | opcode;
  let at = 2;
  if (n < 126) head[1] = 0x80 | n;
  else if (n < 65536) {
    head[1] = 0x80 | 126;
    head.writeUInt16BE(n, 2);
    at = 4;
  } else {
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(n), 2);
    at = 10;
  }
  const mask = Buffer.from([1, 2, 3, 4].map(() => Math.floor(Math.random() * 256)));
  mask.copy(head, at);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= mask[i & 3];
  return Buffer.concat([head, body]);
}

/** An HTTP server that echoes request bodies (and the path) and echoes WebSocket text messages. */
export async function startEchoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'X-Path': req.url ?? '' });
      res.end(body.length ? body : `echo ${req.url}`);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req: http.IncomingMessage, sock: Socket) => {
    sockets.add(sock);
    const accept = createHash('sha1')
      .update(`${String(req.headers['sec-websocket-key'])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest('base64');
    sock.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    clientFrames(sock, (opcode, payload) => {
      if (opcode === 0x8) sock.end(serverFrame(8, payload));
      else if (opcode === 0x1) sock.write(serverFrame(1, Buffer.from(`echo: ${payload.toString('utf8')}`)));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
