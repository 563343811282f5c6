// Pure pieces of a merged log stream: the lines of many containers (the pods of a distributed job) become
// one stream with a role/rank prefix and a colour per rank, progress bars keep their last state, the
// stream keeps only the last N lines, and a resumed follow delivers nothing twice.
// The panel is a pseudoterminal (see README "Log panels"), so colours are ANSI SGR sequences.
export { CUT_MARKER, LineDecoder, MAX_LINE_CHARS } from './lines';

/** Lines kept per stream unless the setting says otherwise. */
export const DEFAULT_MAX_LINES = 50_000;
export const DEFAULT_TAIL_LINES = 300;

// ---------------------------------------------------------------------------------------------- timestamps

/** A line of `kubectl logs --timestamps`: `<RFC3339Nano> <text>`. */
export interface Stamped {
  /** Sortable key of the instant (epoch ms, 15 digits, then 6 more digits of ns); undefined: no timestamp. */
  readonly key: string | undefined;
  /** The timestamp as the server wrote it (undefined when the line had none). */
  readonly ts: string | undefined;
  readonly text: string;
}

const TS_RE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d) /;

// The seconds part of the last timestamp (`2026-12-07T06:45:00`), its zone and its epoch ms: a followed log
// has thousands of lines a second, so most lines start with the same second and are read without the regular
// expression or Date.parse.
let lastSecond = '';
let lastZone = '';
let lastSecondMs = NaN;

function stamped(line: string, ms: number, ns: number, tsEnd: number): Stamped {
  const milli = ms + Math.floor(ns / 1e6);
  // 15 digits of epoch ms, then the other 6 digits of the nanoseconds: the key sorts as a string.
  const key = String(milli).padStart(15, '0') + String(1e6 + (ns % 1e6)).slice(1);
  return { key, ts: line.slice(0, tsEnd), text: line.slice(tsEnd + 1) };
}

/** Nanoseconds of a 1-9 digit fraction. */
function nanos(frac: string, from: number, to: number): number {
  let ns = 0;
  for (let i = from; i < to; i++) ns = ns * 10 + frac.charCodeAt(i) - 48;
  for (let i = to - from; i < 9; i++) ns *= 10;
  return ns;
}

/** The line in the second of the previous one: its fraction and zone read by hand; undefined: not that case. */
function sameSecond(line: string): Stamped | undefined {
  let i = 19;
  let fracEnd = i;
  if (line.charCodeAt(i) === 46 /* . */) {
    i++;
    while (i < line.length && i < 29) {
      const c = line.charCodeAt(i);
      if (c < 48 || c > 57) break;
      i++;
    }
    fracEnd = i;
    if (fracEnd === 20) return undefined;
  }
  const z = line.charCodeAt(i);
  let zoneEnd: number;
  if (z === 90 /* Z */) {
    if (lastZone !== 'Z') return undefined;
    zoneEnd = i + 1;
  } else if (z === 43 || z === 45) {
    zoneEnd = i + 6;
    if (line.slice(i, zoneEnd) !== lastZone) return undefined;
  } else return undefined;
  if (line.charCodeAt(zoneEnd) !== 32) return undefined;
  const ns = fracEnd > 19 ? nanos(line, 20, fracEnd) : 0;
  return stamped(line, lastSecondMs, ns, zoneEnd);
}

/** Splits the RFC3339(Nano) prefix the apiserver adds with `timestamps=true`; any zone, any fraction width. */
export function parseTimestamp(line: string): Stamped {
  if (lastSecond !== '' && line.startsWith(lastSecond)) {
    const s = sameSecond(line);
    if (s) return s;
  }
  const m = TS_RE.exec(line);
  if (!m) return { key: undefined, ts: undefined, text: line };
  const second = m[1]!;
  const zone = m[3]!;
  const ms = Date.parse(second + zone);
  if (Number.isNaN(ms)) return { key: undefined, ts: undefined, text: line };
  lastSecond = second;
  lastZone = zone;
  lastSecondMs = ms;
  const frac = m[2];
  return stamped(line, ms, frac === undefined ? 0 : nanos(frac, 0, frac.length), m[0].length - 1);
}

/** RFC3339 (seconds) for `sinceTime` from a key: the apiserver truncates to seconds anyway. */
export function sinceTimeOf(key: string): string {
  const ms = Number(key.slice(0, 15));
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * Resume without loss or repetition. A follow that dropped is requested again with `sinceTime` = the last
 * timestamp seen (the server truncates it to the second and returns every line from there), so the new
 * stream starts with lines already delivered: those before the last timestamp, and those at it that were
 * delivered (several lines can share one timestamp; they are matched in order by text).
 */
export class ResumeCursor {
  private _key: string | undefined;
  /** Texts delivered with timestamp `_key`, in order. */
  private _atKey: string[] = [];
  private _skip: { key: string; texts: string[]; i: number } | undefined;
  /** Lines dropped as already delivered (tests and the log). */
  dropped = 0;

  /** The last timestamp key delivered, if any. */
  get lastKey(): string | undefined {
    return this._key;
  }

  /** `sinceTime` for the next request, or undefined when nothing with a timestamp was delivered yet. */
  get sinceTime(): string | undefined {
    return this._key === undefined ? undefined : sinceTimeOf(this._key);
  }

  /** A new request starts from `sinceTime`: skip what was delivered. */
  resume(): void {
    if (this._key !== undefined) this._skip = { key: this._key, texts: this._atKey.slice(), i: 0 };
  }

  /** True when the line is new (and records it as delivered); false when it was delivered before. */
  accept(key: string | undefined, text: string): boolean {
    const s = this._skip;
    if (s && key !== undefined) {
      if (key < s.key) {
        this.dropped++;
        return false;
      }
      if (key === s.key && s.i < s.texts.length && s.texts[s.i] === text) {
        s.i++;
        this.dropped++;
        return false;
      }
      this._skip = undefined;
    }
    if (key === undefined) return true;
    if (key === this._key) this._atKey.push(text);
    else {
      this._key = key;
      this._atKey = [text];
    }
    return true;
  }
}

// -------------------------------------------------------------------------------------------- line content

/** `\r` progress bars (tqdm) keep only their last state; a trailing `\r` (CRLF) is dropped. */
export function lastCarriageState(text: string): string {
  if (!text.includes('\r')) return text;
  const parts = text.split('\r');
  for (let i = parts.length - 1; i >= 0; i--) if (parts[i] !== '') return parts[i]!;
  return '';
}

// Keeps SGR colour sequences, drops every other escape sequence and control character (a log line must not
// move the cursor, clear the panel or set its title).
const UNSAFE = new RegExp(
  // eslint-disable-next-line no-control-regex
  '\\x1b\\[[0-?]*[ -/]*[@-~]|\\x1b\\][^\\x07\\x1b]*(?:\\x07|\\x1b\\\\)?|\\x1b[@-Z\\\\-_]|[\\x00-\\x08\\x0b-\\x1f\\x7f]',
  'g',
);
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;
/** Text safe to write to a terminal: colour sequences stay, cursor moves and controls go. */
export function sanitizeForTerminal(text: string): string {
  // Most lines have no control character at all (ESC is one): one scan instead of the replacement's.
  if (!CONTROL.test(text)) return text;
  return text.replace(UNSAFE, (m) => (m.startsWith('\x1b[') && m.endsWith('m') ? m : ''));
}

// eslint-disable-next-line no-control-regex
const SGR = new RegExp('\\x1b\\[[0-?]*[ -/]*[@-~]', 'g');
/** The text without any escape sequence (save to file, filters). */
export function stripAnsi(text: string): string {
  return text.includes('\x1b') ? text.replace(SGR, '') : text;
}

// ---------------------------------------------------------------------------------------- prefixes, colour

/** Foreground colours that read on dark and light terminal themes, in the order ranks take them. */
const PALETTE = [36, 33, 35, 32, 34, 91, 96, 93, 95, 92, 94, 31];
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';

/** The colour of a rank: ranks 0..11 get distinct colours, then they repeat. */
export function rankColour(rank: number): string {
  const i = ((Math.trunc(rank) % PALETTE.length) + PALETTE.length) % PALETTE.length;
  return `\x1b[${PALETTE[i]}m`;
}

/** The coloured prefix of each source, made once (a source lives as long as its follow). */
const colouredPrefixes = new WeakMap<LogSource, string>();
function colouredPrefix(source: LogSource): string {
  let p = colouredPrefixes.get(source);
  if (p === undefined) {
    p = `${rankColour(source.rank)}${prefixOf(source)}${RESET} `;
    colouredPrefixes.set(source, p);
  }
  return p;
}

/** One source of lines in a merged stream: a container of a pod, named by role and rank. */
export interface LogSource {
  /** `worker-3`, `master-0`, `head`, `gpu-workers-1`; with a container when several are followed. */
  readonly label: string;
  /** Picks the colour; sources with the same rank share a colour, the label tells them apart. */
  readonly rank: number;
}

export type EntryKind = 'line' | 'joined' | 'ended' | 'restarted' | 'info';

/** One line of a merged stream. */
export interface LogEntry {
  readonly source: LogSource;
  readonly kind: EntryKind;
  readonly text: string;
  /** The server's timestamp (shown when timestamps are on). */
  readonly ts?: string;
}

export interface FormatOptions {
  readonly timestamps?: boolean;
  /** ANSI colours (the panel) or plain text (save to file). */
  readonly colour?: boolean;
}

export function prefixOf(source: LogSource): string {
  return `[${source.label}]`;
}

/** `[worker-3] text`, coloured by rank; event lines (joined, ended, restarted) are dim. */
export function formatEntry(e: LogEntry, o: FormatOptions = {}): string {
  const ts = o.timestamps && e.ts ? `${e.ts} ` : '';
  if (!o.colour) return `${prefixOf(e.source)} ${ts}${e.kind === 'line' ? stripAnsi(e.text) : e.text}`;
  const prefix = colouredPrefix(e.source);
  const stamp = ts ? `${DIM}${ts}${RESET}` : '';
  if (e.kind !== 'line') return `${prefix}${stamp}${DIM}${e.text}${RESET}`;
  const text = sanitizeForTerminal(e.text);
  // An unterminated colour in the text must not leak into the next line's prefix.
  return text.includes('\x1b[') ? `${prefix}${stamp}${text}${RESET}` : `${prefix}${stamp}${text}`;
}

/** The event lines of a stream. */
export const events = {
  joined(source: LogSource, detail?: string): LogEntry {
    return { source, kind: 'joined', text: detail ? `joined (${detail})` : 'joined' };
  },
  /** "ended: OOMKilled, exit code 137"; "ended: pod deleted". */
  ended(source: LogSource, how: { reason?: string; exitCode?: number; message?: string }): LogEntry {
    const parts: string[] = [];
    if (how.reason) parts.push(how.reason);
    if (how.exitCode !== undefined) parts.push(`exit code ${how.exitCode}`);
    if (how.message) parts.push(how.message);
    return { source, kind: 'ended', text: parts.length ? `ended: ${parts.join(', ')}` : 'ended' };
  },
  restarted(source: LogSource, restarts: number): LogEntry {
    return { source, kind: 'restarted', text: `restarted (${restarts})` };
  },
  info(source: LogSource, text: string): LogEntry {
    return { source, kind: 'info', text };
  },
};

// ----------------------------------------------------------------------------------------------- the ring

/** The last `capacity` items; older ones are dropped, so memory is bounded however long the job runs. */
export class Ring<T> {
  private _buf: (T | undefined)[] = [];
  private _head = 0;
  private _size = 0;
  private _capacity: number;
  /** Items dropped since creation or the last clear(). */
  dropped = 0;

  constructor(capacity: number = DEFAULT_MAX_LINES) {
    this._capacity = Math.max(1, Math.floor(capacity));
  }

  get size(): number {
    return this._size;
  }
  get capacity(): number {
    return this._capacity;
  }

  push(item: T): void {
    if (this._size < this._capacity) {
      this._buf[(this._head + this._size) % this._capacity] = item;
      this._size++;
      return;
    }
    this._buf[this._head] = item;
    this._head = (this._head + 1) % this._capacity;
    this.dropped++;
  }

  /** Changes the bound, keeping the newest items. */
  resize(capacity: number): void {
    const items = this.toArray();
    this._capacity = Math.max(1, Math.floor(capacity));
    const keep = items.slice(-this._capacity);
    this.dropped += items.length - keep.length;
    this._buf = keep;
    this._head = 0;
    this._size = keep.length;
  }

  at(i: number): T | undefined {
    if (i < 0 || i >= this._size) return undefined;
    return this._buf[(this._head + i) % this._capacity];
  }

  toArray(): T[] {
    const out: T[] = new Array<T>(this._size);
    for (let i = 0; i < this._size; i++) out[i] = this._buf[(this._head + i) % this._capacity]!;
    return out;
  }

  clear(): void {
    this._buf = [];
    this._head = 0;
    this._size = 0;
    this.dropped = 0;
  }
}

// --------------------------------------------------------------------------------------------------- filter

export interface FilterSpec {
  /** Text to look for; with `regex`, a regular expression. Empty: every line. */
  readonly text?: string;
  readonly regex?: boolean;
  readonly caseSensitive?: boolean;
  /** Labels to show (`worker-2`); undefined or empty: all. */
  readonly labels?: readonly string[];
}

export type LineFilter = (e: LogEntry) => boolean;

/** A predicate for the spec, or the message of an invalid regular expression. */
export function makeFilter(
  spec: FilterSpec,
): { ok: true; filter: LineFilter } | { ok: false; message: string } {
  const labels = spec.labels?.length ? new Set(spec.labels) : undefined;
  let match: ((s: string) => boolean) | undefined;
  if (spec.text) {
    if (spec.regex) {
      let re: RegExp;
      try {
        re = new RegExp(spec.text, spec.caseSensitive ? '' : 'i');
      } catch (e) {
        return { ok: false, message: `Invalid regular expression: ${(e as Error).message}` };
      }
      match = (s) => re.test(s);
    } else if (spec.caseSensitive) {
      const t = spec.text;
      match = (s) => s.includes(t);
    } else {
      const t = spec.text.toLowerCase();
      match = (s) => s.toLowerCase().includes(t);
    }
  }
  const m = match;
  return {
    ok: true,
    filter: (e) =>
      (!labels || labels.has(e.source.label)) &&
      // Event lines (joined, ended) of the shown ranks stay visible under a text filter.
      (!m || e.kind !== 'line' || m(stripAnsi(e.text))),
  };
}

/** True when the spec shows everything. */
export function isEmptyFilter(spec: FilterSpec): boolean {
  return !spec.text && !spec.labels?.length;
}

// ------------------------------------------------------------------------------------------ ranks and roles

/** Orders labels the way a person reads a job: master/chief/launcher/head/leader first, then by role, rank. */
export function compareLabels(a: string, b: string): number {
  const ra = roleOrder(a);
  const rb = roleOrder(b);
  if (ra !== rb) return ra - rb;
  const [pa, na] = splitRank(a);
  const [pb, nb] = splitRank(b);
  if (pa !== pb) return pa < pb ? -1 : 1;
  return na - nb;
}

function splitRank(label: string): [string, number] {
  const m = /^(.*?)-?(\d+)$/.exec(label);
  return m ? [m[1]!, Number(m[2])] : [label, -1];
}

function roleOrder(label: string): number {
  return /^(master|chief|launcher|head|leader|coordinator|driver|submitter)\b/.test(label) ? 0 : 1;
}
