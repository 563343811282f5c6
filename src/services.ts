// The heavy half of the extension, bundled as dist/services.js and loaded after activate() returns: the
// cluster session (Kubernetes client) and the language client, plus the feed between them.
import * as vscode from 'vscode';
import { ClusterSession } from './clusterSession';
import type { Config } from './config';
import { fetchOpenApiV3 } from './k8s/openapi';
import { GantryLanguageClient } from './lsp/client';
import type { ClusterModel } from './session/clusterModel';
import { clusterFacts, factsKey } from './session/lspFeed';

export interface ServiceDeps {
  config: Config;
  log: vscode.LogOutputChannel;
  extension: vscode.ExtensionContext;
}

export class Services implements vscode.Disposable {
  readonly session: ClusterSession;
  readonly languageClient: GantryLanguageClient;
  private readonly _disposables: vscode.Disposable[] = [];

  constructor(private readonly _deps: ServiceDeps) {
    this.session = new ClusterSession(_deps.config, _deps.extension.workspaceState, _deps.log);
    this.languageClient = new GantryLanguageClient({
      serverModule: _deps.extension.asAbsolutePath('dist/server.js'),
      log: _deps.log,
    });
    this._disposables.push(this.session, this.languageClient);
    this._disposables.push(this.languageClient.startWhenYamlOpens());
    this._disposables.push(this.session.onDidChangeModel((m) => this.feedLanguageServer(m)));
    // Trust granted: exec plugins of a workspace kubeconfig may run, and live schemas may be fetched.
    this._disposables.push(
      vscode.workspace.onDidGrantWorkspaceTrust(() => void this.session.connect(this.session.contextName)),
    );
    this._disposables.push(
      _deps.config.onDidChange((e) => {
        if (e.affectsConfiguration('gantry.kubeconfig') || e.affectsConfiguration('gantry.namespaces')) {
          void this.session.connect(this.session.contextName);
        }
      }),
    );
  }

  /** Tells the language server about the connected cluster: its schemas and the facts its rules need. */
  private feedLanguageServer(model: ClusterModel | undefined): void {
    const conn = this.session.connection;
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
    // Live schemas are fetched only in a trusted workspace.
    if (vscode.workspace.isTrusted) {
      const getter = {
        getJson: async (path: string, signal?: AbortSignal) => {
          const r = await conn.transport.get<unknown>(path, { signal });
          if (!r.ok) throw new Error(r.error.message);
          return r.value;
        },
      };
      void fetchOpenApiV3(getter, {
        cacheDir: extension.globalStorageUri.fsPath,
        clusterKey: conn.server,
      }).then((r) => {
        if (conn.isDisposed) return;
        if (r.ok) {
          schemasFile = r.file;
          log.info(`live schemas of ${conn.context.name}: ${r.fetched} fetched, ${r.cached} from cache`);
          soon();
        } else {
          log.warn(`live schemas of ${conn.context.name} unavailable, using the bundled ones: ${r.message}`);
        }
      });
    }
    conn.own({
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
    for (const d of this._disposables.splice(0).reverse()) d.dispose();
  }
}
