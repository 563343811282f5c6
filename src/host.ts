// What features receive from the composition root: a narrow view of the extension's context, so commands,
// views and panels never import ctx.ts (and never form an import cycle with it).
import type * as vscode from 'vscode';
import type { Config } from './config';
import type { Services } from './services';

export interface Host {
  readonly config: Config;
  readonly log: vscode.LogOutputChannel;
  readonly extension: vscode.ExtensionContext;
  /** The lazily loaded half (cluster, sessions, language client); loaded once, after activation. */
  services(): Promise<Services>;
  /** Unexpected failures: full detail to the log, a short message to the user. */
  reportUnexpected(what: string, e: unknown): void;
}
