#!/usr/bin/env node
// Activation cost of the production bundle: time to require dist/extension.js and run activate() in a fresh
// Node process with a stand-in `vscode` module. Prints the median of N runs and the bundle size, with the
// machine's cores and load. Each probe deactivates and disposes what it activated and must then exit by itself
// (a leaked timer or socket would keep it alive: the probe is killed after PROBE_TIMEOUT_MS and the bench fails).
import { execFileSync, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { machine } from './machine.mjs';

const runs = Number(process.env.RUNS ?? 15);
execFileSync('npm', ['run', '--silent', 'build:production'], { stdio: 'inherit' });

const probe = `
const Module = require('node:module');
const inert = new Proxy(function () {}, { get: (t, p) => (p === 'then' ? undefined : p === Symbol.toPrimitive ? () => '' : inert), set: () => true, apply: () => inert, construct: () => inert });
const load = Module._load;
// esbuild's interop copies the module's own keys, so the stand-in lists every name @types/vscode exports:
// classes become empty classes (libraries extend them at load), the rest inert namespaces.
const dts = require('node:fs').readFileSync(require.resolve('@types/vscode/index.d.ts'), 'utf8');
const stub = {};
for (const m of dts.matchAll(/^\\s*export (class|namespace|enum|const|function|let) (\\w+)/gm)) {
  stub[m[2]] = m[1] === 'class' ? class {} : inert;
}
stub.EventEmitter = class { event = () => ({ dispose() {} }); fire() {} dispose() {} };
stub.Disposable = class { constructor(f) { this.f = f; } dispose() {} };
// Settings read their defaults, and no document is open, as on a fresh window.
stub.workspace = new Proxy({ getConfiguration: () => ({ get: (_k, d) => d }), isTrusted: true, textDocuments: [] }, { get: (t, p) => (p in t ? t[p] : inert) });
Module._load = function (r, ...rest) { return r === 'vscode' ? stub : load.call(this, r, ...rest); };
const t0 = process.hrtime.bigint();
const ext = require(process.argv[1]);
const t1 = process.hrtime.bigint();
const memento = { get: (k, d) => d, update: async () => undefined, keys: () => [] };
process.env.KUBECONFIG = '/nonexistent/gantry-bench-kubeconfig';
const subscriptions = [];
ext.activate({ subscriptions, extensionPath: '/x', asAbsolutePath: (p) => '/x/' + p, globalStorageUri: { fsPath: require('node:path').join(require('node:os').tmpdir(), 'gantry-bench') }, workspaceState: memento, globalState: memento });
const t2 = process.hrtime.bigint();
// What activation defers: the services bundle (Kubernetes client, language client), loaded right after.
require(require('node:path').join(require('node:path').dirname(process.argv[1]), 'services.js'));
const t3 = process.hrtime.bigint();
console.log(JSON.stringify({ require: Number(t1 - t0) / 1e6, activate: Number(t2 - t1) / 1e6, services: Number(t3 - t2) / 1e6 }));
// As VS Code does on shutdown: deactivate(), then dispose context.subscriptions. Nothing may be left running
// (a leaked timer keeps this process alive and the bench fails after PROBE_TIMEOUT_MS).
Promise.resolve(ext.deactivate()).then(() => { for (const d of subscriptions.splice(0)) d.dispose(); });
`;
const PROBE_TIMEOUT_MS = Number(process.env.PROBE_TIMEOUT_MS ?? 60_000);
const samples = [];
for (let i = 0; i < runs; i++) {
  const r = spawnSync(
    process.execPath,
    ['-e', probe, new URL('../dist/extension.js', import.meta.url).pathname],
    {
      encoding: 'utf8',
      timeout: PROBE_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    },
  );
  if (r.error?.code === 'ETIMEDOUT' || r.signal === 'SIGKILL')
    throw new Error(
      `the probe did not exit within ${PROBE_TIMEOUT_MS} ms after deactivate(): something activate() started is still running`,
    );
  if (r.status !== 0) throw new Error(r.stderr);
  samples.push(JSON.parse(r.stdout.trim().split('\n').pop()));
}
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const size = (f) => {
  try {
    return (statSync(f).size / 1024).toFixed(1) + ' KiB';
  } catch {
    return 'absent';
  }
};
console.log(machine());
console.log(`runs: ${runs}`);
console.log(`require dist/extension.js: median ${median(samples.map((s) => s.require)).toFixed(2)} ms`);
console.log(`activate():                median ${median(samples.map((s) => s.activate)).toFixed(2)} ms`);
console.log(
  `require dist/services.js (after activation): median ${median(samples.map((s) => s.services)).toFixed(2)} ms`,
);
console.log(
  `dist/extension.js: ${size('dist/extension.js')}, dist/services.js: ${size('dist/services.js')}, dist/server.js: ${size('dist/server.js')}`,
);
