#!/usr/bin/env node
// Runs one test tier with node's built-in test runner (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs <dir or file> [--exclude <file>]... [extra node --test args]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const [dir, ...args] = process.argv.slice(2);
if (!dir) {
  console.error('usage: run-tests.mjs <test dir or file> [--exclude <file>]... [node --test options]');
  process.exit(2);
}
const excluded = new Set();
const rest = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--exclude' && args[i + 1]) excluded.add(resolve(args[++i]));
  else rest.push(args[i]);
}

function find(d) {
  const out = [];
  for (const name of readdirSync(d).sort()) {
    const p = join(d, name);
    if (name === 'node_modules' || name === 'fixtures') continue;
    if (statSync(p).isDirectory()) out.push(...find(p));
    // *.cluster.test.ts files need the shared local cluster: `npm run test:cluster` runs them.
    else if (name.endsWith('.test.ts') && !name.endsWith('.cluster.test.ts')) out.push(p);
  }
  return out;
}

const files = (statSync(dir).isFile() ? [dir] : find(dir)).filter((f) => !excluded.has(resolve(f)));
if (files.length === 0) {
  console.error(`no test files under ${dir}`);
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', ...rest, ...files],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
