// Node types, ids and inputs shared by the tree models (workloadTree.ts, gpuTree.ts) and the views.

import { type KubeObject, type ObjectMeta, kindKey } from '../kube';
import { type GpuNode, type GpuPoolSummary, type WorkloadRef } from '../gpu';
import { type MlKind, groupOf } from '../kinds';
import { type PodSummary, type WorkloadSummary } from '../status';
import type { InsightLookup } from './insightRow';

/** Id of the invisible root: a change reported with this id means "refresh the whole view". */
export const ROOT = '';

/** contextValue strings; package.json `viewItem` clauses match these (workloads: `=~ /^gantry\.workload\./`). */
export const ContextValue = {
  kindGroup: 'gantry.kindGroup',
  namespaceGroup: 'gantry.namespaceGroup',
  /** Followed by `.<category>.<phase>`, e.g. gantry.workload.notebooks.Ready, gantry.workload.training.Running. */
  workload: 'gantry.workload',
  roleGroup: 'gantry.roleGroup',
  /** Followed by `.<pod phase lower-case>`, e.g. gantry.pod.running. */
  pod: 'gantry.pod',
  gpuModel: 'gantry.gpuModel',
  gpuNode: 'gantry.gpuNode',
  gpuPod: 'gantry.gpuPod',
  gpuIdle: 'gantry.gpuIdle',
  /** The one row saying what is still being listed while the view connects; no menu matches it. */
  loading: 'gantry.loading',
} as const;

export type Collapsible = 'none' | 'collapsed' | 'expanded';

export interface NodeBase {
  id: string;
  parent: string;
  label: string;
  description?: string;
  /** Markdown. */
  tooltip?: string;
  contextValue: string;
  collapsible: Collapsible;
}

export interface GroupNode extends NodeBase {
  type: 'group';
  groupBy: 'kind' | 'namespace';
  key: string;
}

export interface WorkloadNode extends NodeBase {
  type: 'workload';
  kind: MlKind;
  object: KubeObject;
  summary: WorkloadSummary;
}

export interface RoleNode extends NodeBase {
  type: 'role';
  role: string;
  workloadId: string;
}

export interface PodNode extends NodeBase {
  type: 'pod';
  namespace?: string;
  name: string;
  workloadId: string;
  summary: PodSummary;
}

/** "Loading…": what the first lists have not brought yet (pods, workload kinds), last at the top level. */
export interface LoadingNode extends NodeBase {
  type: 'loading';
}

export type WorkloadTreeNode = GroupNode | WorkloadNode | RoleNode | PodNode | LoadingNode;

/** Id of the loading row. */
export const LOADING_ID = 'loading';

export interface ClusterSnapshot {
  kinds: readonly MlKind[];
  /** Objects per kind key (`PyTorchJob.kubeflow.org`, `Job.batch`). */
  workloads: ReadonlyMap<string, readonly KubeObject[]> | Readonly<Record<string, readonly KubeObject[]>>;
  pods: readonly KubeObject[];
  events?: readonly KubeObject[];
  nodes?: readonly KubeObject[];
  /** DRA (resource.k8s.io): devices drivers publish and the claims allocated from them. */
  resourceSlices?: readonly KubeObject[];
  resourceClaims?: readonly KubeObject[];
}

export type Grouping = 'kind' | 'namespace';

export interface WatchChange {
  type: 'added' | 'modified' | 'deleted';
  object: KubeObject;
}

/** The node pool as the GPUs tree sees it, for restating scheduler reasons ("the largest node has 8"). */
export interface PoolView {
  nodes: readonly KubeObject[];
  gpuNodes: readonly GpuNode[];
}

export interface TreeOptions {
  grouping?: Grouping;
  /** Clock for ages (ms since epoch). */
  now?: () => number;
  /** The current node pool; without it, a waiting workload's line is the scheduler's first sentence. */
  pool?: () => PoolView | undefined;
  /**
   * More for a workload row's GPU part, from its pods: DRA GPUs held through claims, utilisation, idle
   * ("4× H100 80GB HBM3 · 94% util"). Rows without it are unchanged.
   */
  gpuRow?: (pods: readonly KubeObject[], hasDevicePluginGpus: boolean) => string | undefined;
  /** What the training logs told (progress, a failure explained): see insightRow.ts. */
  insight?: InsightLookup;
  /**
   * What is still being listed while the view connects (the rows show what has arrived). `pods`: pods, their
   * events or the nodes are not all in yet, so a workload row shows its own status and age only, with no pod
   * counts and no explanation drawn from what has not arrived. `what`: the names the loading row lists
   * ("pods", "nodes", "RayJob").
   */
  loading?: { readonly pods: boolean; readonly what: readonly string[] };
}

// --- ids -----------------------------------------------------------------------------------------------------

/** Enough of an object to name it (an event's involvedObject, a target the user picked). */
export interface Named {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: Pick<ObjectMeta, 'name' | 'namespace'>;
}

export const objKey = (o: Named) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
export const workloadId = (kindKeyStr: string, o: Named) => `w:${kindKeyStr}:${objKey(o)}`;
export const podId = (o: Named) => `p:${objKey(o)}`;
export const kindGroupId = (kindKeyStr: string) => `g:kind:${kindKeyStr}`;
export const namespaceGroupId = (ns: string | undefined) => `g:ns:${ns ?? ''}`;
export const roleId = (wid: string, role: string) => `${wid}#${role}`;
export const gpuModelId = (model: string) => `m:${model}`;
export const gpuNodeId = (name: string) => `n:${name}`;

// --- GPU tree nodes --------------------------------------------------------------------------------------------

export interface GpuModelNode extends NodeBase {
  type: 'gpuModel';
  model: string;
  pools: GpuPoolSummary[];
}

export interface GpuNodeNode extends NodeBase {
  type: 'gpuNode';
  node: GpuNode;
}

export interface GpuPodNode extends NodeBase {
  type: 'gpuPod';
  namespace?: string;
  name: string;
  node: string;
  resource: string;
  count: number;
  workload?: WorkloadRef;
}

/** "Allocated but idle": pods holding GPUs whose utilisation stayed under the idle threshold. */
export interface GpuIdleNode extends NodeBase {
  type: 'gpuIdle';
  gpus: number;
}

export type GpuTreeNode = GpuModelNode | GpuNodeNode | GpuPodNode | GpuIdleNode;

/** Kind key of an object's group/kind, for callers building ClusterSnapshot.workloads. */
export function snapshotKey(o: KubeObject): string {
  return kindKey({ group: groupOf(o.apiVersion), kind: o.kind });
}
