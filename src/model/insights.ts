// Reads the training logs for the workload rows of one view scope: progress of running training jobs and the
// explanation of a failed or restarting one. Bounded and quiet:
// - a failure or a rank restart reads the tail of each rank once (tailLines, limitBytes, at most MAX_RANKS pods,
//   a few at a time), and only again when the pods' terminations or restart counts change;
// - progress comes from lines already streamed when the user follows the workload's logs, else (setting
//   gantry.insights.followProgress) from one follow of the main rank's container per running training job, at
//   most `maxFollows`, stopped when the job stops running, leaves the view scope or the setting goes off.
// No vscode import: cluster tests drive it with a real ClusterModel.
import { mainContainer } from '../core/containers';
import { explainFailure, type FailureExplanation, type RankLog } from '../core/failureExplain';
import { kindKey, type KubeObject } from '../core/kube';
import { DisposableStore, Emitter, type Disposable } from '../core/lifecycle';
import { compareLabels } from '../core/logMerge';
import { podRole } from '../core/kinds';
import { ProgressParser, type TrainingProgress } from '../core/trainingProgress';
import { podId, ROOT, workloadId, type RowInsight } from '../core/tree';
import type { ClusterConnection } from '../k8s/connection';
import { readLogTail } from '../k8s/logTail';
import { ContainerLogFollower, type PodSource } from '../k8s/podLogs';
import { realTimers, type Timers } from '../k8s/timing';
import { LogSession } from '../sessions/logFollow';
import type { SessionManager } from '../sessions/manager';
import type { ClusterModel } from './clusterModel';

/* eslint-disable @typescript-eslint/no-explicit-any -- pod status JSON */

export interface InsightOptions {
  /** Follow the main rank of running training jobs in view to show their progress (gantry.insights.followProgress). */
  readonly followProgress: boolean;
  /** At most this many of Gantry's own follows at once. */
  readonly maxFollows?: number;
  readonly tailLines?: number;
  readonly limitBytes?: number;
  /** Ranks whose tails are read for one explanation. */
  readonly maxRanks?: number;
  /** Wait this long after a failure shows before reading (the last lines reach the log a moment later). */
  readonly settleMs?: number;
  readonly timers?: Timers;
}

export const DEFAULT_MAX_FOLLOWS = 4;
const MAX_RANKS = 16;
const TAIL_LINES = 200;
const LIMIT_BYTES = 256 * 1024;
const PARALLEL_READS = 4;
/** Explanations read at once (each reads its ranks PARALLEL_READS at a time); the rest wait their turn. */
const PARALLEL_EXPLANATIONS = 2;
/** A failure older than this when the view opens is not read by itself (a namespace of old failed jobs). */
const STALE_MS = 24 * 3600_000;
const PROGRESS_MS = 1000;
/** Operators restart failed replicas without failing the job: these categories get explained and followed. */
const CATEGORIES = new Set(['training', 'batch']);

/** Progress reported by someone else (a log panel the user opened). */
export interface ProgressReport {
  readonly progress: TrainingProgress | undefined;
  readonly from?: string;
}

interface Follow {
  readonly podUid: string;
  readonly label: string;
  readonly follower: ContainerLogFollower;
  readonly parser: ProgressParser;
  readonly sub: Disposable;
}

interface Explained {
  readonly signature: string;
  /** Queued or read for this signature (a stale failure is read only when asked). */
  scheduled: boolean;
  failure?: FailureExplanation;
  /** The tail of the rank the evidence is in (the evidence view shows it). */
  evidenceLines?: readonly string[];
}

/** `w:<Kind.group>:<ns>/<name>` of a workload target (what a log session follows). */
export function workloadIdOf(t: { group: string; kind: string; namespace: string; name: string }): string {
  return workloadId(kindKey({ group: t.group, kind: t.kind }), {
    metadata: { namespace: t.namespace, name: t.name },
  });
}

export class TrainingInsights implements Disposable {
  private readonly _store = new DisposableStore();
  private readonly _onDidChange = new Emitter<readonly string[]>();
  /** Workload ids whose insight changed. */
  readonly onDidChange = this._onDidChange.event;
  private readonly _timers: Timers;
  private readonly _explained = new Map<string, Explained>();
  private readonly _follows = new Map<string, Follow>();
  private readonly _reported = new Map<string, ProgressReport>();
  private readonly _pending = new Set<string>();
  /** Explanations waiting for a turn, and how many run. */
  private readonly _queue: { wid: string; sig: string }[] = [];
  private _running = 0;
  private _reconcileTimer: unknown;
  private _progressTimer: unknown;
  private readonly _progressChanged = new Set<string>();
  private _opts: InsightOptions;
  /** Tail reads made (tests and the bound: one per rank per change). */
  tailReads = 0;

  constructor(
    private readonly _model: ClusterModel,
    private readonly _conn: ClusterConnection,
    opts: InsightOptions,
  ) {
    this._opts = opts;
    this._timers = opts.timers ?? realTimers;
    this._store.add(this._onDidChange);
    this._store.add(_model.onDidChangeWorkloads((ids) => this.schedule(ids)));
    this._store.add(this.onDidChange((ids) => _model.refreshWorkloads(ids)));
    _model.setInsightLookup((wid) => this.get(wid));
    this.schedule([ROOT]);
  }

  /** The insight of a shown workload. */
  get(wid: string): RowInsight | undefined {
    const ex = this._explained.get(wid);
    const reported = this._reported.get(wid);
    const f = this._follows.get(wid);
    const progress = reported?.progress ?? f?.parser.progress();
    const from = reported?.progress ? reported.from : f?.label;
    if (!ex?.failure && !progress) return undefined;
    return {
      ...(ex?.failure ? { failure: ex.failure } : {}),
      ...(progress ? { progress, ...(from ? { progressFrom: from } : {}) } : {}),
    };
  }

  /** The tail lines the explanation's evidence comes from. */
  evidenceOf(wid: string): { failure: FailureExplanation; lines: readonly string[] } | undefined {
    const ex = this._explained.get(wid);
    return ex?.failure ? { failure: ex.failure, lines: ex.evidenceLines ?? [] } : undefined;
  }

  /** Someone looks at this workload (its log panel opened): explain a failure not read yet. */
  request(wid: string): void {
    const ex = this._explained.get(wid);
    if (!ex || ex.scheduled) return;
    ex.scheduled = true;
    this.enqueue(wid, ex.signature);
  }

  /** Gantry's own follows (tests, the bound). */
  get follows(): readonly string[] {
    return [...this._follows.keys()];
  }

  /**
   * A log panel streams this workload: its progress is used, and Gantry's own follow of it stops (one stream of
   * the main rank is enough). `undefined` when the panel closed.
   */
  report(wid: string, r: ProgressReport | undefined): void {
    if (r) {
      this._reported.set(wid, r);
      this.stopFollow(wid);
    } else this._reported.delete(wid);
    this.progressMoved(wid);
    if (!r) this.schedule([wid]);
  }

  setOptions(opts: InsightOptions): void {
    this._opts = { ...opts, timers: this._timers };
    if (!opts.followProgress) for (const wid of [...this._follows.keys()]) this.stopFollow(wid);
    this.schedule([ROOT]);
  }

  // ------------------------------------------------------------------------------------------- reconcile

  private schedule(ids: readonly string[]): void {
    if (this._store.isDisposed) return;
    for (const id of ids) this._pending.add(id);
    if (this._reconcileTimer !== undefined) return;
    this._reconcileTimer = this._timers.setTimeout(() => {
      this._reconcileTimer = undefined;
      this.reconcile();
    }, 300);
  }

  private reconcile(): void {
    const tree = this._model.workloads;
    if (!tree || this._store.isDisposed) return;
    const all = this._pending.has(ROOT);
    const ids = all ? [...tree.index.entries()].map((e) => e.id) : [...this._pending];
    this._pending.clear();
    for (const wid of ids) if (wid.startsWith('w:')) this.check(wid);
    // Follows of workloads that left the view scope.
    for (const wid of [...this._follows.keys()]) if (!tree.index.entry(wid)) this.stopFollow(wid);
    for (const wid of [...this._explained.keys()])
      if (!tree.index.entry(wid)) {
        this._explained.delete(wid);
      }
  }

  private check(wid: string): void {
    const tree = this._model.workloads!;
    const e = tree.index.entry(wid);
    if (!e || tree.index.isHidden(wid) || !CATEGORIES.has(e.kind.category) || !e.kind.hasPods) {
      this.stopFollow(wid);
      return;
    }
    const summary = tree.summary(wid);
    if (!summary) return;
    const pods = tree.podsOf(wid);
    // Failures: once per change of the pods' terminations and restart counts.
    const restarts = pods.reduce((n, p) => n + restartsOf(p), 0);
    if (summary.phase === 'Failed' || summary.phase === 'Restarting' || restarts > 0) {
      const sig = `${summary.phase}|${pods.map(podSignature).sort().join(',')}`;
      const ex = this._explained.get(wid);
      if (ex?.signature !== sig) {
        // Seen for the first time and long over: not worth reading every rank of it unasked.
        const scheduled = !!ex || !isStale(e.object, pods, this._timers.now());
        this._explained.set(wid, {
          signature: sig,
          scheduled,
          ...(ex?.failure ? { failure: ex.failure } : {}),
        });
        if (scheduled) {
          const settle = this._opts.settleMs ?? 1500;
          this._timers.setTimeout(() => this.enqueue(wid, sig), settle);
        }
      }
    }
    // Progress: Gantry's own follow of the main rank of a running job nobody else follows.
    const running = summary.phase === 'Running' || summary.phase === 'Restarting';
    if (!running || !this._opts.followProgress || this._reported.has(wid)) {
      this.stopFollow(wid);
      return;
    }
    const main = mainPod(pods);
    const current = this._follows.get(wid);
    if (current && (!main || main.pod.metadata.uid !== current.podUid)) this.stopFollow(wid);
    if (!main || this._follows.has(wid)) return;
    if (this._follows.size >= (this._opts.maxFollows ?? DEFAULT_MAX_FOLLOWS)) return;
    if (main.pod.status?.phase !== 'Running') return;
    this.startFollow(wid, main.pod, main.label);
  }

  // ------------------------------------------------------------------------------------------ failures

  private enqueue(wid: string, sig: string): void {
    if (this._store.isDisposed) return;
    this._queue.push({ wid, sig });
    this.drain();
  }

  private drain(): void {
    while (this._running < PARALLEL_EXPLANATIONS && this._queue.length) {
      const next = this._queue.shift()!;
      if (this._explained.get(next.wid)?.signature !== next.sig) continue;
      this._running++;
      void this.explain(next.wid, next.sig).finally(() => {
        this._running--;
        this.drain();
      });
    }
  }

  private async explain(wid: string, sig: string): Promise<void> {
    const tree = this._model.workloads;
    if (!tree || this._store.isDisposed || this._explained.get(wid)?.signature !== sig) return;
    const pods = tree.podsOf(wid);
    const ranked = pods
      .map((pod) => ({ pod, label: podRole(pod).label, trouble: troubled(pod) }))
      // Troubled ranks first, then reading order (master first); at most MAX_RANKS.
      .sort((a, b) => Number(b.trouble) - Number(a.trouble) || compareLabels(a.label, b.label))
      .slice(0, this._opts.maxRanks ?? MAX_RANKS);
    const ranks: RankLog[] = new Array<RankLog>(ranked.length);
    let next = 0;
    const worker = async () => {
      while (next < ranked.length) {
        const i = next++;
        ranks[i] = await this.rankLog(ranked[i]!.pod, ranked[i]!.label);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, ranked.length) }, worker));
    const ex = this._explained.get(wid);
    if (this._store.isDisposed || ex?.signature !== sig) return;
    const failure = explainFailure(ranks);
    ex.failure = failure;
    ex.evidenceLines = failure ? ranks.find((r) => r.label === failure.root.label)?.lines : undefined;
    this._onDidChange.fire([wid]);
  }

  private async rankLog(pod: KubeObject, label: string): Promise<RankLog> {
    const container = mainContainer(pod);
    const cs = (pod.status?.containerStatuses ?? []).find((c: any) => c?.name === container);
    const terminated = cs?.state?.terminated;
    const last = cs?.lastState?.terminated;
    const exitState = terminated ?? last;
    const waitingReason: string | undefined = cs?.state?.waiting?.reason;
    const out: { -readonly [K in keyof RankLog]: RankLog[K] } = { label, lines: [] };
    if (exitState)
      out.exit = {
        ...(exitState.reason ? { reason: exitState.reason } : {}),
        ...(typeof exitState.exitCode === 'number' ? { exitCode: exitState.exitCode } : {}),
        ...(exitState.finishedAt ? { finishedAt: exitState.finishedAt } : {}),
        ...(exitState.message ? { message: String(exitState.message) } : {}),
      };
    if (waitingReason && waitingReason !== 'ContainerCreating' && waitingReason !== 'PodInitializing')
      out.waiting = {
        reason: waitingReason,
        ...(cs.state.waiting.message ? { message: cs.state.waiting.message } : {}),
      };
    // A container that never started has no log to read.
    if (!container || (!cs?.state?.running && !terminated && !last)) return out;
    const read = (previous: boolean) => {
      this.tailReads++;
      return readLogTail(
        this._conn.transport,
        { namespace: pod.metadata.namespace ?? '', pod: pod.metadata.name, container },
        {
          tailLines: this._opts.tailLines ?? TAIL_LINES,
          limitBytes: this._opts.limitBytes ?? LIMIT_BYTES,
          previous,
          timers: this._timers,
        },
      );
    };
    // Restarted and running again: the failure is in the previous instance. A runtime that keeps no previous
    // log (the kubelet rotated it away, kwok) answers 400: the current log is the next best.
    const previous = !terminated && !!last;
    let r = await read(previous);
    if (previous && !r.ok && r.error.status === 400) r = await read(false);
    if (r.ok) out.lines = r.value;
    return out;
  }

  // ------------------------------------------------------------------------------------------ progress

  private startFollow(wid: string, pod: KubeObject, label: string): void {
    const tree = this._model;
    const pid = podId(pod);
    const source: PodSource = {
      get pod() {
        return tree.workloads?.index.pod(pid)?.pod;
      },
      get deleted() {
        return !tree.workloads?.index.pod(pid);
      },
      onDidChange: (l) => tree.onDidChangeWorkloads(() => l()),
    };
    const container = mainContainer(pod);
    if (!container) return;
    const follower = new ContainerLogFollower(
      this._conn.transport,
      { namespace: pod.metadata.namespace ?? '', pod: pod.metadata.name, container },
      source,
      // Enough history for the current bar and a few loss points; the rest streams.
      { tailLines: 100, timers: this._timers },
    );
    const parser = new ProgressParser();
    const sub = follower.onLines((batch) => {
      for (const l of batch) parser.push(l.text);
      if (parser.progress()) this.progressMoved(wid);
    });
    this._follows.set(wid, { podUid: pod.metadata.uid ?? pid, label, follower, parser, sub });
    follower.start();
  }

  private stopFollow(wid: string): void {
    const f = this._follows.get(wid);
    if (!f) return;
    this._follows.delete(wid);
    f.sub.dispose();
    f.follower.dispose();
  }

  private progressMoved(wid: string): void {
    this._progressChanged.add(wid);
    if (this._progressTimer !== undefined) return;
    this._progressTimer = this._timers.setTimeout(() => {
      this._progressTimer = undefined;
      const ids = [...this._progressChanged];
      this._progressChanged.clear();
      if (!this._store.isDisposed && ids.length) this._onDidChange.fire(ids);
    }, PROGRESS_MS);
  }

  dispose(): void {
    this._timers.clearTimeout(this._reconcileTimer);
    this._timers.clearTimeout(this._progressTimer);
    for (const wid of [...this._follows.keys()]) this.stopFollow(wid);
    if (!this._model.isDisposed) this._model.setInsightLookup(undefined);
    this._store.dispose();
  }
}

/** The workload's failure is older than STALE_MS: its conditions and its pods' terminations all ended before. */
export function isStale(w: KubeObject, pods: readonly KubeObject[], now: number): boolean {
  let latest = 0;
  const see = (t: unknown) => {
    const ms = typeof t === 'string' ? Date.parse(t) : NaN;
    if (Number.isFinite(ms)) latest = Math.max(latest, ms);
  };
  for (const c of (w.status?.conditions ?? []) as any[]) see(c?.lastTransitionTime);
  for (const p of pods)
    for (const c of (p.status?.containerStatuses ?? []) as any[]) {
      see(c?.state?.terminated?.finishedAt);
      see(c?.lastState?.terminated?.finishedAt);
      see(c?.state?.running?.startedAt);
    }
  return latest > 0 && now - latest > STALE_MS;
}

function restartsOf(pod: KubeObject): number {
  return (pod.status?.containerStatuses ?? []).reduce((n: number, c: any) => n + (c?.restartCount ?? 0), 0);
}

/** What changes when a rank fails or restarts: its uid, restarts, termination and waiting reason. */
function podSignature(pod: KubeObject): string {
  const parts = [pod.metadata.uid ?? pod.metadata.name, pod.status?.phase ?? ''];
  for (const c of (pod.status?.containerStatuses ?? []) as any[]) {
    const t = c?.state?.terminated ?? c?.lastState?.terminated;
    parts.push(
      `${c?.restartCount ?? 0}:${t?.exitCode ?? ''}:${t?.finishedAt ?? ''}:${c?.state?.waiting?.reason ?? ''}`,
    );
  }
  return parts.join('/');
}

function troubled(pod: KubeObject): boolean {
  if (pod.status?.phase === 'Failed') return true;
  return ((pod.status?.containerStatuses ?? []) as any[]).some(
    (c) =>
      (c?.restartCount ?? 0) > 0 ||
      (c?.state?.terminated && c.state.terminated.exitCode !== 0) ||
      /Err|BackOff/.test(c?.state?.waiting?.reason ?? ''),
  );
}

/** The main rank: master-0, chief, launcher, head, else worker-0 (the first in reading order). */
function mainPod(pods: readonly KubeObject[]): { pod: KubeObject; label: string } | undefined {
  let best: { pod: KubeObject; label: string } | undefined;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed')
      continue;
    const label = podRole(pod).label;
    if (!best || compareLabels(label, best.label) < 0) best = { pod, label };
  }
  return best;
}

/**
 * Log panels the user opened report their main rank's progress to the current insights (so Gantry's own follow
 * of that job stops). `insights()` is read each time: a namespace change brings a new view scope.
 */
export function bridgeLogSessions(
  sessions: SessionManager,
  insights: () => TrainingInsights | undefined,
): Disposable {
  const bridged = new Map<string, { wid: string; sub: Disposable }>();
  const sync = () => {
    const target = insights();
    for (const s of sessions.list()) {
      if (!(s instanceof LogSession) || s.logTarget.type !== 'workload') continue;
      const had = bridged.get(s.id);
      if (s.isEnded) {
        if (had) {
          had.sub.dispose();
          bridged.delete(s.id);
          target?.report(had.wid, undefined);
        }
        continue;
      }
      if (had) continue;
      const wid = workloadIdOf(s.logTarget);
      const push = () => insights()?.report(wid, { progress: s.progress(), from: s.progressLabel });
      bridged.set(s.id, { wid, sub: s.onDidProgress(push) });
      push();
    }
    // Sessions removed from the list (cleared) while bridged.
    const live = new Set(sessions.list().map((s) => s.id));
    for (const [id, b] of [...bridged])
      if (!live.has(id)) {
        b.sub.dispose();
        bridged.delete(id);
        target?.report(b.wid, undefined);
      }
  };
  const sub = sessions.onDidChange(sync);
  sync();
  return {
    dispose: () => {
      sub.dispose();
      for (const b of bridged.values()) b.sub.dispose();
      bridged.clear();
    },
  };
}

/** A new view scope: every running log session reports again. */
export function reportAllSessions(sessions: SessionManager, insights: TrainingInsights): void {
  for (const s of sessions.list())
    if (s instanceof LogSession && s.logTarget.type === 'workload' && !s.isEnded)
      insights.report(workloadIdOf(s.logTarget), { progress: s.progress(), from: s.progressLabel });
}
