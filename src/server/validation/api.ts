// The validation engine's public API, used by the language server (server.ts, completion, hover,
// code actions). Pure: no vscode, no stdout. Nothing inside validation/ or rules/ imports this file (it
// re-exports the validator, which runs the rules): they import ./types.
import type { Diagnostic, Range, TextEdit } from 'vscode-languageserver-types';

export type { Diagnostic, Range, TextEdit };
export type { ClusterFacts, GantryDiagnosticData, QuickFix, ValidateOptions } from './types';
export { GantryCode, SchemaCode } from './codes';

/** Validates every document in `text`. Use `Validator` to reuse results for unchanged documents. */
export { validateText, Validator } from './validator';
