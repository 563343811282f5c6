// A stand-in for the `vscode` module so activation code can run under node:test. It records what the
// extension registers; every other API call returns an inert object.
import Module from 'node:module';

export interface StubRecord {
  commands: Map<string, (...args: unknown[]) => unknown>;
  contexts: Map<string, unknown>;
  treeViews: string[];
  /** Every text the extension handed to the user: log lines, notifications, status bar, clipboard, pickers. */
  shown: string[];
  /** Registered TextDocumentContentProviders by scheme. */
  contentProviders: Map<string, { provideTextDocumentContent(uri: unknown, token: unknown): unknown }>;
}

/** Every string inside a value (arguments of a recorded call), errors with their stacks. */
function texts(v: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 6 || v === null || v === undefined) return out;
  if (typeof v === 'string') out.push(v);
  else if (v instanceof Error) out.push(`${v.message}\n${v.stack ?? ''}`);
  else if (typeof v === 'number' || typeof v === 'boolean') out.push(String(v));
  else if (Array.isArray(v)) for (const x of v) texts(x, out, depth + 1);
  else if (typeof v === 'object') for (const x of Object.values(v)) texts(x, out, depth + 1);
  return out;
}

function inert(): unknown {
  const fn = function () {
    return proxy;
  };
  const proxy: unknown = new Proxy(fn, {
    get(_t, prop) {
      if (prop === 'then') return undefined; // never look like a Promise
      if (prop === Symbol.toPrimitive) return () => '';
      if (prop === 'dispose') return () => undefined;
      return proxy;
    },
    set: () => true,
    apply: () => proxy,
    construct: () => proxy as object,
  });
  return proxy;
}

export function installVscodeStub(): StubRecord {
  const record: StubRecord = {
    commands: new Map(),
    contexts: new Map(),
    treeViews: [],
    shown: [],
    contentProviders: new Map(),
  };
  const show =
    <T>(result: T) =>
    (...args: unknown[]): T => {
      texts(args, record.shown);
      return result;
    };
  const outputChannel = () => {
    const ch: Record<string, unknown> = {
      name: 'Gantry',
      logLevel: 2,
      onDidChangeLogLevel: () => disposable,
    };
    for (const m of ['trace', 'debug', 'info', 'warn', 'error', 'append', 'appendLine', 'replace'])
      ch[m] = show(undefined);
    for (const m of ['show', 'hide', 'clear', 'dispose']) ch[m] = () => undefined;
    return ch;
  };
  const disposable = { dispose: () => undefined };
  const base = inert() as Record<string, unknown>;
  class EventEmitter<T> {
    private _l = new Set<(e: T) => void>();
    event = (l: (e: T) => void) => {
      this._l.add(l);
      return { dispose: () => this._l.delete(l) };
    };
    fire(e: T) {
      for (const l of this._l) l(e);
    }
    dispose() {
      this._l.clear();
    }
  }
  // Bundlers and tsx copy the module's own keys, so every namespace the extension touches is listed.
  const env = new Proxy(
    { clipboard: { writeText: show(Promise.resolve()), readText: () => Promise.resolve('') } },
    { get: (t, p) => (p in t ? t[p as keyof typeof t] : base) },
  );
  const inertKeys = [
    'languages',
    'extensions',
    'Uri',
    'TreeItem',
    'ThemeIcon',
    'ThemeColor',
    'MarkdownString',
  ];
  const enums = {
    StatusBarAlignment: { Left: 1, Right: 2 },
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    QuickPickItemKind: { Separator: -1, Default: 0 },
  };
  const stub = new Proxy(
    {
      ...Object.fromEntries(inertKeys.map((k) => [k, base])),
      ...enums,
      env,
      EventEmitter,
      Disposable: class {
        constructor(private readonly _fn: () => void) {}
        dispose() {
          this._fn();
        }
      },
      commands: {
        registerCommand(id: string, fn: (...args: unknown[]) => unknown) {
          if (record.commands.has(id)) throw new Error(`command ${id} registered twice`);
          record.commands.set(id, fn);
          return { dispose: () => record.commands.delete(id) };
        },
        async executeCommand(id: string, ...args: unknown[]) {
          if (id === 'setContext') {
            record.contexts.set(String(args[0]), args[1]);
            return undefined;
          }
          return record.commands.get(id)?.(...args);
        },
      },
      window: new Proxy(
        {
          createTreeView(id: string) {
            record.treeViews.push(id);
            return { ...disposable, onDidChangeVisibility: () => disposable };
          },
          registerTreeDataProvider(id: string) {
            record.treeViews.push(id);
            return disposable;
          },
          createOutputChannel: outputChannel,
          showErrorMessage: show(Promise.resolve(undefined)),
          showWarningMessage: show(Promise.resolve(undefined)),
          showInformationMessage: show(Promise.resolve(undefined)),
          setStatusBarMessage: show(disposable),
          showQuickPick: show(Promise.resolve(undefined)),
          showInputBox: show(Promise.resolve(undefined)),
        },
        { get: (t, p) => (p in t ? t[p as keyof typeof t] : base) },
      ),
      workspace: new Proxy(
        {
          getConfiguration: () => ({ get: (_k: string, d: unknown) => d }),
          onDidChangeConfiguration: () => disposable,
          onDidOpenTextDocument: () => disposable,
          registerTextDocumentContentProvider(
            scheme: string,
            p: { provideTextDocumentContent(uri: unknown, token: unknown): unknown },
          ) {
            record.contentProviders.set(scheme, p);
            return { dispose: () => record.contentProviders.delete(scheme) };
          },
          textDocuments: [],
          isTrusted: true,
        },
        { get: (t, p) => (p in t ? t[p as keyof typeof t] : base) },
      ),
    },
    { get: (t, p) => (p in t ? t[p as keyof typeof t] : base) },
  );
  const m = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const original = m._load;
  m._load = function (request: string, ...rest: unknown[]) {
    if (request === 'vscode') return stub;
    return original.call(this, request, ...rest);
  };
  return record;
}
