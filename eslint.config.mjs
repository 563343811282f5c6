import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noVscode = {
  name: 'vscode',
  message:
    'core/, k8s/, server/, shared/, model/ and sessions/ stay editor-free: pass what you need in from the caller.',
};
const noClientNode = {
  name: '@kubernetes/client-node',
  message: 'Only src/k8s/ talks to the Kubernetes client.',
};

// Every top-level entry of src/, old and new names (session/ -> model/, clusterSession.ts -> cluster/).
const SRC_ENTRIES = [
  'core',
  'k8s',
  'server',
  'shared',
  'model',
  'session',
  'sessions',
  'cluster',
  'clusterSession',
  'lsp',
  'views',
  'commands',
  'panels',
  'webview',
  'services',
  'ctx',
  'host',
  'config',
  'extension',
];
const UI = ['views', 'commands', 'panels', 'webview', 'ctx', 'host', 'extension'];

/**
 * `no-restricted-imports` entries for the files of src/<folder>/: besides `paths`, no import may reach the
 * src/ entries in `forbidden`. A relative specifier is matched exactly: from src/<folder>/a/b.ts, `../../`
 * is src/, so one entry per folder depth (a glob `*` never crosses a `/`).
 */
function seam(folder, { forbidden, paths, message }) {
  return [1, 2, 3, 4].map((depth) => ({
    files: [`src/${folder}/${'*/'.repeat(depth - 1)}*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths,
          patterns: [{ regex: `^(\\.\\./){${depth}}(${forbidden.join('|')})(/|\\.ts$|$)`, message }],
        },
      ],
    },
  }));
}
const except = (...keep) => SRC_ENTRIES.filter((e) => !keep.includes(e));

// What runs at activation (dist/extension.js) may import the lazily loaded half (dist/services.js: the
// Kubernetes client, the language client, the cluster model) only as types: one value import would pull
// megabytes into activation. The package test checks the bundle itself; this names the offending line.
const LAZY = [
  'services',
  'k8s',
  'model',
  'session',
  'sessions',
  'cluster',
  'clusterSession',
  'lsp',
  'server',
];
const lazyMessage =
  'Activation code (extension, ctx, host, config, commands, views, panels) imports the lazy half only with `import type`; reach it through the services at run time.';
function activationOnlyTypes(files, prefix) {
  return {
    files,
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@kubernetes/client-node', allowTypeImports: true, message: lazyMessage },
            { name: 'vscode-languageclient', allowTypeImports: true, message: lazyMessage },
            { name: 'vscode-languageclient/node', allowTypeImports: true, message: lazyMessage },
          ],
          patterns: [
            {
              regex: `^${prefix}(${LAZY.join('|')})(/|\\.ts$|$)`,
              allowTypeImports: true,
              message: lazyMessage,
            },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      '**/node_modules/**',
      '.cache/**',
      'schemas/**',
      '.test-output/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's test()/describe() return promises the runner itself awaits.
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'it', 'describe', 'suite', 'before', 'after'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/k8s/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [noClientNode] }] },
  },
  // The seams between folders (README "Folder map"). Later entries replace the one above for their files.
  ...seam('core', {
    forbidden: except('core'),
    paths: [noVscode, noClientNode],
    message: 'core/ is pure domain logic: it imports nothing of the other src/ folders.',
  }),
  ...seam('shared', {
    forbidden: except('shared'),
    paths: [noVscode, noClientNode],
    message:
      'shared/ is what both sides of the protocol import: it imports nothing of the other src/ folders.',
  }),
  ...seam('k8s', {
    forbidden: [...UI, 'lsp', 'server', 'services'],
    paths: [noVscode],
    message:
      'k8s/ talks to the cluster: it imports nothing of the editor side (views, commands, panels, lsp) or the server.',
  }),
  ...seam('server', {
    forbidden: except('server', 'core', 'shared'),
    paths: [noVscode, noClientNode],
    message:
      'The language server runs in its own process: it imports only core/ and shared/, never k8s/ or the editor side.',
  }),
  ...['model', 'session', 'sessions'].flatMap((folder) =>
    seam(folder, {
      forbidden: [...UI, 'lsp', 'server', 'services'],
      paths: [noVscode, noClientNode],
      message: `${folder}/ holds no editor code: the views and commands import it, not the other way round.`,
    }),
  ),
  ...seam('webview', {
    forbidden: except('webview', 'shared', 'core'),
    paths: [noVscode, noClientNode],
    message:
      'webview/ is bundled for the browser: it imports only core/ and shared/ (types), never vscode or node code.',
  }),
  ...seam('views', {
    forbidden: ['commands'],
    paths: [noClientNode],
    message: 'Views never import commands: the commands act on views, and the composition root wires them.',
  }),
  activationOnlyTypes(['src/extension.ts', 'src/ctx.ts', 'src/host.ts', 'src/config.ts'], '\\./'),
  activationOnlyTypes(['src/{commands,views,panels}/*.ts'], '\\.\\./'),
  activationOnlyTypes(['src/{commands,views,panels}/*/*.ts'], '(\\.\\./){2}'),
);
