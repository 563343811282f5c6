// "Why isn't my job running?": one answer joining the operator's state, Kueue (Workload conditions, the
// ClusterQueue's quota and usage per flavor, the position from the visibility API) and the scheduler's
// FailedScheduling reasons restated against the GPU pool, with the fix when one is clear.

/* eslint-disable @typescript-eslint/no-explicit-any -- operator, Kueue and node JSON */

import { type KubeObject } from './kube';
import { type GpuNode, buildGpuInventory, nodeGpuModel } from './gpu';
import { KUEUE_QUEUE_NAME, condition, findKindDef, groupOf, isTrue, podRole } from './kinds';
import { isGpuResource, parseQuantity, podGpuRequests } from './resources';
import {
  type Placement,
  type Taint,
  affinityMatches,
  placementOf,
  schedNode,
  selectorMatches,
  taintText,
  untoleratedTaint,
} from './scheduling';
import {
  type ParsedSchedulingMessage,
  type SchedulingReason,
  parseSchedulingMessage,
} from './schedulingReasons';
import { type Phase, type WorkloadSummary, isPodTerminal } from './status';

// --- Inputs and outputs ----------------------------------------------------------------------------------

/** A workload's place in its queues, from Kueue's visibility API (positions 1-based here). */
export interface QueuePosition {
  localQueue: string;
  clusterQueue?: string;
  positionInLocalQueue?: number;
  positionInClusterQueue?: number;
  /** How many workloads the visibility answer listed as pending in the LocalQueue. */
  pendingInLocalQueue?: number;
}

export interface KueueFacts {
  /** The workload's Kueue Workload (owned by it). */
  workload?: KubeObject;
  clusterQueues?: readonly KubeObject[];
  /** LocalQueues of the workload's namespace. */
  localQueues?: readonly KubeObject[];
  resourceFlavors?: readonly KubeObject[];
  position?: QueuePosition;
}

export interface WhyInput {
  workload: KubeObject;
  summary: WorkloadSummary;
  /** The workload's pods. */
  pods: readonly KubeObject[];
  /** Events of the workload and its pods. */
  events?: readonly KubeObject[];
  /** All nodes (for taints, labels and allocatable). */
  nodes?: readonly KubeObject[];
  /** GPU nodes with allocation; computed from `nodes` and `allPods` when absent. */
  gpuNodes?: readonly GpuNode[];
  /** Every pod known (for GPU allocation when `gpuNodes` is absent). */
  allPods?: readonly KubeObject[];
  kueue?: KueueFacts;
  /** Related objects: a RayJob's RayCluster, PodGroups, (Cluster)TrainingRuntimes. */
  related?: readonly KubeObject[];
  /** True when `related` holds every (Cluster)TrainingRuntime, so one missing there does not exist. */
  runtimesListed?: boolean;
}

export type WhySource = 'operator' | 'kueue' | 'scheduler' | 'pods';

export interface WhyCause {
  source: WhySource;
  text: string;
}

export interface Toleration {
  key: string;
  operator: 'Exists' | 'Equal';
  value?: string;
  effect: string;
}

export type WhyFix =
  | { kind: 'addToleration'; title: string; toleration: Toleration }
  | { kind: 'setGpusPerPod'; title: string; resource: string; from: number; to: number }
  | { kind: 'setQueue'; title: string; queue: string }
  | { kind: 'setNodeSelector'; title: string; key: string; from: string; choices: string[] }
  | { kind: 'unsuspend'; title: string; path: string[] };

export interface SchedulerVerdict {
  pod: string;
  message: string;
  parsed: ParsedSchedulingMessage;
}

export interface WhyNotRunning {
  /** False when the workload runs or has ended: nothing to explain. */
  applies: boolean;
  phase: Phase;
  /** One short sentence for the tree's status line: "needs 16 GPUs in one pod, nodes have at most 8". */
  short: string;
  /** `${phase}: ${short}` (the tree's status line and the tooltip's first line). */
  headline: string;
  /** Each finding in full, most telling first. */
  causes: WhyCause[];
  fixes: WhyFix[];
  /** The scheduler's raw verdict per pending pod. */
  scheduler: SchedulerVerdict[];
}

// --- Small helpers ---------------------------------------------------------------------------------------

/** 1 -> "1st", 2 -> "2nd", 3 -> "3rd", 11 -> "11th", 22 -> "22nd". */
export function ordinal(n: number): string {
  const t = n % 100;
  if (t >= 11 && t <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "NVIDIA H100 80GB HBM3" -> "H100 80GB", "AMD Instinct MI300X OAM" -> "MI300X": the short name people say. */
export function shortModel(model: string): string {
  const m =
    /\b(H100|H200|B200|B100|GB200|A100|A10G?|A30|A40|L40S?|L4|T4|V100|MI300X|MI250X?|MI325X|MI210)\b/i.exec(
      model,
    );
  if (!m) return model;
  const mem = /\b(\d+GB)\b/i.exec(model.slice(m.index));
  const mig = /\bMIG (\S+)/.exec(model);
  const base = mem && m[1].toUpperCase() !== 'MI300X' ? `${m[1]} ${mem[1]}` : m[1];
  return mig ? `${base} MIG ${mig[1]}` : base;
}

// The scheduler's filters, the same functions the GPUs view and the language server use (core/scheduling).
function untolerated(node: KubeObject, p: Placement): Taint | undefined {
  return untoleratedTaint(schedNode(node), p.tolerations);
}

function placementAllows(node: KubeObject, p: Placement): boolean {
  const sn = schedNode(node);
  return selectorMatches(sn, p.nodeSelector) && affinityMatches(sn, p.requiredTerms);
}

function nodeLabel(node: KubeObject | undefined, g: GpuNode | undefined): string {
  const model = g?.model || (node ? nodeGpuModel(node) : '');
  return model ? `the ${shortModel(model)} node` : `node ${node?.metadata.name ?? g?.name}`;
}

function ts(e: any): number {
  for (const k of ['lastTimestamp', 'eventTime', 'firstTimestamp']) {
    const t = Date.parse(e?.[k] ?? '');
    if (!Number.isNaN(t)) return t;
  }
  const s = Date.parse(e?.series?.lastObservedTime ?? '');
  return Number.isNaN(s) ? 0 : s;
}

/** The pod's latest scheduler verdict: PodScheduled=False, else its latest FailedScheduling event. */
export function schedulerMessage(pod: KubeObject, events: readonly KubeObject[] = []): string | undefined {
  if (pod.spec?.nodeName) return undefined;
  const c = (pod.status?.conditions ?? []).find((x: any) => x?.type === 'PodScheduled');
  if (c?.status === 'False' && c.message) return c.message as string;
  const fs = (events as any[])
    .filter((e) => {
      const io = e.involvedObject ?? e.regarding;
      return (
        e.reason === 'FailedScheduling' &&
        io &&
        (io.uid && pod.metadata.uid ? io.uid === pod.metadata.uid : io.name === pod.metadata.name)
      );
    })
    .sort((a, b) => ts(b) - ts(a))[0];
  return fs?.message ?? fs?.note;
}

// --- Scheduler reasons restated against the GPU pool -----------------------------------------------------

interface Finding {
  /** Higher explains more: the one that alone keeps the pod off every node. */
  weight: number;
  short: string;
  text: string;
  fix?: WhyFix;
}

function explainPod(
  pod: KubeObject,
  verdict: ParsedSchedulingMessage,
  nodes: readonly KubeObject[],
  gpuNodes: readonly GpuNode[],
): Finding[] {
  const out: Finding[] = [];
  const spec = pod.spec ?? {};
  const placement = placementOf(spec);
  const gpus = podGpuRequests(spec);
  const who = podRole(pod).role === 'worker' ? 'each worker' : 'the pod';
  const byName = new Map(nodes.map((n) => [n.metadata.name, n]));
  const kinds = new Set(verdict.reasons.map((r) => r.kind));

  // Without the node pool there is nothing to restate against: the scheduler's words stand.
  const poolKnown = nodes.length > 0 || gpuNodes.length > 0;
  for (const [resource, count] of poolKnown ? Object.entries(gpus) : []) {
    if (!(count > 0)) continue;
    const holders = gpuNodes.filter((g) =>
      g.resources.some((r) => r.resource === resource && r.allocatable > 0),
    );
    const res = (g: GpuNode) => g.resources.find((r) => r.resource === resource)!;
    if (!holders.length) {
      out.push({
        weight: 100,
        short: `needs ${resource}, no node has it`,
        text: `the pod asks for ${count} ${resource}; no node in the cluster offers ${resource}`,
      });
      continue;
    }
    const largest = holders.reduce((a, b) => (res(b).allocatable > res(a).allocatable ? b : a));
    const max = res(largest).allocatable;
    if (count > max) {
      const model = shortModel(res(largest).model);
      out.push({
        weight: 100,
        short: `needs ${count} GPUs in one pod, nodes have at most ${max}`,
        text: `a pod asks for ${count} ${resource}; the largest node has ${max} (${model})`,
        fix: {
          kind: 'setGpusPerPod',
          title: `Ask for ${max} ${resource} per pod (the node size)`,
          resource,
          from: count,
          to: max,
        },
      });
      continue;
    }
    // Nodes this pod may use: its selector/affinity allows them, their taints are tolerated, not cordoned.
    const allowed = holders.filter((g) => {
      const n = byName.get(g.name);
      return !n || (placementAllows(n, placement) && !untolerated(n, placement) && !n.spec?.unschedulable);
    });
    const tainted = holders.filter((g) => {
      const n = byName.get(g.name);
      return n && placementAllows(n, placement) && untolerated(n, placement);
    });
    if (!allowed.length && tainted.length) {
      const n = byName.get(tainted[0].name)!;
      const t = untolerated(n, placement)!;
      const which =
        tainted.length === 1
          ? `${nodeLabel(n, tainted[0])} is`
          : `the ${plural(tainted.length, 'node')} with ${resource} are`;
      out.push({
        weight: 90,
        short: `${which} tainted ${t.key}; the pod does not tolerate it`,
        text: `${which} tainted ${taintText(t)} and the pod does not tolerate it`,
        fix: {
          kind: 'addToleration',
          title: `Add the toleration ${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`,
          toleration: { key: t.key, operator: 'Exists', effect: t.effect },
        },
      });
      continue;
    }
    if (!allowed.length) continue; // the selector findings below say why
    const free = allowed.map((g) => res(g).free).filter((f) => f > 0);
    const totalFree = free.reduce((a, b) => a + b, 0);
    const bestFree = Math.max(0, ...free);
    const models = new Set(allowed.map((g) => shortModel(res(g).model)));
    const model = models.size === 1 ? [...models][0] : resource;
    if (bestFree < count && totalFree >= count) {
      out.push({
        weight: 80,
        short: `needs ${count} GPUs on one node; ${totalFree} free but spread ${free.join('+')}`,
        text: `${totalFree} ${model} are free but spread over ${plural(free.length, 'node')} (${free.join('+')}); ${who} needs ${count} on one node`,
      });
    } else if (bestFree < count) {
      const total = allowed.reduce((a, g) => a + res(g).allocatable, 0);
      out.push({
        weight: 70,
        short: `waiting for ${count} free ${model} GPUs on one node (${totalFree} of ${total} free)`,
        text: `${who} needs ${count} ${resource} on one node; ${totalFree} of ${total} ${model} are free now (the rest are in use)`,
      });
    }
  }

  // Node selector / affinity no node matches.
  if (poolKnown && (kinds.has('nodeSelector') || kinds.has('taint'))) {
    const matching = nodes.filter((n) => placementAllows(n, placement));
    if (!matching.length) {
      const sel = Object.entries<string>(spec.nodeSelector ?? {});
      const miss = sel.find(([k, v]) => !nodes.some((n) => n.metadata.labels?.[k] === String(v)));
      if (miss) {
        const [k, v] = miss;
        const seen = [
          ...new Set(nodes.map((n) => n.metadata.labels?.[k]).filter((x): x is string => !!x)),
        ].sort();
        out.push({
          weight: 95,
          short: `no node has ${k}=${v}`,
          text: `the pod's nodeSelector ${k}=${v} matches no node${seen.length ? ` (nodes have ${seen.join(', ')})` : ` (no node has the label ${k})`}`,
          ...(seen.length
            ? {
                fix: {
                  kind: 'setNodeSelector' as const,
                  title: `Choose a ${k} that exists`,
                  key: k,
                  from: String(v),
                  choices: seen,
                },
              }
            : {}),
        });
      } else {
        out.push({
          weight: 95,
          short: 'no node matches its node affinity',
          text: "the pod's required node affinity matches no node",
        });
      }
    } else if (!out.some((f) => f.fix?.kind === 'addToleration')) {
      // A taint the pod does not tolerate on every node its selector allows
      const open = matching.filter((n) => !untolerated(n, placement));
      if (!open.length) {
        const t = untolerated(matching[0], placement)!;
        const which =
          matching.length === 1
            ? nodeLabel(
                matching[0],
                gpuNodes.find((g) => g.name === matching[0].metadata.name),
              )
            : `every node it may use`;
        out.push({
          weight: 90,
          short: `${which} is tainted ${t.key}; the pod does not tolerate it`,
          text: `${which} is tainted ${taintText(t)} and the pod does not tolerate it`,
          fix: {
            kind: 'addToleration',
            title: `Add the toleration ${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`,
            toleration: { key: t.key, operator: 'Exists', effect: t.effect },
          },
        });
      }
    }
  }

  // What no pool arithmetic restates: say it plainly.
  for (const r of verdict.reasons) {
    const f = plainReason(r, verdict.totalNodes);
    if (f && !out.some((o) => o.short === f.short)) out.push(f);
  }
  return out;
}

function plainReason(r: SchedulingReason, total?: number): Finding | undefined {
  const n = r.nodes ?? total;
  const nodes = n !== undefined ? plural(n, 'node') : 'nodes';
  switch (r.kind) {
    case 'insufficient':
      return isGpuResource(r.resource ?? '')
        ? undefined
        : { weight: 40, short: `not enough ${r.resource}`, text: `${nodes} lack enough free ${r.resource}` };
    case 'tooManyPods':
      return {
        weight: 40,
        short: 'nodes are full (pod limit)',
        text: `${nodes} already run their maximum number of pods`,
      };
    case 'topologySpread':
      return {
        weight: 50,
        short: 'its topology spread constraints cannot be met',
        text: `${nodes} would break the pod's topology spread constraints${/missing required label/.test(r.text) ? ' (some lack the topology label)' : ''}`,
      };
    case 'volume':
      return r.claim
        ? {
            weight: 85,
            short: `PersistentVolumeClaim ${r.claim} does not exist`,
            text: `the pod mounts the PersistentVolumeClaim "${r.claim}", which does not exist`,
          }
        : { weight: 60, short: 'waiting for its volumes', text: `volumes: ${r.text}` };
    case 'unschedulable':
      return {
        weight: 30,
        short: `${nodes} cordoned`,
        text: `${nodes} are cordoned or not ready (${r.text})`,
      };
    case 'podAffinity':
      return { weight: 50, short: 'its pod affinity matches no node', text: `${nodes}: ${r.text}` };
    case 'podAntiAffinity':
      return { weight: 50, short: 'pod anti-affinity keeps it off the nodes', text: `${nodes}: ${r.text}` };
    case 'ports':
      return { weight: 50, short: 'its host ports are taken', text: `${nodes} have its host ports in use` };
    case 'nodeName':
      return {
        weight: 90,
        short: 'its nodeName matches no node',
        text: 'spec.nodeName names a node that does not exist',
      };
    case 'resourceClaim':
      return { weight: 60, short: 'its resource claims cannot be allocated', text: `${nodes}: ${r.text}` };
    case 'gang':
      return { weight: 60, short: 'waiting for the rest of its gang', text: r.text };
    case 'schedulingGates':
      return { weight: 60, short: 'held by scheduling gates', text: r.text };
    case 'noNodes':
      return {
        weight: 100,
        short: 'the cluster has no nodes',
        text: 'the cluster has no nodes to schedule on',
      };
    case 'other':
      return { weight: 20, short: r.text, text: r.text };
    default:
      return undefined;
  }
}

// --- Kueue -----------------------------------------------------------------------------------------------

interface FlavorQuota {
  flavor: string;
  resource: string;
  nominal: number;
  borrowingLimit?: number;
  used: number;
  borrowed: number;
}

/** Quota and usage per flavor and resource (v1beta1 and v1beta2 shapes: flavorsUsage, flavorUsage). */
export function clusterQueueQuota(cq: KubeObject): FlavorQuota[] {
  const out: FlavorQuota[] = [];
  const usage = new Map<string, { total: number; borrowed: number }>();
  for (const f of cq.status?.flavorsUsage ?? cq.status?.flavorUsage ?? [])
    for (const r of f?.resources ?? [])
      usage.set(`${f.name}\0${r.name}`, {
        total: parseQuantity(r.total),
        borrowed: parseQuantity(r.borrowed),
      });
  for (const g of cq.spec?.resourceGroups ?? [])
    for (const f of g?.flavors ?? [])
      for (const r of f?.resources ?? []) {
        const u = usage.get(`${f.name}\0${r.name}`);
        const q: FlavorQuota = {
          flavor: f.name,
          resource: r.name,
          nominal: parseQuantity(r.nominalQuota),
          used: u?.total ?? 0,
          borrowed: u?.borrowed ?? 0,
        };
        if (r.borrowingLimit !== undefined) q.borrowingLimit = parseQuantity(r.borrowingLimit);
        out.push(q);
      }
  return out;
}

const cohortOf = (cq: KubeObject): string | undefined => cq.spec?.cohortName ?? cq.spec?.cohort;

function flavorModel(flavor: string, flavors: readonly KubeObject[] = []): string {
  const f = flavors.find((x) => x.metadata.name === flavor);
  const l = f?.spec?.nodeLabels ?? {};
  const nv = l['nvidia.com/gpu.product'];
  if (nv) return shortModel(String(nv).replace(/-/g, ' '));
  const amd = l['amd.com/gpu.product-name'];
  if (amd) return shortModel(String(amd).replace(/_/g, ' '));
  return flavor;
}

/** GPUs a Kueue Workload asks for: podSets count x per-pod requests. */
function workloadGpus(kw: KubeObject): Record<string, number> {
  const out: Record<string, number> = {};
  for (const ps of kw.spec?.podSets ?? []) {
    const per = podGpuRequests(ps?.template?.spec);
    for (const [r, c] of Object.entries(per)) out[r] = (out[r] ?? 0) + c * (ps?.count ?? 1);
  }
  return out;
}

function explainKueue(input: WhyInput, summary: WorkloadSummary): { findings: Finding[]; queued: boolean } {
  const k = input.kueue ?? {};
  const kw = k.workload;
  const findings: Finding[] = [];
  const queueName: string | undefined =
    kw?.spec?.queueName ?? input.workload.metadata.labels?.[KUEUE_QUEUE_NAME] ?? summary.queue;
  if (!queueName && !kw) return { findings, queued: false };
  const lq = k.localQueues?.find((q) => q.metadata.name === queueName);
  if (queueName && k.localQueues && !lq) {
    const fix = pickQueue(input, undefined);
    findings.push({
      weight: 100,
      short: `LocalQueue ${queueName} does not exist`,
      text: `the workload names the LocalQueue "${queueName}", which does not exist in ${input.workload.metadata.namespace}`,
      ...(fix ? { fix } : {}),
    });
    return { findings, queued: true };
  }
  const cqName: string | undefined = kw?.status?.admission?.clusterQueue ?? lq?.spec?.clusterQueue;
  const cq = k.clusterQueues?.find((c) => c.metadata.name === cqName);
  const evicted = kw && condition(kw, 'Evicted');
  const preempted = kw && condition(kw, 'Preempted');
  if (kw && isTrue(kw, 'Admitted')) {
    const pr = condition(kw, 'PodsReady');
    if (pr?.status === 'False')
      findings.push({
        weight: 10,
        short: `admitted by ${cqName ?? 'Kueue'}, pods not ready`,
        text: `Kueue admitted it to ${cqName ?? 'its ClusterQueue'}; its pods are not all ready yet${pr.message ? ` (${pr.message})` : ''}`,
      });
    return { findings, queued: false };
  }
  if (cq && condition(cq, 'Active')?.status === 'False') {
    const a = condition(cq, 'Active')!;
    findings.push({
      weight: 100,
      short: `ClusterQueue ${cq.metadata.name} is inactive`,
      text: `the ClusterQueue ${cq.metadata.name} is inactive (${a.reason ?? ''}${a.message ? `: ${a.message}` : ''})`,
    });
  }
  const pos = k.position;
  const parts: string[] = [];
  if (pos?.positionInLocalQueue !== undefined)
    parts.push(`${ordinal(pos.positionInLocalQueue)} in ${pos.localQueue}`);
  const need = kw ? workloadGpus(kw) : {};
  let quotaShort: string | undefined;
  if (cq) {
    const quota = clusterQueueQuota(cq);
    for (const [res, n] of Object.entries(need)) {
      const qs = quota.filter((q) => q.resource === res);
      if (!qs.length) {
        findings.push({
          weight: 95,
          short: `${cq.metadata.name} has no quota for ${res}`,
          text: `the ClusterQueue ${cq.metadata.name} has no quota for ${res}`,
          ...(pickQueueFix(input, res, n) ?? {}),
        });
        continue;
      }
      const max = Math.max(...qs.map((q) => q.nominal + (q.borrowingLimit ?? (cohortOf(cq) ? Infinity : 0))));
      if (n > max) {
        findings.push({
          weight: 95,
          short: `asks for ${n} GPUs, more than ${cq.metadata.name} can hold (${max})`,
          text: `the workload asks for ${n} ${res}; the ClusterQueue ${cq.metadata.name} can never hold more than ${max}`,
          ...(pickQueueFix(input, res, n) ?? {}),
        });
        continue;
      }
      for (const q of qs) {
        const model = flavorModel(q.flavor, k.resourceFlavors);
        // Other queues of the cohort borrowing this flavor
        const lenders = (k.clusterQueues ?? []).filter(
          (o) => o !== cq && cohortOf(o) && cohortOf(o) === cohortOf(cq),
        );
        const borrowers = lenders
          .map((o) => ({
            o,
            q: clusterQueueQuota(o).find((x) => x.flavor === q.flavor && x.resource === res),
          }))
          .filter((x) => x.q && x.q.borrowed > 0);
        const line = `${cq.metadata.name} uses ${q.used} of ${q.nominal} ${model}${q.borrowed ? ` (${q.borrowed} borrowed)` : ''}`;
        findings.push({ weight: 5, short: line, text: `quota: ${line} (flavor ${q.flavor}, ${res})` });
        for (const b of borrowers) {
          const s = `${b.q!.borrowed} of ${q.nominal} ${model} borrowed by ${b.o.metadata.name}`;
          quotaShort ??= s;
          findings.push({ weight: 6, short: s, text: `${s} (cohort ${cohortOf(cq)})` });
        }
        if (!quotaShort && q.used + n > q.nominal)
          quotaShort = `${cq.metadata.name} has ${q.used} of ${q.nominal} ${model} in use`;
      }
    }
  }
  if (quotaShort) parts.push(quotaShort);
  const qr = kw && condition(kw, 'QuotaReserved');
  const queued = !!kw && !isTrue(kw, 'QuotaReserved');
  if (evicted?.status === 'True')
    findings.push({
      weight: 50,
      short: `evicted by Kueue (${evicted.reason ?? 'Evicted'})`,
      text: `Kueue evicted it: ${evicted.reason ?? ''}${evicted.message ? ` (${evicted.message})` : ''}`,
    });
  if (preempted?.status === 'True')
    findings.push({
      weight: 50,
      short: `preempted by Kueue (${preempted.reason ?? 'Preempted'})`,
      text: `Kueue preempted it: ${preempted.reason ?? ''}${preempted.message ? ` (${preempted.message})` : ''}`,
    });
  if (queued || (!kw && summary.phase === 'Queued')) {
    const short = parts.length ? parts.join('; ') : `waiting for quota in ${cqName ?? queueName}`;
    findings.push({
      weight: 75,
      short,
      text: `Kueue has not admitted it${qr?.message ? `: ${qr.message}` : ''}${pos?.positionInClusterQueue !== undefined ? `; ${ordinal(pos.positionInClusterQueue)} in the ClusterQueue ${pos.clusterQueue ?? cqName}` : ''}`,
      ...(quotaShort ? (pickQueueFix(input, Object.keys(need)[0], Object.values(need)[0] ?? 0) ?? {}) : {}),
    });
  } else if (kw && isTrue(kw, 'QuotaReserved'))
    findings.push({
      weight: 40,
      short: 'waiting for admission checks',
      text: 'Kueue reserved quota; admission checks have not all passed',
    });
  return { findings, queued: queued || summary.phase === 'Queued' };
}

/** Another LocalQueue of the namespace whose ClusterQueue has `n` of `res` unused. */
function pickQueue(input: WhyInput, need?: { res: string; n: number }): WhyFix | undefined {
  const k = input.kueue ?? {};
  const current = k.workload?.spec?.queueName ?? input.workload.metadata.labels?.[KUEUE_QUEUE_NAME];
  for (const lq of k.localQueues ?? []) {
    if (lq.metadata.name === current) continue;
    const cq = k.clusterQueues?.find((c) => c.metadata.name === lq.spec?.clusterQueue);
    if (!cq) continue;
    if (need) {
      const free = clusterQueueQuota(cq)
        .filter((q) => q.resource === need.res)
        .some((q) => q.nominal - q.used >= need.n);
      if (!free) continue;
    }
    return {
      kind: 'setQueue',
      title: `Use the queue ${lq.metadata.name}${need ? ` (${cq.metadata.name} has ${need.n} ${need.res} free)` : ''}`,
      queue: lq.metadata.name,
    };
  }
  return undefined;
}

function pickQueueFix(input: WhyInput, res: string | undefined, n: number): { fix: WhyFix } | undefined {
  if (!res) return undefined;
  const fix = pickQueue(input, { res, n });
  return fix ? { fix } : undefined;
}

// --- Operators -------------------------------------------------------------------------------------------

function explainOperator(input: WhyInput, kueueHolds: boolean): Finding[] {
  const w = input.workload;
  const out: Finding[] = [];
  const d = findKindDef(groupOf(w.apiVersion), w.kind);
  const s = w.status ?? {};
  // Kueue suspends what it queues; that suspension is Kueue's story, not the user's flag.
  if (!kueueHolds) {
    if (w.spec?.runPolicy?.suspend === true)
      out.push({
        weight: 100,
        short: 'suspended (runPolicy.suspend: true)',
        text: 'the job is suspended: spec.runPolicy.suspend is true; the operator creates no pods until it is false',
        fix: {
          kind: 'unsuspend',
          title: 'Resume: set runPolicy.suspend to false',
          path: ['spec', 'runPolicy', 'suspend'],
        },
      });
    else if (w.spec?.suspend === true)
      out.push({
        weight: 100,
        short: 'suspended (spec.suspend: true)',
        text: 'the workload is suspended: spec.suspend is true; no pods are created until it is false',
        fix: { kind: 'unsuspend', title: 'Resume: set spec.suspend to false', path: ['spec', 'suspend'] },
      });
  }
  if (d?.family === 'rayJob') {
    const dep: string = s.jobDeploymentStatus ?? '';
    if (dep === 'Initializing' || dep === 'Waiting' || dep === '') {
      const rcName: string | undefined = s.rayClusterName;
      const rc = input.related?.find((o) => o.kind === 'RayCluster' && o.metadata.name === rcName);
      const head = rc && condition(rc, 'HeadPodReady');
      const detail = rc
        ? head && head.status !== 'True'
          ? `its head pod is not ready${head.reason ? ` (${head.reason})` : ''}`
          : `state ${rc.status?.state ?? 'not ready'}`
        : rcName
          ? 'it does not exist yet'
          : 'not created yet';
      out.push({
        weight: 60,
        short: `waiting for its Ray cluster${rcName ? ` ${rcName}` : ''}`,
        text: `the RayJob waits for its RayCluster${rcName ? ` ${rcName}` : ''}: ${detail}; the job is submitted once the cluster is ready`,
      });
    }
  }
  if (d?.family === 'trainJob' && input.runtimesListed) {
    const ref = w.spec?.runtimeRef ?? {};
    const kind: string = ref.kind ?? 'ClusterTrainingRuntime';
    const name: string | undefined = ref.name;
    const found = input.related?.some(
      (o) =>
        o.kind === kind &&
        o.metadata.name === name &&
        (kind === 'ClusterTrainingRuntime' || o.metadata.namespace === w.metadata.namespace),
    );
    if (name && !found)
      out.push({
        weight: 100,
        short: `its runtime ${kind} ${name} does not exist`,
        text: `the TrainJob refers to the ${kind} "${name}", which does not exist${kind === 'TrainingRuntime' ? ` in ${w.metadata.namespace}` : ''}; the trainer creates nothing until it does`,
      });
  }
  // Gang scheduling: Volcano and scheduler-plugins coscheduling PodGroups
  for (const pg of input.related ?? []) {
    if (pg.kind !== 'PodGroup') continue;
    const min = pg.spec?.minMember;
    if (typeof min !== 'number') continue;
    const placed = (pg.status?.running ?? 0) + (pg.status?.succeeded ?? 0) + (pg.status?.scheduled ?? 0);
    const phase: string = pg.status?.phase ?? '';
    if (phase === 'Running' || phase === 'Finished' || placed >= min) continue;
    const unsched = condition(pg, 'Unschedulable');
    out.push({
      weight: 65,
      short: `waiting for a gang of ${min} pods (${placed} placed)`,
      text: `the PodGroup ${pg.metadata.name} needs ${min} pods placed at once (minMember); ${placed} are${phase ? `, phase ${phase}` : ''}${unsched?.message ? `: ${unsched.message}` : ''}`,
    });
  }
  return out;
}

// --- The answer ------------------------------------------------------------------------------------------

const NOT_RUNNING: ReadonlySet<Phase> = new Set(['Pending', 'Queued', 'Suspended', 'NotReady', 'Unknown']);

/** Whether the workload is one "Why Not Running?" applies to. */
export function isNotRunning(phase: Phase): boolean {
  return NOT_RUNNING.has(phase);
}

export function whyNotRunning(input: WhyInput): WhyNotRunning {
  const summary = input.summary;
  const phase = summary.phase;
  const base = { phase, causes: [], fixes: [], scheduler: [] };
  // A running workload with some pods still pending is explained too (its pending pods are).
  const pending = input.pods.filter((p) => !isPodTerminal(p) && !p.spec?.nodeName);
  if (!isNotRunning(phase) && !(phase === 'Running' && pending.length)) {
    return {
      ...base,
      applies: false,
      short: '',
      headline: summary.reason ? `${phase}: ${summary.reason}` : phase,
    };
  }
  const findings: (Finding & { source: WhySource })[] = [];
  const kueue = explainKueue(input, summary);
  for (const f of kueue.findings) findings.push({ ...f, source: 'kueue' });
  for (const f of explainOperator(input, kueue.queued)) findings.push({ ...f, source: 'operator' });

  const nodes = input.nodes ?? [];
  const gpuNodes =
    input.gpuNodes ?? (nodes.length ? buildGpuInventory(nodes, input.allPods ?? input.pods).nodes : []);
  const scheduler: SchedulerVerdict[] = [];
  const seenTemplates = new Set<string>();
  for (const pod of pending) {
    const message = schedulerMessage(pod, input.events);
    if (!message) continue;
    const parsed = parseSchedulingMessage(message);
    scheduler.push({ pod: pod.metadata.name, message, parsed });
    // Pods of one role share a template: explain each role once
    const key = `${podRole(pod).role}\0${message}`;
    if (seenTemplates.has(key)) continue;
    seenTemplates.add(key);
    for (const f of explainPod(pod, parsed, nodes, gpuNodes)) findings.push({ ...f, source: 'scheduler' });
  }
  const waiting = input.pods.find((p) => {
    const w = (p.status?.containerStatuses ?? []).find((c: any) => c?.state?.waiting?.reason);
    return p.spec?.nodeName && w;
  });
  if (waiting && !scheduler.length) {
    const cs = (waiting.status?.containerStatuses ?? []).find((c: any) => c?.state?.waiting?.reason);
    findings.push({
      source: 'pods',
      weight: 30,
      short: `${cs.state.waiting.reason} in ${podRole(waiting).label}`,
      text: `${waiting.metadata.name} is on ${waiting.spec.nodeName}, ${cs.state.waiting.reason}${cs.state.waiting.message ? `: ${cs.state.waiting.message}` : ''}`,
    });
  }

  // Most telling first; a tie keeps the order found (Kueue, operator, scheduler).
  const ranked = findings.map((f, i) => ({ f, i })).sort((a, b) => b.f.weight - a.f.weight || a.i - b.i);
  const causes: WhyCause[] = [];
  const fixes: WhyFix[] = [];
  for (const { f } of ranked) {
    if (!causes.some((c) => c.text === f.text)) causes.push({ source: f.source, text: f.text });
    if (f.fix && !fixes.some((x) => x.title === f.fix!.title)) fixes.push(f.fix);
  }
  const top = ranked[0]?.f;
  const short = top?.short ?? summary.reason ?? '';
  const headline = short ? `${phase}: ${short}` : phase;
  return { applies: true, phase, short, headline, causes, fixes, scheduler };
}

/** Markdown for the panel: the answer, each cause, the fixes, the scheduler's raw words and the events. */
export function whyMarkdown(
  w: KubeObject,
  why: WhyNotRunning,
  events: readonly KubeObject[] = [],
  manifest?: { label: string; link: string },
): string {
  const esc = (s: string) => s.replace(/([\\`*_[\]<>|])/g, '\\$1');
  const ns = w.metadata.namespace ? `${w.metadata.namespace}/` : '';
  const lines: string[] = [
    `# Why isn't ${esc(w.kind)} ${esc(ns + w.metadata.name)} running?`,
    '',
    `**${esc(why.headline)}**`,
    '',
  ];
  if (!why.applies) lines.push('It is not waiting: nothing to explain.', '');
  if (why.causes.length) {
    lines.push('## Causes', '');
    const label: Record<WhySource, string> = {
      operator: 'Operator',
      kueue: 'Kueue',
      scheduler: 'Scheduler',
      pods: 'Pods',
    };
    for (const c of why.causes) lines.push(`- **${label[c.source]}:** ${esc(c.text)}`);
    lines.push('');
  }
  if (why.fixes.length) {
    lines.push('## Fix', '');
    for (const f of why.fixes) lines.push(`- ${esc(f.title)}`);
    lines.push('');
  }
  if (manifest) lines.push(`Manifest: [${esc(manifest.label)}](${manifest.link})`, '');
  if (why.scheduler.length) {
    lines.push('## Scheduler', '');
    for (const s of why.scheduler) lines.push(`- \`${s.pod}\`: ${esc(s.message)}`);
    lines.push('');
  }
  const evs = [...events].sort((a, b) => ts(b) - ts(a)).slice(0, 30) as any[];
  if (evs.length) {
    lines.push('## Events', '', '| Type | Reason | Object | Message |', '|---|---|---|---|');
    for (const e of evs) {
      const io = e.involvedObject ?? e.regarding ?? {};
      const count = e.count ?? e.series?.count;
      lines.push(
        `| ${esc(e.type ?? '')} | ${esc(e.reason ?? '')}${count > 1 ? ` ×${count}` : ''} | ${esc(`${io.kind ?? ''}/${io.name ?? ''}`)} | ${esc(String(e.message ?? e.note ?? '').replace(/\r?\n/g, ' '))} |`,
      );
    }
  }
  return lines.join('\n');
}
