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
  /** performance.now() when activate() built this context. */
  private readonly _activated = performance.now();

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = this.own(vscode.window.createOutputChannel('Gantry', { log: true }));
    const marks = hostMarks(extension.extension?.id);
    // The extension host's steps before activate() (loading dist/extension.js, the context's storage), for
    // bench:paint's timeline of the first rows. The time is in the text: the log stamps the first lines only
    // when its file is ready, which can be a second later.
    if (marks)
      this.log.info(`activate() called at epoch ${epoch()} ms; extension host marks, ms before: ${marks}`);
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
      this.log.info(
        `services loaded at epoch ${epoch()} ms in ${Math.round(performance.now() - t0)} ms ` +
          `(asked for ${Math.round(t0 - this._activated)} ms after activate() started)`,
      );
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

const epoch = () => Math.round(performance.timeOrigin + performance.now());

/** The extension host's performance marks for extension `id` (code/extHost/willLoadExtensionCode/<id>...). */
function hostMarks(id: string | undefined): string | undefined {
  // VS Code's own registry of marks (src/vs/base/common/performance.ts); absent outside VS Code.
  const registry = (globalThis as { MonacoPerformanceMarks?: { getMarks?: () => unknown } })
    .MonacoPerformanceMarks;
  const marks = registry?.getMarks?.();
  if (!id || !Array.isArray(marks)) return undefined;
  const now = epoch();
  const out: string[] = [];
  for (const m of marks as { name?: unknown; startTime?: unknown }[]) {
    if (typeof m.name !== 'string' || typeof m.startTime !== 'number' || !m.name.endsWith(`/${id}`)) continue;
    out.push(`${m.name.split('/')[2]} ${Math.round(now - m.startTime)}`);
  }
  return out.length ? out.join(', ') : undefined;
}
