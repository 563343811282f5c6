// A list+watch cache of one resource in one namespace scope, written against the raw watch protocol
// instead of client-node's informer (pitfall 8: it stops on errors, has no backoff and no inactivity
// timeout; pitfall 9: 410 arrives as an ERROR event followed by a clean close).
// Shape after client-go's Reflector (ListAndWatch: list, watch from the list's resourceVersion,
// bookmarks, relist on "too old resource version"): read for shape only.
import type { KindRef, KubeObject } from '../core/kube';
import { Emitter, type Disposable } from '../core/lifecycle';
import { classifyError, statusError, type K8sError } from './errors';
import { INACTIVE_REASON, readLines, type LineStream } from './lineStream';
import { RetryLoop, type Health } from './retry';
import { Backoff, ChangeBatcher, jittered, realTimers, type ChangeSet, type Timers } from './timing';
import type { KubeTransport } from './transport';

export type WatchHealth = Health;

export interface WatchTarget {
  readonly kind: Pick<KindRef, 'group' | 'version' | 'plural' | 'namespaced' | 'kind'>;
  /** undefined: all namespaces (or a cluster-scoped kind). */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export interface WatchCacheOptions {
  readonly timers?: Timers;
  readonly random?: () => number;
  /** Coalescing window of change sets (ms). */
  readonly batchMs?: number;
  /** Abort and reconnect when nothing (event or bookmark) arrived for this long (ms). */
  readonly inactivityMs?: number;
  /** Server-side watch timeout before jitter (s); the watch is renewed from the last resourceVersion. */
  readonly watchTimeoutSeconds?: number;
  /** Items per list page. */
  readonly pageSize?: number;
  readonly backoff?: Backoff;
  /** Delay before re-checking a forbidden resource (ms). */
  readonly forbiddenRetryMs?: number;
  /**
   * Read the initial state as a watch stream (a "watch list", sendInitialEvents) where the server serves one,
   * instead of one list response. Shared by a connection's caches: the first refusal turns it off for all.
   * Undefined: always list.
   */
  readonly watchList?: WatchListSupport;
}

/**
 * Whether a server streams a watch's initial state (KEP-3157, the WatchList feature: default on in recent
 * Kubernetes, off or absent in older ones). `use` starts as what the server's version allows and turns false
 * the first time the server refuses the request (422: "sendInitialEvents is forbidden ... unless the WatchList
 * feature gate is enabled").
 */
export interface WatchListSupport {
  use: boolean;
}

/** The bookmark annotation that ends a watch list's initial state. */
const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

export function resourcePath(t: WatchTarget): string {
  const base = t.kind.group ? `/apis/${t.kind.group}/${t.kind.version}` : `/api/${t.kind.version}`;
  const ns = t.kind.namespaced && t.namespace ? `/namespaces/${encodeURIComponent(t.namespace)}` : '';
  return `${base}${ns}/${t.kind.plural}`;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Drops the parts of an object the sidebar never reads and that dominate its size. */
export function stripObject(o: KubeObject): KubeObject {
  const m = o.metadata as KubeObject['metadata'] & { managedFields?: unknown };
  if (m) {
    delete m.managedFields;
    if (m.annotations && LAST_APPLIED in m.annotations) {
      delete m.annotations[LAST_APPLIED];
      if (Object.keys(m.annotations).length === 0) delete m.annotations;
    }
  }
  return o;
}

interface ListPage {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubeObject[];
  apiVersion?: string;
  kind?: string;
}

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; reason?: string; message?: string };
}

class Aborted extends Error {}

/** One line of a watch stream as an event; undefined for a blank or unreadable line (skipped). */
function parseEvent(line: string): WatchEvent | undefined {
  if (!line.trim()) return undefined;
  try {
    return JSON.parse(line) as WatchEvent;
  } catch {
    return undefined;
  }
}

export class WatchCache implements Disposable {
  private readonly _items = new Map<string, KubeObject>();
  private readonly _onDidChange = new Emitter<ChangeSet<KubeObject>>();
  private readonly _batcher: ChangeBatcher<KubeObject>;
  private readonly _timers: Timers;
  private readonly _random: () => number;
  private readonly _loop: RetryLoop;
  private _rv: string | undefined;
  private _consistentRelist = false;
  private _disposed = false;
  private _started = false;
  private _synced = false;
  private _syncWaiters: ((e: K8sError | undefined) => void)[] = [];
  private _firstError: K8sError | undefined;
  private _current?: LineStream;
  private _listAbort?: AbortController;
  /** Counters for tests and the benchmark. */
  readonly stats = { lists: 0, watches: 0, events: 0, bookmarks: 0, gone: 0, inactivityAborts: 0 };

  /** Fires batched change sets, keyed by uid. */
  readonly onDidChange = this._onDidChange.event;
  readonly onDidChangeHealth: RetryLoop['onDidChangeHealth'];

  constructor(
    private readonly _transport: KubeTransport,
    readonly target: WatchTarget,
    private readonly _opts: WatchCacheOptions = {},
  ) {
    this._timers = _opts.timers ?? realTimers;
    this._random = _opts.random ?? Math.random;
    this._loop = new RetryLoop({
      timers: this._timers,
      backoff: _opts.backoff ?? new Backoff({ random: this._random }),
      forbiddenRetryMs: _opts.forbiddenRetryMs,
      onError: (err) => {
        if (err.kind === 'gone') {
          // 410: our resourceVersion was compacted away; relist at once (not a connection problem).
          this._rv = undefined;
          this._consistentRelist = true;
          this.stats.gone++;
          return 'again';
        }
        this.settleSync(err);
        return 'default';
      },
    });
    this.onDidChangeHealth = this._loop.onDidChangeHealth;
    this._batcher = new ChangeBatcher((c) => this._onDidChange.fire(c), _opts.batchMs ?? 50, this._timers);
  }

  get health(): WatchHealth {
    return this._loop.health;
  }

  /** True once the first list has completed. */
  get synced(): boolean {
    return this._synced;
  }

  get size(): number {
    return this._items.size;
  }

  items(): IterableIterator<KubeObject> {
    return this._items.values();
  }

  get(uid: string): KubeObject | undefined {
    return this._items.get(uid);
  }

  /** The resourceVersion the next watch starts from. */
  get resourceVersion(): string | undefined {
    return this._rv;
  }

  start(): this {
    if (!this._started && !this._disposed) {
      this._started = true;
      void this.run();
    }
    return this;
  }

  /** Resolves after the first list (undefined) or with the first error (the cache keeps retrying). */
  whenSynced(): Promise<K8sError | undefined> {
    if (this._synced) return Promise.resolve(undefined);
    if (this._firstError) return Promise.resolve(this._firstError);
    return new Promise((resolve) => this._syncWaiters.push(resolve));
  }

  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    this._current?.abort();
    this._listAbort?.abort();
    this._batcher.dispose();
    this._loop.dispose();
    this._onDidChange.dispose();
    this.settleSync(undefined);
  }

  private settleSync(e: K8sError | undefined): void {
    if (!e) this._synced = true;
    else this._firstError ??= e;
    for (const w of this._syncWaiters.splice(0)) w(e);
  }

  /** Skip the remaining backoff and reconnect now (e.g. the user pressed Retry). */
  retryNow(): void {
    this._loop.retryNow();
  }

  private async run(): Promise<void> {
    await this._loop.run(async () => {
      try {
        let err: K8sError | undefined;
        if (this._rv === undefined && this._opts.watchList?.use) {
          // One request: the initial state as events, then the watch goes on in the same stream.
          const streamed = await this.watch(true);
          if (!streamed?.listInstead) return streamed;
          // Refused by the server: it lists from now on. Forbidden: this resource may be listable but not
          // watchable (RBAC list without watch): list it, as before watch lists, and let the watch say why.
          if (streamed.listInstead === 'refused') this._opts.watchList.use = false;
        }
        if (this._rv === undefined) err = await this.list();
        if (!err && !this._disposed) err = await this.watch(false);
        return err;
      } catch (e) {
        if (e instanceof Aborted || this._disposed) throw e;
        return classifyError(e, this._transport.server);
      }
    });
  }

  /** Lists all pages and replaces the state exactly: no duplicates, no ghosts. */
  private async list(): Promise<K8sError | undefined> {
    this.stats.lists++;
    const fresh = new Map<string, KubeObject>();
    let cont: string | undefined;
    let rv: string | undefined;
    const path = resourcePath(this.target);
    let fromCache = !this._consistentRelist;
    // A for-loop, not do/while: `continue` must restart the list, not test the continue token.
    for (;;) {
      this._listAbort = new AbortController();
      // The first list is served from the apiserver's watch cache (resourceVersion=0, one page, no etcd
      // read), as client-go's reflector does; after 410 Gone the relist is a consistent, paginated read so
      // the state cannot go back in time.
      const res = await this._transport.get<ListPage>(path, {
        query: {
          resourceVersion: fromCache && !cont ? '0' : undefined,
          limit: fromCache ? undefined : (this._opts.pageSize ?? 500),
          continue: cont,
          labelSelector: this.target.labelSelector,
          fieldSelector: this.target.fieldSelector,
        },
        signal: this._listAbort.signal,
        timeoutMs: 60_000,
      });
      this._listAbort = undefined;
      if (this._disposed) throw new Aborted();
      if (!res.ok) {
        if (res.error.kind === 'gone' && cont) {
          cont = undefined; // the continue token expired: start the list again
          fresh.clear();
          continue;
        }
        if (fromCache && res.error.status === 429) {
          // The watch cache of this resource is still initializing (new CRD, apiserver restart): read etcd.
          fromCache = false;
          cont = undefined;
          fresh.clear();
          continue;
        }
        return res.error;
      }
      const page = res.value;
      const kind = page.kind?.replace(/List$/, '') ?? this.target.kind.kind;
      for (const item of page.items ?? []) {
        const uid = item.metadata?.uid;
        if (!uid) continue;
        // List items come without apiVersion/kind.
        item.apiVersion ??= page.apiVersion ?? '';
        item.kind ??= kind;
        fresh.set(uid, stripObject(item));
      }
      rv = page.metadata?.resourceVersion;
      cont = page.metadata?.continue || undefined;
      if (!cont) break;
    }

    this.replaceAll(fresh, rv);
    return undefined;
  }

  /** The state becomes exactly `fresh` (a complete list or a watch list's initial events), told as changes. */
  private replaceAll(fresh: Map<string, KubeObject>, rv: string | undefined): void {
    for (const [uid, old] of this._items) {
      if (!fresh.has(uid)) {
        this._items.delete(uid);
        this._batcher.deleted(uid, old);
      }
    }
    for (const [uid, obj] of fresh) {
      const old = this._items.get(uid);
      this._items.set(uid, obj);
      if (!old) this._batcher.added(uid, obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion)
        this._batcher.modified(uid, obj);
    }
    this._batcher.flush();
    this._rv = rv;
    this._loop.backoff.reset();
    this._loop.connected();
    this.settleSync(undefined);
  }

  /**
   * Watches from the current resourceVersion until the server ends the watch (undefined) or it fails. With
   * `initial` (a watch list), the server first sends the whole state as ADDED events and a bookmark marking
   * its end: they are gathered apart and replace the state exactly, like a list, and the watch goes on. A
   * refusal of the watch list itself or a 403 comes back with `listInstead` saying which (the caller lists).
   */
  private async watch(
    initial: boolean,
  ): Promise<(K8sError & { listInstead?: 'refused' | 'forbidden' }) | undefined> {
    this.stats.watches++;
    if (initial) this.stats.lists++;
    const timeoutSeconds = jittered(this._opts.watchTimeoutSeconds ?? 300, 0.5, this._random);
    const ac = new AbortController();
    const res = await this._transport.stream(resourcePath(this.target), {
      query: {
        watch: 1,
        // A watch list starts from the apiserver's watch cache like the first list (resourceVersion=0); after
        // 410 Gone, from the newest state (unset), so it cannot go back in time.
        resourceVersion: initial ? (this._consistentRelist ? undefined : '0') : this._rv,
        sendInitialEvents: initial ? true : undefined,
        resourceVersionMatch: initial ? 'NotOlderThan' : undefined,
        allowWatchBookmarks: true,
        timeoutSeconds,
        labelSelector: this.target.labelSelector,
        fieldSelector: this.target.fieldSelector,
      },
      signal: ac.signal,
      // A half-open connection (network gone without a reset) must not hang the reconnect.
      headersTimeoutMs: 30_000,
    });
    if (this._disposed) {
      if (res.ok) res.value.destroy();
      throw new Aborted();
    }
    if (!res.ok) {
      // 422 (the feature is off) or 400 (a server that knows no such option): this server lists.
      if (!initial) return res.error;
      if (res.error.status === 422 || res.error.status === 400)
        return { ...res.error, listInstead: 'refused' };
      return res.error.kind === 'forbidden' ? { ...res.error, listInstead: 'forbidden' } : res.error;
    }
    // The initial state while it arrives (watch list only); undefined once the bookmark ended it.
    let fresh: Map<string, KubeObject> | undefined = initial ? new Map() : undefined;
    const endInitial = (rv: string | undefined) => {
      const state = fresh!;
      fresh = undefined;
      this.replaceAll(state, rv ?? this._rv);
    };
    const lines = readLines(
      res.value,
      {
        onFirstData: () => this._loop.dataFlows(),
        onLines: (batch) => {
          for (const line of batch) {
            const ev = parseEvent(line);
            if (!ev) continue;
            const r = fresh ? this.onInitialEvent(ev, fresh, endInitial) : this.onEvent(ev);
            if (r) return r;
          }
          return undefined;
        },
      },
      {
        timers: this._timers,
        inactivityMs: this._opts.inactivityMs ?? 90_000,
        server: this._transport.server,
      },
    );
    this._current = lines;
    // The apiserver accepted the watch: the cached state is current again (a watch list's, once its initial
    // state is in).
    if (!initial) this._loop.connected();
    const err = await lines.done;
    this._current = undefined;
    ac.abort();
    if (err?.reason === INACTIVE_REASON) this.stats.inactivityAborts++;
    if (this._disposed) return undefined;
    // Ended before the initial state was complete: what came is dropped and the next attempt starts over.
    if (fresh && !err)
      return { kind: 'unreachable', message: 'The cluster ended the watch before sending the whole state.' };
    return err;
  }

  /** One event of a watch list's initial state; the bookmark that ends it applies the state. */
  private onInitialEvent(
    ev: WatchEvent,
    fresh: Map<string, KubeObject>,
    end: (rv: string | undefined) => void,
  ): K8sError | undefined {
    const obj = ev.object;
    const uid = obj?.metadata?.uid;
    switch (ev.type) {
      case 'ADDED':
      case 'MODIFIED':
        this.stats.events++;
        if (uid) fresh.set(uid, stripObject(obj));
        return undefined;
      case 'DELETED':
        this.stats.events++;
        if (uid) fresh.delete(uid);
        return undefined;
      case 'BOOKMARK':
        this.stats.bookmarks++;
        if (obj.metadata?.annotations?.[INITIAL_EVENTS_END] === 'true') end(obj.metadata.resourceVersion);
        return undefined;
      default:
        return this.onEvent(ev);
    }
  }

  /** Applies one watch event; returns an error to end the watch. */
  private onEvent(ev: WatchEvent): K8sError | undefined {
    const obj = ev.object;
    switch (ev.type) {
      case 'ADDED':
      case 'MODIFIED': {
        this.stats.events++;
        const uid = obj.metadata?.uid;
        if (!uid) return undefined;
        const had = this._items.has(uid);
        this._items.set(uid, stripObject(obj));
        if (had) this._batcher.modified(uid, obj);
        else this._batcher.added(uid, obj);
        this._rv = obj.metadata.resourceVersion ?? this._rv;
        return undefined;
      }
      case 'DELETED': {
        this.stats.events++;
        const uid = obj.metadata?.uid;
        if (!uid) return undefined;
        this._items.delete(uid);
        this._batcher.deleted(uid, stripObject(obj));
        this._rv = obj.metadata.resourceVersion ?? this._rv;
        return undefined;
      }
      case 'BOOKMARK':
        this.stats.bookmarks++;
        this._rv = obj.metadata?.resourceVersion ?? this._rv;
        return undefined;
      case 'ERROR': {
        // A Status object. 410 Gone / Expired: relist (pitfall 9: the stream then closes cleanly).
        const code = obj.code ?? 0;
        if (code === 410 || obj.reason === 'Expired' || obj.reason === 'Gone') {
          return { kind: 'gone', status: 410, reason: obj.reason, message: 'resourceVersion too old' };
        }
        return statusError(code || 500, obj.reason, obj.message);
      }
      default:
        return undefined;
    }
  }
}
