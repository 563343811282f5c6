// The folder seams of eslint.config.mjs, proved on the real config: a forbidden import in a file of that folder
// is reported by the named rule, and an allowed one next to it is not (so a rule that matches everything
// fails here too). The snippets are linted in memory under a path in src/; nothing is written.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const ROOT = resolve(import.meta.dirname, '..', '..');

// The snippets' paths do not exist, so the type-aware rules (which need the file in the TypeScript project)
// are switched off; the import rules under test read only the syntax.
const eslint = new ESLint({
  cwd: ROOT,
  overrideConfig: [
    tseslint.configs.disableTypeChecked,
    { languageOptions: { parserOptions: { projectService: false, project: null } } },
  ],
});

const SEAM = 'no-restricted-imports';
const LAZY = '@typescript-eslint/no-restricted-imports';

/** [file, import statement, rule ids expected (none: allowed)] */
const cases: [string, string, string[]][] = [
  // core/ imports nothing of the other folders, types included, at any depth; within core/ is fine.
  ['src/core/probe.ts', `import { x } from '../views/x';`, [SEAM]],
  ['src/core/tree/probe.ts', `import type { x } from '../../k8s/x';`, [SEAM]],
  ['src/core/tree/probe.ts', `export { x } from '../../shared/protocol';`, [SEAM]],
  ['src/core/probe.ts', `import * as vscode from 'vscode';`, [SEAM]],
  ['src/core/tree/probe.ts', `import { x } from '../gpu';`, []],
  ['src/core/probe.ts', `import { x } from './tree/nodes';`, []],
  // k8s/ imports nothing of the editor side or the server.
  ['src/k8s/probe.ts', `import { x } from '../views/sidebar';`, [SEAM]],
  ['src/k8s/probe.ts', `import type { x } from '../commands';`, [SEAM]],
  ['src/k8s/probe.ts', `import { x } from '../panels/describe';`, [SEAM]],
  ['src/k8s/probe.ts', `import { x } from '../lsp/client';`, [SEAM]],
  ['src/k8s/probe.ts', `import * as vscode from 'vscode';`, [SEAM]],
  ['src/k8s/probe.ts', `import { x } from '../core/kube';`, []],
  ['src/k8s/probe.ts', `import * as k8s from '@kubernetes/client-node';`, []],
  // server/ imports only core/ and shared/.
  ['src/server/probe.ts', `import { x } from '../k8s/errors';`, [SEAM]],
  ['src/server/rules/probe.ts', `import type { x } from '../../k8s/errors';`, [SEAM]],
  ['src/server/probe.ts', `import { x } from '../lsp/client';`, [SEAM]],
  ['src/server/probe.ts', `import { x } from '../views/icons';`, [SEAM]],
  ['src/server/probe.ts', `import { x } from '../commands';`, [SEAM]],
  ['src/server/probe.ts', `import { x } from '../panels/describe';`, [SEAM]],
  ['src/server/rules/probe.ts', `import { x } from '../../core/quantity';`, []],
  ['src/server/probe.ts', `import { x } from '../shared/protocol';`, []],
  ['src/server/probe.ts', `import { x } from './validation/api';`, []],
  // shared/ is a leaf.
  ['src/shared/probe.ts', `import { x } from '../core/kube';`, [SEAM]],
  ['src/shared/probe.ts', `import * as vscode from 'vscode';`, [SEAM]],
  // No vscode in the model or the user sessions; they import no editor code.
  ['src/model/probe.ts', `import * as vscode from 'vscode';`, [SEAM]],
  ['src/sessions/probe.ts', `import * as vscode from 'vscode';`, [SEAM]],
  ['src/sessions/probe.ts', `import { x } from '../views/sidebar';`, [SEAM]],
  ['src/model/probe.ts', `import { x } from '../k8s/liveTrees';`, []],
  // Views never import commands.
  ['src/views/probe.ts', `import { x } from '../commands';`, [SEAM]],
  ['src/views/probe.ts', `import type { x } from '../commands/index';`, [SEAM]],
  ['src/views/probe.ts', `import { x } from '../core/tree';`, []],
  // Activation code imports the lazy half only as types.
  ['src/views/probe.ts', `import { x } from '../k8s/errors';`, [LAZY]],
  ['src/views/probe.ts', `import type { x } from '../k8s/errors';`, []],
  ['src/views/probe.ts', `import { type x } from '../model/clusterModel';`, []],
  ['src/ctx.ts', `import { x } from './services';`, [LAZY]],
  ['src/ctx.ts', `import type { x } from './services';`, []],
  ['src/extension.ts', `import { x } from './cluster/currentCluster';`, [LAZY]],
  ['src/commands/probe.ts', `import { x } from '../sessions/manager';`, [LAZY]],
  ['src/commands/cluster/probe.ts', `import { x } from '../../lsp/client';`, [LAZY]],
  ['src/panels/probe.ts', `import { LanguageClient } from 'vscode-languageclient/node';`, [LAZY]],
  ['src/commands/probe.ts', `import * as k8s from '@kubernetes/client-node';`, [SEAM, LAZY]],
  ['src/commands/probe.ts', `import type * as k8s from '@kubernetes/client-node';`, [SEAM]],
];

for (const [file, statement, expected] of cases) {
  test(`${file}: ${statement} -> ${expected.join(', ') || 'allowed'}`, async () => {
    const [r] = await eslint.lintText(`${statement}\nexport const keep = 1;\n`, { filePath: file });
    // Only the import rules count (the snippet's unused import is no-unused-vars); a parse error fails.
    const rules = r!.messages
      .map((m) => m.ruleId ?? `parse error: ${m.message}`)
      .filter((id) => !id.endsWith('/no-unused-vars'));
    assert.deepEqual([...new Set(rules)].sort(), [...expected].sort(), JSON.stringify(r!.messages));
  });
}
