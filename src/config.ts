// The only reader of workspace configuration. Typed getters, flat `gantry.*` keys.
import * as vscode from 'vscode';

const SECTION = 'gantry';

export class Config {
  private get _c(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SECTION);
  }

  /** Explicit kubeconfig path, or undefined to use $KUBECONFIG / ~/.kube/config. */
  get kubeconfig(): string | undefined {
    const v = this._c.get<string>('kubeconfig', '').trim();
    return v === '' ? undefined : v;
  }

  /** Namespaces to use when the user may not list namespaces (RBAC). */
  get namespaces(): string[] {
    return this._c.get<string[]>('namespaces', []).filter((n) => typeof n === 'string' && n.trim() !== '');
  }

  /** Context name patterns (`*` wildcards) that need confirmation before anything changes there. */
  get protectedContexts(): string[] {
    return this._c.get<string[]>('protectedContexts', []).filter((n) => typeof n === 'string' && n !== '');
  }

  /** Lines a log panel keeps (gantry.logs.maxLines). */
  get logsMaxLines(): number {
    const v = this._c.get<number>('logs.maxLines', 50_000);
    return Number.isFinite(v) && v >= 1000 ? Math.floor(v) : 50_000;
  }

  /** Seconds between reads of the GPU metrics exporter while the GPUs view is visible (gantry.gpus.metricsInterval). */
  get gpusMetricsIntervalMs(): number {
    const v = this._c.get<number>('gpus.metricsInterval', 30);
    return (Number.isFinite(v) && v >= 5 ? v : 30) * 1000;
  }

  /** "namespace/service[:port]" of the GPU metrics exporter; '' finds it by its usual labels. */
  get gpusMetricsExporter(): string {
    return this._c.get<string>('gpus.metricsExporter', '').trim();
  }

  /** Utilisation (%) under which GPUs count as idle, and for how long (gantry.gpus.idleThreshold / idleMinutes). */
  get gpusIdle(): { thresholdPct: number; periodMs: number } {
    const t = this._c.get<number>('gpus.idleThreshold', 10);
    const m = this._c.get<number>('gpus.idleMinutes', 30);
    return {
      thresholdPct: Number.isFinite(t) && t > 0 && t <= 100 ? t : 10,
      periodMs: (Number.isFinite(m) && m >= 1 ? m : 30) * 60_000,
    };
  }

  /** Follow the main rank of running training jobs to show progress in the tree (gantry.insights.followProgress). */
  get insightsFollowProgress(): boolean {
    return this._c.get<boolean>('insights.followProgress', true) !== false;
  }

  onDidChange(listener: (e: vscode.ConfigurationChangeEvent) => void): vscode.Disposable {
    return vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SECTION)) listener(e);
    });
  }
}
