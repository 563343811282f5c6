// Where in a YAML document the cursor is, as a path of keys and sequence indexes.
//
// Completion runs on text that is half typed and often not valid YAML (a key with no colon yet, an empty line under
// a mapping, an unclosed flow mapping), which a YAML parser either rejects or parses into something else. So this
// works on lines and indentation, the way a person reads block YAML: the parent of an entry is the nearest entry
// above that is further left. Flow collections are handled on the cursor's own line only.

export type PathSegment = string | number;

interface DashEntry {
  kind: 'dash';
  col: number;
}
interface KeyEntry {
  kind: 'key';
  col: number;
  key: string;
  /** Column where the key's text ends (after a closing quote). */
  end: number;
  /** Column of the first character of the value, or -1 when nothing follows the colon. */
  valueCol: number;
  /** The value text without a trailing comment, trimmed ('' when none). */
  value: string;
}
type Entry = DashEntry | KeyEntry;

interface LineInfo {
  /** Dashes and at most one key, left to right. */
  entries: Entry[];
  /** Blank, comment-only or a document marker: carries no structure. */
  skip: boolean;
}

const docMarker = /^(?:---|\.\.\.)(?:\s|$)/;

/** Index of `: ` (or a colon at the end) that ends a plain or quoted key starting at `from`, or -1. */
function keyColon(text: string, from: number): { keyEnd: number; colon: number; key: string } | undefined {
  const first = text[from];
  if (first === '"' || first === "'") {
    let i = from + 1;
    let key = '';
    while (i < text.length) {
      const ch = text[i];
      if (first === '"' && ch === '\\' && i + 1 < text.length) {
        key += text[i + 1];
        i += 2;
        continue;
      }
      if (ch === first) {
        if (first === "'" && text[i + 1] === "'") {
          key += "'";
          i += 2;
          continue;
        }
        break;
      }
      key += ch;
      i++;
    }
    if (i >= text.length) return undefined;
    const keyEnd = i + 1;
    let j = keyEnd;
    while (text[j] === ' ') j++;
    if (text[j] !== ':' || !(j + 1 >= text.length || /\s/.test(text[j + 1]!))) return undefined;
    return { keyEnd, colon: j, key };
  }
  if (first === undefined || '#{}[],&*!|>%@`'.includes(first)) return undefined;
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (ch === '#' && /\s/.test(text[i - 1] ?? ' ')) return undefined;
    if (ch === ':' && (i + 1 >= text.length || /\s/.test(text[i + 1]!))) {
      const key = text.slice(from, i).trimEnd();
      return key ? { keyEnd: from + key.length, colon: i, key } : undefined;
    }
  }
  return undefined;
}

/** The value text after a colon, without a trailing ` # comment` (outside quotes). */
function stripComment(value: string): string {
  let quote = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") {
      if (i === 0 || /[\s[{,:]/.test(value[i - 1]!)) quote = ch;
    } else if (ch === '#' && (i === 0 || /\s/.test(value[i - 1]!))) {
      return value.slice(0, i).trimEnd();
    }
  }
  return value.trimEnd();
}

export function parseLine(text: string): LineInfo {
  let i = 0;
  while (text[i] === ' ') i++;
  if (i >= text.length || text[i] === '#' || docMarker.test(text)) return { entries: [], skip: true };
  const entries: Entry[] = [];
  while (text[i] === '-' && (i + 1 >= text.length || text[i + 1] === ' ')) {
    entries.push({ kind: 'dash', col: i });
    i++;
    while (text[i] === ' ') i++;
  }
  const k = i < text.length ? keyColon(text, i) : undefined;
  if (k) {
    let v = k.colon + 1;
    while (text[v] === ' ') v++;
    const value = stripComment(text.slice(v));
    entries.push({ kind: 'key', col: i, key: k.key, end: k.keyEnd, valueCol: value ? v : -1, value });
  }
  return { entries, skip: entries.length === 0 && i >= text.length };
}

/** A document of a multi-document stream, as a range of lines (start inclusive, end exclusive). */
export interface DocSpan {
  start: number;
  end: number;
}

export function documentSpanAt(lines: readonly string[], line: number): DocSpan {
  let start = 0;
  for (let l = Math.min(line, lines.length - 1); l >= 0; l--) {
    if (docMarker.test(lines[l]!) && l < line) {
      start = l + 1;
      break;
    }
    if (docMarker.test(lines[l]!) && l === line) {
      start = l;
      break;
    }
  }
  let end = lines.length;
  for (let l = line + 1; l < lines.length; l++) {
    if (docMarker.test(lines[l]!)) {
      end = l;
      break;
    }
  }
  return { start, end };
}

/** Splits text into lines the way LSP positions count them (\n, \r\n and \r end a line). */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

class Lines {
  private readonly _cache = new Map<number, LineInfo>();
  constructor(
    readonly text: readonly string[],
    readonly span: DocSpan,
  ) {}
  info(l: number): LineInfo {
    let v = this._cache.get(l);
    if (!v) {
      v = parseLine(this.text[l] ?? '');
      this._cache.set(l, v);
    }
    return v;
  }
}

interface Found {
  line: number;
  index: number;
  entry: Entry;
}

/**
 * The nearest entry above (line, before entry index `index`) that is the parent of an entry at `col`:
 * for a key, anything further left; for a dash, anything further left or the key that owns a compact sequence
 * (`containers:` followed by `- name:` at the same column).
 */
function findParent(ls: Lines, line: number, index: number, col: number, isDash: boolean): Found | undefined {
  for (let l = line; l >= ls.span.start; l--) {
    const { entries } = ls.info(l);
    const top = l === line ? index : entries.length;
    for (let i = top - 1; i >= 0; i--) {
      const e = entries[i]!;
      if (e.col < col || (isDash && e.kind === 'key' && e.col === col))
        return { line: l, index: i, entry: e };
    }
  }
  return undefined;
}

/** Index of the sequence item that starts with the dash `found`. */
function itemIndex(ls: Lines, found: Found): number {
  const d = found.entry.col;
  if (found.index > 0) return 0;
  let n = 0;
  for (let l = found.line - 1; l >= ls.span.start; l--) {
    const { entries } = ls.info(l);
    if (entries.length === 0) continue;
    const left = entries[0]!;
    if (left.col > d) continue;
    if (left.col === d) {
      if (left.kind === 'key') break;
      n++;
      continue;
    }
    if (entries.some((e) => e.kind === 'dash' && e.col === d)) n++;
    break;
  }
  return n;
}

/** Path of the node that holds an entry at (line, before entry `index`) in column `col`. */
function pathOfParent(ls: Lines, line: number, index: number, col: number, isDash: boolean): PathSegment[] {
  const out: PathSegment[] = [];
  let cur = { line, index, col, isDash };
  for (;;) {
    const p = findParent(ls, cur.line, cur.index, cur.col, cur.isDash);
    if (!p) break;
    if (p.entry.kind === 'key') {
      out.push(p.entry.key);
      cur = { line: p.line, index: p.index, col: p.entry.col, isDash: false };
    } else {
      out.push(itemIndex(ls, p));
      cur = { line: p.line, index: p.index, col: p.entry.col, isDash: true };
    }
  }
  return out.reverse();
}

/** What the cursor is on, for completion. */
export type CursorContext =
  | {
      kind: 'key';
      /** Path of the mapping a new key goes into. */
      path: PathSegment[];
      /** Keys already present in that mapping. */
      existing: string[];
      /** Partial key typed so far and the column where it starts (the range to replace). */
      prefix: string;
      start: number;
      /** End of the range to replace: the cursor, or the end of an existing key being edited. */
      end: number;
      /** The line already has `key:` after the cursor: insert the key name only. */
      hasColon: boolean;
      /** True inside a flow mapping (`{a: 1, |}`): insert `key: ` without a newline. */
      flow: boolean;
      span: DocSpan;
    }
  | {
      kind: 'value';
      /** Path of the value being typed. */
      path: PathSegment[];
      prefix: string;
      start: number;
      flow: boolean;
      span: DocSpan;
    }
  | { kind: 'none' };

/** Keys of the block mapping whose keys sit in column `col`, around line `line`. */
function siblingKeys(ls: Lines, line: number, col: number, itemStartsHere: boolean): string[] {
  const keys: string[] = [];
  const take = (l: number): boolean => {
    const { entries, skip } = ls.info(l);
    if (skip) return true;
    const left = entries[0];
    if (!left) return true;
    const key = entries.find((e): e is KeyEntry => e.kind === 'key' && e.col === col);
    if (left.col > col) return true;
    if (left.col === col) {
      // A dash in the keys' own column is an item of a sibling's compact sequence.
      if (key) keys.push(key.key);
      return true;
    }
    return false;
  };
  if (!itemStartsHere) {
    for (let l = line - 1; l >= ls.span.start; l--) {
      if (!take(l)) {
        // `- name: x` opens the item this key belongs to: its key is a sibling too.
        const key = ls.info(l).entries.find((e): e is KeyEntry => e.kind === 'key' && e.col === col);
        if (key) keys.push(key.key);
        break;
      }
    }
  }
  for (let l = line + 1; l < ls.span.end; l++) if (!take(l)) break;
  return keys;
}

interface FlowResult {
  segments: PathSegment[];
  kind: 'key' | 'value';
  prefix: string;
  start: number;
  existing: string[];
}

/** Walks a flow collection from `from` up to the cursor at `to` on one line. */
function flowContext(text: string, from: number, to: number): FlowResult | undefined {
  type Frame =
    { type: 'map'; key?: string; afterColon: boolean; keys: string[] } | { type: 'seq'; index: number };
  const stack: Frame[] = [];
  let token = '';
  let tokenStart = from;
  for (let i = from; i < to; i++) {
    const ch = text[i]!;
    const top = stack[stack.length - 1];
    if (ch === '"' || ch === "'") {
      const close = text.indexOf(ch, i + 1);
      if (close < 0 || close >= to) {
        token = text.slice(i + 1, to);
        tokenStart = i + 1;
        break;
      }
      token = text.slice(i + 1, close);
      tokenStart = i;
      i = close;
      continue;
    }
    if (ch === '{' || ch === '[') {
      stack.push(ch === '{' ? { type: 'map', afterColon: false, keys: [] } : { type: 'seq', index: 0 });
      token = '';
      tokenStart = i + 1;
    } else if (ch === '}' || ch === ']') {
      stack.pop();
      if (stack.length === 0) return undefined;
      token = '';
      tokenStart = i + 1;
    } else if (ch === ',') {
      if (top?.type === 'map') {
        if (!top.afterColon && token.trim()) top.keys.push(token.trim());
        top.key = undefined;
        top.afterColon = false;
      } else if (top) top.index++;
      token = '';
      tokenStart = i + 1;
    } else if (
      ch === ':' &&
      top?.type === 'map' &&
      !top.afterColon &&
      /[\s,{}[\]]/.test(text[i + 1] ?? ' ')
    ) {
      top.key = token.trim();
      top.keys.push(top.key);
      top.afterColon = true;
      token = '';
      tokenStart = i + 1;
    } else if (ch === ' ' && token.trim() === '') {
      tokenStart = i + 1;
    } else {
      if (token === '') tokenStart = i;
      token += ch;
    }
  }
  if (stack.length === 0) return undefined;
  const segments: PathSegment[] = [];
  for (let f = 0; f < stack.length - 1; f++) {
    const fr = stack[f]!;
    if (fr.type === 'map') segments.push(fr.key ?? '');
    else segments.push(fr.index);
  }
  const last = stack[stack.length - 1]!;
  const prefix = token.trimStart();
  if (last.type === 'seq')
    return { segments: [...segments, last.index], kind: 'value', prefix, start: tokenStart, existing: [] };
  if (last.afterColon) {
    return {
      segments: [...segments, last.key ?? ''],
      kind: 'value',
      prefix,
      start: tokenStart,
      existing: [],
    };
  }
  return { segments, kind: 'key', prefix, start: tokenStart, existing: last.keys };
}

/** The completion context at a 0-based (line, character) position. */
export function cursorContext(lines: readonly string[], line: number, character: number): CursorContext {
  const text = lines[line] ?? '';
  const before = text.slice(0, character);
  const span = documentSpanAt(lines, line);
  if (docMarker.test(text)) return { kind: 'none' };
  const ls = new Lines(lines, span);

  // Indentation and the dashes of new sequence items on this line.
  let i = 0;
  while (before[i] === ' ') i++;
  let dashes = 0;
  while (before[i] === '-' && (i + 1 >= before.length || before[i + 1] === ' ')) {
    dashes++;
    i++;
    while (before[i] === ' ') i++;
  }
  if (before[i] === '#' || (before[i] === '-' && i === before.length - 1)) return { kind: 'none' };
  const lineEntries = parseLine(text).entries;
  const dashEntries = lineEntries.slice(0, dashes);
  // Rest of the line at the key position, up to the cursor.
  const rest = before.slice(i);
  const k = keyColon(before + (before.length < text.length ? text.slice(before.length) : ''), i);
  const colonBeforeCursor = k !== undefined && k.colon < character;

  if (!colonBeforeCursor) {
    if (/[{}[\],]/.test(rest) || /:\s/.test(rest)) return { kind: 'none' };
    if (rest.startsWith('"') || rest.startsWith("'")) {
      // A quoted partial key.
    } else if (/\s/.test(rest)) return { kind: 'none' };
    const col = i;
    const path = pathOfParent(ls, line, dashEntries.length, col, false);
    const parentEntry = findParent(ls, line, dashEntries.length, col, false)?.entry;
    if (parentEntry?.kind === 'key' && /^[|>]/.test(parentEntry.value)) return { kind: 'none' };
    const existing = siblingKeys(ls, line, col, dashes > 0);
    return {
      kind: 'key',
      path,
      existing,
      prefix: rest.replace(/^["']/, ''),
      start: i,
      end: k ? Math.max(character, k.keyEnd) : character,
      hasColon: k !== undefined,
      flow: false,
      span,
    };
  }

  // After `key:` — a scalar value, or a flow collection.
  const key = k!.key;
  const base = [...pathOfParent(ls, line, dashEntries.length, i, false), key];
  let v = k!.colon + 1;
  while (before[v] === ' ') v++;
  const value = before.slice(v);
  if (value.startsWith('{') || value.startsWith('[')) {
    const f = flowContext(before, v, character);
    if (!f) return { kind: 'none' };
    if (f.kind === 'key') {
      return {
        kind: 'key',
        path: [...base, ...f.segments],
        existing: f.existing,
        prefix: f.prefix,
        start: f.start,
        end: character,
        hasColon: false,
        flow: true,
        span,
      };
    }
    return {
      kind: 'value',
      path: [...base, ...f.segments],
      prefix: f.prefix,
      start: f.start,
      flow: true,
      span,
    };
  }
  if (/^[|>&*!]/.test(value) || /\s#/.test(value)) return { kind: 'none' };
  const quoted = value.startsWith('"') || value.startsWith("'");
  return {
    kind: 'value',
    path: base,
    prefix: quoted ? value.slice(1) : value,
    start: quoted ? v + 1 : v,
    flow: false,
    span,
  };
}

/** The key under the cursor (or whose value is under it) and its full path, for hover. */
export function keyAt(
  lines: readonly string[],
  line: number,
  character: number,
): { path: PathSegment[]; start: number; end: number } | undefined {
  const text = lines[line] ?? '';
  const info = parseLine(text);
  const idx = info.entries.findIndex((e) => e.kind === 'key');
  if (idx < 0) return undefined;
  const e = info.entries[idx] as KeyEntry;
  if (character < e.col) return undefined;
  const ls = new Lines(lines, documentSpanAt(lines, line));
  const path = [...pathOfParent(ls, line, idx, e.col, false), e.key];
  return { path, start: e.col, end: e.end };
}

export interface DocumentType {
  apiVersion?: string;
  kind?: string;
  /** Top-level keys (complete only when the document has no apiVersion and kind). */
  topKeys: string[];
}

/** `apiVersion` and `kind` of the document spanning `span`, read from its top-level keys. */
export function documentType(lines: readonly string[], span: DocSpan): DocumentType {
  const out: DocumentType = { topKeys: [] };
  for (let l = span.start; l < span.end; l++) {
    const info = parseLine(lines[l] ?? '');
    const e = info.entries[0];
    if (e?.kind !== 'key' || e.col !== 0) continue;
    out.topKeys.push(e.key);
    if (e.key === 'apiVersion' || e.key === 'kind') out[e.key] = e.value.replace(/^(["'])(.*)\1$/, '$2');
    if (out.apiVersion && out.kind) break;
  }
  return out;
}

/** A path as people write it: `spec.template.spec.containers[0].image`. */
export function formatPath(path: readonly PathSegment[]): string {
  let s = '';
  for (const seg of path) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) s += s ? `.${seg}` : seg;
    else s += `[${JSON.stringify(seg)}]`;
  }
  return s;
}
