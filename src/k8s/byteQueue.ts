// Bytes that arrive in arbitrary pieces, read back in frames: the WebSocket reader and the SPDY reader share it.

export class ByteQueue {
  private _chunks: Buffer[] = [];
  private _length = 0;

  push(c: Buffer): void {
    if (c.length === 0) return;
    this._chunks.push(c);
    this._length += c.length;
  }

  /** Bytes held. */
  get length(): number {
    return this._length;
  }

  /** The first `n` bytes without taking them (n ≤ length). */
  peek(n: number): Buffer {
    const first = this._chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    // Headers are a few bytes: join just enough leading chunks to hold them.
    let k = 1;
    for (let have = first.length; have < n; k++) have += this._chunks[k]!.length;
    const joined = Buffer.concat(this._chunks.slice(0, k));
    this._chunks.splice(0, k, joined);
    return joined.subarray(0, n);
  }

  /** Takes the first `n` bytes (n ≤ length). */
  consume(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this._chunks[0]!;
    this._length -= n;
    if (first.length >= n) {
      if (first.length === n) this._chunks.shift();
      else this._chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    // Copies only the n bytes asked for, not everything buffered behind them.
    const out = Buffer.allocUnsafe(n);
    for (let off = 0; off < n;) {
      const c = this._chunks[0]!;
      const take = Math.min(c.length, n - off);
      c.copy(out, off, 0, take);
      off += take;
      if (take === c.length) this._chunks.shift();
      else this._chunks[0] = c.subarray(take);
    }
    return out;
  }
}
