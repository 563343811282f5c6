// The cluster harness's webhook cert kit (test/cluster/harness/operators.ts): the operators read their serving
// certs from one fixed folder per machine, so every cluster on the machine, whatever its GANTRY_CACHE, must get
// the same kit, and two starts at once must agree on one.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { WEBHOOK_CERT_DIR, WEBHOOK_PKI_DIR, operatorPki } from '../cluster/harness/operators';

const base = mkdtempSync(join(tmpdir(), 'gantry-pki-test-'));
after(() => rmSync(base, { recursive: true, force: true }));

test('the kit lives beside the fixed cert folder, not in a cache', () => {
  assert.equal(dirname(WEBHOOK_PKI_DIR), dirname(WEBHOOK_CERT_DIR));
  assert.ok(!WEBHOOK_PKI_DIR.includes('.cache'), WEBHOOK_PKI_DIR);
});

test('two starts at once agree on one kit, and its serving cert verifies against its CA', async () => {
  const dir = join(base, 'pki');
  const [a, b] = await Promise.all([operatorPki(dir), operatorPki(dir)]);
  assert.equal(a.dir, dir);
  assert.equal(b.dir, dir);
  const ca = readFileSync(a.caCrt, 'utf8');
  assert.match(ca, /BEGIN CERTIFICATE/);
  // A later start reuses it as it is.
  const c = await operatorPki(dir);
  assert.equal(readFileSync(c.caCrt, 'utf8'), ca);
  const out = execFileSync('openssl', ['verify', '-CAfile', a.caCrt, a.tlsCrt], { encoding: 'utf8' });
  assert.match(out, /: OK/);
  // No half-made kit is left beside it.
  const left = execFileSync('ls', [base], { encoding: 'utf8' }).trim().split('\n');
  assert.deepEqual(left, ['pki']);
});
