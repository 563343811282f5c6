// The ML Workloads tree, with an incremental path: a watch event maps to the few node ids whose rendering
// changed, in O(1) index lookups (plus the cost of re-summarizing one workload). Which pods belong to which
// workload is the WorkloadIndex's (../workloadIndex.ts); this model renders groups, rows, summaries and events.
// Workloads owned by another known workload are not shown on their own; their pods and Kueue state roll up.

import { type KubeObject } from '../kube';
import { type MlKind, kindKeyOf } from '../kinds';
import { type IndexEntry, WorkloadIndex } from '../workloadIndex';
import { type WorkloadRef, type WorkloadResolver, workloadRefFromPod } from '../gpu';
import {
  type PodSummary,
  type WorkloadSummary,
  formatAge,
  groupPodsByRole,
  isPodTerminal,
  podSummary,
  statusLine,
  summarize,
  tooltipMarkdown,
} from '../status';
import type { GpuTreeModel } from './gpuTree';
import { insightParts, insightTooltip } from './insightRow';
import { type KueueFacts, type WhyInput, isNotRunning, whyNotRunning } from '../whyNotRunning';
import {
  type ClusterSnapshot,
  ContextValue,
  type GroupNode,
  type Grouping,
  LOADING_ID,
  type LoadingNode,
  type PodNode,
  ROOT,
  type TreeOptions,
  type WatchChange,
  type WorkloadNode,
  type WorkloadTreeNode,
  kindGroupId,
  namespaceGroupId,
  objKey,
  podId,
  roleId,
  workloadId,
} from './nodes';

/* eslint-disable @typescript-eslint/no-explicit-any -- event JSON */

// --- model ---------------------------------------------------------------------------------------------------

function sameSummary(a: WorkloadSummary | undefined, b: WorkloadSummary): boolean {
  if (!a) return false;
  return (
    a.phase === b.phase &&
    a.reason === b.reason &&
    a.message === b.message &&
    a.ready === b.ready &&
    a.total === b.total &&
    a.restarts === b.restarts &&
    a.queue === b.queue &&
    a.url === b.url &&
    JSON.stringify(a.gpus) === JSON.stringify(b.gpus)
  );
}

/** What of a workload's status the tooltip shows, ignoring timestamps operators bump on every reconcile. */
function conditionSignature(o: KubeObject): string {
  const conds: any[] = Array.isArray(o.status?.conditions) ? o.status.conditions : [];
  return conds
    .map((c) => `${c.type}\u0000${c.status}\u0000${c.reason ?? ''}\u0000${c.message ?? ''}`)
    .join('\n');
}

function gpuShort(s: WorkloadSummary): string {
  return s.gpus
    .map(
      (g) =>
        `${g.count}× ${g.model ? g.model.replace(/^(NVIDIA|AMD) /, '') : g.resource.slice(g.resource.indexOf('/') + 1)}`,
    )
    .join(', ');
}

function isInteresting(e: KubeObject): boolean {
  const a = e as any;
  return a.type === 'Warning' || a.reason === 'FailedScheduling';
}

const MAX_EVENTS_PER_OBJECT = 20;

/** The ML Workloads tree. Build once from a snapshot, then feed watch changes to apply(). */
export class WorkloadTreeModel {
  readonly grouping: Grouping;
  /** Pod membership, shared with whoever asks the tree which pods a workload has. */
  readonly index: WorkloadIndex;
  private readonly _now: () => number;
  private readonly _kinds = new Map<string, MlKind>();
  private readonly _kindIndex = new Map<string, number>();
  private readonly _kindNames = new Set<string>();
  private readonly _summaries = new Map<string, WorkloadSummary>();
  /** Headline and causes of waiting workloads, computed with their summary. */
  private readonly _whys = new Map<string, { headline: string; causes: string[] }>();
  private readonly _pool: TreeOptions['pool'];
  private readonly _gpuRow: TreeOptions['gpuRow'];
  private readonly _insight: TreeOptions['insight'];
  private readonly _loading: TreeOptions['loading'];
  private readonly _podSummaries = new Map<string, PodSummary>();
  private readonly _events = new Map<string, KubeObject[]>();
  private readonly _groups = new Map<string, Set<string>>();
  private readonly _byName = new Map<string, string>();
  /**
   * Waiting workloads whose explanation reads the node pool (they have pods not placed yet): a pool change
   * explains only these again, not every waiting workload (a suspended or queued one reads no node).
   */
  private readonly _poolReaders = new Set<string>();
  /**
   * Waiting workloads held by Kueue: their explanation reads the ClusterQueues and LocalQueues (quota in use,
   * borrowed by whom), which Kueue updates after it admits others, so a queue change explains these again.
   */
  private readonly _queueReaders = new Set<string>();
  /** See _queues(); dropped on every workload change. */
  private _queueCache?: { cluster: KubeObject[]; local: Map<string, KubeObject[]> };

  constructor(snapshot: ClusterSnapshot, options: TreeOptions = {}) {
    this.grouping = options.grouping ?? 'kind';
    this._now = options.now ?? Date.now;
    this._pool = options.pool;
    this._gpuRow = options.gpuRow;
    this._insight = options.insight;
    if (options.loading && (options.loading.pods || options.loading.what.length))
      this._loading = options.loading;
    for (const k of snapshot.kinds) {
      this._kindIndex.set(k.key, this._kinds.size);
      this._kinds.set(k.key, k);
      this._kindNames.add(k.kind);
    }
    const lists =
      snapshot.workloads instanceof Map
        ? [...snapshot.workloads.values()]
        : Object.values(snapshot.workloads as Record<string, readonly KubeObject[]>);
    this.index = new WorkloadIndex(snapshot.kinds, { workloads: lists.flat(), pods: snapshot.pods });
    for (const e of this.index.entries()) this._nameEntry(e);
    for (const e of snapshot.events ?? []) this._addEvent(e);
    this._rebuildGroups();
  }

  // ---- queries for the view ----

  /** Children of a node id (ROOT for the top level). */
  children(id: string = ROOT): WorkloadTreeNode[] {
    if (id === ROOT) {
      const groups: WorkloadTreeNode[] = this._groupNodes();
      return this._loading ? [...groups, this._loadingNode(this._loading)] : groups;
    }
    if (id.startsWith('g:')) {
      const set = this._groups.get(id);
      if (!set) return [];
      return [...set]
        .map((wid) => this.index.entry(wid)!)
        .sort(
          (a, b) => this._kindOrder(a) - this._kindOrder(b) || (objKey(a.object) < objKey(b.object) ? -1 : 1),
        )
        .map((e) => this._workloadNode(e, id));
    }
    const hash = id.lastIndexOf('#');
    if (hash > 0) {
      const e = this.index.entry(id.slice(0, hash));
      const role = id.slice(hash + 1);
      const g = e && this._roleGroups(e).find((x) => x.role === role);
      return g ? g.pods.map((p) => this._podNode(p, id, e.id)) : [];
    }
    if (id.startsWith('w:')) {
      const e = this.index.entry(id);
      if (!e) return [];
      const groups = this._roleGroups(e);
      if (groups.length > 1) {
        return groups.map((g) => ({
          type: 'role',
          id: roleId(e.id, g.role),
          parent: e.id,
          label: g.role,
          description: `${g.pods.length}`,
          contextValue: ContextValue.roleGroup,
          collapsible: 'collapsed',
          role: g.role,
          workloadId: e.id,
        }));
      }
      return (groups[0]?.pods ?? []).map((p) => this._podNode(p, e.id, e.id));
    }
    return [];
  }

  /** The node for an id, or undefined when it no longer exists. */
  node(id: string): WorkloadTreeNode | undefined {
    if (id === ROOT) return undefined;
    if (id === LOADING_ID) return this._loading && this._loadingNode(this._loading);
    if (id.startsWith('g:')) return this._groupNodes().find((g) => g.id === id);
    const hash = id.lastIndexOf('#');
    if (hash > 0) return this.children(id.slice(0, hash)).find((n) => n.id === id);
    if (id.startsWith('w:')) {
      const e = this.index.entry(id);
      if (!e || this.index.isHidden(id)) return undefined;
      return this._workloadNode(e, this._groupIdOf(e));
    }
    if (id.startsWith('p:')) {
      const top = this.index.pod(id)?.top;
      if (!top) return undefined;
      return this.children(this._podParent(id, top)).find((n) => n.id === id);
    }
    return undefined;
  }

  /** The summary of a shown workload (for commands and the status bar). */
  summary(wid: string): WorkloadSummary | undefined {
    const e = this.index.entry(wid);
    return e ? this._summary(e) : undefined;
  }

  /**
   * What "Why Not Running?" needs from the tree for a shown workload: summary, pods, events, the Kueue
   * Workload and the cluster's queues, the node pool. The caller adds what only the API knows (queue position).
   */
  whyInput(wid: string): WhyInput | undefined {
    const e = this.index.entry(wid);
    if (!e) return undefined;
    this._summary(e);
    const base = this._baseSummaries.get(e.id)!;
    return this.whyInputFor(e, base, this.index.podsOf(e.id), this._eventsOfWorkload(e));
  }

  /** Kueue ClusterQueues the tree watches (for the GPUs view's quota lines). */
  kueueClusterQueues(): KubeObject[] {
    return [...this._queues().cluster];
  }

  /**
   * ClusterQueues, and LocalQueues by namespace, from one pass over the workloads, kept until a workload
   * object changes: every waiting workload reads them when the pool changes, and a pass per workload made
   * that cost grow with the square of the workloads.
   */
  private _queues(): { cluster: KubeObject[]; local: Map<string, KubeObject[]> } {
    if (this._queueCache) return this._queueCache;
    const cluster: KubeObject[] = [];
    const local = new Map<string, KubeObject[]>();
    for (const x of this.index.entries()) {
      if (x.kind.family === 'kueueClusterQueue') cluster.push(x.object);
      else if (x.kind.family === 'kueueLocalQueue') {
        const ns = x.object.metadata.namespace ?? '';
        let l = local.get(ns);
        if (!l) local.set(ns, (l = []));
        l.push(x.object);
      }
    }
    return (this._queueCache = { cluster, local });
  }

  /** The node pool changed: re-explain the waiting workloads; returns the ids whose rendering changed. */
  poolChanged(): string[] {
    const changed = new Set<string>();
    for (const wid of [...this._poolReaders]) this._rewhy(wid, changed);
    return [...changed];
  }

  /**
   * Explains a waiting workload again against the current pool. Its own summary (object, pods, events) has not
   * changed, so only the explanation is made again.
   */
  private _rewhy(wid: string, changed: Set<string>): void {
    const e = this.index.entry(wid);
    const before = this._summaries.get(wid);
    const base = this._baseSummaries.get(wid);
    if (!e || !before || !base) {
      this._poolReaders.delete(wid);
      this._queueReaders.delete(wid);
      return this._touchWorkload(wid, changed, false);
    }
    this._whys.delete(wid);
    const after = this._explain(e, base, this.index.podsOf(e.id), this._eventsOfWorkload(e));
    this._summaries.set(wid, after);
    if (!sameSummary(before, after)) changed.add(wid);
  }

  /** Pods of a workload (resolved, including those of its child Jobs / clusters). */
  podsOf(wid: string): KubeObject[] {
    return this.index.podsOf(wid);
  }

  /** The shown workload a pod belongs to, as a reference (for the GPU view). */
  readonly workloadRefOf: WorkloadResolver = (pod) => {
    const top = this.index.workloadOfPod(pod);
    const e = top ? this.index.entry(top) : undefined;
    if (!e) return workloadRefFromPod(pod);
    const ref: WorkloadRef = { group: e.kind.group, kind: e.kind.kind, name: e.object.metadata.name };
    if (e.object.metadata.namespace) ref.namespace = e.object.metadata.namespace;
    return ref;
  };

  /** Id of the shown workload a pod rolls up to. */
  workloadOfPod(pod: KubeObject): string | undefined {
    return this.index.workloadOfPod(pod);
  }

  get size(): { workloads: number; shown: number; pods: number } {
    return this.index.size;
  }

  // ---- incremental path ----

  /** Applies one watch change and returns the ids whose rendering changed (ROOT = whole view). */
  apply(change: WatchChange): string[] {
    const o = change.object;
    const changed = new Set<string>();
    if (o.kind === 'Pod' && o.apiVersion === 'v1') {
      this._applyPod(change, changed);
    } else if (o.kind === 'Event') {
      this._applyEvent(change, changed);
    } else if (this._kinds.has(kindKeyOf(o))) {
      this._applyWorkload(change, changed);
      const family = this._kinds.get(kindKeyOf(o))!.family;
      if (family === 'kueueClusterQueue' || family === 'kueueLocalQueue')
        for (const wid of [...this._queueReaders]) this._rewhy(wid, changed);
    }
    return [...changed];
  }

  private _applyPod(change: WatchChange, changed: Set<string>): void {
    const key = podId(change.object);
    if (change.type === 'deleted')
      this._events.delete(`Pod|${change.object.metadata.namespace ?? ''}|${change.object.metadata.name}`);
    this._podSummaries.delete(key);
    const { before: oldTop, after: newTop, known } = this.index.apply(change).pod!;
    if (oldTop !== newTop) {
      for (const t of [oldTop, newTop]) if (t) this._touchWorkload(t, changed, true);
      return;
    }
    if (!newTop) return;
    const structural = !known || change.type === 'deleted';
    this._touchWorkload(newTop, changed, structural);
    if (!structural) changed.add(key);
  }

  private _applyEvent(change: WatchChange, changed: Set<string>): void {
    const e = change.object as any;
    if (!isInteresting(change.object)) return;
    const io = e.involvedObject ?? e.regarding;
    if (!io) return;
    const k = `${io.kind}|${io.namespace ?? ''}|${io.name}`;
    if (change.type === 'deleted') {
      const list = this._events.get(k);
      if (list) {
        const i = list.findIndex((x) => x.metadata.name === change.object.metadata.name);
        if (i >= 0) list.splice(i, 1);
      }
    } else {
      this._addEvent(change.object);
    }
    let top: string | undefined;
    if (io.kind === 'Pod') {
      const pid = `p:${io.namespace ?? ''}/${io.name}`;
      this._podSummaries.delete(pid);
      top = this.index.pod(pid)?.top;
      if (top) changed.add(pid);
    } else {
      const wid = this._byName.get(k);
      if (wid && this.index.entry(wid)) top = this.index.topOf(wid);
    }
    if (top) {
      this._summaries.delete(top);
      changed.add(top);
    }
  }

  private _applyWorkload(change: WatchChange, changed: Set<string>): void {
    const o = change.object;
    this._queueCache = undefined;
    const id = workloadId(kindKeyOf(o), o);
    const existing = this.index.entry(id);
    const groupsBefore = new Set(this._groups.keys());
    if (change.type === 'deleted') {
      if (!existing) return;
      this._events.delete(`${existing.kind.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name}`);
      const wasShown = !this.index.isHidden(id);
      const groupBefore = this._groupIdOf(existing);
      const oldTop = this.index.topOf(id);
      const d = this.index.apply(change);
      this._summaries.delete(id);
      for (const t of d.pods) {
        this._summaries.delete(t);
        changed.add(t);
      }
      if (oldTop !== id) this._touchWorkload(oldTop, changed, true);
      this._rebuildGroups();
      this._groupsChanged(groupsBefore, changed);
      if (wasShown) changed.add(groupBefore);
      // children whose owner went away are shown on their own now
      for (const r of d.rehomed) {
        const re = this.index.entry(r);
        if (re) changed.add(this._groupIdOf(re));
      }
      return;
    }
    const before = existing?.object;
    const d = this.index.apply(change);
    if (d.modified.length && before) {
      for (const t of d.pods) this._touchWorkload(t, changed, true);
      const top = this.index.topOf(id);
      // the tooltip shows the conditions table: a changed condition repaints even when the summary holds
      const condsChanged = conditionSignature(before) !== conditionSignature(o);
      this._touchWorkload(top, changed, condsChanged && top === id);
      if (condsChanged && top !== id) this._touchWorkload(top, changed, false);
      return;
    }
    const entry = this.index.entry(id);
    if (!entry) return;
    this._summaries.delete(id);
    this._nameEntry(entry);
    for (const t of d.pods) {
      this._summaries.delete(t);
      changed.add(t);
    }
    this._rebuildGroups();
    this._groupsChanged(groupsBefore, changed);
    const top = this.index.topOf(id);
    if (top !== id) this._touchWorkload(top, changed, true);
    else changed.add(this._groupIdOf(entry));
    for (const r of d.rehomed) {
      const re = this.index.entry(r);
      if (re) changed.add(this._groupIdOf(re));
    }
  }

  private _groupsChanged(before: Set<string>, changed: Set<string>): void {
    if (before.size !== this._groups.size) {
      changed.add(ROOT);
      return;
    }
    for (const g of this._groups.keys()) {
      if (!before.has(g)) {
        changed.add(ROOT);
        return;
      }
    }
  }

  /** Re-summarize a shown workload; report it when its rendering changed (or always when structural). */
  private _touchWorkload(wid: string, changed: Set<string>, structural: boolean): void {
    const e = this.index.entry(wid);
    if (!e) return;
    const before = this._summaries.get(wid);
    this._summaries.delete(wid);
    this._baseSummaries.delete(wid);
    this._whys.delete(wid);
    const after = this._summary(e);
    if (structural || !sameSummary(before, after)) {
      changed.add(wid);
    }
  }

  // ---- events and groups ----

  /** Events name their object by kind and name only. */
  private _nameEntry(e: IndexEntry): void {
    this._byName.set(`${e.kind.kind}|${e.object.metadata.namespace ?? ''}|${e.object.metadata.name}`, e.id);
  }

  private _addEvent(e: KubeObject): void {
    if (!isInteresting(e)) return;
    const io = (e as any).involvedObject ?? (e as any).regarding;
    if (!io || (io.kind !== 'Pod' && !this._kindNames.has(io.kind))) return;
    const k = `${io.kind}|${io.namespace ?? ''}|${io.name}`;
    let list = this._events.get(k);
    if (!list) this._events.set(k, (list = []));
    const i = list.findIndex((x) => x.metadata.name === e.metadata.name);
    if (i >= 0) list.splice(i, 1);
    list.push(e);
    if (list.length > MAX_EVENTS_PER_OBJECT) list.shift();
  }

  private _eventsOfWorkload(e: IndexEntry): KubeObject[] {
    const out: KubeObject[] = [];
    const add = (kind: string, o: KubeObject) => {
      const l = this._events.get(`${kind}|${o.metadata.namespace ?? ''}|${o.metadata.name}`);
      if (l) out.push(...l);
    };
    for (const d of this.index.descendants(e.id)) {
      const de = this.index.entry(d);
      if (de) add(de.kind.kind, de.object);
    }
    for (const p of this.index.podsOf(e.id)) add('Pod', p);
    return out;
  }

  private _groupIdOf(e: IndexEntry): string {
    const top = this.index.entry(this.index.topOf(e.id)) ?? e;
    return this.grouping === 'kind'
      ? kindGroupId(top.kind.key)
      : namespaceGroupId(top.object.metadata.namespace);
  }

  private _rebuildGroups(): void {
    this._groups.clear();
    for (const e of this.index.entries()) {
      if (this.index.isHidden(e.id)) continue;
      const g = this._groupIdOf(e);
      let s = this._groups.get(g);
      if (!s) this._groups.set(g, (s = new Set()));
      s.add(e.id);
    }
  }

  private _kindOrder(e: IndexEntry): number {
    return this._kindIndex.get(e.kind.key) ?? this._kindIndex.size;
  }

  // ---- node materialization ----

  private readonly _baseSummaries = new Map<string, WorkloadSummary>();

  private _kueueWorkloads(e: IndexEntry): KubeObject[] {
    const kueue: KubeObject[] = [];
    for (const c of this.index.childrenOf(e.id)) {
      const ce = this.index.entry(c);
      if (ce?.kind.family === 'kueueWorkload') kueue.push(ce.object);
    }
    return kueue;
  }

  /** The Kueue objects the tree watches: the workload's Workload, ClusterQueues, its namespace's LocalQueues. */
  private _kueueFacts(e: IndexEntry): KueueFacts {
    const queues = this._queues();
    const clusterQueues = [...queues.cluster];
    const localQueues = [...(queues.local.get(e.object.metadata.namespace ?? '') ?? [])];
    let watched = clusterQueues.length > 0 || queues.local.size > 0;
    for (const k of this._kinds.values())
      if (k.family === 'kueueLocalQueue' || k.family === 'kueueClusterQueue') watched = true;
    const kw = this._kueueWorkloads(e);
    const facts: KueueFacts = {};
    const w =
      kw.find(
        (x) => !(x.status?.conditions ?? []).some((c: any) => c.type === 'Finished' && c.status === 'True'),
      ) ?? kw[0];
    if (w) facts.workload = w;
    // Only when the kinds are watched does an empty list mean "none exist".
    if (watched) {
      facts.clusterQueues = clusterQueues;
      facts.localQueues = localQueues;
    }
    return facts;
  }

  /** Objects the explanation reads besides the workload: its child RayCluster. */
  private _related(e: IndexEntry): KubeObject[] {
    const out: KubeObject[] = [];
    for (const d of this.index.descendants(e.id)) {
      const de = this.index.entry(d);
      if (de && de.kind.kind === 'RayCluster') out.push(de.object);
    }
    return out;
  }

  private _summary(e: IndexEntry): WorkloadSummary {
    let s = this._summaries.get(e.id);
    if (!s) {
      const kueue = this._kueueWorkloads(e);
      const pods = this.index.podsOf(e.id);
      const events = this._eventsOfWorkload(e);
      s = summarize(e.object, { pods, events, workloads: kueue, now: this._now() });
      this._baseSummaries.set(e.id, s);
      s = this._explain(e, s, pods, events);
      this._summaries.set(e.id, s);
    }
    return s;
  }

  /** The summary shown: a waiting workload's line is the explanation's sentence (see _whys). */
  private _explain(
    e: IndexEntry,
    base: WorkloadSummary,
    pods: KubeObject[],
    events: KubeObject[],
  ): WorkloadSummary {
    let s = base;
    this._poolReaders.delete(e.id);
    this._queueReaders.delete(e.id);
    // "needs 16 GPUs in one pod, nodes have at most 8". Not while pods are still being listed: "no pod
    // started" would be read from pods not seen yet.
    if (e.kind.hasPods && isNotRunning(s.phase) && !this._loading?.pods) {
      const input = this.whyInputFor(e, s, pods, events);
      const why = whyNotRunning(input);
      // The explanation reads the pool only for pods the scheduler has not placed (whyNotRunning's explainPod).
      if (why.applies && pods.some((p) => !isPodTerminal(p) && !p.spec?.nodeName))
        this._poolReaders.add(e.id);
      if (why.applies && input.kueue?.workload) this._queueReaders.add(e.id);
      if (why.applies && why.short) {
        this._whys.set(e.id, { headline: why.headline, causes: why.causes.map((c) => c.text) });
        if (why.short !== s.reason) {
          const was = s.reason ? (s.message ? `${s.reason}: ${s.message}` : s.reason) : s.message;
          s = { ...s, reason: why.short };
          if (was) s.message = was;
          else delete s.message;
        }
      }
    }
    return s;
  }

  private whyInputFor(
    e: IndexEntry,
    summary: WorkloadSummary,
    pods: KubeObject[],
    events: KubeObject[],
  ): WhyInput {
    const pool = this._pool?.();
    const input: WhyInput = {
      workload: e.object,
      summary,
      pods,
      events,
      kueue: this._kueueFacts(e),
      related: this._related(e),
    };
    if (pool) {
      input.nodes = pool.nodes;
      input.gpuNodes = pool.gpuNodes;
    }
    return input;
  }

  private _workloadNode(e: IndexEntry, parent: string): WorkloadNode {
    const s = this._summary(e);
    const now = this._now();
    const age = formatAge(e.object.metadata.creationTimestamp, now);
    const insight = this._insight?.(e.id);
    const fromLogs = insightParts(e.object, s, insight);
    const parts = [fromLogs.status ?? statusLine(s)];
    // Pods still listing: the counts and GPUs would be read from pods not seen yet; status and age only.
    const podsKnown = !this._loading?.pods;
    if (podsKnown && (e.kind.hasPods || s.total)) parts.push(`${s.ready}/${s.total}`);
    const g = podsKnown ? gpuShort(s) : '';
    if (g) parts.push(g);
    const gx = podsKnown ? this._gpuRow?.(this.index.podsOf(e.id), !!g) : undefined;
    if (gx) parts.push(gx);
    if (fromLogs.progress) parts.push(fromLogs.progress);
    parts.push(age);
    const desc =
      this.grouping === 'namespace' ? `${e.kind.displayName} · ${parts.join(' · ')}` : parts.join(' · ');
    const tooltip = () => {
      const base = tooltipMarkdown(e.object, { ...s, age }, this._eventsOfWorkload(e), now);
      const told = insightTooltip(e.object, insight);
      const md = told ? `${told}\n\n---\n\n${base}` : base;
      const why = this._whys.get(e.id);
      if (!why) return md;
      // The answer first: its headline, then each cause, then the usual facts.
      const esc = (t: string) => t.replace(/([\\`*_[\]<>|])/g, '\\$1');
      return [
        `**${esc(why.headline)}**`,
        '',
        ...why.causes.map((c) => `- ${esc(c)}`),
        '',
        '---',
        '',
        md,
      ].join('\n');
    };
    let tip: string | undefined;
    return {
      type: 'workload',
      id: e.id,
      parent,
      label: e.object.metadata.name,
      description: desc,
      // Computed when first read, not for every row of a 300-workload group. The setter keeps the node a plain
      // writable record for callers that copy nodes onto kept elements (Object.assign).
      get tooltip(): string {
        return (tip ??= tooltip());
      },
      set tooltip(v: string) {
        tip = v;
      },
      contextValue: `${ContextValue.workload}.${e.kind.category}.${s.phase}`,
      // Expandable while its pods may still arrive, so the row keeps its place and chevron when they do.
      collapsible: this.index.podCount(e.id) || (!podsKnown && e.kind.hasPods) ? 'collapsed' : 'none',
      kind: e.kind,
      object: e.object,
      summary: { ...s, age },
    };
  }

  private _roleGroups(e: IndexEntry) {
    return groupPodsByRole(e.kind, this.index.podsOf(e.id));
  }

  private _podParent(pid: string, top: string): string {
    const e = this.index.entry(top)!;
    const groups = this._roleGroups(e);
    if (groups.length <= 1) return e.id;
    const pod = this.index.pod(pid)!.pod;
    const g = groups.find((x) => x.pods.includes(pod));
    return g ? roleId(e.id, g.role) : e.id;
  }

  private _podNode(pod: KubeObject, parent: string, wid: string): PodNode {
    const key = podId(pod);
    let s = this._podSummaries.get(key);
    if (!s) {
      const evs = this._events.get(`Pod|${pod.metadata.namespace ?? ''}|${pod.metadata.name}`);
      s = podSummary(pod, evs);
      this._podSummaries.set(key, s);
    }
    const parts = [s.phase];
    if (s.node) parts.push(s.node);
    if (s.restarts) parts.push(`↻${s.restarts}`);
    if (s.gpus.length)
      parts.push(
        s.gpus.map((g) => `${g.count}× ${g.resource.slice(g.resource.indexOf('/') + 1)}`).join(', '),
      );
    const tip = [
      `**Pod** \`${pod.metadata.namespace ?? ''}/${pod.metadata.name}\``,
      '',
      `Status: ${s.phase}`,
    ];
    if (s.node) tip.push(`Node: ${s.node}`);
    if (s.pendingMessage) tip.push('', s.pendingMessage);
    if (s.lastTermination) tip.push(`Last termination: ${s.lastTermination}`);
    return {
      type: 'pod',
      id: key,
      parent,
      label: s.label,
      description: parts.join(' · '),
      tooltip: tip.join('\n'),
      contextValue: `${ContextValue.pod}.${(pod.status?.phase ?? 'Pending').toLowerCase()}`,
      collapsible: 'none',
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      workloadId: wid,
      summary: s,
    };
  }

  private _loadingNode(l: NonNullable<TreeOptions['loading']>): LoadingNode {
    const what = l.what.length ? l.what : ['pods'];
    return {
      type: 'loading',
      id: LOADING_ID,
      parent: ROOT,
      label: 'Loading…',
      description: what.join(', '),
      tooltip: `Still listing ${what.join(', ')}; the rows above are what has arrived.`,
      contextValue: ContextValue.loading,
      collapsible: 'none',
    };
  }

  private _groupNodes(): GroupNode[] {
    const ids = [...this._groups.keys()];
    if (this.grouping === 'kind') {
      const order = [...this._kinds.keys()];
      return ids
        .map((id) => id.slice('g:kind:'.length))
        .sort((a, b) => order.indexOf(a) - order.indexOf(b))
        .map((k) => {
          const kind = this._kinds.get(k)!;
          const n = this._groups.get(kindGroupId(k))!.size;
          return {
            type: 'group',
            id: kindGroupId(k),
            parent: ROOT,
            label: kind.displayName,
            description: `${n}`,
            contextValue: ContextValue.kindGroup,
            collapsible: 'expanded',
            groupBy: 'kind',
            key: k,
          };
        });
    }
    return ids
      .map((id) => id.slice('g:ns:'.length))
      .sort()
      .map((ns) => ({
        type: 'group',
        id: namespaceGroupId(ns || undefined),
        parent: ROOT,
        label: ns || '(cluster)',
        description: `${this._groups.get(namespaceGroupId(ns || undefined))!.size}`,
        contextValue: ContextValue.namespaceGroup,
        collapsible: 'expanded',
        groupBy: 'namespace',
        key: ns,
      }));
  }
}

export function buildWorkloadTree(snapshot: ClusterSnapshot, options?: TreeOptions): WorkloadTreeModel {
  return new WorkloadTreeModel(snapshot, options);
}

/** Applies a watch change; returns the ids to refresh (ROOT = the whole view). */
export function applyChange(model: WorkloadTreeModel | GpuTreeModel, change: WatchChange): string[] {
  return model.apply(change);
}
