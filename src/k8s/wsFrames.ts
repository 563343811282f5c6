// RFC 6455 client framing shared by the port-forward clients: frames we send are masked, frames the apiserver
// sends are not (a masked one is unmasked anyway).
import { randomFillSync } from 'node:crypto';
import { ByteQueue } from './byteQueue';

export const OP_CONT = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

const maskPool = Buffer.alloc(4096);
let maskAt = maskPool.length;

function nextMask(): number {
  if (maskAt >= maskPool.length) {
    randomFillSync(maskPool);
    maskAt = 0;
  }
  const m = maskPool.readUInt32LE(maskAt);
  maskAt += 4;
  return m;
}

/** XORs `buf` with the 4-byte mask `m` (little-endian word), word by word where aligned. */
export function applyMask(buf: Buffer, m: number): void {
  const n = buf.length;
  let i = 0;
  if (buf.byteOffset % 4 === 0 && n >= 16) {
    const words = new Uint32Array(buf.buffer, buf.byteOffset, n >>> 2);
    for (let w = 0; w < words.length; w++) words[w] ^= m;
    i = words.length << 2;
  }
  for (; i < n; i++) buf[i] ^= (m >>> ((i & 3) << 3)) & 0xff;
}

/** A client frame: FIN, opcode, masked payload. */
export function frame(opcode: number, payload: Buffer): Buffer[] {
  const n = payload.length;
  const head = Buffer.allocUnsafe(n < 126 ? 6 : n < 65536 ? 8 : 14);
  head[0] = 0x80 | opcode;
  let at: number;
  if (n < 126) {
    head[1] = 0x80 | n;
    at = 2;
  } else if (n < 65536) {
    head[1] = 0x80 | 126;
    head.writeUInt16BE(n, 2);
    at = 4;
  } else {
    head[1] = 0x80 | 127;
    head.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    head.writeUInt32BE(n >>> 0, 6);
    at = 10;
  }
  const m = nextMask();
  head.writeUInt32LE(m, at);
  applyMask(payload, m);
  return [head, payload];
}

/**
 * One binary message holding `parts` (n bytes in all), built in a single buffer: header, then the parts copied
 * and masked in place, so the socket gets one write. The parts are not modified.
 */
export function binaryMessage(parts: readonly Buffer[], n: number): Buffer {
  const headLen = n < 126 ? 6 : n < 65536 ? 8 : 14;
  // The payload starts 4-byte aligned (the pool's offsets are 8-aligned), so applyMask goes word by word.
  const pad = (4 - (headLen % 4)) % 4;
  const out = Buffer.allocUnsafe(pad + headLen + n).subarray(pad);
  out[0] = 0x80 | OP_BINARY;
  let at: number;
  if (n < 126) {
    out[1] = 0x80 | n;
    at = 2;
  } else if (n < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(n, 2);
    at = 4;
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    out.writeUInt32BE(n >>> 0, 6);
    at = 10;
  }
  const m = nextMask();
  out.writeUInt32LE(m, at);
  let off = headLen;
  for (const p of parts) off += p.copy(out, off);
  applyMask(out.subarray(headLen), m);
  return out;
}

/** Reads WebSocket frames from bytes that arrive in arbitrary pieces. */
export class WsReader {
  private readonly _q = new ByteQueue();

  push(c: Buffer): void {
    this._q.push(c);
  }

  next(): { fin: boolean; opcode: number; payload: Buffer } | undefined {
    if (this._q.length < 2) return undefined;
    const h = this._q.peek(2);
    let len = h[1] & 0x7f;
    let headLen = len === 126 ? 4 : len === 127 ? 10 : 2;
    const masked = (h[1] & 0x80) !== 0;
    if (masked) headLen += 4;
    if (this._q.length < headLen) return undefined;
    const hh = this._q.peek(headLen);
    if (len === 126) len = hh.readUInt16BE(2);
    else if (len === 127) len = hh.readUInt32BE(2) * 2 ** 32 + hh.readUInt32BE(6);
    if (this._q.length < headLen + len) return undefined;
    const head = Buffer.from(this._q.consume(headLen));
    let payload = this._q.consume(len);
    if (masked) {
      payload = Buffer.from(payload);
      applyMask(payload, head.readUInt32LE(headLen - 4));
    }
    return { fin: (head[0] & 0x80) !== 0, opcode: head[0] & 0x0f, payload };
  }
}
