// The submit fit check: can the node pool ever hold each pod of this workload, and can it hold all of them
// now? Same arithmetic as the GPUs view (core/gpu: bound, non-terminated pods with the scheduler's effective
// request) and the same filters as the language server (core/scheduling).

import { holdsResources, nodeGpuModel, nodeState } from './gpu';
import { findKindDef, groupOf, KUEUE_QUEUE_NAME } from './kinds';
import { type KubeObject } from './kube';
import { podTemplatesOf } from './manifests';
import { podRequests, type ResourceList } from './resources';
import {
  allocatableOf,
  isGpuResource,
  placementOf,
  type SchedNode,
  schedNode,
  selectNodes,
  taintText,
  untoleratedTaint,
} from './scheduling';

export type FitOutcome =
  /** No node can ever hold a pod of this workload: stop, with why. */
  | { fit: 'never'; role: string; reason: string }
  /** Every pod fits some node, but not all at once now: it will wait for other pods to finish or for Kueue. */
  | { fit: 'wait'; reason: string }
  | { fit: 'now'; note?: string }
  /** The node pool is not known (not connected, or nodes may not be listed): nothing to judge. */
  | { fit: 'unknown'; reason: string };

export interface NodePool {
  nodes: readonly KubeObject[];
  /** Pods of every namespace (the GPUs view watches them cluster-wide when allowed). */
  pods: readonly KubeObject[];
}

/** Requests of the pods bound to each node that still hold resources (the GPUs view's arithmetic). */
export function allocatedByNode(pods: readonly KubeObject[]): Map<string, ResourceList> {
  const out = new Map<string, ResourceList>();
  for (const p of pods) {
    if (!holdsResources(p)) continue;
    const node = p.spec.nodeName as string;
    let acc = out.get(node);
    if (!acc) out.set(node, (acc = {}));
    for (const [k, v] of Object.entries(podRequests(p.spec))) if (v > 0) acc[k] = (acc[k] ?? 0) + v;
  }
  return out;
}

function amount(resource: string, v: number): string {
  if (resource === 'memory' || resource === 'ephemeral-storage' || resource.startsWith('hugepages-')) {
    const gi = v / 2 ** 30;
    return `${Number.isInteger(gi) ? gi : gi.toFixed(1)}Gi`;
  }
  return String(Math.round(v * 1000) / 1000);
}

function who(role: string, replicas: number): string {
  return `${replicas > 1 ? 'a' : 'the'} ${role}`;
}

interface Site {
  role: string;
  replicas: number;
  request: ResourceList;
  /** Nodes this pod may ever run on (selector, affinity, taints). */
  nodes: SchedNode[];
}

/**
 * Judges a workload against the node pool. "never" when some pod fits no node even when empty (names the
 * pod, the resource and the largest node); "wait" when every pod fits some node but the free capacity of the
 * Ready nodes cannot hold all of them at once (or Kueue must admit it first); else "now".
 */
export function checkFit(o: KubeObject, pool: NodePool): FitOutcome {
  const templates = podTemplatesOf(o);
  if (!templates.length) return { fit: 'now' };
  if (!pool.nodes.length) return { fit: 'unknown', reason: 'no nodes are known for this cluster' };
  const byName = new Map(pool.nodes.map((n) => [n.metadata.name, n]));
  const sched = pool.nodes.map(schedNode);
  // A TrainJob's tolerations and selectors come from its training runtime, not the manifest.
  const judgePlacement = findKindDef(groupOf(o.apiVersion), o.kind)?.family !== 'trainJob';
  const sites: Site[] = [];
  for (const t of templates) {
    const placement = judgePlacement ? placementOf(t.podSpec) : {};
    const request = podRequests(t.podSpec);
    const subject = who(t.role, t.replicas);
    const sel = selectNodes(sched, placement);
    if (sel.failure?.by === 'nodeSelector') {
      const f = sel.failure;
      const have = f.seen.length
        ? `nodes have ${f.key}=${f.seen.join(', ')}`
        : `no node has the label ${f.key}`;
      return {
        fit: 'never',
        role: t.role,
        reason: `${subject} selects ${f.key}=${f.value}, which no node has (${have})`,
      };
    }
    if (sel.failure?.by === 'affinity')
      return {
        fit: 'never',
        role: t.role,
        reason: `no node${f(sel.failure.afterSelector)} satisfies the required node affinity of ${subject}`,
      };
    if (!sel.candidates.length)
      return { fit: 'never', role: t.role, reason: 'every node is cordoned (unschedulable)' };
    let nodes = sel.candidates;
    // Resources first: "asks for 16 nvidia.com/gpu; the largest H100 node has 8" is the message people need.
    for (const [res, v] of Object.entries(request)) {
      if (!(v > 0)) continue;
      const best = nodes.reduce<SchedNode | undefined>(
        (b, n) => (!b || allocatableOf(n, res) > allocatableOf(b, res) ? n : b),
        undefined,
      );
      const max = best ? allocatableOf(best, res) : 0;
      if (v <= max) continue;
      const where = sel.narrowed ? ' it may run on' : '';
      const model = best && isGpuResource(res) ? nodeGpuModel(byName.get(best.name)!) : '';
      const largest =
        max > 0
          ? `the largest${model ? ` ${model}` : ''} node${where} has ${amount(res, max)}`
          : `no node${where} has ${res}`;
      return {
        fit: 'never',
        role: t.role,
        reason: `${subject} asks for ${amount(res, v)} ${res}; ${largest}`,
      };
    }
    const fitting = nodes.filter((n) =>
      Object.entries(request).every(([res, v]) => !(v > 0) || v <= allocatableOf(n, res)),
    );
    if (!fitting.length)
      return {
        fit: 'never',
        role: t.role,
        reason: `no single node has all that ${subject} asks for (${describeRequest(request)})`,
      };
    nodes = fitting;
    if (judgePlacement) {
      const tolerated = nodes.filter((n) => !untoleratedTaint(n, placement.tolerations));
      if (!tolerated.length) {
        const taints = [...new Set(nodes.map((n) => taintText(untoleratedTaint(n, placement.tolerations)!)))];
        return {
          fit: 'never',
          role: t.role,
          reason: `every node big enough for ${subject} is tainted (${taints.join(', ')}) and it has no matching toleration`,
        };
      }
      nodes = tolerated;
    }
    sites.push({ role: t.role, replicas: t.replicas, request, nodes });
  }
  const queue = o.metadata.labels?.[KUEUE_QUEUE_NAME];
  const now = placeAll(sites, pool);
  if (now === true)
    return queue ? { fit: 'now', note: `Kueue admits it from LocalQueue ${queue} first` } : { fit: 'now' };
  const kueue = queue ? `; Kueue admits it from LocalQueue ${queue} when quota and nodes allow` : '';
  return { fit: 'wait', reason: `${now}; it will wait until other pods finish${kueue}` };
}

function f(afterSelector: boolean): string {
  return afterSelector ? ' matching the nodeSelector' : '';
}

function describeRequest(r: ResourceList): string {
  return Object.entries(r)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${amount(k, v)} ${k}`)
    .join(', ');
}

/**
 * Places every pod on the free capacity of Ready nodes, biggest pods first, each on the eligible node with the
 * least room left that still holds it (best fit). True when all fit, else what is short.
 */
function placeAll(sites: Site[], pool: NodePool): true | string {
  const allocated = allocatedByNode(pool.pods);
  const ready = new Set(
    pool.nodes.filter((n) => ['Ready', 'Tainted'].includes(nodeState(n).state)).map((n) => n.metadata.name),
  );
  const initialFree = (n: SchedNode, res: string): number =>
    ready.has(n.name) ? Math.max(0, allocatableOf(n, res) - (allocated.get(n.name)?.[res] ?? 0)) : 0;
  const free = new Map<string, Map<string, number>>();
  const freeOf = (n: SchedNode): Map<string, number> => {
    let m = free.get(n.name);
    if (!m) {
      m = new Map();
      const used = allocated.get(n.name) ?? {};
      for (const res of Object.keys(n.allocatable)) m.set(res, allocatableOf(n, res) - (used[res] ?? 0));
      free.set(n.name, m);
    }
    return m;
  };
  const gpuWeight = (r: ResourceList): number =>
    Object.entries(r).reduce((s, [k, v]) => s + (isGpuResource(k) ? v : 0), 0);
  const pods = sites
    .flatMap((s) => Array.from({ length: Math.min(s.replicas, 10_000) }, () => s))
    .sort((a, b) => gpuWeight(b.request) - gpuWeight(a.request));
  let placed = 0;
  for (const s of pods) {
    let best: { m: Map<string, number>; slack: number } | undefined;
    for (const n of s.nodes) {
      if (!ready.has(n.name)) continue;
      const m = freeOf(n);
      if (!Object.entries(s.request).every(([k, v]) => !(v > 0) || v <= (m.get(k) ?? 0))) continue;
      const slack = gpuWeight(Object.fromEntries(m)) - gpuWeight(s.request);
      if (!best || slack < best.slack) best = { m, slack };
    }
    if (!best) return shortText(sites, pods.length, placed, initialFree);
    for (const [k, v] of Object.entries(s.request)) if (v > 0) best.m.set(k, (best.m.get(k) ?? 0) - v);
    placed++;
  }
  return true;
}

/** "it needs 32 nvidia.com/gpu at once (4 workers x 8); 8 are free on the nodes it may use". */
function shortText(
  sites: Site[],
  total: number,
  placed: number,
  initialFree: (n: SchedNode, res: string) => number,
): string {
  const need = new Map<string, number>();
  const parts: string[] = [];
  for (const s of sites) {
    for (const [k, v] of Object.entries(s.request))
      if (v > 0 && isGpuResource(k)) need.set(k, (need.get(k) ?? 0) + v * s.replicas);
    const g = Object.entries(s.request).find(([k, v]) => v > 0 && isGpuResource(k));
    if (g) parts.push(`${s.replicas} ${s.role}${s.replicas === 1 ? '' : 's'} x ${g[1]}`);
  }
  const [res, want] = [...need].sort((a, b) => b[1] - a[1])[0] ?? [];
  if (res === undefined || want === undefined)
    return `only ${placed} of its ${total} pods fit on the free capacity of the nodes it may use now`;
  const nodes = new Map<string, SchedNode>();
  for (const s of sites) for (const n of s.nodes) nodes.set(n.name, n);
  const freeNow = [...nodes.values()].reduce((sum, n) => sum + initialFree(n, res), 0);
  return `it needs ${want} ${res} at once (${parts.join(' + ')}); ${freeNow} ${freeNow === 1 ? 'is' : 'are'} free now on the nodes it may use`;
}
