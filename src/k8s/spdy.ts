// SPDY/3.1 framing for the port-forward tunnel (draft-mbelshe-httpbis-spdy-00 as SPDY/3, plus 3.1's session
// window): the frames a client needs to open streams, move data and keep the session alive. Pure byte work, no
// sockets: the tunnel (portTunnel.ts) owns the connection. Written here because no maintained, small npm
// package does SPDY/3.1 client framing (spdy-transport 3.0.0, last released 2018, brings HTTP/2 and 6 deps).
//
// Header blocks are a zlib stream with the SPDY/3 dictionary that lasts as long as the session. The encoder
// writes them as stored (uncompressed) deflate blocks: a valid zlib stream every SPDY/3 peer can inflate,
// byte-aligned after each block (as Z_SYNC_FLUSH leaves it), and no compressor state to keep in step. Our
// header blocks are ~60 bytes, so compression would save little. Received header blocks are not inflated:
// the port-forward protocol reads nothing from the server's replies, only that they came.
import { adler32 } from './adler32';
import { ByteQueue } from './byteQueue';

export const SPDY_VERSION = 3;

export const enum FrameType {
  SynStream = 1,
  SynReply = 2,
  RstStream = 3,
  Settings = 4,
  Ping = 6,
  GoAway = 7,
  Headers = 8,
  WindowUpdate = 9,
}

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes (SPDY/3 2.6.3). */
export const RstStatus = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
  FRAME_TOO_LARGE: 11,
} as const;

/** SETTINGS id for a stream's initial send window. */
export const SETTINGS_INITIAL_WINDOW_SIZE = 7;
/** Both the stream and (3.1) the session window start at 64 KiB. */
export const DEFAULT_WINDOW = 65_536;
/** The largest length a frame header can carry (24 bits). */
export const MAX_FRAME_LENGTH = 0xffffff;

const DICTIONARY_WORDS = [
  'options',
  'head',
  'post',
  'put',
  'delete',
  'trace',
  'accept',
  'accept-charset',
  'accept-encoding',
  'accept-language',
  'accept-ranges',
  'age',
  'allow',
  'authorization',
  'cache-control',
  'connection',
  'content-base',
  'content-encoding',
  'content-language',
  'content-length',
  'content-location',
  'content-md5',
  'content-range',
  'content-type',
  'date',
  'etag',
  'expect',
  'expires',
  'from',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'pragma',
  'proxy-authenticate',
  'proxy-authorization',
  'range',
  'referer',
  'retry-after',
  'server',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'vary',
  'via',
  'warning',
  'www-authenticate',
  'method',
  'get',
  'status',
  '200 OK',
  'version',
  'HTTP/1.1',
  'url',
  'public',
  'set-cookie',
  'keep-alive',
  'origin',
];
const DICTIONARY_TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505203 No' +
  'n-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized403' +
  ' Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service UnavailableJan Fe' +
  'b Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunke' +
  'd,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/' +
  'javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

/** The SPDY/3 header compression dictionary (SPDY/3 2.6.10.1): length-prefixed words, then a tail. */
export const HEADER_DICTIONARY: Buffer = (() => {
  const parts: Buffer[] = [];
  for (const w of DICTIONARY_WORDS) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(w.length, 0);
    parts.push(len, Buffer.from(w, 'latin1'));
  }
  parts.push(Buffer.from(DICTIONARY_TAIL, 'latin1'));
  return Buffer.concat(parts);
})();

function controlHeader(type: FrameType, flags: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(8 + length);
  b.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  b.writeUInt16BE(type, 2);
  b.writeUInt32BE(((flags & 0xff) << 24) | length, 4);
  return b;
}

/** The header block of one SYN_STREAM (or HEADERS), uncompressed: count, then length-prefixed names/values. */
export function headerBlock(headers: Readonly<Record<string, string>>): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [Buffer.alloc(4)];
  parts[0].writeUInt32BE(entries.length, 0);
  for (const [k, v] of entries) {
    // SPDY/3 header names are lowercase on the wire; Go's http.Header canonicalizes on read.
    for (const s of [k.toLowerCase(), v]) {
      const bytes = Buffer.from(s, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32BE(bytes.length, 0);
      parts.push(len, bytes);
    }
  }
  return Buffer.concat(parts);
}

/**
 * The session's header compressor: one zlib stream with the SPDY/3 dictionary, written as stored blocks. The
 * first block carries the zlib header (FDICT set, the dictionary's Adler-32); each block ends byte-aligned.
 */
const SYNC_FLUSH = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);

export class HeaderCompressor {
  private _started = false;

  compress(block: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this._started) {
      this._started = true;
      // CMF 0x78 (deflate, 32 KiB window); FLG: FDICT (0x20), level 0, check bits so (CMF*256+FLG) % 31 == 0.
      const flg0 = 0x20;
      const flg = flg0 + ((31 - ((0x78 * 256 + flg0) % 31)) % 31);
      const head = Buffer.alloc(6);
      head[0] = 0x78;
      head[1] = flg;
      head.writeUInt32BE(adler32(HEADER_DICTIONARY), 2);
      parts.push(head);
    }
    for (let at = 0; at < block.length; at += 0xffff) {
      const part = block.subarray(at, Math.min(block.length, at + 0xffff));
      // BFINAL 0, BTYPE 00 (stored), padded to the byte; then LEN and its one's complement, little-endian.
      const h = Buffer.alloc(5);
      h.writeUInt16LE(part.length, 1);
      h.writeUInt16LE(~part.length & 0xffff, 3);
      parts.push(h, part);
    }
    // The empty stored block Z_SYNC_FLUSH ends with: Go's inflater hands out a stored block's bytes only when the
    // next block starts, and it must start within this frame (the framer checks the frame was read exactly).
    parts.push(SYNC_FLUSH);
    return Buffer.concat(parts);
  }
}

export function synStream(
  streamId: number,
  compressedHeaders: Buffer,
  o: { fin?: boolean; unidirectional?: boolean; priority?: number; associatedTo?: number } = {},
): Buffer {
  const flags = (o.fin ? FLAG_FIN : 0) | (o.unidirectional ? FLAG_UNIDIRECTIONAL : 0);
  const b = controlHeader(FrameType.SynStream, flags, 10 + compressedHeaders.length);
  b.writeUInt32BE(streamId & 0x7fffffff, 8);
  b.writeUInt32BE((o.associatedTo ?? 0) & 0x7fffffff, 12);
  b[16] = ((o.priority ?? 0) & 0x7) << 5;
  b[17] = 0; // slot
  compressedHeaders.copy(b, 18);
  return b;
}

export function rstStream(streamId: number, status: number): Buffer {
  const b = controlHeader(FrameType.RstStream, 0, 8);
  b.writeUInt32BE(streamId & 0x7fffffff, 8);
  b.writeUInt32BE(status, 12);
  return b;
}

export function ping(id: number): Buffer {
  const b = controlHeader(FrameType.Ping, 0, 4);
  b.writeUInt32BE(id >>> 0, 8);
  return b;
}

export function goAway(lastGoodStreamId: number, status = 0): Buffer {
  const b = controlHeader(FrameType.GoAway, 0, 8);
  b.writeUInt32BE(lastGoodStreamId & 0x7fffffff, 8);
  b.writeUInt32BE(status, 12);
  return b;
}

/** WINDOW_UPDATE for a stream, or for the whole session (stream 0, SPDY/3.1). */
export function windowUpdate(streamId: number, delta: number): Buffer {
  const b = controlHeader(FrameType.WindowUpdate, 0, 8);
  b.writeUInt32BE(streamId & 0x7fffffff, 8);
  b.writeUInt32BE(delta & 0x7fffffff, 12);
  return b;
}

export function settings(entries: readonly { id: number; value: number; flags?: number }[]): Buffer {
  const b = controlHeader(FrameType.Settings, 0, 4 + entries.length * 8);
  b.writeUInt32BE(entries.length, 8);
  entries.forEach((e, i) => {
    b.writeUInt32BE((((e.flags ?? 0) & 0xff) << 24) | (e.id & 0xffffff), 12 + i * 8);
    b.writeUInt32BE(e.value >>> 0, 16 + i * 8);
  });
  return b;
}

/** The 8-byte header of a DATA frame; the payload follows it on the wire (written separately, not copied). */
export function dataHeader(streamId: number, length: number, fin = false): Buffer {
  if (length > MAX_FRAME_LENGTH) throw new RangeError(`SPDY data frame too long: ${length}`);
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32BE(streamId & 0x7fffffff, 0);
  b.writeUInt32BE(((fin ? FLAG_FIN : 0) << 24) | length, 4);
  return b;
}

export type Frame =
  | { readonly type: 'data'; readonly streamId: number; readonly fin: boolean; readonly data: Buffer }
  | {
      readonly type: 'control';
      readonly frameType: number;
      readonly version: number;
      readonly flags: number;
      readonly payload: Buffer;
    };

/** Reads frames from a byte stream that arrives in arbitrary pieces. */
export class FrameReader {
  private readonly _q = new ByteQueue();

  push(c: Buffer): void {
    this._q.push(c);
  }

  get buffered(): number {
    return this._q.length;
  }

  /** The next whole frame, or undefined until more bytes come. */
  next(): Frame | undefined {
    if (this._q.length < 8) return undefined;
    const h = this._q.peek(8);
    const length = h.readUInt32BE(4) & 0xffffff;
    if (this._q.length < 8 + length) return undefined;
    const word0 = h.readUInt32BE(0);
    const flags = h[4];
    this._q.consume(8);
    const payload = this._q.consume(length);
    if (word0 & 0x80000000)
      return {
        type: 'control',
        version: (word0 >>> 16) & 0x7fff,
        frameType: word0 & 0xffff,
        flags,
        payload,
      };
    return { type: 'data', streamId: word0 & 0x7fffffff, fin: (flags & FLAG_FIN) !== 0, data: payload };
  }
}

/** The stream id of SYN_REPLY, RST_STREAM, HEADERS and WINDOW_UPDATE (first word of the payload). */
export function controlStreamId(payload: Buffer): number {
  return payload.length >= 4 ? payload.readUInt32BE(0) & 0x7fffffff : 0;
}

/** Second word of RST_STREAM (status), GOAWAY (status), WINDOW_UPDATE (delta). */
export function controlWord2(payload: Buffer): number {
  return payload.length >= 8 ? payload.readUInt32BE(4) & 0x7fffffff : 0;
}

/** SETTINGS entries: id (24 bits), flags and value. */
export function parseSettings(payload: Buffer): { id: number; flags: number; value: number }[] {
  const n = payload.length >= 4 ? payload.readUInt32BE(0) : 0;
  const out: { id: number; flags: number; value: number }[] = [];
  for (let i = 0; i < n && 12 + i * 8 <= payload.length; i++) {
    const w = payload.readUInt32BE(4 + i * 8);
    out.push({ flags: w >>> 24, id: w & 0xffffff, value: payload.readUInt32BE(8 + i * 8) });
  }
  return out;
}
