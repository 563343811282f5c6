import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';
import { kubeconfigPresence } from '../../src/kubeconfigPresence';

const dir = mkdtempSync(join(tmpdir(), 'gantry-kc-'));
const a = join(dir, 'a.yaml');
writeFileSync(a, 'apiVersion: v1\nkind: Config\n');

test('KUBECONFIG lists several files; only existing ones are found', async () => {
  const r = await kubeconfigPresence(undefined, {
    KUBECONFIG: [a, join(dir, 'missing')].join(delimiter),
    HOME: dir,
  });
  assert.deepEqual(r.searched, [a, join(dir, 'missing')]);
  assert.deepEqual(r.found, [a]);
});

test('without KUBECONFIG it looks at ~/.kube/config', async () => {
  const r = await kubeconfigPresence(undefined, { HOME: dir });
  assert.deepEqual(r.searched, [join(dir, '.kube', 'config')]);
  assert.deepEqual(r.found, []);
});

test('an explicit setting wins and expands ~', async () => {
  const r = await kubeconfigPresence('~/a.yaml', { KUBECONFIG: '/nope', HOME: dir });
  assert.deepEqual(r.found, [a]);
});
