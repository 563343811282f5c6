// What the sidebar's first rows wait for: src/services.ts (dist/services.js) and everything it imports as a
// value. The language client (vscode-languageclient and its protocol libraries) is not in it: it is
// dist/languageClient.js, loaded by src/lsp/lazyClient.ts with import('./client') on the first YAML document.
// One value import of the client anywhere on that path would bundle ~380 KB back into the first rows' wait.
// Nor is the Kubernetes client (@kubernetes/client-node, ~950 KB with its dependencies): src/k8s/httpsOptions.ts
// builds the common auth forms' options itself and loads src/k8s/kubeClient.ts (dist/kubeClient.js) with
// import('./kubeClient') only for a proxy or an auth-provider.
// (test/package/vsix.test.ts checks the built bundle too; this names the file without a build.)
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** Specifiers that `file` imports as values: no `import type`, no all-type named imports, no import(). */
export function valueImports(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const out: string[] = [];
  for (const n of sf.statements) {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const c = n.importClause;
      if (c?.isTypeOnly) continue;
      const named = c?.namedBindings;
      const onlyTypes =
        c !== undefined &&
        !c.name &&
        named !== undefined &&
        ts.isNamedImports(named) &&
        named.elements.length > 0 &&
        named.elements.every((e) => e.isTypeOnly);
      if (!onlyTypes) out.push(n.moduleSpecifier.text);
    } else if (
      ts.isExportDeclaration(n) &&
      !n.isTypeOnly &&
      n.moduleSpecifier &&
      ts.isStringLiteral(n.moduleSpecifier)
    ) {
      out.push(n.moduleSpecifier.text);
    }
  }
  return out;
}

function resolveRelative(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  for (const c of [`${base}.ts`, join(base, 'index.ts'), base])
    if (existsSync(c) && statSync(c).isFile()) return c;
  return undefined;
}

/** Every src file and package reached from `entry` through value imports. */
function reach(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [resolve(ROOT, entry)];
  while (todo.length) {
    const f = todo.pop()!;
    if (files.has(f)) continue;
    files.add(f);
    for (const spec of valueImports(f, readFileSync(f, 'utf8'))) {
      if (spec.startsWith('.')) {
        const r = resolveRelative(f, spec);
        assert.ok(r, `${relative(ROOT, f)}: cannot resolve ${spec}`);
        todo.push(r);
      } else if (!spec.startsWith('node:')) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
  }
  return { files: new Set([...files].map((f) => relative(ROOT, f))), packages };
}

const LSP_PACKAGES =
  /^(vscode-languageclient|vscode-languageserver|vscode-languageserver-protocol|vscode-languageserver-types|vscode-jsonrpc)$/;

test('the services of the first rows reach the connection and the model, not the language client nor client-node', () => {
  const { files, packages } = reach('src/services.ts');
  // The walk sees the path: the cluster, its model, the transport and its options builder are on it.
  assert.ok(files.has('src/cluster/currentCluster.ts'), [...files].join(', '));
  assert.ok(files.has('src/lsp/lazyClient.ts'));
  assert.ok(files.has('src/k8s/transport.ts'));
  assert.ok(files.has('src/k8s/httpsOptions.ts'));
  assert.ok(packages.has('yaml'), [...packages].join(', '));
  assert.deepEqual(
    [...packages].filter((p) => p === '@kubernetes/client-node'),
    [],
    'the Kubernetes client is imported as a value on the services path',
  );
  assert.ok(!files.has('src/k8s/kubeClient.ts'), 'kubeClient.ts is imported as a value on the services path');
  assert.deepEqual(
    [...packages].filter((p) => LSP_PACKAGES.test(p)),
    [],
    'a language client package is imported as a value on the services path',
  );
  assert.deepEqual(
    [...files].filter((f) => f === 'src/lsp/client.ts' || f.startsWith('src/server/')),
    [],
    'the language client (or the server) is imported as a value on the services path',
  );
});

test('the language client is loaded with import() from lazyClient.ts, the specifier esbuild.mjs makes external', () => {
  const lazy = readFileSync(join(ROOT, 'src/lsp/lazyClient.ts'), 'utf8');
  assert.match(lazy, /import\('\.\/client'\)/);
  const build = readFileSync(join(ROOT, 'esbuild.mjs'), 'utf8');
  assert.match(
    build,
    /importer\.endsWith\('lazyClient\.ts'\) \? \{ path: '\.\/languageClient\.js', external: true \}/,
  );
  assert.match(build, /in: 'src\/lsp\/client\.ts', out: 'dist\/languageClient\.js'/);
  // And the real client is what pulls the libraries in: the walk from it finds them.
  assert.ok(reach('src/lsp/client.ts').packages.has('vscode-languageclient'));
});

test('client-node is loaded with import() from httpsOptions.ts, the specifier esbuild.mjs makes external', () => {
  const light = readFileSync(join(ROOT, 'src/k8s/httpsOptions.ts'), 'utf8');
  assert.match(light, /import\('\.\/kubeClient'\)/);
  const build = readFileSync(join(ROOT, 'esbuild.mjs'), 'utf8');
  assert.match(
    build,
    /importer\.endsWith\('httpsOptions\.ts'\) \? \{ path: '\.\/kubeClient\.js', external: true \}/,
  );
  assert.match(build, /in: 'src\/k8s\/kubeClient\.ts', out: 'dist\/kubeClient\.js'/);
  // The walk finds client-node from the lazy module: a value import of it is what the first test would catch.
  assert.ok(reach('src/k8s/kubeClient.ts').packages.has('@kubernetes/client-node'));
});
