// Pure tree models for the ML Workloads and GPUs views, with an incremental path: a watch event maps to the
// few node ids whose rendering changed, in O(1) index lookups (plus the cost of re-summarizing one workload).
//
// Pod -> workload resolution: controller/owner uid first (Pod -> Job, Pod -> PyTorchJob, Pod -> RayCluster), then
// the operators' naming labels (jobset-name, ray.io/cluster, leaderworkerset name, notebook-name...), then up the
// ownerReference chain while the owner is a known workload (Job -> JobSet -> TrainJob, Job -> CronJob,
// RayCluster -> RayJob). Workloads owned by another known workload (child Jobs, Kueue Workloads, a RayJob's
// cluster) are not shown on their own; their pods and Kueue state roll up to the top owner.

import { type KubeObject } from '../kube';
import { ALIAS_LABELS, type MlKind, canonicalAliasLabel, kindKeyOf, podAliases } from '../kinds';
import { type WorkloadRef, type WorkloadResolver, workloadRefFromPod } from '../gpu';
import {
  type PodSummary,
  type WorkloadSummary,
  formatAge,
  groupPodsByRole,
  podSummary,
  statusLine,
  summarize,
  tooltipMarkdown,
} from '../status';
import type { GpuTreeModel } from './gpuTree';
import {
  type ClusterSnapshot,
  ContextValue,
  type GroupNode,
  type Grouping,
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

interface Entry {
  id: string;
  kind: MlKind;
  obj: KubeObject;
  uid?: string;
  ownerUid?: string;
  aliasKeys: string[];
  /** Pods whose resolved top workload is this one. */
  pods: Set<string>;
  summary?: WorkloadSummary;
}

interface PodEntry {
  pod: KubeObject;
  /** The workload the pod resolved to before climbing owners. */
  direct?: string;
  top?: string;
  orphanKeys?: string[];
  summary?: PodSummary;
}

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
  private readonly _now: () => number;
  private readonly _kinds = new Map<string, MlKind>();
  private readonly _kindIndex = new Map<string, number>();
  private readonly _kindNames = new Set<string>();
  private readonly _entries = new Map<string, Entry>();
  private readonly _byUid = new Map<string, string>();
  private readonly _alias = new Map<string, Set<string>>();
  private readonly _childrenByOwner = new Map<string, Set<string>>();
  private readonly _pods = new Map<string, PodEntry>();
  private readonly _podsByDirect = new Map<string, Set<string>>();
  private readonly _orphans = new Map<string, Set<string>>();
  private readonly _events = new Map<string, KubeObject[]>();
  private readonly _groups = new Map<string, Set<string>>();
  private readonly _byName = new Map<string, string>();

  constructor(snapshot: ClusterSnapshot, options: TreeOptions = {}) {
    this.grouping = options.grouping ?? 'kind';
    this._now = options.now ?? Date.now;
    for (const k of snapshot.kinds) {
      this._kindIndex.set(k.key, this._kinds.size);
      this._kinds.set(k.key, k);
      this._kindNames.add(k.kind);
    }
    const lists =
      snapshot.workloads instanceof Map
        ? [...snapshot.workloads.values()]
        : Object.values(snapshot.workloads as Record<string, readonly KubeObject[]>);
    for (const list of lists) for (const o of list) this._addEntry(o);
    for (const e of snapshot.events ?? []) this._addEvent(e);
    for (const p of snapshot.pods) this._upsertPod(p);
    this._rebuildGroups();
  }

  // ---- queries for the view ----

  /** Children of a node id (ROOT for the top level). */
  children(id: string = ROOT): WorkloadTreeNode[] {
    if (id === ROOT) return this._groupNodes();
    if (id.startsWith('g:')) {
      const set = this._groups.get(id);
      if (!set) return [];
      return [...set]
        .map((wid) => this._entries.get(wid)!)
        .sort((a, b) => this._kindOrder(a) - this._kindOrder(b) || (objKey(a.obj) < objKey(b.obj) ? -1 : 1))
        .map((e) => this._workloadNode(e, id));
    }
    const hash = id.lastIndexOf('#');
    if (hash > 0) {
      const e = this._entries.get(id.slice(0, hash));
      const role = id.slice(hash + 1);
      const g = e && this._roleGroups(e).find((x) => x.role === role);
      return g ? g.pods.map((p) => this._podNode(p, id, e.id)) : [];
    }
    if (id.startsWith('w:')) {
      const e = this._entries.get(id);
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
    if (id.startsWith('g:')) return this._groupNodes().find((g) => g.id === id);
    const hash = id.lastIndexOf('#');
    if (hash > 0) return this.children(id.slice(0, hash)).find((n) => n.id === id);
    if (id.startsWith('w:')) {
      const e = this._entries.get(id);
      if (!e || this._isHidden(e)) return undefined;
      return this._workloadNode(e, this._groupIdOf(e));
    }
    if (id.startsWith('p:')) {
      const pe = this._pods.get(id);
      if (!pe?.top) return undefined;
      const parent = this._podParent(pe);
      return this.children(parent).find((n) => n.id === id);
    }
    return undefined;
  }

  /** The summary of a shown workload (for commands and the status bar). */
  summary(wid: string): WorkloadSummary | undefined {
    const e = this._entries.get(wid);
    return e ? this._summary(e) : undefined;
  }

  /** Pods of a shown workload (resolved, including those of its child Jobs / clusters). */
  podsOf(wid: string): KubeObject[] {
    const e = this._entries.get(wid);
    return e ? [...e.pods].map((k) => this._pods.get(k)!.pod) : [];
  }

  /** The shown workload a pod belongs to, as a reference (for the GPU view). */
  readonly workloadRefOf: WorkloadResolver = (pod) => {
    const pe = this._pods.get(podId(pod));
    const e = pe?.top ? this._entries.get(pe.top) : undefined;
    if (!e) return workloadRefFromPod(pod);
    const ref: WorkloadRef = { group: e.kind.group, kind: e.kind.kind, name: e.obj.metadata.name };
    if (e.obj.metadata.namespace) ref.namespace = e.obj.metadata.namespace;
    return ref;
  };

  /** Id of the shown workload a pod rolls up to. */
  workloadOfPod(pod: KubeObject): string | undefined {
    return this._pods.get(podId(pod))?.top;
  }

  get size(): { workloads: number; shown: number; pods: number } {
    let shown = 0;
    for (const e of this._entries.values()) if (!this._isHidden(e)) shown++;
    return { workloads: this._entries.size, shown, pods: this._pods.size };
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
    }
    return [...changed];
  }

  private _applyPod(change: WatchChange, changed: Set<string>): void {
    const key = podId(change.object);
    const before = this._pods.get(key);
    const oldTop = before?.top;
    if (change.type === 'deleted') {
      if (before) this._removePod(key);
      this._events.delete(`Pod|${change.object.metadata.namespace ?? ''}|${change.object.metadata.name}`);
    } else {
      this._upsertPod(change.object);
    }
    const newTop = this._pods.get(key)?.top;
    if (oldTop !== newTop) {
      for (const t of [oldTop, newTop]) if (t) this._touchWorkload(t, changed, true);
      return;
    }
    if (!newTop) return;
    const structural = !before || change.type === 'deleted';
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
      const pe = this._pods.get(`p:${io.namespace ?? ''}/${io.name}`);
      if (pe) pe.summary = undefined;
      top = pe?.top;
      if (top) changed.add(`p:${io.namespace ?? ''}/${io.name}`);
    } else {
      const wid = this._byName.get(k);
      if (wid && this._entries.has(wid)) top = this._top(wid);
    }
    if (top) {
      const entry = this._entries.get(top)!;
      entry.summary = undefined;
      changed.add(top);
    }
  }

  private _applyWorkload(change: WatchChange, changed: Set<string>): void {
    const o = change.object;
    const kk = kindKeyOf(o);
    const id = workloadId(kk, o);
    const existing = this._entries.get(id);
    const groupsBefore = new Set(this._groups.keys());
    if (change.type === 'deleted') {
      if (!existing) return;
      this._events.delete(`${existing.kind.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name}`);
      const wasShown = !this._isHidden(existing);
      const groupBefore = this._groupIdOf(existing);
      const oldTop = this._top(id);
      const affected = this._descendants(id);
      this._removeEntry(existing);
      this._reresolve(affected, changed);
      changed.delete(id);
      if (oldTop !== id) this._touchWorkload(oldTop, changed, true);
      this._rebuildGroups();
      this._groupsChanged(groupsBefore, changed);
      if (wasShown) changed.add(groupBefore);
      // children whose owner went away are shown on their own now
      for (const d of affected) {
        const de = this._entries.get(d);
        if (de) changed.add(this._groupIdOf(de));
      }
      return;
    }
    // a new uid under the same name is a re-created object whose delete we missed: replace it
    const replaced =
      existing && (existing.ownerUid !== (this._ownerUid(o) ?? undefined) || existing.uid !== o.metadata.uid);
    if (existing && !replaced) {
      const before = existing.obj;
      // modified in place: aliases may have appeared (RayJob status.rayClusterName)
      const oldAliases = existing.aliasKeys.join('\n');
      this._unindexAliases(existing);
      existing.obj = o;
      existing.aliasKeys = this._aliasKeysOf(existing.kind, o);
      this._indexAliases(existing);
      if (existing.aliasKeys.join('\n') !== oldAliases) this._adoptOrphans(existing, changed);
      const top = this._top(id);
      // the tooltip shows the conditions table: a changed condition repaints even when the summary holds
      const condsChanged = conditionSignature(before) !== conditionSignature(o);
      this._touchWorkload(top, changed, condsChanged && top === id);
      if (condsChanged && top !== id) this._touchWorkload(top, changed, false);
      return;
    }
    if (existing) this._removeEntry(existing);
    const entry = this._addEntry(o);
    if (!entry) return;
    // children that arrived before their owner, and their pods, now roll up here
    const affected = this._descendants(entry.id);
    this._reresolve(affected, changed);
    this._adoptOrphans(entry, changed);
    this._rebuildGroups();
    this._groupsChanged(groupsBefore, changed);
    const top = this._top(entry.id);
    if (top !== entry.id) this._touchWorkload(top, changed, true);
    else changed.add(this._groupIdOf(entry));
    for (const d of affected) {
      const de = this._entries.get(d);
      if (de && d !== entry.id) changed.add(this._groupIdOf(de));
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
    const e = this._entries.get(wid);
    if (!e) return;
    const before = e.summary;
    e.summary = undefined;
    const after = this._summary(e);
    if (structural || !sameSummary(before, after)) {
      changed.add(wid);
    }
  }

  // ---- index maintenance ----

  private _ownerUid(o: KubeObject): string | undefined {
    const refs = o.metadata.ownerReferences ?? [];
    return (refs.find((r) => r.controller) ?? refs[0])?.uid;
  }

  private _aliasKeysOf(kind: MlKind, o: KubeObject): string[] {
    return podAliases(kind, o).map(
      (a) => `${o.metadata.namespace ?? ''}|${canonicalAliasLabel(a.label)}|${a.value}`,
    );
  }

  private _indexAliases(e: Entry): void {
    for (const k of e.aliasKeys) {
      let s = this._alias.get(k);
      if (!s) this._alias.set(k, (s = new Set()));
      s.add(e.id);
    }
  }

  private _unindexAliases(e: Entry): void {
    for (const k of e.aliasKeys) {
      const s = this._alias.get(k);
      s?.delete(e.id);
      if (s && !s.size) this._alias.delete(k);
    }
  }

  private _addEntry(o: KubeObject): Entry | undefined {
    const kind = this._kinds.get(kindKeyOf(o));
    if (!kind) return undefined;
    const e: Entry = {
      id: workloadId(kind.key, o),
      kind,
      obj: o,
      aliasKeys: this._aliasKeysOf(kind, o),
      pods: new Set(),
    };
    if (o.metadata.uid) {
      e.uid = o.metadata.uid;
      this._byUid.set(o.metadata.uid, e.id);
    }
    const ou = this._ownerUid(o);
    if (ou) {
      e.ownerUid = ou;
      let s = this._childrenByOwner.get(ou);
      if (!s) this._childrenByOwner.set(ou, (s = new Set()));
      s.add(e.id);
    }
    this._entries.set(e.id, e);
    this._byName.set(`${kind.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name}`, e.id);
    this._indexAliases(e);
    return e;
  }

  private _removeEntry(e: Entry): void {
    this._entries.delete(e.id);
    if (e.uid && this._byUid.get(e.uid) === e.id) this._byUid.delete(e.uid);
    if (e.ownerUid) {
      const s = this._childrenByOwner.get(e.ownerUid);
      s?.delete(e.id);
      if (s && !s.size) this._childrenByOwner.delete(e.ownerUid);
    }
    this._unindexAliases(e);
  }

  /** The entry and every known workload below it. */
  private _descendants(id: string): Set<string> {
    const out = new Set<string>([id]);
    const stack = [id];
    while (stack.length) {
      const e = this._entries.get(stack.pop()!);
      const kids = e?.uid ? this._childrenByOwner.get(e.uid) : undefined;
      for (const k of kids ?? []) {
        if (out.has(k)) continue;
        out.add(k);
        stack.push(k);
      }
    }
    return out;
  }

  /** Pods resolved directly to any of these workloads get resolved again (the hierarchy changed). */
  private _reresolve(ids: Set<string>, changed: Set<string>): void {
    const keys = new Set<string>();
    for (const id of ids) for (const k of this._podsByDirect.get(id) ?? []) keys.add(k);
    for (const k of keys) {
      const pe = this._pods.get(k)!;
      const oldTop = pe.top;
      this._upsertPod(pe.pod);
      const newTop = this._pods.get(k)?.top;
      for (const t of [oldTop, newTop]) if (t && this._entries.has(t)) changed.add(t);
    }
    for (const t of changed) {
      const e = this._entries.get(t);
      if (e) e.summary = undefined;
    }
  }

  private _adoptOrphans(e: Entry, changed: Set<string>): void {
    const keys = new Set<string>();
    const lookups = [...(e.uid ? [`uid:${e.uid}`] : []), ...e.aliasKeys.map((k) => `a:${k}`)];
    for (const l of lookups) for (const k of this._orphans.get(l) ?? []) keys.add(k);
    for (const k of keys) {
      const pe = this._pods.get(k);
      if (!pe) continue;
      this._upsertPod(pe.pod);
      const top = this._pods.get(k)?.top;
      if (top) this._touchWorkload(top, changed, true);
    }
  }

  private _top(id: string): string {
    let cur = id;
    for (let i = 0; i < 8; i++) {
      const e = this._entries.get(cur);
      const up = e?.ownerUid ? this._byUid.get(e.ownerUid) : undefined;
      if (!up || up === cur) break;
      cur = up;
    }
    return cur;
  }

  private _isHidden(e: Entry): boolean {
    return !!e.ownerUid && this._byUid.has(e.ownerUid);
  }

  private _resolveDirect(pod: KubeObject): { direct?: string; candidates: string[] } {
    const candidates: string[] = [];
    for (const r of pod.metadata.ownerReferences ?? []) {
      const wid = this._byUid.get(r.uid);
      if (wid) return { direct: wid, candidates };
      candidates.push(`uid:${r.uid}`);
    }
    const labels = pod.metadata.labels ?? {};
    const ns = pod.metadata.namespace ?? '';
    for (const l of ALIAS_LABELS) {
      const v = labels[l];
      if (!v) continue;
      const key = `${ns}|${canonicalAliasLabel(l)}|${v}`;
      const s = this._alias.get(key);
      if (s?.size) return { direct: s.values().next().value as string, candidates };
      candidates.push(`a:${key}`);
    }
    return { candidates };
  }

  private _upsertPod(pod: KubeObject): void {
    const key = podId(pod);
    this._removePod(key);
    const { direct, candidates } = this._resolveDirect(pod);
    const pe: PodEntry = { pod };
    if (direct) {
      pe.direct = direct;
      pe.top = this._top(direct);
      let s = this._podsByDirect.get(direct);
      if (!s) this._podsByDirect.set(direct, (s = new Set()));
      s.add(key);
      this._entries.get(pe.top)!.pods.add(key);
    } else {
      pe.orphanKeys = candidates;
      for (const c of candidates) {
        let s = this._orphans.get(c);
        if (!s) this._orphans.set(c, (s = new Set()));
        s.add(key);
      }
    }
    this._pods.set(key, pe);
  }

  private _removePod(key: string): void {
    const pe = this._pods.get(key);
    if (!pe) return;
    if (pe.direct) {
      const s = this._podsByDirect.get(pe.direct);
      s?.delete(key);
      if (s && !s.size) this._podsByDirect.delete(pe.direct);
    }
    if (pe.top) this._entries.get(pe.top)?.pods.delete(key);
    for (const c of pe.orphanKeys ?? []) {
      const s = this._orphans.get(c);
      s?.delete(key);
      if (s && !s.size) this._orphans.delete(c);
    }
    this._pods.delete(key);
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

  private _eventsOfWorkload(e: Entry): KubeObject[] {
    const out: KubeObject[] = [];
    const add = (kind: string, o: KubeObject) => {
      const l = this._events.get(`${kind}|${o.metadata.namespace ?? ''}|${o.metadata.name}`);
      if (l) out.push(...l);
    };
    for (const d of this._descendants(e.id)) {
      const de = this._entries.get(d);
      if (de) add(de.kind.kind, de.obj);
    }
    for (const k of e.pods) add('Pod', this._pods.get(k)!.pod);
    return out;
  }

  private _groupIdOf(e: Entry): string {
    const top = this._entries.get(this._top(e.id)) ?? e;
    return this.grouping === 'kind'
      ? kindGroupId(top.kind.key)
      : namespaceGroupId(top.obj.metadata.namespace);
  }

  private _rebuildGroups(): void {
    this._groups.clear();
    for (const e of this._entries.values()) {
      if (this._isHidden(e)) continue;
      const g = this._groupIdOf(e);
      let s = this._groups.get(g);
      if (!s) this._groups.set(g, (s = new Set()));
      s.add(e.id);
    }
  }

  private _kindOrder(e: Entry): number {
    return this._kindIndex.get(e.kind.key) ?? this._kindIndex.size;
  }

  // ---- node materialization ----

  private _summary(e: Entry): WorkloadSummary {
    if (!e.summary) {
      const pods = [...e.pods].map((k) => this._pods.get(k)!.pod);
      const kueue: KubeObject[] = [];
      for (const c of e.uid ? (this._childrenByOwner.get(e.uid) ?? []) : []) {
        const ce = this._entries.get(c);
        if (ce?.kind.family === 'kueueWorkload') kueue.push(ce.obj);
      }
      e.summary = summarize(e.obj, {
        pods,
        events: this._eventsOfWorkload(e),
        workloads: kueue,
        now: this._now(),
      });
    }
    return e.summary;
  }

  private _workloadNode(e: Entry, parent: string): WorkloadNode {
    const s = this._summary(e);
    const now = this._now();
    const age = formatAge(e.obj.metadata.creationTimestamp, now);
    const parts = [statusLine(s)];
    if (e.kind.hasPods || s.total) parts.push(`${s.ready}/${s.total}`);
    const g = gpuShort(s);
    if (g) parts.push(g);
    parts.push(age);
    const desc =
      this.grouping === 'namespace' ? `${e.kind.displayName} · ${parts.join(' · ')}` : parts.join(' · ');
    const tooltip = () => tooltipMarkdown(e.obj, { ...s, age }, this._eventsOfWorkload(e), now);
    let tip: string | undefined;
    return {
      type: 'workload',
      id: e.id,
      parent,
      label: e.obj.metadata.name,
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
      collapsible: e.pods.size ? 'collapsed' : 'none',
      kind: e.kind,
      object: e.obj,
      summary: { ...s, age },
    };
  }

  private _roleGroups(e: Entry) {
    const pods = [...e.pods].map((k) => this._pods.get(k)!.pod);
    return groupPodsByRole(e.kind, pods);
  }

  private _podParent(pe: PodEntry): string {
    const e = this._entries.get(pe.top!)!;
    const groups = this._roleGroups(e);
    if (groups.length <= 1) return e.id;
    const g = groups.find((x) => x.pods.includes(pe.pod));
    return g ? roleId(e.id, g.role) : e.id;
  }

  private _podNode(pod: KubeObject, parent: string, wid: string): PodNode {
    const key = podId(pod);
    const pe = this._pods.get(key)!;
    if (!pe.summary) {
      const evs = this._events.get(`Pod|${pod.metadata.namespace ?? ''}|${pod.metadata.name}`);
      pe.summary = podSummary(pod, evs);
    }
    const s = pe.summary;
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
