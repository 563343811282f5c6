// One TCP stream to a pod's port through the apiserver: a WebSocket to `pods/{name}/portforward` speaking
// v4.channel.k8s.io (kubelet pkg/kubelet/cri/streaming/portforward/websocket.go): every binary message starts
// with a channel byte, 0 = data and 1 = error for the one port; the server's first message on each channel
// carries the port as 2 little-endian bytes. One WebSocket per local connection (pitfall 11), written here
// rather than through client-node's PortForward so that backpressure holds both ways, the refusal keeps the
// apiserver's message (403 names the permission) and the kubelet's error channel becomes the stream's error.
import { Duplex } from 'node:stream';
import { fail, ok, type K8sError, type Result } from './errors';
import type { KubeTransport } from './transport';
import { applyMask, frame, OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT } from './wsFrames';

export interface PodPortTarget {
  readonly namespace: string;
  readonly pod: string;
  readonly port: number;
}

export interface OpenOptions {
  readonly signal?: AbortSignal;
  /** Handshake timeout (ms). */
  readonly timeoutMs?: number;
}

const PROTOCOL = 'v4.channel.k8s.io';
const DATA = 0;
const ERROR = 1;

/**
 * A 403 on pods/portforward naming what is missing. The apiserver authorizes a WebSocket upgrade as "get" (and,
 * with AuthorizePodWebsocketUpgradeCreatePermission, also "create"), kubectl's SPDY as "create": `verbs` are
 * the ones the account lacks, else the verb the apiserver's message names.
 */
export function portForwardForbidden(
  namespace: string,
  serverMessage?: string,
  verbs?: readonly string[],
): K8sError {
  const named = /cannot (\w+) resource "pods\/portforward"/.exec(serverMessage ?? '')?.[1] ?? 'create';
  const missing = verbs && verbs.length ? verbs : [named];
  return {
    kind: 'forbidden',
    status: 403,
    reason: 'Forbidden',
    message:
      `Port-forward is not allowed: your account may not ${missing.join(' or ')} pods/portforward in namespace ${namespace}. ` +
      `Ask for a Role granting ${missing.map((v) => `"${v}"`).join(' and ')} on "pods/portforward" there.`,
  };
}

/** Which of the verbs a WebSocket port-forward may need the account lacks (SelfSubjectAccessReview). */
export async function missingPortForwardVerbs(
  transport: KubeTransport,
  namespace: string,
): Promise<string[] | undefined> {
  const missing: string[] = [];
  for (const verb of ['create', 'get']) {
    const r = await transport.request<{ status?: { allowed?: boolean } }>(
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { verb, resource: 'pods', subresource: 'portforward', namespace } },
        },
        timeoutMs: 10_000,
      },
    );
    if (!r.ok) return undefined;
    if (r.value?.status?.allowed !== true) missing.push(verb);
  }
  return missing;
}

/** The apiserver's refusal of a port-forward upgrade as one clear error: 403 names the verbs, 404 the pod. */
export async function refusal(
  transport: KubeTransport,
  t: { readonly namespace: string; readonly pod: string },
  e: K8sError,
): Promise<K8sError> {
  if (e.kind === 'forbidden')
    return portForwardForbidden(
      t.namespace,
      e.message,
      await missingPortForwardVerbs(transport, t.namespace),
    );
  if (e.kind === 'notFound')
    return { ...e, message: `The pod ${t.namespace}/${t.pod} does not exist (any more).` };
  return e;
}

/** Opens one stream to pod:port. The stream is a Duplex: bytes written go to the pod, bytes read come from it. */
export async function openPodPort(
  transport: KubeTransport,
  t: PodPortTarget,
  o: OpenOptions = {},
): Promise<Result<PodPortStream>> {
  const path = `/api/v1/namespaces/${encodeURIComponent(t.namespace)}/pods/${encodeURIComponent(t.pod)}/portforward`;
  const up = await transport.upgrade(path, {
    query: { ports: t.port },
    protocols: [PROTOCOL],
    signal: o.signal,
    timeoutMs: o.timeoutMs,
  });
  if (!up.ok) return fail(await refusal(transport, t, up.error));
  if (up.value.protocol !== PROTOCOL) {
    up.value.socket.destroy();
    return fail({
      kind: 'server',
      message: `The apiserver chose the port-forward protocol "${up.value.protocol}", which Gantry does not speak.`,
    });
  }
  return ok(new PodPortStream(up.value.socket, up.value.head, t));
}

/** The largest data frame written at once; bigger writes are split so frames interleave with pings. */
const MAX_FRAME = 256 * 1024;

export class PodPortStream extends Duplex {
  private _chunks: Buffer[] = [];
  private _buffered = 0;
  private _fragments: Buffer[] = [];
  private _fragOpcode = 0;
  /** Port-number bytes still to strip from the start of each channel. */
  private readonly _prefix = [2, 2];
  private _errorText = '';
  private _closed = false;
  private _remoteEnded = false;

  constructor(
    private readonly _socket: Duplex,
    head: Buffer,
    readonly target: PodPortTarget,
  ) {
    super({ allowHalfOpen: true });
    _socket.on('data', (c: Buffer) => this.onBytes(c));
    _socket.on('end', () => this.onRemoteEnd());
    _socket.on('close', () => this.onRemoteEnd());
    _socket.on('error', (e: Error) => this.destroy(e));
    (_socket as Duplex & { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true);
    if (head.length) this.onBytes(head);
  }

  /** The kubelet's error text (e.g. "connection refused"), when it sent one. */
  get errorText(): string {
    return this._errorText;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this._closed) return cb(new Error('port-forward stream closed'));
    let okToWrite = true;
    for (let at = 0; at < chunk.length; at += MAX_FRAME) {
      const part = chunk.subarray(at, Math.min(chunk.length, at + MAX_FRAME));
      const payload = Buffer.allocUnsafe(part.length + 1);
      payload[0] = DATA;
      part.copy(payload, 1);
      const [h, p] = frame(OP_BINARY, payload);
      this._socket.cork();
      this._socket.write(h);
      okToWrite = this._socket.write(p);
      this._socket.uncork();
    }
    if (okToWrite) cb();
    else this._socket.once('drain', () => cb());
  }

  override _final(cb: (e?: Error | null) => void): void {
    // v4.channel.k8s.io has no half-close: the pod's side stays readable until it closes.
    cb();
  }

  override _read(): void {
    this._socket.resume();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.closeSocket();
    cb(err);
  }

  private closeSocket(): void {
    if (this._closed) return;
    this._closed = true;
    try {
      const code = Buffer.alloc(2);
      code.writeUInt16BE(1000, 0);
      for (const b of frame(OP_CLOSE, code)) this._socket.write(b);
      this._socket.end();
    } catch {
      // already gone
    }
    // A server that never answers the close frame must not hold the socket.
    setTimeout(() => this._socket.destroy(), 2000).unref();
  }

  private onRemoteEnd(): void {
    if (this._remoteEnded) return;
    this._remoteEnded = true;
    if (this._errorText && !this.destroyed) {
      this.destroy(new Error(this._errorText));
      return;
    }
    this.push(null);
    this.closeSocket();
  }

  private onBytes(c: Buffer): void {
    this._chunks.push(c);
    this._buffered += c.length;
    for (;;) {
      const f = this.takeFrame();
      if (!f) break;
      this.onFrame(f.fin, f.opcode, f.payload);
      if (this.destroyed) return;
    }
  }

  /** Reads the bytes [0, n) across the buffered chunks without consuming them. */
  private peek(n: number): Buffer {
    const first = this._chunks[0];
    if (first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this._chunks, this._buffered).subarray(0, n);
  }

  private consume(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this._chunks[0];
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this._chunks.shift();
      else this._chunks[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this._chunks, this._buffered);
      out = all.subarray(0, n);
      this._chunks = all.length > n ? [all.subarray(n)] : [];
    }
    this._buffered -= n;
    return out;
  }

  private takeFrame(): { fin: boolean; opcode: number; payload: Buffer } | undefined {
    if (this._buffered < 2) return undefined;
    const h = this.peek(2);
    let len = h[1] & 0x7f;
    let headLen = 2;
    if (len === 126) headLen = 4;
    else if (len === 127) headLen = 10;
    const masked = (h[1] & 0x80) !== 0;
    if (masked) headLen += 4;
    if (this._buffered < headLen) return undefined;
    const hh = this.peek(headLen);
    if (len === 126) len = hh.readUInt16BE(2);
    else if (len === 127) len = hh.readUInt32BE(2) * 2 ** 32 + hh.readUInt32BE(6);
    if (this._buffered < headLen + len) return undefined;
    const head = Buffer.from(this.consume(headLen));
    const payload = this.consume(len);
    if (masked) {
      const m = head.readUInt32LE(headLen - 4);
      const copy = Buffer.from(payload);
      applyMask(copy, m);
      return { fin: (head[0] & 0x80) !== 0, opcode: head[0] & 0x0f, payload: copy };
    }
    return { fin: (head[0] & 0x80) !== 0, opcode: head[0] & 0x0f, payload };
  }

  private onFrame(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case OP_PING:
        for (const b of frame(OP_PONG, Buffer.from(payload))) this._socket.write(b);
        return;
      case OP_PONG:
        return;
      case OP_CLOSE:
        this.onRemoteEnd();
        return;
      case OP_CONT:
        this._fragments.push(payload);
        if (fin) {
          const whole = Buffer.concat(this._fragments);
          this._fragments = [];
          this.onMessage(this._fragOpcode, whole);
        }
        return;
      case OP_TEXT:
      case OP_BINARY:
        if (!fin) {
          this._fragOpcode = opcode;
          this._fragments = [payload];
          return;
        }
        this.onMessage(opcode, payload);
        return;
      default:
        this.destroy(new Error(`unexpected WebSocket opcode ${opcode} from the apiserver`));
    }
  }

  private onMessage(_opcode: number, msg: Buffer): void {
    if (msg.length === 0) return;
    const ch = msg[0];
    let data = msg.subarray(1);
    if (ch === DATA || ch === ERROR) {
      const strip = Math.min(this._prefix[ch], data.length);
      this._prefix[ch] -= strip;
      data = data.subarray(strip);
    }
    if (data.length === 0) return;
    if (ch === DATA) {
      if (!this.push(data)) this._socket.pause();
    } else if (ch === ERROR) {
      this._errorText += data.toString('utf8');
    }
  }
}
