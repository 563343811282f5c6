// Owns what lives as long as the extension: config, log, views, and (later) the cluster session and
// language client. Everything it creates is disposed through it.
import * as vscode from 'vscode';
import { Config } from './config';
import { registerCommands } from './commands';
import { kubeconfigPresence } from './kubeconfigPresence';

export class Ctx implements vscode.Disposable {
  readonly config = new Config();
  readonly log: vscode.LogOutputChannel;
  private readonly _disposables: vscode.Disposable[] = [];

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = this.own(vscode.window.createOutputChannel('Gantry', { log: true }));
  }

  own<T extends vscode.Disposable>(d: T): T {
    this._disposables.push(d);
    return d;
  }

  start(): void {
    for (const d of registerCommands(this)) this.own(d);
    this.own(this.config.onDidChange(() => void this.updateKubeconfigState()));
    void this.updateKubeconfigState();
  }

  /** Sets `gantry:kubeconfig` so the views' welcome text tells a newcomer what to do. */
  async updateKubeconfigState(): Promise<void> {
    const presence = await kubeconfigPresence(this.config.kubeconfig, process.env);
    this.log.info(
      presence.found.length
        ? `kubeconfig: ${presence.found.join(', ')}`
        : `no kubeconfig found (looked at ${presence.searched.join(', ')})`,
    );
    await vscode.commands.executeCommand(
      'setContext',
      'gantry:kubeconfig',
      presence.found.length ? 'present' : 'missing',
    );
  }

  /** Unexpected failures: full detail to the log, a short message to the user. */
  reportUnexpected(what: string, e: unknown): void {
    this.log.error(`${what} failed`, e instanceof Error ? e : String(e));
    void vscode.window.showErrorMessage(`Gantry: ${what} failed unexpectedly.`, 'Show Log').then((a) => {
      if (a) this.log.show(true);
    });
  }

  dispose(): void {
    for (const d of this._disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch {
        // Disposal continues; nothing useful to report while shutting down.
      }
    }
  }
}
