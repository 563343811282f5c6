// SPDY/3.1 framing for the port-forward tunnel: frame layouts byte by byte (SPDY/3 section 2), the header
// block zlib stream checked by an independent inflater (node:zlib) with the SPDY/3 dictionary, and the frame
// reader fed one byte at a time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as zlib from 'node:zlib';
import { adler32 } from '../../../src/k8s/adler32';
import {
  controlStreamId,
  controlWord2,
  dataHeader,
  FrameReader,
  goAway,
  HEADER_DICTIONARY,
  HeaderCompressor,
  headerBlock,
  parseSettings,
  ping,
  rstStream,
  settings,
  synStream,
  windowUpdate,
  type Frame,
} from '../../../src/k8s/spdy';

const hex = (b: Buffer) => b.toString('hex');

describe('k8s/spdy: SPDY/3.1 framing', () => {
  it('adler32 matches RFC 1950 reference values', () => {
    assert.equal(adler32(Buffer.from('Wikipedia')), 0x11e60398);
    assert.equal(adler32(Buffer.alloc(0)), 1);
    // Long input: the sums are reduced before they overflow.
    assert.equal(adler32(Buffer.alloc(100_000, 0xff)), 0x149a302c); // zlib.adler32(b"\xff" * 100000)
  });

  it('the header dictionary is SPDY/3 own (1,423 bytes, dictionary id 0xe3c6a7c2)', () => {
    assert.equal(HEADER_DICTIONARY.length, 1423);
    assert.equal(adler32(HEADER_DICTIONARY), 0xe3c6a7c2);
    assert.equal(hex(HEADER_DICTIONARY.subarray(0, 11)), '000000076f7074696f6e73'); // "\0\0\0\x07options"
    assert.ok(HEADER_DICTIONARY.toString('latin1').endsWith('charset=iso-8859-1,utf-,*,enq=0.'));
  });

  it('a header block is a count, then length-prefixed lowercase names and values', () => {
    const b = headerBlock({ streamType: 'data', port: '8888' });
    assert.equal(
      hex(b),
      '00000002' +
        '0000000a' +
        hex(Buffer.from('streamtype')) +
        '00000004' +
        hex(Buffer.from('data')) +
        '00000004' +
        hex(Buffer.from('port')) +
        '00000004' +
        hex(Buffer.from('8888')),
    );
  });

  it('header blocks form one zlib stream with the dictionary, each ending on a sync flush', () => {
    const c = new HeaderCompressor();
    const blocks = [
      headerBlock({ streamType: 'error', port: '8888', requestID: '0' }),
      headerBlock({ streamType: 'data', port: '8888', requestID: '0' }),
      headerBlock({ big: 'x'.repeat(70_000) }), // more than one stored block
    ];
    const compressed = blocks.map((b) => c.compress(b));
    // The first carries the zlib header: deflate, FDICT, check bits, and the dictionary id.
    assert.equal(compressed[0][0], 0x78);
    assert.equal((compressed[0][0] * 256 + compressed[0][1]) % 31, 0);
    assert.ok(compressed[0][1] & 0x20, 'FDICT');
    assert.equal(compressed[0].readUInt32BE(2), 0xe3c6a7c2);
    assert.notEqual(compressed[1][0], 0x78, 'later blocks continue the same stream');
    for (const x of compressed) assert.equal(hex(x.subarray(-5)), '000000ffff');
    // An independent inflater reads them back in order, block by block, as a peer reads frame by frame.
    let out = Buffer.alloc(0);
    for (let i = 0; i < compressed.length; i++) {
      out = zlib.inflateSync(Buffer.concat(compressed.slice(0, i + 1)), {
        dictionary: HEADER_DICTIONARY,
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
      });
      assert.deepEqual(out, Buffer.concat(blocks.slice(0, i + 1)));
    }
  });

  it('SYN_STREAM, RST_STREAM, PING, GOAWAY, WINDOW_UPDATE and SETTINGS have their SPDY/3 layouts', () => {
    const hb = Buffer.from('abc');
    assert.equal(
      hex(synStream(5, hb, { fin: true, priority: 3 })),
      // control bit + version 3, type 1; flags FIN, length 13; stream 5; associated 0; priority 3<<5; slot 0
      '80030001' + '0100000d' + '00000005' + '00000000' + '60' + '00' + hex(hb),
    );
    assert.equal(hex(synStream(7, hb, { unidirectional: true })).slice(8, 10), '02');
    assert.equal(hex(rstStream(3, 5)), '80030003' + '00000008' + '00000003' + '00000005');
    assert.equal(hex(ping(9)), '80030006' + '00000004' + '00000009');
    assert.equal(hex(goAway(11, 0)), '80030007' + '00000008' + '0000000b' + '00000000');
    assert.equal(hex(windowUpdate(0, 65_536)), '80030009' + '00000008' + '00000000' + '00010000');
    assert.equal(
      hex(settings([{ id: 7, value: 1000, flags: 1 }])),
      '80030004' + '0000000c' + '00000001' + '01000007' + '000003e8',
    );
  });

  it('a DATA frame header carries the stream id, FIN and a 24-bit length', () => {
    assert.equal(hex(dataHeader(3, 5)), '00000003' + '00000005');
    assert.equal(hex(dataHeader(3, 0, true)), '00000003' + '01000000');
    assert.equal(hex(dataHeader(0x7fffffff, 0xffffff)), '7fffffff' + '00ffffff');
    assert.throws(() => dataHeader(1, 0x1000000), /too long/);
  });

  it('the reader takes frames arriving a byte at a time and in one piece alike', () => {
    const payload = Buffer.from('hello, pod');
    const wire = Buffer.concat([
      dataHeader(1, payload.length),
      payload,
      rstStream(3, 5),
      dataHeader(1, 0, true),
      windowUpdate(3, 1234),
      settings([{ id: 7, value: 4096 }]),
    ]);
    const expectFrames = (frames: Frame[]) => {
      assert.equal(frames.length, 5);
      const [d, r, fin, w, s] = frames;
      assert.deepEqual(d, { type: 'data', streamId: 1, fin: false, data: payload });
      assert.ok(r.type === 'control' && r.frameType === 3 && r.version === 3);
      assert.equal(controlStreamId(r.payload), 3);
      assert.equal(controlWord2(r.payload), 5);
      assert.deepEqual(fin, { type: 'data', streamId: 1, fin: true, data: Buffer.alloc(0) });
      assert.ok(w.type === 'control' && w.frameType === 9);
      assert.equal(controlWord2(w.payload), 1234);
      assert.ok(s.type === 'control' && s.frameType === 4);
      assert.deepEqual(parseSettings(s.payload), [{ id: 7, flags: 0, value: 4096 }]);
    };
    const bytewise = new FrameReader();
    const got: Frame[] = [];
    for (const b of wire) {
      bytewise.push(Buffer.from([b]));
      for (let f = bytewise.next(); f; f = bytewise.next()) got.push(f);
    }
    expectFrames(got);
    assert.equal(bytewise.buffered, 0);
    const whole = new FrameReader();
    whole.push(wire);
    const got2: Frame[] = [];
    for (let f = whole.next(); f; f = whole.next()) got2.push(f);
    expectFrames(got2);
    // A frame cut short waits for the rest.
    const partial = new FrameReader();
    partial.push(wire.subarray(0, 12));
    assert.equal(partial.next(), undefined);
    assert.equal(partial.buffered, 12);
  });
});
