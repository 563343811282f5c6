// Helpers over the `yaml` package's AST for one parsed document chunk: positions and typed lookups.
import {
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type LineCounter,
  type Node,
  type Pair,
  Scalar,
  YAMLMap,
  YAMLSeq,
} from 'yaml';
import type { Diagnostic, Range } from 'vscode-languageserver-types';
import type { SchemaNode } from '../schema/store';
import type { GantryDiagnosticData, QuickFix } from './types';

export { isMap, isScalar, isSeq, Scalar, YAMLMap, YAMLSeq };
export type { Node, Pair };

export const Severity = { Error: 1, Warning: 2, Information: 3, Hint: 4 } as const;
export type Severity = (typeof Severity)[keyof typeof Severity];

export type DocumentKind = 'kubernetes' | 'kfp-ir' | 'kfp-platform';

/** A parsed document Gantry validates, with what it is. Positions are chunk-relative. */
export interface ParsedDocument {
  doc: Document.Parsed;
  pos: Positions;
  what: DocumentKind;
  apiVersion: string;
  kind: string;
  schema?: SchemaNode;
}

/** Positions inside one chunk of the file (the chunk starts at line 0 here; the validator shifts it). */
export class Positions {
  constructor(
    readonly lc: LineCounter,
    readonly text: string,
    /** Spaces Gantry added at the start of some lines before parsing (relax.ts), to subtract again. */
    private readonly pads?: Map<number, number>,
  ) {}
  private at(offset: number): { line: number; character: number } {
    const p = this.lc.linePos(offset);
    const line = p.line - 1;
    const pad = this.pads?.get(line) ?? 0;
    return { line, character: Math.max(0, p.col - 1 - pad) };
  }
  range(start: number, end: number): Range {
    return { start: this.at(start), end: this.at(Math.max(start, end)) };
  }
  nodeRange(n: Node | null | undefined): Range {
    const r = (n as Node | null | undefined)?.range;
    if (!r) return this.range(0, 0);
    return this.range(r[0], r[1]);
  }
  source(n: Node): string {
    const r = n.range;
    return r ? this.text.slice(r[0], r[1]) : '';
  }
}

export function diag(
  range: Range,
  severity: Severity,
  code: string,
  message: string,
  fixes?: QuickFix[],
): Diagnostic {
  const d: Diagnostic = { range, severity, code, source: 'gantry', message };
  if (fixes?.length) d.data = { fixes } satisfies GantryDiagnosticData;
  return d;
}

export function keyText(k: unknown): string | undefined {
  // YAML 1.1 merge keys (`<<`) come back as a Symbol.
  if (isScalar(k)) return k.value === null ? '' : typeof k.value === 'symbol' ? '<<' : String(k.value);
  return undefined;
}

/** The pair for `key` in a map (last one wins, as in Kubernetes' decoder). */
export function pairOf(m: unknown, key: string): Pair<Node, Node | null> | undefined {
  if (!isMap(m)) return undefined;
  let found: Pair<Node, Node | null> | undefined;
  for (const p of m.items as Pair<Node, Node | null>[]) if (keyText(p.key) === key) found = p;
  return found;
}

export function get(m: unknown, key: string): Node | undefined {
  const v = pairOf(m, key)?.value;
  return v ?? undefined;
}

export function getPath(n: unknown, path: string[]): Node | undefined {
  let cur: unknown = n;
  for (const k of path) {
    cur = get(cur, k);
    if (cur === undefined) return undefined;
  }
  return cur as Node;
}

export function str(n: unknown): string | undefined {
  return isScalar(n) && typeof n.value === 'string' ? n.value : undefined;
}

export function num(n: unknown): number | undefined {
  return isScalar(n) && typeof n.value === 'number' ? n.value : undefined;
}

/** Scalar value as Kubernetes would read it into a string-keyed map (labels, selectors). */
export function scalarString(n: unknown): string | undefined {
  if (!isScalar(n) || n.value === null || typeof n.value === 'object') return undefined;
  return String(n.value);
}

export function mapEntries(m: unknown): [string, Node | null, Pair<Node, Node | null>][] {
  if (!isMap(m)) return [];
  const out: [string, Node | null, Pair<Node, Node | null>][] = [];
  for (const p of m.items as Pair<Node, Node | null>[]) {
    const k = keyText(p.key);
    if (k !== undefined) out.push([k, p.value, p]);
  }
  return out;
}

export function seqItems(s: unknown): Node[] {
  return isSeq(s) ? (s.items as (Node | null)[]).filter((x): x is Node => x !== null && x !== undefined) : [];
}

export function isPairNode(x: unknown): x is Pair {
  return isPair(x);
}

/** Kubernetes field path text: `spec.containers[0].image`. */
export function pathText(path: (string | number)[]): string {
  let s = '';
  for (const seg of path) s += typeof seg === 'number' ? `[${seg}]` : s ? `.${seg}` : seg;
  return s || '(root)';
}
