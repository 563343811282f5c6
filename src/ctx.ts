// Owns what lives as long as the extension: config, log, views and the services (cluster session and
// language client, loaded lazily from dist/services.js). Everything it creates is disposed through it.
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Config } from './config';
import { DESCRIBE_SCHEME, DescribeProvider } from './panels/describe';
import type { Services } from './services';
import { Sidebar } from './views/sidebar';

export class Ctx implements vscode.Disposable {
  readonly config = new Config();
  readonly log: vscode.LogOutputChannel;
  private readonly _disposables: vscode.Disposable[] = [];
  private _services?: Promise<Services>;
  private _disposed = false;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = this.own(vscode.window.createOutputChannel('Gantry', { log: true }));
  }

  own<T extends vscode.Disposable>(d: T): T {
    this._disposables.push(d);
    return d;
  }

  start(): void {
    for (const d of registerCommands(this)) this.own(d);
    const sidebar = this.own(new Sidebar());
    this.own(
      vscode.workspace.registerTextDocumentContentProvider(DESCRIBE_SCHEME, new DescribeProvider(this)),
    );
    void this.services().then(
      (s) => {
        sidebar.attach(s.session);
        return s.session.connect();
      },
      (e) => this.reportUnexpected('loading Gantry', e),
    );
  }

  /** The cluster session and language client; loaded once, after activation has returned. */
  services(): Promise<Services> {
    this._services ??= import('./services').then((m) => {
      const s = new m.Services({ config: this.config, log: this.log, extension: this.extension });
      if (this._disposed) s.dispose();
      else this.own(s);
      return s;
    });
    return this._services;
  }

  /** Unexpected failures: full detail to the log, a short message to the user. */
  reportUnexpected(what: string, e: unknown): void {
    this.log.error(`${what} failed`, e instanceof Error ? e : String(e));
    void vscode.window.showErrorMessage(`Gantry: ${what} failed unexpectedly.`, 'Show Log').then((a) => {
      if (a) this.log.show(true);
    });
  }

  async stop(): Promise<void> {
    if (this._services) await (await this._services).stop();
  }

  dispose(): void {
    this._disposed = true;
    for (const d of this._disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch (e) {
        this.log.error('disposal failed', e instanceof Error ? e : String(e));
      }
    }
  }
}
