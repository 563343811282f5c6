// GPU inventory with the scheduler's arithmetic: per node and GPU resource, allocatable, allocated by bound
// non-terminated pods (effective request incl. init/sidecar rules and overhead), free; models from node labels.

import { type DraResourceCount } from './dra';
import { type KubeObject } from './kube';
import {
  ARGO_WORKFLOW,
  JOBSET_NAME,
  KSERVE_ISVC,
  LWS_NAME,
  NOTEBOOK_NAME,
  RAY_CLUSTER,
  TRAINING_JOB_NAME,
  VOLCANO_JOB_NAME,
  controllerOf,
  groupOf,
} from './kinds';
import { displayGpuProduct, migProfile, parseQuantity, podGpuRequests } from './resources';
import { isGpuResource, isRoutineTaint, schedNode, taintText } from './scheduling';
import { isPodTerminal } from './status';

export type NodeState = 'Ready' | 'NotReady' | 'Cordoned' | 'Tainted' | 'Unknown';

export interface WorkloadRef {
  group: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface GpuPodUse {
  namespace?: string;
  name: string;
  uid?: string;
  count: number;
  phase: string;
  workload?: WorkloadRef;
}

export interface NodeGpuResource {
  resource: string;
  /** Display model of this resource on this node ("NVIDIA H100 80GB HBM3", "NVIDIA A100 PCIE 40GB MIG 1g.5gb"). */
  model: string;
  /** MIG profile for `nvidia.com/mig-*` resources ("1g.5gb"). */
  migProfile?: string;
  capacity: number;
  allocatable: number;
  allocated: number;
  /** allocatable - allocated, never below 0 (over-commit shows in allocated > allocatable). */
  free: number;
  pods: GpuPodUse[];
  /** Set for devices a DRA driver publishes (ResourceSlices), counted from ResourceClaims. */
  dra?: true;
}

export interface GpuNode {
  name: string;
  /** The node's GPU model (whole-GPU product), "" when the node has no product label. */
  model: string;
  /** Per-GPU memory in MiB (GFD `nvidia.com/gpu.memory`). */
  memoryMiB?: number;
  /** AMD labeller's VRAM label ("191G"). */
  vram?: string;
  /** GFD `nvidia.com/mig.strategy` (single | mixed | none). */
  migStrategy?: string;
  state: NodeState;
  stateReason?: string;
  /** NoSchedule/NoExecute taints other than the GPU-dedication and cordon taints, as key=value:effect. */
  taints: string[];
  resources: NodeGpuResource[];
}

export interface GpuPoolSummary {
  resource: string;
  model: string;
  nodes: number;
  total: number;
  allocated: number;
  free: number;
  /** Free GPUs on nodes that cannot take pods (NotReady, cordoned, unknown). */
  unavailable: number;
}

export interface GpuInventory {
  nodes: GpuNode[];
  pools: GpuPoolSummary[];
}

export type WorkloadResolver = (pod: KubeObject) => WorkloadRef | undefined;

/* eslint-disable @typescript-eslint/no-explicit-any -- node and pod JSON */

// --- Node facts ----------------------------------------------------------------------------------------------

/**
 * The AMD node labeller (ROCm/k8s-device-plugin cmd/k8s-node-labeller/main.go createLabelPrefix) writes
 * `amd.com/gpu.<prop>=<value>` and, in its experimental form, `beta.amd.com/gpu.<prop>.<value>=<count>`.
 */
function amdLabel(l: Record<string, string>, prop: string): string | undefined {
  const v = l[`amd.com/gpu.${prop}`] ?? l[`beta.amd.com/gpu.${prop}`];
  if (v) return v;
  const prefix = `beta.amd.com/gpu.${prop}.`;
  for (const k of Object.keys(l)) if (k.startsWith(prefix)) return k.slice(prefix.length);
  return undefined;
}

/** The node's whole-GPU model from GPU Feature Discovery or the AMD node labeller. */
export function nodeGpuModel(node: KubeObject): string {
  const l = node.metadata.labels ?? {};
  const nv = l['nvidia.com/gpu.product'];
  if (nv) return displayGpuProduct('nvidia.com/gpu.product', nv);
  const amd = amdLabel(l, 'product-name');
  return amd ? displayGpuProduct('amd.com/gpu.product-name', amd) : '';
}

function resourceModel(node: KubeObject, resource: string, base: string): string {
  const l = node.metadata.labels ?? {};
  const profile = migProfile(resource);
  if (profile) {
    // GFD mixed strategy: nvidia.com/mig-<profile>.product = NVIDIA-A100-PCIE-40GB-MIG-1g.5gb
    const p = l[`nvidia.com/mig-${profile}.product`];
    if (p) return displayGpuProduct('nvidia.com/gpu.product', p);
    return base ? `${base} MIG ${profile}` : `MIG ${profile}`;
  }
  return base || resource;
}

export function nodeState(node: KubeObject): { state: NodeState; reason?: string; taints: string[] } {
  // Dedicated-GPU taints (nvidia.com/gpu=present:NoSchedule) are how GPU pools are kept for GPU pods: not a problem.
  const taints = schedNode(node)
    .taints.filter((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !isRoutineTaint(t))
    .map(taintText);
  const ready = ((node.status?.conditions ?? []) as any[]).find((c) => c?.type === 'Ready');
  if (ready && ready.status !== 'True')
    return { state: 'NotReady', reason: ready.reason || ready.message, taints };
  if (node.spec?.unschedulable) return { state: 'Cordoned', reason: 'SchedulingDisabled', taints };
  if (taints.length) return { state: 'Tainted', reason: taints.join(', '), taints };
  if (!ready) return { state: 'Unknown', reason: 'no Ready condition', taints };
  return { state: 'Ready', taints };
}

// --- Owning workload from a pod alone ----------------------------------------------------------------------

/**
 * Best guess of a pod's workload from its own metadata (labels the operators write, then the controller
 * ownerReference). The tree model resolves precisely through its object index; this is the fallback for
 * callers without one.
 */
export function workloadRefFromPod(pod: KubeObject): WorkloadRef | undefined {
  const l = pod.metadata.labels ?? {};
  const ns = pod.metadata.namespace;
  const owner = controllerOf(pod);
  const ref = (group: string, kind: string, name: string): WorkloadRef => ({
    group,
    kind,
    name,
    namespace: ns,
  });
  if (l[TRAINING_JOB_NAME] && owner && groupOf(owner.apiVersion) === 'kubeflow.org') {
    return ref('kubeflow.org', owner.kind, owner.name);
  }
  if (l[JOBSET_NAME]) return ref('jobset.x-k8s.io', 'JobSet', l[JOBSET_NAME]);
  if (l[RAY_CLUSTER]) return ref('ray.io', 'RayCluster', l[RAY_CLUSTER]);
  if (l[LWS_NAME]) return ref('leaderworkerset.x-k8s.io', 'LeaderWorkerSet', l[LWS_NAME]);
  if (l[KSERVE_ISVC]) return ref('serving.kserve.io', 'InferenceService', l[KSERVE_ISVC]);
  if (l[NOTEBOOK_NAME]) return ref('kubeflow.org', 'Notebook', l[NOTEBOOK_NAME]);
  if (l[ARGO_WORKFLOW]) return ref('argoproj.io', 'Workflow', l[ARGO_WORKFLOW]);
  if (l[VOLCANO_JOB_NAME]) return ref('batch.volcano.sh', 'Job', l[VOLCANO_JOB_NAME]);
  if (owner) return ref(groupOf(owner.apiVersion), owner.kind, owner.name);
  return undefined;
}

// --- Inventory ---------------------------------------------------------------------------------------------

function quantities(list: Record<string, unknown> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(list ?? {})) if (isGpuResource(k)) out[k] = parseQuantity(v as string);
  return out;
}

/** Whether a pod holds its node's resources: bound and not terminated (deleting pods still hold them). */
export function holdsResources(pod: KubeObject): boolean {
  return !!pod.spec?.nodeName && !isPodTerminal(pod);
}

/** One node's GPU picture from the pods bound to it (pods on other nodes are ignored). */
export function nodeGpuInfo(
  node: KubeObject,
  pods: Iterable<KubeObject>,
  resolve: WorkloadResolver = workloadRefFromPod,
  dra: readonly DraResourceCount[] = [],
): GpuNode {
  const l = node.metadata.labels ?? {};
  const model = nodeGpuModel(node) || (dra.find((r) => !r.migProfile) ?? dra[0])?.model || '';
  const bound = new Map<string, KubeObject>();
  const capacity = quantities(node.status?.capacity);
  const allocatable = quantities(node.status?.allocatable);
  const byRes = new Map<string, NodeGpuResource>();
  const get = (res: string): NodeGpuResource => {
    let r = byRes.get(res);
    if (!r) {
      r = {
        resource: res,
        model: resourceModel(node, res, model),
        capacity: capacity[res] ?? 0,
        allocatable: allocatable[res] ?? 0,
        allocated: 0,
        free: 0,
        pods: [],
      };
      const p = migProfile(res);
      if (p) r.migProfile = p;
      byRes.set(res, r);
    }
    return r;
  };
  for (const res of new Set([...Object.keys(capacity), ...Object.keys(allocatable)])) get(res);
  for (const pod of pods) {
    if (pod.spec?.nodeName !== node.metadata.name || !holdsResources(pod)) continue;
    bound.set(`${pod.metadata.namespace ?? ''}/${pod.metadata.name}`, pod);
    const reqs = podGpuRequests(pod.spec);
    for (const [res, count] of Object.entries(reqs)) {
      const r = get(res);
      r.allocated += count;
      const use: GpuPodUse = {
        namespace: pod.metadata.namespace,
        name: pod.metadata.name,
        count,
        phase: pod.metadata.deletionTimestamp ? 'Terminating' : (pod.status?.phase ?? 'Pending'),
      };
      if (pod.metadata.uid) use.uid = pod.metadata.uid;
      const w = resolve(pod);
      if (w) use.workload = w;
      r.pods.push(use);
    }
  }
  const resources = [...byRes.values()]
    .filter((r) => r.allocatable > 0 || r.capacity > 0 || r.allocated > 0)
    .sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
  for (const r of resources) {
    r.free = Math.max(0, r.allocatable - r.allocated);
    r.pods.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  }
  for (const d of dra) resources.push(draResource(d, bound, resolve));
  const st = nodeState(node);
  const out: GpuNode = { name: node.metadata.name, model, state: st.state, taints: st.taints, resources };
  if (st.reason) out.stateReason = st.reason;
  const mem = Number(l['nvidia.com/gpu.memory']);
  if (l['nvidia.com/gpu.memory'] && Number.isFinite(mem)) out.memoryMiB = mem;
  const vram = amdLabel(l, 'vram');
  if (vram) out.vram = vram;
  if (l['nvidia.com/mig.strategy']) out.migStrategy = l['nvidia.com/mig.strategy'];
  return out;
}

/** A DRA resource of a node as the view counts it; the pods are those its claims are reserved for. */
function draResource(
  d: DraResourceCount,
  bound: ReadonlyMap<string, KubeObject>,
  resolve: WorkloadResolver,
): NodeGpuResource {
  const perPod = new Map<string, number>();
  for (const u of d.devices)
    for (const p of u.pods)
      perPod.set(`${p.namespace}/${p.name}`, (perPod.get(`${p.namespace}/${p.name}`) ?? 0) + 1);
  const pods: GpuPodUse[] = [];
  for (const [key, count] of perPod) {
    const pod = bound.get(key);
    if (!pod) continue; // reserved but not (or no longer) bound here
    const use: GpuPodUse = {
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      count,
      phase: pod.metadata.deletionTimestamp ? 'Terminating' : (pod.status?.phase ?? 'Pending'),
    };
    if (pod.metadata.uid) use.uid = pod.metadata.uid;
    const w = resolve(pod);
    if (w) use.workload = w;
    pods.push(use);
  }
  pods.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  const r: NodeGpuResource = {
    resource: d.resource,
    model: d.model,
    capacity: d.total,
    allocatable: d.total,
    allocated: d.allocated,
    free: d.free,
    pods,
    dra: true,
  };
  if (d.migProfile) r.migProfile = d.migProfile;
  return r;
}

const UNAVAILABLE: ReadonlySet<NodeState> = new Set(['NotReady', 'Cordoned', 'Unknown']);

/** Cluster totals per resource + model, biggest pools first. */
export function summarizePools(nodes: readonly GpuNode[]): GpuPoolSummary[] {
  const acc = new Map<string, GpuPoolSummary>();
  for (const n of nodes) {
    for (const r of n.resources) {
      const k = `${r.resource}\0${r.model}`;
      let s = acc.get(k);
      if (!s)
        acc.set(
          k,
          (s = {
            resource: r.resource,
            model: r.model,
            nodes: 0,
            total: 0,
            allocated: 0,
            free: 0,
            unavailable: 0,
          }),
        );
      s.nodes++;
      s.total += r.allocatable;
      s.allocated += r.allocated;
      s.free += r.free;
      if (UNAVAILABLE.has(n.state)) s.unavailable += r.free;
    }
  }
  return [...acc.values()].sort((a, b) => b.total - a.total || a.model.localeCompare(b.model));
}

/** "NVIDIA H100 80GB HBM3: 16 total, 12 allocated, 4 free" (+ ", 2 unavailable" when some free GPUs can't be used). */
export function poolLine(s: GpuPoolSummary): string {
  const extra = s.unavailable ? `, ${s.unavailable} unavailable` : '';
  return `${s.model}: ${s.total} total, ${s.allocated} allocated, ${s.free} free${extra}`;
}

/**
 * Nodes with GPUs and the pods holding them. Pods are bucketed by node once (O(nodes + pods)).
 * Nodes without any GPU resource (capacity, allocatable or allocated) are left out.
 */
export function buildGpuInventory(
  nodes: readonly KubeObject[],
  pods: readonly KubeObject[],
  resolve: WorkloadResolver = workloadRefFromPod,
): GpuInventory {
  const byNode = new Map<string, KubeObject[]>();
  for (const p of pods) {
    const nn = p.spec?.nodeName;
    if (!nn || !holdsResources(p)) continue;
    let list = byNode.get(nn);
    if (!list) byNode.set(nn, (list = []));
    list.push(p);
  }
  const out: GpuNode[] = [];
  for (const node of nodes) {
    const g = nodeGpuInfo(node, byNode.get(node.metadata.name) ?? [], resolve);
    if (g.resources.length) out.push(g);
  }
  out.sort(
    (a, b) => a.model.localeCompare(b.model) || a.name.localeCompare(b.name, undefined, { numeric: true }),
  );
  return { nodes: out, pools: summarizePools(out) };
}

export interface ModelGroup {
  model: string;
  nodes: GpuNode[];
}

/** Nodes grouped by their whole-GPU model; MIG-partitioned nodes stay with their physical model. */
export function groupNodesByModel(nodes: readonly GpuNode[]): ModelGroup[] {
  const m = new Map<string, GpuNode[]>();
  for (const n of nodes) {
    const key = n.model || n.resources[0]?.model || 'Unknown GPU';
    let list = m.get(key);
    if (!list) m.set(key, (list = []));
    list.push(n);
  }
  return [...m.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([model, list]) => ({ model, nodes: list }));
}
