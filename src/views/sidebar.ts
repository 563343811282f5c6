// The sidebar: both tree views and the status bar item, fed by the cluster session. Owns its disposables.
import * as vscode from 'vscode';
import { gpuSummaryText } from '../core/gpuSummary';
import { DisposableStore } from '../core/lifecycle';
import { ROOT, type GpuTreeNode, type WorkloadTreeNode } from '../core/tree';
import type { CurrentCluster } from '../cluster/currentCluster';
import type { ClusterModel } from '../model/clusterModel';
import { createGpusProvider } from './gpusView';
import { createWorkloadsProvider } from './workloadsView';

const AGE_REFRESH_MS = 30_000;

/** Reveals a workload row by tree id (`w:<kind>:<ns>/<name>`); offered after a submit. */
export const SHOW_IN_TREE = 'gantry.showInTree';

export class Sidebar implements vscode.Disposable {
  private readonly _store = new DisposableStore();
  private _modelSubs = new DisposableStore();
  readonly workloads = createWorkloadsProvider();
  readonly gpus = createGpusProvider();
  readonly workloadsView: vscode.TreeView<WorkloadTreeNode>;
  readonly gpusView: vscode.TreeView<GpuTreeNode>;
  private readonly _status: vscode.StatusBarItem;
  private _session: CurrentCluster | undefined;

  constructor(private readonly _log: vscode.LogOutputChannel) {
    this.workloadsView = vscode.window.createTreeView('gantry.workloads', {
      treeDataProvider: this.workloads,
      showCollapseAll: true,
    });
    this.gpusView = vscode.window.createTreeView('gantry.gpus', {
      treeDataProvider: this.gpus,
      showCollapseAll: true,
    });
    this._status = vscode.window.createStatusBarItem('gantry.context', vscode.StatusBarAlignment.Left, 50);
    this._status.name = 'Gantry: Kubernetes context';
    this._status.command = 'gantry.selectContext';
    for (const d of [this.workloads, this.gpus, this.workloadsView, this.gpusView, this._status])
      this._store.add(d);
    // Rows show ages ("3m20s") computed when a row is built; refresh the rows whose age moved now and then.
    const ages = setInterval(() => {
      if (this._session?.model && this.workloadsView.visible) this.workloads.refreshChangedRows();
    }, AGE_REFRESH_MS);
    this._store.add({ dispose: () => clearInterval(ages) });
    // Registered here, not in the command table: only the sidebar holds the tree view to reveal in.
    this._store.add(
      vscode.commands.registerCommand(SHOW_IN_TREE, (id: unknown) =>
        typeof id === 'string' ? this.revealWorkload(id) : false,
      ),
    );
  }

  /**
   * Reveals and selects a workload row (after a submit), waiting up to `timeoutMs` for the watch to bring it.
   * True when shown.
   */
  async revealWorkload(id: string, timeoutMs = 15_000): Promise<boolean> {
    const model = this._session?.model;
    if (!model) return false;
    await vscode.commands.executeCommand('gantry.workloads.focus');
    const deadline = Date.now() + timeoutMs;
    let el = this.workloads.element(id);
    while (!el && Date.now() < deadline && !model.isDisposed) {
      await new Promise((r) => setTimeout(r, 250));
      el = this.workloads.element(id);
    }
    if (!el) return false;
    await this.workloadsView.reveal(el, { select: true, focus: true, expand: false });
    return true;
  }

  /** Shows the session's data from now on (called once the services have loaded). */
  attach(session: CurrentCluster): void {
    this._session = session;
    this._store.add(session.onDidChangeModel((m) => this.attachModel(m)));
    this._store.add(session.onDidChangeState(() => this.render()));
    this.attachModel(session.model);
    this.render();
  }

  private attachModel(model: ClusterModel | undefined): void {
    this._modelSubs.dispose();
    this._modelSubs = new DisposableStore();
    this.workloads.setModel(model?.workloads);
    this.gpus.setModel(model?.gpus);
    this.workloads.onDidHandOut = undefined;
    if (!model) return;
    const subs = this._modelSubs;
    // When the view got its first workload rows, with the time (bench:paint reads it; README "First rows").
    const t0 = Date.now();
    let built = false;
    this.workloads.onDidHandOut = (rows) => {
      const n = rows.filter((r) => r.type === 'workload').length;
      if (n === 0) return;
      this.workloads.onDidHandOut = undefined;
      this._log.info(
        `first ${n} workload rows handed to the view at epoch ${Date.now()} ms, ${Date.now() - t0} ms after connecting began`,
      );
    };
    // GPU utilisation is read only while the GPUs view is visible.
    const usage = model.gpuUsage;
    if (usage) {
      usage.setVisible(this.gpusView.visible);
      subs.add(this.gpusView.onDidChangeVisibility((e) => usage.setVisible(e.visible)));
      subs.add(usage.onMessage(() => this.renderGpuSummary(model)));
      subs.add({ dispose: () => usage.setVisible(false) });
    }
    subs.add(
      model.onDidChangeWorkloads((ids) => {
        if (!built && (model.workloads?.size.workloads ?? 0) > 0) {
          built = true;
          this._log.info(
            `workload rows built at epoch ${Date.now()} ms, ${Date.now() - t0} ms after connecting began`,
          );
        }
        if (ids.includes(ROOT)) this.workloads.setModel(model.workloads);
        else this.workloads.refresh(ids);
        this.renderGpuSummary(model);
      }),
    );
    subs.add(
      model.onDidChangeGpus((ids) => {
        if (ids.includes(ROOT)) this.gpus.setModel(model.gpus);
        else this.gpus.refresh(ids);
        this.renderGpuSummary(model);
      }),
    );
  }

  private renderGpuSummary(model: ClusterModel): void {
    const pools = model.gpus?.pools() ?? [];
    // each model is a row of the view; the message adds only Kueue's quota per queue
    const text = gpuSummaryText(model.workloads?.kueueClusterQueues());
    const description = pools.length ? undefined : '';
    if (this.gpusView.description !== description) this.gpusView.description = description;
    const base = this._session?.message;
    // Sentences of their own, each ending with its full stop (VS Code shows the message as one paragraph).
    const sentences = [base, text, model.gpuUsage?.message]
      .filter((t): t is string => !!t)
      .map((t) => (/[.!?]$/.test(t.trim()) ? t.trim() : `${t.trim()}.`));
    setMessage(this.gpusView, sentences.join(' ') || undefined);
  }

  private render(): void {
    if (!this._session) return;
    const phase = this._session.phase;
    const kc = this._session.kubeconfig.kind;
    void vscode.commands.executeCommand(
      'setContext',
      'gantry:kubeconfig',
      kc === 'ok' ? 'present' : 'missing',
    );
    void vscode.commands.executeCommand('setContext', 'gantry:connection', phase);
    void vscode.commands.executeCommand('setContext', 'gantry:grouping', this._session.grouping);
    const message = this._session.message;
    // Rows shown while the rest is listed: the tree's own "Loading…" row says so, not a message above it that
    // would push the rows down when it goes.
    setMessage(
      this.workloadsView,
      phase === 'connecting' && this._session.model?.loading ? undefined : message,
    );
    if (this._session.model) this.renderGpuSummary(this._session.model);
    else setMessage(this.gpusView, message);

    const ctx = this._session.contextName;
    if (!ctx) {
      this._status.hide();
      return;
    }
    const ns = this._session.namespaceChoice;
    const nsText = ns.kind === 'all' ? 'all namespaces' : ns.namespaces.join(', ');
    const icon = {
      none: '$(cloud)',
      connecting: '$(sync~spin)',
      connected: '$(cloud)',
      reconnecting: '$(warning)',
      failed: '$(error)',
    }[phase];
    this._status.text = `${icon} ${ctx}`;
    this._status.tooltip = new vscode.MarkdownString(
      `**Gantry** context \`${ctx}\`${this._session.isProtected() ? ' (protected)' : ''}\n\nNamespaces: ${nsText}\n\n${message ?? phase}\n\nClick to switch context.`,
    );
    this._status.backgroundColor =
      phase === 'failed' || phase === 'reconnecting'
        ? new vscode.ThemeColor('statusBarItem.warningBackground')
        : undefined;
    this._status.show();
  }

  dispose(): void {
    this._modelSubs.dispose();
    this._store.dispose();
  }
}

/**
 * Sets a view's message only when it changes: VS Code's extension host passes every assignment, even of the same
 * text, through the debounce of the view's refresh events (200 ms from the last one), so re-setting a message on
 * each model change held back the refresh that carries the first rows (see ModelTreeProvider).
 */
function setMessage(view: vscode.TreeView<unknown>, message: string | undefined): void {
  if (view.message !== message) view.message = message;
}
