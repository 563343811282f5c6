// The language client's stand-in in dist/services.js: it loads the real client (dist/languageClient.js) only
// when a YAML document opens or a language feature is asked for, and hands it what it was told before.
import assert from 'node:assert/strict';
import Module from 'node:module';
import { before, test } from 'node:test';
import type * as Lazy from '../../../src/lsp/lazyClient';

// A vscode of its own: the open documents and the open-document event are driven by the tests.
type Doc = { languageId: string };
const openListeners = new Set<(d: Doc) => void>();
const workspace = {
  textDocuments: [] as Doc[],
  onDidOpenTextDocument(l: (d: Doc) => void) {
    openListeners.add(l);
    return { dispose: () => openListeners.delete(l) };
  },
};
const logged: string[] = [];
const vscode = {
  workspace,
  Disposable: class {
    constructor(private readonly _fn: () => void) {}
    dispose() {
      this._fn();
    }
  },
};
const m = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const original = m._load;
m._load = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? vscode : original.call(this, request, ...rest);
};
// Imported once the stub is in place (the module imports vscode).
let LazyLanguageClient: typeof Lazy.LazyLanguageClient;
before(async () => {
  ({ LazyLanguageClient } = await import('../../../src/lsp/lazyClient'));
});
type Options = ConstructorParameters<typeof Lazy.LazyLanguageClient>[0];
type Loader = Lazy.LoadClient;

const open = (languageId: string) => {
  for (const l of [...openListeners]) l({ languageId });
};
const log = {
  error: (m: string) => void logged.push(m),
  warn: (m: string) => void logged.push(m),
  info: () => undefined,
} as unknown as Options['log'];
const tick = () => new Promise((r) => setImmediate(r));

/** A loader of a recording stand-in for GantryLanguageClient; `gate` holds the load until released. */
function fakeLoader(gate?: Promise<void>) {
  const calls: string[] = [];
  let loads = 0;
  class FakeClient {
    constructor(readonly opts: Options) {
      calls.push(`new ${opts.serverModule}`);
    }
    async start() {
      calls.push('start');
    }
    async restart() {
      calls.push('restart');
    }
    async stop() {
      calls.push('stop');
    }
    dispose() {
      calls.push('dispose');
    }
    async notifyCluster(p: { clusterId: string | null }) {
      calls.push(`cluster ${p.clusterId}`);
    }
    async dryRunDiagnostics() {
      calls.push('dryRun');
      return ['d'];
    }
    async pipelineGraph() {
      calls.push('graph');
      return { nodes: [] };
    }
  }
  const load = (async () => {
    loads++;
    await gate;
    return { GantryLanguageClient: FakeClient };
  }) as unknown as Loader;
  return { load, calls, loads: () => loads };
}

const opts = { serverModule: 'server.js', log } as Options;

test('the client is not loaded by the cluster feed or other documents, and loads and starts on the first YAML document', async () => {
  workspace.textDocuments = [{ languageId: 'python' }];
  const f = fakeLoader();
  const c = new LazyLanguageClient(opts, f.load);
  const sub = c.startWhenYamlOpens();
  await c.notifyCluster({ clusterId: 'a@https://one' });
  await c.notifyCluster({ clusterId: 'b@https://two' });
  open('json');
  await tick();
  assert.equal(f.loads(), 0);
  assert.equal(c.isLoaded, false);
  open('yaml');
  await tick();
  open('yaml');
  await tick();
  assert.equal(f.loads(), 1);
  // The last cluster it was told about reaches the client before its server starts.
  assert.deepEqual(f.calls, ['new server.js', 'cluster b@https://two', 'start']);
  await c.notifyCluster({ clusterId: null });
  assert.deepEqual(f.calls.slice(3), ['cluster null']);
  sub.dispose();
  c.dispose();
  await tick();
  assert.equal(f.calls.at(-1), 'dispose');
});

test('a YAML document already open starts the client at once', async () => {
  workspace.textDocuments = [{ languageId: 'yaml' }];
  const f = fakeLoader();
  const c = new LazyLanguageClient(opts, f.load);
  c.startWhenYamlOpens();
  await tick();
  assert.deepEqual(f.calls, ['new server.js', 'start']);
  c.dispose();
});

test('language features load the client when no YAML document was opened; stop() before any leaves it unloaded', async () => {
  workspace.textDocuments = [];
  const f = fakeLoader();
  const c = new LazyLanguageClient(opts, f.load);
  await c.stop();
  assert.equal(f.loads(), 0);
  assert.deepEqual(await c.dryRunDiagnostics({} as never), ['d']);
  assert.deepEqual(await c.pipelineGraph({} as never), { nodes: [] });
  await c.restart();
  await c.stop();
  assert.equal(f.loads(), 1);
  assert.deepEqual(f.calls, ['new server.js', 'dryRun', 'graph', 'restart', 'stop']);
  c.dispose();
});

test('disposed while its bundle loads, the client is disposed without starting', async () => {
  workspace.textDocuments = [];
  let release!: () => void;
  const f = fakeLoader(new Promise<void>((r) => (release = r)));
  const c = new LazyLanguageClient(opts, f.load);
  const started = c.start();
  c.dispose();
  release();
  await started;
  assert.deepEqual(f.calls, ['new server.js', 'dispose']);
  // Nothing loads after disposal.
  assert.deepEqual(await c.dryRunDiagnostics({} as never), []);
  assert.equal(f.loads(), 1);
});

test('a bundle that cannot load is said once in the log; the features answer empty', async () => {
  workspace.textDocuments = [];
  logged.length = 0;
  const load = (async () => {
    throw new Error("Cannot find module './languageClient.js'");
  }) as unknown as Loader;
  const c = new LazyLanguageClient(opts, load);
  await c.start();
  assert.deepEqual(await c.dryRunDiagnostics({} as never), []);
  assert.equal(await c.pipelineGraph({} as never), undefined);
  assert.deepEqual(logged, ['Cannot load the Gantry language client']);
  c.dispose();
});
