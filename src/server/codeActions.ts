// Quick fixes. The validator puts ready edits on its diagnostics (`data.fixes`, see validation/api.ts), so a fix
// here is a translation; for a near-miss key without data the suggestion is read from the message instead.
import {
  CodeActionKind,
  type CodeAction,
  type CodeActionParams,
  type Diagnostic,
} from 'vscode-languageserver';
import type { GantryDiagnosticData } from './validation/api';

function fixesOf(d: Diagnostic): GantryDiagnosticData['fixes'] | undefined {
  const data = d.data as Partial<GantryDiagnosticData> | undefined;
  return Array.isArray(data?.fixes) ? data.fixes : undefined;
}

/** "did you mean 'restartPolicy'?" -> restartPolicy */
function suggestionInMessage(message: string): string | undefined {
  return /did you mean [`'"]?([^`'"?\s]+)[`'"]?/i.exec(message)?.[1];
}

export function codeActions(params: CodeActionParams): CodeAction[] {
  const only = params.context.only;
  if (
    only &&
    !only.some((k) => k === CodeActionKind.QuickFix || CodeActionKind.QuickFix.startsWith(`${k}.`))
  ) {
    return [];
  }
  const uri = params.textDocument.uri;
  const out: CodeAction[] = [];
  for (const d of params.context.diagnostics) {
    const fixes = fixesOf(d);
    if (fixes) {
      for (const fix of fixes) {
        out.push({
          title: fix.title,
          kind: CodeActionKind.QuickFix,
          diagnostics: [d],
          isPreferred: fix.isPreferred,
          edit: { changes: { [uri]: fix.edits } },
        });
      }
      continue;
    }
    const text = typeof d.message === 'string' ? d.message : d.message.value;
    const suggestion = d.code === 'unknown-field' ? suggestionInMessage(text) : undefined;
    if (suggestion) {
      out.push({
        title: `Rename to '${suggestion}'`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        isPreferred: true,
        edit: { changes: { [uri]: [{ range: d.range, newText: suggestion }] } },
      });
    }
  }
  return out;
}
