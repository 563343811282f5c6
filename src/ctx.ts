// Owns what lives as long as the extension: config, log and the lazily loaded services (dist/services.js).
// Everything registered through it is disposed with it, in reverse order, once.
import * as vscode from 'vscode';
import { Config } from './config';
import { DisposableStore, type Disposable } from './core/lifecycle';
import type { Host } from './host';
import type { Services } from './services';

export class Ctx implements Host, vscode.Disposable {
  readonly config = new Config();
  readonly log: vscode.LogOutputChannel;
  private readonly _store = new DisposableStore();
  private _services?: Promise<Services>;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = this.own(vscode.window.createOutputChannel('Gantry', { log: true }));
  }

  own<T extends Disposable>(d: T): T {
    return this._store.add(d);
  }

  /** The cluster, sessions and language client; loaded once, after activation has returned. */
  services(): Promise<Services> {
    const t0 = performance.now();
    this._services ??= import('./services').then((m) => {
      const s = new m.Services({ config: this.config, log: this.log, extension: this.extension });
      // The first rows wait for this; the log's timestamps then show where the rest of the time goes.
      this.log.info(`services loaded in ${Math.round(performance.now() - t0)} ms`);
      // Disposed already (deactivated while loading): own() disposes it at once.
      return this.own(s);
    });
    return this._services;
  }

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
    try {
      this._store.dispose();
    } catch (e) {
      this.log.error('disposal failed', e instanceof Error ? e : String(e));
    }
  }
}
