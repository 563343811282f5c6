import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noVscode = {
  name: 'vscode',
  message: 'core/, k8s/ and server/ stay editor-free: pass what you need in from the caller.',
};
const noClientNode = {
  name: '@kubernetes/client-node',
  message: 'Only src/k8s/ talks to the Kubernetes client.',
};

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
  {
    files: ['src/core/**/*.ts', 'src/server/**/*.ts', 'src/shared/**/*.ts', 'src/model/**/*.ts', 'src/sessions/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode, noClientNode] }] },
  },
  {
    files: ['src/k8s/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode] }] },
  },
);
