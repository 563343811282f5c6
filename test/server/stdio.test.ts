// The bundled server as VS Code (or any editor) runs it: `node dist/server.js --stdio`, no settings, a plain
// `yaml` document -> publishDiagnostics from the bundled schemas.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { overStdio, repoRoot, type TestClient } from './helpers/lsp';

const serverJs = path.join(repoRoot, 'dist', 'server.js');
let c: TestClient;

before(() => {
  // `npm run test:server` builds first; a lone run of this file builds if needed.
  if (!existsSync(serverJs)) {
    const r = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: repoRoot, stdio: 'inherit' });
    assert.equal(r.status, 0, 'build failed');
  }
  c = overStdio(serverJs);
});
after(async () => c.close());

test('node dist/server.js --stdio validates a yaml document with the bundled schemas', async () => {
  const init = await c.initialize();
  assert.equal(init.serverInfo?.name, 'gantry');
  const ds = await c.open(
    'file:///tmp/job.yaml',
    'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  backoffLimitt: 3\n  template:\n    spec:\n      restartPolicy: Never\n      containers: []\n',
  );
  const typo = ds.find((d) => d.code === 'unknown-field');
  assert.ok(typo, JSON.stringify(ds));
  assert.deepEqual(typo.range, { start: { line: 5, character: 2 }, end: { line: 5, character: 15 } });
});
