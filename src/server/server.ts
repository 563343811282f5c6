// The Gantry language server, built on a Connection it is given (main.ts makes the real one; tests pass one over
// in-memory streams). Model: vscode-extension-samples lsp-sample/server/src/server.ts.
//
// Huge files (more than HUGE_LINES lines or HUGE_BYTES bytes): validated in chunks of CHUNK_DOCS whole YAML documents
// (at most about CHUNK_MAX_LINES lines), yielding to the event loop with setImmediate between chunks and abandoning the
// run as soon as a newer version arrives; they are debounced longer. Chunks are cut by document count, not by lines,
// so an edit that adds lines inside one document leaves the other chunks' cached results valid. Rules that look
// across documents of one file only see the documents of their chunk there. A huge file that is a single YAML
// document is validated in one go.
import { readFile, stat } from 'node:fs/promises';
import {
  CodeActionKind,
  CompletionItemKind,
  TextDocumentSyncKind,
  TextDocuments,
  type Connection,
  type Diagnostic,
  type DocumentSymbol,
  type InitializeResult,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  clusterApplied,
  clusterChanged,
  type ClusterAppliedParams,
  type ClusterChangedParams,
  dryRunDiagnostics,
  pipelineGraph,
} from '../shared/protocol';
import { dryRunDiagnosticsFor } from './applyCauses';
import { codeActions } from './codeActions';
import { pipelineCodeLenses, submitCodeLenses } from './codeLens';
import { complete } from './completion';
import { hover } from './hover';
import { pipelineGraphFor } from './pipelines/request';
import { ValidationQueue } from './validationQueue';
import { SchemaStore } from './schema/store';
import { documentSymbols, shallowDocumentSymbols } from './symbols';
import { Validator, type ClusterFacts } from './validation/api';

export const HUGE_LINES = 20_000;
export const HUGE_BYTES = 2 * 1024 * 1024;
export const CHUNK_DOCS = 50;
export const CHUNK_MAX_LINES = 8_000;

export interface ServerOptions {
  /** Folder of the bundled schemas (`schemas/`). */
  schemasDir?: string;
  /** The bundled store itself (tests); wins over schemasDir. */
  bundled?: SchemaStore;
  /** Quiet time after a change before validating (ms). Opening a document validates at once. */
  debounceMs?: number;
  /** Thresholds of the chunked mode (tests lower them). */
  hugeLines?: number;
  hugeBytes?: number;
  chunkDocs?: number;
  chunkMaxLines?: number;
}

export interface GantryServer {
  /** Current schemas (after clusterChanged). */
  readonly store: SchemaStore;
  dispose(): void;
}

/** The languages validated: the client sends only YAML, but a generic client may send anything it has open. */
const LANGUAGES = new Set(['yaml', 'yml']);

/** A chunk of whole YAML documents of a huge file. */
interface Chunk {
  line: number;
  text: string;
}

const docMarker = /^---(?:\s|$)/;

/** Cuts a text at document markers every `docs` documents, or earlier once a chunk reaches `maxLines` lines. */
export function splitChunks(text: string, docs: number, maxLines = Infinity): Chunk[] {
  const lines = text.split(/\r\n|\r|\n/);
  const chunks: Chunk[] = [];
  let start = 0;
  let markers = 0;
  for (let l = 1; l < lines.length; l++) {
    if (!docMarker.test(lines[l]!)) continue;
    if (++markers >= docs || l - start >= maxLines) {
      chunks.push({ line: start, text: lines.slice(start, l).join('\n') });
      start = l;
      markers = 0;
    }
  }
  chunks.push({ line: start, text: lines.slice(start).join('\n') });
  return chunks;
}

function shiftRange<T extends { start: { line: number }; end: { line: number } }>(r: T, by: number): T {
  return { ...r, start: { ...r.start, line: r.start.line + by }, end: { ...r.end, line: r.end.line + by } };
}

function shiftDiagnostic(d: Diagnostic, by: number): Diagnostic {
  if (by === 0) return d;
  const out: Diagnostic = { ...d, range: shiftRange(d.range, by) };
  const data = d.data as { fixes?: { edits: { range: Diagnostic['range'] }[] }[] } | undefined;
  if (data && Array.isArray(data.fixes)) {
    out.data = {
      ...data,
      fixes: data.fixes.map((f) => ({
        ...f,
        edits: f.edits.map((e) => ({ ...e, range: shiftRange(e.range, by) })),
      })),
    };
  }
  return out;
}

const WARM_UP = `apiVersion: batch/v1
kind: Job
metadata:
  name: warm-up
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: main
          image: busybox:1.36
          resources: {limits: {cpu: 100m}}
`;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function createServer(connection: Connection, opts: ServerOptions = {}): GantryServer {
  const documents = new TextDocuments(TextDocument);
  const hugeLines = opts.hugeLines ?? HUGE_LINES;
  const hugeBytes = opts.hugeBytes ?? HUGE_BYTES;
  const chunkDocs = opts.chunkDocs ?? CHUNK_DOCS;
  const chunkMaxLines = opts.chunkMaxLines ?? CHUNK_MAX_LINES;
  let debounceMs = opts.debounceMs ?? 150;

  let bundledStore: SchemaStore | undefined = opts.bundled;
  const bundled = (): SchemaStore => {
    if (!bundledStore) {
      try {
        if (!opts.schemasDir) throw new Error('no schemas folder given');
        bundledStore = SchemaStore.fromBundled(opts.schemasDir);
      } catch (e) {
        connection.console.error(`Cannot load the bundled schemas from ${opts.schemasDir}: ${message(e)}`);
        bundledStore = SchemaStore.fromOpenApiV3({});
      }
    }
    return bundledStore;
  };

  // Live stores by cluster: switching back to a cluster seen before reuses its schemas.
  const liveStores = new Map<string, SchemaStore>();
  let current: { clusterId: string | null; store?: SchemaStore; facts?: ClusterFacts } = { clusterId: null };
  const store = (): SchemaStore => current.store ?? bundled();

  // One Validator per document and chunk: it keeps results of unchanged YAML documents between edits.
  const validators = new Map<string, Validator[]>();
  const validatorFor = (uri: string, chunk: number): Validator => {
    let list = validators.get(uri);
    if (!list) validators.set(uri, (list = []));
    return (list[chunk] ??= new Validator(store(), current.facts));
  };

  const isHuge = (text: string): boolean => {
    if (text.length > hugeBytes) return true;
    let n = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) if (++n > hugeLines) return true;
    return false;
  };

  // The diagnostics last sent per document. The same list for the same version is not sent again: every publish
  // replaces the editor's markers, VS Code answers a marker change by recomputing code actions on its own, and
  // that replaces a quick-fix request still in flight (Ctrl+. said "No code actions available" in an e2e run
  // while the live schemas arrived); the Problems panel redraws too. Cluster facts and schemas change often and
  // mostly leave a document's findings as they were.
  const published = new Map<string, { version: number | undefined; key: string }>();
  const validationQueue = new ValidationQueue<TextDocument>(
    {
      current: (uri) => documents.get(uri),
      validate: async (doc, isStale) => {
        const text = doc.getText();
        if (!isHuge(text)) return validatorFor(doc.uri, 0).validate(text);
        const out: Diagnostic[] = [];
        const chunks = splitChunks(text, chunkDocs, chunkMaxLines);
        const list = validators.get(doc.uri);
        if (list && list.length > chunks.length) list.length = chunks.length;
        for (let i = 0; i < chunks.length; i++) {
          await yieldToEventLoop();
          if (isStale()) return undefined;
          const c = chunks[i]!;
          for (const d of validatorFor(doc.uri, i).validate(c.text)) out.push(shiftDiagnostic(d, c.line));
        }
        return out;
      },
      publish: (uri, version, diagnostics) => {
        const capped = capDiagnostics(diagnostics);
        const key = JSON.stringify(capped);
        const last = published.get(uri);
        if (last && last.version === version && last.key === key) return;
        published.set(uri, { version, key });
        void connection.sendDiagnostics({ uri, version, diagnostics: capped });
      },
      onError: (uri, e) =>
        connection.console.error(
          `Validating ${uri} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
        ),
    },
    debounceMs,
  );

  const wanted = (doc: TextDocument): boolean => LANGUAGES.has(doc.languageId);
  const delayFor = (doc: TextDocument): number =>
    doc.getText().length > hugeBytes || doc.lineCount > hugeLines
      ? Math.max(debounceMs, Math.min(500, debounceMs * 4))
      : debounceMs;

  // Outline, breadcrumbs and sticky scroll all ask for the same version: answered once.
  let symbolCache: { uri: string; version: number; symbols: DocumentSymbol[] } | undefined;

  // onDidChangeContent fires right after onDidOpen for the opened version too; that one is validated at once.
  const openedVersion = new Map<string, number>();
  documents.onDidOpen((e) => {
    openedVersion.set(e.document.uri, e.document.version);
    if (wanted(e.document)) validationQueue.schedule(e.document.uri, 0);
  });
  documents.onDidChangeContent((e) => {
    if (openedVersion.get(e.document.uri) === e.document.version) return;
    if (wanted(e.document)) validationQueue.schedule(e.document.uri, delayFor(e.document));
  });
  documents.onDidClose((e) => {
    if (symbolCache?.uri === e.document.uri) symbolCache = undefined;
    openedVersion.delete(e.document.uri);
    validationQueue.forget(e.document.uri);
    validators.delete(e.document.uri);
    published.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  /** New schemas: every cached result goes. Same schemas, new facts: only the cluster rules rerun. */
  const revalidateAll = (storeChanged: boolean): void => {
    if (storeChanged) validators.clear();
    else for (const list of validators.values()) for (const v of list) v?.setFacts(current.facts);
    for (const doc of documents.all()) if (wanted(doc)) validationQueue.schedule(doc.uri, 0);
  };

  // The schema file each cluster's store was read from (path, size, mtime): a client that re-sends the same file
  // with new facts doesn't make the server parse megabytes of schemas again.
  const liveSources = new Map<string, string>();
  const loadLive = async (params: ClusterChangedParams): Promise<SchemaStore | undefined> => {
    if (!params.schemas) return undefined;
    let docs: Record<string, unknown>;
    let source: string | undefined;
    if ('docs' in params.schemas) docs = params.schemas.docs;
    else {
      const st = await stat(params.schemas.file);
      source = `${params.schemas.file}\u0000${st.size}\u0000${st.mtimeMs}`;
      const known = params.clusterId !== null ? liveStores.get(params.clusterId) : undefined;
      if (known && liveSources.get(params.clusterId!) === source) return known;
      docs = JSON.parse(await readFile(params.schemas.file, 'utf8')) as Record<string, unknown>;
    }
    const live = bundled().overlay(SchemaStore.fromOpenApiV3(docs));
    if (params.clusterId !== null) {
      if (source) liveSources.set(params.clusterId, source);
      else liveSources.delete(params.clusterId);
    }
    return live;
  };

  let clusterSeq = 0;
  connection.onNotification(clusterChanged, async (params) => {
    const seq = ++clusterSeq;
    let error: string | undefined;
    let live: SchemaStore | undefined;
    try {
      live = await loadLive(params);
    } catch (e) {
      error = `Cannot read the schemas of cluster ${params.clusterId ?? ''}: ${message(e)}`;
      connection.console.error(error);
    }
    // A later notification overtook this one while its schemas were being read.
    if (seq !== clusterSeq) return;
    const id = params.clusterId;
    if (id !== null && live) {
      liveStores.delete(id);
      liveStores.set(id, live);
      // A few clusters are kept; the least recently used is dropped.
      while (liveStores.size > 4) {
        const oldest = liveStores.keys().next().value as string;
        liveStores.delete(oldest);
        liveSources.delete(oldest);
      }
    }
    const storeForCluster = id !== null ? liveStores.get(id) : undefined;
    const before = store();
    current = { clusterId: id, store: storeForCluster, facts: params.facts };
    revalidateAll(store() !== before);
    const applied: ClusterAppliedParams = {
      clusterId: id,
      kinds: store().kinds().length,
      live: storeForCluster !== undefined,
      ...(error ? { error } : {}),
    };
    void connection.sendNotification(clusterApplied, applied);
  });

  connection.onInitialize((params): InitializeResult => {
    // Optional: `initializationOptions.debounceMs` (benchmarks and tests set 0). No other client setting exists.
    const o = params.initializationOptions as { debounceMs?: unknown } | undefined;
    if (typeof o?.debounceMs === 'number' && o.debounceMs >= 0) debounceMs = o.debounceMs;
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        completionProvider: { triggerCharacters: [' '] },
        hoverProvider: true,
        documentSymbolProvider: { label: 'Gantry' },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        codeLensProvider: { resolveProvider: false },
      },
      serverInfo: { name: 'gantry' },
    };
  });

  const withDoc = <T>(uri: string, empty: T, f: (doc: TextDocument) => T): T => {
    const doc = documents.get(uri);
    if (!doc || !wanted(doc)) return empty;
    try {
      return f(doc);
    } catch (e) {
      connection.console.error(
        `Request on ${uri} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      );
      return empty;
    }
  };
  connection.onCompletion((p) =>
    withDoc(p.textDocument.uri, null, (doc) => {
      const list = complete(doc, p.position, store());
      // Typing a space offers completion only where a value goes (`restartPolicy: |`), not after every word.
      if (
        p.context?.triggerCharacter === ' ' &&
        !list.items.every((i) => i.kind === CompletionItemKind.Value)
      ) {
        return null;
      }
      return list;
    }),
  );
  connection.onHover((p) => withDoc(p.textDocument.uri, null, (doc) => hover(doc, p.position, store())));
  connection.onDocumentSymbol((p) =>
    withDoc(p.textDocument.uri, [], (doc) => {
      if (symbolCache?.uri === doc.uri && symbolCache.version === doc.version) return symbolCache.symbols;
      const huge = doc.lineCount > hugeLines || doc.getText().length > hugeBytes;
      const symbols = huge ? shallowDocumentSymbols(doc) : documentSymbols(doc);
      symbolCache = { uri: doc.uri, version: doc.version, symbols };
      return symbols;
    }),
  );
  connection.onCodeAction((p) => withDoc(p.textDocument.uri, [], () => codeActions(p)));
  // Submit lenses; huge files get none (splitting them on every lens request would cost too much).
  connection.onCodeLens((p) =>
    withDoc(p.textDocument.uri, [], (doc) => {
      const text = doc.getText();
      if (isHuge(text)) return [];
      const docs = validatorFor(doc.uri, 0)
        .documents(text, doc.uri)
        .map(({ chunk, doc: d }) => ({ line: chunk.startLine, doc: d }));
      return [...pipelineCodeLenses(doc.uri, docs), ...submitCodeLenses(doc.uri, text)];
    }),
  );
  connection.onRequest(dryRunDiagnostics, (p) =>
    p.text !== undefined
      ? dryRunDiagnosticsFor(p.text, p.causes)
      : withDoc(p.uri, [], (doc) => dryRunDiagnosticsFor(doc.getText(), p.causes)),
  );
  connection.onRequest(pipelineGraph, (p) =>
    p.text !== undefined
      ? pipelineGraphFor(new Validator(store(), current.facts), p.text)
      : withDoc(p.uri, pipelineGraphFor(undefined, ''), (doc) =>
          pipelineGraphFor(validatorFor(doc.uri, 0), doc.getText(), doc.uri),
        ),
  );
  connection.onShutdown(() => validationQueue.dispose());

  // Once initialized, load the bundled index and run the validator once on a small manifest in the background,
  // so the first document the user opens doesn't pay for loading code paths and the common kinds' schemas.
  connection.onInitialized(() => {
    setImmediate(() => {
      try {
        new Validator(store()).validate(WARM_UP);
      } catch (e) {
        connection.console.error(`Warm-up validation failed: ${message(e)}`);
      }
    });
  });

  documents.listen(connection);
  connection.listen();

  return {
    get store() {
      return store();
    },
    dispose: () => validationQueue.dispose(),
  };
}

/**
 * At most this many problems per file go to the editor: a broken generator or a paste gone wrong can produce
 * tens of thousands (one per line of a mangled flow collection), and sending them costs the editor seconds for
 * nothing a person reads. The rest are counted in one last entry.
 */
export const MAX_DIAGNOSTICS = 1000;

export function capDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  if (ds.length <= MAX_DIAGNOSTICS) return ds;
  // Errors first, then by position, so the cut keeps what matters most.
  const sorted = [...ds].sort(
    (a, b) =>
      (a.severity ?? 1) - (b.severity ?? 1) ||
      a.range.start.line - b.range.start.line ||
      a.range.start.character - b.range.start.character,
  );
  const kept = sorted.slice(0, MAX_DIAGNOSTICS - 1);
  const next = sorted[MAX_DIAGNOSTICS - 1]!;
  kept.push({
    range: next.range,
    severity: 3,
    source: 'gantry',
    message: `${(ds.length - kept.length).toLocaleString('en-US')} more problems in this file are not listed (Gantry lists ${MAX_DIAGNOSTICS - 1}).`,
  });
  return kept;
}
