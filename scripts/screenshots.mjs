#!/usr/bin/env node
// `npm run screenshots`: refreshes the README's pictures (media/screenshots/) from the screenshots the demo's
// end-to-end scenario takes (.test-output/e2e/<scenario>/<label>.png). By default it first runs that scenario
// (test/e2e/demo.test.ts: it starts `npm run demo -- --headless` itself, a few minutes); `--no-run` only copies
// what the last run left. The pictures are the repository's, not the extension's (.vscodeignore keeps them out).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, '.test-output', 'e2e');
const dest = join(root, 'media', 'screenshots');

// README picture <- e2e screenshot (scenario folder / label), and the test file that takes it.
export const shots = [
  ['tree-running-job.png', 'demo/demo-tree.png', 'test/e2e/demo.test.ts'],
  ['pending-reason.png', 'demo/demo-pending.png', 'test/e2e/demo.test.ts'],
  ['gpus-mig.png', 'demo/demo-gpus.png', 'test/e2e/demo.test.ts'],
  ['diagnostics-quickfix.png', 'demo/demo-quickfix.png', 'test/e2e/demo.test.ts'],
  ['logs-ranks.png', 'demo/demo-logs.png', 'test/e2e/demo.test.ts'],
  ['notebook-forward.png', 'demo/demo-notebook.png', 'test/e2e/demo.test.ts'],
];

if (!process.argv.includes('--no-run')) {
  const files = [...new Set(shots.map(([, , f]) => f))];
  console.log(`== running ${files.join(', ')}`);
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files],
    { cwd: root, stdio: 'inherit' },
  );
  if (r.status !== 0) console.error('the scenario failed; copying the screenshots it did take');
}

mkdirSync(dest, { recursive: true });
const missing = [];
let copied = 0;
for (const [name, from, test] of shots) {
  const src = join(out, from);
  if (!existsSync(src)) {
    missing.push(`${name} (${from}, taken by ${test})`);
    continue;
  }
  copyFileSync(src, join(dest, name));
  copied++;
  console.log(`${name.padEnd(26)} <- ${from} (${(statSync(src).size / 1024).toFixed(0)} KiB)`);
}
if (missing.length) console.error(`not refreshed (no such screenshot yet):\n  ${missing.join('\n  ')}`);
process.exit(copied > 0 ? 0 : 1);
