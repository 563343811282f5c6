// The cluster the views show: kubeconfig, chosen context and namespaces. Three lifetimes meet here:
// - this object lives as long as the extension;
// - it holds a lease on the current context's connection (src/k8s/connections.ts) for as long as that context
//   is current: a context switch releases it, a kubeconfig/trust/settings change or a Refresh after a failure
//   asks the pool for a fresh connection (sessions keep the one they lease);
// - the view scope (the namespace-filtered model source, the tree models, the facts fed to the language server)
//   is rebuilt on a namespace change, a Refresh or a reconnect, without touching any user session.
import * as vscode from 'vscode';
import { DisposableStore } from '../core/lifecycle';
import type { Grouping } from '../core/tree';
import type { ClusterConnection, NamespaceScope } from '../k8s/connection';
import type { ConnectionLease, ConnectionPool } from '../k8s/connections';
import { loadKubeconfig, pickContext, type KubeconfigLoad, type MergedKubeconfig } from '../k8s/kubeconfig';
import { ClusterModelSource } from '../k8s/modelSource';
import type { Config } from '../config';
import { ClusterModel, type ModelState } from '../model/clusterModel';
import { GpuUsagePoller } from '../model/gpuUsage';

const CONTEXT_KEY = 'gantry.state.context';
// Not `gantry.namespaces`: that is the name of a setting, and this is the picker's remembered choice.
const NAMESPACES_KEY = 'gantry.state.namespaceChoice';
const GROUPING_KEY = 'gantry.state.grouping';
/** Keys of 0.1.0, read once so an upgrade keeps the user's choice. */
const LEGACY_KEYS: Record<string, string> = {
  [CONTEXT_KEY]: 'gantry.context',
  [NAMESPACES_KEY]: 'gantry.namespaces',
  [GROUPING_KEY]: 'gantry.grouping',
};

export type ConnectionPhase = 'none' | 'connecting' | 'connected' | 'reconnecting' | 'failed';

/** Why the connection is built again; decides whether the pool hands out a fresh connection. */
export type ReconnectReason = 'start' | 'kubeconfig' | 'trust' | 'retry';

export interface ContextSwitch {
  readonly from: string | undefined;
  readonly to: string | undefined;
}

export class CurrentCluster implements vscode.Disposable {
  private readonly _onDidChangeModel = new vscode.EventEmitter<ClusterModel | undefined>();
  private readonly _onDidChangeState = new vscode.EventEmitter<void>();
  private readonly _onDidSwitchContext = new vscode.EventEmitter<ContextSwitch>();
  readonly onDidChangeModel = this._onDidChangeModel.event;
  readonly onDidChangeState = this._onDidChangeState.event;
  /** The current context changed (user switch, or the kubeconfig lost the old one). Sessions of others stop. */
  readonly onDidSwitchContext = this._onDidSwitchContext.event;
  private _kubeconfig: KubeconfigLoad = { kind: 'none', searched: [], issues: [] };
  private _lease: ConnectionLease | undefined;
  private _viewScope = new DisposableStore();
  private _model: ClusterModel | undefined;
  private _contextName: string | undefined;
  private _setupError: string | undefined;
  private _generation = 0;

  constructor(
    private readonly _config: Config,
    private readonly _state: vscode.Memento,
    private readonly _log: vscode.LogOutputChannel,
    private readonly _pool: ConnectionPool,
  ) {}

  get kubeconfig(): KubeconfigLoad {
    return this._kubeconfig;
  }
  get model(): ClusterModel | undefined {
    return this._model;
  }
  get connection(): ClusterConnection | undefined {
    const c = this._lease?.connection;
    return c && !c.isDisposed ? c : undefined;
  }
  get contextName(): string | undefined {
    return this._contextName;
  }
  get grouping(): Grouping {
    return this.remembered<Grouping>(GROUPING_KEY) ?? 'kind';
  }
  get namespaceChoice(): NamespaceScope {
    const ns = this.remembered<string[]>(NAMESPACES_KEY);
    return ns && ns.length ? { kind: 'some', namespaces: ns } : { kind: 'all' };
  }

  /** A lease on the current context's connection, for a user session (released when the session ends). */
  leaseConnection(): ConnectionLease | undefined {
    const c = this.connection;
    return c ? this._pool.share(c) : undefined;
  }

  /** What the views and the status bar show about the connection. */
  get phase(): ConnectionPhase {
    if (this._setupError) return 'failed';
    const s = this._model?.state;
    if (!s) return 'none';
    if (s.state === 'stopped') return 'none';
    return s.state;
  }

  /** One line for the views' message area, or undefined when everything is fine and complete. */
  get message(): string | undefined {
    if (this._setupError) return this._setupError;
    const s: ModelState | undefined = this._model?.state;
    const ctx = this._contextName;
    switch (s?.state) {
      case 'connecting':
        return `Connecting to ${ctx}…`;
      case 'failed':
        return `${s.error.message} (context ${ctx})`;
      case 'reconnecting':
        // The error text often says "reconnecting" already; say it once.
        return `Connection to ${ctx} lost since ${new Date(s.since).toLocaleTimeString()}: ${s.error.message}${/reconnecting/i.test(s.error.message) ? '' : ' Reconnecting.'} The tree shows the last known state.`;
      case 'connected':
        return s.notes.length ? s.notes.join(' ') : undefined;
      default:
        return undefined;
    }
  }

  /**
   * Reads the kubeconfig and connects to the remembered (or current) context with a fresh connection.
   * User sessions keep the connection they lease; only the views move to the new one.
   */
  async connect(reason: ReconnectReason = 'start', contextName?: string): Promise<void> {
    const generation = ++this._generation;
    this.closeViewScope();
    this._setupError = undefined;
    this._kubeconfig = loadKubeconfig({ explicitPath: this._config.kubeconfig, env: process.env });
    for (const issue of this._kubeconfig.issues) this._log.warn(issue.message);
    if (this._kubeconfig.kind !== 'ok') {
      if (this._kubeconfig.kind === 'error') this._setupError = this._kubeconfig.issues[0]?.message;
      this.setContext(undefined);
      this.changed();
      return;
    }
    const cfg: MergedKubeconfig = this._kubeconfig;
    const wanted = contextName ?? this.remembered<string>(CONTEXT_KEY);
    const ctx = pickContext(cfg, wanted) ?? pickContext(cfg) ?? cfg.contexts[0];
    if (!ctx) {
      this.setContext(undefined);
      this.changed();
      return;
    }
    this.setContext(ctx.name);
    // Credentials, trust or the file changed, or the user retries after a failure: build a new connection.
    if (reason !== 'start') this._pool.reset(ctx.name);
    // The new lease first, then the old one goes: a connection nobody else holds is not closed in between.
    const previous = this._lease;
    this._lease = undefined;
    const leased = this._pool.lease(cfg, ctx.name, {
      env: process.env,
      configuredNamespaces: this._config.namespaces,
      // Restricted Mode: a kubeconfig that lives in the workspace must not run programs (exec plugins).
      allowExecPlugins: vscode.workspace.isTrusted || !cfg.files.some((f) => isInWorkspace(f)),
      // VS Code's proxy setting applies to HTTP/1.1 requests only.
      http2: !vscode.workspace.getConfiguration('http').get<string>('proxy'),
    });
    previous?.dispose();
    if (!leased.ok) {
      this._setupError = `${leased.error.message} (context ${ctx.name})`;
      this._log.warn(this._setupError);
      this.changed();
      return;
    }
    this._lease = leased.value;
    this._log.info(
      `connecting to context ${ctx.name} (${leased.value.connection.server}) at epoch ${Date.now()} ms`,
    );
    await this.openViewScope(generation);
  }

  /** Rebuilds the view scope on the same connection (namespace change, Refresh of a healthy connection). */
  async rescope(): Promise<void> {
    const generation = ++this._generation;
    if (!this.connection) return this.connect('retry', this._contextName);
    this.closeViewScope();
    await this.openViewScope(generation);
  }

  private async openViewScope(generation: number): Promise<void> {
    const conn = this.connection;
    const ctx = this._contextName;
    if (!conn || !ctx) return;
    const scope = this._viewScope;
    const source = new ClusterModelSource(conn, { scope: this.namespaceChoice });
    const model = scope.add(new ClusterModel(source, this.grouping));
    model.gpuUsage = scope.add(
      new GpuUsagePoller(conn, model, {
        intervalMs: this._config.gpusMetricsIntervalMs,
        exporter: this._config.gpusMetricsExporter,
        idle: this._config.gpusIdle,
      }),
    );
    this._model = model;
    scope.add(model.onDidChangeState(() => this.changed()));
    this._onDidChangeModel.fire(model);
    this.changed();
    const state = await model.start();
    if (generation !== this._generation) return;
    if (state.state === 'failed') this._log.warn(`context ${ctx}: ${state.error.message}`);
    else
      this._log.info(
        `context ${ctx}: ${model.workloads?.size.workloads ?? 0} workloads, ${model.workloads?.size.pods ?? 0} pods`,
      );
    const timeline = source.startTimeline();
    if (timeline) this._log.info(`context ${ctx}: ${timeline}`);
    this.changed();
  }

  async switchContext(name: string): Promise<void> {
    await this._state.update(CONTEXT_KEY, name);
    await this.connect('start', name);
  }

  async setNamespaces(namespaces: readonly string[] | 'all'): Promise<void> {
    await this._state.update(NAMESPACES_KEY, namespaces === 'all' ? [] : [...namespaces]);
    await this.rescope();
  }

  async setGrouping(g: Grouping): Promise<void> {
    await this._state.update(GROUPING_KEY, g);
    this._model?.setGrouping(g);
    this.changed();
  }

  /** Whether the user marked the context protected (asks before changing anything there). */
  isProtected(name = this._contextName): boolean {
    if (!name) return false;
    return this._config.protectedContexts.some((p) => globMatch(p, name));
  }

  private remembered<T>(key: string): T | undefined {
    const v = this._state.get<T>(key);
    if (v !== undefined) return v;
    const legacy = LEGACY_KEYS[key];
    return legacy ? this._state.get<T>(legacy) : undefined;
  }

  private setContext(name: string | undefined): void {
    const from = this._contextName;
    this._contextName = name;
    if (from === name) return;
    // The old context's connection is released; sessions holding their own lease are stopped by the owner
    // of the sessions, told through this event.
    this._lease?.dispose();
    this._lease = undefined;
    this._onDidSwitchContext.fire({ from, to: name });
  }

  private changed(): void {
    this._onDidChangeState.fire();
  }

  private closeViewScope(): void {
    if (this._model) this._onDidChangeModel.fire(undefined);
    this._viewScope.dispose();
    this._viewScope = new DisposableStore();
    this._model = undefined;
  }

  dispose(): void {
    this._generation++;
    this.closeViewScope();
    this._lease?.dispose();
    this._lease = undefined;
    this._onDidChangeModel.dispose();
    this._onDidChangeState.dispose();
    this._onDidSwitchContext.dispose();
  }
}

function isInWorkspace(file: string): boolean {
  return (vscode.workspace.workspaceFolders ?? []).some((w) => {
    const root = w.uri.fsPath.endsWith('/') ? w.uri.fsPath : `${w.uri.fsPath}/`;
    return file.startsWith(root);
  });
}

/** `prod-*` style patterns: `*` is any run of characters. */
export function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(escapeRe).join('.*')}$`);
  return re.test(name);
}

function escapeRe(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
