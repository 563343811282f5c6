// The tree provider refreshes rows by element, never the whole view, when only ages moved: a whole-view
// refresh makes VS Code's extension host forget every row it handed out, so a context-menu command chosen
// at that moment receives no row (seen as Follow Logs opening its quick pick instead of following the job).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { installVscodeStub } from '../helpers/vscodeStub';
import { ManualTimers } from '../k8s/fakes';

installVscodeStub();

interface Row {
  id: string;
  parent: string;
  label: string;
  description: string;
  collapsible: 'none' | 'collapsed' | 'expanded';
  contextValue: string;
}

function model(rows: Row[]) {
  return {
    rows,
    children: (id = '') => rows.filter((r) => r.parent === id).map((r) => ({ ...r })),
    node: (id: string) => {
      const r = rows.find((x) => x.id === id);
      return r && { ...r };
    },
  };
}

const ROOT_ID = '';
const row = (id: string, parent: string, description: string): Row => ({
  id,
  parent,
  label: id,
  description,
  collapsible: parent ? 'none' : 'expanded',
  contextValue: 'x',
});

test('refreshChangedRows fires the rows whose text moved, as elements, and nothing when none moved', async () => {
  const { ModelTreeProvider } = await import('../../../src/views/treeProvider');
  const timers = new ManualTimers();
  const p = new ModelTreeProvider<Row & { tooltip?: string }>(() => undefined, { timers });
  const m = model([row('g', '', '2 jobs'), row('a', 'g', 'Running · 1m'), row('b', 'g', 'Running · 5m')]);
  p.setModel(m as never);
  timers.advance(1000);
  const [g] = p.getChildren();
  const [a, b] = p.getChildren(g);
  const fired: unknown[] = [];
  p.onDidChangeTreeData((e) => fired.push(e));

  p.refreshChangedRows();
  assert.deepEqual(fired, [], 'no row changed, nothing fired');

  m.rows[1]!.description = 'Running · 2m';
  p.refreshChangedRows();
  assert.equal(fired.length, 1);
  const els = fired[0] as Row[];
  assert.ok(Array.isArray(els), 'an element refresh, not the whole view (undefined)');
  assert.deepEqual(els, [a]);
  // The element VS Code knows keeps its identity and carries the new text.
  assert.equal(els[0], a);
  assert.equal(a!.description, 'Running · 2m');
  assert.equal(b!.description, 'Running · 5m');
  p.dispose();
});

test('refresh events are at least 250 ms apart: the first at once, the ones within the spacing merged into one', async () => {
  // VS Code's extension host holds back a tree event that comes within 200 ms of the one before until 200 ms
  // pass without one; events spaced wider go out at once.
  const { ModelTreeProvider, TREE_EVENT_SPACING_MS } = await import('../../../src/views/treeProvider');
  assert.equal(TREE_EVENT_SPACING_MS, 250);
  const timers = new ManualTimers();
  const p = new ModelTreeProvider<Row>(() => undefined, { timers });
  const m = model([row('g', '', '2 jobs'), row('a', 'g', 'Running · 1m'), row('b', 'g', 'Running · 5m')]);
  const fired: { at: number; e: unknown }[] = [];
  p.onDidChangeTreeData((e) => fired.push({ at: timers.now(), e }));
  const t0 = timers.now();
  p.setModel(m as never);
  assert.deepEqual(fired, [{ at: t0, e: undefined }], 'the first event goes out at once');
  const [g] = p.getChildren();
  const [a, b] = p.getChildren(g);
  timers.advance(50);
  m.rows[1]!.description = 'Running · 2m';
  p.refresh(['a']);
  timers.advance(50);
  m.rows[2]!.description = 'Failed · 6m';
  p.refresh(['b']);
  assert.equal(fired.length, 1, 'within the spacing: held');
  timers.advance(149);
  assert.equal(fired.length, 1);
  timers.advance(1);
  assert.equal(fired.length, 2);
  assert.equal(fired[1]!.at - t0, 250, '250 ms after the first');
  assert.deepEqual(fired[1]!.e, [a, b], 'both rows in one event');
  // A whole-tree refresh absorbs the element refreshes waiting with it.
  p.refresh(['a']);
  p.setModel(m as never);
  timers.advance(250);
  assert.equal(fired.length, 3);
  assert.equal(fired[2]!.e, undefined);
  // Quiet for longer than the spacing: the next goes out at once again.
  timers.advance(1000);
  p.refresh([ROOT_ID]);
  assert.equal(fired.length, 4);
  p.refresh(['a']);
  p.dispose();
  assert.equal(timers.pending, 0, 'dispose cancels what waits');
});
