// Combines discovery and watch caches into what the core tree model consumes: a snapshot of every
// watched object by kind, and batched change sets. Picks up CRDs installed later by watching
// CustomResourceDefinitions (or, when that is forbidden, re-running discovery on a slow timer).
import { selectDiscovered } from '../core/kinds';
import { kindKey, type KindRef, type KubeObject } from '../core/kube';
import { DisposableStore, Emitter, type Disposable } from '../core/lifecycle';
import { CORE_KINDS, type ClusterConnection, type NamespaceScope } from './connection';
import type { DiscoveredKinds } from './discovery';
import { fail, ok, type K8sError, type Result } from './errors';
import { isEmptyChangeSet, realTimers, type ChangeSet, type Timers } from './timing';
import type { WatchCache, WatchHealth } from './watchCache';

export interface ModelSourceOptions {
  /**
   * Chooses the workload kinds to watch from everything the cluster serves (all versions). Default: the
   * ML kinds table (core/kinds.ts selectDiscovered), at the most preferred version the cluster serves.
   */
  readonly selectKinds?: (served: readonly KindRef[]) => readonly KindRef[];
  readonly scope: NamespaceScope;
  /** Watch Warning events for reasons in the tree (default true). */
  readonly warningEvents?: boolean;
  /** Watch nodes for GPU capacity (default true). */
  readonly nodes?: boolean;
  readonly timers?: Timers;
  /** Coalescing window across kinds (ms). */
  readonly batchMs?: number;
  /** Re-run discovery this often when CRDs cannot be watched (ms). */
  readonly rediscoverMs?: number;
}

/** Overall state of the live data of one context. */
export type SourceHealth =
  | { readonly state: 'connecting' }
  | { readonly state: 'connected' }
  | { readonly state: 'reconnecting'; readonly since: number; readonly lastError: K8sError }
  | { readonly state: 'failed'; readonly error: K8sError }
  | { readonly state: 'stopped' };

export interface ModelSnapshot {
  readonly context: string;
  readonly scope: NamespaceScope;
  /** Workload kinds being watched (served by the cluster), in the order asked for. */
  readonly workloadKinds: readonly KindRef[];
  /** Every watched object by kindKey ('Pod', 'Node', 'Event', 'PyTorchJob.kubeflow.org', ...) then uid. */
  readonly objects: ReadonlyMap<string, ReadonlyMap<string, KubeObject>>;
  /** Per kindKey: the watch state (forbidden kinds show here). */
  readonly health: ReadonlyMap<string, WatchHealth>;
  /** Sentences for the UI about what is not shown and why. */
  readonly notes: readonly string[];
}

export interface ModelChange {
  readonly kind: KindRef;
  readonly changes: ChangeSet<KubeObject>;
}

interface KindWatch {
  readonly kind: KindRef;
  readonly handles: ({ cache: WatchCache } & Disposable)[];
  readonly subs: DisposableStore;
  /** Set when one cluster-wide watch stands for a chosen set of namespaces: keeps only their objects. */
  readonly keep?: (o: KubeObject) => boolean;
}

/**
 * From this many chosen namespaces on, a kind the user may list across all namespaces is watched once,
 * cluster-wide, and filtered in memory: the apiserver then holds one watch per kind instead of one per
 * namespace and kind (50 namespaces x 15 kinds would be 750 long-running requests). Below it, per-namespace
 * watches transfer only what is shown.
 */
export const CLUSTER_WIDE_FROM_NAMESPACES = 4;

export class ClusterModelSource implements Disposable {
  private readonly _store = new DisposableStore();
  private readonly _watches = new Map<string, KindWatch>();
  private readonly _onDidChange = new Emitter<readonly ModelChange[]>();
  private readonly _onDidChangeHealth = new Emitter<SourceHealth>();
  private readonly _onDidChangeKinds = new Emitter<readonly KindRef[]>();
  private readonly _timers: Timers;
  private _pending = new Map<string, { kind: KindRef; sets: ChangeSet<KubeObject>[] }>();
  private _flushTimer: unknown;
  private _scope: NamespaceScope;
  private _podsClusterWide = false;
  private _claimsClusterWide = false;
  /** Namespaced kinds (by kindKey) watched cluster-wide for a chosen set of namespaces, then filtered. */
  private readonly _clusterWide = new Set<string>();
  private _workloadKinds: KindRef[] = [];
  private _draKinds: KindRef[] = [];
  private _discovered?: DiscoveredKinds;
  private _health: SourceHealth = { state: 'connecting' };
  private _rediscoverTimer: unknown;
  private _rediscovering?: Promise<void>;
  private _rediscoverAgain = false;
  private _disposed = false;
  private _crds?: WatchCache;
  /** Kinds (by kindKey) whose first list has completed (or failed, e.g. forbidden) on every watch. */
  private readonly _synced = new Set<string>();
  /** Synced since the last flush, told through onDidSyncKinds with the next batch. */
  private _newlySynced = new Set<string>();
  private readonly _onDidSyncKinds = new Emitter<readonly string[]>();
  /** When start() began, and how long its steps took (see startTimeline). */
  private _t0 = 0;
  private _checkedMs: number | undefined;
  private readonly _firstListMs = new Map<string, number>();

  /** Batched changes across kinds, after the initial sync (the snapshot holds the initial state). */
  readonly onDidChange = this._onDidChange.event;
  readonly onDidChangeHealth = this._onDidChangeHealth.event;
  /** The set of served workload kinds changed (a CRD was installed or removed). */
  readonly onDidChangeKinds = this._onDidChangeKinds.event;
  /**
   * Kinds (by kindKey) whose first list just completed, batched like the changes. Their objects are in
   * snapshot() from then on and their first list is never replayed through onDidChange, so a consumer that
   * shows what has arrived before start() resolves rebuilds from the snapshot when told.
   */
  readonly onDidSyncKinds = this._onDidSyncKinds.event;

  constructor(
    private readonly _conn: ClusterConnection,
    private readonly _opts: ModelSourceOptions,
  ) {
    this._timers = _opts.timers ?? realTimers;
    this._scope = _opts.scope;
    this._store.add(this._onDidChange);
    this._store.add(this._onDidChangeHealth);
    this._store.add(this._onDidChangeKinds);
    this._store.add(this._onDidSyncKinds);
  }

  /** Whether this kind (kindKey) is watched. */
  watches(key: string): boolean {
    return this._watches.has(key);
  }

  /** Whether the first list of this kind (kindKey) has completed; its objects are in the snapshot. */
  isSynced(key: string): boolean {
    return this._synced.has(key);
  }

  /**
   * Where the first sync's time went, for the log: the credentials check, scope and discovery (one round), then
   * when each kind's first list was in, from the start, slowest last, with its object count. Undefined before
   * start() got past the checks.
   */
  startTimeline(): string | undefined {
    if (this._checkedMs === undefined) return undefined;
    const lists = [...this._firstListMs]
      .sort((a, b) => a[1] - b[1])
      .map(([key, ms]) => `${key} ${Math.round(ms)} ms (${this.countOf(key)})`);
    return `checks and discovery ${Math.round(this._checkedMs)} ms; first lists in: ${lists.join(', ')}`;
  }

  private countOf(key: string): number {
    let n = 0;
    for (const h of this._watches.get(key)?.handles ?? []) n += h.cache.size;
    return n;
  }

  get health(): SourceHealth {
    return this._health;
  }

  get scope(): NamespaceScope {
    return this._scope;
  }

  get workloadKinds(): readonly KindRef[] {
    return this._workloadKinds;
  }

  /** ResourceSlice and ResourceClaim when the cluster serves DRA (watched like nodes and pods), else none. */
  get draKinds(): readonly KindRef[] {
    return this._draKinds;
  }

  /**
   * Connects: checks the credentials, resolves the namespace scope, runs discovery and starts every watch,
   * then waits for the first list of each. Fails (as a value) only when the cluster cannot be used at all.
   */
  async start(signal?: AbortSignal): Promise<Result<ModelSnapshot>> {
    // Credentials check, scope and discovery in parallel: one round trip instead of three.
    // GPU allocation on a node counts every pod bound to it, whatever namespaces the views show: with a
    // chosen set of namespaces, pods are still watched cluster-wide when the user may list them.
    const narrowed = this._opts.scope.kind === 'some' && this._opts.nodes !== false;
    this._t0 = this._timers.now();
    const [probe, scope, disc, allPods, allClaims] = await Promise.all([
      this._conn.probe(signal),
      this._conn.resolveScope(this._opts.scope, signal),
      this._conn.discover(signal),
      narrowed ? this._conn.canI('list', CORE_KINDS.pod, undefined, signal) : Promise.resolve(undefined),
      narrowed ? this._conn.canI('list', DRA_CLAIM_PROBE, undefined, signal) : Promise.resolve(undefined),
    ]);
    this._podsClusterWide = allPods?.ok === true && allPods.value;
    this._claimsClusterWide = allClaims?.ok === true && allClaims.value;
    if (!probe.ok) return this.failed(probe.error);
    if (!scope.ok) return this.failed(scope.error);
    if (!disc.ok) return this.failed(disc.error);
    if (this._disposed) return fail({ kind: 'cancelled', message: 'The connection was closed.' });
    this._checkedMs = this._timers.now() - this._t0;
    this._scope = scope.value;
    this._discovered = disc.value;
    this._workloadKinds = this.select(disc.value);

    const fixed: KindRef[] = [CORE_KINDS.pod];
    if (this._opts.nodes !== false) fixed.push(CORE_KINDS.node);
    if (this._opts.warningEvents !== false) fixed.push(CORE_KINDS.event);
    // DRA GPUs (ResourceSlices, ResourceClaims) only where the cluster serves resource.k8s.io.
    if (this._opts.nodes !== false) this._draKinds = draKinds(disc.value.allVersions());
    fixed.push(...this._draKinds);
    await this.decideClusterWide([...fixed, ...this._workloadKinds], signal);
    if (this._disposed) return fail({ kind: 'cancelled', message: 'The connection was closed.' });
    for (const k of [...fixed, ...this._workloadKinds]) this.startKind(k);

    await Promise.all([...this._watches.values()].flatMap((w) => w.handles.map((h) => h.cache.whenSynced())));
    for (const key of this._watches.keys()) this.markSynced(key);
    this.flushPending(false); // the initial lists are in the snapshot; do not replay them as changes
    this.recomputeHealth();
    // CRDs carry their whole schemas (megabytes on a cluster with many operators): listed once the views'
    // lists are in, not beside them.
    if (!this._disposed) this.watchCrds();
    return ok(this.snapshot());
  }

  private failed(error: K8sError): Result<ModelSnapshot> {
    this.setHealth({ state: 'failed', error });
    return fail(error);
  }

  /** For many chosen namespaces: which namespaced kinds may be listed across all namespaces (one review each). */
  private async decideClusterWide(kinds: readonly KindRef[], signal?: AbortSignal): Promise<void> {
    if (this._scope.kind !== 'some' || this._scope.namespaces.length < CLUSTER_WIDE_FROM_NAMESPACES) return;
    const ask = kinds.filter(
      (k) =>
        k.namespaced && k !== CORE_KINDS.pod && k.group !== DRA_GROUP && !this._clusterWide.has(kindKey(k)),
    );
    const answers = await Promise.all(ask.map((k) => this._conn.canI('list', k, undefined, signal)));
    ask.forEach((k, i) => {
      const a = answers[i]!;
      if (a.ok && a.value) this._clusterWide.add(kindKey(k));
    });
  }

  private namespacesFor(kind: KindRef): (string | undefined)[] {
    if (!kind.namespaced || this._scope.kind === 'all') return [undefined];
    if (kind === CORE_KINDS.pod && this._podsClusterWide) return [undefined];
    // Claims count toward nodes' DRA GPUs whatever namespace holds them, like pods.
    if (kind.kind === 'ResourceClaim' && kind.group === DRA_GROUP && this._claimsClusterWide)
      return [undefined];
    if (this._clusterWide.has(kindKey(kind))) return [undefined];
    return [...this._scope.namespaces];
  }

  private startKind(kind: KindRef): void {
    const key = kindKey(kind);
    if (this._watches.has(key)) return;
    const subs = new DisposableStore();
    // Pods stay unfiltered: GPU allocation counts every pod on a node (see start()).
    let keep: ((o: KubeObject) => boolean) | undefined;
    if (this._scope.kind === 'some' && this._clusterWide.has(key)) {
      const chosen = new Set(this._scope.namespaces);
      keep = (o) => chosen.has(o.metadata.namespace ?? '');
    }
    const handles = this.namespacesFor(kind).map((namespace) =>
      this._conn.watch({
        kind,
        namespace,
        fieldSelector: kind === CORE_KINDS.event ? 'type=Warning' : undefined,
      }),
    );
    const watch: KindWatch = keep ? { kind, handles, subs, keep } : { kind, handles, subs };
    for (const h of handles) {
      subs.add(
        h.cache.onDidChange((c) => {
          // A cache's first list (it has never been connected): the snapshot holds it from the moment the kind
          // is synced, which is told instead, so the view builds once, not once per object.
          if (h.cache.health.state === 'connecting' && !this._synced.has(key)) return;
          this.enqueue(kind, keep ? filterChangeSet(c, keep) : c);
        }),
      );
      subs.add(h.cache.onDidChangeHealth(() => this.recomputeHealth()));
    }
    this._watches.set(key, watch);
    void Promise.all(handles.map((h) => h.cache.whenSynced())).then(() => {
      // Stopped or replaced (another version) meanwhile: not this watch's news.
      if (this._disposed || this._watches.get(key) !== watch) return;
      if (this.markSynced(key)) this.scheduleFlush();
    });
  }

  /** True when the kind was not synced before. */
  private markSynced(key: string): boolean {
    if (this._synced.has(key)) return false;
    this._synced.add(key);
    if (this._t0 && !this._firstListMs.has(key)) this._firstListMs.set(key, this._timers.now() - this._t0);
    this._newlySynced.add(key);
    return true;
  }

  private stopKind(key: string): void {
    const w = this._watches.get(key);
    if (!w) return;
    this._watches.delete(key);
    this._synced.delete(key);
    this._newlySynced.delete(key);
    w.subs.dispose();
    for (const h of w.handles) h.dispose();
  }

  /** CRDs installed or removed later: re-run discovery when the CRD list changes. */
  private watchCrds(): void {
    const h = this._conn.watch({ kind: CORE_KINDS.crd });
    this._store.add(h);
    this._crds = h.cache;
    let initial = true;
    this._store.add(
      h.cache.onDidChange(() => {
        if (initial) return;
        this.scheduleRediscover(300);
      }),
    );
    void h.cache.whenSynced().then((err) => {
      initial = false;
      // A wanted kind whose CRD was established after discovery ran, before this list: look again now.
      if (!err && this.pendingCrdKinds().length > 0) this.scheduleRediscover(0);
      if (err?.kind === 'forbidden' || h.cache.health.state === 'forbidden') {
        // Cannot watch CRDs: a lightweight discovery every few minutes instead.
        this.scheduleRediscover(this._opts.rediscoverMs ?? 5 * 60_000, true);
      }
    });
  }

  private scheduleRediscover(ms: number, repeat = false): void {
    if (this._disposed) return;
    if (this._rediscoverTimer !== undefined) this._timers.clearTimeout(this._rediscoverTimer);
    this._rediscoverTimer = this._timers.setTimeout(() => {
      this._rediscoverTimer = undefined;
      void this.rediscover().then(() => {
        if (repeat) this.scheduleRediscover(ms, true);
      });
    }, ms);
  }

  /** Runs discovery again and starts/stops watches for workload kinds that appeared/disappeared. */
  async rediscover(): Promise<void> {
    if (this._rediscovering) {
      this._rediscoverAgain = true;
      return this._rediscovering;
    }
    this._rediscovering = (async () => {
      do {
        this._rediscoverAgain = false;
        const disc = await this._conn.discover();
        if (this._disposed || !disc.ok) return;
        const before = this._discovered?.signature();
        this._discovered = disc.value;
        if (before === disc.value.signature()) {
          // An established CRD can reach discovery a moment later: look once more shortly.
          if (this.pendingCrdKinds().length > 0) this.scheduleRediscover(1000);
          continue;
        }
        const next = this.select(disc.value);
        await this.decideClusterWide(next);
        if (this._disposed) return;
        const nextKeys = new Set(next.map(kindKey));
        for (const k of this._workloadKinds) {
          const key = kindKey(k);
          if (!nextKeys.has(key)) this.stopKind(key);
        }
        for (const k of next) {
          const cur = this._watches.get(kindKey(k));
          if (cur && cur.kind.version !== k.version) this.stopKind(kindKey(k));
          this.startKind(k);
        }
        this._workloadKinds = next;
        this._onDidChangeKinds.fire(next);
        this.recomputeHealth();
      } while (this._rediscoverAgain && !this._disposed);
    })().finally(() => (this._rediscovering = undefined));
    return this._rediscovering;
  }

  private select(d: DiscoveredKinds): KindRef[] {
    const chosen = (this._opts.selectKinds ?? selectDiscovered)(d.allVersions());
    // Plain KindRefs (an MlKind carries more fields; the caches need only these).
    return chosen.map((k) => ({
      group: k.group,
      version: k.version,
      kind: k.kind,
      plural: k.plural,
      namespaced: k.namespaced,
    }));
  }

  /** Wanted kinds defined by an established CRD that discovery does not list yet. */
  private pendingCrdKinds(): KindRef[] {
    const out: KindRef[] = [];
    for (const crd of this._crds ? this._crds.items() : []) {
      const spec = crd.spec as
        | {
            group?: string;
            scope?: string;
            names?: { kind?: string; plural?: string };
            versions?: { name: string; served?: boolean }[];
          }
        | undefined;
      const established = (crd.status?.conditions as { type: string; status: string }[] | undefined)?.some(
        (c) => c.type === 'Established' && c.status === 'True',
      );
      if (!established || !spec?.group || !spec.names?.kind || !spec.names.plural) continue;
      const probes: KindRef[] = (spec.versions ?? [])
        .filter((v) => v.served !== false)
        .map((v) => ({
          group: spec.group!,
          version: v.name,
          kind: spec.names!.kind!,
          plural: spec.names!.plural!,
          namespaced: spec.scope !== 'Cluster',
        }));
      const chosen = (this._opts.selectKinds ?? selectDiscovered)(probes);
      for (const k of chosen) {
        if (!this._discovered?.get(k.group, k.kind)) out.push(k);
      }
    }
    return out;
  }

  private enqueue(kind: KindRef, c: ChangeSet<KubeObject>): void {
    const key = kindKey(kind);
    let p = this._pending.get(key);
    if (!p) {
      p = { kind, sets: [] };
      this._pending.set(key, p);
    }
    p.sets.push(c);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this._flushTimer !== undefined || this._disposed) return;
    this._flushTimer = this._timers.setTimeout(() => {
      this._flushTimer = undefined;
      this.flushPending(true);
    }, this._opts.batchMs ?? 30);
  }

  private flushPending(emit: boolean): void {
    if (this._flushTimer !== undefined) {
      this._timers.clearTimeout(this._flushTimer);
      this._flushTimer = undefined;
    }
    const pending = this._pending;
    this._pending = new Map();
    const synced = [...this._newlySynced];
    this._newlySynced = new Set();
    if (this._disposed) return;
    // Newly synced kinds first: a consumer rebuilds from the snapshot, which already holds this batch's
    // changes of those kinds; the changes of kinds synced earlier follow.
    if (synced.length) this._onDidSyncKinds.fire(synced);
    if (!emit) return;
    const out: ModelChange[] = [];
    for (const { kind, sets } of pending.values()) {
      const merged = sets.length === 1 ? sets[0]! : mergeChangeSets(sets);
      if (!isEmptyChangeSet(merged)) out.push({ kind, changes: merged });
    }
    if (out.length) this._onDidChange.fire(out);
  }

  private setHealth(h: SourceHealth): void {
    const prev = this._health;
    if (prev.state === h.state && h.state !== 'reconnecting' && h.state !== 'failed') return;
    this._health = h;
    this._onDidChangeHealth.fire(h);
  }

  private recomputeHealth(): void {
    if (this._disposed) return;
    let reconnecting: { since: number; lastError: K8sError } | undefined;
    let connecting = false;
    for (const w of this._watches.values()) {
      for (const h of w.handles) {
        const s = h.cache.health;
        if (s.state === 'reconnecting' && (!reconnecting || s.since < reconnecting.since)) {
          reconnecting = { since: s.since, lastError: s.lastError };
        }
        if (s.state === 'connecting') connecting = true;
      }
    }
    if (reconnecting) this.setHealth({ state: 'reconnecting', ...reconnecting });
    else if (connecting) this.setHealth({ state: 'connecting' });
    else this.setHealth({ state: 'connected' });
  }

  /** The current state of everything watched. Maps are fresh copies. */
  snapshot(): ModelSnapshot {
    const objects = new Map<string, Map<string, KubeObject>>();
    const health = new Map<string, WatchHealth>();
    const notes: string[] = [];
    if (this._scope.kind === 'some' && this._scope.note) notes.push(this._scope.note);
    for (const [key, w] of this._watches) {
      const m = new Map<string, KubeObject>();
      let worst: WatchHealth | undefined;
      for (const h of w.handles) {
        for (const o of h.cache.items()) if (!w.keep || w.keep(o)) m.set(o.metadata.uid!, o);
        const s = h.cache.health;
        if (!worst || rank(s) > rank(worst)) worst = s;
      }
      objects.set(key, m);
      if (worst) health.set(key, worst);
      if (worst?.state === 'forbidden') notes.push(forbiddenNote(w.kind, this._scope));
    }
    return {
      context: this._conn.context.name,
      scope: this._scope,
      workloadKinds: this._workloadKinds,
      objects,
      health,
      notes,
    };
  }

  /** Objects of one kind (by kindKey) without copying the whole snapshot. */
  *objectsOf(key: string): IterableIterator<KubeObject> {
    const w = this._watches.get(key);
    if (!w) return;
    for (const h of w.handles) {
      if (!w.keep) yield* h.cache.items();
      else for (const o of h.cache.items()) if (w.keep(o)) yield o;
    }
  }

  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    if (this._flushTimer !== undefined) this._timers.clearTimeout(this._flushTimer);
    if (this._rediscoverTimer !== undefined) this._timers.clearTimeout(this._rediscoverTimer);
    for (const key of [...this._watches.keys()]) this.stopKind(key);
    this._health = { state: 'stopped' };
    this._store.dispose();
  }
}

export const DRA_GROUP = 'resource.k8s.io';
/** Versions of resource.k8s.io Gantry reads, most preferred first (v1 from Kubernetes 1.34). */
export const DRA_VERSIONS = ['v1', 'v1beta2', 'v1beta1'] as const;
const DRA_CLAIM_PROBE: KindRef = {
  group: DRA_GROUP,
  version: 'v1',
  kind: 'ResourceClaim',
  plural: 'resourceclaims',
  namespaced: true,
};

/** ResourceSlice and ResourceClaim at the most preferred version the cluster serves; none without DRA. */
export function draKinds(served: readonly KindRef[]): KindRef[] {
  const out: KindRef[] = [];
  for (const kind of ['ResourceSlice', 'ResourceClaim']) {
    for (const v of DRA_VERSIONS) {
      const k = served.find((x) => x.group === DRA_GROUP && x.kind === kind && x.version === v);
      if (k) {
        out.push({
          group: k.group,
          version: k.version,
          kind: k.kind,
          plural: k.plural,
          namespaced: k.namespaced,
        });
        break;
      }
    }
  }
  return out;
}

function rank(h: WatchHealth): number {
  return { connected: 0, stopped: 0, connecting: 1, reconnecting: 2, forbidden: 3 }[h.state];
}

function forbiddenNote(kind: KindRef, scope: NamespaceScope): string {
  if (kind.kind === 'Node') return 'Listing nodes is forbidden, so GPU capacity per node is not shown.';
  const where = !kind.namespaced
    ? ''
    : scope.kind === 'all'
      ? ' across all namespaces'
      : ' in some namespaces';
  return `Listing ${kind.plural}${where} is forbidden.`;
}

/** The part of a change set whose objects pass `keep`. */
function filterChangeSet(c: ChangeSet<KubeObject>, keep: (o: KubeObject) => boolean): ChangeSet<KubeObject> {
  const only = (m: ReadonlyMap<string, KubeObject>) => new Map([...m].filter(([, o]) => keep(o)));
  return { added: only(c.added), modified: only(c.modified), deleted: only(c.deleted) };
}

/** Merges consecutive change sets of one kind with the same rules as ChangeBatcher. */
export function mergeChangeSets(sets: readonly ChangeSet<KubeObject>[]): ChangeSet<KubeObject> {
  const added = new Map<string, KubeObject>();
  const modified = new Map<string, KubeObject>();
  const deleted = new Map<string, KubeObject>();
  for (const s of sets) {
    for (const [k, v] of s.deleted) {
      if (added.delete(k)) continue;
      modified.delete(k);
      deleted.set(k, v);
    }
    for (const [k, v] of s.added) {
      if (deleted.delete(k)) modified.set(k, v);
      else added.set(k, v);
    }
    for (const [k, v] of s.modified) {
      if (added.has(k)) added.set(k, v);
      else modified.set(k, v);
    }
  }
  return { added, modified, deleted };
}
