// Which workload each pod belongs to, kept current from watch changes: the one home of "the pods of workload X,
// now and later" for the ML Workloads tree, log streams and port-forwards. Pure: no rendering, no client.
//
// Pod -> workload resolution: controller/owner uid first (Pod -> Job, Pod -> PyTorchJob, Pod -> RayCluster), then
// the operators' naming labels (jobset-name, ray.io/cluster, leaderworkerset name, notebook-name...), then up the
// ownerReference chain while the owner is a known workload (Job -> JobSet -> TrainJob, Job -> CronJob,
// RayCluster -> RayJob). Workloads owned by another known workload (child Jobs, Kueue Workloads, a RayJob's
// cluster) are hidden: their pods roll up to the top owner. Pods seen before their workload wait as orphans
// under the uids and alias labels that would claim them, and are adopted when it appears.

import { type KubeObject, kindKey } from './kube';
import {
  ALIAS_LABELS,
  type KindFamily,
  type MlKind,
  type MlKindDef,
  canonicalAliasLabel,
  kindKeyOf,
  podAliases,
} from './kinds';
import { type Named, type WatchChange, podId, workloadId } from './tree/nodes';

/** A workload the index knows (shown or hidden). */
export interface IndexEntry {
  /** `w:<Kind.group>:<namespace>/<name>`, the tree's node id. */
  readonly id: string;
  readonly kind: MlKind;
  readonly object: KubeObject;
  readonly uid?: string;
  /** The controller owner's uid (or the first owner's). */
  readonly ownerUid?: string;
  /** `<namespace>|<label>|<value>` for every label its pods carry naming it. */
  readonly aliasKeys: readonly string[];
}

/** A pod and where it resolved. */
export interface IndexedPod {
  /** `p:<namespace>/<name>`. */
  readonly id: string;
  readonly pod: KubeObject;
  /** The workload the pod resolved to before climbing owners (a Job of a JobSet). */
  readonly direct?: string;
  /** The shown workload it rolls up to (the JobSet's TrainJob). */
  readonly top?: string;
}

/** What one apply() changed, for callers that refresh or re-read only that. */
export interface IndexDelta {
  /** Workloads that appeared; a re-created object (new uid, missed delete) is both removed and added. */
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** Workloads whose object changed in place. */
  readonly modified: readonly string[];
  /**
   * Top workloads whose pods were resolved again because the hierarchy changed (pods moved in or out, adopted
   * orphans); may name a workload whose pod set ended up the same. A pod's own change is in `pod`.
   */
  readonly pods: readonly string[];
  /** Existing workloads below an added or removed one: they became hidden or shown again. */
  readonly rehomed: readonly string[];
  /** For a pod change: its top workload before and after (undefined: none) and whether it was known before. */
  readonly pod?: {
    readonly id: string;
    readonly before?: string;
    readonly after?: string;
    readonly known: boolean;
  };
}

interface Entry {
  id: string;
  kind: MlKind;
  object: KubeObject;
  uid?: string;
  ownerUid?: string;
  aliasKeys: string[];
  /** Pods whose resolved top workload is this one. */
  pods: Set<string>;
}

interface PodEntry {
  id: string;
  pod: KubeObject;
  direct?: string;
  top?: string;
  orphanKeys?: string[];
}

const EMPTY: IndexDelta = { added: [], removed: [], modified: [], pods: [], rehomed: [] };

function ownerUidOf(o: KubeObject): string | undefined {
  const refs = o.metadata.ownerReferences ?? [];
  return (refs.find((r) => r.controller) ?? refs[0])?.uid;
}

function addTo<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}

function removeFrom<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  const s = m.get(k);
  s?.delete(v);
  if (s && !s.size) m.delete(k);
}

export class WorkloadIndex {
  private readonly _kinds = new Map<string, MlKind>();
  private readonly _entries = new Map<string, Entry>();
  private readonly _byUid = new Map<string, string>();
  private readonly _alias = new Map<string, Set<string>>();
  private readonly _childrenByOwner = new Map<string, Set<string>>();
  private readonly _pods = new Map<string, PodEntry>();
  private readonly _podsByDirect = new Map<string, Set<string>>();
  private readonly _orphans = new Map<string, Set<string>>();

  /** `kinds`: the ML kinds to index (others are ignored). The initial lists load without deltas. */
  constructor(
    kinds: readonly MlKind[],
    initial: { workloads?: Iterable<KubeObject>; pods?: Iterable<KubeObject> } = {},
  ) {
    for (const k of kinds) this._kinds.set(k.key, k);
    for (const o of initial.workloads ?? []) {
      const id = this._kinds.has(kindKeyOf(o)) ? workloadId(kindKeyOf(o), o) : undefined;
      const old = id ? this._entries.get(id) : undefined;
      if (old) this._removeEntry(old);
      this._addEntry(o);
    }
    for (const p of initial.pods ?? []) this._upsertPod(p);
  }

  /** The indexed kinds by key (`PyTorchJob.kubeflow.org`). */
  get kinds(): ReadonlyMap<string, MlKind> {
    return this._kinds;
  }

  /** Whether apply() would look at this object (a pod or an indexed kind). */
  handles(o: KubeObject): boolean {
    return (o.kind === 'Pod' && o.apiVersion === 'v1') || this._kinds.has(kindKeyOf(o));
  }

  // ---- queries ----

  entry(id: string): IndexEntry | undefined {
    return this._entries.get(id);
  }

  entries(): IterableIterator<IndexEntry> {
    return this._entries.values();
  }

  /** Id of a known workload by name, or undefined. */
  find(group: string, kind: string, namespace: string | undefined, name: string): string | undefined {
    const id = workloadId(kindKey({ group, kind }), { metadata: { namespace, name } });
    return this._entries.has(id) ? id : undefined;
  }

  /** The shown workload an entry rolls up to (itself when shown; the id back when unknown). */
  topOf(id: string): string {
    let cur = id;
    for (let i = 0; i < 8; i++) {
      const e = this._entries.get(cur);
      const up = e?.ownerUid ? this._byUid.get(e.ownerUid) : undefined;
      if (!up || up === cur) break;
      cur = up;
    }
    return cur;
  }

  /** Owned by another known workload, so not shown on its own. */
  isHidden(id: string): boolean {
    const e = this._entries.get(id);
    return !!e?.ownerUid && this._byUid.has(e.ownerUid);
  }

  /** Known workloads owned directly by this one. */
  childrenOf(id: string): string[] {
    const e = this._entries.get(id);
    return e?.uid ? [...(this._childrenByOwner.get(e.uid) ?? [])] : [];
  }

  /** The entry and every known workload below it. */
  descendants(id: string): Set<string> {
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

  /**
   * Pods of a workload: for a shown one every pod that rolls up to it (its child Jobs' and clusters' included);
   * for a hidden one the pods resolved to it or below it.
   */
  podsOf(id: string): KubeObject[] {
    const e = this._entries.get(id);
    if (!e) return [];
    if (!this.isHidden(id)) return [...e.pods].map((k) => this._pods.get(k)!.pod);
    const out: KubeObject[] = [];
    for (const d of this.descendants(id))
      for (const k of this._podsByDirect.get(d) ?? []) out.push(this._pods.get(k)!.pod);
    return out;
  }

  /** How many pods roll up to a shown workload. */
  podCount(id: string): number {
    return this._entries.get(id)?.pods.size ?? 0;
  }

  /** Id of the shown workload a pod rolls up to. */
  workloadOfPod(pod: Named): string | undefined {
    return this._pods.get(podId(pod))?.top;
  }

  /** A pod by its id (`p:<namespace>/<name>`). */
  pod(id: string): IndexedPod | undefined {
    return this._pods.get(id);
  }

  get size(): { workloads: number; shown: number; pods: number } {
    let shown = 0;
    for (const e of this._entries.values()) if (!this.isHidden(e.id)) shown++;
    return { workloads: this._entries.size, shown, pods: this._pods.size };
  }

  // ---- changes ----

  /** Applies one watch change (pods and indexed kinds; anything else is ignored) and says what changed. */
  apply(change: WatchChange): IndexDelta {
    const o = change.object;
    if (o.kind === 'Pod' && o.apiVersion === 'v1') return this._applyPod(change);
    if (this._kinds.has(kindKeyOf(o))) return this._applyWorkload(change);
    return EMPTY;
  }

  private _applyPod(change: WatchChange): IndexDelta {
    const id = podId(change.object);
    const before = this._pods.get(id);
    if (change.type === 'deleted') {
      if (before) this._removePod(id);
    } else {
      this._upsertPod(change.object);
    }
    const pod = { id, before: before?.top, after: this._pods.get(id)?.top, known: !!before };
    return { ...EMPTY, pod };
  }

  private _applyWorkload(change: WatchChange): IndexDelta {
    const o = change.object;
    const id = workloadId(kindKeyOf(o), o);
    const existing = this._entries.get(id);
    const pods = new Set<string>();
    if (change.type === 'deleted') {
      if (!existing) return EMPTY;
      const affected = this.descendants(id);
      this._removeEntry(existing);
      this._reresolve(affected, pods);
      affected.delete(id);
      pods.delete(id);
      return { ...EMPTY, removed: [id], pods: [...pods], rehomed: [...affected] };
    }
    // a new uid or owner under the same name is a re-created object whose delete we missed: replace it
    const replaced = existing && (existing.ownerUid !== ownerUidOf(o) || existing.uid !== o.metadata.uid);
    if (existing && !replaced) {
      // modified in place: aliases may have appeared (RayJob status.rayClusterName)
      const oldAliases = existing.aliasKeys.join('\n');
      this._unindexAliases(existing);
      existing.object = o;
      existing.aliasKeys = this._aliasKeysOf(existing.kind, o);
      this._indexAliases(existing);
      if (existing.aliasKeys.join('\n') !== oldAliases) this._adoptOrphans(existing, pods);
      return { ...EMPTY, modified: [id], pods: [...pods] };
    }
    // pods that rolled up to the replaced object resolve again (their owner uid may be gone with it)
    const stale = existing ? [...existing.pods] : [];
    if (existing) this._removeEntry(existing);
    const entry = this._addEntry(o)!;
    // children that arrived before their owner, and their pods, now roll up here
    const affected = this.descendants(entry.id);
    this._reresolve(affected, pods, stale);
    this._adoptOrphans(entry, pods);
    affected.delete(entry.id);
    return {
      ...EMPTY,
      added: [id],
      removed: existing ? [id] : [],
      pods: [...pods],
      rehomed: [...affected],
    };
  }

  // ---- index maintenance ----

  private _aliasKeysOf(kind: MlKind, o: KubeObject): string[] {
    return podAliases(kind, o).map(
      (a) => `${o.metadata.namespace ?? ''}|${canonicalAliasLabel(a.label)}|${a.value}`,
    );
  }

  private _indexAliases(e: Entry): void {
    for (const k of e.aliasKeys) addTo(this._alias, k, e.id);
  }

  private _unindexAliases(e: Entry): void {
    for (const k of e.aliasKeys) removeFrom(this._alias, k, e.id);
  }

  private _addEntry(o: KubeObject): Entry | undefined {
    const kind = this._kinds.get(kindKeyOf(o));
    if (!kind) return undefined;
    const e: Entry = {
      id: workloadId(kind.key, o),
      kind,
      object: o,
      aliasKeys: this._aliasKeysOf(kind, o),
      pods: new Set(),
    };
    if (o.metadata.uid) {
      e.uid = o.metadata.uid;
      this._byUid.set(o.metadata.uid, e.id);
    }
    const ou = ownerUidOf(o);
    if (ou) {
      e.ownerUid = ou;
      addTo(this._childrenByOwner, ou, e.id);
    }
    this._entries.set(e.id, e);
    this._indexAliases(e);
    return e;
  }

  private _removeEntry(e: Entry): void {
    this._entries.delete(e.id);
    if (e.uid && this._byUid.get(e.uid) === e.id) this._byUid.delete(e.uid);
    if (e.ownerUid) removeFrom(this._childrenByOwner, e.ownerUid, e.id);
    this._unindexAliases(e);
  }

  /**
   * Pods resolved directly to any of these workloads (plus `extra` pod ids) are resolved again (the hierarchy
   * changed); their tops before and after go into `tops`.
   */
  private _reresolve(ids: Set<string>, tops: Set<string>, extra: readonly string[] = []): void {
    const keys = new Set<string>(extra);
    for (const id of ids) for (const k of this._podsByDirect.get(id) ?? []) keys.add(k);
    for (const k of keys) {
      const pe = this._pods.get(k);
      if (!pe) continue;
      const oldTop = pe.top;
      this._upsertPod(pe.pod);
      const newTop = this._pods.get(k)?.top;
      for (const t of [oldTop, newTop]) if (t && this._entries.has(t)) tops.add(t);
    }
  }

  private _adoptOrphans(e: Entry, tops: Set<string>): void {
    const keys = new Set<string>();
    const lookups = [...(e.uid ? [`uid:${e.uid}`] : []), ...e.aliasKeys.map((k) => `a:${k}`)];
    for (const l of lookups) for (const k of this._orphans.get(l) ?? []) keys.add(k);
    for (const k of keys) {
      const pe = this._pods.get(k);
      if (!pe) continue;
      this._upsertPod(pe.pod);
      const top = this._pods.get(k)?.top;
      if (top) tops.add(top);
    }
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
    const id = podId(pod);
    this._removePod(id);
    const { direct, candidates } = this._resolveDirect(pod);
    const pe: PodEntry = { id, pod };
    if (direct) {
      pe.direct = direct;
      pe.top = this.topOf(direct);
      addTo(this._podsByDirect, direct, id);
      this._entries.get(pe.top)!.pods.add(id);
    } else {
      pe.orphanKeys = candidates;
      for (const c of candidates) addTo(this._orphans, c, id);
    }
    this._pods.set(id, pe);
  }

  private _removePod(id: string): void {
    const pe = this._pods.get(id);
    if (!pe) return;
    if (pe.direct) removeFrom(this._podsByDirect, pe.direct, id);
    if (pe.top) this._entries.get(pe.top)?.pods.delete(id);
    for (const c of pe.orphanKeys ?? []) removeFrom(this._orphans, c, id);
    this._pods.delete(id);
  }
}

/**
 * Kinds whose objects stand between a workload of this kind and its pods (owner chains the index climbs),
 * for a caller that watches only what one workload needs. Kinds whose pods carry the workload's own name label
 * or owner reference need none.
 */
export function podPathKinds(d: Pick<MlKindDef, 'family'>): readonly { group: string; kind: string }[] {
  return POD_PATH[d.family] ?? [];
}

const JOB = { group: 'batch', kind: 'Job' };
const RAY_CLUSTER = { group: 'ray.io', kind: 'RayCluster' };
const POD_PATH: Partial<Record<KindFamily, readonly { group: string; kind: string }[]>> = {
  // TrainJob -> JobSet -> Job -> Pod (kubeflow/trainer v2 runtime; JobSet controller)
  trainJob: [{ group: 'jobset.x-k8s.io', kind: 'JobSet' }, JOB],
  jobset: [JOB],
  cronJob: [JOB],
  // RayJob -> RayCluster -> Pod, and the submitter Job in K8sJobMode
  rayJob: [RAY_CLUSTER, JOB],
  rayService: [RAY_CLUSTER],
};
