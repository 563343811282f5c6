// Follow Logs: on a workload or pod row of ML Workloads, a pod of GPUs, or from the palette (a quick pick of
// the workloads in view). The session is started by the services half (sessions/logsBackend.ts) and rendered
// by panels/logPanel.ts; both live in the services half (dist/services.js), out of the activation bundle.
import * as vscode from 'vscode';
import type { CurrentCluster } from '../cluster/currentCluster';
import type { GpuTreeNode, WorkloadTreeNode } from '../core/tree';
import type { Host } from '../host';
import type { LogTarget } from '../sessions/logFollow';
import type { CommandTable } from './types';

type Node = WorkloadTreeNode | GpuTreeNode;

/** The log target of a tree row. */
export function logTargetOf(node: Node | undefined): LogTarget | undefined {
  switch (node?.type) {
    case 'workload': {
      if (node.kind.category === 'queueing') return undefined;
      const m = node.object.metadata;
      return {
        type: 'workload',
        group: node.kind.group,
        kind: node.kind.kind,
        namespace: m.namespace ?? '',
        name: m.name,
      };
    }
    case 'pod':
    case 'gpuPod':
      return node.namespace ? { type: 'pod', namespace: node.namespace, name: node.name } : undefined;
    default:
      return undefined;
  }
}

/** Workload rows of the tree as it is shown (the current context and namespaces). */
function workloadsInView(cluster: CurrentCluster): WorkloadTreeNode[] {
  const tree = cluster.model?.workloads;
  if (!tree) return [];
  const out: WorkloadTreeNode[] = [];
  const walk = (nodes: WorkloadTreeNode[]) => {
    for (const n of nodes) {
      // Queues (Kueue) have no pods of their own.
      if (n.type === 'workload') {
        if (n.kind.category !== 'queueing') out.push(n);
      } else if (n.type === 'group') walk(tree.children(n.id));
    }
  };
  walk(tree.children());
  return out;
}

async function pickWorkload(cluster: CurrentCluster): Promise<Node | undefined> {
  const rows = workloadsInView(cluster);
  if (rows.length === 0) {
    void vscode.window.showInformationMessage('Gantry: no workloads in the chosen namespaces to follow.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    rows.map((n) => ({
      label: n.type === 'workload' ? n.object.metadata.name : n.label,
      description: n.type === 'workload' ? `${n.kind.kind} · ${n.object.metadata.namespace ?? ''}` : '',
      detail: n.description,
      node: n,
    })),
    {
      title: 'Gantry: Follow Logs',
      placeHolder: 'Type to filter the workloads, Enter to follow',
      matchOnDescription: true,
    },
  );
  return pick?.node;
}

export function logCommands(host: Host): CommandTable {
  return {
    'gantry.followLogs': async (node) => {
      const services = await host.services();
      const backend = services.logs;
      const cluster = services.cluster;
      const target = logTargetOf((node as Node | undefined) ?? (await pickWorkload(cluster)));
      if (!target) return;
      const lease = cluster.leaseConnection();
      if (!lease) {
        void vscode.window.showErrorMessage(
          'Gantry: not connected to a cluster, so there are no logs to follow.',
        );
        return;
      }
      const session = backend.start(lease, target, {}, { maxLines: host.config.logsMaxLines });
      const panel = services.logPanels.open(session);
      // A failure explained from the ranks' tails shows in the panel with a link to its evidence.
      const failures = services.failureSource(target);
      if (failures) panel.attachFailures(failures);
      host.log.info(`following logs of ${session.target} (${session.id})`);
    },
    'gantry.logOptions': async () => {
      const panels = (await host.services()).logPanels;
      const p = panels.panelOf(vscode.window.activeTerminal);
      if (p) await panels.showOptions(p);
    },
  };
}
