// The lines a log session keeps, in one fixed buffer: bounded by a line count (gantry.logs.maxLines) and by
// bytes, so 50,000 lines of 64 KiB cannot take gigabytes, and no string or object per kept line lives on the
// JS heap. Per-line strings die young (the scavenger frees them cheaply) instead of being promoted to the old
// generation and collected seconds later, which is what made the heap of a flood peak at several hundred MB.
// Node's Buffer (UTF-8 encode/decode in C++), so it lives on the session side, not in core/.
import { DEFAULT_MAX_LINES, type EntryKind, type LogEntry, type LogSource } from '../core/logMerge';

/** Bytes of text a session keeps unless told otherwise (UTF-8; at ~100 bytes a line, 50,000 lines use 5 MiB). */
export const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;
/** The smallest bound: a line cut at 64 Ki UTF-16 units takes at most 192 KiB of UTF-8. */
const MIN_BYTES = 1024 * 1024;
/** The buffer starts this small and doubles while what is kept fills half of it (a quiet job's session stays small). */
const INITIAL_BYTES = 1024 * 1024;
const KINDS: readonly EntryKind[] = ['line', 'joined', 'ended', 'restarted', 'info'];
const KIND_INDEX = new Map(KINDS.map((k, i) => [k, i]));

/** The last `capacity` entries whose text fits in `maxBytes`; older ones are dropped, newest kept, in order. */
export class LogRing {
  private _arena: Buffer;
  private readonly _maxBytes: number;
  private _capacity: number;
  // Per kept entry, by slot (slot = (head + i) % capacity): where its bytes start, their length (timestamp
  // then text), the timestamp's length (-1: none), its source and kind.
  private _start!: Int32Array;
  private _len!: Int32Array;
  private _tsLen!: Int16Array;
  private _src!: Uint32Array;
  private _kind!: Uint8Array;
  private _head = 0;
  private _size = 0;
  /** Where the next entry's bytes go. */
  private _write = 0;
  private _bytes = 0;
  private _sources: LogSource[] = [];
  private _sourceIndex = new Map<LogSource, number>();
  /** Entries dropped since creation or the last clear(). */
  dropped = 0;

  constructor(capacity: number = DEFAULT_MAX_LINES, maxBytes: number = DEFAULT_MAX_BYTES) {
    this._capacity = Math.max(1, Math.floor(capacity));
    this._maxBytes = Math.max(MIN_BYTES, Math.floor(maxBytes));
    this._arena = Buffer.allocUnsafe(Math.min(INITIAL_BYTES, this._maxBytes));
    this.allocSlots();
  }

  private allocSlots(): void {
    const n = this._capacity;
    this._start = new Int32Array(n);
    this._len = new Int32Array(n);
    this._tsLen = new Int16Array(n);
    this._src = new Uint32Array(n);
    this._kind = new Uint8Array(n);
  }

  get size(): number {
    return this._size;
  }
  /** The line bound. */
  get capacity(): number {
    return this._capacity;
  }
  /** The byte bound: the buffer never grows past it. */
  get maxBytes(): number {
    return this._maxBytes;
  }
  /** The buffer's size now. */
  get bufferBytes(): number {
    return this._arena.length;
  }
  /** UTF-8 bytes of the entries kept. */
  get bytes(): number {
    return this._bytes;
  }

  push(e: LogEntry): void {
    const ts = e.ts;
    // Room for the UTF-8 bytes: for a short line an upper bound (3 bytes per UTF-16 unit) saves counting; a
    // long one is counted, so it frees no more old lines than it needs.
    const units = (ts?.length ?? 0) + e.text.length;
    const need = Math.min(
      units < 1024 ? 3 * units : Buffer.byteLength(e.text) + (ts ? Buffer.byteLength(ts) : 0),
      this._maxBytes,
    );
    if (this._size === this._capacity) this.dropOldest();
    if (this._size === 0) this._write = 0;
    if (this._write + need > this._arena.length) {
      if (this._arena.length < this._maxBytes && 2 * (this._bytes + need) > this._arena.length)
        this.grow(Math.min(this._maxBytes, Math.max(2 * this._arena.length, 2 * (this._bytes + need))));
      else this._write = 0; // wrap; the tail stays unused
    }
    // Free the oldest entries lying where this one goes (after a wrap they are the ones just past _write).
    while (this._size > 0) {
      const s = this._start[this._head]!;
      if (s < this._write || s >= this._write + need) break;
      this.dropOldest();
    }
    let at = this._write;
    const tsBytes = ts === undefined ? 0 : this._arena.write(ts, at, 'utf8');
    at += tsBytes;
    // A text longer than the whole buffer keeps its start (only a buffer below 192 KiB could need this).
    at += this._arena.write(e.text, at, this._arena.length - at, 'utf8');
    const slot = (this._head + this._size) % this._capacity;
    this._start[slot] = this._write;
    this._len[slot] = at - this._write;
    this._tsLen[slot] = ts === undefined ? -1 : tsBytes;
    this._src[slot] = this.sourceIndex(e.source);
    this._kind[slot] = KIND_INDEX.get(e.kind) ?? 0;
    this._bytes += at - this._write;
    this._write = at;
    this._size++;
  }

  /** A bigger buffer holding the kept entries packed from its start, in order. */
  private grow(size: number): void {
    const next = Buffer.allocUnsafe(size);
    let at = 0;
    for (let i = 0; i < this._size; i++) {
      const slot = (this._head + i) % this._capacity;
      const s = this._start[slot]!;
      const n = this._len[slot]!;
      this._arena.copy(next, at, s, s + n);
      this._start[slot] = at;
      at += n;
    }
    this._arena = next;
    this._write = at;
  }

  private sourceIndex(s: LogSource): number {
    let i = this._sourceIndex.get(s);
    if (i === undefined) {
      i = this._sources.length;
      this._sources.push(s);
      this._sourceIndex.set(s, i);
    }
    return i;
  }

  private dropOldest(): void {
    this._bytes -= this._len[this._head]!;
    this._head = (this._head + 1) % this._capacity;
    this._size--;
    this.dropped++;
  }

  /** The i-th kept entry, oldest first (a new object each call). */
  at(i: number): LogEntry | undefined {
    if (i < 0 || i >= this._size) return undefined;
    const slot = (this._head + i) % this._capacity;
    const s = this._start[slot]!;
    const tl = this._tsLen[slot]!;
    const textAt = s + Math.max(0, tl);
    const e: { source: LogSource; kind: EntryKind; text: string; ts?: string } = {
      source: this._sources[this._src[slot]!]!,
      kind: KINDS[this._kind[slot]!]!,
      text: this._arena.toString('utf8', textAt, s + this._len[slot]!),
    };
    if (tl >= 0) e.ts = this._arena.toString('utf8', s, textAt);
    return e;
  }

  toArray(): LogEntry[] {
    const out = new Array<LogEntry>(this._size);
    for (let i = 0; i < this._size; i++) out[i] = this.at(i)!;
    return out;
  }

  /** Changes the line bound, keeping the newest entries. */
  resize(capacity: number): void {
    const items = this.toArray();
    const dropped = this.dropped;
    this._capacity = Math.max(1, Math.floor(capacity));
    this.clear();
    this.allocSlots();
    for (const e of items.slice(-this._capacity)) this.push(e);
    this.dropped += dropped + Math.max(0, items.length - this._capacity);
  }

  clear(): void {
    if (this._arena.length > INITIAL_BYTES) this._arena = Buffer.allocUnsafe(INITIAL_BYTES);
    this._head = 0;
    this._size = 0;
    this._write = 0;
    this._bytes = 0;
    this._sources = [];
    this._sourceIndex.clear();
    this.dropped = 0;
  }
}
