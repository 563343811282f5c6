// The client/server protocol is declared once (src/shared/protocol.ts) as typed message constants, and both
// sides use them: no Gantry method name is spelled elsewhere in src/, and no message is sent or handled by a
// string method name.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';
import * as protocol from '../../src/shared/protocol';

const SRC = resolve(import.meta.dirname, '..', '..', 'src');
const PROTOCOL = join(SRC, 'shared', 'protocol.ts');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const MESSAGE_CALLS = new Set(['sendNotification', 'onNotification', 'sendRequest', 'onRequest']);

/** Gantry method names spelled as literals, and message calls whose method is a literal, in one file. */
export function stringMethods(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const at = (n: ts.Node): string => `${file}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  const visit = (n: ts.Node): void => {
    if (ts.isStringLiteralLike(n) && n.text.startsWith('gantry/')) found.push(`${at(n)} spells '${n.text}'`);
    if (
      ts.isCallExpression(n) &&
      ts.isPropertyAccessExpression(n.expression) &&
      MESSAGE_CALLS.has(n.expression.name.text) &&
      n.arguments[0] &&
      ts.isStringLiteralLike(n.arguments[0])
    )
      found.push(`${at(n)} ${n.expression.name.text}('${n.arguments[0].text}')`);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

test('every message of the protocol is a typed NotificationType or RequestType in the gantry/ namespace', () => {
  const messages = Object.entries(protocol).filter(
    ([, v]) => v instanceof NotificationType || v instanceof RequestType,
  );
  assert.ok(messages.length >= 2, 'no message constants in src/shared/protocol.ts');
  for (const [name, m] of messages)
    assert.match((m as NotificationType<unknown>).method, /^gantry\/[a-z][A-Za-z]+$/, name);
  const methods = messages.map(([, m]) => (m as NotificationType<unknown>).method);
  assert.equal(new Set(methods).size, methods.length, 'two constants share a method name');
  // Nothing else is exported as a bare string that could be a method name.
  const strings = Object.entries(protocol).filter(([, v]) => typeof v === 'string');
  assert.deepEqual(strings, []);
});

test('no Gantry method name is spelled outside src/shared/protocol.ts, and no message is sent by a string', () => {
  const found = tsFiles(SRC)
    .filter((f) => f !== PROTOCOL)
    .flatMap((f) => stringMethods(relative(SRC, f), readFileSync(f, 'utf8')));
  assert.deepEqual(found, []);
});

test('the method-name check finds literals and string-keyed message calls', () => {
  const text = [
    `client.sendNotification('gantry/x', {});`,
    `connection.onRequest('textDocument/foo', () => null);`,
    `connection.onNotification(protocol.clusterChanged, () => {});`,
    `const m = "gantry/y";`,
  ].join('\n');
  assert.deepEqual(stringMethods('a.ts', text), [
    `a.ts:1 sendNotification('gantry/x')`,
    `a.ts:1 spells 'gantry/x'`,
    `a.ts:2 onRequest('textDocument/foo')`,
    `a.ts:4 spells 'gantry/y'`,
  ]);
});
