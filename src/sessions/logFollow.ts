// A log stream the user started: one container, one pod, or every pod of a workload (all roles, pods that
// join later, container restarts), merged into one bounded stream of prefixed lines. The editor layer renders
// it (panels/logPanel.ts); this file has no vscode import so cluster tests and the benchmark drive it as-is.
import { containersToFollow, type ContainerChoice } from '../core/containers';
import type { KindRef } from '../core/kube';
import { Emitter, toDisposable, type Disposable } from '../core/lifecycle';
import {
  compareLabels,
  DEFAULT_MAX_LINES,
  DEFAULT_TAIL_LINES,
  events,
  type LogEntry,
  type LogSource,
} from '../core/logMerge';
import { ProgressParser, progressTitle, type TrainingProgress } from '../core/trainingProgress';
import type { ClusterConnection } from '../k8s/connection';
import type { ConnectionLease } from '../k8s/connections';
import { ContainerLogFollower, type FollowState, type PodSource } from '../k8s/podLogs';
import { realTimers, type Backoff, type Timers } from '../k8s/timing';
import { LogRing } from './logsRing';
import { BaseSession } from './session';

import type { PodsTarget, TrackedPod, WorkloadPods } from '../k8s/workloadPods';

export type { PodsTarget, TrackedPod, WorkloadPods };
/** k8s/workloadPods.ts trackPods, injected (the services pass it; tests pass a stand-in). */
export type TrackPods = (
  conn: ClusterConnection,
  target: PodsTarget,
  opts: { kinds?: readonly KindRef[] },
) => WorkloadPods;

export type LogTarget =
  | { readonly type: 'workload'; group: string; kind: string; namespace: string; name: string }
  | { readonly type: 'pod'; namespace: string; name: string }
  | { readonly type: 'container'; namespace: string; name: string; container: string; init?: boolean };

/** What the panel can change; since/tail/previous/containers start the followers again. */
export interface LogOptions extends ContainerChoice {
  /** Lines of history per container (default 300); undefined with `sinceSeconds` unset: 300. */
  readonly tailLines?: number;
  /** History from this many seconds ago (5m, 1h); undefined: `tailLines`. */
  readonly sinceSeconds?: number;
  /** Everything the containers wrote (no tail, no since). */
  readonly all?: boolean;
  readonly previous?: boolean;
}

export interface LogSessionDeps {
  /** The session's own lease on its context's connection; released when it ends. */
  readonly lease: ConnectionLease;
  readonly trackPods: TrackPods;
  /** Kinds the cluster serves (saves trackPods a discovery). */
  readonly kinds?: readonly KindRef[];
  /** Lines kept (setting gantry.logs.maxLines). */
  readonly maxLines?: number;
  /** UTF-8 bytes of text kept (default logsRing.ts DEFAULT_MAX_BYTES). */
  readonly maxBytes?: number;
  readonly timers?: Timers;
  readonly backoff?: Backoff;
  readonly inactivityMs?: number;
  readonly graceMs?: number;
  /** How often a follower reads its stream (podLogs LOG_READ_EVERY_MS unless set). */
  readonly readEveryMs?: number;
}

export function describeLogTarget(t: LogTarget): string {
  switch (t.type) {
    case 'workload':
      return `${t.kind} ${t.namespace}/${t.name}`;
    case 'pod':
      return `Pod ${t.namespace}/${t.name}`;
    case 'container':
      return `Pod ${t.namespace}/${t.name} (${t.container})`;
  }
}

interface Follow {
  readonly follower: ContainerLogFollower;
  readonly source: LogSource;
  readonly uid: string;
  ended: boolean;
  subs: Disposable[];
}

const DETAIL_MS = 500;
/** Progress listeners hear at most this often (the panel's title, the tree row). */
const PROGRESS_MS = 1000;

export class LogSession extends BaseSession {
  readonly ring: LogRing;
  private readonly _onDidAppend = new Emitter<readonly LogEntry[]>();
  private readonly _onDidReset = new Emitter<void>();
  /** New entries, in arrival order (per container: in the container's order). */
  readonly onDidAppend = this._onDidAppend.event;
  /** The ring was cleared or refilled: render it again. */
  readonly onDidReset = this._onDidReset.event;
  private readonly _timers: Timers;
  private readonly _follows = new Map<string, Follow>();
  /** Colour slots by label, in order of first appearance. */
  private readonly _slots = new Map<string, number>();
  /** Pod uids seen, so a later pod says "joined". */
  private readonly _seenPods = new Set<string>();
  private _tracker?: WorkloadPods;
  private _options: LogOptions;
  private _initialDone = false;
  private _targetGone = false;
  private _detailTimer: unknown;
  /** Lines received (event lines not counted). */
  lines = 0;
  /** Brings the panel forward; set by the panel that renders this session. */
  show?: () => void;
  /** Training progress read from the main rank's lines as they stream (core/trainingProgress.ts). */
  private readonly _progress = new ProgressParser();
  private _mainLabel: string | undefined;
  private _progressTimer: unknown;
  private readonly _onDidProgress = new Emitter<void>();
  /** The main rank's progress moved (at most once a second). */
  readonly onDidProgress = this._onDidProgress.event;

  constructor(
    id: string,
    readonly logTarget: LogTarget,
    private readonly _deps: LogSessionDeps,
    options: LogOptions = {},
  ) {
    super(id, 'logs', _deps.lease.connection.context.name, describeLogTarget(logTarget));
    this._timers = _deps.timers ?? realTimers;
    this._options = options;
    this.ring = new LogRing(_deps.maxLines ?? DEFAULT_MAX_LINES, _deps.maxBytes);
    this.store.add(_deps.lease);
    this.store.add(
      toDisposable(() => {
        this.stopFollowers();
        this._timers.clearTimeout(this._detailTimer);
        this._timers.clearTimeout(this._progressTimer);
      }),
    );
  }

  get options(): LogOptions {
    return this._options;
  }

  get connection(): ClusterConnection {
    return this._deps.lease.connection;
  }

  /** Labels of the containers followed so far, in reading order (for the rank filter). */
  labels(): string[] {
    return [...new Set([...this._follows.values()].map((f) => f.source.label))].sort(compareLabels);
  }

  /** Progress of the main rank (master-0, worker-0, head…), from the lines streamed so far. */
  progress(): TrainingProgress | undefined {
    return this._progress.progress();
  }

  /** The panel title's suffix: the loss sparkline and the step ("▇▅▃▂▁ loss 0.41 · step 450/1000"), or ''. */
  progressTitle(): string {
    const p = this._progress.progress();
    return p ? progressTitle(p) : '';
  }

  /** The label whose lines the progress is read from. */
  get progressLabel(): string | undefined {
    return this._mainLabel;
  }

  /** Starts tracking and following; resolves when the first pods are known (or the session failed). */
  async start(): Promise<void> {
    const t = this.logTarget;
    const podsTarget: PodsTarget =
      t.type === 'workload'
        ? { type: 'workload', group: t.group, kind: t.kind, namespace: t.namespace, name: t.name }
        : { type: 'pod', namespace: t.namespace, name: t.name };
    let tracker: WorkloadPods;
    try {
      tracker = this._deps.trackPods(this.connection, podsTarget, { kinds: this._deps.kinds });
    } catch (e) {
      this.end('failed', `Could not follow ${this.target}: ${String(e)}`);
      return;
    }
    if (this.isEnded) {
      tracker.dispose();
      return;
    }
    this._tracker = this.store.add(tracker);
    this.setState('waiting', 'finding pods');
    const r = await tracker.ready();
    if (this.isEnded) return;
    if (!r.ok) {
      this.end('failed', r.error.message);
      return;
    }
    this.store.add(tracker.onDidChange(() => this.sync()));
    this.store.add(
      tracker.onDidEnd(() => {
        this._targetGone = true;
        this.maybeEnd();
      }),
    );
    this.sync();
    this._initialDone = true;
    this.updateState();
  }

  /** Changes what is requested (since, tail, previous, containers): clears and follows again. */
  reconfigure(options: LogOptions): void {
    if (this.isEnded) return;
    this._options = options;
    this.stopFollowers();
    this.ring.clear();
    this.lines = 0;
    this._progress.reset();
    this._mainLabel = undefined;
    this._onDidReset.fire();
    this.sync();
    this.updateState();
  }

  /** Forgets the lines kept so far (the followers go on). */
  clear(): void {
    this.ring.clear();
    this._onDidReset.fire();
  }

  /** Changes the bound (setting changed). */
  setMaxLines(n: number): void {
    this.ring.resize(n);
  }

  private slot(label: string): number {
    let s = this._slots.get(label);
    if (s === undefined) {
      s = this._slots.size;
      this._slots.set(label, s);
    }
    return s;
  }

  /** Starts followers for new pods and containers; followers of gone pods end by themselves. */
  private sync(): void {
    if (this.isEnded || !this._tracker) return;
    const pods = this._tracker.current();
    const t = this.logTarget;
    for (const tp of pods) {
      const uid = tp.pod.metadata.uid ?? `${tp.pod.metadata.namespace}/${tp.pod.metadata.name}`;
      const containers =
        t.type === 'container'
          ? [{ name: t.container, init: !!t.init }]
          : containersToFollow(tp.pod, this._options);
      const several = containers.length > 1;
      const joined = this._initialDone && !this._seenPods.has(uid);
      this._seenPods.add(uid);
      for (const c of containers) {
        const key = `${uid}/${c.init ? 'init:' : ''}${c.name}`;
        if (this._follows.has(key)) continue;
        const label = several ? `${tp.label}/${c.name}` : tp.label;
        const source: LogSource = { label, rank: this.slot(label) };
        if (joined) this.append([events.joined(source, `pod ${tp.pod.metadata.name}`)]);
        this.follow(key, uid, tp, c, source);
      }
    }
    // The main rank is the first in reading order; when it changes (the master joined late) progress restarts.
    const main = this.labels()[0];
    if (main !== this._mainLabel) {
      this._mainLabel = main;
      this._progress.reset();
    }
  }

  private podSource(uid: string): PodSource {
    const tracker = this._tracker!;
    const find = () => tracker.current().find((x) => x.pod.metadata.uid === uid)?.pod;
    return {
      get pod() {
        return find();
      },
      get deleted() {
        return find() === undefined;
      },
      onDidChange: (l) => tracker.onDidChange(() => l()),
    };
  }

  private follow(
    key: string,
    uid: string,
    tp: TrackedPod,
    c: { name: string; init: boolean },
    source: LogSource,
  ): void {
    const o = this._options;
    const history = o.all
      ? {}
      : o.sinceSeconds
        ? { sinceSeconds: o.sinceSeconds }
        : { tailLines: o.tailLines ?? DEFAULT_TAIL_LINES };
    const follower = new ContainerLogFollower(
      this.connection.transport,
      {
        namespace: tp.pod.metadata.namespace ?? '',
        pod: tp.pod.metadata.name,
        container: c.name,
        init: c.init,
      },
      this.podSource(uid),
      {
        ...history,
        previous: o.previous,
        timers: this._deps.timers,
        backoff: this._deps.backoff,
        inactivityMs: this._deps.inactivityMs,
        graceMs: this._deps.graceMs,
        readEveryMs: this._deps.readEveryMs,
      },
    );
    const f: Follow = { follower, source, uid, ended: false, subs: [] };
    f.subs.push(
      follower.onLines((batch) => {
        const entries: LogEntry[] = new Array<LogEntry>(batch.length);
        for (let i = 0; i < batch.length; i++) {
          const l = batch[i]!;
          entries[i] = { source, kind: 'line', text: l.text, ts: l.ts };
        }
        this.lines += batch.length;
        if (source.label === this._mainLabel) {
          for (const l of batch) this._progress.push(l.text);
          this.scheduleProgress();
        }
        this.append(entries);
        this.scheduleDetail();
      }),
      follower.onRestarted((n) => this.append([events.restarted(source, n)])),
      follower.onDidChangeState((s) => this.onFollowState(f, s)),
    );
    this._follows.set(key, f);
    follower.start();
  }

  private onFollowState(f: Follow, s: FollowState): void {
    if (s.state === 'ended') {
      f.ended = true;
      this.append([events.ended(f.source, s.how)]);
      if (s.error?.kind === 'forbidden' || s.error?.kind === 'unauthorized') {
        // Every container of the target is refused alike: say it once and stop.
        this.end('failed', s.how.message ?? s.error.message);
        return;
      }
      this.maybeEnd();
    }
    this.updateState();
  }

  /** A container or pod target ends with its container; a workload with the workload. */
  private maybeEnd(): void {
    if (this.isEnded) return;
    const allEnded = [...this._follows.values()].every((f) => f.ended);
    if (this.logTarget.type !== 'workload') {
      if (this._follows.size > 0 && allEnded) {
        const last = [...this._follows.values()].at(-1)!;
        const how = last.follower.state.state === 'ended' ? last.follower.state.how : {};
        this.end('ended', events.ended(last.source, how).text);
      } else if (this._targetGone && this._follows.size === 0) this.end('ended', 'pod deleted');
      return;
    }
    if (this._targetGone && allEnded) this.end('ended', `${this.logTarget.kind} deleted`);
  }

  private append(entries: LogEntry[]): void {
    for (const e of entries) this.ring.push(e);
    this._onDidAppend.fire(entries);
  }

  private scheduleDetail(): void {
    if (this._detailTimer !== undefined) return;
    this._detailTimer = this._timers.setTimeout(() => {
      this._detailTimer = undefined;
      this.updateState();
    }, DETAIL_MS);
  }

  private scheduleProgress(): void {
    if (this._progressTimer !== undefined || !this._progress.progress()) return;
    this._progressTimer = this._timers.setTimeout(() => {
      this._progressTimer = undefined;
      if (!this.isEnded) this._onDidProgress.fire();
    }, PROGRESS_MS);
  }

  private updateState(): void {
    if (this.isEnded) return;
    const states = [...this._follows.values()].filter((f) => !f.ended).map((f) => f.follower.state);
    const pods = new Set([...this._follows.values()].filter((f) => !f.ended).map((f) => f.uid)).size;
    const lines = `${this.lines.toLocaleString('en-US')} lines`;
    const podsText = this.logTarget.type === 'workload' ? ` · ${pods} pod${pods === 1 ? '' : 's'}` : '';
    const reconnecting = states.find((s) => s.state === 'reconnecting');
    if (reconnecting) {
      this.setState('reconnecting', `${lines}${podsText} · ${reconnecting.message}`);
    } else if (states.some((s) => s.state === 'following')) {
      this.setState('live', `${lines}${podsText}`);
    } else if (states.length > 0) {
      const w = states.find((s) => s.state === 'waiting');
      this.setState('waiting', w?.state === 'waiting' ? `${lines} · ${w.reason}` : lines);
    } else {
      this.setState(
        'waiting',
        `${lines} · ${this._follows.size ? 'all pods ended; new pods join' : 'waiting for pods'}`,
      );
    }
  }

  private stopFollowers(): void {
    for (const f of this._follows.values()) {
      for (const s of f.subs) s.dispose();
      f.follower.dispose();
    }
    this._follows.clear();
  }

  override dispose(): void {
    super.dispose();
    this._onDidProgress.dispose();
    this._onDidAppend.dispose();
    this._onDidReset.dispose();
  }
}
