// Joins the live data of one context (k8s/ModelSource) with the pure tree models (core/tree). Editor-free, so
// cluster tests and the sidebar benchmark drive exactly what the views render.
import { findKindDef, toMlKind, type MlKind } from '../core/kinds';
import type { KindRef, KubeObject } from '../core/kube';
import { DisposableStore, Emitter, type Disposable } from '../core/lifecycle';
import {
  GpuTreeModel,
  ROOT,
  WorkloadTreeModel,
  type ClusterSnapshot,
  type Grouping,
  type WatchChange,
} from '../core/tree';
import type { K8sError } from '../k8s/errors';
import type { ClusterModelSource, ModelChange, ModelSnapshot, SourceHealth } from '../k8s/modelSource';

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

export function mlKinds(refs: readonly KindRef[]): MlKind[] {
  const out: MlKind[] = [];
  for (const r of refs) {
    const d = findKindDef(r.group, r.kind);
    if (d) out.push(toMlKind(d, r.version));
  }
  return out;
}

/** The core tree models' input, from the source's snapshot. */
export function toClusterSnapshot(s: ModelSnapshot): ClusterSnapshot {
  const kinds = mlKinds(s.workloadKinds);
  const list = (key: string): KubeObject[] => [...(s.objects.get(key)?.values() ?? [])];
  const workloads = new Map<string, readonly KubeObject[]>();
  for (const k of kinds) workloads.set(k.key, list(k.key));
  return { kinds, workloads, pods: list('Pod'), events: list('Event'), nodes: list('Node') };
}

/** Watch change sets as the per-object changes the tree models take. */
export function* watchChanges(changes: readonly ModelChange[]): Generator<WatchChange> {
  for (const { changes: c } of changes) {
    for (const object of c.deleted.values()) yield { type: 'deleted', object };
    for (const object of c.added.values()) yield { type: 'added', object };
    for (const object of c.modified.values()) yield { type: 'modified', object };
  }
}

export class ClusterModel implements Disposable {
  private readonly _store = new DisposableStore();
  private readonly _onDidChangeWorkloads = this._store.add(new Emitter<readonly string[]>());
  private readonly _onDidChangeGpus = this._store.add(new Emitter<readonly string[]>());
  private readonly _onDidChangeState = this._store.add(new Emitter<ModelState>());
  private _workloads?: WorkloadTreeModel;
  private _gpus?: GpuTreeModel;
  private _state: ModelState = { state: 'connecting' };
  private _notes: readonly string[] = [];

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
    this._store.add(source.onDidChange((c) => this.applyChanges(c)));
    this._store.add(source.onDidChangeKinds(() => this.rebuild()));
    this._store.add(source.onDidChangeHealth((h) => this.onHealth(h)));
  }

  get state(): ModelState {
    return this._state;
  }

  get workloads(): WorkloadTreeModel | undefined {
    return this._workloads;
  }

  get gpus(): GpuTreeModel | undefined {
    return this._gpus;
  }

  get grouping(): Grouping {
    return this._grouping;
  }

  /** Connects and builds both trees; failures come back in `state`. */
  async start(signal?: AbortSignal): Promise<ModelState> {
    const r = await this.source.start(signal);
    if (this._store.isDisposed) return this._state;
    if (!r.ok) {
      this.setState({ state: 'failed', error: r.error });
      return this._state;
    }
    this.build(r.value);
    this.onHealth(this.source.health);
    return this._state;
  }

  setGrouping(g: Grouping): void {
    if (g === this._grouping) return;
    this._grouping = g;
    this.rebuild();
  }

  /** Rebuilds both trees from the caches (CRDs came or went, grouping changed, or asked by the user). */
  rebuild(): void {
    if (this._store.isDisposed || !this._workloads) return;
    this.build(this.source.snapshot());
  }

  private build(s: ModelSnapshot): void {
    const snap = toClusterSnapshot(s);
    this._notes = s.notes;
    this._workloads = new WorkloadTreeModel(snap, { grouping: this._grouping, now: this._now });
    this._gpus = new GpuTreeModel(snap.nodes ?? [], snap.pods, this._workloads.workloadRefOf);
    this._onDidChangeWorkloads.fire([ROOT]);
    this._onDidChangeGpus.fire([ROOT]);
  }

  private applyChanges(changes: readonly ModelChange[]): void {
    const w = this._workloads;
    const g = this._gpus;
    if (!w || !g) return;
    const wIds = new Set<string>();
    const gIds = new Set<string>();
    for (const change of watchChanges(changes)) {
      for (const id of w.apply(change)) wIds.add(id);
      const k = change.object.kind;
      if (k === 'Pod' || k === 'Node') for (const id of g.apply(change)) gIds.add(id);
    }
    if (wIds.size) this._onDidChangeWorkloads.fire(wIds.has(ROOT) ? [ROOT] : [...wIds]);
    if (gIds.size) this._onDidChangeGpus.fire(gIds.has(ROOT) ? [ROOT] : [...gIds]);
  }

  private onHealth(h: SourceHealth): void {
    switch (h.state) {
      case 'connecting':
        // Before the first list the views show "Connecting"; later, a kind still syncing is not news.
        if (!this._workloads) this.setState({ state: 'connecting' });
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
    this._store.dispose();
  }
}
