// The demo's workspace (demo/workspace, what `npm run demo` opens) through the language server, over LSP: the
// manifests meant to be submitted have no diagnostic at all, offline and against the demo cluster's facts (the
// fixture node pool and the LocalQueues of demo/scene); mistakes.yaml has exactly the mistakes its comments
// promise, each with the quick fix the workspace README tells people to try.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CodeAction, Diagnostic } from 'vscode-languageserver-protocol';
import { parseAllDocuments } from 'yaml';
import { clusterChanged, clusterApplied } from '../../src/shared/protocol';
import { inProcess, repoRoot, type TestClient } from './helpers/lsp';
import { fixtureFacts } from './validation/helpers';

const dir = join(repoRoot, 'demo', 'workspace');
const uri = (f: string): string => `file://${join(dir, f)}`;
const text = (f: string): string => readFileSync(join(dir, f), 'utf8');
const yamlFiles = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const good = yamlFiles.filter((f) => f !== 'mistakes.yaml');

/** The LocalQueues the demo's scene creates (demo/scene/*.yaml), as the client would report them. */
function sceneQueues(): { namespace: string; name: string }[] {
  const sceneDir = join(repoRoot, 'demo', 'scene');
  const out: { namespace: string; name: string }[] = [];
  for (const f of readdirSync(sceneDir).filter((x) => x.endsWith('.yaml'))) {
    for (const d of parseAllDocuments(readFileSync(join(sceneDir, f), 'utf8'))) {
      const o = d.toJS() as { kind?: string; metadata?: { name: string; namespace?: string } } | null;
      if (o?.kind === 'LocalQueue' && o.metadata)
        out.push({ namespace: o.metadata.namespace ?? 'default', name: o.metadata.name });
    }
  }
  return out;
}

/** "line:code" (1-based line, as the editor shows it), sorted. */
function brief(ds: Diagnostic[]): string[] {
  return ds.map((d) => `${d.range.start.line + 1}:${String(d.code)}`).sort();
}

/** 1-based line of the first line containing `needle` (after the line containing `after`, if given). */
function lineOf(file: string, needle: string, after?: string): number {
  const lines = text(file).split('\n');
  const from = after ? lines.findIndex((l) => l.includes(after)) : 0;
  const i = lines.findIndex((l, k) => k >= from && l.includes(needle));
  assert.ok(i >= 0, `${needle} not in ${file}`);
  return i + 1;
}

// What mistakes.yaml is written to show (its comments say which), by line. Offline: the file alone.
const offline = (): string[] =>
  [
    `${lineOf('mistakes.yaml', 'replicsa')}:unknown-field`,
    `${lineOf('mistakes.yaml', 'image: nvcr.io/nvidia/pytorch:latest')}:GANTRY111`,
    `${lineOf('mistakes.yaml', 'nvidia.com/gpu: 1', 'requests:')}:GANTRY102`,
    `${lineOf('mistakes.yaml', '    worker:')}:GANTRY105`,
    `${lineOf('mistakes.yaml', 'nvidia.com/gpu: 16')}:GANTRY113`,
    `${lineOf('mistakes.yaml', 'nvidia.com/gpu: 0.5')}:GANTRY101`,
  ].sort();
// With the demo cluster's facts, the live rules add theirs.
const live = (): string[] =>
  [
    ...offline(),
    `${lineOf('mistakes.yaml', 'nvidia.com/gpu: 16')}:GANTRY103`,
    `${lineOf('mistakes.yaml', 'kueue.x-k8s.io/queue-name: amd-queu')}:GANTRY106`,
    `${lineOf('mistakes.yaml', 'nvidia.com/gpu: 1', '- name: convert')}:GANTRY110`,
  ].sort();

describe('the demo workspace through the language server', () => {
  let c: TestClient;
  before(async () => {
    c = inProcess();
    await c.initialize();
  });
  after(() => c.close());

  test('the workspace has the files its README promises', () => {
    assert.deepEqual(yamlFiles, [
      'mistakes.yaml',
      'pipeline.yaml',
      'pytorchjob.yaml',
      'rayjob.yaml',
      'trainjob.yaml',
      'workflow.yaml',
    ]);
    const readme = text('README.md');
    for (const f of yamlFiles) assert.ok(readme.includes(f), `README.md does not mention ${f}`);
  });

  test('offline: the manifests to submit have no diagnostic; mistakes.yaml has exactly its mistakes', async () => {
    for (const f of good) assert.deepEqual(brief(await c.open(uri(f), text(f))), [], f);
    assert.deepEqual(brief(await c.open(uri('mistakes.yaml'), text('mistakes.yaml'))), offline());
  });

  test('with the demo cluster facts: still nothing on the good files, and the live rules on mistakes.yaml', async () => {
    const applied = c.notification<{ error?: string }>(clusterApplied);
    const mistakes = c.diagnostics(uri('mistakes.yaml'));
    await c.conn.sendNotification(clusterChanged, {
      clusterId: 'demo',
      schemas: { docs: {} },
      facts: fixtureFacts(sceneQueues()),
    });
    assert.equal((await applied).error, undefined);
    const ds = (await mistakes).diagnostics;
    // Every file was revalidated in the same pass; a request's answer comes after whatever the server sent
    // before it. The good files' findings did not change, so nothing new was sent for them (the server sends
    // a document's diagnostics again only when they differ), and the last ones they got are still none.
    await c.request('textDocument/documentSymbol', { textDocument: { uri: uri(good[0]!) } });
    for (const f of good) {
      const last = c.published(uri(f)).at(-1);
      assert.ok(last, `${f}: diagnostics were sent when it opened`);
      assert.deepEqual(brief(last.diagnostics), [], f);
    }
    assert.deepEqual(brief(ds), live());
    // The messages a person reads.
    const msg = (code: string): string => String(ds.find((d) => d.code === code)?.message);
    assert.match(msg('unknown-field'), /did you mean "replicas"/);
    assert.match(msg('GANTRY106'), /amd-queu/);
    assert.match(msg('GANTRY106'), /amd-queue/);
    assert.match(msg('GANTRY103'), /the most any of the nodes of the cluster has is 8/);
  });

  test('the quick fixes the README mentions are offered', async () => {
    const current = c.published(uri('mistakes.yaml')).at(-1)?.diagnostics ?? assert.fail('no diagnostics');
    const titles = async (code: string): Promise<string[]> => {
      const d = current.find((x) => x.code === code);
      assert.ok(d, `no ${code}`);
      const actions = await c.request<CodeAction[]>('textDocument/codeAction', {
        textDocument: { uri: uri('mistakes.yaml') },
        range: d.range,
        context: { diagnostics: [d], only: ['quickfix'] },
      });
      return actions.map((a) => a.title);
    };
    assert.ok((await titles('unknown-field')).some((t) => /replicas/.test(t)));
    assert.ok((await titles('GANTRY102')).some((t) => /Set limits\.nvidia\.com\/gpu to 1/.test(t)));
    assert.ok((await titles('GANTRY105')).some((t) => /Worker/.test(t)));
    assert.ok((await titles('GANTRY106')).some((t) => /amd-queue/.test(t)));
  });
});
