// A file with tens of thousands of problems (a mangled flow collection reports one per level) sends the editor at
// most MAX_DIAGNOSTICS: errors first, then by position, and one entry counting the rest.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Diagnostic } from 'vscode-languageserver-types';
import { capDiagnostics, MAX_DIAGNOSTICS } from '../../src/server/server';

const at = (line: number, severity: 1 | 2): Diagnostic => ({
  range: { start: { line, character: 0 }, end: { line, character: 1 } },
  severity,
  message: `problem at ${line}`,
});

test('under the cap the list is unchanged; over it, errors first and one line counting the rest', () => {
  const few = [at(3, 2), at(1, 1)];
  assert.equal(capDiagnostics(few), few);
  const many: Diagnostic[] = [];
  for (let i = 0; i < 5000; i++) many.push(at(5000 - i, i % 10 === 0 ? 1 : 2));
  const out = capDiagnostics(many);
  assert.equal(out.length, MAX_DIAGNOSTICS);
  const errors = out.filter((d) => d.severity === 1);
  assert.equal(errors.length, 500, 'all 500 errors kept');
  assert.ok(
    out.slice(0, 500).every((d) => d.severity === 1),
    'errors first',
  );
  assert.deepEqual(
    out.slice(0, 500).map((d) => d.range.start.line),
    errors.map((d) => d.range.start.line).sort((a, b) => a - b),
  );
  const last = out.at(-1)!;
  assert.match(String(last.message), /^4,001 more problems in this file are not listed/);
});
