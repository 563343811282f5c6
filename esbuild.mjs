// Two bundles: the extension (loaded by VS Code) and the language server (its own process).
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: production,
  sourcemap: production ? false : 'linked',
  // Optional native helpers of ws/node-fetch; never needed, never shipped.
  external: ['vscode', 'bufferutil', 'utf-8-validate', 'encoding', 'supports-color'],
  logLevel: 'info',
  legalComments: 'none',
};

const entries = [{ in: 'src/extension.ts', out: 'dist/extension.js' }];
if (existsSync('src/server/main.ts')) entries.push({ in: 'src/server/main.ts', out: 'dist/server.js' });

const contexts = await Promise.all(
  entries.map((e) => esbuild.context({ ...common, entryPoints: [e.in], outfile: e.out, metafile: true })),
);
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}
