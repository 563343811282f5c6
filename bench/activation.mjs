#!/usr/bin/env node
// Activation cost of the production bundle: time to require dist/extension.js and run activate() in a fresh
// Node process with a stand-in `vscode` module. Prints the median of N runs and the bundle size.
import { execFileSync, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';

const runs = Number(process.env.RUNS ?? 15);
execFileSync('npm', ['run', '--silent', 'build:production'], { stdio: 'inherit' });

const probe = `
const Module = require('node:module');
const inert = new Proxy(function () {}, { get: (t, p) => (p === 'then' ? undefined : p === Symbol.toPrimitive ? () => '' : inert), apply: () => inert, construct: () => inert });
const load = Module._load;
// esbuild's interop copies the module's own keys, so the stand-in is a plain object of inert namespaces.
const stub = {};
for (const k of ['window', 'workspace', 'commands', 'languages', 'env', 'extensions', 'Uri', 'EventEmitter', 'TreeItem',
  'ThemeIcon', 'ThemeColor', 'MarkdownString', 'Disposable', 'StatusBarAlignment', 'TreeItemCollapsibleState', 'Range',
  'Position', 'ProgressLocation', 'ViewColumn', 'l10n', 'tasks', 'debug', 'authentication']) stub[k] = inert;
// Settings read their defaults, as on a fresh install.
stub.workspace = new Proxy({ getConfiguration: () => ({ get: (_k, d) => d }), isTrusted: true }, { get: (t, p) => (p in t ? t[p] : inert) });
Module._load = function (r, ...rest) { return r === 'vscode' ? stub : load.call(this, r, ...rest); };
const t0 = process.hrtime.bigint();
const ext = require(process.argv[1]);
const t1 = process.hrtime.bigint();
ext.activate({ subscriptions: [], extensionUri: inert, extensionPath: '/x', globalStorageUri: inert, workspaceState: inert, globalState: inert });
const t2 = process.hrtime.bigint();
console.log(JSON.stringify({ require: Number(t1 - t0) / 1e6, activate: Number(t2 - t1) / 1e6 }));
`;
const samples = [];
for (let i = 0; i < runs; i++) {
  const r = spawnSync(
    process.execPath,
    ['-e', probe, new URL('../dist/extension.js', import.meta.url).pathname],
    {
      encoding: 'utf8',
    },
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
console.log(`runs: ${runs}`);
console.log(`require dist/extension.js: median ${median(samples.map((s) => s.require)).toFixed(2)} ms`);
console.log(`activate():                median ${median(samples.map((s) => s.activate)).toFixed(2)} ms`);
console.log(`dist/extension.js: ${size('dist/extension.js')}, dist/server.js: ${size('dist/server.js')}`);
