// The bundles: the extension entry (small, loaded at activation), its services (the cluster connection and the
// model, loaded right after activation returns), the language client (loaded on the first YAML document), the
// language server (its own process), and the parts loaded on first use (submit, pipeline graph, and the
// Kubernetes client for a proxy or an auth-provider).
import { writeFile } from 'node:fs/promises';
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

// `import('./services')` in the entry stays a runtime require of dist/services.js instead of being inlined,
// so activation does not pay for parsing the Kubernetes and LSP client libraries.
const lazyServices = {
  name: 'lazy-services',
  setup(build) {
    build.onResolve({ filter: /^\.\/services$/ }, (args) =>
      args.importer.endsWith('ctx.ts') ? { path: './services.js', external: true } : undefined,
    );
    // The submit steps (YAML, apply, fit check) load on the first Submit or Diff, as dist/submitter.js.
    build.onResolve({ filter: /^\.\.\/model\/submitter$/ }, (args) =>
      args.importer.endsWith('submit.ts') ? { path: './submitter.js', external: true } : undefined,
    );
    // The language client (vscode-languageclient) loads on the first YAML document or language feature, as
    // dist/languageClient.js: the sidebar's first rows do not wait for it.
    build.onResolve({ filter: /^\.\/client$/ }, (args) =>
      args.importer.endsWith('lazyClient.ts') ? { path: './languageClient.js', external: true } : undefined,
    );
    // client-node loads only for a context with a proxy-url or an auth-provider (azure, gcp, oidc), as
    // dist/kubeClient.js: the options of the common auth forms are built without it (k8s/httpsOptions.ts).
    build.onResolve({ filter: /^\.\/kubeClient$/ }, (args) =>
      args.importer.endsWith('httpsOptions.ts') ? { path: './kubeClient.js', external: true } : undefined,
    );
    // The pipeline graph panel loads on the first Show Pipeline Graph, as dist/pipelineGraph.js.
    build.onResolve({ filter: /^\.\.\/panels\/pipelineGraph$/ }, (args) =>
      args.importer.endsWith('pipeline.ts') ? { path: './pipelineGraph.js', external: true } : undefined,
    );
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: production,
  sourcemap: production ? false : 'linked',
  // Optional native helpers of ws/node-fetch; never needed, never shipped.
  external: ['vscode', 'bufferutil', 'utf-8-validate', 'encoding', 'supports-color'],
  // Dynamic import() becomes require(), which VS Code's module hook for 'vscode' sees.
  supported: { 'dynamic-import': false },
  logLevel: 'warning',
  legalComments: 'none',
  metafile: true,
};

const entries = [
  { in: 'src/extension.ts', out: 'dist/extension.js', plugins: [lazyServices] },
  { in: 'src/services.ts', out: 'dist/services.js', plugins: [lazyServices] },
  { in: 'src/lsp/client.ts', out: 'dist/languageClient.js' },
  { in: 'src/model/submitter.ts', out: 'dist/submitter.js' },
  { in: 'src/k8s/kubeClient.ts', out: 'dist/kubeClient.js' },
  { in: 'src/server/main.ts', out: 'dist/server.js' },
  { in: 'src/panels/pipelineGraph.ts', out: 'dist/pipelineGraph.js' },
  // The graph's webview: a browser bundle (no node, no vscode), loaded under the webview's CSP.
  {
    in: 'src/webview/pipelineGraph/main.ts',
    out: 'dist/webview/pipelineGraph.js',
    options: { platform: 'browser', format: 'iife', target: 'es2022', external: [] },
  },
];

const contexts = await Promise.all(
  entries.map((e) =>
    esbuild.context({
      ...common,
      ...(e.options ?? {}),
      entryPoints: [e.in],
      outfile: e.out,
      plugins: e.plugins ?? [],
    }),
  ),
);
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  const results = await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  // What went into each bundle, for the package test's budget of dist/extension.js (never shipped: the
  // .vscodeignore allow-list names the three bundles only).
  await Promise.all(
    results.map((r, i) =>
      writeFile(entries[i].out.replace(/\.js$/, '.meta.json'), JSON.stringify(r.metafile)),
    ),
  );
}
