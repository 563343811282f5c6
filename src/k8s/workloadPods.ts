// "The pods of workload X, now and later", for log streams and port-forwards: independent of the views'
// namespace filter, it holds the connection's shared watch caches of the target's namespace (pods, the target's
// kind and the kinds its pods roll up through), feeds a WorkloadIndex and reports the target's pods.
import { findKindDef, kindKeyOf, podRole, selectDiscovered, type MlKind } from '../core/kinds';
import { kindKey, type KindRef, type KubeObject } from '../core/kube';
import { DisposableStore, Emitter, type Disposable } from '../core/lifecycle';
import { groupPodsByRole } from '../core/status';
import { podId, workloadId } from '../core/tree';
import { podPathKinds, WorkloadIndex } from '../core/workloadIndex';
import { CORE_KINDS, type ClusterConnection } from './connection';
import { fail, ok, type K8sError, type Result } from './errors';
import type { ChangeSet } from './timing';
import type { WatchCache } from './watchCache';

export interface TrackedPod {
  readonly pod: KubeObject;
  /** The role the tree groups it under: master, worker, head, a Ray worker group's name... */
  readonly role: string;
  /** The tree's label: `worker-2`, `head`, `gpu-workers-x7k2p`. */
  readonly label: string;
  /** Numeric rank within the role (empty when the operator gives none). */
  readonly rank: readonly number[];
}

export interface WorkloadPods extends Disposable {
  /** Resolves once the first lists are in (or with the error: not served, not found, forbidden...). */
  ready(): Promise<Result<void>>;
  /** Current pods of the target, ordered by role then rank. */
  current(): readonly TrackedPod[];
  /** The workload object itself (undefined for a pod target or once deleted). */
  workload(): KubeObject | undefined;
  /** Membership or any pod's status changed. */
  readonly onDidChange: (l: (pods: readonly TrackedPod[]) => void) => Disposable;
  /** The workload (or the single pod) was deleted; fires once. */
  readonly onDidEnd: (l: (why: 'deleted') => void) => Disposable;
}

export type PodsTarget =
  | { type: 'workload'; group: string; kind: string; namespace: string; name: string }
  | { type: 'pod'; namespace: string; name: string };

/**
 * Tracks the pods of `target` until disposed. `opts.kinds`: the kinds the cluster serves (every served version,
 * as discovery reports them); when omitted, discovery runs once.
 */
export function trackPods(
  conn: ClusterConnection,
  target: PodsTarget,
  opts: { kinds?: readonly KindRef[] } = {},
): WorkloadPods {
  return new PodsTracker(conn, target, opts.kinds);
}

function describeTarget(t: PodsTarget): string {
  return t.type === 'pod' ? `Pod ${t.namespace}/${t.name}` : `${t.kind} ${t.namespace}/${t.name}`;
}

class PodsTracker implements WorkloadPods {
  private readonly _store = new DisposableStore();
  private readonly _onDidChange = new Emitter<readonly TrackedPod[]>();
  private readonly _onDidEnd = new Emitter<'deleted'>();
  private readonly _ready: Promise<Result<void>>;
  private _index?: WorkloadIndex;
  private _kind?: MlKind;
  /** Tree id of the target: `w:<Kind.group>:<ns>/<name>` or `p:<ns>/<name>`. */
  private _id = '';
  /** Set once the target was found; a different uid (or none) later means it was deleted. */
  private _uid?: string;
  private _found = false;
  private _ended = false;
  private _current: readonly TrackedPod[] = [];
  private _signature = '';

  readonly onDidChange = this._onDidChange.event;
  readonly onDidEnd = this._onDidEnd.event;

  constructor(
    private readonly _conn: ClusterConnection,
    private readonly _target: PodsTarget,
    served: readonly KindRef[] | undefined,
  ) {
    this._store.add(this._onDidChange);
    this._store.add(this._onDidEnd);
    this._ready = this._start(served);
  }

  ready(): Promise<Result<void>> {
    return this._ready;
  }

  current(): readonly TrackedPod[] {
    return this._current;
  }

  workload(): KubeObject | undefined {
    if (this._target.type === 'pod' || this._ended) return undefined;
    return this._index?.entry(this._id)?.object;
  }

  dispose(): void {
    this._store.dispose();
  }

  private async _start(served: readonly KindRef[] | undefined): Promise<Result<void>> {
    const t = this._target;
    let kinds: MlKind[] = [];
    if (t.type === 'workload') {
      const def = findKindDef(t.group, t.kind);
      if (!def)
        return fail({ kind: 'invalid', message: `Gantry does not track pods of ${kindKey(t)} workloads.` });
      if (!served) {
        const d = await this._conn.discover();
        if (!d.ok) return d;
        served = d.value.allVersions();
      }
      const wanted = new Set([def, ...podPathKinds(def)].map((k) => kindKey(k)));
      kinds = selectDiscovered(served).filter((k) => wanted.has(k.key));
      this._kind = kinds.find((k) => k.key === kindKey(def));
      if (!this._kind)
        return fail({ kind: 'notFound', message: `The cluster does not serve ${t.kind} (${t.group}).` });
      this._id = workloadId(this._kind.key, { metadata: { namespace: t.namespace, name: t.name } });
    } else {
      this._id = podId({ metadata: { namespace: t.namespace, name: t.name } });
    }
    if (this._store.isDisposed || this._conn.isDisposed)
      return fail({ kind: 'cancelled', message: 'Stopped.' });

    const index = (this._index = new WorkloadIndex(kinds));
    const caches: WatchCache[] = [];
    // workloads first, so the pods listed next find their owners at once
    for (const k of [...kinds, CORE_KINDS.pod]) {
      const h = this._store.add(this._conn.watch({ kind: k, namespace: t.namespace }));
      caches.push(h.cache);
      this._store.add(h.cache.onDidChange((c) => this._onBatch(c)));
      for (const o of h.cache.items()) index.apply({ type: 'added', object: o });
    }
    const errors = await Promise.all(caches.map((c) => c.whenSynced()));
    if (this._store.isDisposed) return fail({ kind: 'cancelled', message: 'Stopped.' });
    const err = errors.find((e): e is K8sError => !!e);
    if (err) return fail(err);
    const uid =
      t.type === 'pod' ? index.pod(this._id)?.pod.metadata.uid : index.entry(this._id)?.object.metadata.uid;
    const exists = t.type === 'pod' ? !!index.pod(this._id) : !!index.entry(this._id);
    if (!exists) return fail({ kind: 'notFound', message: `${describeTarget(t)} was not found.` });
    this._found = true;
    this._uid = uid;
    this._update();
    return ok(undefined);
  }

  private _onBatch(c: ChangeSet<KubeObject>): void {
    const index = this._index;
    if (!index || this._ended) return;
    // Deletes first: a pod re-created under the same name (new uid) arrives as delete + add in one batch, and
    // a stale delete must not remove the new object.
    for (const o of c.deleted.values())
      if (this._uidOf(o) === o.metadata.uid) index.apply({ type: 'deleted', object: o });
    for (const o of c.added.values()) index.apply({ type: 'added', object: o });
    for (const o of c.modified.values()) index.apply({ type: 'modified', object: o });
    this._update();
  }

  /** Uid of what the index holds under this object's name. */
  private _uidOf(o: KubeObject): string | undefined {
    const index = this._index!;
    if (o.kind === 'Pod') return index.pod(podId(o))?.pod.metadata.uid;
    return index.entry(workloadId(kindKeyOf(o), o))?.uid;
  }

  private _update(): void {
    if (!this._found || this._ended) return;
    const index = this._index!;
    let pods: KubeObject[];
    let gone: boolean;
    let tracked: TrackedPod[];
    if (this._target.type === 'pod') {
      const p = index.pod(this._id)?.pod;
      gone = !p || p.metadata.uid !== this._uid;
      pods = p && !gone ? [p] : [];
      tracked = pods.map((pod) => ({ pod, ...podRole(pod) }));
    } else {
      const e = index.entry(this._id);
      gone = !e || e.uid !== this._uid;
      pods = gone ? [] : index.podsOf(this._id);
      tracked = [];
      for (const g of groupPodsByRole(this._kind, pods))
        for (const pod of g.pods) {
          const r = podRole(pod);
          tracked.push({ pod, role: g.role, label: r.label, rank: r.rank });
        }
    }
    const signature = tracked.map((x) => `${x.pod.metadata.uid}@${x.pod.metadata.resourceVersion}`).join(',');
    if (signature !== this._signature) {
      this._signature = signature;
      this._current = tracked;
      this._onDidChange.fire(tracked);
    }
    if (gone) {
      this._ended = true;
      this._onDidEnd.fire('deleted');
    }
  }
}
