// One table of command ids -> handlers, registered in a loop. package.json must agree (test/unit/commands.test.ts).
import * as vscode from 'vscode';
import type { KindRef } from '../core/kube';
import type { GpuTreeNode, WorkloadTreeNode } from '../core/tree';
import { NODE_KIND, POD_KIND } from '../core/kube';
import type { ClusterSession } from '../clusterSession';
import type { Ctx } from '../ctx';
import { describeUri } from '../panels/describe';

export type Handler = (...args: unknown[]) => unknown;
type Node = WorkloadTreeNode | GpuTreeNode;

export function commandTable(ctx: Ctx): Record<string, Handler> {
  return {
    'gantry.showLog': () => ctx.log.show(true),
    'gantry.selectContext': async () => selectContext(ctx, await session(ctx)),
    'gantry.selectNamespaces': async () => selectNamespaces(ctx, await session(ctx)),
    'gantry.refresh': async () => refresh(await session(ctx)),
    'gantry.groupByNamespace': async () => (await session(ctx)).setGrouping('namespace'),
    'gantry.groupByKind': async () => (await session(ctx)).setGrouping('kind'),
    'gantry.describe': async (node) => describe(await session(ctx), node as Node),
    'gantry.delete': async (node) => deleteObject(ctx, await session(ctx), node as Node),
    'gantry.copyName': (node) => copyName(node as Node),
    'gantry.restartLanguageServer': async () => (await ctx.services()).languageClient.restart(),
  };
}

async function session(ctx: Ctx): Promise<ClusterSession> {
  return (await ctx.services()).session;
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

async function selectContext(ctx: Ctx, session: ClusterSession): Promise<void> {
  const kc = session.kubeconfig;
  if (kc.kind !== 'ok') {
    const action = await vscode.window.showWarningMessage(
      kc.kind === 'none'
        ? `No kubeconfig with a context was found (looked at ${kc.searched.join(', ') || '~/.kube/config'}).`
        : `The kubeconfig could not be read: ${kc.issues[0]?.message ?? 'unknown problem'}`,
      'Open Settings',
    );
    if (action) await vscode.commands.executeCommand('workbench.action.openSettings', 'gantry.kubeconfig');
    return;
  }
  const current = session.contextName;
  type Item = vscode.QuickPickItem & { context?: string; action?: 'namespaces' };
  const items: Item[] = kc.contexts.map((c) => ({
    label: c.name,
    description: [
      c.name === current ? '$(check) current' : '',
      session.isProtected(c.name) ? '$(lock) protected' : '',
    ]
      .filter(Boolean)
      .join(' '),
    detail: [c.server, c.namespace ? `namespace ${c.namespace}` : ''].filter(Boolean).join(' · '),
    context: c.name,
  }));
  items.push(
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    { label: '$(filter) Choose Namespaces…', action: 'namespaces' },
  );
  const pick = await vscode.window.showQuickPick(items, {
    title: 'Gantry: Kubernetes Context',
    placeHolder: 'Switch the context Gantry shows (your kubeconfig is not changed)',
    matchOnDetail: true,
  });
  if (!pick) return;
  if (pick.action === 'namespaces') return selectNamespaces(ctx, session);
  if (pick.context) await session.switchContext(pick.context);
}

async function selectNamespaces(ctx: Ctx, session: ClusterSession): Promise<void> {
  const conn = session.connection;
  if (!conn) {
    void vscode.window
      .showWarningMessage('Gantry is not connected to a cluster.', 'Select Context')
      .then((a) => {
        if (a) void vscode.commands.executeCommand('gantry.selectContext');
      });
    return;
  }
  const chosen = session.namespaceChoice;
  const listed = await conn.listNamespaces();
  let names: string[];
  let note = '';
  if (listed.ok) {
    names = listed.value;
  } else {
    names = [
      ...new Set([...(conn.context.namespace ? [conn.context.namespace] : []), ...ctx.config.namespaces]),
    ];
    note = `Cannot list namespaces: ${listed.error.message}`;
  }
  const selected = new Set(chosen.kind === 'some' ? chosen.namespaces : []);
  for (const n of selected) if (!names.includes(n)) names.push(n);
  const qp = vscode.window.createQuickPick<vscode.QuickPickItem & { all?: boolean }>();
  qp.title = 'Gantry: Namespaces';
  qp.placeholder = note || 'Pick namespaces, or none for all namespaces. Type a name to add one.';
  qp.canSelectMany = true;
  const base = names.sort().map((n) => ({ label: n }));
  qp.items = base;
  qp.selectedItems = base.filter((i) => selected.has(i.label));
  qp.onDidChangeValue((v) => {
    const typed = v.trim();
    const extra =
      typed && !names.includes(typed) && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(typed)
        ? [{ label: typed, description: 'add' }]
        : [];
    const keep = qp.selectedItems;
    qp.items = [...extra, ...base];
    qp.selectedItems = qp.items.filter((i) => keep.some((k) => k.label === i.label));
  });
  const result = await new Promise<readonly string[] | undefined>((resolve) => {
    qp.onDidAccept(() => {
      resolve(qp.selectedItems.map((i) => i.label));
      qp.hide();
    });
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  if (!result) return;
  await session.setNamespaces(result.length ? result : 'all');
}

async function refresh(session: ClusterSession): Promise<void> {
  const model = session.model;
  if (!model || model.state.state === 'failed' || model.state.state === 'stopped') {
    await session.connect(session.contextName);
    return;
  }
  await model.source.rediscover();
  model.rebuild();
}

async function describe(session: ClusterSession, node: Node | undefined): Promise<void> {
  const t = targetOf(node);
  const context = session.contextName;
  if (!t || !context) return;
  const doc = await vscode.workspace.openTextDocument(describeUri({ context, ...t }));
  await vscode.languages.setTextDocumentLanguage(doc, 'yaml');
  await vscode.window.showTextDocument(doc, { preview: true });
}

async function deleteObject(ctx: Ctx, session: ClusterSession, node: Node | undefined): Promise<void> {
  const t = targetOf(node);
  const conn = session.connection;
  const context = session.contextName;
  if (!t || !conn || !context) return;
  const what = `${t.kind.kind} ${t.namespace ? `${t.namespace}/` : ''}${t.name}`;
  const protectedCtx = session.isProtected(context);
  const answer = await vscode.window.showWarningMessage(
    `Delete ${what} in context ${context}?`,
    {
      modal: true,
      detail: protectedCtx
        ? `${context} is a protected context. Its pods are stopped and the object is removed from the cluster.`
        : 'Its pods are stopped and the object is removed from the cluster.',
    },
    'Delete',
  );
  if (answer !== 'Delete') return;
  if (protectedCtx) {
    const typed = await vscode.window.showInputBox({
      title: `Protected context ${context}`,
      prompt: `Type the name "${t.name}" to delete ${what}.`,
      validateInput: (v) => (v === t.name ? undefined : `Type ${t.name} exactly.`),
    });
    if (typed !== t.name) return;
  }
  const r = await conn.deleteObject(t.kind, t.namespace, t.name, 'Background');
  if (!r.ok) {
    void vscode.window.showErrorMessage(`Could not delete ${what}: ${r.error.message}`);
    return;
  }
  ctx.log.info(`deleted ${what} in context ${context}`);
  void vscode.window.setStatusBarMessage(`Gantry: deleted ${what}`, 4000);
}

async function copyName(node: Node | undefined): Promise<void> {
  const t = targetOf(node);
  if (t) await vscode.env.clipboard.writeText(t.name);
}
