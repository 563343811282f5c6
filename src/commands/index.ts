// One table of command ids -> handlers, registered in a loop. package.json must agree (test/unit/commands.test.ts).
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';

export type Handler = (...args: unknown[]) => unknown;

export function commandTable(ctx: Ctx): Record<string, Handler> {
  return {
    'gantry.showLog': () => ctx.log.show(true),
  };
}

export function registerCommands(ctx: Ctx): vscode.Disposable[] {
  return Object.entries(commandTable(ctx)).map(([id, handler]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await handler(...args);
      } catch (e) {
        ctx.reportUnexpected(`command ${id}`, e);
      }
    }),
  );
}
