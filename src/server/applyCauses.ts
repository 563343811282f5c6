// Dry-run rejections at the field they name: the apiserver's Status causes carry a field path
// (`spec.template.spec.containers[0].image`, `metadata.labels[app.kubernetes.io/name]`); this finds it in
// YAML document `docIndex` of the text. A field that is missing (a "Required value") lands on the deepest
// part of the path that exists.
import { isMap, isScalar, isSeq, LineCounter, type Node, type Pair, parseAllDocuments } from 'yaml';
import type { Diagnostic, Range } from 'vscode-languageserver-types';
import type { DryRunCause } from '../shared/protocol';

export const DRY_RUN_CODE = 'dry-run';

/** `a.b[0].c[x/y.z]` -> ['a', 'b', 0, 'c', 'x/y.z']. Bracketed non-numbers are map keys (may hold dots). */
export function parseFieldPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  let i = 0;
  let cur = '';
  const flush = () => {
    if (cur) out.push(cur);
    cur = '';
  };
  while (i < path.length) {
    const ch = path[i];
    if (ch === '.') {
      flush();
      i++;
    } else if (ch === '[') {
      flush();
      const end = path.indexOf(']', i);
      const inner = end < 0 ? path.slice(i + 1) : path.slice(i + 1, end);
      out.push(/^\d+$/.test(inner) ? Number(inner) : inner);
      i = end < 0 ? path.length : end + 1;
    } else {
      cur += ch;
      i++;
    }
  }
  flush();
  return out;
}

function keyOf(p: Pair): string | undefined {
  return isScalar(p.key) && p.key.value !== null ? String(p.key.value) : undefined;
}

/** The deepest node along the path: the key of the last map entry found (readable), or a list item. */
function locate(root: Node | null, path: (string | number)[]): { node: Node | undefined; depth: number } {
  let cur: Node | null | undefined = root;
  let at: Node | undefined = undefined;
  let depth = 0;
  for (const seg of path) {
    if (typeof seg === 'number' && isSeq(cur)) {
      const item = cur.items[seg] as Node | undefined;
      if (!item) break;
      cur = item;
      at = item;
    } else if (isMap(cur)) {
      const want = String(seg);
      // The last pair with the key wins, as in Kubernetes' decoder.
      let pair: Pair | undefined;
      for (const p of cur.items as Pair[]) if (keyOf(p) === want) pair = p;
      if (!pair) break;
      at = pair.key as Node;
      cur = pair.value as Node | null;
    } else break;
    depth++;
  }
  return { node: at, depth };
}

/** One diagnostic per cause, in the document it names; causes of documents that are not there are dropped. */
export function dryRunDiagnosticsFor(text: string, causes: readonly DryRunCause[]): Diagnostic[] {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc });
  const list = Array.isArray(docs) ? docs : [];
  const pos = (offset: number) => {
    const p = lc.linePos(offset);
    return { line: p.line - 1, character: p.col - 1 };
  };
  const out: Diagnostic[] = [];
  for (const c of causes) {
    const doc = list[c.docIndex];
    if (!doc) continue;
    const path = parseFieldPath(c.fieldPath);
    const root = doc.contents as Node | null;
    const { node, depth } = locate(root, path);
    const target = node ?? root;
    const r = target?.range;
    let range: Range;
    if (r) {
      // A multi-line map or list: underline its first line only.
      const end = Math.min(r[1], text.indexOf('\n', r[0]) < 0 ? r[1] : text.indexOf('\n', r[0]));
      range = { start: pos(r[0]), end: pos(Math.max(r[0], end)) };
    } else {
      range = { start: pos(doc.range[0]), end: pos(doc.range[0]) };
    }
    const missing = depth < path.length && c.fieldPath ? ' (not in the file)' : '';
    out.push({
      range,
      severity: 1,
      code: DRY_RUN_CODE,
      source: 'gantry (dry run)',
      message: c.fieldPath ? `${c.fieldPath}${missing}: ${c.message}` : c.message,
    });
  }
  return out;
}
