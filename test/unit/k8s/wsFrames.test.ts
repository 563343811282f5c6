// Client WebSocket framing: binaryMessage() builds one masked binary frame from several parts (the tunnel's
// frames of one turn), and WsReader reads server frames however the bytes are cut.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { binaryMessage, WsReader } from '../../../src/k8s/wsFrames';
import { serverFrame } from '../helpers/wsFrames';

/** Decodes one masked client frame (RFC 6455 5.2) independently of the code under test. */
function decodeClientFrame(b: Buffer): { fin: boolean; opcode: number; payload: Buffer; rest: number } {
  let len = b[1] & 0x7f;
  let at = 2;
  assert.ok(b[1] & 0x80, 'masked');
  if (len === 126) {
    len = b.readUInt16BE(2);
    at = 4;
  } else if (len === 127) {
    len = Number(b.readBigUInt64BE(2));
    at = 10;
  }
  const mask = b.subarray(at, at + 4);
  const payload = Buffer.from(b.subarray(at + 4, at + 4 + len));
  for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
  return { fin: (b[0] & 0x80) !== 0, opcode: b[0] & 0x0f, payload, rest: b.length - (at + 4 + len) };
}

describe('k8s/wsFrames: client framing', () => {
  it('binaryMessage frames the parts as one masked binary message, at every length encoding', () => {
    for (const total of [0, 1, 125, 126, 65_535, 65_536, 300_001]) {
      const a = Buffer.alloc(Math.floor(total / 3), 0xab);
      const b = Buffer.alloc(total - a.length, 0x5c);
      const before = Buffer.concat([a, b]);
      const msg = binaryMessage([a, b], total);
      const f = decodeClientFrame(msg);
      assert.equal(f.fin, true);
      assert.equal(f.opcode, 2);
      assert.equal(f.rest, 0, `exactly one frame for ${total} bytes`);
      assert.ok(f.payload.equals(before), `payload of ${total} bytes`);
      assert.ok(Buffer.concat([a, b]).equals(before), 'the parts are left as they were');
    }
  });

  it('WsReader reads frames cut anywhere, including 16- and 64-bit lengths and fragments', () => {
    const big = Buffer.alloc(70_000, 7);
    const wire = Buffer.concat([
      serverFrame(2, Buffer.from('one')),
      serverFrame(2, Buffer.alloc(300, 1), false),
      serverFrame(0, big),
      serverFrame(9, Buffer.from('ping')),
    ]);
    for (const cut of [1, 7, 4096, wire.length]) {
      const r = new WsReader();
      const got: { fin: boolean; opcode: number; len: number }[] = [];
      for (let at = 0; at < wire.length; at += cut) {
        r.push(wire.subarray(at, at + cut));
        for (let f = r.next(); f; f = r.next())
          got.push({ fin: f.fin, opcode: f.opcode, len: f.payload.length });
      }
      assert.deepEqual(got, [
        { fin: true, opcode: 2, len: 3 },
        { fin: false, opcode: 2, len: 300 },
        { fin: true, opcode: 0, len: 70_000 },
        { fin: true, opcode: 9, len: 4 },
      ]);
    }
  });
});
