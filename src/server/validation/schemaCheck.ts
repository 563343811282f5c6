// Checks one YAML document against a schema the way the apiserver with strict field validation would:
// unknown fields (except under x-kubernetes-preserve-unknown-fields), types (int-or-string, quantities),
// enums, required fields, patterns; `null` on a non-nullable field counts as absent.
import type { Diagnostic } from 'vscode-languageserver-types';
import { propertySchema, type SchemaNode } from '../schema/store';
import { SchemaCode } from './codes';
import {
  diag,
  isMap,
  isScalar,
  isSeq,
  keyText,
  type Node,
  type Pair,
  pathText,
  type Positions,
  Severity,
} from './ast';
import { RE2JS } from 're2js';
import { isQuantity } from '../../core/quantity';
import { didYouMean, suggest } from './suggest';

/** A compiled CRD `pattern`. */
interface Pattern {
  test(s: string): boolean;
}

/**
 * Longer strings are not matched against a pattern: every patterned field of the shipped schemas (names,
 * label values, quantities, schedules) is far shorter, and has a maxLength where the API has one. Matching is
 * linear in the input, so this bounds one check to a few milliseconds however large the value is.
 */
export const MAX_PATTERN_INPUT = 8 * 1024;

const patternCache = new Map<string, Pattern | null>();
/**
 * The apiserver checks `pattern` with Go's regexp (RE2 syntax, linear time), and so does this: with RE2JS, a
 * port of RE2 to JavaScript, no pattern can backtrack catastrophically on any input, and RE2 syntax that
 * JavaScript lacks ((?i) anywhere, \z, [[:alpha:]]) means what it means to the apiserver.
 */
function regex(p: string): Pattern | null {
  let r = patternCache.get(p);
  if (r === undefined) {
    try {
      const re = RE2JS.compile(p);
      r = { test: (s) => re.matcher(s).find() };
    } catch {
      r = null; // not valid RE2: the apiserver would refuse the CRD itself, so there is nothing to check
    }
    patternCache.set(p, r);
  }
  return r;
}

const shortValue = (v: string): string => JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);

/** A path as a linked list: cheap to extend per node, turned into text only for a diagnostic. */
export interface Path {
  parent?: Path;
  seg: string | number;
}
function segs(p: Path | undefined): (string | number)[] {
  const out: (string | number)[] = [];
  for (let q = p; q; q = q.parent) out.push(q.seg);
  return out.reverse();
}
const text = (p: Path | undefined): string => pathText(segs(p));

function describe(v: unknown, src: string): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'number') return `${Number.isInteger(v) ? 'integer' : 'number'} ${src || v}`;
  if (typeof v === 'boolean') return `boolean ${src || v}`;
  return typeof v;
}

function expected(s: SchemaNode): string {
  if (s['x-kubernetes-int-or-string'])
    return s.format === 'quantity' ? 'quantity (integer or string)' : 'integer or string';
  if (s.format === 'quantity' && !s.type) return 'quantity (e.g. 500m, 2, 16Gi)';
  return s.type ?? 'value';
}

function isObjectSchema(s: SchemaNode): boolean {
  return s.type === 'object' || (!s.type && (!!s.properties || s.additionalProperties !== undefined));
}

export class SchemaChecker {
  readonly out: Diagnostic[] = [];
  constructor(private readonly pos: Positions) {}

  /** `owner`: the key node whose value is `node` (range for "missing field" diagnostics). */
  check(node: Node | null | undefined, s: SchemaNode, path: Path | undefined, owner: Node | undefined): void {
    if (s['x-gantry-any']) return;
    if (node === null || node === undefined) return;
    if (isScalar(node) && node.value === null) return; // nullable or dropped like the apiserver does
    if (isMap(node)) {
      if (!isObjectSchema(s)) {
        if (s.type || s['x-kubernetes-int-or-string'] || s.format === 'quantity')
          this.wrongType(node, s, path, 'object');
        return;
      }
      this.checkMap(node, s, path, owner);
      return;
    }
    if (isSeq(node)) {
      if (s.type !== 'array') {
        if (s.type || s['x-kubernetes-int-or-string'] || s.format === 'quantity')
          this.wrongType(node, s, path, 'array');
        return;
      }
      if (s.items) {
        const items = node.items as (Node | null)[];
        for (let i = 0; i < items.length; i++)
          this.check(items[i], s.items, { parent: path, seg: i }, undefined);
      }
      if (s.minItems !== undefined && node.items.length < s.minItems)
        this.report(node, SchemaCode.badFormat, `${text(path)}: expected at least ${s.minItems} item(s)`);
      if (s.maxItems !== undefined && node.items.length > s.maxItems)
        this.report(node, SchemaCode.badFormat, `${text(path)}: expected at most ${s.maxItems} item(s)`);
      return;
    }
    if (isScalar(node)) this.checkScalar(node, s, path);
  }

  private checkScalar(node: Node, s: SchemaNode, path: Path | undefined): void {
    const v = (node as { value: unknown }).value;
    const src = this.pos.source(node);
    const intOrString = s['x-kubernetes-int-or-string'];
    if (intOrString) {
      if (!(typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v))))
        return this.wrongType(node, s, path, describe(v, src));
    } else if (s.format === 'quantity' && !s.type) {
      if (typeof v !== 'string' && typeof v !== 'number')
        return this.wrongType(node, s, path, describe(v, src));
    } else if (s.type) {
      const ok =
        (s.type === 'string' && typeof v === 'string') ||
        (s.type === 'integer' && typeof v === 'number' && Number.isInteger(v)) ||
        (s.type === 'number' && typeof v === 'number') ||
        (s.type === 'boolean' && typeof v === 'boolean');
      if (!ok) return this.wrongType(node, s, path, describe(v, src));
    } else if (s.properties) {
      return this.wrongType(node, s, path, describe(v, src));
    }
    if (s.enum && !s.enum.some((e) => e === v)) {
      const names = s.enum.filter((e): e is string => typeof e === 'string');
      const cands = typeof v === 'string' ? suggest(v, names) : [];
      const list =
        s.enum.length <= 12 ? `; expected one of ${s.enum.map((e) => JSON.stringify(e)).join(', ')}` : '';
      this.report(
        node,
        SchemaCode.badEnum,
        `${text(path)}: unsupported value ${JSON.stringify(v)}${list}${cands.length ? didYouMean(cands) : ''}`,
        cands.map((c, i) => ({
          title: `Change to "${c}"`,
          edits: [{ range: this.pos.nodeRange(node), newText: c }],
          isPreferred: i === 0 && cands.length === 1,
        })),
      );
      return;
    }
    if (s.format === 'quantity' && !isQuantity(v)) {
      this.report(
        node,
        SchemaCode.badFormat,
        `${text(path)}: ${JSON.stringify(v)} is not a valid quantity (e.g. 500m, 2, 1.5, 16Gi)`,
      );
      return;
    }
    if (typeof v === 'string') {
      if (s.pattern && v.length <= MAX_PATTERN_INPUT) {
        const r = regex(s.pattern);
        if (r && !r.test(v))
          this.report(
            node,
            SchemaCode.badFormat,
            `${text(path)}: ${shortValue(v)} does not match ${s.pattern}`,
          );
      }
      if (s.maxLength !== undefined && v.length > s.maxLength)
        this.report(node, SchemaCode.badFormat, `${text(path)}: longer than ${s.maxLength} characters`);
      if (s.minLength !== undefined && v.length < s.minLength)
        this.report(node, SchemaCode.badFormat, `${text(path)}: shorter than ${s.minLength} character(s)`);
    }
    if (typeof v === 'number') {
      if (s.minimum !== undefined && v < s.minimum)
        this.report(node, SchemaCode.badFormat, `${text(path)}: must be at least ${s.minimum}, got ${src}`);
      if (s.maximum !== undefined && v > s.maximum)
        this.report(node, SchemaCode.badFormat, `${text(path)}: must be at most ${s.maximum}, got ${src}`);
    }
  }

  private checkMap(node: Node, s: SchemaNode, path: Path | undefined, owner: Node | undefined): void {
    const map = node as unknown as { items: Pair<Node, Node | null>[] };
    const preserve = !!s['x-kubernetes-preserve-unknown-fields'];
    const closed =
      !preserve && s.additionalProperties !== true && (!!s.properties || s.additionalProperties === false);
    const addl = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
    const present = new Set<string>();
    for (const pair of map.items) {
      const k = keyText(pair.key);
      if (k === undefined || k === '<<') continue;
      const keyNode = pair.key as Node;
      const prop = propertySchema(s, k);
      if (prop) {
        const alias = s['x-gantry-aliases']?.[k];
        if (pair.value !== null && !(isScalar(pair.value) && pair.value.value === null))
          present.add(alias ?? k);
        this.check(pair.value, prop, { parent: path, seg: k }, keyNode);
      } else if (addl) {
        if (pair.value !== null) present.add(k);
        this.check(pair.value, addl, { parent: path, seg: k }, keyNode);
      } else if (closed) {
        this.unknownField(keyNode, k, s, path);
      }
    }
    const count = map.items.length;
    if (s.maxProperties !== undefined && count > s.maxProperties)
      this.report(
        node,
        SchemaCode.badFormat,
        `${text(path)}: expected at most ${s.maxProperties} entries, got ${count}`,
      );
    if (s.minProperties !== undefined && count < s.minProperties)
      this.report(
        node,
        SchemaCode.badFormat,
        `${text(path)}: expected at least ${s.minProperties} entries, got ${count}`,
      );
    // Keys merged in with `<<: *anchor` are not tracked: don't guess which required fields they bring.
    const merges = map.items.some((p) => keyText(p.key) === '<<');
    for (const r of merges ? [] : (s.required ?? [])) {
      if (present.has(r)) continue;
      const at = owner ?? (map.items[0]?.key as Node | undefined) ?? node;
      this.report(at, SchemaCode.missingField, `${text(path)}: missing required field "${r}"`);
    }
    for (const group of s['x-gantry-oneof'] ?? []) {
      const set = group.filter((g) => present.has(g));
      if (set.length > 1) {
        const second = map.items.find((p) => {
          const k = keyText(p.key);
          return k !== undefined && (s['x-gantry-aliases']?.[k] ?? k) === set[1];
        });
        this.report(
          (second?.key as Node | undefined) ?? node,
          SchemaCode.wrongType,
          `${text(path)}: only one of ${set.map((x) => `"${x}"`).join(', ')} may be set`,
        );
      }
    }
  }

  private unknownField(keyNode: Node, k: string, s: SchemaNode, path: Path | undefined): void {
    const names = Object.keys(s.properties ?? {});
    for (const sub of s.allOf ?? []) names.push(...Object.keys(sub.properties ?? {}));
    const cands = suggest(k, names);
    const range = this.pos.nodeRange(keyNode);
    this.report(
      keyNode,
      SchemaCode.unknownField,
      `${text({ parent: path, seg: k })}: unknown field "${k}"${didYouMean(cands)}`,
      cands.map((c, i) => ({
        title: `Rename to "${c}"`,
        edits: [{ range, newText: c }],
        isPreferred: i === 0 && cands.length === 1,
      })),
    );
  }

  private wrongType(node: Node, s: SchemaNode, path: Path | undefined, got: string): void {
    this.report(node, SchemaCode.wrongType, `${text(path)}: expected ${expected(s)}, got ${got}`);
  }

  private report(
    at: Node,
    code: string,
    message: string,
    fixes?: {
      title: string;
      edits: { range: ReturnType<Positions['nodeRange']>; newText: string }[];
      isPreferred?: boolean;
    }[],
  ): void {
    this.out.push(diag(this.pos.nodeRange(at), Severity.Error, code, message, fixes));
  }
}
