// The harness helpers against real VS Code UI, using a fixture extension (test/e2e/fixtures/tree-extension) with
// a tree view, a context-menu command and a diagnostic, so later scenarios can rely on them before Gantry's own
// views have content.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launch, packageExtension, type Workbench } from './harness';

describe('e2e harness helpers', () => {
  let wb: Workbench;
  const out = mkdtempSync(join(tmpdir(), 'gantry-e2e-fixture-'));

  before(async () => {
    const fixture = packageExtension(join(import.meta.dirname, 'fixtures', 'tree-extension'), out);
    wb = await launch({
      name: 'harness',
      extraVsix: [fixture],
      files: { 'jobs/train.yaml': 'kind: PyTorchJob\n', 'README.md': '# notes\n' },
    });
  });
  after(async () => {
    await wb?.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('reads, expands and hovers tree items of an extension view', () =>
    wb.guard('tree', async () => {
      await wb.openContainer('Fixture');
      await wb.waitForTreeItem('Fixture Tree', 'jobs');
      assert.deepEqual(await wb.treeItems('Fixture Tree'), [
        { label: 'jobs', description: '', level: 1, expanded: false },
        { label: 'gpus', description: '', level: 1, expanded: undefined },
      ]);
      await wb.clickTreeItem('Fixture Tree', 'jobs');
      await wb.waitForTreeItem('Fixture Tree', 'bert');
      assert.deepEqual(
        (await wb.treeItems('Fixture Tree')).map((i) => [i.label, i.description, i.level]),
        [
          ['jobs', '', 1],
          ['resnet', 'Running', 2],
          ['bert', 'Running', 2],
          ['gpus', '', 1],
        ],
      );
      const tooltip = await wb.hoverTreeItem('Fixture Tree', 'resnet');
      assert.match(tooltip, /PyTorchJob resnet/);
      assert.match(tooltip, /2\/2 workers running/);
    }));

  it('runs a tree item context-menu command with the item as argument', () =>
    wb.guard('menu', async () => {
      const menu = await wb.treeItemMenu('Fixture Tree', 'bert');
      assert.ok(menu.includes('Greet'), JSON.stringify(menu));
      await wb.chooseMenuItem('Greet');
      await wb.waitForText('Hello bert', { within: wb.page.locator('.notifications-toasts') });
      assert.ok((await wb.notifications()).some((n) => n.includes('Hello bert')));
    }));

  it('shows an extension diagnostic in the Problems panel after opening a file', () =>
    wb.guard('problems', async () => {
      await wb.openFile('jobs/train.yaml');
      await wb.waitForEditorText(/kind: PyTorchJob/);
      const problems = await wb.waitForProblem(/replicas must be positive/);
      assert.ok(
        problems.some((p) => /FIX001/.test(p) || /fixture/.test(p)),
        JSON.stringify(problems),
      );
      await wb.screenshot('problems');
    }));

  it('tree items of the Explorer use the same helpers', () =>
    wb.guard('explorer', async () => {
      await wb.openContainer('Explorer');
      await wb.waitForTreeItem('workspace', 'README.md');
      const labels = (await wb.treeItems('workspace')).map((i) => i.label);
      assert.ok(labels.includes('jobs') && labels.includes('README.md'), JSON.stringify(labels));
    }));
});
