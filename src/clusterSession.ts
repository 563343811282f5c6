// The current cluster: kubeconfig, chosen context and namespaces, and the live model of that context.
// Two lifetimes: this object lives as long as the extension; everything of one context (connection, watches,
// model) lives in `_scope` and is disposed when the context changes.
import * as vscode from 'vscode';
import { DisposableStore } from './core/lifecycle';
import type { Grouping } from './core/tree';
import { ClusterConnection, type NamespaceScope } from './k8s/connection';
import { loadKubeconfig, pickContext, type KubeconfigLoad, type MergedKubeconfig } from './k8s/kubeconfig';
import { ClusterModelSource } from './k8s/modelSource';
import type { Config } from './config';
import { ClusterModel, type ModelState } from './session/clusterModel';

const CONTEXT_KEY = 'gantry.context';
const NAMESPACES_KEY = 'gantry.namespaces';
const GROUPING_KEY = 'gantry.grouping';

export type ConnectionPhase = 'none' | 'connecting' | 'connected' | 'reconnecting' | 'failed';

export class ClusterSession implements vscode.Disposable {
  private readonly _onDidChangeModel = new vscode.EventEmitter<ClusterModel | undefined>();
  private readonly _onDidChangeState = new vscode.EventEmitter<void>();
  readonly onDidChangeModel = this._onDidChangeModel.event;
  readonly onDidChangeState = this._onDidChangeState.event;
  private _kubeconfig: KubeconfigLoad = { kind: 'none', searched: [], issues: [] };
  private _scope = new DisposableStore();
  private _model: ClusterModel | undefined;
  private _connection: ClusterConnection | undefined;
  private _contextName: string | undefined;
  private _setupError: string | undefined;
  private _generation = 0;

  constructor(
    private readonly _config: Config,
    private readonly _state: vscode.Memento,
    private readonly _log: vscode.LogOutputChannel,
  ) {}

  get kubeconfig(): KubeconfigLoad {
    return this._kubeconfig;
  }
  get model(): ClusterModel | undefined {
    return this._model;
  }
  get connection(): ClusterConnection | undefined {
    return this._connection;
  }
  get contextName(): string | undefined {
    return this._contextName;
  }
  get grouping(): Grouping {
    return this._state.get<Grouping>(GROUPING_KEY, 'kind');
  }
  get namespaceChoice(): NamespaceScope {
    const ns = this._state.get<string[] | undefined>(NAMESPACES_KEY);
    return ns && ns.length ? { kind: 'some', namespaces: ns } : { kind: 'all' };
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

  /** Reads the kubeconfig and connects to the remembered (or current) context. */
  async connect(contextName?: string): Promise<void> {
    const generation = ++this._generation;
    this.closeScope();
    this._setupError = undefined;
    this._kubeconfig = loadKubeconfig({ explicitPath: this._config.kubeconfig, env: process.env });
    for (const issue of this._kubeconfig.issues) this._log.warn(issue.message);
    if (this._kubeconfig.kind !== 'ok') {
      if (this._kubeconfig.kind === 'error') this._setupError = this._kubeconfig.issues[0]?.message;
      this._contextName = undefined;
      this.changed();
      return;
    }
    const cfg: MergedKubeconfig = this._kubeconfig;
    const wanted = contextName ?? this._state.get<string>(CONTEXT_KEY);
    const ctx = pickContext(cfg, wanted) ?? pickContext(cfg) ?? cfg.contexts[0];
    if (!ctx) {
      this.changed();
      return;
    }
    this._contextName = ctx.name;
    const created = ClusterConnection.create(cfg, ctx.name, {
      env: process.env,
      configuredNamespaces: this._config.namespaces,
      // Restricted Mode: a kubeconfig that lives in the workspace must not run programs (exec plugins).
      allowExecPlugins: vscode.workspace.isTrusted || !cfg.files.some((f) => isInWorkspace(f)),
    });
    if (!created.ok) {
      this._setupError = `${created.error.message} (context ${ctx.name})`;
      this._log.warn(this._setupError);
      this.changed();
      return;
    }
    const conn = this._scope.add(created.value);
    this._connection = conn;
    const source = new ClusterModelSource(conn, { scope: this.namespaceChoice });
    const model = this._scope.add(new ClusterModel(source, this.grouping));
    this._model = model;
    this._scope.add(model.onDidChangeState(() => this.changed()));
    this._onDidChangeModel.fire(model);
    this._log.info(`connecting to context ${ctx.name} (${conn.server})`);
    this.changed();
    const state = await model.start();
    if (generation !== this._generation) return;
    if (state.state === 'failed') this._log.warn(`context ${ctx.name}: ${state.error.message}`);
    else
      this._log.info(
        `context ${ctx.name}: ${model.workloads?.size.workloads ?? 0} workloads, ${model.workloads?.size.pods ?? 0} pods`,
      );
    this.changed();
  }

  async switchContext(name: string): Promise<void> {
    await this._state.update(CONTEXT_KEY, name);
    await this.connect(name);
  }

  async setNamespaces(namespaces: readonly string[] | 'all'): Promise<void> {
    await this._state.update(NAMESPACES_KEY, namespaces === 'all' ? undefined : [...namespaces]);
    await this.connect(this._contextName);
  }

  async setGrouping(g: Grouping): Promise<void> {
    await this._state.update(GROUPING_KEY, g);
    this._model?.setGrouping(g);
    this.changed();
  }

  /** Whether the user marked the current context protected (asks before changing anything there). */
  isProtected(name = this._contextName): boolean {
    if (!name) return false;
    return this._config.protectedContexts.some((p) => globMatch(p, name));
  }

  private changed(): void {
    this._onDidChangeState.fire();
  }

  private closeScope(): void {
    if (this._model) this._onDidChangeModel.fire(undefined);
    this._scope.dispose();
    this._scope = new DisposableStore();
    this._model = undefined;
    this._connection = undefined;
  }

  dispose(): void {
    this._generation++;
    this.closeScope();
    this._onDidChangeModel.dispose();
    this._onDidChangeState.dispose();
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
