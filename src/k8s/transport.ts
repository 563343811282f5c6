// One context's connection settings (its cluster and user alone) and raw HTTP requests with the options
// client-node applies (TLS, proxy, auth, exec plugins; built by httpsOptions.ts, which loads client-node only
// for a proxy or an auth-provider). Raw requests keep the apiserver's Status message (client-node's Watch drops it)
// and let the watch cache control timeouts itself.
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type { Duplex, Readable } from 'node:stream';
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
  /**
   * Streams: one HTTP/2 connection shared by all such streams of this context, where the apiserver speaks
   * HTTP/2 (as kubectl reads logs): one TLS connection for a job's pods instead of one per pod, and less CPU
   * per line in the follower (see bench/logs/README.md). Falls back to HTTP/1.1 (with `readBuffer`) where
   * HTTP/2 cannot be had: plain http, a proxy, a server that does not offer it.
   */
  readonly multiplex?: boolean;
}

/** A response's status and headers, and its body to read: from HTTP/1.1 or one HTTP/2 stream. */
interface Response {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Readable;
}

/**
 * An HTTP/2 stream's receive window: what the apiserver may send ahead of the reader (the HTTP/1.1 path's
 * `readBuffer`). HTTP/2's default is 64 KiB, under a tenth of a second of a pod writing 10,000 lines a second.
 */
const H2_STREAM_WINDOW = 1024 * 1024;
/** Give up on an HTTP/2 connection that is not up within this long and use HTTP/1.1 (ms). */
const H2_CONNECT_MS = 10_000;
/** An HTTP/2 connection without streams for this long is closed (ms). */
const H2_IDLE_MS = 60_000;
/** After this many failed HTTP/2 connections in a row, this context stays on HTTP/1.1. */
const H2_MAX_FAILURES = 2;

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'];

/**
 * A proxy is set in the environment: requests may have to go through it. VS Code sends the extension's HTTP/1.1
 * requests through its proxy settings; an HTTP/2 connection would go around it, so such contexts stay on HTTP/1.1.
 */
export function proxyConfigured(env: Readonly<Record<string, string | undefined>>): boolean {
  return PROXY_VARIABLES.some((k) => !!env[k]);
}

export interface TransportOptions {
  /** Multiplexed streams may use HTTP/2 (default true). */
  readonly http2?: boolean;
}

/** One HTTP/2 connection to the apiserver and its open streams. */
interface H2 {
  readonly session: http2.ClientHttp2Session;
  streams: number;
  idle?: NodeJS.Timeout;
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
  /**
   * TLS settings for an HTTP/2 connection; undefined where there is none: plain http, the kubeconfig's proxy-url,
   * or HTTP/2 turned off (TransportOptions.http2: a proxy in VS Code or the environment).
   */
  h2Options?: http2.SecureClientSessionOptions;
  /** The HTTP/2 connection made with these settings (credentials), once asked for. */
  h2?: Promise<H2 | undefined>;
}

const APPLIED_TTL_MS = 5 * 60_000;
const RETRY = fail<never>({ kind: 'unreachable', message: 'retry' });
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
  private readonly _sessions = new Set<http2.ClientHttp2Session>();
  /** HTTP/2 connections that failed in a row; the server's refusal of HTTP/2 counts as many. */
  private _h2Failures = 0;

  constructor(
    readonly config: ContextConfig,
    private readonly _auth: CachingExecAuth,
    private readonly _now: () => number = Date.now,
    private readonly _transportOptions: TransportOptions = {},
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
    for (const s of this._sessions) s.destroy();
    this._sessions.clear();
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
    // The connection's TLS settings (CA, client certificate, server name), for HTTP/1.1 agents and HTTP/2.
    const tls = {
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      pfx: opts.pfx,
      passphrase: opts.passphrase,
      servername: opts.servername,
      ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
    };
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
          : new https.Agent({ keepAlive, ...tls });
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
    const h2Options: http2.SecureClientSessionOptions | undefined =
      this.server.startsWith('https:') && !cluster?.proxyUrl && this._transportOptions.http2 !== false
        ? tls
        : undefined;
    return {
      agent,
      upgradeAgent,
      headers,
      until: Math.min(this._now() + APPLIED_TTL_MS, exp ?? Infinity),
      h2Options,
    };
  }

  /** The HTTP/2 connection for `a`'s credentials, made on first use; undefined: use HTTP/1.1. */
  private async h2(a: Applied): Promise<H2 | undefined> {
    for (;;) {
      if (!a.h2Options || this._h2Failures >= H2_MAX_FAILURES) return undefined;
      const p = (a.h2 ??= this.connectH2(a.h2Options));
      const h = await p;
      if (h && !h.session.closed && !h.session.destroyed) return h;
      // Failed (HTTP/1.1 this time; the next request tries again) or closed since (GOAWAY, idle): a new one.
      if (a.h2 === p) a.h2 = undefined;
      if (!h) return undefined;
    }
  }

  private connectH2(options: http2.SecureClientSessionOptions): Promise<H2 | undefined> {
    return new Promise((resolve) => {
      const session = http2.connect(this.server, {
        ...options,
        settings: { enablePush: false, initialWindowSize: H2_STREAM_WINDOW },
      });
      this._sessions.add(session);
      const h: H2 = { session, streams: 0 };
      let up = false;
      const failed = (refused: boolean) => {
        if (up) return;
        up = true;
        clearTimeout(t);
        this._h2Failures = refused ? H2_MAX_FAILURES : this._h2Failures + 1;
        session.destroy();
        resolve(undefined);
      };
      const t = setTimeout(() => failed(false), H2_CONNECT_MS);
      t.unref();
      // A session's error without a listener would throw in the extension host; its streams report their own.
      // A TLS server without HTTP/2 may refuse the handshake rather than choose HTTP/1.1 (Go's and Node's do).
      session.on('error', (e: NodeJS.ErrnoException) =>
        failed(e.code === 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL'),
      );
      session.on('close', () => {
        clearTimeout(h.idle);
        this._sessions.delete(session);
        failed(false);
      });
      session.once('connect', () => {
        if (up) return;
        // The server chose no protocol: this context stays on HTTP/1.1.
        if (session.alpnProtocol !== 'h2') return failed(true);
        up = true;
        clearTimeout(t);
        this._h2Failures = 0;
        this.idleH2(h);
        resolve(h);
      });
    });
  }

  /** No streams: the connection no longer keeps the process alive, and closes after H2_IDLE_MS. */
  private idleH2(h: H2): void {
    h.session.unref();
    clearTimeout(h.idle);
    h.idle = setTimeout(() => {
      if (h.streams === 0) h.session.close();
    }, H2_IDLE_MS);
    h.idle.unref();
  }

  /** A request on the HTTP/2 connection: its response head, or an error value. */
  private requestH2(
    h: H2,
    method: string,
    url: URL,
    headers: Record<string, string>,
    o: RequestOptions,
  ): Promise<Result<Response>> {
    const head: http2.OutgoingHttpHeaders = { ':method': method, ':path': url.pathname + url.search };
    for (const [k, v] of Object.entries(headers)) head[k.toLowerCase()] = v;
    return new Promise((resolve) => {
      let req: http2.ClientHttp2Stream;
      try {
        req = h.session.request(head, { endStream: true, signal: o.signal });
      } catch (e) {
        // The connection closed meanwhile (e.g. a GOAWAY): ERR_HTTP2_INVALID_SESSION, ERR_HTTP2_GOAWAY_SESSION.
        resolve(fail(classifyError(e, this.server)));
        return;
      }
      h.streams++;
      clearTimeout(h.idle);
      h.session.ref();
      req.on('close', () => {
        if (--h.streams === 0 && !h.session.destroyed) this.idleH2(h);
      });
      let t: NodeJS.Timeout | undefined;
      if (o.headersTimeoutMs) {
        t = setTimeout(
          () => req.destroy(Object.assign(new Error('no response headers'), { code: 'ETIMEDOUT' })),
          o.headersTimeoutMs,
        );
        t.unref();
      }
      const settle = (r: Result<Response>) => {
        clearTimeout(t);
        req.removeListener('error', onError);
        resolve(r);
      };
      const onError = (e: Error) => settle(fail(classifyError(e, this.server)));
      req.on('error', onError);
      req.once('response', (rh) => {
        const { ':status': status, ...rest } = rh;
        settle(ok({ status: Number(status ?? 0), headers: rest as http.IncomingHttpHeaders, body: req }));
      });
    });
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
  ): Promise<Result<Readable>> {
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
    const h2 = o.multiplex && body === undefined ? await this.h2(a) : undefined;
    const res = h2
      ? await this.requestH2(h2, method, url, headers, o)
      : await this.requestH1(a, method, url, headers, body, o, retried);
    if (res === RETRY) return this.open(method, path, o, true, throttled);
    if (!res.ok) return res;
    const { status, headers: rh, body: r } = res.value;
    if (status >= 200 && status < 300) return ok(r);
    const text = await readAll(r).catch(() => '');
    if (status === 401 && !retried && this.config.exec) {
      // An exec credential without expirationTimestamp is cached until the server rejects it.
      this.invalidate();
      return this.open(method, path, o, true);
    }
    if (status === 401) this.invalidate();
    const err = { ...statusFromBody(status, text), retryAfterMs: parseRetryAfter(rh['retry-after']) };
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

  /** A request over HTTP/1.1: its response head, an error value, or RETRY (a kept-alive socket had closed). */
  private requestH1(
    a: Applied,
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: string | undefined,
    o: RequestOptions,
    retried: boolean,
  ): Promise<Result<Response>> {
    const mod = url.protocol === 'http:' ? http : https;
    return new Promise<Result<Response>>((resolve) => {
      // `highWaterMark` (Node >= 15) sizes the new connection's and the response's read buffers.
      const ro: http.RequestOptions & { highWaterMark?: number } = o.readBuffer
        ? { method, headers, agent: a.upgradeAgent, signal: o.signal, highWaterMark: o.readBuffer }
        : { method, headers, agent: a.agent, signal: o.signal };
      const req = mod.request(url, ro, (r) =>
        resolve(ok({ status: r.statusCode ?? 0, headers: r.headers, body: r })),
      );
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
  stream(path: string, o: RequestOptions = {}): Promise<Result<Readable>> {
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

export function readAll(r: Readable): Promise<string> {
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
