// Joins the live data of one context (k8s/ModelSource) with the pure tree models (core/tree). Editor-free, so
// cluster tests and the sidebar benchmark drive exactly what the views render.
import type { GpuUsageView } from '../core/gpuMetrics';
import { DisposableStore, Emitter, type Disposable } from '../core/lifecycle';
import {
  ROOT,
  type GpuTreeModel,
  type Grouping,
  type InsightLookup,
  type WorkloadTreeModel,
} from '../core/tree';
import { kindKey } from '../core/kube';
import type { K8sError } from '../k8s/errors';
import { LiveTrees } from '../k8s/liveTrees';
import type { ClusterModelSource, SourceHealth } from '../k8s/modelSource';

export type ModelState =
  | { readonly state: 'connecting' }
  | { readonly state: 'connected'; readonly notes: readonly string[] }
  | {
      readonly state: 'reconnecting';
      readonly since: number;
      readonly error: K8sError;
      readonly notes: readonly string[];
    }
  | { readonly state: 'failed'; readonly error: K8sError }
  | { readonly state: 'stopped' };

/** What a view needs of the utilisation poller: visibility and its one message. */
export interface GpuUsageControl {
  setVisible(v: boolean): void;
  readonly message: string | undefined;
  readonly onMessage: (listener: (m: string) => void) => Disposable;
}

/** What the GPU utilisation poller needs of the model: the GPU tree (DRA devices) and a place for figures. */
export interface LiveTreesHost {
  readonly gpus: GpuTreeModel | undefined;
  setUsage(u: GpuUsageView | undefined): void;
}

export class ClusterModel implements Disposable, LiveTreesHost {
  private readonly _store = new DisposableStore();
  private readonly _onDidChangeWorkloads = this._store.add(new Emitter<readonly string[]>());
  private readonly _onDidChangeGpus = this._store.add(new Emitter<readonly string[]>());
  private readonly _onDidChangeState = this._store.add(new Emitter<ModelState>());
  private _trees?: LiveTrees;
  private _treeSubs?: Disposable;
  private _state: ModelState = { state: 'connecting' };
  private _notes: readonly string[] = [];
  private _usage?: GpuUsageView;
  /** Polls GPU utilisation while the GPUs view is visible (set by whoever builds the model with a connection). */
  gpuUsage?: GpuUsageControl;
  /** What the training logs told per workload (model/insights.ts), read when a row is built. */
  private _insight: InsightLookup | undefined;

  /** Ids of workload tree nodes to refresh (ROOT = all). */
  readonly onDidChangeWorkloads = this._onDidChangeWorkloads.event;
  readonly onDidChangeGpus = this._onDidChangeGpus.event;
  readonly onDidChangeState = this._onDidChangeState.event;

  constructor(
    readonly source: ClusterModelSource,
    private _grouping: Grouping = 'kind',
    private readonly _now: () => number = Date.now,
  ) {
    this._store.add(source);
    this._store.add(source.onDidChangeHealth((h) => this.onHealth(h)));
  }

  get isDisposed(): boolean {
    return this._store.isDisposed;
  }

  /** Registers something that lives as long as this view scope (e.g. the language server feed). */
  own<T extends Disposable>(d: T): T {
    return this._store.add(d);
  }

  get state(): ModelState {
    return this._state;
  }

  get workloads(): WorkloadTreeModel | undefined {
    return this._trees?.workloads;
  }

  get gpus(): GpuTreeModel | undefined {
    return this._trees?.gpus;
  }

  get grouping(): Grouping {
    return this._grouping;
  }

  /** Where workload rows read their training insight from; every row is built again. */
  setInsightLookup(lookup: InsightLookup | undefined): void {
    this._insight = lookup;
    this.refreshWorkloads([ROOT]);
  }

  /** Rows whose insight changed (progress moved, a failure was explained) are built again. */
  refreshWorkloads(ids: readonly string[]): void {
    if (this._store.isDisposed || !this._trees || ids.length === 0) return;
    this._onDidChangeWorkloads.fire(ids);
  }

  /**
   * Connects and builds both trees; failures come back in `state`. The trees are built as soon as a listed
   * workload kind has objects (see hasFirstRows), so the view paints the rows that have arrived (with a "Loading…" row for
   * the rest) instead of waiting for every kind and all pods; they fill in as the other lists complete. The
   * state stays `connecting` until everything is listed.
   */
  async start(signal?: AbortSignal): Promise<ModelState> {
    const early = this.source.onDidSyncKinds(() => {
      if (this._trees || this._store.isDisposed) return;
      if (!this.hasFirstRows()) return;
      this.build();
      // The same state, told again: the views drop "Connecting…" now that rows are shown.
      this.setState(this._state);
    });
    let r: Awaited<ReturnType<ClusterModelSource['start']>>;
    try {
      r = await this.source.start(signal);
    } finally {
      early.dispose();
    }
    if (this._store.isDisposed) return this._state;
    if (!r.ok) {
      this.setState({ state: 'failed', error: r.error });
      return this._state;
    }
    this._notes = r.value.notes;
    // Built early: the trees rebuilt themselves as each kind arrived, the last ones included.
    if (!this._trees) this.build();
    this.onHealth(this.source.health);
    return this._state;
  }

  /**
   * Whether an early build would show workload rows: a listed kind has objects, or every kind is listed (an
   * empty cluster). A tree of "Loading…" alone is not worth a refresh of the view: VS Code holds back a
   * refresh that comes within 200 ms of the one before it (its extension host debounces tree events), so
   * the refresh with the first rows must be the first.
   */
  private hasFirstRows(): boolean {
    const kinds = this.source.workloadKinds.map(kindKey).filter((k) => this.source.isSynced(k));
    if (kinds.length === 0) return false;
    if (kinds.length === this.source.workloadKinds.length) return true;
    return kinds.some((k) => !this.source.objectsOf(k).next().done);
  }

  /** True once the trees show what has arrived, while some kinds are still listing (see start()). */
  get loading(): boolean {
    return !!this._trees?.loading;
  }

  /** GPU utilisation figures for both trees (undefined: none). */
  setUsage(u: GpuUsageView | undefined): void {
    this._usage = u;
    this._trees?.setUsage(u);
  }

  setGrouping(g: Grouping): void {
    if (g === this._grouping) return;
    this._grouping = g;
    this.rebuild();
  }

  /** Rebuilds both trees from the caches (CRDs came or went, grouping changed, or asked by the user). */
  rebuild(): void {
    if (this._store.isDisposed || !this._trees) return;
    this.build();
  }

  /** Both trees from the caches' current state; later changes arrive through LiveTrees. */
  private build(): void {
    this._treeSubs?.dispose();
    this._trees?.dispose();
    const trees = new LiveTrees(this.source, {
      grouping: this._grouping,
      now: this._now,
      insight: (wid) => this._insight?.(wid),
    });
    this._trees = trees;
    this._treeSubs = trees.onDidChange((r) => {
      if (r.workloads.length) this._onDidChangeWorkloads.fire(r.workloads);
      if (r.gpus.length) this._onDidChangeGpus.fire(r.gpus);
    });
    if (this._usage) trees.gpus.setUsage(this._usage);
    this._onDidChangeWorkloads.fire([ROOT]);
    this._onDidChangeGpus.fire([ROOT]);
  }

  private onHealth(h: SourceHealth): void {
    switch (h.state) {
      case 'connecting':
        // Before the first list the views show "Connecting"; later, a kind still syncing is not news.
        if (!this._trees) this.setState({ state: 'connecting' });
        return;
      case 'connected':
        this.setState({ state: 'connected', notes: this.source.snapshot().notes });
        return;
      case 'reconnecting':
        this.setState({ state: 'reconnecting', since: h.since, error: h.lastError, notes: this._notes });
        return;
      case 'failed':
        this.setState({ state: 'failed', error: h.error });
        return;
      case 'stopped':
        this.setState({ state: 'stopped' });
    }
  }

  private setState(s: ModelState): void {
    this._state = s;
    this._onDidChangeState.fire(s);
  }

  dispose(): void {
    this._state = { state: 'stopped' };
    this._treeSubs?.dispose();
    this._trees?.dispose();
    this._store.dispose();
  }
}
