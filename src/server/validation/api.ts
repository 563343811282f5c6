// The validation engine's public API, used by the language server (server.ts, completion, hover,
// code actions). Pure: no vscode, no stdout.
import type { Diagnostic, Range, TextEdit } from 'vscode-languageserver-types';
import type { SchemaStore } from '../schema/store';

export type { Diagnostic, Range, TextEdit };

/** Facts from the connected cluster. Absent = offline: the live rules (103, 104, 106, 110) are skipped. */
export interface ClusterFacts {
  nodes: {
    name: string;
    labels: Record<string, string>;
    allocatable: Record<string, string>;
    taints: { key: string; value?: string; effect: string }[];
    unschedulable?: boolean;
  }[];
  localQueues: { namespace: string; name: string }[];
  /** Namespace of documents without metadata.namespace (the context's namespace, else 'default'). */
  defaultNamespace: string;
}

export interface ValidateOptions {
  store: SchemaStore;
  facts?: ClusterFacts;
  uri?: string;
}

/** Diagnostic codes of the ML rules (docs/rules.md). Schema and syntax diagnostics carry no `GANTRY1nn` code. */
export const GantryCode = {
  fractionalGpu: 'GANTRY101',
  gpuLimitMismatch: 'GANTRY102',
  gpuExceedsNode: 'GANTRY103',
  gpuNoMatchingNode: 'GANTRY104',
  invalidReplicaRoles: 'GANTRY105',
  unknownLocalQueue: 'GANTRY106',
  argoUndefinedReference: 'GANTRY107',
  kfpUndefinedReference: 'GANTRY108',
  invalidRestartPolicy: 'GANTRY109',
  gpuTaintNotTolerated: 'GANTRY110',
  unpinnedImage: 'GANTRY111',
  nprocMismatch: 'GANTRY112',
  noSharedMemory: 'GANTRY113',
} as const;
export type GantryCode = (typeof GantryCode)[keyof typeof GantryCode];

/** Codes of the schema / syntax diagnostics (source 'gantry' too). */
export const SchemaCode = {
  syntax: 'yaml-syntax',
  duplicateKey: 'duplicate-key',
  unknownField: 'unknown-field',
  missingField: 'missing-field',
  wrongType: 'wrong-type',
  badEnum: 'bad-enum',
  badFormat: 'bad-format',
  unknownKind: 'unknown-kind',
} as const;
export type SchemaCode = (typeof SchemaCode)[keyof typeof SchemaCode];

/**
 * `Diagnostic.data` for quick fixes. Every fix carries ready-to-apply edits (same document), so a code
 * action is `{ title, kind: 'quickfix', diagnostics: [d], edit: { changes: { [uri]: fix.edits } } }`.
 *  - unknown-field near miss ('did you mean'): one fix per candidate key, edit replaces the key (the diagnostic range).
 *  - bad-enum near miss: one fix per candidate value, edit replaces the value.
 *  - GANTRY102: one fix "Set limits.<resource> to <quantity>": inserts or replaces the limit.
 *  - unknown-kind: one fix per suggested apiVersion / kind.
 */
export interface QuickFix {
  title: string;
  edits: TextEdit[];
  /** Marks the fix VS Code should prefer (e.g. the single did-you-mean candidate). */
  isPreferred?: boolean;
}
export interface GantryDiagnosticData {
  fixes: QuickFix[];
}

/** Validates every document in `text`. Use `Validator` to reuse results for unchanged documents. */
export { validateText, Validator } from './validator';
