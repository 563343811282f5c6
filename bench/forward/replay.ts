// The forward's own CPU per MB, without a cluster and robust to a busy machine (CPU time, not wall time): a
// PortTunnel is fed, from memory, the bytes a 1.36 apiserver sends for 32 streams of 32 KiB DATA frames (the
// pattern counted on Gantry's side in run.ts: every SPDY write its own WebSocket message, 16 KiB payload frames
// each followed by an empty final continuation, every write its own TLS record, i.e. its own 'data' chunk), in
// reads of ~64 KiB; each stream is piped to a loopback socket whose reader is another process, as the forward's
// local connections are. `node --import tsx bench/forward/replay.ts [MB per round] [rounds] [KiB per read]`
// (a read of 512 KiB or more is a forward that fell behind: its turns carry more).
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import { PortTunnel, type TunnelPortStream } from '../../src/k8s/portTunnel';
import { dataHeader } from '../../src/k8s/spdy';

const MB = Number(process.argv[2] ?? 200);
const ROUNDS = Number(process.argv[3] ?? 3);
const STREAMS = 32;
const BATCH = Number(process.argv[4] ?? 64) * 1024;

function wsFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.alloc(2) : Buffer.alloc(4);
  head[0] = (fin ? 0x80 : 0) | opcode;
  if (n < 126) head[1] = n;
  else {
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  }
  return Buffer.concat([head, payload]);
}

/** The 'data' chunks of one 32 KiB DATA frame of stream `id`, as they arrive from the apiserver. */
function frameChunks(id: number, payload: Buffer): Buffer[] {
  const h = dataHeader(id, payload.length);
  const out = [wsFrame(2, h.subarray(0, 4)), wsFrame(2, h.subarray(4, 8))];
  for (let at = 0; at < payload.length; at += 16 * 1024) {
    const part = payload.subarray(at, at + 16 * 1024);
    const f = wsFrame(2, part, false);
    out.push(
      f.subarray(0, f.length - part.length),
      f.subarray(f.length - part.length),
      wsFrame(0, Buffer.alloc(0)),
    );
  }
  return out;
}

function synReply(id: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(0x8003, 0);
  b.writeUInt16BE(2, 2);
  b.writeUInt32BE(4, 4);
  b.writeUInt32BE(id, 8);
  return wsFrame(2, b);
}

async function main(): Promise<void> {
  // The reader of the local connections: another process that discards what it reads.
  const sink = spawn(
    process.execPath,
    [
      '-e',
      `const s=require('net').createServer(c=>c.resume()).listen(0,'127.0.0.1',()=>console.log(s.address().port))`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const sinkPort = Number(await new Promise<string>((r) => sink.stdout.once('data', (c) => r(String(c)))));
  const wire = new Duplex({
    read() {},
    write(_c, _e, cb) {
      cb();
    },
  });
  const tunnel = new PortTunnel(wire, Buffer.alloc(0), { namespace: 'b', pod: 'p' });
  const opened: Promise<unknown>[] = [];
  for (let i = 0; i < STREAMS; i++) opened.push(tunnel.openPort(8080, { timeoutMs: 5000 }));
  for (let i = 0; i < STREAMS; i++) wire.push(Buffer.concat([synReply(1 + 4 * i), synReply(3 + 4 * i)]));
  const streams = (await Promise.all(opened)).map((r) => (r as { value: TunnelPortStream }).value);
  let received = 0;
  await Promise.all(
    streams.map(async (s) => {
      const c = net.connect(sinkPort, '127.0.0.1');
      c.setNoDelay(true);
      await new Promise((r) => c.once('connect', r));
      s.pipe(c);
      s.on('data', (d: Buffer) => (received += d.length));
    }),
  );
  const payload = Buffer.alloc(32 * 1024, 'y');
  const perStream = streams.map((s) => frameChunks(s.id, payload));
  for (let r = 0; r < ROUNDS; r++) {
    received = 0;
    const target = MB * 1024 * 1024;
    const u0 = process.cpuUsage();
    const t0 = performance.now();
    let sent = 0;
    let k = 0;
    while (sent < target) {
      // One socket read: ~64 KiB of records, then the event loop turns (writes to the sockets go out).
      let batch = 0;
      while (batch < BATCH && sent < target) {
        for (const c of perStream[k]!) {
          wire.push(c);
          batch += c.length;
        }
        sent += payload.length;
        k = (k + 1) % STREAMS;
      }
      await new Promise((res) => setImmediate(res));
      while (received < sent - 4 * 1024 * 1024) await new Promise((res) => setTimeout(res, 1));
    }
    while (received < sent) await new Promise((res) => setTimeout(res, 1));
    const u = process.cpuUsage(u0);
    const ms = (u.user + u.system) / 1000;
    console.log(
      `${(sent / 1e6).toFixed(0)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s; forward CPU ${(ms / (sent / 1e6)).toFixed(2)} ms per MB (user ${(u.user / 1000 / (sent / 1e6)).toFixed(2)}, system ${(u.system / 1000 / (sent / 1e6)).toFixed(2)})`,
    );
  }
  tunnel.close();
  sink.kill();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
