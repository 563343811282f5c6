// The log panel's writes to its terminal: lines are batched (one write per FLUSH_MS, not one per line), and
// a batch holds no more lines than the terminal can keep (its scrollback plus the visible rows). In a flood,
// the earlier lines of a batch would scroll out of the terminal within that same write, so writing them only
// costs xterm.js parsing on the editor's UI thread: the terminal ends in the same state without them, and the
// session's ring still has every line for filter, save and redraw. In a flood the interval stretches (to
// FLOOD_FLUSH_MS) as each write replaces the whole scrollback anyway. This keeps the editor responsive and the
// delay from a line's arrival to the screen within one (stretched) interval however fast the lines come. Items can be
// queued unformatted (`format`): only the ones written are formatted, not the ones a flood pushes out first.

/** One write per this many ms at most. */
export const FLUSH_MS = 40;
/**
 * In a flood (a batch had to leave lines out), the interval doubles up to this: each write of a flood replaces
 * the terminal's whole scrollback anyway, so writing it 10 times a second instead of 25 spares the editor's UI
 * thread (xterm.js parses every write there) while the screen still moves. Back to FLUSH_MS once a batch fits.
 */
export const FLOOD_FLUSH_MS = 100;
/** A batch never holds more text than this (lines of 64 KiB: the oldest of the batch go first). */
export const MAX_PENDING_CHARS = 8 * 1024 * 1024;

export interface BatchTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface LineBatcherOptions<T> {
  /** Lines the terminal keeps: scrollback + visible rows (a line takes at least one row). */
  readonly keepLines: () => number;
  readonly flushMs?: number;
  /** The longest interval in a flood (default FLOOD_FLUSH_MS; equal to flushMs: never stretched). */
  readonly floodFlushMs?: number;
  readonly maxPendingChars?: number;
  readonly timers?: BatchTimers;
  /** The text of a queued item (with its line end), made when it is written; default: the item, a string. */
  readonly format?: (item: T) => string;
  /** About how many characters an item writes, for maxPendingChars; default: the length of a string item. */
  readonly chars?: (item: T) => number;
}

const asText = (item: unknown): string => item as string;
const textLength = (item: unknown): number => (item as string).length;

const realBatchTimers: BatchTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class LineBatcher<T = string> {
  /** Pending lines are `_lines[_from..]`; the prefix is dropped lazily (no shift per line). */
  private _lines: T[] = [];
  private _from = 0;
  private _chars = 0;
  private _timer: unknown;
  private readonly _timers: BatchTimers;
  private readonly _flushMs: number;
  private readonly _floodFlushMs: number;
  /** The interval of the next write: FLUSH_MS, stretched while batches overflow. */
  private _interval: number;
  /** Lines left out of the batch now pending (it overflowed: a flood). */
  private _skippedNow = 0;
  private readonly _maxChars: number;
  private readonly _format: (item: T) => string;
  private readonly _size: (item: T) => number;
  /** Lines not written because later lines of the same batch pushed them out of the terminal. */
  skipped = 0;
  /** Lines written. */
  written = 0;

  constructor(
    private readonly _write: (text: string, lines: number) => void,
    private readonly _o: LineBatcherOptions<T>,
  ) {
    this._format = _o.format ?? asText;
    this._size = _o.chars ?? textLength;
    this._timers = _o.timers ?? realBatchTimers;
    this._flushMs = _o.flushMs ?? FLUSH_MS;
    this._floodFlushMs = Math.max(this._flushMs, _o.floodFlushMs ?? FLOOD_FLUSH_MS);
    this._interval = this._flushMs;
    this._maxChars = _o.maxPendingChars ?? MAX_PENDING_CHARS;
  }

  /** Lines waiting for the next write. */
  get pending(): number {
    return this._lines.length - this._from;
  }

  /** Queues one line (a string with its line end, or an item `format` makes one of); written at the next flush. */
  push(line: T): void {
    this._lines.push(line);
    this._chars += this._size(line);
    const keep = Math.max(1, this._o.keepLines());
    while (this.pending > keep || (this._chars > this._maxChars && this.pending > 1)) {
      this._chars -= this._size(this._lines[this._from]!);
      this._from++;
      this.skipped++;
      this._skippedNow++;
    }
    if (this._from > 4096 && this._from * 2 > this._lines.length) {
      this._lines = this._lines.slice(this._from);
      this._from = 0;
    }
    this._timer ??= this._timers.setTimeout(() => this.flush(), this._interval);
  }

  /** Writes what is pending now. */
  flush(): void {
    if (this._timer !== undefined) this._timers.clearTimeout(this._timer);
    this._timer = undefined;
    const n = this.pending;
    if (n === 0) return;
    const parts = new Array<string>(n);
    for (let i = 0; i < n; i++) parts[i] = this._format(this._lines[this._from + i]!);
    const text = parts.join('');
    // A batch that overflowed: the next waits longer (up to floodFlushMs); one that fit: back to flushMs.
    this._interval = this._skippedNow > 0 ? Math.min(this._interval * 2, this._floodFlushMs) : this._flushMs;
    this.reset();
    this.written += n;
    this._write(text, n);
  }

  /** Forgets what is pending (the screen is about to be redrawn). */
  reset(): void {
    if (this._timer !== undefined) this._timers.clearTimeout(this._timer);
    this._timer = undefined;
    this._lines = [];
    this._from = 0;
    this._chars = 0;
    this._skippedNow = 0;
  }

  dispose(): void {
    this.reset();
  }
}
