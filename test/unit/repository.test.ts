// No file of the repository names a path of the machine it was written on: a test or script that reads
// /work/... or ~/... passes there and fails (or skips) everywhere else. Paths are built from the project root
// (`../shared` beside it), os.tmpdir() and os.homedir() instead.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** Machine paths: the folder holding this checkout, the home directory, and well-known roots of them. */
function machinePaths(): string[] {
  const paths = new Set([`${dirname(ROOT)}/`, '/work/', '/Users/']);
  const home = homedir();
  if (home.length > 1) paths.add(`${home}/`);
  return [...paths];
}

/** Lines of `text` that name a machine path, or a quoted /tmp path (use os.tmpdir()). */
export function machinePathLines(text: string, paths: string[]): string[] {
  const tmp = /["'`]\/tmp\//;
  // A path starts a token: `pipelineInfo/root/components` names no /root/.
  const starts = paths.map((p) => new RegExp(`(^|[^\\w.~-])${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  return text
    .split('\n')
    .map((line, i) => ({ line, n: i + 1 }))
    .filter(({ line }) => tmp.test(line) || starts.some((re) => re.test(line)))
    .map(({ line, n }) => `${n}: ${line.trim().slice(0, 160)}`);
}

test('no tracked file names a machine-absolute path', () => {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean)
    // Generated from the upstream CRDs: their defaults name paths inside containers (e.g. /root/.ssh).
    .filter((f) => !f.startsWith('schemas/') && f !== 'package-lock.json')
    // This file names the patterns it looks for (its self-test below checks them).
    .filter((f) => f !== 'test/unit/repository.test.ts');
  assert.ok(files.length > 100, `git ls-files listed only ${files.length} files`);
  const paths = machinePaths();
  const found = files.flatMap((f) => {
    let text: string;
    try {
      text = readFileSync(join(ROOT, f), 'utf8');
    } catch {
      return []; // deleted in the work tree, not yet committed
    }
    return machinePathLines(text, paths).map((l) => `${f}:${l}`);
  });
  assert.deepEqual(found, []);
});

test('the machine-path check finds the workspace, the home directory and quoted /tmp paths', () => {
  const text = [
    `import { x } from '/work/main/test/cluster/harness/index';`,
    `const dir = '/srv/me/project/file';`,
    `fsPath: '/tmp/gantry-test-storage'`,
    `uri: 'file:///tmp/job.yaml'`,
    `workingDir: /home/jovyan`,
    `two of pipelineInfo/work/components`,
  ].join('\n');
  assert.deepEqual(machinePathLines(text, ['/work/', '/srv/me/']), [
    `1: import { x } from '/work/main/test/cluster/harness/index';`,
    `2: const dir = '/srv/me/project/file';`,
    `3: fsPath: '/tmp/gantry-test-storage'`,
  ]);
});
