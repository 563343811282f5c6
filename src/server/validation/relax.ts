// go-yaml (which Kubernetes and the KFP backend use) and PyYAML (which writes KFP IR files) accept
// double-quoted scalars whose continuation lines are not indented more than the line that opened them:
//     command:
//       - "pip install \
//       \ kfp"
// (single-quoted scalars likewise). The YAML 1.2 spec and the `yaml` package reject that ("Missing closing quote"). When that error
// appears, Gantry indents those continuation lines just enough and parses again; `pads` records the
// added spaces per line so positions still point into the user's text.

const OPENER =
  /^([ ]*)(?:-[ ]+)*(?:(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s"'#-][^#]*?):[ ]+)?(?:[!&][^ ]*[ ]+)*(["'])/;

export interface Relaxed {
  text: string;
  /** 0-based line -> number of spaces added at its start. */
  pads: Map<number, number>;
}

/** Re-indents the quoted scalar that `errorOffset` (a "Missing closing quote" error) points into. */
export function relaxQuotedScalars(text: string, errorOffsets: number[]): Relaxed | undefined {
  const lines = text.split('\n');
  const lineStarts: number[] = [];
  let o = 0;
  for (const l of lines) {
    lineStarts.push(o);
    o += l.length + 1;
  }
  const lineOf = (off: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= off) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const pads = new Map<number, number>();
  for (const off of errorOffsets) {
    const errLine = lineOf(off);
    for (let l = errLine; l >= 0 && l > errLine - 200; l--) {
      const m = OPENER.exec(lines[l]);
      if (!m) continue;
      const { line, closed } = scanQuoted(lines, l, m, pads);
      if (closed && line >= errLine) break;
      for (let k = l + 1; k <= line; k++) pads.delete(k);
    }
  }
  return apply(lines, pads);
}

/**
 * Lexes the quoted scalar `m` (an OPENER match on line `l`) to its closing quote, recording in `pads` the
 * continuation lines that need indenting. Returns the line of the closing quote (or the last line).
 */
function scanQuoted(
  lines: string[],
  l: number,
  m: RegExpExecArray,
  pads: Map<number, number>,
): { line: number; closed: boolean } {
  const indent = m[1].length;
  const quote = m[2];
  let line = l;
  let col = m[0].length;
  let closed = false;
  while (line < lines.length && !closed) {
    const s = lines[line];
    while (col < s.length) {
      const c = s[col];
      if (quote === '"' && c === '\\') col += 2;
      else if (quote === "'" && c === "'" && s[col + 1] === "'") col += 2;
      else if (c === quote) {
        closed = true;
        break;
      } else col++;
    }
    if (closed) break;
    line++;
    col = 0;
    if (line < lines.length) {
      const lead = /^[ ]*/.exec(lines[line])![0].length;
      if (lead <= indent && lines[line].trim() !== '') pads.set(line, indent + 1 - lead);
    }
  }
  return { line, closed };
}

/**
 * Re-indents, in one pass, every quoted scalar that opens a line and continues at or left of that line's
 * indentation. The validator tries this once after a "Missing closing quote" error and keeps it when the result
 * parses without errors and each opening quote found here starts a quoted scalar there (not, say, a quote
 * inside a plain scalar's continuation): one reparse instead of one per error (the parser stops at the first one per document).
 */
export function relaxAllQuotedScalars(text: string): (Relaxed & { quotes: number[] }) | undefined {
  const lines = text.split('\n');
  const pads = new Map<number, number>();
  /** [line, column] of each re-indented scalar's opening quote. */
  const openers: [number, number][] = [];
  for (let l = 0; l < lines.length; l++) {
    const s = lines[l];
    if (!s.includes('"') && !s.includes("'")) continue;
    const m = OPENER.exec(s);
    if (!m) continue;
    const found = new Map<number, number>();
    const { line, closed } = scanQuoted(lines, l, m, found);
    if (!closed) break; // runs to the end of the text: leave it to the per-error repair
    if (line === l) continue;
    if (found.size) openers.push([l, m[0].length - 1]);
    for (const [k, n] of found) pads.set(k, n);
    l = line;
  }
  const relaxed = apply(lines, pads);
  if (!relaxed) return undefined;
  // Offsets of the opening quotes in the relaxed text (their own lines are not re-indented).
  const quotes: number[] = [];
  let o = 0;
  let next = 0;
  for (let i = 0; i < lines.length && next < openers.length; i++) {
    if (openers[next][0] === i) quotes.push(o + openers[next++][1]);
    o += lines[i].length + (pads.get(i) ?? 0) + 1;
  }
  return { ...relaxed, quotes };
}

function apply(lines: string[], pads: Map<number, number>): Relaxed | undefined {
  if (!pads.size) return undefined;
  const out = lines.map((s, i) => (pads.has(i) ? ' '.repeat(pads.get(i)!) + s : s));
  return { text: out.join('\n'), pads };
}
