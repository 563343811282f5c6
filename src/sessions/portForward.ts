// A port-forward that belongs to a workload, not to a pod: a listener on 127.0.0.1 whose every new connection
// goes to the workload's current Ready pod (a SPDY stream pair on one tunnel per pod, as kubectl does, or one
// v4.channel WebSocket per connection where the apiserver does not tunnel; anything over TCP passes through). When that pod goes away its connections end; new ones wait for the
// replacement and reach it without the user doing anything. Holds a lease on its context's connection.
import * as net from 'node:net';
import { choosePod, isPodReady, localUrl, resolvePort, type Endpoint } from '../core/endpoints';
import type { KubeObject } from '../core/kube';
import { toDisposable, type Disposable } from '../core/lifecycle';
import type { ConnectionLease } from '../k8s/connections';
import type { Result } from '../k8s/errors';
import { openPodPort } from '../k8s/portForward';
import { openPortTunnel, type PortTunnel, type TunnelOpen } from '../k8s/portTunnel';
import type { Duplex } from 'node:stream';
import { BaseSession } from './session';

/** A pod of the workload, as the workload's pod tracker (k8s/workloadPods trackPods) reports it. */
export interface TrackedPodLike {
  readonly pod: KubeObject;
  readonly role: string;
  readonly label: string;
  readonly rank: readonly number[];
}

/** The part of k8s/workloadPods' WorkloadPods the forward uses: the workload's pods, now and later. */
export interface PodTracker extends Disposable {
  ready(): Promise<Result<void>>;
  current(): readonly TrackedPodLike[];
  onDidChange(listener: () => void): Disposable;
  onDidEnd(listener: (reason?: unknown) => void): Disposable;
}

export interface ForwardOptions {
  readonly id: string;
  readonly context: string;
  /** What it targets, for the Sessions view: "Notebook team-a/nb". */
  readonly target: string;
  readonly lease: ConnectionLease;
  /** The workload's pods; the session owns it (disposes it when it ends). */
  readonly pods: PodTracker;
  readonly endpoint: Endpoint;
  /** Local port the user chose; 0 or undefined: a free one. */
  readonly localPort?: number;
  /** How long to wait for a Ready pod before giving up (ms); default 5 minutes. The user can stop sooner. */
  readonly waitTimeoutMs?: number;
  /** WebSocket handshake timeout per connection (ms). */
  readonly connectTimeoutMs?: number;
  /** Where the forward says how it reaches pods (the extension's log). */
  readonly log?: (line: string) => void;
}

/** How connections reach the pod: streams on one SPDY tunnel per pod, or a v4.channel WebSocket each. */
export type ForwardMode = 'spdy-tunnel' | 'v4-websocket';

export type ForwardStartError =
  | { readonly kind: 'portInUse'; readonly port: number; readonly freePort: number; readonly message: string }
  | { readonly kind: 'listen'; readonly port: number; readonly freePort?: number; readonly message: string }
  | { readonly kind: 'ended'; readonly message: string };

export type ForwardStart =
  { readonly ok: true; readonly url: string } | { readonly ok: false; readonly error: ForwardStartError };

interface Link {
  readonly sock: net.Socket;
  stream?: Duplex;
  podUid?: string;
}

const DEFAULT_WAIT_MS = 5 * 60_000;

/** A free TCP port on 127.0.0.1 (asked of the OS). */
export function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export class ForwardSession extends BaseSession {
  private readonly _server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
  private readonly _links = new Set<Link>();
  /** Connections that arrived while no pod was Ready: they go through when one is. */
  private _held: Link[] = [];
  private _chosen: TrackedPodLike | undefined;
  private _everLive = false;
  private _waitTimer: NodeJS.Timeout | undefined;
  private _port = 0;
  /** Counters for tests, the benchmark and the tooltip. */
  readonly stats = { connections: 0, failedConnections: 0, podsUsed: 0, tunnels: 0 };
  private readonly _usedUids = new Set<string>();
  private _lastError: string | undefined;
  private _mode: ForwardMode | undefined;
  private _tunnel: { uid: string; open: Promise<TunnelOpen>; tunnel?: PortTunnel } | undefined;

  constructor(private readonly _o: ForwardOptions) {
    super(_o.id, 'portForward', _o.context, _o.target);
    this.store.add(_o.lease);
    this.store.add(_o.pods);
    this.store.add(
      toDisposable(() => {
        clearTimeout(this._waitTimer);
        this._server.close();
        for (const l of [...this._links]) this.closeLink(l);
        this.dropTunnel();
      }),
    );
    this._server.on('connection', (s: net.Socket) => this.onConnection(s));
  }

  /** Ends the session as failed; the detail line says why (the Sessions view shows the detail). */
  private fail(reason: string): void {
    this.setDetail(reason);
    this.end('failed', reason);
  }

  /** The local port, once listening. */
  get localPort(): number {
    return this._port;
  }

  /** The URL to open (the endpoint's path on the local port); undefined before the listener is up. */
  get url(): string | undefined {
    return this._port ? localUrl(this._port, this._o.endpoint.path) : undefined;
  }

  get endpoint(): Endpoint {
    return this._o.endpoint;
  }

  /** The pod new connections go to now. */
  get pod(): KubeObject | undefined {
    return this._chosen?.pod;
  }

  /** Open local connections. */
  get openConnections(): number {
    return this._links.size;
  }

  /** How connections reach the pod; undefined before the first connection. */
  get mode(): ForwardMode | undefined {
    return this._mode;
  }

  /** The last per-connection failure, for the log (the session itself goes on). */
  get lastError(): string | undefined {
    return this._lastError;
  }

  /**
   * Listens on 127.0.0.1 (never all interfaces), then follows the workload's pods. Resolves once listening
   * (the forward may still be waiting for a Ready pod); a port in use comes back as a value with a free one.
   */
  async start(): Promise<ForwardStart> {
    if (this.isEnded) return { ok: false, error: { kind: 'ended', message: this.endReason ?? 'ended' } };
    const want = this._o.localPort ?? 0;
    const listened = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      const onErr = (e: NodeJS.ErrnoException) => resolve(e);
      this._server.once('error', onErr);
      this._server.listen({ port: want, host: '127.0.0.1', exclusive: true }, () => {
        this._server.off('error', onErr);
        resolve(undefined);
      });
    });
    if (listened) {
      const free = await freeLocalPort().catch(() => undefined);
      const error: ForwardStartError =
        listened.code === 'EADDRINUSE' && free !== undefined
          ? {
              kind: 'portInUse',
              port: want,
              freePort: free,
              message: `Port ${want} on 127.0.0.1 is already in use. Port ${free} is free.`,
            }
          : {
              kind: 'listen',
              port: want,
              ...(free !== undefined ? { freePort: free } : {}),
              message:
                listened.code === 'EACCES'
                  ? `Port ${want} needs privileges on this machine; choose a port above 1023.`
                  : `Cannot listen on 127.0.0.1:${want} (${listened.code ?? listened.message}).`,
            };
      this.fail(error.message);
      return { ok: false, error };
    }
    this._server.on('error', (e: Error) => this.fail(`The local listener failed: ${e.message}`));
    this._port = (this._server.address() as net.AddressInfo).port;
    this.setDetail(`${this.url} · looking for a Ready pod`);
    this.store.add(this._o.pods.onDidChange(() => this.evaluate()));
    this.store.add(
      this._o.pods.onDidEnd((reason) =>
        this.end('ended', typeof reason === 'string' && reason ? reason : `${this.target} is gone`),
      ),
    );
    void this._o.pods.ready().then((r) => {
      if (!r.ok) this.fail(r.error.message);
      else this.evaluate();
    });
    return { ok: true, url: this.url! };
  }

  private readyUids(): Set<string> {
    const out = new Set<string>();
    for (const p of this._o.pods.current())
      if (isPodReady(p.pod) && p.pod.metadata.uid) out.add(p.pod.metadata.uid);
    return out;
  }

  /** Re-reads the workload's pods: ends connections of pods that went, picks the pod for new ones. */
  private evaluate(): void {
    if (this.isEnded) return;
    const ready = this.readyUids();
    for (const l of [...this._links]) if (l.podUid && !ready.has(l.podUid)) this.closeLink(l);
    if (this._tunnel && !ready.has(this._tunnel.uid)) this.dropTunnel();
    const chosen = choosePod(this._o.pods.current(), {
      role: this._o.endpoint.role,
      port: this._o.endpoint.port,
      preferUid: this._chosen?.pod.metadata.uid,
    });
    // Distinct pods: a replacement whose readiness flickers is chosen again after a gap, and is still one pod.
    const uid = chosen?.pod.metadata.uid;
    if (uid) this.stats.podsUsed = this._usedUids.add(uid).size;
    this._chosen = chosen;
    if (chosen) {
      clearTimeout(this._waitTimer);
      this._waitTimer = undefined;
      this._everLive = true;
      this.setState('live', `${this.url} → ${chosen.pod.metadata.name}`);
      const held = this._held;
      this._held = [];
      for (const l of held) void this.connect(l);
      return;
    }
    const which = this._o.endpoint.role ? `a Ready ${this._o.endpoint.role} pod` : 'a Ready pod';
    if (this._everLive) this.setState('reconnecting', `${this.url} · pod gone, waiting for ${which}`);
    else this.setState('waiting', `${this.url} · waiting for ${which}`);
    if (!this._waitTimer) {
      const ms = this._o.waitTimeoutMs ?? DEFAULT_WAIT_MS;
      this._waitTimer = setTimeout(() => {
        this.fail(`No Ready pod of ${this.target} within ${Math.round(ms / 1000)} s.`);
      }, ms);
      this._waitTimer.unref?.();
    }
  }

  private onConnection(sock: net.Socket): void {
    if (this.isEnded) {
      sock.destroy();
      return;
    }
    sock.setNoDelay(true);
    const link: Link = { sock };
    this._links.add(link);
    sock.on('error', () => this.closeLink(link));
    sock.on('close', () => this.closeLink(link));
    if (this._chosen) void this.connect(link);
    else this._held.push(link);
  }

  private async connect(link: Link, retried = false): Promise<void> {
    const chosen = this._chosen;
    if (!chosen || !this._links.has(link)) {
      if (this._links.has(link)) this._held.push(link);
      return;
    }
    const pod = chosen.pod;
    const port = resolvePort(pod, this._o.endpoint.port);
    if (port === undefined) {
      this._lastError = `${pod.metadata.name} has no port named ${String(this._o.endpoint.port)}`;
      this.closeLink(link);
      return;
    }
    link.podUid = pod.metadata.uid;
    const r = await this.openStream(pod, port);
    if (!this._links.has(link) || this.isEnded) {
      if (r.ok) r.value.destroy();
      return;
    }
    if (!r.ok) {
      this.stats.failedConnections++;
      this._lastError = r.error.message;
      if (r.error.kind === 'forbidden' || r.error.kind === 'unauthorized') {
        this.fail(r.error.message);
        return;
      }
      // The pod went between choosing it and connecting: the tracker will say so; try the next pick once.
      if (r.error.kind === 'notFound' && !retried) {
        link.podUid = undefined;
        this._chosen = this._chosen?.pod.metadata.uid === pod.metadata.uid ? undefined : this._chosen;
        if (this._chosen) return this.connect(link, true);
        this._held.push(link);
        return;
      }
      this.closeLink(link);
      return;
    }
    // The pod may have gone while the handshake ran.
    if (link.podUid && !this.readyUids().has(link.podUid)) {
      r.value.destroy();
      link.podUid = undefined;
      this._held.push(link);
      this.evaluate();
      return;
    }
    this.stats.connections++;
    const stream = r.value;
    link.stream = stream;
    stream.on('error', (e: Error) => {
      this._lastError = e.message;
      this.closeLink(link);
    });
    stream.on('close', () => this.closeLink(link));
    // The pod's side ended: finish writing to the client, then close.
    stream.on('end', () => link.sock.end());
    // SPDY streams half-close (the local side's FIN reaches the pod); v4.channel has no half-close.
    link.sock.pipe(stream, { end: this._mode === 'spdy-tunnel' });
    stream.pipe(link.sock, { end: false });
    link.sock.resume();
  }

  private setMode(mode: ForwardMode, why: string): void {
    if (this._mode === mode) return;
    this._mode = mode;
    this._o.log?.(`forward ${this.id}: ${why}`);
  }

  /** One connection to pod:port: a stream pair on the pod's tunnel, else (older apiservers) a v4.channel socket. */
  private async openStream(pod: KubeObject, port: number): Promise<Result<Duplex>> {
    const transport = this._o.lease.connection.transport;
    const namespace = pod.metadata.namespace ?? this._o.endpoint.namespace;
    const timeoutMs = this._o.connectTimeoutMs;
    if (this._mode !== 'v4-websocket') {
      const uid = pod.metadata.uid ?? pod.metadata.name;
      for (let attempt = 0; attempt < 2; attempt++) {
        let t = this._tunnel;
        if (!t || t.uid !== uid || (t.tunnel && !t.tunnel.usable)) {
          this.dropTunnel();
          const open = openPortTunnel(transport, { namespace, pod: pod.metadata.name }, { timeoutMs });
          this.stats.tunnels++;
          const entry: NonNullable<typeof this._tunnel> = { uid, open };
          t = this._tunnel = entry;
          void open.then((r) => {
            if (!r.ok) {
              if (this._tunnel === entry) this._tunnel = undefined;
              return;
            }
            entry.tunnel = r.value;
            if (this._tunnel !== entry || this.isEnded) r.value.close('not needed');
            r.value.onClose(() => {
              if (this._tunnel === entry) this._tunnel = undefined;
            });
          });
        }
        const opened = await t.open;
        if (!opened.ok) {
          if (!opened.unsupported) return opened;
          this.setMode(
            'v4-websocket',
            `the apiserver does not tunnel SPDY (${opened.error.message}); one v4.channel.k8s.io WebSocket per connection`,
          );
          break;
        }
        this.setMode(
          'spdy-tunnel',
          `connections are SPDY/3.1 streams on one ${opened.value.framing === 'spdy' ? 'SPDY upgrade' : 'WebSocket'} per pod (${opened.value.target.pod})`,
        );
        const s = await opened.value.openPort(port, { timeoutMs });
        // A tunnel that closed or went away between the two steps: open a fresh one once.
        if (!s.ok && !opened.value.usable && attempt === 0) continue;
        return s;
      }
    }
    return openPodPort(transport, { namespace, pod: pod.metadata.name, port }, { timeoutMs });
  }

  private dropTunnel(): void {
    const t = this._tunnel;
    this._tunnel = undefined;
    if (!t) return;
    if (t.tunnel) t.tunnel.close('the pod went');
    else void t.open.then((r) => r.ok && r.value.close('not needed'));
  }

  private closeLink(link: Link): void {
    if (!this._links.delete(link)) return;
    this._held = this._held.filter((l) => l !== link);
    link.stream?.destroy();
    link.sock.destroy();
  }
}
