// The heavy half of the extension, bundled as dist/services.js and loaded after activate() returns: the
// connection pool, the current cluster (Kubernetes client), the user sessions and the language client's
// stand-in (the client itself is dist/languageClient.js, loaded on the first YAML document), plus the feed
// between the cluster and the language server. Wiring only.
import * as vscode from 'vscode';
import { CurrentCluster, type ContextSwitch } from './cluster/currentCluster';
import type { Config } from './config';
import { DisposableStore } from './core/lifecycle';
import { ConnectionPool } from './k8s/connections';
import { fetchOpenApiV3 } from './k8s/openapi';
import { LazyLanguageClient } from './lsp/lazyClient';
import type { ClusterModel } from './model/clusterModel';
import { clusterFacts, factsKey } from './model/lspFeed';
import { type WhyReport, explainWorkload } from './model/why';
import { bridgeLogSessions, reportAllSessions, TrainingInsights, workloadIdOf } from './model/insights';
import { LogPanels, type FailureSource } from './panels/logPanel';
import type { LogTarget } from './sessions/logFollow';
import { WhyPanel } from './panels/why';
import { trackPods } from './k8s/workloadPods';
import { ForwardsBackend } from './sessions/forwards';
import { LogsBackend } from './sessions/logsBackend';
import { SessionManager } from './sessions/manager';

export interface ServiceDeps {
  config: Config;
  log: vscode.LogOutputChannel;
  extension: vscode.ExtensionContext;
}

export class Services implements vscode.Disposable {
  readonly pool = new ConnectionPool();
  readonly sessions = new SessionManager();
  /** Starts log streams (Follow Logs); each is a session of `sessions`. */
  readonly logs = new LogsBackend(this.sessions, trackPods);
  /** Creates port-forwards; each is a session of `sessions` once it listens. */
  readonly forwards = new ForwardsBackend(this.sessions);
  readonly cluster: CurrentCluster;
  /** Loads dist/languageClient.js on the first YAML document or language feature, not with these services. */
  readonly languageClient: LazyLanguageClient;
  /** The editor-area panels of log streams (their formatting is not needed before the first Follow Logs). */
  readonly logPanels: LogPanels;
  private readonly _why: WhyPanel;
  private readonly _store = new DisposableStore();
  /** The current view scope's training-log reader (progress, failures explained); see model/insights.ts. */
  private _insights: TrainingInsights | undefined;
  private readonly _onDidChangeInsights = new vscode.EventEmitter<readonly string[]>();
  /** Workload ids whose progress or failure explanation changed (any view scope). */
  readonly onDidChangeInsights = this._onDidChangeInsights.event;

  constructor(private readonly _deps: ServiceDeps) {
    this.cluster = new CurrentCluster(_deps.config, _deps.extension.workspaceState, _deps.log, this.pool);
    this.languageClient = new LazyLanguageClient({
      serverModule: _deps.extension.asAbsolutePath('dist/server.js'),
      log: _deps.log,
    });
    // Disposed in reverse: the language client, then the cluster, the sessions (each releases its lease), and
    // the pool last.
    for (const d of [this.pool, this.sessions, this.cluster, this.languageClient]) this._store.add(d);
    this._why = this._store.add(new WhyPanel(_deps.log));
    // After the sessions: disposed before them, so a closing panel finds its session still listed.
    this.logPanels = this._store.add(new LogPanels({ log: _deps.log }));
    this._store.add(this.languageClient.startWhenYamlOpens());
    this._store.add(this.cluster.onDidChangeModel((m) => this.feedLanguageServer(m)));
    this._store.add(this._onDidChangeInsights);
    this._store.add(this.cluster.onDidChangeModel((m) => this.readTrainingLogs(m)));
    this._store.add(bridgeLogSessions(this.sessions, () => this._insights));
    this._store.add(this.cluster.onDidSwitchContext((s) => this.contextSwitched(s)));
    // Trust granted: exec plugins of a workspace kubeconfig may run, and live schemas may be fetched. The views
    // get a new connection; sessions keep theirs.
    this._store.add(
      vscode.workspace.onDidGrantWorkspaceTrust(
        () => void this.cluster.connect('trust', this.cluster.contextName),
      ),
    );
    this._store.add(
      _deps.config.onDidChange((e) => {
        if (e.affectsConfiguration('gantry.insights.followProgress'))
          this._insights?.setOptions({ followProgress: _deps.config.insightsFollowProgress });
        if (e.affectsConfiguration('gantry.kubeconfig'))
          void this.cluster.connect('kubeconfig', this.cluster.contextName);
        else if (e.affectsConfiguration('gantry.namespaces') || e.affectsConfiguration('gantry.gpus'))
          void this.cluster.rescope();
      }),
    );
  }

  /** A log panel's view of its workload's failure explanation (undefined for a pod or container target). */
  failureSource(target: LogTarget): FailureSource | undefined {
    if (target.type !== 'workload') return undefined;
    const wid = workloadIdOf(target);
    // A failure too old to have been read by itself is read now that someone looks at it.
    this._insights?.request(wid);
    return {
      workloadId: wid,
      evidence: () => this._insights?.evidenceOf(wid),
      onDidChange: this.onDidChangeInsights,
    };
  }

  /** Each view scope gets its reader of training logs; it lives and dies with the scope's model. */
  private readTrainingLogs(model: ClusterModel | undefined): void {
    this._insights = undefined;
    const conn = this.cluster.connection;
    if (!model || !conn) return;
    const insights = model.own(
      new TrainingInsights(model, conn, { followProgress: this._deps.config.insightsFollowProgress }),
    );
    this._insights = insights;
    model.own(insights.onDidChange((ids) => this._onDidChangeInsights.fire(ids)));
    reportAllSessions(this.sessions, insights);
  }

  /** "Why Not Running?" for a shown workload of the current context (undefined when it is gone). */
  async whyNotRunning(workloadId: string): Promise<WhyReport | undefined> {
    const tree = this.cluster.model?.workloads;
    const conn = this.cluster.connection;
    if (!tree || !conn) return undefined;
    return explainWorkload(tree, conn.transport, workloadId);
  }

  /** Shows "Why Not Running?" for a shown workload; false when it is no longer shown. */
  async showWhyNotRunning(workloadId: string): Promise<boolean> {
    const context = this.cluster.contextName;
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Gantry: why not running?' },
      () => this.whyNotRunning(workloadId),
    );
    if (!report || !context) return false;
    await this._why.show(context, report);
    return true;
  }

  /** A context switch ends the sessions of every other context, and says so. */
  private contextSwitched(s: ContextSwitch): void {
    const reason = s.to ? `context switched to ${s.to}` : 'no context is selected any more';
    const n = this.sessions.stopOtherContexts(s.to, reason);
    if (n > 0) {
      this._deps.log.info(`stopped ${n} session(s) of ${s.from ?? 'the previous context'}: ${reason}`);
      void vscode.window.showInformationMessage(
        `Gantry stopped ${n === 1 ? 'a log stream or port-forward' : `${n} log streams and port-forwards`} of ${s.from ?? 'the previous context'}: ${reason}.`,
      );
    }
  }

  /** Tells the language server about the connected cluster: its schemas and the facts its rules need. */
  private feedLanguageServer(model: ClusterModel | undefined): void {
    const conn = this.cluster.connection;
    if (!model || !conn) {
      void this.languageClient.notifyCluster({ clusterId: null });
      return;
    }
    const { log, extension } = this._deps;
    const clusterId = `${conn.context.name}@${conn.server}`;
    const defaultNamespace = conn.context.namespace ?? 'default';
    let lastSent = '';
    let schemasFile: string | undefined;
    const send = (): void => {
      if (model.state.state !== 'connected' && model.state.state !== 'reconnecting') return;
      const facts = clusterFacts((key) => model.source.objectsOf(key), defaultNamespace);
      const key = factsKey(facts) + (schemasFile ?? '');
      if (key === lastSent) return;
      lastSent = key;
      void this.languageClient.notifyCluster({
        clusterId,
        facts,
        ...(schemasFile ? { schemas: { file: schemasFile } } : {}),
      });
    };
    let timer: NodeJS.Timeout | undefined;
    const soon = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(send, 1000);
    };
    const subs = [
      model.onDidChangeState(soon),
      model.onDidChangeGpus(soon),
      model.onDidChangeWorkloads(soon),
      model.source.onDidChangeKinds(soon),
    ];
    // Live schemas are fetched only in a trusted workspace, and only once the views' lists are in: the
    // OpenAPI documents of every group are large, and the first rows must not wait behind them.
    const fetchSchemas = (): void => {
      const getter = {
        getJson: async (path: string, signal?: AbortSignal) => {
          const r = await conn.transport.get<unknown>(path, { signal });
          if (!r.ok) throw new Error(r.error.message);
          return r.value;
        },
      };
      // Stopped with the scope: a closed scope neither downloads the rest nor writes the cache.
      const stop = new AbortController();
      model.own({ dispose: () => stop.abort() });
      void fetchOpenApiV3(getter, {
        cacheDir: extension.globalStorageUri.fsPath,
        clusterKey: conn.server,
        signal: stop.signal,
      }).then((r) => {
        if (model.isDisposed) return;
        if (r.ok) {
          schemasFile = r.file;
          log.info(`live schemas of ${conn.context.name}: ${r.fetched} fetched, ${r.cached} from cache`);
          soon();
        } else {
          log.warn(`live schemas of ${conn.context.name} unavailable, using the bundled ones: ${r.message}`);
        }
      });
    };
    if (vscode.workspace.isTrusted) {
      if (model.state.state === 'connected') fetchSchemas();
      else {
        const once = model.onDidChangeState((st) => {
          if (st.state !== 'connected' && st.state !== 'reconnecting') return;
          once.dispose();
          fetchSchemas();
        });
        subs.push(once);
      }
    }
    model.own({
      dispose: () => {
        if (timer) clearTimeout(timer);
        for (const s of subs) s.dispose();
      },
    });
  }

  stop(): Promise<void> {
    return this.languageClient.stop();
  }

  dispose(): void {
    this._store.dispose();
  }
}
