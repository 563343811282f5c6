// The tree provider refreshes rows by element, never the whole view, when only ages moved: a whole-view
// refresh makes VS Code's extension host forget every row it handed out, so a context-menu command chosen
// at that moment receives no row (seen as Follow Logs opening its quick pick instead of following the job).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { installVscodeStub } from '../helpers/vscodeStub';

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
  const p = new ModelTreeProvider<Row & { tooltip?: string }>(() => undefined);
  const m = model([row('g', '', '2 jobs'), row('a', 'g', 'Running · 1m'), row('b', 'g', 'Running · 5m')]);
  p.setModel(m as never);
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

test('no event while a whole-view refresh waits for VS Code to ask for the rows; events again once it asked', async () => {
  const { ModelTreeProvider } = await import('../../../src/views/treeProvider');
  const p = new ModelTreeProvider<Row & { tooltip?: string }>(() => undefined);
  const fired: unknown[] = [];
  p.onDidChangeTreeData((e) => fired.push(e));
  const m = model([row('g', '', '1 job'), row('a', 'g', 'Pending · 1s')]);
  // The first rows, then the rest of the lists arriving before VS Code asked for them: whole-view and row
  // changes alike. VS Code would hold the first refresh back until 200 ms pass without another event.
  p.setModel(m as never);
  m.rows.push(row('h', '', '1 job'));
  p.refresh(['']);
  p.refresh(['g']);
  p.refreshChangedRows();
  p.setModel(m as never);
  assert.deepEqual(fired, [undefined], 'one whole-view event until VS Code asks for the rows');
  // VS Code asks: it gets the newest rows, and later changes are events again.
  const roots = p.getChildren();
  assert.deepEqual(
    roots.map((r) => r.id),
    ['g', 'h'],
  );
  const [a] = p.getChildren(roots[0]);
  m.rows[1]!.description = 'Running · 2s';
  p.refresh(['a']);
  assert.equal(fired.length, 2);
  assert.deepEqual(fired[1], [a]);
  p.refresh(['']);
  assert.deepEqual(fired.slice(2), [undefined]);
  p.dispose();
});
