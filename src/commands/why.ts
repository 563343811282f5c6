// Why Not Running? on a workload row that is not running (its contextValue ends in Pending, Queued, Suspended,
// NotReady or Unknown): the explanation, the raw events and the fixes, from the services half.
import * as vscode from 'vscode';
import type { WorkloadTreeNode } from '../core/tree';
import type { Host } from '../host';
import type { CommandTable } from './types';

export function whyCommands(host: Host): CommandTable {
  return {
    'gantry.whyNotRunning': async (node) => {
      const n = node as WorkloadTreeNode | undefined;
      if (n?.type !== 'workload') {
        void vscode.window.showInformationMessage(
          'Gantry: right-click a waiting workload in ML Workloads and choose Why Not Running?',
        );
        return;
      }
      const shown = await (await host.services()).showWhyNotRunning(n.id);
      if (!shown)
        void vscode.window.showWarningMessage(
          `Gantry: ${n.object.metadata.name} is no longer in ML Workloads (deleted, or another context).`,
        );
    },
  };
}
