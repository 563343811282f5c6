// deactivate() alone releases everything activate() started: no timer, socket or watcher keeps Node's event
// loop alive afterwards (bench:activation's probe and any host that does not dispose context.subscriptions
// rely on it). A leak fails the assertion below, and would also keep this test process from exiting.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { installVscodeStub } from './helpers/vscodeStub';

const record = installVscodeStub();
process.env.KUBECONFIG = '/nonexistent/gantry-test-kubeconfig';

function memento() {
  const m = new Map<string, unknown>();
  return {
    get: (k: string, d?: unknown) => (m.has(k) ? m.get(k) : d),
    update: async (k: string, v: unknown) => void m.set(k, v),
    keys: () => [...m.keys()],
  };
}

/** Active resources that keep the loop alive, by kind ("Timeout", "TCPWrap", "FSEventWrap"...). */
function resources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

function added(before: Map<string, number>, after: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [k, n] of after) if (n > (before.get(k) ?? 0)) out.push(`${k} +${n - (before.get(k) ?? 0)}`);
  return out;
}

test('deactivate() releases every timer and handle activate() started, without context.subscriptions', async () => {
  const ext = await import('../../src/extension');
  const before = resources();
  ext.activate({
    subscriptions: [], // never disposed here: deactivate() must be enough
    extensionPath: '/x',
    asAbsolutePath: (p: string) => `/x/${p}`,
    workspaceState: memento(),
    globalState: memento(),
    globalStorageUri: { fsPath: join(tmpdir(), 'gantry-test-storage') },
  } as never);
  // The services load after activate() returns; wait until they have connected (here: found no kubeconfig).
  for (let i = 0; i < 250 && !record.contexts.has('gantry:connection'); i++)
    await new Promise((r) => setTimeout(r, 20));
  assert.equal(record.contexts.get('gantry:kubeconfig'), 'missing');
  const during = resources();
  assert.ok(
    (during.get('Timeout') ?? 0) > (before.get('Timeout') ?? 0),
    'activation started no timer at all',
  );
  await ext.deactivate();
  // File reads already under way finish by themselves; a timer, socket or watcher left behind never does.
  for (let i = 0; i < 60 && added(before, resources()).length; i++)
    await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(added(before, resources()), []);
});
