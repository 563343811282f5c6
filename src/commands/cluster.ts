// Commands about the connection: context, namespaces, refresh, grouping, the language server and the log.
import * as vscode from 'vscode';
import type { CurrentCluster } from '../cluster/currentCluster';
import type { Host } from '../host';
import type { CommandTable } from './types';

export function clusterCommands(host: Host): CommandTable {
  const cluster = async (): Promise<CurrentCluster> => (await host.services()).cluster;
  return {
    'gantry.showLog': () => host.log.show(true),
    'gantry.selectContext': async () => selectContext(host, await cluster()),
    'gantry.selectNamespaces': async () => selectNamespaces(host, await cluster()),
    'gantry.refresh': async () => refresh(await cluster()),
    'gantry.groupByNamespace': async () => (await cluster()).setGrouping('namespace'),
    'gantry.groupByKind': async () => (await cluster()).setGrouping('kind'),
    'gantry.restartLanguageServer': async () => (await host.services()).languageClient.restart(),
  };
}

async function selectContext(host: Host, cluster: CurrentCluster): Promise<void> {
  const kc = cluster.kubeconfig;
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
  const current = cluster.contextName;
  type Item = vscode.QuickPickItem & { context?: string; action?: 'namespaces' };
  const items: Item[] = kc.contexts.map((c) => ({
    label: c.name,
    description: [
      c.name === current ? '$(check) current' : '',
      cluster.isProtected(c.name) ? '$(lock) protected' : '',
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
  if (pick.action === 'namespaces') return selectNamespaces(host, cluster);
  if (pick.context && pick.context !== current) await cluster.switchContext(pick.context);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
type NsItem = vscode.QuickPickItem & { ns?: string; all?: boolean; several?: boolean };

/**
 * One keystroke for the common cases: type to filter, Enter takes the highlighted row (one namespace, or All).
 * "Choose several…" opens a multi-select. A name that is not listed (listing forbidden) can be typed and taken.
 */
async function selectNamespaces(host: Host, cluster: CurrentCluster): Promise<void> {
  const conn = cluster.connection;
  if (!conn) {
    void vscode.window
      .showWarningMessage('Gantry is not connected to a cluster.', 'Select Context')
      .then((a) => {
        if (a) void vscode.commands.executeCommand('gantry.selectContext');
      });
    return;
  }
  const chosen = cluster.namespaceChoice;
  const listed = await conn.listNamespaces();
  let names: string[];
  let note = '';
  if (listed.ok) {
    names = listed.value;
  } else {
    names = [
      ...new Set([...(conn.context.namespace ? [conn.context.namespace] : []), ...host.config.namespaces]),
    ];
    note = `Cannot list namespaces (${listed.error.message}). Type a name and press Enter.`;
  }
  const selected = new Set(chosen.kind === 'some' ? chosen.namespaces : []);
  for (const n of selected) if (!names.includes(n)) names.push(n);
  names.sort();
  const pick = await pickOne(names, selected, chosen.kind === 'all', note);
  if (!pick) return;
  if (pick === 'several') {
    const several = await pickSeveral(names, selected, note);
    if (several) await cluster.setNamespaces(several.length ? several : 'all');
    return;
  }
  await cluster.setNamespaces(pick === 'all' ? 'all' : [pick]);
}

/** The typed name as an extra row when it is a valid namespace name that is not listed. */
function typedRow(value: string, names: readonly string[]): NsItem[] {
  const typed = value.trim();
  return typed && !names.includes(typed) && DNS_LABEL.test(typed)
    ? [{ label: typed, description: 'not in the list: show it anyway', ns: typed }]
    : [];
}

function pickOne(
  names: readonly string[],
  selected: ReadonlySet<string>,
  isAll: boolean,
  note: string,
): Promise<string | 'all' | 'several' | undefined> {
  const qp = vscode.window.createQuickPick<NsItem>();
  qp.title = 'Gantry: Namespaces';
  qp.placeholder = note || 'Type to filter, Enter to show one namespace; or All, or Choose several…';
  qp.matchOnDescription = false;
  const base: NsItem[] = [
    { label: '$(globe) All namespaces', description: isAll ? 'current' : '', all: true },
    { label: 'namespaces', kind: vscode.QuickPickItemKind.Separator },
    ...names.map((n) => ({ label: n, description: selected.has(n) ? 'current' : '', ns: n })),
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    { label: '$(checklist) Choose several…', several: true, alwaysShow: true },
  ];
  qp.items = base;
  let extra = '';
  qp.onDidChangeValue((v) => {
    // Replace the items only when the extra row changes, so the highlight a person sees is what Enter takes.
    const row = typedRow(v, names);
    const key = row[0]?.label ?? '';
    if (key === extra) return;
    extra = key;
    qp.items = [...row, ...base];
  });
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: string | 'all' | 'several' | undefined): void => {
      if (done) return;
      done = true;
      resolve(r);
      qp.hide();
      qp.dispose();
    };
    qp.onDidAccept(() => {
      const item = qp.selectedItems[0] ?? qp.activeItems[0];
      if (!item) return;
      finish(item.all ? 'all' : item.several ? 'several' : item.ns);
    });
    qp.onDidHide(() => finish(undefined));
    qp.show();
  });
}

function pickSeveral(
  names: readonly string[],
  selected: ReadonlySet<string>,
  note: string,
): Promise<string[] | undefined> {
  const qp = vscode.window.createQuickPick<NsItem>();
  qp.title = 'Gantry: Namespaces (several)';
  qp.placeholder = note || 'Tick the namespaces to show and press Enter (none ticked: all namespaces)';
  qp.canSelectMany = true;
  const base: NsItem[] = names.map((n) => ({ label: n, ns: n }));
  qp.items = base;
  qp.selectedItems = base.filter((i) => selected.has(i.label));
  // The ticks as the user last set them; the items are replaced only when the typed row changes, and the
  // ticks are carried over from this set (not from a selection event that may not have arrived yet).
  let ticked = new Set(selected);
  qp.onDidChangeSelection((s) => (ticked = new Set(s.map((i) => i.label))));
  let extra = '';
  qp.onDidChangeValue((v) => {
    const row = typedRow(v, names);
    const key = row[0]?.label ?? '';
    if (key === extra) return;
    extra = key;
    qp.items = [...row, ...base];
    qp.selectedItems = qp.items.filter((i) => ticked.has(i.label));
  });
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: string[] | undefined): void => {
      if (done) return;
      done = true;
      resolve(r);
      qp.hide();
      qp.dispose();
    };
    qp.onDidAccept(() => {
      const picked = qp.selectedItems.map((i) => i.label);
      // Nothing ticked: the highlighted row if the user typed a filter, else all namespaces.
      const active = qp.value.trim() ? qp.activeItems[0]?.label : undefined;
      finish(picked.length ? picked : active ? [active] : []);
    });
    qp.onDidHide(() => finish(undefined));
    qp.show();
  });
}

async function refresh(cluster: CurrentCluster): Promise<void> {
  const model = cluster.model;
  if (!model || model.state.state === 'failed' || model.state.state === 'stopped') {
    await cluster.connect('retry', cluster.contextName);
    return;
  }
  await model.source.rediscover();
  model.rebuild();
}
