// The language client as dist/services.js holds it: a stand-in that loads the real one (src/lsp/client.ts, bundled
// as dist/languageClient.js with vscode-languageclient) only when the first YAML document opens or a language
// feature is asked for (dry-run positions, the pipeline graph, a restart). The sidebar's first rows then wait
// for the Kubernetes client and the model only, not for ~380 KB of LSP libraries they never use.
import * as vscode from 'vscode';
import { DisposableStore } from '../core/lifecycle';
import type {
  ClusterChangedParams,
  DryRunDiagnosticsParams,
  PipelineGraph,
  PipelineGraphParams,
} from '../shared/protocol';
import type { GantryLanguageClient, GantryLanguageClientOptions } from './client';

/** How the real client is loaded; tests pass their own. */
export type LoadClient = () => Promise<{
  GantryLanguageClient: new (opts: GantryLanguageClientOptions) => GantryLanguageClient;
}>;

export class LazyLanguageClient implements vscode.Disposable {
  private _client?: Promise<GantryLanguageClient | undefined>;
  private _lastCluster?: ClusterChangedParams;
  private _disposed = false;
  private readonly _store = new DisposableStore();

  constructor(
    private readonly _opts: GantryLanguageClientOptions,
    // esbuild.mjs keeps this import out of dist/services.js: it stays a require of ./languageClient.js.
    private readonly _load: LoadClient = () => import('./client'),
  ) {}

  /** Whether the real client has been asked for (its bundle is loading or loaded). */
  get isLoaded(): boolean {
    return this._client !== undefined;
  }

  /** The real client, loaded once; undefined when disposed or when its bundle cannot be loaded. */
  private client(): Promise<GantryLanguageClient | undefined> {
    if (this._disposed) return Promise.resolve(undefined);
    this._client ??= this._load().then(
      (m) => {
        const c = new m.GantryLanguageClient(this._opts);
        // Disposed while loading: the client never starts.
        if (this._disposed) {
          c.dispose();
          return undefined;
        }
        // Remembered by the client and sent once its server runs.
        if (this._lastCluster) void c.notifyCluster(this._lastCluster);
        return c;
      },
      (e: unknown) => {
        this._opts.log.error('Cannot load the Gantry language client', e instanceof Error ? e : String(e));
        return undefined;
      },
    );
    return this._client;
  }

  /** Loads and starts the client as soon as a YAML document is open (now, if one already is). */
  startWhenYamlOpens(): vscode.Disposable {
    const isYaml = (d: vscode.TextDocument): boolean => d.languageId === 'yaml';
    if (vscode.workspace.textDocuments.some(isYaml)) {
      void this.start();
      return new vscode.Disposable(() => undefined);
    }
    const sub = vscode.workspace.onDidOpenTextDocument((d) => {
      if (!isYaml(d)) return;
      sub.dispose();
      void this.start();
    });
    return this._store.add(sub);
  }

  async start(): Promise<void> {
    await (await this.client())?.start();
  }

  /** The `gantry.restartLanguageServer` command (starts the server if it never ran). */
  async restart(): Promise<void> {
    await (await this.client())?.restart();
  }

  /**
   * Tells the server about the current cluster. Before the client is loaded it is only remembered: the model
   * feeds this on every change, and that alone must not load the client.
   */
  async notifyCluster(payload: ClusterChangedParams): Promise<void> {
    this._lastCluster = payload;
    if (this._client) await (await this._client)?.notifyCluster(payload);
  }

  async dryRunDiagnostics(params: DryRunDiagnosticsParams): Promise<vscode.Diagnostic[]> {
    return (await (await this.client())?.dryRunDiagnostics(params)) ?? [];
  }

  async pipelineGraph(params: PipelineGraphParams): Promise<PipelineGraph | undefined> {
    return (await this.client())?.pipelineGraph(params);
  }

  /** Stops the server process if one was started; deactivate() returns this promise. */
  async stop(): Promise<void> {
    if (this._client) await (await this._client)?.stop();
  }

  dispose(): void {
    this._disposed = true;
    this._store.dispose();
    void this._client?.then((c) => c?.dispose());
  }
}
