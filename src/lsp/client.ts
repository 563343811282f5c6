// The Gantry language client: started when the first YAML document opens (not at activation), restartable,
// without a restart loop after crashes, stopped by deactivate(). Model: vscode-eslint client/src/client.ts.
// Bundled apart as dist/languageClient.js and loaded through lazyClient.ts, which decides when it starts.
//
// Workspace trust: the server only reads the schemas bundled with the extension and what notifyCluster() sends.
// Whether live schemas and cluster facts may come from a workspace-provided kubeconfig in Restricted Mode is
// decided by the caller (the cluster connection), which simply does not call notifyCluster() then.
import * as vscode from 'vscode';
import { DisposableStore } from '../core/lifecycle';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  State,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import {
  clusterApplied,
  clusterChanged,
  type ClusterChangedParams,
  dryRunDiagnostics,
  type DryRunDiagnosticsParams,
  type PipelineGraph,
  pipelineGraph,
  type PipelineGraphParams,
} from '../shared/protocol';
import { RestartPolicy } from './restartPolicy';

export const RESTART_COMMAND = 'gantry.restartLanguageServer';

export interface GantryLanguageClientOptions {
  /** Absolute path of dist/server.js (`context.asAbsolutePath('dist/server.js')`). */
  serverModule: string;
  /** Where the client and server log (passed to the LanguageClient as its outputChannel). */
  log: vscode.LogOutputChannel;
  /** Crash-restart budget: at most `maxRestarts` automatic restarts within `restartWindowMs`. */
  maxRestarts?: number;
  restartWindowMs?: number;
}

/** Only YAML, on disk and unsaved. */
const SELECTOR = [
  { scheme: 'file', language: 'yaml' },
  { scheme: 'untitled', language: 'yaml' },
];

export class GantryLanguageClient implements vscode.Disposable {
  private _client?: LanguageClient;
  private _starting?: Promise<void>;
  private _lastCluster?: ClusterChangedParams;
  private readonly _policy: RestartPolicy;
  private readonly _store = new DisposableStore();
  private _disposed = false;

  constructor(private readonly _opts: GantryLanguageClientOptions) {
    this._policy = new RestartPolicy(_opts.maxRestarts ?? 4, _opts.restartWindowMs ?? 3 * 60_000);
  }

  get isRunning(): boolean {
    return this._client?.state === State.Running;
  }

  /** Starts the server once; concurrent callers share the same start. */
  start(): Promise<void> {
    if (this._disposed) return Promise.resolve();
    if (this._client && this._client.state !== State.Stopped) return this._starting ?? Promise.resolve();
    this._starting = this._start().finally(() => (this._starting = undefined));
    return this._starting;
  }

  private async _start(): Promise<void> {
    const module = this._opts.serverModule;
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: SELECTOR,
      outputChannel: this._opts.log,
      // The server needs no settings and no file events: it validates the open YAML documents it is sent.
      synchronize: {},
      diagnosticCollectionName: 'gantry',
      errorHandler: {
        error: (_error, _message, count) => ({
          action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown,
        }),
        closed: () => {
          if (this._disposed) return { action: CloseAction.DoNotRestart, handled: true };
          if (this._policy.crashed()) {
            this._opts.log.warn('Gantry language server stopped unexpectedly; restarting it.');
            return { action: CloseAction.Restart, handled: true };
          }
          this._opts.log.error(
            `Gantry language server crashed ${this._policy.max + 1} times within ${Math.round(this._policy.windowMs / 60_000)} minutes; not restarting it.`,
          );
          void this._offerRestart();
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
      initializationFailedHandler: (e) => {
        this._opts.log.error(
          'Gantry language server failed to initialize',
          e instanceof Error ? e : String(e),
        );
        return false;
      },
    };
    const client = new LanguageClient('gantry', 'Gantry Language Server', serverOptions, clientOptions);
    this._client = client;
    client.onNotification(clusterApplied, (p) => {
      if (p.error) this._opts.log.warn(p.error);
      else
        this._opts.log.info(
          `Language server uses ${p.live ? 'live' : 'bundled'} schemas (${p.kinds} kinds).`,
        );
    });
    // Re-send the cluster after every (re)start of the server process.
    client.onDidChangeState((e) => {
      if (e.newState === State.Running && this._lastCluster) {
        void client.sendNotification(clusterChanged, this._lastCluster);
      }
    });
    try {
      await client.start();
    } catch (e) {
      this._opts.log.error('Cannot start the Gantry language server', e instanceof Error ? e : String(e));
      void this._offerRestart();
    }
  }

  private async _offerRestart(): Promise<void> {
    const choice = await vscode.window.showErrorMessage(
      'The Gantry language server stopped and was not restarted, so YAML manifests are not validated.',
      'Restart',
      'Show Log',
    );
    if (choice === 'Restart') await this.restart();
    else if (choice === 'Show Log') this._opts.log.show(true);
  }

  /** The `gantry.restartLanguageServer` command. */
  async restart(): Promise<void> {
    this._policy.reset();
    await this.stop();
    await this.start();
  }

  /** Tells the server about the current cluster (remembered and re-sent after restarts). */
  async notifyCluster(payload: ClusterChangedParams): Promise<void> {
    this._lastCluster = payload;
    if (this._client?.state === State.Running) await this._client.sendNotification(clusterChanged, payload);
  }

  /**
   * Where a dry run's rejected fields are in the file (the server owns positions). Starts the server when it is
   * not running (a submit from the explorer may come before any YAML was opened).
   */
  async dryRunDiagnostics(params: DryRunDiagnosticsParams): Promise<vscode.Diagnostic[]> {
    await this.start();
    const client = this._client;
    if (client?.state !== State.Running) return [];
    const ds = await client.sendRequest(dryRunDiagnostics, params);
    return client.protocol2CodeConverter.asDiagnostics(ds);
  }

  /** The DAG of a pipeline document (gantry/pipelineGraph); undefined when the server cannot run. */
  async pipelineGraph(params: PipelineGraphParams): Promise<PipelineGraph | undefined> {
    await this.start();
    const client = this._client;
    if (client?.state !== State.Running) return undefined;
    return client.sendRequest(pipelineGraph, params);
  }

  /** Stops the server process; deactivate() returns this promise. */
  async stop(): Promise<void> {
    const client = this._client;
    this._client = undefined;
    if (this._starting) await this._starting.catch(() => undefined);
    if (!client) return;
    try {
      if (client.state !== State.Stopped) await client.stop(5_000);
    } catch (e) {
      this._opts.log.warn(
        `Stopping the Gantry language server: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    await client.dispose().catch(() => undefined);
  }

  dispose(): void {
    this._disposed = true;
    this._store.dispose();
    void this.stop();
  }
}
