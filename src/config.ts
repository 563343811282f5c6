// The only reader of workspace configuration. Typed getters, flat `gantry.*` keys.
import * as vscode from 'vscode';

const SECTION = 'gantry';

export class Config {
  private get _c(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SECTION);
  }

  /** Explicit kubeconfig path, or undefined to use $KUBECONFIG / ~/.kube/config. */
  get kubeconfig(): string | undefined {
    const v = this._c.get<string>('kubeconfig', '').trim();
    return v === '' ? undefined : v;
  }

  onDidChange(listener: (e: vscode.ConfigurationChangeEvent) => void): vscode.Disposable {
    return vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SECTION)) listener(e);
    });
  }
}
