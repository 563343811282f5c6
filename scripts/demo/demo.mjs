#!/usr/bin/env node
// `npm run demo`: Gantry at work in one command. Installs what it needs the way `npm test` does (npm ci when
// node_modules is missing or stale, the cluster binaries, the ML operators, code-server, JupyterLab; all cached in
// ~/.cache/gantry or $GANTRY_CACHE), builds the .vsix when it is older than its sources, then hands over to
// scripts/demo/up.ts (local cluster + scene + code-server) and waits for it. No dependencies of its own:
// node_modules may not exist yet when it starts.
//
//   npm run demo [-- --port 8080] [--host 127.0.0.1] [--headless]
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
process.chdir(root);
const t0 = Date.now();
const say = (m) => console.error(`[demo] ${m}`);
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log('usage: npm run demo [-- --port N] [--host ADDR] [--headless]');
  console.log('  --port N      code-server port (default 8080 when free, else any free port)');
  console.log('  --host ADDR   bind address (default 127.0.0.1; any other address turns on a password)');
  console.log('  --headless    print the URL and stay up without opening a browser');
  process.exit(0);
}

// Ctrl-C during the install steps: the children get the terminal's SIGINT too; just stop.
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => (stopping = true));

function step(what, cmd, argv, opts = {}) {
  if (stopping) process.exit(130);
  const t = Date.now();
  say(what);
  const r = spawnSync(cmd, argv, {
    stdio: ['ignore', opts.stdout ?? 'inherit', 'inherit'],
    encoding: 'utf8',
  });
  if (stopping) process.exit(130);
  if (r.status !== 0) {
    say(`FAILED: ${cmd} ${argv.join(' ')} (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
  say(`  ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return (r.stdout ?? '').trim();
}

// npm ci exactly as scripts/test.mjs does it (same stamp file), so either command fills node_modules.
const lockHash = () => createHash('sha256').update(readFileSync('package-lock.json')).digest('hex');
const stamp = 'node_modules/.gantry-lock-sha256';
if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== lockHash()) {
  step('installing npm packages (npm ci)', 'npm', ['ci', '--no-audit', '--no-fund']);
  writeFileSync(stamp, lockHash());
}

step('cluster binaries (scripts/cluster/build.sh; cached)', 'bash', ['scripts/cluster/build.sh'], {
  stdout: 'pipe',
});
// The real ML operators the scene runs on (training-operator, Trainer v2 + JobSet, KubeRay, LWS, Kueue): built from
// their Go modules once per version, like the control plane (the first time takes a while; `npm test` fills the
// same cache).
step(
  'ML operators (scripts/cluster/operators.sh; cached: the first build takes 10-20 min on 2 cores)',
  'bash',
  ['scripts/cluster/operators.sh'],
  { stdout: 'pipe' },
);
step('code-server and chromium (scripts/e2e/setup.sh; cached)', 'bash', ['scripts/e2e/setup.sh'], {
  stdout: 'pipe',
});
// JupyterLab for the notebook's port-forward: the port-forward work's setup script when this checkout has it.
let jupyterVenv = '';
if (existsSync('scripts/e2e/jupyter.sh')) {
  jupyterVenv = step('JupyterLab (scripts/e2e/jupyter.sh; cached)', 'bash', ['scripts/e2e/jupyter.sh'], {
    stdout: 'pipe',
  })
    .split('\n')
    .pop();
}

// The .vsix, rebuilt when anything it is made of is newer.
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const vsix = join(root, `${pkg.name}-${pkg.version}.vsix`);
function newest(p) {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(p).map((n) => newest(join(p, n))));
}
const inputs = ['src', 'schemas', 'media', 'package.json', 'README.md'].filter((p) => existsSync(p));
if (!existsSync(vsix) || statSync(vsix).mtimeMs < Math.max(...inputs.map(newest))) {
  step('building the extension (npm run package)', 'npm', ['run', '--silent', 'package'], { stdout: 'pipe' });
} else {
  say(`extension: ${vsix} is up to date`);
}
if (stopping) process.exit(130);

// The rest needs TypeScript (the cluster harness): node --import tsx. It owns everything it starts and stops
// it on SIGINT/SIGTERM; this process forwards a SIGTERM (a terminal's Ctrl-C reaches both).
const child = spawn(
  process.execPath,
  ['--import', 'tsx', join(root, 'scripts/demo/up.ts'), ...args, '--vsix', vsix],
  {
    stdio: 'inherit',
    env: { ...process.env, GANTRY_DEMO_T0: String(t0), GANTRY_JUPYTER_VENV: jupyterVenv },
  },
);
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
process.on('SIGINT', () => child.kill('SIGINT'));
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
