// Show Pipeline Graph in code-server: the graph of a KFP IR example shows its task names as SVG text in the
// webview; an edit of the YAML adds a node; clicking a node moves the editor's cursor to the task; moving the
// cursor into a task highlights its node.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator } from 'playwright-core';
import { launch, repoRoot, waitFor, type Workbench } from './harness';

const example = readFileSync(
  join(repoRoot, '..', 'shared', 'crds', 'examples', 'kubeflow-pipelines', 'ir', 'flip_coin.yaml'),
  'utf8',
);
// The same IR with its two trailing root keys moved to the top, so that root.dag.tasks ends the file and an edit
// can append a task.
const tail = example.split('\n').filter((l) => /^(schemaVersion|sdkVersion):/.test(l));
assert.equal(tail.length, 2, 'flip_coin.yaml ends with schemaVersion and sdkVersion');
const FILE = `${tail.join('\n')}\n${example
  .split('\n')
  .filter((l) => !tail.includes(l))
  .join('\n')
  .trimEnd()}\n`;
const lines = FILE.split('\n');
/** 1-based line of the root task `flip-coin:` (the last one: the components come first). */
const flipCoinLine = lines.lastIndexOf('      flip-coin:') + 1;
const condition4Line = lines.lastIndexOf('      condition-4:') + 1;

describe('Show Pipeline Graph in code-server', () => {
  let wb: Workbench;
  let graph: FrameLocator;

  before(async () => {
    wb = await launch({
      name: 'pipeline-graph',
      files: { 'pipelines/flip_coin.yaml': FILE },
      // Typed text stays as typed: the appended YAML carries its own indentation.
      settings: {
        // VS Code's defaults for YAML set autoIndent per language, so the override is per language too.
        '[yaml]': { 'editor.autoIndent': 'none' },
        'editor.autoIndent': 'none',
        'editor.autoClosingBrackets': 'never',
        'editor.autoClosingQuotes': 'never',
        'editor.formatOnType': false,
        'editor.acceptSuggestionOnEnter': 'off',
        'editor.quickSuggestions': { other: false, comments: false, strings: false },
      },
    });
  });
  after(async () => wb?.close());

  const svgText = async (): Promise<string[]> =>
    graph
      .locator('svg.graph text.name')
      .evaluateAll((els) => els.map((e) => e.textContent ?? ''))
      .catch(() => []);

  it('shows the task names of a KFP IR as SVG text', async () => {
    await wb.guard('open', async () => {
      await wb.openFile('pipelines/flip_coin.yaml');
      await wb.runCommand('Gantry: Show Pipeline Graph');
      // The webview: an outer iframe of the workbench, the page itself in its inner #active-frame.
      graph = wb.page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      const names = await waitFor(
        'the task names in the graph',
        async () => {
          const t = await svgText();
          return t.includes('flip-coin') && t.includes('print-msg-4') ? t : undefined;
        },
        60_000,
      );
      for (const task of [
        'flip-coin',
        'condition-1',
        'condition-4',
        'random-num',
        'print-msg',
        'print-msg-3',
      ])
        assert.ok(names.includes(task), `${task} in ${names.join(', ')}`);
      assert.equal(names.length, 13);
      await wb.screenshot('kfp-graph');
    });
  });

  it('adds a node when the YAML gets a task', async () => {
    await wb.guard('edit', async () => {
      const editor = wb.activeEditor();
      await editor.click();
      await wb.page.keyboard.press('Control+End');
      await wb.page.keyboard.insertText(
        '      extra-task:\n        componentRef:\n          name: comp-flip-coin\n        dependentTasks:\n        - flip-coin\n        taskInfo:\n          name: extra-task\n',
      );
      const names = await waitFor(
        'extra-task in the graph',
        async () => {
          const t = await svgText();
          return t.includes('extra-task') ? t : undefined;
        },
        30_000,
      );
      assert.equal(names.length, 14);
      // The new dependency is drawn too.
      const edge = graph.locator('path.edge[data-from="flip-coin"][data-to="extra-task"]');
      await edge.waitFor({ state: 'attached', timeout: 10_000 });
      await wb.screenshot('kfp-graph-edited');
    });
  });

  it('clicking a node moves the cursor to its task', async () => {
    await wb.guard('click', async () => {
      await graph.locator('g.node[data-id="flip-coin"]').click();
      const status = wb.page.locator('[id="status.editor.selection"]');
      await waitFor(
        `the cursor on line ${flipCoinLine}`,
        async () => {
          const t = (await status.textContent().catch(() => '')) ?? '';
          return t.includes(`Ln ${flipCoinLine},`) ? t : undefined;
        },
        20_000,
      );
    });
  });

  it('moving the cursor into a task highlights its node', async () => {
    await wb.guard('cursor', async () => {
      await wb.activeEditor().click();
      await wb.page.keyboard.press('F1');
      const input = wb.page.locator('.quick-input-widget .quick-input-box input');
      await input.fill(`:${condition4Line + 2}`);
      await wb.page.keyboard.press('Enter');
      await graph
        .locator('g.node.highlight[data-id="condition-4"]')
        .waitFor({ state: 'attached', timeout: 20_000 });
      assert.equal(await graph.locator('g.node.highlight').count(), 1);
    });
  });

  it('exports the graph as a standalone SVG file', async () => {
    await wb.guard('export', async () => {
      const target = join(wb.dirs.workspace, 'pipelines', 'flip_coin.graph.svg');
      await graph.locator('#export').click();
      // code-server's save dialog is a quick input holding the proposed path.
      const input = wb.page.locator('.quick-input-widget .quick-input-box input');
      await input.waitFor({ timeout: 20_000 });
      // The dialog fills in the proposed path after it opens.
      await waitFor(
        'the proposed file name',
        async () => /pipelines\/flip_coin\.graph\.svg$/.test(await input.inputValue()) || undefined,
        10_000,
      );
      await wb.page.keyboard.press('Enter');
      const svg = await waitFor('the exported file', () =>
        existsSync(target) ? readFileSync(target, 'utf8') : undefined,
      );
      assert.match(svg, /^<\?xml [^>]*\?>\n<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      for (const task of ['flip-coin', 'extra-task', 'print-msg-4'])
        assert.ok(svg.includes(`>${task}<`), task);
      // Theme colours are resolved into attributes: no CSS variable or class is left for a viewer to miss.
      assert.ok(!svg.includes('var(--vscode'), 'unresolved theme variables');
      assert.ok(!/ class="/.test(svg), 'classes left in the export');
      assert.match(svg, /<rect [^>]*fill="rgb/);
    });
  });
});
