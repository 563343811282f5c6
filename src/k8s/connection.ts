// One connection per kubeconfig context. It owns the context's settings, transport, and every watch and
// stream opened for it; dispose() stops them all. Switching context = dispose this one, create another.
import { stringify } from 'yaml';
import type { KindRef, KubeObject } from '../core/kube';
import { DisposableStore, type Disposable } from '../core/lifecycle';
import { discover, type DiscoveredKinds } from './discovery';
import { fail, ok, type K8sError, type Result } from './errors';
import { CachingExecAuth, checkExecPlugin, EXEC_BLOCKED_MESSAGE, type PathLookupEnv } from './execAuth';
import type { KubeconfigContext, MergedKubeconfig } from './kubeconfig';
import { realTimers, type Timers } from './timing';
import { contextConfig, KubeTransport, proxyConfigured } from './transport';
import {
  resourcePath,
  stripObject,
  WatchCache,
  type WatchCacheOptions,
  type WatchListSupport,
  type WatchTarget,
} from './watchCache';

/** Which namespaces the views show. */
export type NamespaceScope =
  | { readonly kind: 'all' }
  | {
      readonly kind: 'some';
      readonly namespaces: readonly string[];
      /** Set when Gantry narrowed the scope itself, e.g. "Listing across all namespaces is forbidden; showing team-a". */
      readonly note?: string;
    };

export interface ConnectionOptions {
  /** Environment of the extension host (PATH for exec plugins). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Namespaces from settings, used when the user may not list all namespaces. */
  readonly configuredNamespaces?: readonly string[];
  readonly timers?: Timers;
  readonly watch?: WatchCacheOptions;
  /** False: do not run kubeconfig exec plugins (Restricted Mode with a workspace-provided kubeconfig). */
  readonly allowExecPlugins?: boolean;
  /**
   * False: no HTTP/2 connection for followed logs (VS Code sends requests through a configured proxy, which an
   * HTTP/2 connection would go around). Also off where the environment names a proxy.
   */
  readonly http2?: boolean;
}

export interface ServerInfo {
  readonly gitVersion: string;
  readonly major?: string;
  readonly minor?: string;
}

/**
 * Whether to ask this server for watch lists (WatchCacheOptions.watchList): from Kubernetes 1.27, which knows
 * the option and refuses it while the feature is off (the cache then lists); an older server would ignore it and
 * never mark the end of the initial state.
 */
export function servesWatchList(v: ServerInfo): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(v.gitVersion ?? '');
  const major = Number(m?.[1] ?? v.major);
  const minor = Number(m?.[2] ?? /^\d+/.exec(v.minor ?? '')?.[0]);
  return Number.isFinite(major) && Number.isFinite(minor) && (major > 1 || (major === 1 && minor >= 27));
}

export type DeletePropagation = 'Background' | 'Foreground' | 'Orphan';

export interface DescribeResult {
  readonly yaml: string;
  readonly events: readonly KubeObject[];
  /** Keys of a Secret whose values were replaced (empty when nothing was hidden). */
  readonly hiddenKeys: readonly string[];
}

export interface DescribeOptions {
  /** Show a Secret's values (the user asked for them); by default only its keys and sizes are shown. */
  readonly revealSecretValues?: boolean;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * A core/v1 Secret with its values replaced by their sizes, as `kubectl describe secret` shows them: `data`,
 * `stringData` and the last-applied annotation (which repeats the values) never leave this function. Other
 * objects are returned unchanged. Returns the hidden keys.
 */
export function redactSecret(o: KubeObject): string[] {
  if (o.kind !== 'Secret' || o.apiVersion !== 'v1') return [];
  const hidden: string[] = [];
  const r = o as KubeObject & { data?: Record<string, string>; stringData?: Record<string, string> };
  for (const field of ['data', 'stringData'] as const) {
    const m = r[field];
    if (!m || typeof m !== 'object') continue;
    for (const k of Object.keys(m)) {
      const v = String(m[k] ?? '');
      const bytes = field === 'data' ? Buffer.from(v, 'base64').length : Buffer.byteLength(v);
      m[k] = `<hidden: ${bytes} bytes>`;
      hidden.push(k);
    }
  }
  const ann = o.metadata.annotations;
  if (ann?.[LAST_APPLIED]) ann[LAST_APPLIED] = '<hidden: repeats the values>';
  return hidden;
}

export const CORE_KINDS = {
  pod: { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
  node: { group: '', version: 'v1', kind: 'Node', plural: 'nodes', namespaced: false },
  event: { group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true },
  namespace: { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  crd: {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    kind: 'CustomResourceDefinition',
    plural: 'customresourcedefinitions',
    namespaced: false,
  },
} as const satisfies Record<string, KindRef>;

function objectPath(kind: KindRef, namespace: string | undefined, name: string): string {
  return `${resourcePath({ kind, namespace })}/${encodeURIComponent(name)}`;
}

export class ClusterConnection implements Disposable {
  private readonly _store = new DisposableStore();
  private readonly _caches = new Map<string, { cache: WatchCache; refs: number }>();
  /** Whether this server streams a watch's initial state; known once probe() read its version. */
  private readonly _watchList: WatchListSupport = { use: false };
  private readonly _env: Readonly<Record<string, string | undefined>>;

  private constructor(
    readonly context: KubeconfigContext,
    readonly transport: KubeTransport,
    readonly auth: CachingExecAuth,
    private readonly _opts: ConnectionOptions,
  ) {
    this._env = _opts.env ?? process.env;
    this._store.add(transport);
  }

  /** A connection over a given transport (unit tests drive a scripted one). */
  static fromTransport(
    context: KubeconfigContext,
    transport: KubeTransport,
    opts: ConnectionOptions = {},
  ): ClusterConnection {
    return new ClusterConnection(context, transport, new CachingExecAuth({ env: opts.env }), opts);
  }

  /** A connection for `contextName` (kubeconfig problems come back as values; nothing is contacted yet). */
  static create(
    cfg: MergedKubeconfig,
    contextName: string,
    opts: ConnectionOptions = {},
  ): Result<ClusterConnection> {
    const auth = new CachingExecAuth({ env: opts.env, allowExec: opts.allowExecPlugins });
    const built = contextConfig(cfg, contextName);
    if (!built.ok) return built;
    const transport = new KubeTransport(built.value, auth, (opts.timers ?? realTimers).now, {
      http2: opts.http2 !== false && !proxyConfigured(opts.env ?? process.env),
    });
    return ok(new ClusterConnection(built.value.context, transport, auth, opts));
  }

  get server(): string {
    return this.transport.server;
  }

  get isDisposed(): boolean {
    return this._store.isDisposed;
  }

  /** Checks what can be checked before the first request: the exec credential plugin is on PATH. */
  preflight(): K8sError | undefined {
    const exec = this.transport.config.exec;
    if (exec && this._opts.allowExecPlugins === false)
      return { kind: 'execPluginFailed', message: EXEC_BLOCKED_MESSAGE };
    const msg = checkExecPlugin(
      exec,
      { PATH: this._env.PATH, PATHEXT: this._env.PATHEXT } as PathLookupEnv,
      this.context.user,
    );
    return msg ? { kind: 'execPluginMissing', message: msg } : undefined;
  }

  /** Reaches the apiserver once (/version): proves network, TLS and credentials. */
  async probe(signal?: AbortSignal): Promise<Result<ServerInfo>> {
    const pre = this.preflight();
    if (pre) return fail(pre);
    // /version is readable anonymously on many clusters; the credentials are checked on an authenticated
    // endpoint, asked at the same time (one round trip: it is on the way to the first rows).
    const [res, who] = await Promise.all([
      this.transport.get<ServerInfo>('/version', { signal, timeoutMs: 15_000 }),
      this.canI('list', CORE_KINDS.namespace, undefined, signal),
    ]);
    if (!res.ok) return res;
    this._watchList.use = servesWatchList(res.value);
    if (!who.ok && who.error.kind === 'unauthorized') return who;
    return res;
  }

  discover(signal?: AbortSignal): Promise<Result<DiscoveredKinds>> {
    return discover(this.transport, signal);
  }

  /** SelfSubjectAccessReview: may the user `verb` `kind` in `namespace` (undefined: all namespaces)? */
  async canI(
    verb: string,
    kind: KindRef,
    namespace?: string,
    signal?: AbortSignal,
  ): Promise<Result<boolean>> {
    const res = await this.transport.request<{ status?: { allowed?: boolean } }>(
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { verb, group: kind.group, resource: kind.plural, namespace } },
        },
        signal,
      },
    );
    if (!res.ok) return res;
    return ok(res.value.status?.allowed === true);
  }

  async listNamespaces(signal?: AbortSignal): Promise<Result<string[]>> {
    const res = await this.transport.get<{ items?: KubeObject[] }>('/api/v1/namespaces', { signal });
    if (!res.ok) return res;
    return ok((res.value.items ?? []).map((n) => n.metadata.name).sort());
  }

  /**
   * Resolves the namespace scope. For `all`, checks that listing pods across all namespaces is allowed; if
   * RBAC forbids it, falls back to the namespaces where listing pods is allowed (from the namespace list
   * when that is readable, else the context's namespace and the configured ones) and says so in `note`.
   */
  async resolveScope(wanted: NamespaceScope, signal?: AbortSignal): Promise<Result<NamespaceScope>> {
    if (wanted.kind === 'some') return ok(wanted);
    const all = await this.canI('list', CORE_KINDS.pod, undefined, signal);
    if (all.ok && all.value) return ok(wanted);
    if (!all.ok && all.error.kind !== 'forbidden') {
      // SelfSubjectAccessReview itself unavailable: try the list.
      const probe = await this.transport.get('/api/v1/pods', { query: { limit: 1 }, signal });
      if (probe.ok) return ok(wanted);
      if (probe.error.kind !== 'forbidden') return probe;
    }
    let candidates: string[];
    const listed = await this.listNamespaces(signal);
    if (listed.ok) {
      candidates = listed.value;
    } else {
      if (listed.error.kind !== 'forbidden') return listed;
      candidates = [
        ...new Set([this.context.namespace ?? 'default', ...(this._opts.configuredNamespaces ?? [])]),
      ];
    }
    const allowed: string[] = [];
    const queue = [...candidates];
    const worker = async () => {
      for (let ns = queue.shift(); ns !== undefined; ns = queue.shift()) {
        const r = await this.canI('list', CORE_KINDS.pod, ns, signal);
        if (r.ok ? r.value : r.error.kind !== 'forbidden') allowed.push(ns);
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, queue.length) }, worker));
    allowed.sort();
    const shown = allowed.length ? `showing ${allowed.join(', ')}` : 'no namespace you can list was found';
    return ok({
      kind: 'some',
      namespaces: allowed,
      note: `Listing across all namespaces is forbidden; ${shown}.`,
    });
  }

  /**
   * A started watch cache for (kind, namespace, selectors), shared between callers; dispose the returned
   * handle to release it (the last release stops the watch). All caches stop when the connection is disposed.
   */
  watch(target: WatchTarget): { cache: WatchCache } & Disposable {
    const key = JSON.stringify([
      target.kind.group,
      target.kind.version,
      target.kind.plural,
      target.namespace ?? '',
      target.labelSelector ?? '',
      target.fieldSelector ?? '',
    ]);
    let entry = this._caches.get(key);
    if (!entry || entry.cache.health.state === 'stopped') {
      const cache = new WatchCache(this.transport, target, {
        timers: this._opts.timers,
        watchList: this._watchList,
        ...this._opts.watch,
      });
      entry = { cache, refs: 0 };
      this._caches.set(key, entry);
      this._store.add(cache);
      cache.start();
    }
    const e = entry;
    e.refs++;
    let released = false;
    return {
      cache: e.cache,
      dispose: () => {
        if (released) return;
        released = true;
        if (--e.refs === 0) {
          e.cache.dispose();
          if (this._caches.get(key) === e) this._caches.delete(key);
        }
      },
    };
  }

  /** Whether this connection's caches read their initial state as watch lists (known after probe()). */
  get watchListInUse(): boolean {
    return this._watchList.use;
  }

  /** How many watch streams this connection holds open (one per shared cache): what the apiserver sees of it. */
  get openWatches(): number {
    let n = 0;
    for (const e of this._caches.values()) if (e.cache.health.state !== 'stopped') n++;
    return n;
  }

  /** Registers something else that lives as long as this connection (log streams, port-forwards). */
  own<T extends Disposable>(d: T): T {
    return this._store.add(d);
  }

  async getObject(kind: KindRef, namespace: string | undefined, name: string): Promise<Result<KubeObject>> {
    const res = await this.transport.get<KubeObject>(objectPath(kind, namespace, name));
    if (!res.ok) return res;
    return ok(res.value);
  }

  /** The object as YAML without managedFields (a Secret without its values), for "Describe" / "Open YAML". */
  async getObjectYaml(kind: KindRef, namespace: string | undefined, name: string): Promise<Result<string>> {
    const res = await this.getObject(kind, namespace, name);
    if (!res.ok) return res;
    const o = res.value as KubeObject & { metadata: { managedFields?: unknown } };
    delete o.metadata.managedFields;
    redactSecret(o);
    return ok(stringify(o, { lineWidth: 0 }));
  }

  /** Events about one object, oldest first. */
  async listEvents(
    kind: Pick<KindRef, 'kind'>,
    namespace: string | undefined,
    name: string,
    uid?: string,
  ): Promise<Result<KubeObject[]>> {
    const selector = [
      `involvedObject.kind=${kind.kind}`,
      `involvedObject.name=${name}`,
      ...(namespace ? [`involvedObject.namespace=${namespace}`] : []),
      ...(uid ? [`involvedObject.uid=${uid}`] : []),
    ].join(',');
    const res = await this.transport.get<{ items?: KubeObject[] }>(
      resourcePath({ kind: CORE_KINDS.event, namespace: namespace ?? 'default' }),
      { query: { fieldSelector: selector } },
    );
    if (!res.ok) return res;
    const when = (e: KubeObject) =>
      String(
        (e as unknown as { lastTimestamp?: string; eventTime?: string }).lastTimestamp ??
          (e as unknown as { eventTime?: string }).eventTime ??
          e.metadata.creationTimestamp ??
          '',
      );
    return ok((res.value.items ?? []).map(stripObject).sort((a, b) => when(a).localeCompare(when(b))));
  }

  async describe(
    kind: KindRef,
    namespace: string | undefined,
    name: string,
    opts: DescribeOptions = {},
  ): Promise<Result<DescribeResult>> {
    const obj = await this.getObject(kind, namespace, name);
    if (!obj.ok) return obj;
    const events = await this.listEvents(kind, namespace, name, obj.value.metadata.uid);
    const o = obj.value as KubeObject & { metadata: { managedFields?: unknown } };
    delete o.metadata.managedFields;
    const hiddenKeys = opts.revealSecretValues ? [] : redactSecret(o);
    // Events are optional context: a forbidden event list still describes the object.
    return ok({ yaml: stringify(o, { lineWidth: 0 }), events: events.ok ? events.value : [], hiddenKeys });
  }

  async deleteObject(
    kind: KindRef,
    namespace: string | undefined,
    name: string,
    propagationPolicy: DeletePropagation = 'Background',
  ): Promise<Result<void>> {
    const res = await this.transport.request('DELETE', objectPath(kind, namespace, name), {
      body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy },
    });
    return res.ok ? ok(undefined) : res;
  }

  dispose(): void {
    this._caches.clear();
    this._store.dispose();
  }
}
