// The outline: one symbol per YAML document named `Kind/name`, with its keys nested below.
import { SymbolKind, type DocumentSymbol, type Range } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { isMap, isPair, isScalar, isSeq, parseAllDocuments, type Node } from 'yaml';
import { documentType, parseLine, splitLines } from './yamlPath';

/** Beyond this many symbols the outline stops descending: VS Code gains nothing from 100k entries. */
const MAX_SYMBOLS = 20_000;

function kindOf(node: unknown): SymbolKind {
  if (isMap(node)) return SymbolKind.Object;
  if (isSeq(node)) return SymbolKind.Array;
  if (isScalar(node)) {
    if (typeof node.value === 'number') return SymbolKind.Number;
    if (typeof node.value === 'boolean') return SymbolKind.Boolean;
    if (node.value === null) return SymbolKind.Null;
  }
  return SymbolKind.String;
}

function scalarText(node: unknown): string | undefined {
  if (isScalar(node) && node.value !== null && typeof node.value !== 'object') return String(node.value);
  return undefined;
}

export function documentSymbols(doc: TextDocument): DocumentSymbol[] {
  const text = doc.getText();
  const range = (start: number, end: number): Range => ({
    start: doc.positionAt(start),
    end: doc.positionAt(end),
  });
  let budget = MAX_SYMBOLS;

  const children = (node: unknown): DocumentSymbol[] => {
    const out: DocumentSymbol[] = [];
    if (isMap(node)) {
      for (const pair of node.items) {
        if (budget-- <= 0) break;
        if (!isPair(pair)) continue;
        const key = pair.key as Node | null;
        const value = pair.value as Node | null;
        const name = scalarText(key) ?? (key ? String(key) : '');
        if (!key?.range) continue;
        const end = value?.range ? value.range[1] : key.range[1];
        out.push({
          name: name || '""',
          detail: scalarText(value),
          kind: kindOf(value),
          range: range(key.range[0], Math.max(end, key.range[1])),
          selectionRange: range(key.range[0], key.range[1]),
          children: children(value),
        });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        if (budget-- <= 0) return;
        const n = item as Node | null;
        if (!n?.range) return;
        // Items are named by their `name` key when they have one (containers, volumes, env).
        const named = isMap(n) ? scalarText(n.get('name', true)) : scalarText(n);
        out.push({
          name: named ? `${i}: ${named}` : String(i),
          kind: kindOf(n),
          range: range(n.range[0], n.range[1]),
          selectionRange: range(n.range[0], n.range[0]),
          children: children(n),
        });
      });
    }
    return out;
  };

  const out: DocumentSymbol[] = [];
  const docs = parseAllDocuments(text, { version: '1.1', uniqueKeys: false, strict: false });
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((d, i) => {
    const contents = d.contents as Node | null;
    if (!contents?.range || !isMap(contents)) return;
    const kind = scalarText(contents.get('kind', true));
    const meta = contents.get('metadata', true);
    const name = isMap(meta) ? scalarText(meta.get('name', true)) : undefined;
    let label: string;
    if (kind) label = name ? `${kind}/${name}` : kind;
    else if (contents.has('pipelineInfo')) {
      const info = contents.get('pipelineInfo', true);
      const pname = isMap(info) ? scalarText(info.get('name', true)) : undefined;
      label = pname ? `PipelineSpec/${pname}` : 'PipelineSpec';
    } else if (contents.has('platforms')) label = 'PlatformSpec';
    else label = `Document ${i + 1}`;
    // From the first key (not the `---` above it) to the end of the document.
    const start = contents.range[0];
    const end = Math.max(d.range[2], contents.range[1]);
    out.push({
      name: label,
      detail: scalarText(contents.get('apiVersion', true)),
      kind: SymbolKind.Module,
      range: range(start, end),
      selectionRange: range(contents.range[0], contents.range[0]),
      children: children(contents),
    });
  });
  return out;
}

/**
 * The outline of a huge file without parsing it: one symbol per YAML document (`Kind/name`), read from its
 * top-level lines. Editors ask for symbols after every edit (outline, breadcrumbs); a full parse of a 50k-line
 * file there would keep the server from answering completion meanwhile.
 */
export function shallowDocumentSymbols(doc: TextDocument): DocumentSymbol[] {
  const lines = splitLines(doc.getText());
  const out: DocumentSymbol[] = [];
  const marker = /^(?:---|\.\.\.)(?:\s|$)/;
  let start = 0;
  const flush = (end: number): void => {
    // Skip leading blank/comment lines so the symbol starts at the first key.
    let first = start;
    while (first < end && parseLine(lines[first]!).entries.length === 0) first++;
    if (first >= end) return;
    const type = documentType(lines, { start: first, end });
    let name: string | undefined;
    for (let l = first; l < end; l++) {
      const e = parseLine(lines[l]!).entries[0];
      if (e?.kind !== 'key' || e.col !== 0 || e.key !== 'metadata') continue;
      for (let m = l + 1; m < end; m++) {
        const inner = parseLine(lines[m]!).entries[0];
        if (!inner) continue;
        if (inner.col === 0) break;
        if (inner.kind === 'key' && inner.key === 'name' && inner.value) {
          name = inner.value.replace(/^(["'])(.*)\1$/, '$2');
          break;
        }
      }
      break;
    }
    const kind = type.kind;
    const label = kind ? (name ? `${kind}/${name}` : kind) : `Document ${out.length + 1}`;
    const last = end - 1;
    out.push({
      name: label,
      detail: type.apiVersion,
      kind: SymbolKind.Module,
      range: { start: { line: first, character: 0 }, end: { line: last, character: lines[last]!.length } },
      selectionRange: { start: { line: first, character: 0 }, end: { line: first, character: 0 } },
      children: [],
    });
  };
  for (let l = 0; l < lines.length; l++) {
    if (!marker.test(lines[l]!)) continue;
    flush(l);
    start = l + 1;
  }
  flush(lines.length);
  return out;
}
