// The README a newcomer meets: the two commands first, pictures that exist, and reference tables that match
// package.json and the kinds table (scripts/readme-tables.ts regenerates them).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { render, tables } from '../../scripts/readme-tables';

const root = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

test('the README opens with what Gantry is, then the two commands', () => {
  const firstBlock = /```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const commands = firstBlock
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/\s+#.*$/, '').trim());
  assert.deepEqual(commands, ['npm run demo', 'npm test']);
  assert.ok(readme.indexOf('Gantry is a VS Code extension') < readme.indexOf('```bash'));
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  assert.ok(pkg.scripts.demo && pkg.scripts.test && pkg.scripts.screenshots);
});

test('every picture the README shows is committed', () => {
  const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]!);
  assert.ok(images.length >= 4, 'the README shows the screenshots');
  for (const img of images) assert.ok(existsSync(join(root, img)), `${img} is missing`);
});

test('the commands, settings and kinds tables are generated from their sources', async () => {
  const t = tables();
  assert.match(t.commands, /`gantry\.selectContext`/);
  assert.match(t.settings, /`gantry\.kubeconfig`/);
  assert.match(t.kinds, /PyTorchJob/);
  assert.equal(
    await render(readme),
    readme,
    'README.md tables are stale: run node --import tsx scripts/readme-tables.ts',
  );
});
