// The .vsix ships only what the allow-list names, and prints its size.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { test } from 'node:test';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const vsix = `gantry-${pkg.version}.vsix`;

function entries(): string[] {
  // A .vsix is a zip; unzip -Z1 lists its entries one per line.
  return execFileSync('unzip', ['-Z1', vsix], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

test('the vsix holds only dist, media, schemas and the manifest files', () => {
  const allowed = [
    /^extension\/dist\/(extension|services|languageClient|server|submitter|kubeClient|pipelineGraph)\.js$/,
    /^extension\/dist\/webview\/pipelineGraph\.js$/,
    /^extension\/media\//,
    /^extension\/schemas\//,
    /^extension\/(package\.json|readme\.md|README\.md|LICENSE(\.txt)?|changelog\.md|CHANGELOG\.md)$/,
    /^\[Content_Types\]\.xml$/,
    /^extension\.vsixmanifest$/,
  ];
  const files = entries().filter((f) => !f.endsWith('/'));
  const stray = files.filter((f) => !allowed.some((re) => re.test(f)));
  assert.deepEqual(stray, [], 'files outside the allow-list');
  assert.ok(files.includes('extension/dist/extension.js'), 'no extension bundle');
  assert.ok(files.includes('extension/dist/languageClient.js'), 'no language client bundle');
  assert.ok(files.includes('extension/dist/kubeClient.js'), 'no Kubernetes client bundle');
  assert.ok(files.includes('extension/dist/webview/pipelineGraph.js'), 'no pipeline graph webview bundle');
  assert.ok(files.includes('extension/media/gantry.svg'), 'no activity-bar icon');
  assert.ok(!files.some((f) => f.includes('node_modules')), 'node_modules shipped');
  assert.ok(!files.some((f) => f.startsWith('extension/media/screenshots/')), 'README screenshots shipped');
  assert.ok(!files.some((f) => f.endsWith('.map')), 'source maps shipped');
  const size = statSync(vsix).size;
  console.log(`vsix: ${vsix} ${(size / 1024).toFixed(1)} KiB, ${files.length} files`);
});

// vscode is the host's; ./services.js is the lazily loaded half; the rest are optional native helpers of ws,
// node-fetch and debug that those libraries require inside try/catch and work without.
const allowed = new Set([
  'vscode',
  './services.js',
  './languageClient.js',
  './submitter.js',
  './kubeClient.js',
  './pipelineGraph.js',
  'bufferutil',
  'utf-8-validate',
  'encoding',
  'supports-color',
]);

test('the bundles need nothing from node_modules but vscode', () => {
  for (const bundle of [
    'dist/extension.js',
    'dist/services.js',
    'dist/languageClient.js',
    'dist/server.js',
    'dist/submitter.js',
    'dist/kubeClient.js',
    'dist/pipelineGraph.js',
  ]) {
    const js = readFileSync(bundle, 'utf8');
    const requires = [...js.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!);
    const external = requires.filter((r) => !r.startsWith('node:') && !isBuiltin(r) && !allowed.has(r));
    assert.deepEqual([...new Set(external)], [], `${bundle} requires packages that are not shipped`);
  }
  assert.ok(
    !readFileSync('dist/server.js', 'utf8').includes('require("vscode")'),
    'the server imports vscode',
  );
});

function isBuiltin(name: string): boolean {
  return builtinModules.includes(name);
}

// Activation pays for parsing dist/extension.js before anything shows; the heavy half (the Kubernetes
// client, the language client, the cluster model) is dist/services.js, loaded after activate() returns.
const ACTIVATION_BUDGET = 64 * 1024;

test('dist/extension.js stays within its 64 KiB budget', () => {
  const size = statSync('dist/extension.js').size;
  console.log(`dist/extension.js: ${(size / 1024).toFixed(1)} KiB of ${ACTIVATION_BUDGET / 1024} KiB`);
  assert.ok(size <= ACTIVATION_BUDGET, `dist/extension.js is ${size} bytes, over ${ACTIVATION_BUDGET}`);
});

test('dist/extension.js holds neither the Kubernetes client nor the language client, and loads the services lazily', () => {
  // esbuild.mjs writes what went into each bundle; check it describes the file that ships.
  const meta = JSON.parse(readFileSync('dist/extension.meta.json', 'utf8')) as {
    inputs: Record<string, unknown>;
    outputs: Record<string, { bytes: number }>;
  };
  assert.equal(
    meta.outputs['dist/extension.js']?.bytes,
    statSync('dist/extension.js').size,
    'stale metafile',
  );
  const inputs = Object.keys(meta.inputs);
  assert.ok(inputs.includes('src/extension.ts'), 'the metafile is not the activation bundle');
  const heavy = inputs.filter(
    (p) =>
      /node_modules\/(@kubernetes\/client-node|vscode-languageclient|vscode-languageserver[^/]*|vscode-jsonrpc)\//.test(
        p,
      ) ||
      /^src\/(k8s|lsp|server|model|session|sessions|cluster)\//.test(p) ||
      /^src\/(services|clusterSession)\.ts$/.test(p),
  );
  assert.deepEqual(heavy, [], 'the lazy half is bundled into dist/extension.js');
  const js = readFileSync('dist/extension.js', 'utf8');
  assert.ok(js.includes('require("./services.js")'), 'dist/extension.js does not load ./services.js lazily');
});

test('the pipeline graph webview loads nothing remote', () => {
  const js = readFileSync('dist/webview/pipelineGraph.js', 'utf8');
  const urls = [...js.matchAll(/https?:\/\/[^\s"'`)]+/g)].map((m) => m[0]);
  // The SVG namespace is a name, not a resource.
  assert.deepEqual(
    [...new Set(urls)].filter((u) => u !== 'http://www.w3.org/2000/svg'),
    [],
  );
  assert.ok(!/\brequire\(|\bprocess\.env\b/.test(js), 'node code in the browser bundle');
});

/** The inputs esbuild.mjs recorded for `bundle`, checked against the file that ships. */
function inputsOf(bundle: string): string[] {
  const meta = JSON.parse(readFileSync(bundle.replace(/\.js$/, '.meta.json'), 'utf8')) as {
    inputs: Record<string, unknown>;
    outputs: Record<string, { bytes: number }>;
  };
  assert.equal(meta.outputs[bundle]?.bytes, statSync(bundle).size, `stale metafile of ${bundle}`);
  return Object.keys(meta.inputs);
}

const LSP_LIBS = /node_modules\/(vscode-languageclient|vscode-languageserver[^/]*|vscode-jsonrpc)\//;

// The sidebar's first rows wait for dist/services.js; the language client loads on the first YAML document,
// the Kubernetes client only for a context with a proxy or an auth-provider (dist/kubeClient.js).
test('dist/services.js holds neither the Kubernetes client nor the language client; each is a bundle of its own', () => {
  const services = inputsOf('dist/services.js');
  assert.ok(services.includes('src/services.ts'), 'the metafile is not the services bundle');
  assert.ok(
    services.includes('src/k8s/httpsOptions.ts'),
    'the services bundle lacks the light options builder',
  );
  assert.deepEqual(
    services.filter((p) => LSP_LIBS.test(p) || p === 'src/lsp/client.ts' || p.startsWith('src/server/')),
    [],
    'the language client is bundled into dist/services.js',
  );
  assert.deepEqual(
    services.filter(
      (p) => /node_modules\/@kubernetes\/client-node\//.test(p) || p === 'src/k8s/kubeClient.ts',
    ),
    [],
    'the Kubernetes client is bundled into dist/services.js',
  );
  const js = readFileSync('dist/services.js', 'utf8');
  assert.ok(
    js.includes('require("./languageClient.js")'),
    'dist/services.js does not load the client lazily',
  );
  assert.ok(js.includes('require("./kubeClient.js")'), 'dist/services.js does not load client-node lazily');
  assert.ok(!js.includes('vscode-languageclient'), 'dist/services.js names vscode-languageclient');
  const client = inputsOf('dist/languageClient.js');
  assert.ok(client.includes('src/lsp/client.ts'), 'dist/languageClient.js is not the language client');
  assert.ok(
    client.some((p) => /node_modules\/vscode-languageclient\//.test(p)),
    'dist/languageClient.js lacks vscode-languageclient',
  );
  assert.deepEqual(
    client.filter((p) => /node_modules\/@kubernetes\/client-node\//.test(p) || p.startsWith('src/k8s/')),
    [],
    'the Kubernetes client is bundled into dist/languageClient.js',
  );
  const kube = inputsOf('dist/kubeClient.js');
  assert.ok(
    kube.some((p) => /node_modules\/@kubernetes\/client-node\//.test(p)),
    'dist/kubeClient.js lacks client-node',
  );
  const sizes = ['dist/services.js', 'dist/languageClient.js', 'dist/kubeClient.js'].map(
    (b) => `${b} ${(statSync(b).size / 1024).toFixed(1)} KiB`,
  );
  console.log(sizes.join(', '));
});
