// Where a pod can run, the way kube-scheduler's filters decide it: the one GPU resource rule, node selectors,
// required node affinity, taints and tolerations, and resource fit. Used by the GPUs view (core/gpu.ts), the
// language server's live rules (server/rules/resources.ts, which converts its YAML nodes to these plain
// values) and the submit fit check (core/fit.ts), so the three can never disagree.

/* eslint-disable @typescript-eslint/no-explicit-any -- node and pod specs are plain API JSON */

import { type KubeObject } from './kube';
import { quantityValue } from './quantity';

// --- GPU resources ---------------------------------------------------------------------------------------

/**
 * Whether an extended resource is a GPU (or a slice of one):
 * - the name must be domain-qualified (`vendor/name`): `cpu`, `memory`, `pods` never are;
 * - the part after the slash is `gpu` (`nvidia.com/gpu`, `amd.com/gpu`) or ends in `-gpu`, `.gpu` or `_gpu`
 *   (`nvidia.com/shared-gpu`), but a bare suffix like `example.com/notgpu` is NOT a GPU;
 * - NVIDIA MIG slices `nvidia.com/mig-<profile>` (mixed strategy, e.g. `nvidia.com/mig-1g.5gb`);
 * - Intel's device plugin domain `gpu.intel.com/*` (`i915`, `xe`).
 */
export function isGpuResource(name: string): boolean {
  const slash = name.indexOf('/');
  if (slash <= 0) return false;
  const domain = name.slice(0, slash);
  const local = name.slice(slash + 1);
  if (local === 'gpu' || /[-._]gpu$/.test(local)) return true;
  if (domain === 'nvidia.com' && local.startsWith('mig-')) return true;
  return domain === 'gpu.intel.com';
}

/**
 * Whether a DRA driver (ResourceSlice spec.driver, a DNS subdomain) publishes GPUs: a `gpu` label in its name
 * (`gpu.nvidia.com`, `gpu.amd.com`, `gpu.intel.com`, `gpu.example.com`). NVIDIA's `compute-domain.nvidia.com`
 * (IMEX channels) and NIC drivers are not GPUs.
 */
export function isGpuDriver(driver: string): boolean {
  return driver.split('.').some((l) => l === 'gpu' || /[-_]gpu$|^gpu[-_]/.test(l));
}

// --- Plain shapes ----------------------------------------------------------------------------------------

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

export interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

/** What the filters need of a node (the language server's ClusterFacts nodes have this shape). */
export interface SchedNode {
  name: string;
  labels: Record<string, string>;
  /** Quantities as the API writes them ("8", "1500m", "64Gi") or numbers. */
  allocatable: Record<string, string | number>;
  taints: Taint[];
  unschedulable?: boolean;
}

/** The pod-level fields that choose nodes. */
export interface Placement {
  nodeSelector?: Record<string, string>;
  /** affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms */
  requiredTerms?: NodeSelectorTerm[];
  tolerations?: Toleration[];
}

function strOf(v: unknown): string | undefined {
  return v === undefined || v === null || typeof v === 'object' ? undefined : String(v);
}

/** A node object (API JSON) as the filters see it. */
export function schedNode(node: KubeObject): SchedNode {
  const taints = ((node.spec?.taints ?? []) as any[]).map((t) => {
    const out: Taint = { key: String(t?.key ?? ''), effect: String(t?.effect ?? '') };
    const v = strOf(t?.value);
    if (v !== undefined) out.value = v;
    return out;
  });
  const out: SchedNode = {
    name: node.metadata.name,
    labels: node.metadata.labels ?? {},
    allocatable: (node.status?.allocatable ?? {}) as Record<string, string>,
    taints,
  };
  if (node.spec?.unschedulable) out.unschedulable = true;
  return out;
}

/** The placement fields of a pod spec (API JSON). */
export function placementOf(podSpec: any): Placement {
  const out: Placement = {};
  const sel = podSpec?.nodeSelector;
  if (sel && typeof sel === 'object') {
    out.nodeSelector = {};
    for (const [k, v] of Object.entries(sel)) out.nodeSelector[k] = strOf(v) ?? '';
  }
  const terms =
    podSpec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (Array.isArray(terms)) out.requiredTerms = terms.map(plainTerm);
  if (Array.isArray(podSpec?.tolerations)) out.tolerations = podSpec.tolerations.map(plainToleration);
  return out;
}

function plainRequirement(r: any): NodeSelectorRequirement {
  const out: NodeSelectorRequirement = { key: strOf(r?.key) ?? '', operator: strOf(r?.operator) ?? '' };
  if (Array.isArray(r?.values)) out.values = r.values.map((v: unknown) => strOf(v) ?? '');
  return out;
}

function plainTerm(t: any): NodeSelectorTerm {
  return {
    matchExpressions: Array.isArray(t?.matchExpressions) ? t.matchExpressions.map(plainRequirement) : [],
    matchFields: Array.isArray(t?.matchFields) ? t.matchFields.map(plainRequirement) : [],
  };
}

function plainToleration(t: any): Toleration {
  const out: Toleration = {};
  for (const k of ['key', 'operator', 'value', 'effect'] as const) {
    const v = strOf(t?.[k]);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

// --- Filters ---------------------------------------------------------------------------------------------

export function selectorMatches(node: SchedNode, selector: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => node.labels[k] === v);
}

/** One matchExpressions requirement (k8s.io/component-helpers nodeaffinity). */
export function requirementMatches(node: SchedNode, r: NodeSelectorRequirement): boolean {
  const has = Object.prototype.hasOwnProperty.call(node.labels, r.key);
  const val = node.labels[r.key];
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && values.includes(val);
    case 'NotIn':
      return !has || !values.includes(val);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
      return has && Number(val) > Number(values[0]);
    case 'Lt':
      return has && Number(val) < Number(values[0]);
    default:
      return false;
  }
}

/** matchFields supports only metadata.name with In / NotIn. */
export function fieldMatches(node: SchedNode, r: NodeSelectorRequirement): boolean {
  if (r.key !== 'metadata.name') return false;
  const values = r.values ?? [];
  if (r.operator === 'In') return values.includes(node.name);
  if (r.operator === 'NotIn') return !values.includes(node.name);
  return false;
}

export function termMatches(node: SchedNode, t: NodeSelectorTerm): boolean {
  const exprs = t.matchExpressions ?? [];
  const fields = t.matchFields ?? [];
  if (!exprs.length && !fields.length) return false; // an empty term matches no objects
  return exprs.every((e) => requirementMatches(node, e)) && fields.every((f) => fieldMatches(node, f));
}

/** Required node affinity: any term (ORed); no terms = no constraint. */
export function affinityMatches(node: SchedNode, terms: readonly NodeSelectorTerm[] | undefined): boolean {
  return !terms?.length || terms.some((t) => termMatches(node, t));
}

/** One toleration against one taint (core/v1 Toleration.ToleratesTaint). */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  const op = t.operator || 'Equal';
  if (op === 'Exists') return !t.key || t.key === taint.key;
  return (t.key ?? '') === taint.key && (t.value ?? '') === (taint.value ?? '');
}

/** The first NoSchedule/NoExecute taint of the node no toleration tolerates, if any. */
export function untoleratedTaint(
  node: SchedNode,
  tolerations: readonly Toleration[] = [],
): Taint | undefined {
  return node.taints.find(
    (taint) =>
      (taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') &&
      !tolerations.some((t) => tolerates(t, taint)),
  );
}

export function taintText(t: Taint): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}

/**
 * Taints that only say what a node is for: the cordon taint and GPU-dedication taints
 * (`nvidia.com/gpu=present:NoSchedule`). The GPUs view does not flag them as a node problem.
 */
export function isRoutineTaint(t: Pick<Taint, 'key'>): boolean {
  return t.key === 'node.kubernetes.io/unschedulable' || isGpuResource(t.key ?? '');
}

/** Allocatable amount of a resource on a node (0 when absent or malformed). */
export function allocatableOf(node: SchedNode, resource: string): number {
  return quantityValue(node.allocatable[resource]) ?? 0;
}

/** Which filter emptied the candidate list, for the message. */
export type SelectionFailure =
  | { by: 'nodeSelector'; key: string; value: string; seen: string[] }
  | { by: 'affinity'; afterSelector: boolean };

export interface NodeSelection {
  /** Schedulable nodes passing nodeSelector and required affinity (taints are judged apart). */
  candidates: SchedNode[];
  /** True when the pod's nodeSelector or affinity narrowed the pool. */
  narrowed: boolean;
  failure?: SelectionFailure;
}

/**
 * Schedulable nodes the placement's nodeSelector and required affinity allow, in that order. When one empties
 * the list, says which (for a selector: the first key no node has with that value, and the values seen).
 */
export function selectNodes(nodes: readonly SchedNode[], p: Placement): NodeSelection {
  const pool = nodes.filter((n) => !n.unschedulable);
  let candidates = pool;
  let narrowed = false;
  const sel = Object.entries(p.nodeSelector ?? {});
  if (sel.length) {
    const matching = pool.filter((n) => selectorMatches(n, p.nodeSelector));
    if (!matching.length) {
      const [key, value] = sel.find(([k, v]) => !pool.some((n) => n.labels[k] === v)) ?? sel[0];
      const seen = [...new Set(pool.map((n) => n.labels[key]).filter((x) => x !== undefined))].sort();
      return { candidates: [], narrowed: true, failure: { by: 'nodeSelector', key, value, seen } };
    }
    candidates = matching;
    narrowed = true;
  }
  if (p.requiredTerms?.length) {
    const matching = candidates.filter((n) => affinityMatches(n, p.requiredTerms));
    if (!matching.length)
      return { candidates: [], narrowed: true, failure: { by: 'affinity', afterSelector: narrowed } };
    candidates = matching;
    narrowed = true;
  }
  return { candidates, narrowed };
}

/** Resources a request asks for beyond what `have` offers: resource -> [asked, have]. Empty = fits. */
export function shortfall(
  request: Readonly<Record<string, number>>,
  have: (resource: string) => number,
): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const [r, v] of Object.entries(request)) {
    if (!(v > 0)) continue;
    const h = have(r);
    if (v > h) out.set(r, [v, h]);
  }
  return out;
}
