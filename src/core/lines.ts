// Bytes of a chunked HTTP body -> text lines. Shared by watch streams (JSON lines) and pod logs.
// Splits on '\n' only; a '\r' stays in the line for the caller (progress bars, see logMerge).

/** Longest log line kept (64 Ki characters); the rest of the line is dropped and the marker appended. */
export const MAX_LINE_CHARS = 64 * 1024;
export const CUT_MARKER = ' … [line cut at 64 KiB]';

export interface LineDecoderOptions {
  /** Cut lines longer than this many UTF-16 units (default: no limit, e.g. for watch events). */
  readonly maxLineChars?: number;
  /**
   * Before cutting an over-long line, drop the middle '\r' states of it (a progress bar that never prints
   * '\n' would otherwise be cut before its last state). Keeps what precedes the first '\r'.
   */
  readonly collapseCarriageReturns?: boolean;
}

/**
 * A stream decoder: invalid UTF-8 becomes U+FFFD, a character split across two chunks is decoded whole, and
 * the unfinished line is bounded by `maxLineChars` so memory stays bounded whatever arrives.
 */
export class LineDecoder {
  private readonly _dec = new TextDecoder('utf-8');
  private readonly _max: number;
  private readonly _collapse: boolean;
  private _partial = '';
  /** The current line was cut: drop what arrives until its end. */
  private _dropping = false;

  constructor(o: LineDecoderOptions = {}) {
    this._max = o.maxLineChars ?? Infinity;
    this._collapse = o.collapseCarriageReturns ?? false;
  }

  /** How many characters wait for their line's end (tests and the bound). */
  get pending(): number {
    return this._partial.length;
  }

  /** The lines this chunk completes, without their '\n'. */
  push(chunk: Uint8Array | string): string[] {
    const text = typeof chunk === 'string' ? chunk : this._dec.decode(chunk, { stream: true });
    return this.split(text);
  }

  /** The body ended: the last line, if it had no '\n'. */
  end(): string[] {
    const out = this.split(this._dec.decode());
    if (this._partial !== '') out.push(this._partial);
    this._partial = '';
    this._dropping = false;
    return out;
  }

  private split(text: string): string[] {
    const out: string[] = [];
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      this.append(text, start, nl);
      out.push(this._partial);
      this._partial = '';
      this._dropping = false;
      start = nl + 1;
    }
    if (start < text.length) this.append(text, start, text.length);
    return out;
  }

  private append(text: string, from: number, to: number): void {
    if (this._dropping || from === to) return;
    let p = this._partial + text.slice(from, to);
    if (p.length > this._max && this._collapse) {
      // Keep the prefix and the latest state: "<prefix>\r<last state>"; more text may follow.
      const first = p.indexOf('\r');
      const last = p.lastIndexOf('\r');
      if (first >= 0 && last > first) p = p.slice(0, first) + p.slice(last);
    }
    if (p.length > this._max) {
      let cut = this._max;
      // Never split a surrogate pair.
      const c = p.charCodeAt(cut - 1);
      if (c >= 0xd800 && c <= 0xdbff) cut--;
      p = p.slice(0, cut) + CUT_MARKER;
      this._dropping = true;
    }
    this._partial = p;
  }
}
