// No import cycle in src/, type-only imports and re-exports included: a cycle means two modules cannot be
// understood (or split, or loaded lazily) apart. Edges are read with the TypeScript parser, not regexes, so
// `import type`, `export … from`, `import('…')` and `import('…').T` in types all count.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Every module specifier `file` names, whether the import is a value, a type, a re-export or dynamic. */
export function specifiers(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier) {
      if (ts.isStringLiteral(n.moduleSpecifier)) out.push(n.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference)) {
      const e = n.moduleReference.expression;
      if (ts.isStringLiteral(e)) out.push(e.text);
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const a = n.arguments[0];
      if (a && ts.isStringLiteralLike(a)) out.push(a.text);
    } else if (ts.isImportTypeNode(n)) {
      const a = n.argument;
      if (ts.isLiteralTypeNode(a) && ts.isStringLiteral(a.literal)) out.push(a.literal.text);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** The file a relative specifier names, as the bundler resolves it (`x`, `x.ts`, `x/index.ts`). */
function resolveRelative(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  for (const c of [base, `${base}.ts`, join(base, 'index.ts')])
    if (existsSync(c) && statSync(c).isFile()) return c;
  return undefined;
}

export interface ImportGraph {
  edges: Map<string, string[]>;
  unresolved: string[];
}

export function importGraph(files: { path: string; text: string }[]): ImportGraph {
  const known = new Set(files.map((f) => f.path));
  const edges = new Map<string, string[]>();
  const unresolved: string[] = [];
  for (const f of files) {
    const to = new Set<string>();
    for (const s of specifiers(f.path, f.text)) {
      if (!s.startsWith('.')) continue;
      const r = resolveRelative(f.path, s);
      if (r === undefined) unresolved.push(`${f.path}: '${s}'`);
      else if (known.has(r)) to.add(r);
    }
    edges.set(f.path, [...to].sort());
  }
  return { edges, unresolved };
}

/**
 * Strongly connected components with a cycle (Tarjan), each as one shortest cycle from its first member
 * (`path`) and all its members (`knot`: breaking `path` may leave another cycle among them).
 */
export function cycles(edges: Map<string, string[]>): { path: string[]; knot: string[] }[] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const sccs: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      for (let w = stack.pop()!; ; w = stack.pop()!) {
        onStack.delete(w);
        scc.push(w);
        if (w === v) break;
      }
      if (scc.length > 1 || (edges.get(v) ?? []).includes(v)) sccs.push(scc.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!idx.has(v)) strong(v);

  // One shortest cycle per component, found by a breadth-first search back to its first member.
  sccs.sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  return sccs.map((scc) => {
    const inScc = new Set(scc);
    const start = scc[0]!;
    const prev = new Map<string, string>();
    const queue = [start];
    for (let i = 0; i < queue.length; i++) {
      const v = queue[i]!;
      for (const w of edges.get(v) ?? []) {
        if (!inScc.has(w)) continue;
        if (w === start) {
          const path = [v];
          for (let p = v; p !== start;) path.unshift((p = prev.get(p)!));
          return { path: [...path, start], knot: scc };
        }
        if (!prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    throw new Error(`no cycle through ${start}`);
  });
}

const rel = (p: string): string => relative(SRC, p);

test('no import cycle in src/ (type-only imports, re-exports and dynamic imports included)', () => {
  const files = tsFiles(SRC).map((path) => ({ path, text: readFileSync(path, 'utf8') }));
  const g = importGraph(files);
  assert.deepEqual(g.unresolved, [], 'relative imports that name no file');
  const found = cycles(g.edges).map(
    (c) =>
      c.path.map(rel).join(' -> ') +
      (c.knot.length > c.path.length - 1
        ? `  (knot of ${c.knot.length}: ${c.knot.map(rel).join(', ')})`
        : ''),
  );
  assert.deepEqual(found, [], `import cycles in src/:\n  ${found.join('\n  ')}`);
});

// The checker itself: it must see every kind of import, and name each cycle with its path.
test('the cycle check sees type-only imports, re-exports, dynamic and import-type edges', () => {
  const text = [
    `import type { A } from './a';`,
    `import { type B } from './b';`,
    `export { C } from './c';`,
    `export * from './d';`,
    `const e = import('./e');`,
    `let f: import('./f').F;`,
    `import g = require('./g');`,
    `import 'vscode';`,
  ].join('\n');
  assert.deepEqual(specifiers('x.ts', text), ['./a', './b', './c', './d', './e', './f', './g', 'vscode']);
});

test('the cycle check reports each cycle once, with its path', () => {
  const edges = new Map<string, string[]>([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a', 'd']],
    ['d', []],
    ['e', ['e']],
    ['f', ['g']],
    ['g', ['f', 'a']],
  ]);
  assert.deepEqual(
    cycles(edges).map((c) => c.path),
    [
      ['a', 'b', 'c', 'a'],
      ['e', 'e'],
      ['f', 'g', 'f'],
    ],
  );
  // Two cycles sharing a module are one knot: its members are all named.
  const knot = new Map([
    ['a', ['b', 'c']],
    ['b', ['a']],
    ['c', ['a']],
  ]);
  assert.deepEqual(cycles(knot), [{ path: ['a', 'b', 'a'], knot: ['a', 'b', 'c'] }]);
  assert.deepEqual(
    cycles(
      new Map([
        ['a', ['b']],
        ['b', []],
      ]),
    ),
    [],
  );
});
