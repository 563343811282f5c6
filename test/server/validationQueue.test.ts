// The validation queue (src/server/validationQueue.ts): bursts of edits publish only the newest version;
// huge files are validated in chunks and their diagnostics land on the right lines.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DocumentSymbol } from 'vscode-languageserver-protocol';
import { splitChunks } from '../../src/server/server';
import { inProcess, type TestClient } from './helpers/lsp';

const configMap = (i: number, dataKey = 'data'): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n${dataKey}:\n  k: v\n`;

describe('validation queue', () => {
  let c: TestClient;
  before(async () => {
    // Tiny thresholds so a few hundred lines count as a huge file.
    c = inProcess({ debounceMs: 250, hugeLines: 100, chunkDocs: 4 });
    await c.initialize();
  });
  after(async () => c.close());

  test('a burst of changes publishes diagnostics for the newest version only', async () => {
    const uri = 'file:///w/burst.yaml';
    await c.open(uri, configMap(0));
    let last = 0;
    for (let i = 1; i <= 5; i++)
      last = await c.changeOnly(uri, [{ text: configMap(i, i === 5 ? 'dat' : 'data') }]);
    const newest = await c.diagnostics(uri, last);
    assert.deepEqual(
      newest.diagnostics.map((d) => d.code),
      ['unknown-field'],
    );
    const versions = c.published(uri).map((p) => p.version);
    assert.deepEqual(versions, [1, last], 'intermediate versions were never validated');
  });

  test('a huge multi-document file is validated in chunks with diagnostics on their own lines', async () => {
    const uri = 'file:///w/huge.yaml';
    const docs = Array.from({ length: 40 }, (_, i) => configMap(i, i === 7 || i === 33 ? 'dataa' : 'data'));
    const text = docs.join('---\n');
    const ds = await c.open(uri, text);
    // Each document is 6 lines plus its `---` separator.
    assert.deepEqual(
      ds.map((d) => [d.code, d.range.start.line]),
      [
        ['unknown-field', 7 * 7 + 4],
        ['unknown-field', 33 * 7 + 4],
      ],
    );
    assert.equal(splitChunks(text, 4).length, 10, 'the file was split');

    // Its outline comes from a line scan: one symbol per document, no parse.
    const syms = await c.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
    assert.deepEqual(
      syms.map((s) => s.name),
      docs.map((_, i) => `ConfigMap/cm-${i}`),
    );
    assert.deepEqual(syms[1]!.range, { start: { line: 7, character: 0 }, end: { line: 12, character: 6 } });
    assert.ok(syms.every((s) => s.children?.length === 0));
  });

  test('splitChunks cuts only at document markers, by document count or size, and keeps every line', () => {
    const text = ['a: 1', 'b: 2', '---', 'c: 3', '--- # x', 'd: |', '  ---', 'e: 5', '---', 'f: 6'].join(
      '\n',
    );
    const byDocs = splitChunks(text, 2);
    assert.deepEqual(
      byDocs.map((ch) => ch.line),
      [0, 4],
    );
    assert.equal(byDocs.map((ch) => ch.text).join('\n'), text);
    // A line added inside the first chunk moves no boundary but its own lines.
    const longer = splitChunks(text.replace('b: 2', 'b: 2\nbb: 3'), 2);
    assert.deepEqual(
      longer.map((ch) => ch.text),
      [byDocs[0]!.text.replace('b: 2', 'b: 2\nbb: 3'), byDocs[1]!.text],
    );
    assert.deepEqual(
      splitChunks(text, 100, 3).map((ch) => ch.line),
      [0, 4, 8],
    );
  });
});
