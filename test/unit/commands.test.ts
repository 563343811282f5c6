// Every command in package.json is registered by activate(), and every registered command is declared.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { installVscodeStub } from './helpers/vscodeStub';

const record = installVscodeStub();
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

interface MenuItem {
  command?: string;
}

// No kubeconfig on this "machine": activation must not reach any real cluster.
process.env.KUBECONFIG = '/nonexistent/gantry-test-kubeconfig';

function memento() {
  const m = new Map<string, unknown>();
  return {
    get: (k: string, d?: unknown) => (m.has(k) ? m.get(k) : d),
    update: async (k: string, v: unknown) => void m.set(k, v),
    keys: () => [...m.keys()],
  };
}

const subscriptions: { dispose(): void }[] = [];
after(async () => {
  // Deactivation must release everything (timers included): the test process exits only if it does.
  const ext = await import('../../src/extension');
  await ext.deactivate();
  for (const s of subscriptions.splice(0)) s.dispose();
});

async function activateOnce(): Promise<void> {
  const ext = await import('../../src/extension');
  ext.activate({
    subscriptions,
    extensionPath: '/x',
    asAbsolutePath: (p: string) => `/x/${p}`,
    workspaceState: memento(),
    globalState: memento(),
    globalStorageUri: { fsPath: join(tmpdir(), 'gantry-test-storage') },
  } as never);
}

test('contributes.commands and the command table agree', async () => {
  await activateOnce();
  const declared = new Set<string>(pkg.contributes.commands.map((c: { command: string }) => c.command));
  const registered = new Set(record.commands.keys());
  assert.ok(registered.size > 0, 'activate() registered no commands');
  assert.deepEqual([...registered].filter((c) => !declared.has(c)).sort(), [], 'registered but not declared');
  assert.deepEqual([...declared].filter((c) => !registered.has(c)).sort(), [], 'declared but not registered');
});

test('without a kubeconfig the views are told so (their welcome text explains what to do)', async () => {
  // connect() runs after activate() returns; give it a moment.
  for (let i = 0; i < 50 && !record.contexts.has('gantry:kubeconfig'); i++)
    await new Promise((r) => setTimeout(r, 20));
  assert.equal(record.contexts.get('gantry:kubeconfig'), 'missing');
  assert.equal(record.contexts.get('gantry:connection'), 'none');
  assert.deepEqual(record.treeViews.sort(), ['gantry.gpus', 'gantry.sessions', 'gantry.workloads']);
});

test('every menu entry names a declared command', () => {
  const declared = new Set<string>(pkg.contributes.commands.map((c: { command: string }) => c.command));
  const menus = (pkg.contributes.menus ?? {}) as Record<string, MenuItem[]>;
  for (const [where, items] of Object.entries(menus)) {
    for (const item of items) {
      if (item.command) assert.ok(declared.has(item.command), `${where} uses undeclared ${item.command}`);
    }
  }
});

test('command ids, view ids and settings follow the naming rules', () => {
  for (const c of pkg.contributes.commands) assert.match(c.command, /^gantry\.[a-z][A-Za-z]+$/);
  for (const views of Object.values(pkg.contributes.views) as { id: string }[][]) {
    for (const v of views) assert.match(v.id, /^gantry\.[a-z][A-Za-z]+$/);
  }
  for (const key of Object.keys(pkg.contributes.configuration.properties))
    assert.match(key, /^gantry\.[a-z]/);
});

test('each view has welcome text for a missing kubeconfig or an empty state', () => {
  const welcome = pkg.contributes.viewsWelcome as { view: string; contents: string }[];
  for (const id of ['gantry.workloads', 'gantry.gpus', 'gantry.sessions']) {
    assert.ok(
      welcome.some((w) => w.view === id && w.contents.length > 40),
      `no welcome text for ${id}`,
    );
  }
});

test('Describe, Delete and Copy Name handed no row (VS Code forgot it during a refresh) say so', async () => {
  // Registered by the first test's activation.
  const { ROW_FORGOTTEN } = await import('../../src/commands/objects');
  for (const id of ['gantry.describe', 'gantry.delete', 'gantry.copyName']) {
    record.shown.length = 0;
    await record.commands.get(id)!(undefined, [undefined]);
    assert.deepEqual(record.shown, [ROW_FORGOTTEN], id);
  }
});
