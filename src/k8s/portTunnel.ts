// Port-forward as kubectl 1.31+ does it (KEP-4006 PortForwardWebsockets): ONE WebSocket to
// `pods/{name}/portforward` with the subprotocol `SPDY/3.1+portforward.k8s.io`, carrying a SPDY/3.1 session whose
// streams are the TCP connections. The apiserver unwraps the WebSocket and passes the SPDY bytes to the kubelet
// (staging apiserver/pkg/util/proxy/streamtunnel.go); the kubelet pairs streams by requestID (kubelet
// cri/streaming/portforward/httpstream.go). Per connection: an "error" stream, which we half-close at once and
// read the kubelet's error text from, and a "data" stream, both with headers streamType, port and requestID.
//
// Why: the v4.channel client (portForward.ts) needs a WebSocket, a TLS handshake and an apiserver proxy per
// TCP connection; here connections are two SYN_STREAMs on a warm session, and frames of all connections share
// WebSocket messages, TLS records and syscalls (bench/forward: the apiserver's CPU per request fell ~3x).
//
// Flow control: our receive windows are 1 GiB (SETTINGS for streams, a WINDOW_UPDATE on stream 0 for the 3.1
// session), replenished with WINDOW_UPDATE at half; a slow local reader pauses the session's socket instead
// (spdystream blocks the same way). A 64 KiB window would cost a WINDOW_UPDATE every 32 KiB that the
// apiserver must carry and the kubelet's spdystream (moby/spdystream) then ignores: it neither honours windows
// nor sends WINDOW_UPDATE. So our send windows are enforced only once the peer shows it does flow control
// (SETTINGS or WINDOW_UPDATE); until then backpressure is TCP's, as with kubectl.
import { Duplex } from 'node:stream';
import { fail, ok, type K8sError, type Result } from './errors';
import { refusal, type OpenOptions } from './portForward';
import {
  controlStreamId,
  controlWord2,
  dataHeader,
  DEFAULT_WINDOW,
  FLAG_FIN,
  FrameReader,
  FrameType,
  goAway,
  HeaderCompressor,
  headerBlock,
  parseSettings,
  ping,
  RstStatus,
  rstStream,
  settings,
  SETTINGS_INITIAL_WINDOW_SIZE,
  synStream,
  windowUpdate,
} from './spdy';
import type { KubeTransport } from './transport';
import {
  binaryMessage,
  frame,
  OP_BINARY,
  OP_CLOSE,
  OP_CONT,
  OP_PING,
  OP_PONG,
  OP_TEXT,
  WsReader,
} from './wsFrames';

export const TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
/** X-Stream-Protocol-Version of the SPDY/3.1 upgrade (kubelet pkg/kubelet/cri/streaming/portforward). */
const SPDY_PROTOCOL = 'portforward.k8s.io';

export interface PodRef {
  readonly namespace: string;
  readonly pod: string;
}

/** A refusal; `unsupported` when the apiserver does not tunnel SPDY (older clusters): use v4.channel. */
export type TunnelOpen =
  | { readonly ok: true; readonly value: PortTunnel }
  | { readonly ok: false; readonly error: K8sError; readonly unsupported: boolean };

/** Opens the session to a pod. Streams to its ports are opened with `openPort`. */
export async function openPortTunnel(
  transport: KubeTransport,
  t: PodRef,
  o: OpenOptions = {},
): Promise<TunnelOpen> {
  const path = `/api/v1/namespaces/${encodeURIComponent(t.namespace)}/pods/${encodeURIComponent(t.pod)}/portforward`;
  const up = await transport.upgrade(path, {
    protocols: [TUNNEL_PROTOCOL],
    signal: o.signal,
    timeoutMs: o.timeoutMs,
  });
  if (!up.ok) {
    const e = up.error;
    // Without PortForwardWebsockets (alpha and off in 1.30) the apiserver hands the request to the kubelet as a
    // plain WebSocket, which refuses it (no ports, unknown protocol): any HTTP answer but 401/403/404 means this
    // apiserver does not tunnel. The same session then goes over SPDY/3.1 itself, as kubectl does it (a 1.30.14
    // apiserver resets a v4.channel WebSocket port-forward, so that is only the last resort).
    const unsupported = e.status !== undefined && ![401, 403, 404].includes(e.status);
    if (unsupported) {
      const spdy = await transport.upgrade(path, {
        protocols: [SPDY_PROTOCOL],
        spdy: true,
        signal: o.signal,
        timeoutMs: o.timeoutMs,
      });
      if (spdy.ok) return { ok: true, value: new PortTunnel(spdy.value.socket, spdy.value.head, t, 'spdy') };
    }
    return { ok: false, error: await refusal(transport, t, e), unsupported };
  }
  if (up.value.protocol !== TUNNEL_PROTOCOL) {
    up.value.socket.destroy();
    return {
      ok: false,
      unsupported: true,
      error: {
        kind: 'server',
        message: `The apiserver chose "${up.value.protocol}" instead of ${TUNNEL_PROTOCOL}.`,
      },
    };
  }
  return { ok: true, value: new PortTunnel(up.value.socket, up.value.head, t) };
}

/** Largest DATA frame we send; kubectl's io.Copy sends 32 KiB. */
const MAX_DATA_FRAME = 64 * 1024;
/** Most bytes of frames put into one WebSocket message. */
const MAX_MESSAGE = 256 * 1024;
/** Above this many queued bytes writers wait for the socket to drain. */
const HIGH_WATER = 1024 * 1024;
/** Bytes a stream buffers for a slow local reader before the session stops reading. */
const READ_HIGH_WATER = 512 * 1024;
/** The receive window we grant per stream and for the session. */
export const RECEIVE_WINDOW = 2 ** 30;
const PING_EVERY_MS = 30_000;
const REPLY_TIMEOUT_MS = 30_000;

export class PortTunnel {
  private readonly _ws = new WsReader();
  private readonly _frames = new FrameReader();
  private readonly _headers = new HeaderCompressor();
  private readonly _streams = new Map<number, SessionStream>();
  private _nextStreamId = 1;
  private _nextRequestId = 0;
  private _nextPingId = 1;
  private _out: Buffer[] = [];
  private _outBytes = 0;
  private _flushScheduled = false;
  private _drainWaiters: (() => void)[] = [];
  private readonly _blocked = new Set<SessionStream>();
  private _closed = false;
  private _closeReason = '';
  private _goneAway = false;
  /** Send windows are enforced only once the peer has shown it does flow control (see the header). */
  peerFlowControl = false;
  initialSendWindow = DEFAULT_WINDOW;
  /** The 3.1 session window counts only once the peer updated it (a SPDY/3 peer never does). */
  sessionFlowControl = false;
  sessionSendWindow = DEFAULT_WINDOW;
  private _sessionRecvUnacked = 0;
  private readonly _closeListeners: ((reason: string) => void)[] = [];
  private readonly _pingTimer: NodeJS.Timeout;
  /** Counters, for debugging and tests. */
  readonly stats = { streams: 0, framesIn: 0, framesOut: 0, messagesOut: 0 };

  constructor(
    private readonly _socket: Duplex,
    head: Buffer,
    readonly target: PodRef,
    /** SPDY inside WebSocket messages (1.31+), or SPDY on the upgraded connection itself (kubectl's way). */
    readonly framing: 'websocket' | 'spdy' = 'websocket',
  ) {
    _socket.on('data', (c: Buffer) => this.onBytes(c));
    _socket.on('end', () => this.onClosed('the apiserver ended the port-forward tunnel'));
    _socket.on('close', () => this.onClosed('the port-forward tunnel closed'));
    _socket.on('error', (e: Error) => this.onClosed(`the port-forward tunnel failed: ${e.message}`));
    (_socket as Duplex & { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true);
    // Keeps the session alive through idle timeouts between here and the kubelet.
    this._pingTimer = setInterval(() => {
      this.send(ping(this._nextPingId));
      this._nextPingId = (this._nextPingId + 2) & 0x7fffffff || 1;
    }, PING_EVERY_MS);
    this._pingTimer.unref();
    this.send(
      settings([{ id: SETTINGS_INITIAL_WINDOW_SIZE, value: RECEIVE_WINDOW }]),
      windowUpdate(0, RECEIVE_WINDOW - DEFAULT_WINDOW),
    );
    if (head.length) this.onBytes(head);
  }

  /** False once closed or after the server's GOAWAY: open new connections on a new tunnel. */
  get usable(): boolean {
    return !this._closed && !this._goneAway;
  }

  get closed(): boolean {
    return this._closed;
  }

  get openStreams(): number {
    return this._streams.size;
  }

  onClose(listener: (reason: string) => void): void {
    if (this._closed) listener(this._closeReason);
    else this._closeListeners.push(listener);
  }

  /**
   * One TCP connection to the pod's port: the error and data streams. Resolves once the kubelet replied to the
   * data stream (bytes written before then would be dropped by spdystream), or with the reason it did not.
   */
  async openPort(port: number, o: { timeoutMs?: number } = {}): Promise<Result<TunnelPortStream>> {
    if (!this.usable)
      return fail({
        kind: 'unreachable',
        message: this._closeReason || 'the port-forward tunnel is going away',
      });
    const requestId = String(this._nextRequestId++);
    const headersFor = (streamType: string) =>
      this._headers.compress(headerBlock({ streamType, port: String(port), requestID: requestId }));
    const errId = this.allocId();
    const dataId = this.allocId();
    const data = new TunnelPortStream(this, dataId, errId, port);
    this._streams.set(errId, data.errorSide);
    this._streams.set(dataId, data);
    this.stats.streams++;
    this.send(synStream(errId, headersFor('error')));
    this.send(synStream(dataId, headersFor('data')));
    const replied = await data.whenReplied(o.timeoutMs ?? REPLY_TIMEOUT_MS);
    if (!replied.ok) {
      data.destroy();
      return replied;
    }
    // The kubelet may have refused (error text, reset) in the same breath as its reply.
    if (data.destroyed)
      return fail({
        kind: 'server',
        message: data.failure ?? `The port-forward stream to port ${port} ended.`,
      });
    data.handedOut = true;
    return ok(data);
  }

  /** Ends every stream and the session (GOAWAY, WebSocket close). */
  close(reason = 'closed'): void {
    if (this._closed) return;
    this.send(goAway(0));
    this.flush();
    try {
      if (this.framing === 'websocket')
        for (const b of frame(OP_CLOSE, Buffer.from([0x03, 0xe8]))) this._socket.write(b);
      this._socket.end();
    } catch {
      // already gone
    }
    setTimeout(() => this._socket.destroy(), 2000).unref();
    this.onClosed(reason);
  }

  private allocId(): number {
    const id = this._nextStreamId;
    this._nextStreamId += 2;
    // Stream ids are 31 bits and never reused: a long-lived session eventually needs a successor.
    if (this._nextStreamId > 0x7ffffff0) this._goneAway = true;
    return id;
  }

  /** Queues a frame (or frame parts); all frames queued in one turn go out as one WebSocket message. */
  send(...parts: Buffer[]): void {
    if (this._closed) return;
    for (const p of parts) {
      this._out.push(p);
      this._outBytes += p.length;
    }
    this.stats.framesOut++;
    if (this._outBytes >= MAX_MESSAGE) this.flush();
    else if (!this._flushScheduled) {
      this._flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Whether writers may go on (queued + unsent socket bytes under the high-water mark). */
  get writable(): boolean {
    return this._outBytes + this._socket.writableLength < HIGH_WATER;
  }

  whenWritable(cb: () => void): void {
    if (this.writable || this._closed) cb();
    else this._drainWaiters.push(cb);
  }

  private flush(): void {
    this._flushScheduled = false;
    if (!this._out.length || this._closed) return;
    const msg =
      this.framing === 'websocket'
        ? binaryMessage(this._out, this._outBytes)
        : Buffer.concat(this._out, this._outBytes);
    this._out = [];
    this._outBytes = 0;
    this.stats.messagesOut++;
    const more = this._socket.write(msg);
    if (!more) this._socket.once('drain', () => this.releaseWriters());
    else this.releaseWriters();
  }

  private releaseWriters(): void {
    while (this._drainWaiters.length && (this.writable || this._closed)) this._drainWaiters.shift()!();
  }

  /** A stream's reader is full: stop reading the session until it drains. */
  block(s: SessionStream): void {
    this._blocked.add(s);
    this._socket.pause();
  }

  unblock(s: SessionStream): void {
    if (this._blocked.delete(s) && this._blocked.size === 0) this._socket.resume();
  }

  /** Receive-side flow control: acknowledge what arrived, per stream and for the session. */
  acknowledge(streamId: number, bytes: number, streamUnacked: number): number {
    this._sessionRecvUnacked += bytes;
    if (this._sessionRecvUnacked >= RECEIVE_WINDOW / 2) {
      this.send(windowUpdate(0, this._sessionRecvUnacked));
      this._sessionRecvUnacked = 0;
    }
    if (streamUnacked >= RECEIVE_WINDOW / 2) {
      this.send(windowUpdate(streamId, streamUnacked));
      return 0;
    }
    return streamUnacked;
  }

  forget(id: number): void {
    const s = this._streams.get(id);
    if (s) this._blocked.delete(s);
    this._streams.delete(id);
    if (this._blocked.size === 0 && !this._closed) this._socket.resume();
  }

  private onBytes(c: Buffer): void {
    if (this.framing === 'spdy') this._frames.push(c);
    else this.readWebSocket(c);
    this.readFrames();
  }

  private readWebSocket(c: Buffer): void {
    this._ws.push(c);
    for (let f = this._ws.next(); f; f = this._ws.next()) {
      switch (f.opcode) {
        case OP_BINARY:
        case OP_TEXT:
        case OP_CONT:
          // Message boundaries mean nothing: the messages together are the SPDY byte stream.
          this._frames.push(f.payload);
          break;
        case OP_PING:
          for (const b of frame(OP_PONG, Buffer.from(f.payload))) this._socket.write(b);
          break;
        case OP_PONG:
          break;
        case OP_CLOSE:
          this.onClosed('the apiserver closed the port-forward tunnel');
          return;
        default:
          this.onClosed(`unexpected WebSocket opcode ${f.opcode} from the apiserver`);
          return;
      }
    }
  }

  private readFrames(): void {
    for (let f = this._frames.next(); f && !this._closed; f = this._frames.next()) {
      this.stats.framesIn++;
      if (f.type === 'data') {
        const s = this._streams.get(f.streamId);
        if (s) s.onData(f.data, f.fin);
        else if (!f.fin) this.send(rstStream(f.streamId, RstStatus.INVALID_STREAM));
        continue;
      }
      this.onControl(f.frameType, f.flags, f.payload);
    }
  }

  private onControl(type: number, flags: number, payload: Buffer): void {
    switch (type) {
      case FrameType.SynReply:
        this._streams.get(controlStreamId(payload))?.onReply((flags & FLAG_FIN) !== 0);
        return;
      case FrameType.RstStream:
        this._streams.get(controlStreamId(payload))?.onReset(controlWord2(payload));
        return;
      case FrameType.Headers:
        if (flags & FLAG_FIN) this._streams.get(controlStreamId(payload))?.onData(Buffer.alloc(0), true);
        return;
      case FrameType.Settings:
        for (const s of parseSettings(payload))
          if (s.id === SETTINGS_INITIAL_WINDOW_SIZE) {
            this.peerFlowControl = true;
            this.initialSendWindow = s.value;
          }
        return;
      case FrameType.Ping: {
        // Even ids are the server's: echo them. Odd ids answer ours.
        const id = payload.readUInt32BE(0);
        if (id % 2 === 0) this.send(ping(id));
        return;
      }
      case FrameType.GoAway:
        this._goneAway = true;
        return;
      case FrameType.WindowUpdate: {
        this.peerFlowControl = true;
        const id = controlStreamId(payload);
        const delta = controlWord2(payload);
        if (id === 0) {
          this.sessionFlowControl = true;
          this.sessionSendWindow += delta;
          for (const s of this._streams.values()) s.onWindow(0);
        } else this._streams.get(id)?.onWindow(delta);
        return;
      }
      case FrameType.SynStream:
        // The kubelet never opens streams toward us.
        this.send(rstStream(controlStreamId(payload), RstStatus.REFUSED_STREAM));
        return;
      default:
        return; // unknown control frames are ignored (SPDY/3 2.2.1)
    }
  }

  private onClosed(reason: string): void {
    if (this._closed) return;
    this._closed = true;
    this._closeReason = reason;
    clearInterval(this._pingTimer);
    this._out = [];
    this._outBytes = 0;
    this._socket.destroy();
    for (const s of [...this._streams.values()]) s.onTunnelClosed(reason);
    this._streams.clear();
    this.releaseWriters();
    for (const l of this._closeListeners.splice(0)) l(reason);
  }
}

/** What the tunnel calls on its streams. */
interface SessionStream {
  onReply(fin: boolean): void;
  onData(data: Buffer, fin: boolean): void;
  onReset(status: number): void;
  onWindow(delta: number): void;
  onTunnelClosed(reason: string): void;
}

/** The error stream of one connection: we half-close it once replied, and collect the kubelet's text. */
class ErrorSide implements SessionStream {
  text = '';
  private _replied = false;
  private _remoteFin = false;
  private _done = false;

  constructor(
    private readonly _tunnel: PortTunnel,
    readonly id: number,
    private readonly _owner: TunnelPortStream,
  ) {}

  onReply(fin: boolean): void {
    if (this._replied) return;
    this._replied = true;
    this._tunnel.send(dataHeader(this.id, 0, true));
    if (fin) this.onData(Buffer.alloc(0), true);
  }

  onData(data: Buffer, fin: boolean): void {
    if (data.length) this.text += data.toString('utf8');
    if (fin && !this._remoteFin) {
      this._remoteFin = true;
      this.finish();
      if (this.text) this._owner.fail(this.text.trim());
    }
  }

  onReset(): void {
    this.finish();
  }

  onWindow(): void {}

  onTunnelClosed(): void {
    this._done = true;
  }

  /** Cancels it if it is still open (the connection ended early). */
  cancel(): void {
    if (this._done) return;
    this._tunnel.send(rstStream(this.id, RstStatus.CANCEL));
    this.finish();
  }

  private finish(): void {
    if (this._done) return;
    this._done = true;
    this._tunnel.forget(this.id);
  }
}

/** One forwarded TCP connection: bytes written go to the pod's port, bytes read come from it. */
export class TunnelPortStream extends Duplex implements SessionStream {
  readonly errorSide: ErrorSide;
  private _replied = false;
  private _replyWaiters: ((r: Result<void>) => void)[] = [];
  private _localFin = false;
  private _remoteFin = false;
  private _gone = false;
  private _recvUnacked = 0;
  private _sendWindow: number;
  private _pending: { chunk: Buffer; cb: (e?: Error | null) => void } | undefined;
  /** Set once openPort returned it: before that nobody listens, and failures come back from openPort. */
  handedOut = false;

  constructor(
    private readonly _tunnel: PortTunnel,
    readonly id: number,
    errorId: number,
    readonly port: number,
  ) {
    // A deep read buffer: one full stream pauses the whole session (all connections), so pause late.
    super({ allowHalfOpen: true, readableHighWaterMark: READ_HIGH_WATER });
    this.errorSide = new ErrorSide(_tunnel, errorId, this);
    this._sendWindow = _tunnel.initialSendWindow;
  }

  /** The kubelet's error text (e.g. "connection refused"), when it sent one. */
  get errorText(): string {
    return this.errorSide.text;
  }

  whenReplied(timeoutMs: number): Promise<Result<void>> {
    if (this._replied) return Promise.resolve(ok(undefined));
    if (this._gone) return Promise.resolve(fail({ kind: 'unreachable', message: 'the stream ended' }));
    return new Promise((resolve) => {
      const t = setTimeout(
        () =>
          resolve(
            fail({
              kind: 'unreachable',
              message: `The kubelet did not answer within ${timeoutMs / 1000} s.`,
            }),
          ),
        timeoutMs,
      );
      t.unref();
      this._replyWaiters.push((r) => {
        clearTimeout(t);
        resolve(r);
      });
    });
  }

  onReply(fin: boolean): void {
    if (this._replied) return;
    this._replied = true;
    for (const w of this._replyWaiters.splice(0)) w(ok(undefined));
    if (fin) this.onData(Buffer.alloc(0), true);
  }

  onData(data: Buffer, fin: boolean): void {
    if (this.destroyed) return;
    if (data.length) {
      this._recvUnacked = this._tunnel.acknowledge(this.id, data.length, this._recvUnacked + data.length);
      if (!this.push(data)) this._tunnel.block(this);
    }
    if (fin && !this._remoteFin) {
      this._remoteFin = true;
      this.push(null);
      if (this._localFin) this.release();
    }
  }

  onReset(status: number): void {
    const text = this.errorSide.text.trim();
    this.release();
    this.fail(text || `the kubelet reset the stream (status ${status})`);
  }

  onWindow(delta: number): void {
    this._sendWindow += delta;
    this.trySend();
  }

  onTunnelClosed(reason: string): void {
    this._gone = true;
    this.fail(reason);
  }

  /** Why it failed before openPort handed it out. */
  failure: string | undefined;

  /** Ends the stream with `reason`: an error for whoever holds it, else openPort's answer. */
  fail(reason: string): void {
    this.failure ??= reason;
    for (const w of this._replyWaiters.splice(0)) w(fail({ kind: 'unreachable', message: reason }));
    this.destroy(this.handedOut ? new Error(reason) : undefined);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this._gone) return cb(new Error('port-forward stream closed'));
    this._pending = { chunk, cb };
    this.trySend();
  }

  /** Sends as much of the pending chunk as the windows allow; calls back once all of it is queued. */
  private trySend(): void {
    const p = this._pending;
    if (!p || this._gone) return;
    let chunk = p.chunk;
    while (chunk.length) {
      let n = Math.min(chunk.length, MAX_DATA_FRAME);
      if (this._tunnel.peerFlowControl) n = Math.min(n, this._sendWindow);
      if (this._tunnel.sessionFlowControl) n = Math.min(n, this._tunnel.sessionSendWindow);
      if (n <= 0) break;
      this._tunnel.send(dataHeader(this.id, n), chunk.subarray(0, n));
      if (this._tunnel.peerFlowControl) this._sendWindow -= n;
      if (this._tunnel.sessionFlowControl) this._tunnel.sessionSendWindow -= n;
      chunk = chunk.subarray(n);
    }
    if (chunk.length) {
      p.chunk = chunk;
      return;
    }
    this._pending = undefined;
    this._tunnel.whenWritable(() => p.cb());
  }

  override _final(cb: (e?: Error | null) => void): void {
    // The local side half-closed: tell the pod (kubectl's dataStream.Close()).
    if (!this._gone) {
      this._localFin = true;
      this._tunnel.send(dataHeader(this.id, 0, true));
      if (this._remoteFin) this.release();
    }
    cb();
  }

  override _read(): void {
    this._tunnel.unblock(this);
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (!this._gone) {
      if (!(this._localFin && this._remoteFin)) this._tunnel.send(rstStream(this.id, RstStatus.CANCEL));
      this.errorSide.cancel();
      this.release();
    }
    for (const w of this._replyWaiters.splice(0))
      w(fail({ kind: 'unreachable', message: 'the stream ended' }));
    this._pending = undefined;
    cb(err);
  }

  private release(): void {
    if (this._gone) return;
    this._gone = true;
    this._tunnel.forget(this.id);
  }
}
