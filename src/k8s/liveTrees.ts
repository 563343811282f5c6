// Feeds the core tree models (src/core/tree/) from a ClusterModelSource: builds both trees from the
// snapshot, then applies each batched change set and reports the node ids to refresh.
import { findKindDef, toMlKind, type MlKind } from '../core/kinds';
import { type GpuUsageView, idleText, meanUtil, type PodUsage, utilText } from '../core/gpuMetrics';
import { kindKey, type KindRef, type KubeObject } from '../core/kube';
import { isPodTerminal } from '../core/status';
import { Emitter, DisposableStore, type Disposable } from '../core/lifecycle';
import {
  buildGpuTree,
  buildWorkloadTree,
  ROOT,
  type ClusterSnapshot,
  type GpuTreeModel,
  type TreeOptions,
  type WatchChange,
  type WorkloadTreeModel,
} from '../core/tree';
import type { ClusterModelSource, ModelChange, ModelSnapshot } from './modelSource';

/** The ML kinds (core/kinds.ts entries) among the watched kinds; kinds outside the table are skipped. */
export function mlKindsOf(kinds: readonly KindRef[]): MlKind[] {
  const out: MlKind[] = [];
  for (const k of kinds) {
    const def = findKindDef(k.group, k.kind);
    if (def) out.push(toMlKind(def, k.version));
  }
  return out;
}

/** The tree model's input from a model source snapshot. */
export function toTreeSnapshot(s: ModelSnapshot): ClusterSnapshot {
  const kinds = mlKindsOf(s.workloadKinds);
  const workloads = new Map<string, KubeObject[]>();
  for (const k of kinds) workloads.set(k.key, [...(s.objects.get(k.key)?.values() ?? [])]);
  return {
    kinds,
    workloads,
    pods: [...(s.objects.get('Pod')?.values() ?? [])],
    events: [...(s.objects.get('Event')?.values() ?? [])],
    nodes: [...(s.objects.get('Node')?.values() ?? [])],
    resourceSlices: [...(s.objects.get(SLICE_KEY)?.values() ?? [])],
    resourceClaims: [...(s.objects.get(CLAIM_KEY)?.values() ?? [])],
  };
}

const SLICE_KEY = 'ResourceSlice.resource.k8s.io';
const CLAIM_KEY = 'ResourceClaim.resource.k8s.io';
const ORDER: Record<string, number> = { Node: 0, [SLICE_KEY]: 0, [CLAIM_KEY]: 0, Pod: 2, Event: 3 };
const GPU_ONLY = new Set(['Node', 'ResourceSlice', 'ResourceClaim']);
const DRA_KINDS = new Set(['ResourceSlice', 'ResourceClaim']);

/**
 * Watch changes in the order the trees want them: workloads before pods (so a new pod finds its owner),
 * then events; within a kind added, modified, deleted.
 */
export function toWatchChanges(changes: readonly ModelChange[]): WatchChange[] {
  const sorted = [...changes].sort((a, b) => (ORDER[kindKey(a.kind)] ?? 1) - (ORDER[kindKey(b.kind)] ?? 1));
  const out: WatchChange[] = [];
  for (const { changes: c } of sorted) {
    for (const object of c.added.values()) out.push({ type: 'added', object });
    for (const object of c.modified.values()) out.push({ type: 'modified', object });
    for (const object of c.deleted.values()) out.push({ type: 'deleted', object });
  }
  return out;
}

export interface TreeRefresh {
  /** Node ids of the ML Workloads tree to refresh (ROOT = the whole view). */
  readonly workloads: readonly string[];
  /** Node ids of the GPUs tree to refresh. */
  readonly gpus: readonly string[];
}

/** Both sidebar trees, kept current from one model source. */
export class LiveTrees implements Disposable {
  private readonly _store = new DisposableStore();
  private readonly _onDidChange = new Emitter<TreeRefresh>();
  private _workloads: WorkloadTreeModel;
  private _gpus: GpuTreeModel;
  /** Fires after a change batch was applied, with the ids to refresh. */
  readonly onDidChange = this._onDidChange.event;

  /** `source` must have started (its snapshot holds the initial lists). */
  constructor(
    private readonly _source: ClusterModelSource,
    private _options: TreeOptions = {},
  ) {
    const snap = toTreeSnapshot(_source.snapshot());
    // Waiting workloads are explained against the GPU tree's node pool (read when a summary is made).
    this._options = {
      ..._options,
      pool: () => this._gpus?.pool(),
      gpuRow: (pods, hasPluginGpus) => this.gpuRow(pods, hasPluginGpus),
    };
    this._workloads = buildWorkloadTree(snap, this.treeOptions());
    // GPU pods are attributed to the workload the tree shows (TrainJob, not its JobSet); a closure, so a
    // rebuilt workload tree is used from then on.
    this._gpus = this.gpuTree(snap);
    this._store.add(this._onDidChange);
    this._store.add(_source.onDidChange((c) => this.apply(c)));
    this._store.add(_source.onDidChangeKinds(() => this.rebuild()));
    // Built before every first list came (the view paints what has arrived): a kind's first list is not
    // replayed as changes, so both trees are built again from the snapshot when it completes.
    this._store.add(_source.onDidSyncKinds(() => this.rebuildAll()));
  }

  /** What is still being listed (see TreeOptions.loading); undefined once everything shown has arrived. */
  get loading(): TreeOptions['loading'] {
    const src = this._source;
    // What a workload row's counts and explanations read besides the workload: its pods, their events, nodes.
    const facts = (
      [
        ['Pod', 'pods'],
        ['Event', 'events'],
        ['Node', 'nodes'],
      ] as const
    ).filter(([key]) => src.watches(key) && !src.isSynced(key));
    const kinds = mlKindsOf(src.workloadKinds).filter((k) => !src.isSynced(k.key));
    if (!facts.length && !kinds.length) return undefined;
    return {
      pods: facts.length > 0,
      what: [...facts.map(([, name]) => name), ...kinds.map((k) => k.displayName)],
    };
  }

  /** The GPUs view counts allocation from pods and claims: shown only once nodes, pods and claims are all in. */
  private gpuFactsListed(): boolean {
    const src = this._source;
    return ['Pod', 'Node', ...src.draKinds.map(kindKey)].every((k) => !src.watches(k) || src.isSynced(k));
  }

  private gpuTree(snap: ClusterSnapshot): GpuTreeModel {
    const shown = this.gpuFactsListed() ? snap : { pods: [], nodes: [] };
    return buildGpuTree(shown, (p) => this._workloads.workloadRefOf(p));
  }

  private treeOptions(): TreeOptions {
    const loading = this.loading;
    return loading ? { ...this._options, loading } : this._options;
  }

  get workloads(): WorkloadTreeModel {
    return this._workloads;
  }

  get gpus(): GpuTreeModel {
    return this._gpus;
  }

  /** Latest GPU utilisation (undefined stops showing it); both trees are refreshed. */
  setUsage(u: GpuUsageView | undefined): void {
    this._gpus.setUsage(u);
    this._onDidChange.fire({ workloads: [ROOT], gpus: [ROOT] });
  }

  /** A workload row's extra GPU text: DRA GPUs from its pods' claims, utilisation, idle time. */
  private gpuRow(pods: readonly KubeObject[], _hasPluginGpus: boolean): string | undefined {
    const live = pods.filter((p) => !isPodTerminal(p));
    const byModel = new Map<string, number>();
    for (const p of live)
      for (const g of this._gpus.podDraGpus(p)) byModel.set(g.model, (byModel.get(g.model) ?? 0) + g.count);
    const parts = [...byModel].map(([m, c]) => `${c}× ${m.replace(/^(NVIDIA|AMD) /, '')}`);
    const u = this._gpus.usage;
    if (u) {
      const keys = live.map((p) => `${p.metadata.namespace ?? ''}/${p.metadata.name}`);
      const usages = keys.map((k) => u.byPod.get(k)).filter((x): x is PodUsage => !!x);
      const util = meanUtil(usages);
      if (util !== undefined) parts.push(utilText(util));
      // Idle when every pod with readings is idle; since the latest of them went idle.
      const withReadings = keys.filter((k) => u.byPod.has(k));
      const since = withReadings.map((k) => u.idleSince(k));
      if (since.length && since.every((x) => x !== undefined))
        parts.push(idleText(Math.max(...(since as number[])), u.now));
    }
    return parts.length ? parts.join(' · ') : undefined;
  }

  private apply(changes: readonly ModelChange[]): void {
    const w = new Set<string>();
    const g = new Set<string>();
    const all = toWatchChanges(changes);
    // DRA objects of the batch at once: one recomputation of the device state, not one per claim.
    // Until its facts are all listed the GPUs tree stays empty; the rebuild when they are covers these changes.
    const gpus = this.gpuFactsListed();
    const dra = gpus ? all.filter((ch) => DRA_KINDS.has(ch.object.kind)) : [];
    if (dra.length) for (const id of this._gpus.applyDra(dra)) g.add(id);
    for (const ch of all) {
      const kind = ch.object.kind;
      if (DRA_KINDS.has(kind)) continue;
      if (!GPU_ONLY.has(kind)) for (const id of this._workloads.apply(ch)) w.add(id);
      if (gpus && (GPU_ONLY.has(kind) || kind === 'Pod')) for (const id of this._gpus.apply(ch)) g.add(id);
    }
    // GPUs freed or taken, nodes added or tainted: the waiting workloads' explanations may read differently
    if (g.size) for (const id of this._workloads.poolChanged()) w.add(id);
    if (w.size || g.size) this._onDidChange.fire({ workloads: collapse(w), gpus: collapse(g) });
  }

  /** The set of kinds changed: build the workload tree again and refresh the whole view. */
  private rebuild(): void {
    const snap = toTreeSnapshot(this._source.snapshot());
    this._workloads = buildWorkloadTree(snap, this.treeOptions());
    this._onDidChange.fire({ workloads: [ROOT], gpus: [] });
  }

  /** More kinds have their first list in the snapshot: both trees again, both views refreshed. */
  private rebuildAll(): void {
    const snap = toTreeSnapshot(this._source.snapshot());
    this._workloads = buildWorkloadTree(snap, this.treeOptions());
    const usage = this._gpus.usage;
    this._gpus = this.gpuTree(snap);
    if (usage) this._gpus.setUsage(usage);
    this._onDidChange.fire({ workloads: [ROOT], gpus: [ROOT] });
  }

  dispose(): void {
    this._store.dispose();
  }
}

function collapse(ids: Set<string>): string[] {
  return ids.has(ROOT) ? [ROOT] : [...ids];
}
