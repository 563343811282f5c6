// One line of truth per workload: phase, a human reason, ready/total, requested GPUs and age.
// Each family reader reads status exactly as its operator writes it (sources cited per reader).

/* eslint-disable @typescript-eslint/no-explicit-any -- status blocks are plain API JSON */

import { type KubeObject } from './kube';
import {
  type Condition,
  type MlKindDef,
  type PodRole,
  KUEUE_QUEUE_NAME,
  RAY_GROUP,
  compareRanks,
  compareRoles,
  condition,
  conditions,
  findKindDef,
  groupOf,
  isSpecSuspended,
  isTrue,
  podRole,
  replicaTemplates,
} from './kinds';
import { isGpuResource, parseQuantity, pinnedGpuModel, podGpuRequests } from './resources';
import { parseSchedulingMessage } from './schedulingReasons';

/**
 * Phases, a small fixed set:
 * - run-to-completion kinds (jobs, training, RayJob, Argo, Volcano, Kueue Workload):
 *   Queued (held by Kueue), Pending, Running, Restarting (a training job retrying failed replicas), Succeeded,
 *   Failed, Suspended;
 * - long-running kinds (InferenceService, Notebook, RayCluster, RayService, LWS, queues, CronJob): Ready, NotReady,
 *   Suspended;
 * - any kind: Terminating (deletionTimestamp set), Unknown (no table entry).
 */
export type Phase =
  | 'Queued'
  | 'Pending'
  | 'Running'
  | 'Restarting'
  | 'Succeeded'
  | 'Failed'
  | 'Suspended'
  | 'Ready'
  | 'NotReady'
  | 'Terminating'
  | 'Unknown';

export interface GpuRequest {
  resource: string;
  count: number;
  model?: string;
}

export interface WorkloadSummary {
  phase: Phase;
  /** Short human reason, never repeating the phase: "OOMKilled in worker-2", "BackoffLimitExceeded". */
  reason?: string;
  /** Longer operator or scheduler text behind the reason, for tooltips. */
  message?: string;
  /** Kueue LocalQueue holding or running the workload. */
  queue?: string;
  /** Ready units and expected units: pods for jobs, replicas/groups for long-running kinds, workloads for queues. */
  ready: number;
  total: number;
  /** Total container restarts over the workload's pods. */
  restarts: number;
  /** Requested GPUs: sum over replica templates of replicas x per-pod GPUs (running pods when there is no template). */
  gpus: GpuRequest[];
  age: string;
  /** Serving URL (InferenceService status.url). */
  url?: string;
}

export interface SummaryContext {
  pods: KubeObject[];
  events?: KubeObject[];
  /** Kueue Workloads owned by this workload. */
  workloads?: KubeObject[];
  /** Milliseconds since the epoch; Date.now() when absent. */
  now?: number;
}

// --- Age -------------------------------------------------------------------------------------------------

function ts(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/** kubectl's short duration (k8s.io/apimachinery/pkg/util/duration.HumanDuration): 5s, 3m, 125m, 3h5m, 4d. */
export function formatAge(from: string | number | Date | undefined, now: number | Date = Date.now()): string {
  if (from === undefined) return '<unknown>';
  const f = typeof from === 'string' ? Date.parse(from) : typeof from === 'number' ? from : from.getTime();
  const t = typeof now === 'number' ? now : now.getTime();
  if (Number.isNaN(f)) return '<unknown>';
  const seconds = Math.floor((t - f) / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}

// --- Pods ------------------------------------------------------------------------------------------------

export interface PodSummary extends PodRole {
  name: string;
  namespace?: string;
  /** kubectl's STATUS column: Running, Pending, ContainerCreating, Completed, Error, OOMKilled, CrashLoopBackOff,
   * ImagePullBackOff, Init:0/1, Terminating... */
  phase: string;
  ready: boolean;
  restarts: number;
  node?: string;
  gpus: GpuRequest[];
  /** Why it is not scheduled yet: PodScheduled=False message, else the latest FailedScheduling event. */
  pendingMessage?: string;
  /** Last termination that explains a failure (OOMKilled, Error exit 137...). */
  lastTermination?: string;
}

const WAITING_PROBLEMS = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

/** Whether the pod has ended (it no longer holds resources on its node). */
export function isPodTerminal(pod: KubeObject): boolean {
  const p = pod.status?.phase;
  return p === 'Succeeded' || p === 'Failed';
}

export function isPodReady(pod: KubeObject): boolean {
  return (pod.status?.conditions ?? []).some((c: Condition) => c.type === 'Ready' && c.status === 'True');
}

function restartsOf(pod: KubeObject): number {
  let r = 0;
  for (const cs of pod.status?.containerStatuses ?? []) r += cs?.restartCount ?? 0;
  for (const cs of pod.status?.initContainerStatuses ?? []) r += cs?.restartCount ?? 0;
  return r;
}

/** kubectl get pods STATUS (printPod in kubectl's printers), reduced to what a tree needs. */
function displayPhase(pod: KubeObject): string {
  const st = pod.status ?? {};
  let reason: string = st.reason || st.phase || 'Pending';
  const inits: any[] = pod.spec?.initContainers ?? [];
  let initializing = false;
  const initStatuses: any[] = st.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    const sidecar = inits.find((c) => c?.name === cs?.name)?.restartPolicy === 'Always';
    const term = cs?.state?.terminated;
    if (term && term.exitCode === 0) continue;
    if (sidecar && (cs?.started || cs?.state?.running)) continue;
    if (term) {
      reason = term.reason ? `Init:${term.reason}` : `Init:ExitCode:${term.exitCode}`;
    } else if (cs?.state?.waiting?.reason && cs.state.waiting.reason !== 'PodInitializing') {
      reason = `Init:${cs.state.waiting.reason}`;
    } else {
      reason = `Init:${i}/${inits.length}`;
    }
    initializing = true;
    break;
  }
  if (!initializing) {
    let hasRunning = false;
    const statuses: any[] = st.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      if (cs?.state?.waiting?.reason) reason = cs.state.waiting.reason;
      else if (cs?.state?.terminated?.reason) reason = cs.state.terminated.reason;
      else if (cs?.state?.terminated) reason = `ExitCode:${cs.state.terminated.exitCode}`;
      else if (cs?.ready && cs?.state?.running) hasRunning = true;
    }
    if (reason === 'Completed' && hasRunning) reason = isPodReady(pod) ? 'Running' : 'NotReady';
  }
  if (pod.metadata.deletionTimestamp) reason = st.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

function lastTermination(pod: KubeObject): string | undefined {
  for (const cs of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]) {
    const t = cs?.state?.terminated ?? cs?.lastState?.terminated;
    if (t && (t.reason === 'OOMKilled' || t.exitCode !== 0)) {
      return t.reason && t.reason !== 'Error' ? t.reason : `Error (exit ${t.exitCode})`;
    }
  }
  return undefined;
}

function eventTime(e: KubeObject): number {
  const a = e as any;
  return (
    ts(a.lastTimestamp) ?? ts(a.eventTime) ?? ts(a.series?.lastObservedTime) ?? ts(a.firstTimestamp) ?? 0
  );
}

function eventsFor(pod: KubeObject, events: readonly KubeObject[] | undefined): KubeObject[] {
  if (!events?.length) return [];
  return events.filter((e: any) => {
    const io = e.involvedObject ?? e.regarding;
    if (!io) return false;
    if (io.uid && pod.metadata.uid) return io.uid === pod.metadata.uid;
    return io.kind === 'Pod' && io.name === pod.metadata.name && io.namespace === pod.metadata.namespace;
  });
}

/**
 * The scheduler's message up to the end of its first sentence: without the PostFilter tail ("no new claims to
 * deallocate, preemption: ..."), which repeats the node count, and never cut mid-sentence.
 */
export function shortSchedulerMessage(msg: string): string {
  return parseSchedulingMessage(msg).headline;
}

function gpuList(requests: Record<string, number>, model?: string): GpuRequest[] {
  return Object.entries(requests)
    .filter(([k, v]) => isGpuResource(k) && v > 0)
    .map(([resource, count]) => (model ? { resource, count, model } : { resource, count }));
}

export function podSummary(pod: KubeObject, events?: readonly KubeObject[]): PodSummary {
  const role = podRole(pod);
  const phase = displayPhase(pod);
  let pendingMessage: string | undefined;
  if (pod.status?.phase === 'Pending' || !pod.status?.phase) {
    const sched = (pod.status?.conditions ?? []).find((c: Condition) => c.type === 'PodScheduled');
    if (sched?.status === 'False' && sched.message) pendingMessage = shortSchedulerMessage(sched.message);
    if (!pendingMessage && !pod.spec?.nodeName) {
      const fs = eventsFor(pod, events)
        .filter((e: any) => e.reason === 'FailedScheduling')
        .sort((a, b) => eventTime(b) - eventTime(a))[0] as any;
      if (fs?.message || fs?.note) pendingMessage = shortSchedulerMessage(fs.message ?? fs.note);
    }
  }
  const out: PodSummary = {
    ...role,
    name: pod.metadata.name,
    namespace: pod.metadata.namespace,
    phase,
    ready: isPodReady(pod),
    restarts: restartsOf(pod),
    node: pod.spec?.nodeName || undefined,
    gpus: gpuList(podGpuRequests(pod.spec)),
  };
  if (pendingMessage) out.pendingMessage = pendingMessage;
  const lt = lastTermination(pod);
  if (lt) out.lastTermination = lt;
  return out;
}

export interface RoleGroup {
  role: string;
  pods: KubeObject[];
}

/**
 * Pods grouped by role, leaders first (master, chief, launcher, head, leader...), then workers, each ordered by
 * rank numerically (worker-2 before worker-10). For Ray kinds each worker group is its own role, so a GPU group
 * and a CPU group stay apart.
 */
export function groupPodsByRole(
  kind: Pick<MlKindDef, 'family'> | undefined,
  pods: readonly KubeObject[],
): RoleGroup[] {
  const isRay = kind?.family === 'rayCluster' || kind?.family === 'rayJob' || kind?.family === 'rayService';
  const byRole = new Map<string, { pod: KubeObject; r: PodRole }[]>();
  for (const pod of pods) {
    const r = podRole(pod);
    const role = isRay && r.role === 'worker' ? (pod.metadata.labels?.[RAY_GROUP] ?? 'worker') : r.role;
    let list = byRole.get(role);
    if (!list) byRole.set(role, (list = []));
    list.push({ pod, r });
  }
  return [...byRole.entries()]
    .sort(([a], [b]) =>
      isRay && a !== 'head' && b !== 'head' && a !== 'submitter' && b !== 'submitter'
        ? a < b
          ? -1
          : 1
        : compareRoles(a, b),
    )
    .map(([role, list]) => ({
      role,
      pods: list
        .sort(
          (x, y) =>
            compareRanks(x.r.rank, y.r.rank) ||
            (x.pod.metadata.name < y.pod.metadata.name
              ? -1
              : x.pod.metadata.name > y.pod.metadata.name
                ? 1
                : 0),
        )
        .map((x) => x.pod),
    }));
}

// --- Pod-derived reasons ---------------------------------------------------------------------------------

interface PodIssue {
  severity: number;
  text: string;
  message?: string;
}

/** The most telling pod problem: OOMKilled > CrashLoopBackOff > image/config errors > Error > unschedulable. */
function worstPodIssue(
  pods: readonly KubeObject[],
  events: readonly KubeObject[] | undefined,
  includeEnded: boolean,
): PodIssue | undefined {
  let best: PodIssue | undefined;
  const consider = (i: PodIssue) => {
    if (!best || i.severity > best.severity) best = i;
  };
  for (const pod of pods) {
    // Ended pods of a healthy long-running workload (an earlier CronJob run, a replaced replica) explain nothing now.
    if (!includeEnded && isPodTerminal(pod)) continue;
    const label = podRole(pod).label;
    const statuses: any[] = [
      ...(pod.status?.initContainerStatuses ?? []),
      ...(pod.status?.containerStatuses ?? []),
    ];
    for (const cs of statuses) {
      const term = cs?.state?.terminated;
      const last = cs?.lastState?.terminated;
      if (term?.reason === 'OOMKilled' || last?.reason === 'OOMKilled') {
        consider({ severity: 6, text: `OOMKilled in ${label}` });
      }
      const w = cs?.state?.waiting?.reason;
      if (w === 'CrashLoopBackOff') {
        const detail =
          last?.reason && last.reason !== 'Error' ? last.reason : last ? `exit ${last.exitCode}` : undefined;
        consider({
          severity: 5,
          text: `CrashLoopBackOff in ${label} (${cs.restartCount ?? 0} restarts${detail ? `, ${detail}` : ''})`,
          message: cs.state.waiting.message,
        });
      } else if (w && WAITING_PROBLEMS.has(w)) {
        consider({ severity: 4, text: `${w} in ${label}`, message: cs.state.waiting.message });
      }
      if (term && term.exitCode !== 0 && term.reason !== 'OOMKilled' && pod.status?.phase === 'Failed') {
        consider({
          severity: 3,
          text: `${term.reason && term.reason !== 'Error' ? term.reason : `Error (exit ${term.exitCode})`} in ${label}`,
        });
      }
    }
    if (pod.status?.phase === 'Failed' && pod.status?.reason) {
      consider({ severity: 3, text: `${pod.status.reason} in ${label}`, message: pod.status.message });
    }
    if ((pod.status?.phase ?? 'Pending') === 'Pending' && !pod.spec?.nodeName) {
      const ps = podSummary(pod, events);
      if (ps.pendingMessage) consider({ severity: 2, text: ps.pendingMessage, message: ps.pendingMessage });
    }
  }
  return best;
}

// --- Family readers --------------------------------------------------------------------------------------

interface Base {
  phase: Phase;
  reason?: string;
  /** The reason already comes from the pods (a restart with its count): pod evidence does not replace it. */
  fromPods?: boolean;
  message?: string;
  ready?: number;
  total?: number;
  url?: string;
}

function fromCondition(phase: Phase, c: Condition | undefined): Base {
  const b: Base = { phase };
  if (c?.reason) b.reason = c.reason;
  if (c?.message) b.message = c.message;
  return b;
}

function podsActive(pods: readonly KubeObject[]): { running: number; pending: number } {
  let running = 0;
  let pending = 0;
  for (const p of pods) {
    if (p.status?.phase === 'Running') running++;
    else if (!isPodTerminal(p)) pending++;
  }
  return { running, pending };
}

/**
 * Running once some pod runs, Pending while the live pods all wait (a workload none of whose pods has started is
 * never Running); with no live pods at hand, trust the controller's count of children with ready pods.
 */
function runningOrPending(readyChildren: number, pods: readonly KubeObject[]): Phase {
  const a = podsActive(pods);
  if (a.running > 0) return 'Running';
  if (a.pending > 0) return 'Pending';
  return readyChildren > 0 ? 'Running' : 'Pending';
}

/** A restart counts as recent for this long: the job is still in its retry, not running steadily since. */
const RECENT_RESTART_MS = 10 * 60_000;

interface Restart {
  /** "OOMKilled", "Error (exit 1)". */
  cause: string;
  /** "worker-2". */
  label: string;
  restarts: number;
  /** The restarted container is not running and ready again, or it ended less than RECENT_RESTART_MS ago. */
  recent: boolean;
}

/**
 * The most telling container restarted after a failure, in a live pod (the kubelet restarts a failed container
 * in place under restartPolicy OnFailure/Always: restartCount goes up, lastState keeps why). OOMKilled first,
 * then the most restarts. Crash-looping containers are left to worstPodIssue, which names the back-off.
 */
function restartedAfterFailure(pods: readonly KubeObject[], now: number): Restart | undefined {
  let best: (Restart & { oom: boolean }) | undefined;
  for (const pod of pods) {
    if (isPodTerminal(pod) || pod.metadata.deletionTimestamp) continue;
    for (const cs of [
      ...(pod.status?.initContainerStatuses ?? []),
      ...(pod.status?.containerStatuses ?? []),
    ]) {
      const last = cs?.lastState?.terminated;
      const n: number = cs?.restartCount ?? 0;
      if (!last || n === 0 || (last.reason !== 'OOMKilled' && !last.exitCode)) continue;
      if (cs?.state?.waiting?.reason === 'CrashLoopBackOff') continue;
      const oom = last.reason === 'OOMKilled';
      const ended = ts(last.finishedAt);
      const r = {
        cause: last.reason && last.reason !== 'Error' ? String(last.reason) : `Error (exit ${last.exitCode})`,
        label: podRole(pod).label,
        restarts: n,
        recent:
          !(cs?.ready && cs?.state?.running) || (ended !== undefined && now - ended < RECENT_RESTART_MS),
        oom,
      };
      if (!best || (oom && !best.oom) || (oom === best.oom && n > best.restarts)) best = r;
    }
  }
  return best;
}

const restartText = (r: Restart) => `${r.cause} in ${r.label} (restart ${r.restarts})`;

/**
 * kubeflow/trainer release-1.9 pkg/apis/kubeflow.org/v1/common_types.go JobConditionType; pkg/util/status.go reasons.
 * Under the default restartPolicy OnFailure a failed replica is restarted, not fatal: the kubelet restarts its
 * container in place, and a pod that ends Failed is deleted and recreated by the operator, which sets Restarting
 * (pkg/controller.v1/common/pod.go). Failed comes only with Never, a non-retryable exit code under ExitCode, or
 * an exceeded backoffLimit.
 */
function trainingV1(w: KubeObject, pods: readonly KubeObject[], now: number): Base {
  if (isTrue(w, 'Failed')) return fromCondition('Failed', condition(w, 'Failed'));
  if (isTrue(w, 'Succeeded')) return fromCondition('Succeeded', condition(w, 'Succeeded'));
  if (isTrue(w, 'Suspended') || w.spec?.runPolicy?.suspend === true)
    return { phase: 'Suspended', reason: 'Suspended' };
  const restarted = restartedAfterFailure(pods, now);
  if (isTrue(w, 'Restarting')) {
    // The failed pod is gone (deleted for its replacement); a restarted container still tells why.
    const b: Base = { phase: 'Restarting' };
    if (restarted) {
      b.reason = restartText(restarted);
      b.fromPods = true;
    }
    const msg = condition(w, 'Restarting')?.message;
    if (msg) b.message = msg;
    return b;
  }
  if (isTrue(w, 'Running')) {
    if (restarted)
      return {
        phase: restarted.recent ? 'Restarting' : 'Running',
        reason: restartText(restarted),
        fromPods: true,
      };
    // The operator sets Running once the pods exist; if none is running yet they are still being scheduled.
    // replicaStatuses.active counts Running pods only (training-operator updateJobReplicaStatuses).
    const a = podsActive(pods);
    if (a.running > 0) return { phase: 'Running' };
    if (a.pending > 0) return { phase: 'Pending' };
    const rs = Object.values(w.status?.replicaStatuses ?? {}) as any[];
    // none active and none ever ended: no replica has started
    const started = rs.reduce((n, r) => n + (r?.active ?? 0) + (r?.succeeded ?? 0) + (r?.failed ?? 0), 0);
    return rs.length && started === 0 ? { phase: 'Pending' } : { phase: 'Running' };
  }
  if (isTrue(w, 'Created')) return { phase: 'Pending' };
  return { phase: 'Pending', reason: conditions(w).length ? undefined : 'No status yet' };
}

/** Kubernetes batch/v1 JobStatus: conditions Complete/Failed/Suspended/FailureTarget/SuccessCriteriaMet, counts. */
function batchJob(w: KubeObject, pods: readonly KubeObject[]): Base {
  const s = w.status ?? {};
  for (const t of ['Failed', 'FailureTarget'])
    if (isTrue(w, t)) return fromCondition('Failed', condition(w, t));
  for (const t of ['Complete', 'SuccessCriteriaMet'])
    if (isTrue(w, t)) return fromCondition('Succeeded', condition(w, t));
  if (isTrue(w, 'Suspended') || w.spec?.suspend === true) return { phase: 'Suspended', reason: 'Suspended' };
  if ((s.active ?? 0) > 0) {
    // status.active counts pending pods too and startTime is set when the first pod is created: neither means
    // a pod has started. Running needs a running pod (or, before the pods are seen, a ready one).
    const ready = s.ready ?? 0;
    const a = podsActive(pods);
    if (a.running > 0 || (!a.pending && ready > 0)) return { phase: 'Running', ready };
    return { phase: 'Pending', ready };
  }
  return { phase: 'Pending', reason: w.status ? undefined : 'No status yet' };
}

function cronJob(w: KubeObject, now: number, pods: readonly KubeObject[]): Base {
  if (w.spec?.suspend === true) return { phase: 'Suspended', reason: 'Suspended' };
  const active: unknown[] = w.status?.active ?? [];
  if (active.length) {
    // an active run whose pods all wait is not running yet
    const a = podsActive(pods);
    // pending: leave the reason to the pods (the scheduler's words)
    if (a.running === 0 && a.pending > 0) return { phase: 'Pending' };
    return { phase: 'Running', reason: `${active.length} active` };
  }
  const last = w.status?.lastScheduleTime;
  return {
    phase: 'Ready',
    reason: last ? `last scheduled ${formatAge(last, now)} ago` : `schedule ${w.spec?.schedule ?? ''}`.trim(),
  };
}

/** kubernetes-sigs/jobset api/jobset/v1alpha2/jobset_types.go conditions + replicatedJobsStatus; reasons in pkg/constants. */
function jobSet(w: KubeObject, pods: readonly KubeObject[]): Base {
  if (isTrue(w, 'Failed')) return fromCondition('Failed', condition(w, 'Failed'));
  if (isTrue(w, 'Completed')) return fromCondition('Succeeded', condition(w, 'Completed'));
  if (isTrue(w, 'Suspended') || w.spec?.suspend === true) return { phase: 'Suspended', reason: 'Suspended' };
  // replicatedJobsStatus.active counts child Jobs with pending pods too; ready ones have started
  const rjs: any[] = w.status?.replicatedJobsStatus ?? [];
  const ready = rjs.reduce((a, r) => a + (r?.ready ?? 0), 0);
  const restarts = w.status?.restarts ?? 0;
  const base: Base = { phase: runningOrPending(ready, pods) };
  if (restarts > 0) base.reason = `restarted ${restarts} time${restarts === 1 ? '' : 's'}`;
  if (isTrue(w, 'StartupPolicyInProgress')) base.reason = 'in-order startup in progress';
  return base;
}

/** kubeflow/trainer master pkg/apis/trainer/v1alpha1/trainjob_types.go: Suspended/Complete/Failed + jobsStatus. */
function trainJob(w: KubeObject, pods: readonly KubeObject[]): Base {
  if (isTrue(w, 'Failed')) return fromCondition('Failed', condition(w, 'Failed'));
  if (isTrue(w, 'Complete')) return fromCondition('Succeeded', condition(w, 'Complete'));
  if (isTrue(w, 'Suspended') || w.spec?.suspend === true) return { phase: 'Suspended', reason: 'Suspended' };
  // jobsStatus.active counts child Jobs with running or pending pods; ready ones have started
  const js: any[] = w.status?.jobsStatus ?? [];
  const ready = js.reduce((a, j) => a + (j?.ready ?? 0), 0);
  const base: Base = { phase: runningOrPending(ready, pods) };
  const pct = w.status?.trainerStatus?.progressPercentage;
  if (typeof pct === 'number') base.reason = `${pct}% done`;
  return base;
}

/** ray-project/kuberay ray-operator/apis/ray/v1/rayjob_types.go JobStatus / JobDeploymentStatus. */
function rayJob(w: KubeObject): Base {
  const s = w.status ?? {};
  const dep: string = s.jobDeploymentStatus ?? '';
  const job: string = s.jobStatus ?? '';
  const failed = (reason?: string): Base => {
    const b: Base = { phase: 'Failed' };
    if (reason) b.reason = reason;
    if (s.message) b.message = s.message;
    return b;
  };
  switch (dep) {
    case 'Complete':
      return job === 'SUCCEEDED' ? { phase: 'Succeeded' } : failed(s.reason || `job ${job || 'ended'}`);
    case 'Failed':
    case 'ValidationFailed':
      return failed(s.reason || dep);
    case 'Suspended':
      return { phase: 'Suspended', reason: 'Suspended' };
    case 'Suspending':
      return { phase: 'Suspended', reason: 'Suspending' };
    case 'Retrying':
      return { phase: 'Running', reason: 'Retrying' };
    case 'Running':
      if (job === 'SUCCEEDED') return { phase: 'Succeeded' };
      if (job === 'FAILED' || job === 'STOPPED') return failed(`job ${job}`);
      return { phase: 'Running', reason: job && job !== 'RUNNING' ? `job ${job}` : undefined };
    case 'Waiting':
      return { phase: 'Pending', reason: 'Waiting' };
    case 'Initializing':
      return { phase: 'Pending', reason: 'Initializing Ray cluster' };
    default:
      return w.spec?.suspend === true
        ? { phase: 'Suspended', reason: 'Suspended' }
        : { phase: 'Pending', reason: 'No status yet' };
  }
}

/** kuberay raycluster_types.go: state ready/failed/suspended, conditions HeadPodReady, RayClusterProvisioned, ReplicaFailure. */
function rayCluster(w: KubeObject): Base {
  const s = w.status ?? {};
  const headReady = isTrue(w, 'HeadPodReady');
  const ready = (s.readyWorkerReplicas ?? 0) + (headReady ? 1 : 0);
  // without status yet, total falls back to the spec's replica templates
  const total = typeof s.desiredWorkerReplicas === 'number' ? s.desiredWorkerReplicas + 1 : undefined;
  if (s.state === 'suspended' || isTrue(w, 'RayClusterSuspended'))
    return { phase: 'Suspended', reason: 'Suspended', ready: 0, total };
  if (isTrue(w, 'RayClusterSuspending')) return { phase: 'Suspended', reason: 'Suspending', ready, total };
  if (isTrue(w, 'ReplicaFailure'))
    return { ...fromCondition('NotReady', condition(w, 'ReplicaFailure')), ready, total };
  if (s.state === 'failed') return { phase: 'NotReady', reason: s.reason || 'failed', ready, total };
  // RayClusterProvisioned alone is not trusted: KubeRay 1.6 sets it (once, for good) from its pod cache without
  // counting the pods, so a head already Running before the worker pod reached the cache marks the cluster
  // provisioned while that worker waits unschedulable (seen on the real KubeRay 1.6.2). `state: ready` counts them.
  if (
    s.state === 'ready' ||
    (headReady &&
      isTrue(w, 'RayClusterProvisioned') &&
      (s.readyWorkerReplicas ?? 0) >= (s.desiredWorkerReplicas ?? 0))
  )
    return { phase: 'Ready', ready, total };
  const head = condition(w, 'HeadPodReady');
  if (head && head.status !== 'True') return { ...fromCondition('NotReady', head), ready, total };
  return { phase: 'NotReady', reason: s.state ? undefined : 'Provisioning', ready, total };
}

/** kuberay rayservice_types.go: conditions Ready/UpgradeInProgress/Suspended, legacy serviceStatus. */
function rayService(w: KubeObject): Base {
  if (isTrue(w, 'Suspended')) return { phase: 'Suspended', reason: 'Suspended' };
  if (isTrue(w, 'Suspending')) return { phase: 'Suspended', reason: 'Suspending' };
  const upgrading = isTrue(w, 'UpgradeInProgress') ? 'upgrade in progress' : undefined;
  const ready = condition(w, 'Ready');
  if (ready?.status === 'True' || (!ready && w.status?.serviceStatus === 'Running')) {
    return { phase: 'Ready', reason: upgrading };
  }
  return { ...fromCondition('NotReady', ready), ...(upgrading ? { reason: upgrading } : {}) };
}

/** kubernetes-sigs/lws leaderworkerset_types.go: Available/Progressing/UpdateInProgress, readyReplicas (groups). */
function lws(w: KubeObject): Base {
  const total = w.spec?.replicas ?? 1;
  const ready = w.status?.readyReplicas ?? 0;
  if (isTrue(w, 'Available')) {
    return {
      phase: 'Ready',
      ready,
      total,
      reason: isTrue(w, 'UpdateInProgress') ? 'update in progress' : undefined,
    };
  }
  const p = condition(w, 'Progressing');
  return { ...fromCondition('NotReady', p?.status === 'True' ? p : condition(w, 'Available')), ready, total };
}

/** kserve/kserve pkg/apis/serving/v1beta1/inference_service_status.go: Ready, PredictorReady, IngressReady, Stopped. */
function inferenceService(w: KubeObject): Base {
  const url: string | undefined = w.status?.url;
  if (isTrue(w, 'Stopped')) return { phase: 'Suspended', reason: 'Stopped', url };
  if (isTrue(w, 'Ready')) return { phase: 'Ready', url };
  const order = ['PredictorReady', 'TransformerReady', 'ExplainerReady', 'IngressReady', 'Ready'];
  const bad = order.map((t) => condition(w, t)).find((c) => c && c.status !== 'True');
  const base = fromCondition('NotReady', bad);
  if (bad && !bad.reason) base.reason = `${bad.type} ${bad.status}`;
  const lf = w.status?.modelStatus?.lastFailureInfo;
  if (lf?.reason) base.reason = lf.reason;
  if (lf?.message) base.message = lf.message;
  if (!conditions(w).length) base.reason = 'No status yet';
  if (url) base.url = url;
  return base;
}

/** kubeflow/notebooks notebooks-v1 notebook_types.go: readyReplicas, containerState; the culler's stop annotation. */
function notebook(w: KubeObject): Base {
  if (w.metadata.annotations?.['kubeflow-resource-stopped'])
    return { phase: 'Suspended', reason: 'Stopped', ready: 0, total: 0 };
  const ready = w.status?.readyReplicas ?? 0;
  if (ready >= 1) return { phase: 'Ready', ready, total: 1 };
  const waiting = w.status?.containerState?.waiting;
  const term = w.status?.containerState?.terminated;
  if (waiting?.reason)
    return { phase: 'NotReady', reason: waiting.reason, message: waiting.message, ready, total: 1 };
  if (term?.reason) return { phase: 'NotReady', reason: term.reason, message: term.message, ready, total: 1 };
  return { phase: 'NotReady', ready, total: 1 };
}

/** argoproj/argo-workflows pkg/apis/workflow/v1alpha1/workflow_phase.go + status.message/progress. */
function argoWorkflow(w: KubeObject, pods: readonly KubeObject[]): Base {
  const s = w.status ?? {};
  const prog = /^(\d+)\/(\d+)$/.exec(s.progress ?? '');
  const counts = prog ? { ready: Number(prog[1]), total: Number(prog[2]) } : {};
  const msg: string | undefined = s.message || undefined;
  switch (s.phase) {
    case 'Succeeded':
      return { phase: 'Succeeded', ...counts };
    case 'Failed':
    case 'Error':
      return { phase: 'Failed', reason: msg ?? s.phase, ...counts };
    case 'Running': {
      if (w.spec?.suspend === true) return { phase: 'Suspended', reason: 'Suspended', ...counts };
      // the workflow is Running while its current step's pods wait to be scheduled
      const a = podsActive(pods);
      const phase: Phase = a.running === 0 && a.pending > 0 ? 'Pending' : 'Running';
      return { phase, reason: msg, ...counts };
    }
    case 'Pending':
      return { phase: 'Pending', reason: msg, ...counts };
    default:
      return { phase: 'Pending', reason: 'No status yet' };
  }
}

/** volcano-sh/apis pkg/apis/batch/v1alpha1/job.go JobPhase + running/succeeded/failed counts. */
function volcanoJob(w: KubeObject): Base {
  const s = w.status ?? {};
  const st = s.state ?? {};
  const base = (phase: Phase): Base => {
    const b: Base = { phase, ready: s.running ?? 0 };
    if (st.reason) b.reason = st.reason;
    if (st.message) b.message = st.message;
    return b;
  };
  switch (st.phase) {
    case 'Running':
      return base('Running');
    case 'Restarting':
      return { ...base('Running'), reason: st.reason || 'Restarting' };
    case 'Completing':
    case 'Completed':
      return base('Succeeded');
    case 'Aborting':
    case 'Aborted':
      return { ...base('Suspended'), reason: st.reason || st.phase };
    case 'Terminating':
    case 'Terminated':
    case 'Failed':
      return { ...base('Failed'), reason: st.reason || st.phase };
    case 'Pending':
      return base('Pending');
    default:
      return { phase: 'Pending', reason: 'No status yet' };
  }
}

/** kubernetes-sigs/kueue apis/kueue/v1beta2/workload_types.go: QuotaReserved/Admitted/Finished/Evicted. */
function kueueWorkload(w: KubeObject): Base {
  const fin = condition(w, 'Finished');
  if (fin?.status === 'True') return fromCondition(fin.reason === 'Succeeded' ? 'Succeeded' : 'Failed', fin);
  if (w.spec?.active === false) return { phase: 'Suspended', reason: 'Deactivated' };
  if (isTrue(w, 'Evicted') && !isTrue(w, 'Admitted')) {
    const e = condition(w, 'Evicted');
    return { phase: 'Queued', reason: `Evicted${e?.reason ? ` (${e.reason})` : ''}`, message: e?.message };
  }
  if (isTrue(w, 'Admitted')) {
    const cq = w.status?.admission?.clusterQueue;
    const by = cq ? `admitted by ${cq}` : 'admitted';
    // PodsReady=False (waitForPodsReady): quota is held but the pods have not all started
    const pr = condition(w, 'PodsReady');
    if (pr?.status === 'False')
      return { phase: 'Pending', reason: `${by}, pods not ready`, message: pr.message };
    return { phase: 'Running', reason: by };
  }
  if (isTrue(w, 'QuotaReserved')) return { phase: 'Pending', reason: 'waiting for admission checks' };
  const q = condition(w, 'QuotaReserved');
  return { phase: 'Queued', reason: q?.reason, message: q?.message };
}

/** kueue localqueue_types.go / clusterqueue_types.go: Active condition and workload counts. */
function kueueQueue(w: KubeObject): Base {
  const s = w.status ?? {};
  const pending = s.pendingWorkloads ?? 0;
  const admitted = s.admittedWorkloads ?? 0;
  const active = condition(w, 'Active');
  const counts = `${pending} pending, ${admitted} admitted`;
  if (active && active.status !== 'True') {
    return {
      phase: 'NotReady',
      reason: active.reason ?? 'Inactive',
      message: active.message,
      ready: admitted,
      total: admitted + pending,
    };
  }
  return { phase: active ? 'Ready' : 'Unknown', reason: counts, ready: admitted, total: admitted + pending };
}

// --- summarize -------------------------------------------------------------------------------------------

function requestedGpus(d: MlKindDef, w: KubeObject, pods: readonly KubeObject[]): GpuRequest[] {
  const acc = new Map<string, GpuRequest>();
  const add = (resource: string, count: number, model?: string) => {
    const k = `${resource}\0${model ?? ''}`;
    const g = acc.get(k);
    if (g) g.count += count;
    else acc.set(k, model ? { resource, count, model } : { resource, count });
  };
  if (d.family === 'kueueLocalQueue' || d.family === 'kueueClusterQueue') {
    // flavorsUsage: [{name, resources: [{name, total}]}]; LocalQueue v1beta1 calls it flavorUsage
    for (const f of w.status?.flavorsUsage ?? w.status?.flavorUsage ?? []) {
      for (const r of f?.resources ?? [])
        if (isGpuResource(r?.name ?? '')) add(r.name, parseQuantity(r.total));
    }
    return [...acc.values()];
  }
  const templates = replicaTemplates(d, w);
  if (templates.length) {
    // A template that pins no model (a TrainJob's comes from its runtime, a Kueue flavor's is added at
    // admission) takes the one its live pods agree on, so "2× A100 40GB" is shown rather than "2× gpu".
    let fromPods: string | undefined | null;
    const podModel = (): string | undefined => {
      if (fromPods === undefined) {
        const models = new Set(
          pods
            .filter((p) => !isPodTerminal(p) && Object.keys(podGpuRequests(p.spec)).length > 0)
            .map((p) => pinnedGpuModel(p.spec)),
        );
        const [only] = [...models];
        fromPods = models.size === 1 && only ? only : null;
      }
      return fromPods ?? undefined;
    };
    for (const t of templates) {
      const gpus = Object.entries(podGpuRequests(t.podSpec));
      if (!gpus.length) continue;
      const model = pinnedGpuModel(t.podSpec) ?? podModel();
      for (const [res, count] of gpus) add(res, count * t.replicas, model);
    }
  } else {
    for (const p of pods) {
      if (isPodTerminal(p)) continue;
      const model = pinnedGpuModel(p.spec);
      for (const [res, count] of Object.entries(podGpuRequests(p.spec))) add(res, count, model);
    }
  }
  return [...acc.values()].filter((g) => g.count > 0);
}

function readFamily(d: MlKindDef, w: KubeObject, pods: readonly KubeObject[], now: number): Base {
  switch (d.family) {
    case 'trainingV1':
      return trainingV1(w, pods, now);
    case 'batchJob':
      return batchJob(w, pods);
    case 'cronJob':
      return cronJob(w, now, pods);
    case 'jobset':
      return jobSet(w, pods);
    case 'trainJob':
      return trainJob(w, pods);
    case 'rayJob':
      return rayJob(w);
    case 'rayCluster':
      return rayCluster(w);
    case 'rayService':
      return rayService(w);
    case 'lws':
      return lws(w);
    case 'kserve':
      return inferenceService(w);
    case 'notebook':
      return notebook(w);
    case 'argoWorkflow':
      return argoWorkflow(w, pods);
    case 'volcanoJob':
      return volcanoJob(w);
    case 'kueueWorkload':
      return kueueWorkload(w);
    case 'kueueLocalQueue':
    case 'kueueClusterQueue':
      return kueueQueue(w);
  }
}

const OPERATOR_GENERIC = /^(\w*Job)?(Failed|Succeeded|Running|Created|Restarting)$/;

/** Summarize one workload from its own status plus its pods, events and owned Kueue Workloads. */
export function summarize(workload: KubeObject, ctx: SummaryContext): WorkloadSummary {
  const now = ctx.now ?? Date.now();
  const pods = ctx.pods;
  const d = findKindDef(groupOf(workload.apiVersion), workload.kind);
  const age = formatAge(workload.metadata.creationTimestamp, now);
  const restarts = pods.reduce((a, p) => a + restartsOf(p), 0);
  // A RayJob's submitter pod is not one of the replicas its templates count.
  const readyPods = pods.filter(
    (p) => !isPodTerminal(p) && isPodReady(p) && podRole(p).role !== 'submitter',
  ).length;
  if (!d) {
    return { phase: 'Unknown', ready: readyPods, total: pods.length, restarts, gpus: [], age };
  }
  const base = readFamily(d, workload, pods, now);
  const templates = replicaTemplates(d, workload);
  const expected = templates.reduce((a, t) => a + t.replicas, 0);
  const out: WorkloadSummary = {
    phase: base.phase,
    ready: base.ready ?? readyPods,
    total: base.total ?? (expected || pods.filter((p) => !isPodTerminal(p)).length),
    restarts,
    gpus: requestedGpus(d, workload, pods),
    age,
  };
  if (base.reason) out.reason = base.reason;
  if (base.message) out.message = base.message;
  if (base.url) out.url = base.url;
  if (d.family === 'kueueWorkload' && workload.spec?.queueName) out.queue = workload.spec.queueName;

  // Kueue holds a job by suspending it until its Workload is admitted.
  const queueLabel = workload.metadata.labels?.[KUEUE_QUEUE_NAME];
  const kw = (ctx.workloads ?? []).find((x) => !isTrue(x, 'Finished')) ?? ctx.workloads?.[0];
  if (d.hasPods && (queueLabel || kw)) {
    out.queue = kw?.spec?.queueName ?? queueLabel;
    const admitted = kw ? isTrue(kw, 'Admitted') : false;
    const held = out.phase === 'Suspended' || out.phase === 'Pending' || out.phase === 'Unknown';
    if (!admitted && held && (isSpecSuspended(d, workload) || out.phase === 'Suspended' || kw)) {
      const kwBase = kw ? kueueWorkload(kw) : undefined;
      out.phase = kwBase?.phase === 'Suspended' ? 'Suspended' : 'Queued';
      out.reason = kwBase?.reason ?? 'waiting for Kueue';
      const msg = kwBase?.message;
      if (msg) out.message = msg;
      else delete out.message;
    }
  }
  // Kueue admitted it but no pod has started: say so rather than Running or a bare Pending.
  const admittedNotStarted = d.hasPods && kw && isTrue(kw, 'Admitted') && out.phase === 'Pending';

  // Pod evidence explains generic operator reasons ("PyTorchJobFailed") and pending jobs.
  if (d.hasPods && out.phase !== 'Succeeded' && out.phase !== 'Suspended' && out.phase !== 'Queued') {
    const issue = worstPodIssue(pods, ctx.events, out.phase !== 'Ready');
    if (issue) {
      const generic =
        !out.reason ||
        OPERATOR_GENERIC.test(out.reason) ||
        out.reason === 'No status yet' ||
        out.reason === 'Provisioning';
      const relevant =
        issue.severity > 2 ||
        out.phase === 'Pending' ||
        out.phase === 'NotReady' ||
        out.phase === 'Running' ||
        out.phase === 'Restarting';
      if (relevant && !base.fromPods && (generic || issue.severity >= 5)) {
        if (out.reason && !generic && out.reason !== issue.text)
          out.message = out.message ? `${out.reason}: ${out.message}` : out.reason;
        else if (!out.message && issue.message && issue.message !== issue.text) out.message = issue.message;
        out.reason = issue.text;
      }
    }
  }

  if (admittedNotStarted && out.phase === 'Pending') {
    const cq = kw.status?.admission?.clusterQueue;
    const admitted = `admitted by ${cq ?? 'Kueue'}`;
    if (!out.reason || out.reason === 'No status yet') out.reason = `${admitted}, not scheduled`;
    else if (!out.message || out.message === out.reason) out.message = `Kueue: ${admitted}; ${out.reason}`;
  }

  if (workload.metadata.deletionTimestamp) {
    out.message = out.reason ? `${out.phase}: ${out.reason}` : out.phase;
    out.phase = 'Terminating';
    out.reason = 'Deleting';
  }
  return out;
}

/** "Failed: OOMKilled in worker-2", "Queued in team-a (Kueue): ...", "Running". */
export function statusLine(s: WorkloadSummary): string {
  if (s.phase === 'Queued' && s.queue) {
    const r = s.reason && s.reason !== 'waiting for Kueue' ? `: ${s.reason}` : '';
    return `Queued in ${s.queue} (Kueue)${r}`;
  }
  return s.reason ? `${s.phase}: ${s.reason}` : s.phase;
}

/** "8× nvidia.com/gpu (NVIDIA H100 80GB HBM3)" for each requested GPU kind. */
export function gpuText(gpus: readonly GpuRequest[]): string {
  return gpus.map((g) => `${g.count}× ${g.resource}${g.model ? ` (${g.model})` : ''}`).join(', ');
}

// --- Tooltip ---------------------------------------------------------------------------------------------

function cell(s: unknown): string {
  return String(s ?? '')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ')
    .replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;'));
}

/**
 * Markdown for a workload's hover: status line, GPUs, a conditions table and the latest warning events.
 * Pure string; the view wraps it in a MarkdownString (no HTML, no command links, cells escaped).
 */
export function tooltipMarkdown(
  workload: KubeObject,
  summary: WorkloadSummary,
  events: readonly KubeObject[] = [],
  now: number = Date.now(),
): string {
  const d = findKindDef(groupOf(workload.apiVersion), workload.kind);
  const ns = workload.metadata.namespace ? `${workload.metadata.namespace}/` : '';
  const lines: string[] = [];
  lines.push(`**${cell(d?.displayName ?? workload.kind)}** \`${ns}${workload.metadata.name}\``);
  lines.push('');
  lines.push(`**${cell(statusLine(summary))}**`);
  if (summary.message) lines.push('', cell(summary.message));
  lines.push('');
  const facts = [`Ready: ${summary.ready}/${summary.total}`, `Age: ${summary.age}`];
  if (summary.restarts) facts.push(`Restarts: ${summary.restarts}`);
  if (summary.gpus.length) facts.push(`GPUs: ${cell(gpuText(summary.gpus))}`);
  if (summary.url) facts.push(`URL: ${cell(summary.url)}`);
  lines.push(facts.join(' · '));
  const conds = conditions(workload);
  if (conds.length) {
    lines.push('', '| Condition | Status | Reason | Message | Age |', '|---|---|---|---|---|');
    for (const c of conds) {
      const t = c.lastTransitionTime ?? c.lastUpdateTime;
      lines.push(
        `| ${cell(c.type)} | ${cell(c.status)} | ${cell(c.reason)} | ${cell(c.message)} | ${t ? formatAge(t, now) : ''} |`,
      );
    }
  }
  const warnings = events
    .filter((e: any) => e.type === 'Warning')
    .sort((a, b) => eventTime(b) - eventTime(a))
    .slice(0, 5);
  if (warnings.length) {
    lines.push('', '**Warnings**', '');
    for (const e of warnings as any[]) {
      const count = e.count ?? e.series?.count;
      const io = e.involvedObject ?? e.regarding;
      const who = io?.kind === 'Pod' ? ` ${cell(io.name)}` : '';
      const t = eventTime(e);
      lines.push(
        `- ${t ? formatAge(t, now) : ''} ${cell(e.reason)}${count > 1 ? ` (×${count})` : ''}${who}: ${cell(e.message ?? e.note)}`,
      );
    }
  }
  return lines.join('\n');
}
