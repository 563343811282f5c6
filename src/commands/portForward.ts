// Open Notebook / Ray Dashboard / Endpoint and Port Forward…: a forward session per target, added to the
// Sessions view, its URL opened through asExternalUri (code-server and remote windows map the loopback port).
import * as vscode from 'vscode';
import type { CurrentCluster } from '../cluster/currentCluster';
import {
  endpointFor,
  notebookStartPatch,
  podEndpoint,
  podPorts,
  proxiedPathProblem,
  serviceEndpoint,
  servicePorts,
  serviceSelector,
  type Endpoint,
} from '../core/endpoints';
import {
  FORWARD_NOUN,
  podOrServiceChoices,
  workloadChoices,
  workloadPath,
  type ForwardAction,
} from '../core/forwardChoices';
import { findKindDef, type MlKindDef } from '../core/kinds';
import { POD_KIND, type KubeObject } from '../core/kube';
import type { WorkloadTreeNode } from '../core/tree';
import type { Host } from '../host';
import type { PodSelection } from '../k8s/selectorPods';
import type * as Forwards from '../sessions/forwards';
import type { ForwardSession } from '../sessions/portForward';
import type { CommandTable } from './types';

type Action = ForwardAction;

export function forwardCommands(host: Host): CommandTable {
  return {
    'gantry.openNotebook': (node) => openWorkload(host, 'notebook', node as WorkloadTreeNode | undefined),
    'gantry.openRayDashboard': (node) =>
      openWorkload(host, 'rayDashboard', node as WorkloadTreeNode | undefined),
    'gantry.openEndpoint': (node) => openWorkload(host, 'inference', node as WorkloadTreeNode | undefined),
    'gantry.portForward': (node) => portForward(host, node as WorkloadTreeNode | undefined),
  };
}

interface Ready {
  readonly cluster: CurrentCluster;
  readonly context: string;
}

async function connected(host: Host): Promise<Ready | undefined> {
  const cluster = (await host.services()).cluster;
  const context = cluster.contextName;
  if (!cluster.connection || !context) {
    void vscode.window.showWarningMessage('Gantry is not connected to a cluster. Choose a context first.');
    return undefined;
  }
  return { cluster, context };
}

/** The workload from the tree row, or a quick pick of the matching workloads the views show. */
async function chooseWorkload(
  cluster: CurrentCluster,
  action: Action,
  node: WorkloadTreeNode | undefined,
): Promise<{ obj: KubeObject; def: MlKindDef } | undefined> {
  if (node?.type === 'workload') {
    const def = findKindDef(node.kind.group, node.kind.kind);
    if (def) return { obj: node.object, def };
  }
  const items = workloadChoices(action, cluster.model?.source);
  if (items.length === 0) {
    void vscode.window.showInformationMessage(`No ${FORWARD_NOUN[action]} in the namespaces Gantry shows.`);
    return undefined;
  }
  const pick =
    items.length === 1
      ? items[0]
      : await vscode.window.showQuickPick(items, {
          title: `Gantry: choose a ${FORWARD_NOUN[action]}`,
          matchOnDescription: true,
        });
  return pick ? { obj: pick.obj, def: pick.def } : undefined;
}

/** The pods to follow: the workload's own (trackPods through the workload index). */
function workloadPods(def: MlKindDef, obj: KubeObject): Forwards.ForwardPods {
  return {
    type: 'workload',
    target: {
      type: 'workload',
      group: def.group,
      kind: def.kind,
      namespace: obj.metadata.namespace ?? 'default',
      name: obj.metadata.name,
    },
  };
}

async function openWorkload(host: Host, action: Action, node: WorkloadTreeNode | undefined): Promise<void> {
  const c = await connected(host);
  if (!c) return;
  const chosen = await chooseWorkload(c.cluster, action, node);
  if (!chosen) return;
  const { obj, def } = chosen;
  const r = endpointFor(def.family, obj);
  if (!r.ok) {
    void vscode.window.showWarningMessage(r.reason);
    return;
  }
  if (r.endpoint.stopped) {
    const start = 'Start Notebook';
    const answer = await vscode.window.showWarningMessage(
      r.endpoint.stopped,
      {
        modal: true,
        detail: `Start it? Gantry removes the kubeflow-resource-stopped annotation and the notebook controller starts its pod in context ${c.context}.`,
      },
      start,
    );
    if (answer !== start) return;
    const conn = c.cluster.connection;
    if (!conn) return;
    const p = await conn.transport.request('PATCH', workloadPath(def, obj), {
      body: notebookStartPatch(),
      contentType: 'application/merge-patch+json',
    });
    if (!p.ok) {
      void vscode.window.showErrorMessage(`Could not start the notebook: ${p.error.message}`);
      return;
    }
    host.log.info(`started notebook ${obj.metadata.namespace}/${obj.metadata.name}`);
  }
  await startForward(host, c, r.endpoint, workloadPods(def, obj), r.endpoint.title);
}

async function portForward(host: Host, node: WorkloadTreeNode | undefined): Promise<void> {
  const c = await connected(host);
  if (!c) return;
  const conn = c.cluster.connection!;
  let target: { kind: 'pod' | 'service'; obj: KubeObject } | undefined;
  if (node?.type === 'pod') {
    const got = await conn.getObject(POD_KIND, node.namespace, node.name);
    if (!got.ok) {
      void vscode.window.showErrorMessage(`Could not read pod ${node.name}: ${got.error.message}`);
      return;
    }
    target = { kind: 'pod', obj: got.value };
  } else {
    target = await pickPodOrService(c.cluster);
  }
  if (!target) return;
  const ns = target.obj.metadata.namespace ?? 'default';
  let endpoint: Endpoint;
  let pods: Forwards.ForwardPods;
  if (target.kind === 'service') {
    const ports = servicePorts(target.obj);
    const pick =
      ports.length === 1
        ? ports[0]
        : (
            await vscode.window.showQuickPick(
              ports.map((p) => ({ label: `${p.port}`, description: `${p.name ?? ''} → ${p.targetPort}`, p })),
              { title: `Port of Service ${target.obj.metadata.name}` },
            )
          )?.p;
    if (!pick) return;
    const e = serviceEndpoint(target.obj, pick);
    if (!e.ok) {
      void vscode.window.showWarningMessage(e.reason);
      return;
    }
    endpoint = e.endpoint;
    pods = { type: 'selection', namespace: ns, selection: { labels: serviceSelector(target.obj)! } };
  } else {
    const declared = podPorts(target.obj);
    const other = { label: 'Another port…', port: 0 };
    const picked =
      declared.length === 0
        ? other
        : await vscode.window.showQuickPick(
            [
              ...declared.map((p) => ({
                label: `${p.port}`,
                description: [p.name, `container ${p.container}`].filter(Boolean).join(' · '),
                port: p.port,
              })),
              other,
            ],
            { title: `Port of pod ${target.obj.metadata.name}` },
          );
    if (!picked) return;
    let port = picked.port;
    if (!port) {
      const typed = await vscode.window.showInputBox({
        title: `Port of pod ${target.obj.metadata.name}`,
        prompt: 'The pod port to forward to',
        validateInput: (v) =>
          /^\d+$/.test(v) && +v > 0 && +v < 65536 ? undefined : 'A port number, 1–65535',
      });
      if (!typed) return;
      port = Number(typed);
    }
    endpoint = podEndpoint(target.obj, port);
    // By name: a StatefulSet's replacement pod (same name) is followed.
    const selection: PodSelection = { podName: target.obj.metadata.name };
    pods = { type: 'selection', namespace: ns, selection };
  }
  const local = await vscode.window.showInputBox({
    title: `Local port for ${endpoint.title}`,
    prompt: 'Port on 127.0.0.1 (empty: a free port)',
    validateInput: (v) =>
      v === '' || (/^\d+$/.test(v) && +v > 0 && +v < 65536) ? undefined : 'Empty, or a port number 1–65535',
  });
  if (local === undefined) return;
  await startForward(host, c, endpoint, pods, endpoint.title, local ? Number(local) : undefined);
}

async function pickPodOrService(
  cluster: CurrentCluster,
): Promise<{ kind: 'pod' | 'service'; obj: KubeObject } | undefined> {
  const conn = cluster.connection!;
  const scope = cluster.namespaceChoice;
  const namespaces = scope.kind === 'some' ? scope.namespaces : [undefined];
  const items: ReturnType<typeof podOrServiceChoices> = [];
  for (const ns of namespaces) {
    const base = ns ? `/api/v1/namespaces/${encodeURIComponent(ns)}` : '/api/v1';
    const [svcs, pods] = await Promise.all([
      conn.transport.get<{ items?: KubeObject[] }>(`${base}/services`),
      conn.transport.get<{ items?: KubeObject[] }>(`${base}/pods`, {
        query: { fieldSelector: 'status.phase=Running' },
      }),
    ]);
    items.push(
      ...podOrServiceChoices(
        svcs.ok ? (svcs.value.items ?? []) : [],
        pods.ok ? (pods.value.items ?? []) : [],
      ),
    );
  }
  if (items.length === 0) {
    void vscode.window.showInformationMessage('No Service or running pod in the namespaces Gantry shows.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(items, {
    title: 'Gantry: Port Forward… to a Service or pod',
    matchOnDescription: true,
  });
  return pick ? { kind: pick.what, obj: pick.obj } : undefined;
}

async function startForward(
  host: Host,
  c: Ready,
  endpoint: Endpoint,
  pods: Forwards.ForwardPods,
  target: string,
  localPort?: number,
): Promise<void> {
  const services = await host.services();
  const lease = c.cluster.leaseConnection();
  if (!lease) return;
  const session = services.forwards.create({
    context: c.context,
    target,
    lease,
    pods,
    endpoint,
    localPort,
    log: (line) => host.log.info(line),
  });
  const started = await session.start();
  if (!started.ok) {
    const e = started.error;
    if ((e.kind === 'portInUse' || e.kind === 'listen') && e.freePort !== undefined) {
      const use = `Use ${e.freePort}`;
      const answer = await vscode.window.showWarningMessage(e.message, use);
      if (answer === use) await startForward(host, c, endpoint, pods, target, e.freePort);
    } else void vscode.window.showErrorMessage(e.message);
    return;
  }
  services.sessions.add(session);
  host.log.info(`forward ${session.id}: ${target} at ${started.url}`);
  const outcome = await untilLive(session, target);
  if (outcome !== 'live') {
    if (session.state === 'failed')
      void vscode.window.showErrorMessage(`${target}: ${session.endReason ?? 'failed'}`);
    return;
  }
  const link = await forwardLink(started.url, endpoint);
  if (link.problem) return cannotOpen(link.problem, started.url);
  if (endpoint.scheme === 'http') await vscode.env.openExternal(link.uri);
  const copy = 'Copy URL';
  const answer = await vscode.window.showInformationMessage(
    `${target} is forwarded to ${link.uri.toString(true)}. It follows the workload's pods until you stop it in the Sessions view.`,
    copy,
  );
  if (answer === copy) await vscode.env.clipboard.writeText(link.uri.toString(true));
}

/**
 * Where the user's browser reaches a forward: the mapped URL, or, when the endpoint's page cannot load through
 * that mapping (a notebook under code-server's /proxy/<port>/), the local URL and why. asExternalUri maps the
 * loopback port (a tunnel in remote windows, the proxy in code-server), but code-server's mapping drops the path
 * (pitfall 18): map the port's root, then put the path and query back.
 */
export async function forwardLink(
  localUrl: string,
  endpoint?: Pick<Endpoint, 'action' | 'title' | 'path'>,
): Promise<{ uri: vscode.Uri; problem?: string }> {
  const local = vscode.Uri.parse(localUrl);
  const root = await vscode.env.asExternalUri(local.with({ path: '/', query: '', fragment: '' }));
  const problem = endpoint && proxiedPathProblem(endpoint, root, localUrl);
  if (problem) return { uri: local, problem };
  const base = root.path.endsWith('/') ? root.path.slice(0, -1) : root.path;
  return { uri: root.with({ path: `${base}${local.path}`, query: local.query }) };
}

/** Opens a forward's page in the user's browser, or says why it cannot load there and offers the local URL. */
export async function openForwardUrl(
  localUrl: string,
  endpoint?: Pick<Endpoint, 'action' | 'title' | 'path'>,
): Promise<void> {
  const link = await forwardLink(localUrl, endpoint);
  if (link.problem) return cannotOpen(link.problem, localUrl);
  await vscode.env.openExternal(link.uri);
}

async function cannotOpen(problem: string, localUrl: string): Promise<void> {
  const copy = 'Copy Local URL';
  if ((await vscode.window.showWarningMessage(problem, copy)) === copy)
    await vscode.env.clipboard.writeText(localUrl);
}

/** Resolves when the forward is live or has ended; while it waits for a Ready pod the user can cancel. */
async function untilLive(session: ForwardSession, target: string): Promise<'live' | 'ended'> {
  const settled = (): 'live' | 'ended' | undefined =>
    session.state === 'live' ? 'live' : session.isEnded ? 'ended' : undefined;
  const wait = () =>
    new Promise<'live' | 'ended'>((resolve) => {
      const now = settled();
      if (now) return resolve(now);
      const sub = session.onDidChange(() => {
        const s = settled();
        if (s) {
          sub.dispose();
          resolve(s);
        }
      });
    });
  // A Ready pod is usually there at once; a notification only when it is not.
  const quick = await Promise.race([
    wait(),
    new Promise<undefined>((r) => setTimeout(() => r(undefined), 1500)),
  ]);
  if (quick) return quick;
  return vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `${target}: waiting for a Ready pod…`,
      cancellable: true,
    },
    (_progress, token) => {
      token.onCancellationRequested(() => session.stop('cancelled by you'));
      return wait();
    },
  );
}
