// The "Why Not Running?" panel: a read-only markdown document with the answer, its causes, the fixes, the
// scheduler's raw verdicts and the events; the answer and its fixes as a notification whose buttons edit the
// workload's manifest when the workspace has it (the edit is left unsaved for review). Loaded with the
// services bundle.
import * as vscode from 'vscode';
import { type KubeObject } from '../core/kube';
import { type ManifestHit, applyFix, findManifest } from '../core/manifestFixes';
import { type WhyFix, whyMarkdown } from '../core/whyNotRunning';
import type { WhyReport } from '../model/why';

export const WHY_SCHEME = 'gantry-why';

export interface ManifestLocation extends ManifestHit {
  uri: vscode.Uri;
}

const MAX_FILES = 2000;

/** The workspace YAML document that declares `w`, if any (open editors first: they may be unsaved). */
export async function findWorkspaceManifest(w: KubeObject): Promise<ManifestLocation | undefined> {
  const target = {
    apiVersion: w.apiVersion,
    kind: w.kind,
    name: w.metadata.name,
    namespace: w.metadata.namespace,
  };
  for (const d of vscode.workspace.textDocuments) {
    if (d.uri.scheme !== 'file' || !/\.ya?ml$/i.test(d.uri.path)) continue;
    const hit = findManifest(d.getText(), target);
    if (hit) return { uri: d.uri, ...hit };
  }
  const files = await vscode.workspace.findFiles('**/*.{yaml,yml}', '**/{node_modules,.git}/**', MAX_FILES);
  const decoder = new TextDecoder();
  for (const f of files) {
    let text: string;
    try {
      text = decoder.decode(await vscode.workspace.fs.readFile(f));
    } catch {
      continue;
    }
    const hit = findManifest(text, target);
    if (hit) return { uri: f, ...hit };
  }
  return undefined;
}

export class WhyPanel implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly _docs = new Map<string, string>();
  private readonly _onDidChange = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this._onDidChange.event;
  private readonly _registration: vscode.Disposable;

  constructor(private readonly _log: vscode.LogOutputChannel) {
    this._registration = vscode.workspace.registerTextDocumentContentProvider(WHY_SCHEME, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return (
      this._docs.get(uri.toString()) ??
      '# This explanation is no longer available. Run Why Not Running? again.'
    );
  }

  /** Shows the report; resolves once the panel is open (the notification's buttons act later). */
  async show(context: string, report: WhyReport): Promise<void> {
    const w = report.workload;
    const manifest = await findWorkspaceManifest(w);
    const link = manifest
      ? {
          label: vscode.workspace.asRelativePath(manifest.uri),
          link: manifest.uri.with({ fragment: `L${manifest.line + 1}` }).toString(),
        }
      : undefined;
    const md = whyMarkdown(w, report.why, report.events, link);
    const ns = w.metadata.namespace ? `${w.metadata.namespace}/` : '';
    const uri = vscode.Uri.from({
      scheme: WHY_SCHEME,
      path: `/${context}/${w.kind}/${ns}${w.metadata.name}.md`,
    });
    this._docs.set(uri.toString(), md);
    this._onDidChange.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
    await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
    this.offerFixes(report, manifest);
  }

  private offerFixes(report: WhyReport, manifest: ManifestLocation | undefined): void {
    const fixes = manifest ? report.why.fixes : [];
    const buttons = [...fixes.map((f) => f.title)];
    if (manifest) buttons.push('Open Manifest');
    const text = report.why.applies ? report.why.headline : `${report.why.headline}: nothing to explain`;
    void vscode.window.showInformationMessage(text, ...buttons).then(async (pick) => {
      if (!pick || !manifest) return;
      try {
        if (pick === 'Open Manifest') await openAt(manifest);
        else {
          const fix = fixes.find((f) => f.title === pick);
          if (fix) await this.applyToManifest(manifest, fix);
        }
      } catch (e) {
        this._log.error(
          `Why Not Running? fix failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
        );
        void vscode.window.showErrorMessage('Gantry: the fix could not be applied; see the Gantry log.');
      }
    });
  }

  private async applyToManifest(m: ManifestLocation, fix: WhyFix): Promise<void> {
    let choice: string | undefined;
    if (fix.kind === 'setNodeSelector') {
      choice = await vscode.window.showQuickPick(fix.choices, {
        placeHolder: `${fix.key} (now ${fix.from})`,
      });
      if (!choice) return;
    }
    const doc = await vscode.workspace.openTextDocument(m.uri);
    const r = applyFix(doc.getText(), m.index, fix, choice);
    if (!r.ok) {
      void vscode.window.showWarningMessage(`Gantry: ${r.message}.`);
      return;
    }
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), r.text);
    await vscode.workspace.applyEdit(edit);
    await openAt(m);
    void vscode.window.setStatusBarMessage(
      `Gantry: ${fix.title} (${r.edits} change${r.edits === 1 ? '' : 's'}; review and save)`,
      6000,
    );
  }

  dispose(): void {
    this._registration.dispose();
    this._onDidChange.dispose();
    this._docs.clear();
  }
}

async function openAt(m: ManifestLocation): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(m.uri);
  const pos = new vscode.Position(m.line, 0);
  await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos), preview: false });
}
