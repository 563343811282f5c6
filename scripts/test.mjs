#!/usr/bin/env node
// The one test command: installs what is missing, then runs every tier and prints one summary.
// Tiers are npm scripts; a tier whose script is not defined yet is skipped with a note.
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
  ['setup', 'setup:e2e'],
  ['tier', 'lint'],
  ['tier', 'format:check'],
  ['tier', 'typecheck'],
  ['tier', 'test:unit'],
  ['tier', 'test:server'],
  ['tier', 'test:package'],
  ['tier', 'test:cluster'],
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

// node --test (spec reporter) closes with "ℹ pass N" / "ℹ fail N".
function counts(text) {
  const pass = [...text.matchAll(/^\S* ?pass (\d+)$/gm)].reduce((s, m) => s + Number(m[1]), 0);
  const fail = [...text.matchAll(/^\S* ?fail (\d+)$/gm)].reduce((s, m) => s + Number(m[1]), 0);
  return { pass, fail };
}

const results = [];
for (const [kind, script] of steps) {
  if (!pkg.scripts?.[script]) {
    results.push({ script, status: 'not defined', seconds: 0, pass: 0, fail: 0 });
    continue;
  }
  console.log(`\n== ${script}`);
  const r = await run(script);
  const c = counts(r.text);
  results.push({ script, status: r.code === 0 ? 'ok' : `FAILED (exit ${r.code})`, seconds: r.seconds, ...c });
  if (r.code !== 0 && kind === 'setup')
    console.error(`setup step ${script} failed; tiers that need it will fail too`);
}

console.log('\n== summary');
for (const r of results) {
  const tests = r.pass || r.fail ? `  ${r.pass} passed, ${r.fail} failed` : '';
  console.log(`${r.script.padEnd(14)} ${r.status.padEnd(18)} ${r.seconds.toFixed(1).padStart(7)}s${tests}`);
}
const pass = results.reduce((s, r) => s + r.pass, 0);
const fail = results.reduce((s, r) => s + r.fail, 0);
const broken = results.filter((r) => r.status.startsWith('FAILED'));
console.log(`tests: ${pass} passed, ${fail + broken.filter((r) => r.fail === 0).length} failed`);
process.exit(broken.length ? 1 : 0);
