import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from './harness/paths';

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.(ts|tsx|mts|cts|js|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

describe('test-only code stays out of the product', () => {
  it('nothing in src/ imports the cluster harness or the workload simulator', () => {
    const offenders = sources(join(repoRoot, 'src')).filter((f) =>
      /from\s+['"][^'"]*test\/cluster|require\(\s*['"][^'"]*test\/cluster|simulator\//.test(
        readFileSync(f, 'utf8'),
      ),
    );
    assert.deepEqual(
      offenders.map((f) => relative(repoRoot, f)),
      [],
    );
  });
});
