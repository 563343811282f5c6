#!/usr/bin/env node
// The one test command: installs what is missing, then runs every tier and prints one summary.
// Tiers are npm scripts; a tier whose script is not defined yet is skipped with a note.
// Nothing skips silently: the summary prints each tier's skipped and todo tests, and with CI=true a tier with
// any skipped or todo test fails.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);

function lockHash() {
  return createHash('sha256').update(readFileSync('package-lock.json')).digest('hex');
}

// npm ci when node_modules is missing or was installed from another lock file.
const stamp = 'node_modules/.gantry-lock-sha256';
if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== lockHash()) {
  console.log('== installing npm packages (npm ci)');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('npm ci failed');
    process.exit(1);
  }
  writeFileSync(stamp, lockHash());
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const only = process.argv.slice(2);
// Setup steps first (they build or install slow things once and cache them), then the tiers.
const steps = [
  ['setup', 'setup:cluster'],
  // The real ML operators (cached per version; 1,254 CPU-s cold, 10-20 min on 2 cores, see test/cluster/README.md).
  ['setup', 'setup:operators'],
  ['setup', 'setup:e2e'],
  ['setup', 'setup:jupyter'],
  ['tier', 'lint'],
  ['tier', 'format:check'],
  ['tier', 'typecheck'],
  ['tier', 'test:unit'],
  ['tier', 'test:server'],
  ['tier', 'test:package'],
  // One cluster with the real ML operators (and the simulator for the kinds none serves here).
  ['tier', 'test:cluster'],
  // The e2e harness's self-tests on a fixture extension, apart from Gantry's own scenarios.
  ['tier', 'test:e2e:harness'],
  ['tier', 'test:e2e'],
].filter(([, name]) => only.length === 0 || only.some((o) => name.includes(o)));

function run(script) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn('npm', ['run', '--silent', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    const take = (sink) => (chunk) => {
      sink.write(chunk);
      text += chunk.toString();
      if (text.length > 1_000_000) text = text.slice(-500_000);
    };
    child.stdout.on('data', take(process.stdout));
    child.stderr.on('data', take(process.stderr));
    child.on('close', (code) => resolve({ code: code ?? 1, text, seconds: (Date.now() - started) / 1000 }));
  });
}

// node --test (spec reporter) closes with "ℹ pass N", "ℹ fail N", "ℹ cancelled N", "ℹ skipped N", "ℹ todo N"
// (once per run: a tier may run node --test more than once).
function count(text, what) {
  return [...text.matchAll(new RegExp(`^\\S* ?${what} (\\d+)$`, 'gm'))].reduce((s, m) => s + Number(m[1]), 0);
}
function counts(text) {
  return {
    pass: count(text, 'pass'),
    fail: count(text, 'fail') + count(text, 'cancelled'),
    skipped: count(text, 'skipped'),
    todo: count(text, 'todo'),
  };
}
const ci = process.env.CI === 'true';

const results = [];
for (const [kind, script] of steps) {
  if (!pkg.scripts?.[script]) {
    results.push({ script, status: 'not defined', seconds: 0, pass: 0, fail: 0, skipped: 0, todo: 0 });
    continue;
  }
  console.log(`\n== ${script}`);
  const r = await run(script);
  const c = counts(r.text);
  let status = r.code === 0 ? 'ok' : `FAILED (exit ${r.code})`;
  if (r.code === 0 && ci && c.skipped + c.todo > 0) status = 'FAILED (skips, CI)';
  results.push({ script, status, seconds: r.seconds, ...c });
  if (r.code !== 0 && kind === 'setup')
    console.error(`setup step ${script} failed; tiers that need it will fail too`);
}

console.log('\n== summary');
for (const r of results) {
  const tests =
    r.pass || r.fail || r.skipped || r.todo
      ? `  ${r.pass} passed, ${r.fail} failed, ${r.skipped} skipped, ${r.todo} todo`
      : '';
  console.log(`${r.script.padEnd(17)} ${r.status.padEnd(18)} ${r.seconds.toFixed(1).padStart(7)}s${tests}`);
}
const sum = (k) => results.reduce((s, r) => s + r[k], 0);
const broken = results.filter((r) => r.status.startsWith('FAILED'));
console.log(
  `tests: ${sum('pass')} passed, ${sum('fail') + broken.filter((r) => r.fail === 0).length} failed, ` +
    `${sum('skipped')} skipped, ${sum('todo')} todo` +
    (ci && sum('skipped') + sum('todo') > 0 ? ' (CI=true: a skipped or todo test fails its tier)' : ''),
);
process.exit(broken.length ? 1 : 0);
