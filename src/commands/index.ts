// The table of command ids -> handlers, built from each area's table and registered in a loop. package.json
// must agree (test/unit/commands.test.ts).
import * as vscode from 'vscode';
import type { Host } from '../host';
import { clusterCommands } from './cluster';
import { logCommands } from './logs';
import { objectCommands } from './objects';
import { pipelineCommands } from './pipeline';
import { forwardCommands } from './portForward';
import { sessionCommands } from './sessions';
import { submitCommands } from './submit';
import { whyCommands } from './why';

import type { CommandTable } from './types';

export type { CommandTable, Handler } from './types';

export function commandTable(host: Host): CommandTable {
  const tables = [
    clusterCommands(host),
    objectCommands(host),
    sessionCommands(host),
    submitCommands(host),
    logCommands(host),
    forwardCommands(host),
    whyCommands(host),
    pipelineCommands(host),
  ];
  const all: CommandTable = {};
  for (const t of tables) {
    for (const [id, h] of Object.entries(t)) {
      if (all[id]) throw new Error(`command ${id} is registered twice`);
      all[id] = h;
    }
  }
  return all;
}

export function registerCommands(host: Host): vscode.Disposable[] {
  const table = commandTable(host);
  return Object.entries(table).map(([id, handler]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await handler(...args);
      } catch (e) {
        host.reportUnexpected(`command ${id}`, e);
      }
    }),
  );
}
