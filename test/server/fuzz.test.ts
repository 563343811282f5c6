// Fuzzing the language server as editors run it (`node dist/server.js --stdio`): 10,000 mutations of the shared
// examples (lost and doubled lines, broken indentation, stray and random bytes, huge scalars, deep nesting,
// anchors, aliases and alias bombs, and a few 10 MB files). The server must stay up, publish diagnostics for
// every document with ranges inside it, and log no validation failure. A validation that never ends is caught
// by a generous watchdog; how long validations take is a benchmark figure (bench/lsp/fuzz.mjs), printed here.
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Diagnostic } from 'vscode-languageserver-types';
import { overStdio, repoRoot, type TestClient } from './helpers/lsp';
import { mutate, Rng, tenMegabytes } from './fuzz/mutate';
import { examples } from './validation/helpers';
import { MAX_DIAGNOSTICS } from '../../src/server/server';

const N = Number(process.env.GANTRY_FUZZ_CASES ?? 10_000);
const SEED = Number(process.env.GANTRY_FUZZ_SEED ?? 20261206);
/** Replays one case (its number in a failure message) without sending the others. */
const ONLY = process.env.GANTRY_FUZZ_ONLY === undefined ? undefined : Number(process.env.GANTRY_FUZZ_ONLY);
/** A hang, not a slow validation: the benchmark holds the 2 s goal. */
const HANG_MS = 60_000;

const serverJs = path.join(repoRoot, 'dist', 'server.js');
let c: TestClient & { child: ChildProcess };
const serverErrors: string[] = [];
let stderr = '';

before(async () => {
  if (!existsSync(serverJs)) {
    const r = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: repoRoot, stdio: 'inherit' });
    assert.equal(r.status, 0, 'build failed');
  }
  c = overStdio(serverJs);
  c.child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
  c.conn.onNotification('window/logMessage', (p: { type: number; message: string }) => {
    if (p.type === 1) serverErrors.push(p.message.slice(0, 2000));
  });
  await c.initialize();
});
after(async () => c?.close());

function checkRanges(ds: Diagnostic[], text: string): string | undefined {
  let lineCount = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineCount++;
  for (const d of ds) {
    const { start, end } = d.range;
    if (start.line < 0 || start.character < 0 || end.line >= lineCount + 1) return JSON.stringify(d);
    if (end.line < start.line || (end.line === start.line && end.character < start.character))
      return JSON.stringify(d);
  }
  return undefined;
}

test(`the server survives ${N} mutated manifests and answers each`, { timeout: 40 * 60_000 }, async () => {
  const corpus = examples().filter((e) => e.text.trim());
  assert.ok(corpus.length >= 20, `only ${corpus.length} examples`);
  const r = new Rng(SEED);
  const times: { ms: number; label: string }[] = [];
  const t0 = Date.now();
  let withProblems = 0;
  for (let i = 0; i < N; i++) {
    const ex = r.pick(corpus);
    // A 10 MB file every 2,500 cases (4 in a full run), the rest mutated once to four times.
    const m =
      i % 2500 === 1249 ? { text: tenMegabytes(ex.text), applied: ['tenMegabytes'] } : mutate(ex.text, r);
    if (ONLY !== undefined && i !== ONLY) continue;
    const label = `case ${i} (seed ${SEED}): ${ex.name} + ${m.applied.join(', ')}, ${m.text.length} chars`;
    const uri = `file:///fuzz/case-${i}.yaml`;
    if (process.env.GANTRY_FUZZ_DUMP) writeFileSync(process.env.GANTRY_FUZZ_DUMP, m.text);
    const start = process.hrtime.bigint();
    let ds: Diagnostic[];
    try {
      const got = c.diagnostics(uri, 1, HANG_MS);
      await c.conn.sendNotification('textDocument/didOpen', {
        textDocument: { uri, languageId: 'yaml', version: 1, text: m.text },
      });
      ds = (await got).diagnostics;
    } catch (e) {
      assert.fail(
        `${label}: ${(e as Error).message}; server exit ${c.child.exitCode} ${c.child.signalCode}\n${stderr}`,
      );
    }
    times.push({ ms: Number(process.hrtime.bigint() - start) / 1e6, label });
    if (ds.length) withProblems++;
    assert.ok(ds.length <= MAX_DIAGNOSTICS, `${label}: ${ds.length} diagnostics`);
    const bad = checkRanges(ds, m.text);
    assert.equal(bad, undefined, `${label}: a diagnostic outside the document: ${bad}`);
    assert.deepEqual(serverErrors, [], label);
    assert.equal(c.child.exitCode, null, `${label}: the server exited\n${stderr}`);
    await c.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }
  // Still answering after all of it.
  const last = await c.open(
    'file:///fuzz/after.yaml',
    'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containerz: []\n',
  );
  assert.ok(
    last.some((d) => d.code === 'unknown-field'),
    JSON.stringify(last),
  );
  const sorted = [...times].sort((a, b) => a.ms - b.ms);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.ms.toFixed(1);
  const worst = sorted.slice(-3).reverse();
  console.log(
    `fuzz: ${N} cases in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${withProblems} with problems; ` +
      `time to diagnostics p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${worst[0]!.ms.toFixed(0)} ms\n` +
      worst.map((w) => `  ${w.ms.toFixed(0)} ms  ${w.label}`).join('\n'),
  );
});
