// Splits a file into YAML documents, validates each one (syntax, schema, ML rules) and caches the result
// per document text, so an edit revalidates only the document that changed.
import {
  type Document,
  type DocumentOptions,
  LineCounter,
  parseAllDocuments,
  type ParseOptions,
  type SchemaOptions,
} from 'yaml';
import type { Diagnostic } from 'vscode-languageserver-types';
import { KFP_PIPELINE_SPEC, KFP_PLATFORM_SPEC, type SchemaStore } from '../schema/store';
import { runLiveRules, runOfflineRules } from '../rules';
import type { ClusterFacts, GantryDiagnosticData, ValidateOptions } from './types';
import { SchemaCode } from './codes';
import {
  diag,
  type DocumentKind,
  get,
  isMap,
  isScalar,
  keyText,
  type Node,
  type ParsedDocument,
  Positions,
  Severity,
  str,
  type YAMLMap,
} from './ast';
import { relaxAllQuotedScalars, relaxQuotedScalars } from './relax';
import { SchemaChecker } from './schemaCheck';
import { didYouMean, suggest } from './suggest';

/**
 * YAML 1.1 as Kubernetes reads it (go-yaml v2 via sigs.k8s.io/yaml): yes/no/on/off booleans, 0755 octal,
 * 0x/0b integers. go-yaml keeps timestamps as strings when decoding into interface{} and has no base-60
 * numbers, so those 1.1 tags are dropped (`22:22` and `2024-01-01` stay strings).
 */
export function parseOptions(lineCounter: LineCounter): ParseOptions & DocumentOptions & SchemaOptions {
  return {
    version: '1.1',
    lineCounter,
    prettyErrors: false,
    customTags: (tags) =>
      tags.filter((t) => {
        const tag = t as { tag?: string; format?: string };
        return tag.tag !== 'tag:yaml.org,2002:timestamp' && tag.format !== 'TIME';
      }),
  };
}

export function validateText(text: string, opts: ValidateOptions): Diagnostic[] {
  return new Validator(opts.store, opts.facts).validate(text, opts.uri);
}

/** One `---`-separated piece of the file. Document markers at column 0 always end a document in YAML. */
export interface Chunk {
  text: string;
  startLine: number;
  startOffset: number;
}

export function splitChunks(text: string): Chunk[] {
  const chunks: Chunk[] = [];
  const re = /^---(?=[ \t\r\n]|$)/gm;
  let start = 0;
  let startLine = 0;
  let line = 0;
  let scanned = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index === 0) continue;
    for (let i = scanned; i < m.index; i++) if (text.charCodeAt(i) === 10) line++;
    scanned = m.index;
    chunks.push({ text: text.slice(start, m.index), startLine, startOffset: start });
    start = m.index;
    startLine = line;
  }
  chunks.push({ text: text.slice(start), startLine, startOffset: start });
  return chunks;
}

const KFP_IR_KEYS = new Set(['pipelineInfo', 'root', 'components', 'deploymentSpec']);

export function classify(
  root: unknown,
): { what: DocumentKind; apiVersion: string; kind: string } | undefined {
  if (!isMap(root)) return undefined;
  const apiVersion = str(get(root, 'apiVersion'));
  const kind = str(get(root, 'kind'));
  if (apiVersion && kind) return { what: 'kubernetes', apiVersion, kind };
  if (apiVersion !== undefined || kind !== undefined) return undefined;
  const keys = (root as YAMLMap).items.map((p) => keyText(p.key));
  // Two of the four: a lone `root:` or `components:` key is too common in other YAML, and one misspelled
  // key must not make Gantry forget the file is an IR.
  if (keys.filter((k) => k !== undefined && KFP_IR_KEYS.has(k)).length >= 2)
    return { what: 'kfp-ir', ...KFP_PIPELINE_SPEC };
  if (keys.length === 1 && keys[0] === 'platforms' && isMap(get(root, 'platforms')))
    return { what: 'kfp-platform', ...KFP_PLATFORM_SPEC };
  return undefined;
}

const STACK_OVERFLOW = /maximum call stack size exceeded/i;

/**
 * parseAllDocuments without the stack traces of its errors: each YAMLError is an Error, and capturing a stack for
 * every one of them is most of the parse time of a badly broken file (79,199 errors: 1.5 s, two thirds of it in
 * YAMLError's constructor). The errors keep their message and position; nothing reads their stacks.
 */
const parseQuietly = ((text: string, options?: Parameters<typeof parseAllDocuments>[1]) => {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return parseAllDocuments(text, options);
  } finally {
    Error.stackTraceLimit = limit;
  }
}) as typeof parseAllDocuments;

interface Entry {
  docs: ParsedDocument[];
  offline: Diagnostic[];
  liveFor?: ClusterFacts;
  live: Diagnostic[];
  used: number;
}

/** Keeps per-document results keyed by the document's text so edits revalidate only what changed. */
export class Validator {
  private readonly caches = new Map<string, Map<string, Entry>>();
  private generation = 0;
  /** Called with unexpected exceptions from a check (the document's other results are kept). Log them. */
  onError?: (e: unknown) => void;
  /** Counters for tests and measurements. */
  readonly stats = { chunksValidated: 0 };

  constructor(
    private store: SchemaStore,
    private facts?: ClusterFacts,
  ) {}

  /** New cluster facts (or undefined when offline). Live rules rerun on the next validate; the rest is kept. */
  setFacts(facts: ClusterFacts | undefined): void {
    this.facts = facts;
  }

  /** New schemas (e.g. a live overlay): drops every cached result. */
  setStore(store: SchemaStore): void {
    this.store = store;
    this.caches.clear();
  }

  /** Drops the cache of a closed document. */
  forget(uri: string): void {
    this.caches.delete(uri);
  }

  validate(text: string, uri = ''): Diagnostic[] {
    const gen = ++this.generation;
    let cache = this.caches.get(uri);
    if (!cache) {
      cache = new Map();
      this.caches.set(uri, cache);
    }
    const out: Diagnostic[] = [];
    for (const chunk of splitChunks(text)) {
      let entry = cache.get(chunk.text);
      if (!entry) {
        entry = this.validateChunk(chunk.text);
        cache.set(chunk.text, entry);
      }
      entry.used = gen;
      if (this.facts) {
        if (entry.liveFor !== this.facts) {
          entry.live = [];
          for (const d of entry.docs) {
            try {
              runLiveRules(d, this.facts, entry.live);
            } catch (e) {
              this.onError?.(e);
            }
          }
          entry.liveFor = this.facts;
        }
      } else if (entry.liveFor) {
        entry.live = [];
        entry.liveFor = undefined;
      }
      for (const d of entry.offline) out.push(shift(d, chunk.startLine));
      for (const d of entry.live) out.push(shift(d, chunk.startLine));
    }
    for (const [k, e] of cache) if (e.used !== gen) cache.delete(k);
    return out;
  }

  /** The documents of `text` Gantry validates, with their schemas (for hover/completion). Chunk-relative. */
  documents(text: string, uri = ''): { chunk: Chunk; doc: ParsedDocument }[] {
    const out: { chunk: Chunk; doc: ParsedDocument }[] = [];
    for (const chunk of splitChunks(text)) {
      const entry = this.caches.get(uri)?.get(chunk.text) ?? this.validateChunk(chunk.text);
      for (const doc of entry.docs) out.push({ chunk, doc });
    }
    return out;
  }

  /**
   * A chunk's entry, never an exception: what cannot be checked (nesting deeper than the YAML parser's
   * recursion can follow, or a bug) becomes one diagnostic on the chunk's first line, so the editor never keeps
   * stale problems for a file the server gave up on.
   */
  private validateChunk(original: string): Entry {
    const end = Math.max(0, original.indexOf('\n'));
    const one = (message: string): Entry => ({
      docs: [],
      offline: [
        {
          range: { start: { line: 0, character: 0 }, end: { line: 0, character: Math.min(end, 200) } },
          severity: 1,
          source: 'gantry',
          code: SchemaCode.syntax,
          message,
        },
      ],
      live: [],
      used: 0,
    });
    const TOO_DEEP =
      'This document nests too deeply to be checked (thousands of levels); Kubernetes manifests nest a few dozen at most.';
    try {
      const entry = this.validateChunkOrThrow(original);
      // The parser may also catch its own stack overflow and report it at every level it unwound.
      return entry.offline.some((d) => STACK_OVERFLOW.test(String(d.message))) ? one(TOO_DEEP) : entry;
    } catch (e) {
      if (e instanceof RangeError && STACK_OVERFLOW.test(e.message)) return one(TOO_DEEP);
      this.onError?.(e);
      return one(
        `This document could not be checked: ${e instanceof Error ? e.message : String(e)} (logged in the Gantry output).`,
      );
    }
  }

  private validateChunkOrThrow(original: string): Entry {
    this.stats.chunksValidated++;
    let text = original;
    let lc = new LineCounter();
    let parsed = parseQuietly(text, parseOptions(lc));
    let list = Array.isArray(parsed) ? parsed : [];
    let pads: Map<number, number> | undefined;
    const count = (l: typeof list): number => l.reduce((n, d) => n + d.errors.length, 0);
    // Each round fixes the scalars the parser stopped at; later ones only show up after that.
    // The variant with the fewest errors wins (the original unless relaxing helps).
    let cur = { text, pads, lc, parsed, list };
    // First, one pass that re-indents every such scalar: when that parses cleanly (the usual KFP IR case), it is
    // what the rounds below would end with, for one reparse instead of one per scalar.
    if (hasQuoteError(list)) {
      const all = relaxAllQuotedScalars(text);
      if (all) {
        const lc2 = new LineCounter();
        const p2 = parseQuietly(all.text, parseOptions(lc2));
        const l2 = Array.isArray(p2) ? p2 : [];
        if (count(l2) === 0 && opensQuotedScalars(l2, all.quotes)) {
          ({ text, pads, lc, parsed, list } = {
            text: all.text,
            pads: all.pads,
            lc: lc2,
            parsed: p2,
            list: l2,
          });
          cur = { text, pads, lc, parsed, list };
        }
      }
    }
    for (let round = 0; round < 20; round++) {
      const quoteErrors = cur.list.flatMap((d) =>
        d.errors.filter((e) => e.message.startsWith('Missing closing ')),
      );
      if (!quoteErrors.length) break;
      const relaxed = relaxQuotedScalars(
        cur.text,
        quoteErrors.map((e) => e.pos[0]),
      );
      if (!relaxed) break;
      const lc2 = new LineCounter();
      const p2 = parseQuietly(relaxed.text, parseOptions(lc2));
      const merged = new Map(cur.pads);
      for (const [line, n] of relaxed.pads) merged.set(line, (merged.get(line) ?? 0) + n);
      cur = { text: relaxed.text, pads: merged, lc: lc2, parsed: p2, list: Array.isArray(p2) ? p2 : [] };
      if (count(cur.list) < count(list)) ({ text, pads, lc, parsed, list } = cur);
    }
    const pos = new Positions(lc, text, pads);
    const out: Diagnostic[] = [];
    const docs: ParsedDocument[] = [];
    for (const doc of list) {
      let broken = false;
      for (const e of doc.errors) {
        const dup = e.code === 'DUPLICATE_KEY';
        if (!dup) broken = true;
        if (dup) {
          const key = duplicateKey(doc, e.pos[0]);
          const range = key ? pos.nodeRange(key) : pos.range(e.pos[0], e.pos[1]);
          const name = key ? keyText(key) : undefined;
          out.push(
            diag(
              range,
              Severity.Error,
              SchemaCode.duplicateKey,
              `duplicate key "${name ?? '?'}"; the last value would win`,
            ),
          );
        } else {
          out.push(
            diag(pos.range(e.pos[0], e.pos[1]), Severity.Error, SchemaCode.syntax, firstLine(e.message)),
          );
        }
      }
      for (const w of doc.warnings) {
        out.push(
          diag(pos.range(w.pos[0], w.pos[1]), Severity.Warning, SchemaCode.syntax, firstLine(w.message)),
        );
      }
      if (broken) continue;
      const what = classify(doc.contents);
      if (!what) continue;
      const schema = this.store.lookup(what.apiVersion, what.kind);
      const pd: ParsedDocument = { doc, pos, ...what, schema };
      docs.push(pd);
      // A bug in one check must not cost the user the other documents' diagnostics.
      try {
        const found: Diagnostic[] = [];
        if (schema) {
          const checker = new SchemaChecker(pos);
          checker.check(doc.contents, schema, undefined, undefined);
          found.push(...checker.out);
        } else if (what.what === 'kubernetes') {
          const d = this.unknownKind(doc.contents as YAMLMap, what.apiVersion, what.kind, pos);
          if (d) found.push(d);
        }
        const rules: Diagnostic[] = [];
        runOfflineRules(pd, rules);
        // A rule that explains a problem better replaces the schema diagnostic at the same place.
        for (const r of rules) {
          const i = found.findIndex(
            (d) => typeof d.code === 'string' && !d.code.startsWith('GANTRY') && sameRange(d, r),
          );
          if (i >= 0) found.splice(i, 1);
        }
        out.push(...found, ...rules);
      } catch (e) {
        this.onError?.(e);
      }
    }
    return { docs, offline: out, live: [], used: 0 };
  }

  private unknownKind(
    root: YAMLMap,
    apiVersion: string,
    kind: string,
    pos: Positions,
  ): Diagnostic | undefined {
    if (kind === 'List') return undefined;
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    const groupOf = (av: string): string => (av.includes('/') ? av.slice(0, av.indexOf('/')) : '');
    const all = this.store.kinds().filter((k) => k.apiVersion !== KFP_PIPELINE_SPEC.apiVersion);
    if (!all.some((k) => groupOf(k.apiVersion) === group)) return undefined; // a group Gantry doesn't know
    const kindNode = get(root, 'kind') as Node;
    const avNode = get(root, 'apiVersion') as Node;
    const fixes: {
      title: string;
      edits: { range: ReturnType<Positions['nodeRange']>; newText: string }[];
    }[] = [];
    // Same kind in another version of the group (or, for the core group, in any group: v1 Deployment).
    const sameKind = all.filter(
      (k) =>
        k.kind === kind && (groupOf(k.apiVersion) === group || group === '') && k.apiVersion !== apiVersion,
    );
    let hint = '';
    if (sameKind.length) {
      // Often another release of the operator (e.g. mpi-operator's kubeflow.org/v2beta1 MPIJob): information only.
      hint = `; Gantry has ${kind} as ${sameKind.map((k) => k.apiVersion).join(', ')} (connect to a cluster that serves ${apiVersion} to check it)`;
      for (const k of sameKind)
        fixes.push({
          title: `Change apiVersion to ${k.apiVersion}`,
          edits: [{ range: pos.nodeRange(avNode), newText: k.apiVersion }],
        });
    } else {
      const inVersion = all.filter((k) => k.apiVersion === apiVersion).map((k) => k.kind);
      const inGroup = all.filter((k) => groupOf(k.apiVersion) === group);
      const cands = suggest(kind, inVersion.length ? inVersion : inGroup.map((k) => k.kind));
      if (cands.length) {
        hint = didYouMean(cands);
        for (const c of cands) {
          const target = inVersion.includes(c) ? apiVersion : inGroup.find((k) => k.kind === c)!.apiVersion;
          const edits = [{ range: pos.nodeRange(kindNode), newText: c }];
          if (target !== apiVersion) edits.push({ range: pos.nodeRange(avNode), newText: target });
          fixes.push({ title: `Change kind to ${c}${target !== apiVersion ? ` (${target})` : ''}`, edits });
        }
      } else {
        const versions = [...new Set(inGroup.map((k) => k.apiVersion))].sort();
        hint = `; Gantry knows ${group || 'the core group'} as ${versions.join(', ')}`;
      }
    }
    return diag(
      pos.nodeRange(kindNode),
      sameKind.length ? Severity.Information : Severity.Warning,
      SchemaCode.unknownKind,
      `${apiVersion} ${kind} is not a kind Gantry knows${hint}`,
      fixes,
    );
  }
}

function hasQuoteError(list: Document.Parsed[]): boolean {
  return list.some((d) => d.errors.some((e) => e.message.startsWith('Missing closing ')));
}

/** Whether a double- or single-quoted scalar starts at each of `offsets`. */
function opensQuotedScalars(list: Document.Parsed[], offsets: number[]): boolean {
  const starts = new Set<number>();
  const walk = (n: unknown): void => {
    if (!n || typeof n !== 'object') return;
    if (isScalar(n)) {
      if ((n.type === 'QUOTE_DOUBLE' || n.type === 'QUOTE_SINGLE') && n.range) starts.add(n.range[0]);
      return;
    }
    const items = (n as { items?: unknown[] }).items;
    if (items) for (const it of items) walk(it);
    const p = n as { key?: unknown; value?: unknown };
    if ('key' in p) {
      walk(p.key);
      walk(p.value);
    }
  };
  for (const d of list) walk(d.contents);
  return offsets.every((o) => starts.has(o));
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}

function sameRange(a: Diagnostic, b: Diagnostic): boolean {
  return (
    a.range.start.line === b.range.start.line &&
    a.range.start.character === b.range.start.character &&
    a.range.end.line === b.range.end.line &&
    a.range.end.character === b.range.end.character
  );
}

/** The repeated key node, found in the AST by its start offset (the parser reports one character). */
function duplicateKey(doc: Document.Parsed, offset: number): Node | undefined {
  let found: Node | undefined;
  const walk = (n: unknown): void => {
    if (found || !n || typeof n !== 'object') return;
    const items = (n as { items?: unknown[] }).items;
    if (!items) return;
    for (const it of items) {
      const p = it as { key?: Node; value?: unknown };
      if (p && typeof p === 'object' && 'key' in p) {
        if (p.key?.range?.[0] === offset) {
          found = p.key;
          return;
        }
        walk(p.value);
      } else walk(it);
    }
  };
  walk(doc.contents);
  return found;
}

function shift(d: Diagnostic, lines: number): Diagnostic {
  if (lines === 0) return { ...d };
  const r = (x: Diagnostic['range']): Diagnostic['range'] => ({
    start: { line: x.start.line + lines, character: x.start.character },
    end: { line: x.end.line + lines, character: x.end.character },
  });
  const out: Diagnostic = { ...d, range: r(d.range) };
  const data = d.data as GantryDiagnosticData | undefined;
  if (data?.fixes) {
    out.data = {
      fixes: data.fixes.map((f) => ({ ...f, edits: f.edits.map((e) => ({ ...e, range: r(e.range) })) })),
    } satisfies GantryDiagnosticData;
  }
  return out;
}
