// Commands on one object of the tree: Describe, Delete, Copy Name.
import * as vscode from 'vscode';
import type { CurrentCluster } from '../cluster/currentCluster';
import { NODE_KIND, POD_KIND, type KindRef } from '../core/kube';
import type { GpuTreeNode, WorkloadTreeNode } from '../core/tree';
import type { Host } from '../host';
import { describeUri } from '../panels/describe';
import { confirmProtected } from './guards';
import type { CommandTable } from './types';

type Node = WorkloadTreeNode | GpuTreeNode;

export function objectCommands(host: Host): CommandTable {
  const cluster = async (): Promise<CurrentCluster> => (await host.services()).cluster;
  return {
    'gantry.describe': async (node) => (node ? describe(await cluster(), node as Node) : rowForgotten()),
    'gantry.delete': async (node) =>
      node ? deleteObject(host, await cluster(), node as Node) : rowForgotten(),
    'gantry.copyName': (node) => (node ? copyName(node as Node) : rowForgotten()),
  };
}

/**
 * These commands come only from a row's menu (hidden from the palette), yet VS Code hands them no row when the
 * view refreshed the row's parent while the menu was open (its extension host forgets the rows it handed out
 * until the view asks for them again). Say so rather than do nothing.
 */
export const ROW_FORGOTTEN =
  'Gantry: the view was refreshing when you chose that; right-click the row again.';

function rowForgotten(): void {
  void vscode.window.showInformationMessage(ROW_FORGOTTEN);
}

/** The object behind a tree node: kind, namespace and name. */
export function targetOf(
  node: Node | undefined,
): { kind: KindRef; namespace?: string; name: string } | undefined {
  if (!node) return undefined;
  switch (node.type) {
    case 'workload':
      return { kind: node.kind, namespace: node.object.metadata.namespace, name: node.object.metadata.name };
    case 'pod':
      return { kind: POD_KIND, namespace: node.namespace, name: node.name };
    case 'gpuNode':
      return { kind: NODE_KIND, name: node.node.name };
    case 'gpuPod':
      return { kind: POD_KIND, namespace: node.namespace, name: node.name };
    default:
      return undefined;
  }
}

async function describe(cluster: CurrentCluster, node: Node | undefined): Promise<void> {
  const t = targetOf(node);
  const context = cluster.contextName;
  if (!t || !context) return;
  const doc = await vscode.workspace.openTextDocument(describeUri({ context, ...t }));
  await vscode.languages.setTextDocumentLanguage(doc, 'yaml');
  await vscode.window.showTextDocument(doc, { preview: true });
}

async function deleteObject(host: Host, cluster: CurrentCluster, node: Node | undefined): Promise<void> {
  const t = targetOf(node);
  const conn = cluster.connection;
  const context = cluster.contextName;
  if (!t || !conn || !context) return;
  const what = `${t.kind.kind} ${t.namespace ? `${t.namespace}/` : ''}${t.name}`;
  const isProtected = cluster.isProtected(context);
  const answer = await vscode.window.showWarningMessage(
    `Delete ${what} in context ${context}?`,
    {
      modal: true,
      detail: isProtected
        ? `${context} is a protected context. Its pods are stopped and the object is removed from the cluster.`
        : 'Its pods are stopped and the object is removed from the cluster.',
    },
    'Delete',
  );
  if (answer !== 'Delete') return;
  if (!(await confirmProtected({ context, isProtected, what: `delete ${what}`, typeToConfirm: t.name })))
    return;
  const r = await conn.deleteObject(t.kind, t.namespace, t.name, 'Background');
  if (!r.ok) {
    void vscode.window.showErrorMessage(`Could not delete ${what}: ${r.error.message}`);
    return;
  }
  host.log.info(`deleted ${what} in context ${context}`);
  void vscode.window.setStatusBarMessage(`Gantry: deleted ${what}`, 4000);
}

async function copyName(node: Node | undefined): Promise<void> {
  const t = targetOf(node);
  if (t) await vscode.env.clipboard.writeText(t.name);
}
