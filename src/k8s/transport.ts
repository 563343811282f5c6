// One context's connection settings (its cluster and user alone) and raw HTTP requests with the options
// client-node applies (TLS, proxy, auth, exec plugins; built by httpsOptions.ts, which loads client-node only
// for a proxy or an auth-provider). Raw requests keep the apiserver's Status message (client-node's Watch drops it)
// and let the watch cache control timeouts itself.
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import type * as k8s from '@kubernetes/client-node';
import {
  ApiStatusError,
  classifyError,
  fail,
  ok,
  parseRetryAfter,
  type K8sError,
  type Result,
  type StatusDetails,
} from './errors';
import { type CachingExecAuth, EXEC_PROVIDER, TOKEN_FILE_PROVIDER, type ExecConfig } from './execAuth';
import { HttpsOptions, type ContextSettings } from './httpsOptions';
import type { KubeconfigContext, MergedKubeconfig, RawEntry } from './kubeconfig';

export interface ContextConfig {
  /** The context's cluster and user in client-node's shapes; never shared with another context. */
  readonly settings: ContextSettings;
  readonly context: KubeconfigContext;
  readonly server: string;
  readonly exec?: ExecConfig;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The settings of `contextName` alone: its cluster and user, exec plugins routed to `auth`. */
export function contextConfig(cfg: MergedKubeconfig, contextName: string): Result<ContextConfig> {
  const context = cfg.contexts.find((c) => c.name === contextName);
  if (!context) {
    return fail({ kind: 'config', message: `The kubeconfig has no context named "${contextName}".` });
  }
  const rawCluster = cfg.clusters.get(context.cluster);
  const server = str(rawCluster?.server);
  if (!rawCluster || !server) {
    return fail({
      kind: 'config',
      message: `Context "${context.name}" uses cluster "${context.cluster}", which has no server in the kubeconfig.`,
    });
  }
  const rawUser: RawEntry = cfg.users.get(context.user) ?? {};
  const exec = rawUser.exec && typeof rawUser.exec === 'object' ? (rawUser.exec as ExecConfig) : undefined;
  const tokenFile = str(rawUser.tokenFile) ?? str(rawUser['token-file']);
  let authProvider: unknown = rawUser['auth-provider'] ?? undefined;
  if (exec) authProvider = { name: EXEC_PROVIDER, config: { gantryExec: exec } };
  else if (!str(rawUser.token) && tokenFile)
    authProvider = { name: TOKEN_FILE_PROVIDER, config: { gantryTokenFile: tokenFile } };

  const cluster: k8s.Cluster = {
    name: context.cluster,
    server: server.replace(/\/$/, ''),
    caData: str(rawCluster['certificate-authority-data']),
    caFile: str(rawCluster['certificate-authority']),
    skipTLSVerify: rawCluster['insecure-skip-tls-verify'] === true,
    tlsServerName: str(rawCluster['tls-server-name']),
    proxyUrl: str(rawCluster['proxy-url']),
  };
  const userName = context.user || 'gantry-anonymous';
  const user: k8s.User = {
    name: userName,
    certData: str(rawUser['client-certificate-data']),
    certFile: str(rawUser['client-certificate']),
    keyData: str(rawUser['client-key-data']),
    keyFile: str(rawUser['client-key']),
    token: str(rawUser.token),
    username: str(rawUser.username),
    password: str(rawUser.password),
    impersonateUser: str(rawUser.as),
    authProvider,
  };
  const settings: ContextSettings = {
    contextName: context.name,
    namespace: context.namespace,
    cluster,
    user,
  };
  return ok({ settings, context, server: cluster.server, exec });
}

export interface RequestOptions {
  readonly query?: Record<string, string | number | boolean | undefined>;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly accept?: string;
  readonly signal?: AbortSignal;
  /** Whole-request timeout for non-streaming requests (ms). */
  readonly timeoutMs?: number;
  /** Streams: give up when the response headers have not arrived within this long (ms). */
  readonly headersTimeoutMs?: number;
  /**
   * Streams: bytes the response may hold unread before Node stops reading its connection (default 16 KiB). A
   * paused connection makes the apiserver's writes block, and a followed log that is read in batches pauses and
   * resumes it many times a second in a flood. Such a stream gets a connection of its own, created with this
   * buffer (a pooled connection keeps the size it was made with).
   */
  readonly readBuffer?: number;
}

interface Applied {
  agent: http.Agent;
  /**
   * A connection of their own, never pooled, for upgrade requests and for streams with a `readBuffer`. A
   * refused upgrade's connection, returned to a keep-alive pool, is closed by the apiserver (1.30.14 after the
   * kubelet's 400) and the next request sent on it fails with "socket hang up".
   */
  upgradeAgent: http.Agent;
  headers: Record<string, string>;
  until: number;
}

const APPLIED_TTL_MS = 5 * 60_000;
const RETRY = fail<http.IncomingMessage>({ kind: 'unreachable', message: 'retry' });
/**
 * A request the apiserver throttled (429 from API Priority and Fairness, or a 5xx to a GET) with a Retry-After
 * is sent again after that wait, as client-go's request layer does; a 429 was refused before any processing, so
 * this holds for writes too. After this many waits, or a wait longer than the cap, the error goes to the caller.
 */
const MAX_RETRY_AFTER = 5;
const MAX_RETRY_AFTER_MS = 30_000;

/** HTTP to one cluster with one context's credentials. */
export class KubeTransport {
  private _applied?: Promise<Applied>;
  private readonly _agents = new Set<http.Agent>();
  /** Wakes the Retry-After waits under way (dispose ends them). */
  private readonly _pauses = new Set<() => void>();
  private _disposed = false;
  private readonly _options: HttpsOptions;

  constructor(
    readonly config: ContextConfig,
    private readonly _auth: CachingExecAuth,
    private readonly _now: () => number = Date.now,
  ) {
    this._options = new HttpsOptions(config.settings, _auth);
  }

  get server(): string {
    return this.config.server;
  }

  dispose(): void {
    this._disposed = true;
    for (const wake of [...this._pauses]) wake();
    for (const a of this._agents) a.destroy();
    this._agents.clear();
  }

  /** Forget cached credentials and connections (after a 401). */
  invalidate(): void {
    this._applied = undefined;
    this._auth.invalidate();
  }

  private async applied(): Promise<Applied> {
    const cur = this._applied;
    if (cur) {
      const a = await cur.catch(() => undefined);
      if (a && a.until > this._now()) return a;
      if (this._applied === cur) this._applied = undefined;
    }
    if (!this._applied) {
      const p = this.apply();
      this._applied = p;
      p.catch(() => {
        if (this._applied === p) this._applied = undefined;
      });
    }
    return this._applied;
  }

  private async apply(): Promise<Applied> {
    const opts: https.RequestOptions = {};
    await this._options.apply(opts);
    const cluster = this.config.settings.cluster;
    const given = opts.agent as http.Agent | undefined;
    let agent: http.Agent;
    let upgradeAgent: http.Agent;
    if (given && cluster?.proxyUrl) {
      // client-node's proxy agent carries the proxy: kept.
      agent = upgradeAgent = given;
    } else {
      // client-node's agent (an auth-provider context) has no keep-alive; requests to one apiserver reuse
      // connections here. The light path makes none.
      given?.destroy();
      const make = (keepAlive: boolean): http.Agent =>
        this.server.startsWith('http:')
          ? new http.Agent({ keepAlive })
          : new https.Agent({
              keepAlive,
              ca: opts.ca,
              cert: opts.cert,
              key: opts.key,
              pfx: opts.pfx,
              passphrase: opts.passphrase,
              servername: opts.servername,
              ...(opts.rejectUnauthorized !== undefined
                ? { rejectUnauthorized: opts.rejectUnauthorized }
                : {}),
            });
      agent = make(true);
      upgradeAgent = make(false);
    }
    this._agents.add(agent);
    this._agents.add(upgradeAgent);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) {
      if (typeof v === 'string' || typeof v === 'number') headers[k] = String(v);
    }
    if (opts.auth) headers.Authorization = 'Basic ' + Buffer.from(opts.auth).toString('base64');
    const user = this.config.settings.user.name;
    const exp = user ? this._auth.expiresAt(user) : undefined;
    return { agent, upgradeAgent, headers, until: Math.min(this._now() + APPLIED_TTL_MS, exp ?? Infinity) };
  }

  private url(path: string, query?: RequestOptions['query']): URL {
    const u = new URL(this.server + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u;
  }

  /** Starts a request and resolves with the response head (status 200..299) or an error value. */
  private async open(
    method: string,
    path: string,
    o: RequestOptions,
    retried = false,
    throttled = 0,
  ): Promise<Result<http.IncomingMessage>> {
    if (this._disposed) return fail({ kind: 'cancelled', message: 'The connection was closed.' });
    let a: Applied;
    try {
      a = await this.applied();
    } catch (e) {
      return fail(classifyError(e, this.server));
    }
    const url = this.url(path, o.query);
    const body =
      o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
    const headers: Record<string, string> = { Accept: o.accept ?? 'application/json', ...a.headers };
    if (body !== undefined) {
      headers['Content-Type'] = o.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const mod = url.protocol === 'http:' ? http : https;
    const res = await new Promise<Result<http.IncomingMessage>>((resolve) => {
      // `highWaterMark` (Node >= 15) sizes the new connection's and the response's read buffers.
      const ro: http.RequestOptions & { highWaterMark?: number } = o.readBuffer
        ? { method, headers, agent: a.upgradeAgent, signal: o.signal, highWaterMark: o.readBuffer }
        : { method, headers, agent: a.agent, signal: o.signal };
      const req = mod.request(url, ro, (r) => resolve(ok(r)));
      req.on('error', (e: NodeJS.ErrnoException) => {
        // A kept-alive socket the server closed meanwhile: GETs are safe to send once more.
        if (e.code === 'ECONNRESET' && method === 'GET' && !retried && req.reusedSocket) resolve(RETRY);
        else resolve(fail(classifyError(e, this.server)));
      });
      if (o.headersTimeoutMs) {
        const t = setTimeout(() => {
          req.destroy(Object.assign(new Error('no response headers'), { code: 'ETIMEDOUT' }));
        }, o.headersTimeoutMs);
        t.unref();
        req.on('response', () => clearTimeout(t));
        req.on('close', () => clearTimeout(t));
      }
      if (o.timeoutMs) {
        req.setTimeout(o.timeoutMs, () => {
          const e = Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' });
          req.destroy(e);
        });
      }
      req.end(body);
    });
    if (res === RETRY) return this.open(method, path, o, true, throttled);
    if (!res.ok) return res;
    const r = res.value;
    const status = r.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    const text = await readAll(r).catch(() => '');
    if (status === 401 && !retried && this.config.exec) {
      // An exec credential without expirationTimestamp is cached until the server rejects it.
      this.invalidate();
      return this.open(method, path, o, true);
    }
    if (status === 401) this.invalidate();
    const err = { ...statusFromBody(status, text), retryAfterMs: parseRetryAfter(r.headers['retry-after']) };
    const wait = err.retryAfterMs;
    if (
      wait !== undefined &&
      wait <= MAX_RETRY_AFTER_MS &&
      throttled < MAX_RETRY_AFTER &&
      (status === 429 || (status >= 500 && method === 'GET'))
    ) {
      if (!(await this.pause(wait, o.signal))) return fail(err);
      return this.open(method, path, o, retried, throttled + 1);
    }
    return fail(err);
  }

  /** Waits `ms` unless the request is cancelled or the transport disposed meanwhile; true when it waited. */
  private pause(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (this._disposed || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (waited: boolean) => {
        clearTimeout(t);
        signal?.removeEventListener('abort', abort);
        this._pauses.delete(abort);
        resolve(waited && !this._disposed);
      };
      const abort = () => done(false);
      const t = setTimeout(() => done(true), ms);
      signal?.addEventListener('abort', abort, { once: true });
      this._pauses.add(abort);
    });
  }

  /** A JSON request. */
  async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<Result<T>> {
    const res = await this.open(method, path, { timeoutMs: 30_000, ...o });
    if (!res.ok) return res;
    try {
      const text = await readAll(res.value);
      return ok((text ? JSON.parse(text) : undefined) as T);
    } catch (e) {
      return fail(classifyError(e, this.server));
    }
  }

  get<T>(path: string, o: RequestOptions = {}): Promise<Result<T>> {
    return this.request<T>('GET', path, o);
  }

  /** A streaming GET (watch, logs): the caller consumes and destroys the response. */
  stream(path: string, o: RequestOptions = {}): Promise<Result<http.IncomingMessage>> {
    return this.open('GET', path, o);
  }

  /**
   * A WebSocket handshake (RFC 6455) with this context's credentials (port-forward, exec). Resolves with the
   * upgraded socket, which the caller owns, or the apiserver's refusal as a value (its Status message kept).
   */
  async upgrade(path: string, o: UpgradeOptions, retried = false): Promise<Result<Upgraded>> {
    if (this._disposed) return fail({ kind: 'cancelled', message: 'The connection was closed.' });
    let a: Applied;
    try {
      a = await this.applied();
    } catch (e) {
      return fail(classifyError(e, this.server));
    }
    const url = this.url(path, o.query);
    const key = randomBytes(16).toString('base64');
    // SPDY/3.1 is the HTTP upgrade kubectl has always used (the apiserver takes the WebSocket form of the same
    // session only from 1.31, or 1.30 with the PortForwardWebsockets gate).
    const headers: Record<string, string> = o.spdy
      ? {
          ...a.headers,
          Connection: 'Upgrade',
          Upgrade: 'SPDY/3.1',
          'X-Stream-Protocol-Version': o.protocols.join(', '),
        }
      : {
          ...a.headers,
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': key,
          'Sec-WebSocket-Protocol': o.protocols.join(', '),
        };
    const mod = url.protocol === 'http:' ? http : https;
    const res = await new Promise<Result<Upgraded> | { refused: http.IncomingMessage }>((resolve) => {
      const req = mod.request(url, { method: 'GET', headers, agent: a.upgradeAgent, signal: o.signal });
      const t = setTimeout(
        () => req.destroy(Object.assign(new Error('no WebSocket handshake'), { code: 'ETIMEDOUT' })),
        o.timeoutMs ?? 15_000,
      );
      t.unref();
      req.on('upgrade', (r, socket, head) => {
        clearTimeout(t);
        if (o.spdy) {
          resolve(ok({ socket, head, protocol: String(r.headers['x-stream-protocol-version'] ?? '') }));
          return;
        }
        const accept = createHash('sha1')
          .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
          .digest('base64');
        if (r.headers['sec-websocket-accept'] !== accept) {
          socket.destroy();
          resolve(
            fail({ kind: 'server', message: 'The apiserver answered the WebSocket handshake wrongly.' }),
          );
          return;
        }
        const protocol = String(r.headers['sec-websocket-protocol'] ?? '');
        resolve(ok({ socket, head, protocol }));
      });
      req.on('response', (r) => {
        clearTimeout(t);
        resolve({ refused: r });
      });
      req.on('error', (e) => {
        clearTimeout(t);
        resolve(fail(classifyError(e, this.server)));
      });
      req.end();
    });
    if (!('refused' in res)) return res;
    const status = res.refused.statusCode ?? 0;
    const text = await readAll(res.refused).catch(() => '');
    if (status === 401 && !retried && this.config.exec) {
      this.invalidate();
      return this.upgrade(path, o, true);
    }
    if (status === 401) this.invalidate();
    if (status >= 200 && status < 300)
      return fail({
        kind: 'server',
        message: `The apiserver did not upgrade to a WebSocket (HTTP ${status}).`,
      });
    return fail(statusFromBody(status, text));
  }
}

export interface UpgradeOptions {
  readonly query?: RequestOptions['query'];
  /** Sec-WebSocket-Protocol offers (X-Stream-Protocol-Version with `spdy`), preferred first. */
  readonly protocols: readonly string[];
  /** Upgrade to SPDY/3.1 instead of a WebSocket. */
  readonly spdy?: boolean;
  readonly signal?: AbortSignal;
  /** Give up when the handshake has not completed within this long (ms); default 15 s. */
  readonly timeoutMs?: number;
}

export interface Upgraded {
  readonly socket: Duplex;
  /** Bytes the server sent after the handshake, before the socket was handed over. */
  readonly head: Buffer;
  /** The sub-protocol the server chose. */
  readonly protocol: string;
}

export function readAll(r: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    r.on('data', (c: Buffer) => chunks.push(c));
    r.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    r.on('error', reject);
    r.on('aborted', () => reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
  });
}

function statusFromBody(status: number, text: string): K8sError {
  let reason: string | undefined;
  let message: string | undefined;
  let details: StatusDetails | undefined;
  try {
    const s = JSON.parse(text) as {
      kind?: string;
      reason?: string;
      message?: string;
      details?: StatusDetails;
    };
    if (s && s.kind === 'Status') {
      reason = s.reason;
      message = s.message;
      if (s.details && typeof s.details === 'object') details = s.details;
    }
  } catch {
    // not JSON: keep the status only
  }
  return classifyError(new ApiStatusError(status, reason, message, details));
}
