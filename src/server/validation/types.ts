// The validation engine's own types: what it is given and what it attaches to diagnostics. A leaf module
// (only types, nothing of the engine), so the rules and the engine both depend on it and not on each other;
// api.ts re-exports it for the language server.
import type { TextEdit } from 'vscode-languageserver-types';
import type { ClusterFactsPayload } from '../../shared/protocol';
import type { SchemaStore } from '../schema/store';

/**
 * Facts from the connected cluster, as the client sends them (declared once, in the protocol). Absent =
 * offline: the live rules (103, 104, 106, 110) are skipped.
 */
export type ClusterFacts = ClusterFactsPayload;

export interface ValidateOptions {
  store: SchemaStore;
  facts?: ClusterFacts;
  uri?: string;
}

/**
 * `Diagnostic.data` for quick fixes. Every fix carries ready-to-apply edits (same document), so a code
 * action is `{ title, kind: 'quickfix', diagnostics: [d], edit: { changes: { [uri]: fix.edits } } }`.
 *  - unknown-field near miss ('did you mean'): one fix per candidate key, edit replaces the key (the diagnostic range).
 *  - bad-enum near miss: one fix per candidate value, edit replaces the value.
 *  - GANTRY102: one fix "Set limits.<resource> to <quantity>": inserts or replaces the limit.
 *  - unknown-kind: one fix per suggested apiVersion / kind.
 *  - GANTRY105/106/107/108/109: one fix per suggested name or value (replaces it), when there is one.
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
