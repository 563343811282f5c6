// Follows the log of one container through the apiserver, for as long as the container may write: waits
// while the pod starts, resumes after a dropped connection from the last timestamp seen with nothing lost or
// repeated, continues across container restarts, and ends with how the container or pod ended. Timestamps
// are always requested (they drive the resume); the caller decides whether to show them. Nothing throws:
// failures end the follow with a message.
import { containerPhase, type ContainerPhase } from '../core/containers';
import type { KubeObject } from '../core/kube';
import { Emitter, type Disposable } from '../core/lifecycle';
import { lastCarriageState, MAX_LINE_CHARS, parseTimestamp, ResumeCursor } from '../core/logMerge';
import type { K8sError } from './errors';
import { INACTIVE_REASON, readLines, type LineStream } from './lineStream';
import { RetryLoop } from './retry';
import { type Backoff, realTimers, type Timers } from './timing';
import type { KubeTransport } from './transport';

export interface ContainerRef {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  /** An init container (its state is read from initContainerStatuses). */
  readonly init?: boolean;
}

export interface PodLogOptions {
  /** Lines of history to start with (first request only). */
  readonly tailLines?: number;
  /** History from this many seconds ago (first request only). */
  readonly sinceSeconds?: number;
  /** The previous (terminated) instance of the container: read it once and end. */
  readonly previous?: boolean;
  readonly timers?: Timers;
  readonly backoff?: Backoff;
  /** A log stream has no heartbeat: renew it after this long without data to notice dead connections. */
  readonly inactivityMs?: number;
  /** How long a deleted pod's or finished container's stream may still deliver before it is closed. */
  readonly graceMs?: number;
  /** Poll interval while the container is waiting to start and the pod source is quiet. */
  readonly waitPollMs?: number;
  /** How long a request may wait for its response headers before it is asked again (default 30 s). */
  readonly headersMs?: number;
  /** Read the stream at most once per this many ms (default LOG_READ_EVERY_MS; 0: every turn of the event loop). */
  readonly readEveryMs?: number;
}

/** The pod a follower reads its container's state from (a watch, or the workload's pod tracker). */
export interface PodSource {
  /** The latest state; undefined until known. */
  readonly pod: KubeObject | undefined;
  /** The pod is gone. */
  readonly deleted: boolean;
  /** The pod's state cannot be read (e.g. watching pods is forbidden): follow without it. */
  readonly unavailable?: boolean;
  onDidChange(listener: () => void): Disposable;
}

export interface LogLine {
  /** Sortable timestamp key (see core/logMerge parseTimestamp). */
  readonly key: string | undefined;
  readonly ts: string | undefined;
  /** The text, a progress bar reduced to its last state. */
  readonly text: string;
}

export interface EndHow {
  readonly reason?: string;
  readonly exitCode?: number;
  readonly message?: string;
}

export type FollowState =
  | { readonly state: 'starting' }
  | { readonly state: 'waiting'; readonly reason: string }
  | { readonly state: 'following' }
  | { readonly state: 'reconnecting'; readonly message: string; readonly attempt: number }
  | { readonly state: 'ended'; readonly how: EndHow; readonly error?: K8sError };

/**
 * A followed log is read at most this often (ms): in a flood each read takes hundreds of lines instead of the
 * few that arrived since the last turn of the event loop (the apiserver flushes line by line), which on an
 * idle machine made the per-read work the largest part of a line's cost. The panel writes every 40 ms anyway.
 */
export const LOG_READ_EVERY_MS = 10;

/**
 * Bytes a followed log's response may hold unread (Node's default is 16 KiB): a quarter of a second of a pod
 * writing 10,000 lines a second, so reading every LOG_READ_EVERY_MS, or a little later on a busy machine, never
 * pauses the connection (each pause blocks the apiserver's writes and costs it a wake-up to resume).
 */
export const LOG_READ_BUFFER = 256 * 1024;

const STOP = 'GantryFollowEnded';
const stopValue: K8sError = { kind: 'cancelled', reason: STOP, message: 'ended' };

function podPath(ref: Pick<ContainerRef, 'namespace' | 'pod'>): string {
  return `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/pods/${encodeURIComponent(ref.pod)}`;
}

export function podLogPath(ref: Pick<ContainerRef, 'namespace' | 'pod'>): string {
  return `${podPath(ref)}/log`;
}

/** A 403 on pods/log, in words that name what is missing. */
export function forbiddenLogMessage(namespace: string): string {
  return `Not allowed to read logs: your account lacks "get pods/log" in namespace ${namespace}.`;
}

export class ContainerLogFollower implements Disposable {
  private readonly _onLines = new Emitter<LogLine[]>();
  private readonly _onDidChangeState = new Emitter<FollowState>();
  private readonly _onRestarted = new Emitter<number>();
  /** Lines in order; never a line twice, none lost across reconnects. */
  readonly onLines = this._onLines.event;
  readonly onDidChangeState = this._onDidChangeState.event;
  /** The container restarted: its restart count. */
  readonly onRestarted = this._onRestarted.event;
  private readonly _loop: RetryLoop;
  private readonly _timers: Timers;
  private readonly _cursor = new ResumeCursor();
  private _state: FollowState = { state: 'starting' };
  private _current?: LineStream;
  /** The request waiting for its response headers. */
  private _opening?: AbortController;
  private _grace: unknown;
  private _restarts: number | undefined;
  private _requests = 0;
  /** A request got its response headers (the history, if any, was served). */
  private _answered = false;
  private _started = false;
  private _disposed = false;
  private _podSub?: Disposable;
  /** Lines delivered. */
  lines = 0;

  constructor(
    private readonly _transport: KubeTransport,
    readonly ref: ContainerRef,
    private readonly _pod: PodSource,
    private readonly _opts: PodLogOptions = {},
  ) {
    this._timers = _opts.timers ?? realTimers;
    this._loop = new RetryLoop({
      timers: this._timers,
      backoff: _opts.backoff,
      onError: (e) => {
        if (e.reason === STOP) return 'stop';
        if (e.kind === 'forbidden') {
          this.end({ message: forbiddenLogMessage(ref.namespace) }, e);
          return 'stop';
        }
        if (
          e.kind === 'notFound' ||
          e.kind === 'invalid' ||
          e.kind === 'unauthorized' ||
          e.kind === 'config'
        ) {
          if (this._pod.deleted || e.kind === 'notFound') this.end({ message: 'pod deleted' });
          else this.end({ message: e.message }, e);
          return 'stop';
        }
        return 'default';
      },
    });
    this._loop.onDidChangeHealth((h) => {
      if (h.state === 'reconnecting')
        this.setState({ state: 'reconnecting', message: h.lastError.message, attempt: h.attempt });
    });
  }

  get state(): FollowState {
    return this._state;
  }

  /** Requests made (tests: a resume is a new request). */
  get requests(): number {
    return this._requests;
  }

  /** Lines dropped at reconnect boundaries as already delivered. */
  get deduplicated(): number {
    return this._cursor.dropped;
  }

  start(): this {
    if (this._started || this._disposed) return this;
    this._started = true;
    this._podSub = this._pod.onDidChange(() => this.onPodChange());
    void this._loop
      .run(() => this.attempt())
      .catch((e: unknown) => {
        this.end({ message: `The log stream failed: ${String(e)}` });
      });
    return this;
  }

  /** Skip a backoff wait and reconnect now. */
  retryNow(): void {
    this._loop.retryNow();
  }

  private setState(s: FollowState): void {
    if (this._state.state === 'ended') return;
    if (s.state === this._state.state && s.state !== 'waiting' && s.state !== 'reconnecting') return;
    if (s.state === 'waiting' && this._state.state === 'waiting' && this._state.reason === s.reason) return;
    this._state = s;
    this._onDidChangeState.fire(s);
  }

  private end(how: EndHow, error?: K8sError): void {
    if (this._state.state === 'ended') return;
    this.setState({ state: 'ended', how, error });
    this.stopWork();
  }

  private phase(): ContainerPhase | 'deleted' | 'unknown' {
    if (this._pod.deleted) return 'deleted';
    const pod = this._pod.pod;
    if (!pod) return this._pod.unavailable ? { kind: 'running', restarts: 0 } : 'unknown';
    return containerPhase(pod, this.ref.container, this.ref.init);
  }

  private noteRestarts(p: ContainerPhase): void {
    if (p.kind === 'missing') return;
    if (this._restarts !== undefined && p.restarts > this._restarts) this._onRestarted.fire(p.restarts);
    if (this._restarts === undefined || p.restarts > this._restarts) this._restarts = p.restarts;
  }

  private onPodChange(): void {
    if (this._disposed || this._state.state === 'ended') return;
    const p = this.phase();
    if (typeof p !== 'string') this.noteRestarts(p);
    if (this._current) {
      // Log streams do not always end with the container (a kubelet stream of a deleted pod may stay open):
      // give the last lines a moment, then close it; the attempt then ends the follow.
      if (p === 'deleted' || (typeof p !== 'string' && p.kind === 'terminated' && p.final)) this.closeSoon();
    } else if (this._opening) {
      // A silent container's request has no headers yet: ask again now, which reads the pod's new state.
      if (p === 'deleted' || (typeof p !== 'string' && p.kind === 'terminated')) this._opening.abort();
    } else {
      this._loop.retryNow(); // wake a wait
    }
  }

  private closeSoon(): void {
    if (this._grace !== undefined) return;
    const cur = this._current;
    this._grace = this._timers.setTimeout(() => {
      this._grace = undefined;
      cur?.abort();
    }, this._opts.graceMs ?? 1000);
  }

  private async wait(reason: string): Promise<undefined> {
    this.setState({ state: 'waiting', reason });
    await this._loop.sleep(this._opts.waitPollMs ?? 2000);
    return undefined;
  }

  private endHowOf(p: ContainerPhase | 'deleted' | 'unknown'): EndHow | undefined {
    if (p === 'deleted') return { message: 'pod deleted' };
    if (typeof p === 'string') return undefined;
    if (p.kind === 'missing') return { message: `the pod has no container ${this.ref.container}` };
    if (p.kind === 'terminated' && p.final) return { reason: p.reason, exitCode: p.exitCode };
    return undefined;
  }

  private async attempt(): Promise<K8sError | undefined> {
    if (this._disposed) return stopValue;
    const p = this.phase();
    if (p === 'deleted' || (typeof p !== 'string' && p.kind === 'missing')) {
      this.end(this.endHowOf(p)!);
      return stopValue;
    }
    if (p === 'unknown') return this.wait('waiting for the pod');
    this.noteRestarts(p);
    if (p.kind === 'waiting' && !this._opts.previous)
      return this.wait(`waiting for the pod to start: ${p.reason}`);
    const finalAtOpen = p.kind === 'terminated' && p.final;

    const query: Record<string, string | number | boolean | undefined> = {
      follow: !this._opts.previous,
      container: this.ref.container,
      timestamps: true,
      previous: this._opts.previous || undefined,
    };
    const resumed = this._cursor.sinceTime;
    if (resumed) {
      query.sinceTime = resumed;
      this._cursor.resume();
    } else if (!this._answered) {
      // The history is asked until a request is answered (one without headers showed nothing).
      query.tailLines = this._opts.tailLines;
      query.sinceSeconds = this._opts.sinceSeconds;
    }
    this._requests++;
    const opened = this._timers.now();
    // The kubelet sends the response headers with the first byte of the log (it writes through a flushing
    // writer and never flushes before), and the apiserver passes them on only then: a container that has
    // printed nothing since `sinceTime` (or at all) keeps the request without headers. That is a silent
    // container, not an unreachable cluster: after headersMs ask again, without the reconnecting state.
    const opening = (this._opening = new AbortController());
    let silent = false;
    const headers = this._timers.setTimeout(() => {
      silent = true;
      opening.abort();
    }, this._opts.headersMs ?? 30_000);
    const res = await this._transport.stream(podLogPath(this.ref), {
      query,
      signal: opening.signal,
      // One HTTP/2 connection for all the followed containers of this context where the apiserver offers it;
      // else a connection of their own with a large read buffer.
      multiplex: true,
      readBuffer: LOG_READ_BUFFER,
    });
    this._timers.clearTimeout(headers);
    this._opening = undefined;
    if (this._disposed) {
      if (res.ok) res.value.destroy();
      return stopValue;
    }
    if (opening.signal.aborted) {
      if (res.ok) res.value.destroy();
      if (!silent) return undefined; // the pod changed meanwhile: the next attempt reads its state
      // Silent, or a cluster that does not answer at all: a small GET tells them apart.
      const probe = await this._transport.get(podPath(this.ref), { timeoutMs: 10_000 });
      if (this._disposed) return stopValue;
      if (!probe.ok) return probe.error;
      this._loop.connected();
      this.setState({ state: 'following' });
      return undefined;
    }
    if (!res.ok) {
      const e = res.error;
      // "container x in pod y is waiting to start: ContainerCreating" / "PodInitializing".
      if (e.status === 400 && /waiting to start|PodInitializing|ContainerCreating/i.test(e.message))
        return this.wait(`waiting for the pod to start`);
      if (e.status === 400 && this._opts.previous) {
        this.end({ message: 'no previous container' });
        return stopValue;
      }
      return e;
    }
    this._answered = true;
    this._loop.connected();
    this.setState({ state: 'following' });
    // A finished container's log is read to its end; servers that keep such a stream open (kwok) are closed
    // once it goes quiet.
    const quiet = finalAtOpen ? (this._opts.graceMs ?? 1000) : (this._opts.inactivityMs ?? 300_000);
    const stream = readLines(
      res.value,
      {
        onFirstData: () => this._loop.dataFlows(),
        onLines: (batch) => this.deliver(batch),
      },
      {
        timers: this._timers,
        inactivityMs: quiet,
        maxLineChars: MAX_LINE_CHARS,
        collapseCarriageReturns: true,
        server: this._transport.server,
        readEveryMs: this._opts.readEveryMs ?? LOG_READ_EVERY_MS,
      },
    );
    this._current = stream;
    if (!finalAtOpen) {
      const now = this.phase();
      if (now === 'deleted' || (typeof now !== 'string' && now.kind === 'terminated' && now.final))
        this.closeSoon();
    }
    const err = await stream.done;
    this._current = undefined;
    if (this._grace !== undefined) this._timers.clearTimeout(this._grace);
    this._grace = undefined;
    if (this._disposed) return stopValue;
    if (err && !(finalAtOpen && err.reason === INACTIVE_REASON)) return err;
    // The stream ended: the container stopped, the pod went away, or the server closed it.
    const after = this.phase();
    const how = this._opts.previous ? { message: 'end of the previous container' } : this.endHowOf(after);
    if (how) {
      this.end(how);
      return stopValue;
    }
    // Still running (the server ended the stream) or restarting: follow again from the last timestamp.
    if (this._timers.now() - opened < 1000) await this._loop.sleep(1000);
    return undefined;
  }

  private deliver(batch: string[]): undefined {
    const out: LogLine[] = [];
    for (const raw of batch) {
      const s = parseTimestamp(raw);
      if (!this._cursor.accept(s.key, s.text)) continue;
      const text = lastCarriageState(s.text);
      // A line without '\r' (nearly all) is delivered as parsed: one object less per line.
      out.push(text === s.text ? s : { key: s.key, ts: s.ts, text });
    }
    if (out.length) {
      this.lines += out.length;
      this._onLines.fire(out);
    }
    return undefined;
  }

  private stopWork(): void {
    this._disposed = true;
    this._podSub?.dispose();
    if (this._grace !== undefined) this._timers.clearTimeout(this._grace);
    this._opening?.abort();
    this._current?.abort();
    this._loop.dispose();
  }

  /** Stops following (no 'ended' state is reported for a dispose). */
  dispose(): void {
    if (this._disposed && this._state.state !== 'ended') return;
    this.stopWork();
    this._onLines.dispose();
    this._onDidChangeState.dispose();
    this._onRestarted.dispose();
  }
}
