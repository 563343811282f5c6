// The ML kinds Gantry knows, how to find their pods, and each pod's role and rank.
// Label keys and spec shapes are the operators' own; each is cited to the source file it comes from.

/* eslint-disable @typescript-eslint/no-explicit-any -- workload specs are plain API JSON */

import { type KindRef, type KubeObject, kindKey } from './kube';

export type KindCategory = 'training' | 'ray' | 'queueing' | 'serving' | 'notebooks' | 'pipelines' | 'batch';

/** Which status reader and pod conventions apply. One per operator (family of kinds). */
export type KindFamily =
  | 'trainingV1'
  | 'trainJob'
  | 'jobset'
  | 'batchJob'
  | 'cronJob'
  | 'rayJob'
  | 'rayCluster'
  | 'rayService'
  | 'lws'
  | 'kueueWorkload'
  | 'kueueLocalQueue'
  | 'kueueClusterQueue'
  | 'kserve'
  | 'notebook'
  | 'argoWorkflow'
  | 'volcanoJob';

export interface MlKindDef {
  readonly kind: string;
  readonly group: string;
  /** Served versions Gantry can read, most preferred first. */
  readonly versions: readonly string[];
  readonly plural: string;
  readonly displayName: string;
  readonly category: KindCategory;
  readonly family: KindFamily;
  readonly namespaced: boolean;
  /** False for kinds that own no pods (Kueue queues and Workloads). */
  readonly hasPods: boolean;
  /** For the training operator v1 kinds: the spec field holding the replica specs. */
  readonly replicaSpecsField?: string;
}

/** A kind as this cluster serves it: the table entry plus the version discovery chose. */
export interface MlKind extends MlKindDef {
  readonly version: string;
  readonly apiVersion: string;
  /** `Kind.group`, the key used across core/ and the views. */
  readonly key: string;
}

// --- Label keys -------------------------------------------------------------------------------------------

/** kubeflow/trainer release-1.9 pkg/apis/kubeflow.org/v1/common_types.go */
export const TRAINING_JOB_NAME = 'training.kubeflow.org/job-name';
export const TRAINING_REPLICA_TYPE = 'training.kubeflow.org/replica-type'; // lower-cased ReplicaType (pod.go ReconcilePods)
export const TRAINING_REPLICA_INDEX = 'training.kubeflow.org/replica-index';
export const TRAINING_JOB_ROLE = 'training.kubeflow.org/job-role';
/** kubernetes-sigs/jobset api/jobset/v1alpha2/jobset_types.go */
export const JOBSET_NAME = 'jobset.sigs.k8s.io/jobset-name';
export const JOBSET_REPLICATED_JOB = 'jobset.sigs.k8s.io/replicatedjob-name';
export const JOBSET_REPLICATED_JOB_REPLICAS = 'jobset.sigs.k8s.io/replicatedjob-replicas';
export const JOBSET_JOB_INDEX = 'jobset.sigs.k8s.io/job-index';
/** Kubernetes batch/v1 Job controller (pkg/controller/job; label form since 1.27, legacy keys kept). */
export const JOB_NAME = 'batch.kubernetes.io/job-name';
export const JOB_NAME_LEGACY = 'job-name';
export const JOB_COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
/** ray-project/kuberay ray-operator/controllers/ray/utils/constant.go */
export const RAY_CLUSTER = 'ray.io/cluster';
export const RAY_NODE_TYPE = 'ray.io/node-type'; // head | worker (apis/ray/v1/raycluster_types.go RayNodeType)
export const RAY_GROUP = 'ray.io/group';
/** KubeRay >= 1.5 with RayMultiHostIndexing (beta, on by default in 1.6): the worker's replica in its group, and
 * for multi-host groups (numOfHosts > 1) its host in that replica (controllers/ray/common/pod.go). */
export const RAY_WORKER_REPLICA_INDEX = 'ray.io/worker-group-replica-index';
export const RAY_HOST_INDEX = 'ray.io/replica-host-index';
/** kubernetes-sigs/lws api/leaderworkerset/v1/leaderworkerset_types.go */
export const LWS_NAME = 'leaderworkerset.sigs.k8s.io/name';
export const LWS_GROUP_INDEX = 'leaderworkerset.sigs.k8s.io/group-index';
export const LWS_WORKER_INDEX = 'leaderworkerset.sigs.k8s.io/worker-index';
/** kubeflow/notebooks (notebooks-v1) components/notebook-controller/controllers/notebook_controller.go */
export const NOTEBOOK_NAME = 'notebook-name';
/** kserve/kserve pkg/constants/constants.go (InferenceServiceLabel, KServiceComponentLabel) */
export const KSERVE_ISVC = 'serving.kserve.io/inferenceservice';
export const KSERVE_COMPONENT = 'component';
/** argoproj/argo-workflows workflow/common/common.go */
export const ARGO_WORKFLOW = 'workflows.argoproj.io/workflow';
export const ARGO_NODE_NAME = 'workflows.argoproj.io/node-name'; // pod annotation
/** volcano-sh/apis pkg/apis/batch/v1alpha1/labels.go; set by volcano pkg/controllers/job/job_controller_util.go */
export const VOLCANO_JOB_NAME = 'volcano.sh/job-name';
export const VOLCANO_TASK_SPEC = 'volcano.sh/task-spec';
export const VOLCANO_TASK_INDEX = 'volcano.sh/task-index';
/** kubernetes-sigs/kueue pkg/controller/constants/constants.go */
export const KUEUE_QUEUE_NAME = 'kueue.x-k8s.io/queue-name';
/** StatefulSet pods (notebooks, LWS) carry their ordinal here since 1.28. */
export const POD_INDEX = 'apps.kubernetes.io/pod-index';

// --- The table --------------------------------------------------------------------------------------------

function training(kind: string, plural: string, field: string, versions = ['v1']): MlKindDef {
  return {
    kind,
    group: 'kubeflow.org',
    versions,
    plural,
    displayName: kind,
    category: 'training',
    family: 'trainingV1',
    namespaced: true,
    hasPods: true,
    replicaSpecsField: field,
  };
}

function def(
  kind: string,
  group: string,
  versions: string[],
  plural: string,
  displayName: string,
  category: KindCategory,
  family: KindFamily,
  extra: Partial<MlKindDef> = {},
): MlKindDef {
  return {
    kind,
    group,
    versions,
    plural,
    displayName,
    category,
    family,
    namespaced: true,
    hasPods: true,
    ...extra,
  };
}

/** Every kind Gantry can show. Order is the display order of kind groups in the tree. */
export const ML_KINDS: readonly MlKindDef[] = [
  // kubeflow/trainer release-1.9 pkg/apis/kubeflow.org/v1/*_types.go (json tags of the *ReplicaSpecs fields)
  training('PyTorchJob', 'pytorchjobs', 'pytorchReplicaSpecs'),
  training('TFJob', 'tfjobs', 'tfReplicaSpecs'),
  // kubeflow/mpi-operator v2beta1 (pkg/apis/kubeflow/v2beta1/constants.go, types.go) keeps the same labels,
  // conditions, runPolicy.suspend and mpiReplicaSpecs; a cluster has one MPIJob CRD or the other.
  training('MPIJob', 'mpijobs', 'mpiReplicaSpecs', ['v2beta1', 'v1']),
  training('XGBoostJob', 'xgboostjobs', 'xgbReplicaSpecs'),
  training('PaddleJob', 'paddlejobs', 'paddleReplicaSpecs'),
  training('JAXJob', 'jaxjobs', 'jaxReplicaSpecs'),
  def('TrainJob', 'trainer.kubeflow.org', ['v1alpha1'], 'trainjobs', 'TrainJob', 'training', 'trainJob'),
  def('JobSet', 'jobset.x-k8s.io', ['v1alpha2'], 'jobsets', 'JobSet', 'training', 'jobset'),
  def('RayJob', 'ray.io', ['v1'], 'rayjobs', 'RayJob', 'ray', 'rayJob'),
  def('RayCluster', 'ray.io', ['v1'], 'rayclusters', 'RayCluster', 'ray', 'rayCluster'),
  def('RayService', 'ray.io', ['v1'], 'rayservices', 'RayService', 'ray', 'rayService'),
  def(
    'LeaderWorkerSet',
    'leaderworkerset.x-k8s.io',
    ['v1'],
    'leaderworkersets',
    'LeaderWorkerSet',
    'serving',
    'lws',
  ),
  def(
    'InferenceService',
    'serving.kserve.io',
    ['v1beta1'],
    'inferenceservices',
    'InferenceService',
    'serving',
    'kserve',
  ),
  def('Notebook', 'kubeflow.org', ['v1', 'v1beta1'], 'notebooks', 'Notebook', 'notebooks', 'notebook'),
  def('Workflow', 'argoproj.io', ['v1alpha1'], 'workflows', 'Argo Workflow', 'pipelines', 'argoWorkflow'),
  def('Job', 'batch.volcano.sh', ['v1alpha1'], 'jobs', 'Volcano Job', 'batch', 'volcanoJob'),
  def('Job', 'batch', ['v1'], 'jobs', 'Job', 'batch', 'batchJob'),
  def('CronJob', 'batch', ['v1'], 'cronjobs', 'CronJob', 'batch', 'cronJob'),
  // kueue v0.19: v1beta2 is the storage version, v1beta1 still served
  def(
    'Workload',
    'kueue.x-k8s.io',
    ['v1beta2', 'v1beta1'],
    'workloads',
    'Kueue Workload',
    'queueing',
    'kueueWorkload',
    {
      hasPods: false,
    },
  ),
  def(
    'LocalQueue',
    'kueue.x-k8s.io',
    ['v1beta2', 'v1beta1'],
    'localqueues',
    'LocalQueue',
    'queueing',
    'kueueLocalQueue',
    {
      hasPods: false,
    },
  ),
  def(
    'ClusterQueue',
    'kueue.x-k8s.io',
    ['v1beta2', 'v1beta1'],
    'clusterqueues',
    'ClusterQueue',
    'queueing',
    'kueueClusterQueue',
    { hasPods: false, namespaced: false },
  ),
];

const BY_KEY = new Map(ML_KINDS.map((k) => [kindKey(k), k]));

export function findKindDef(group: string, kind: string): MlKindDef | undefined {
  return BY_KEY.get(kindKey({ group, kind }));
}

/** `batch/v1` -> `batch`, `v1` -> ''. */
export function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

export function kindKeyOf(o: Pick<KubeObject, 'apiVersion' | 'kind'>): string {
  return kindKey({ group: groupOf(o.apiVersion), kind: o.kind });
}

export function toMlKind(d: MlKindDef, version: string): MlKind {
  return { ...d, version, apiVersion: d.group ? `${d.group}/${version}` : version, key: kindKey(d) };
}

/**
 * Maps what discovery found onto the table: only kinds the cluster serves, each at the most preferred
 * version it serves (the table's order, newest first). Kinds are matched on group + kind, and plural as a
 * tie-breaker guard (a CRD with the same kind but another resource name is not ours). Table order is kept.
 */
export function selectDiscovered(served: readonly KindRef[]): MlKind[] {
  const versionsByKey = new Map<string, Set<string>>();
  for (const s of served) {
    const d = BY_KEY.get(kindKey(s));
    if (!d || d.plural !== s.plural) continue;
    const key = kindKey(s);
    let set = versionsByKey.get(key);
    if (!set) versionsByKey.set(key, (set = new Set()));
    set.add(s.version);
  }
  const out: MlKind[] = [];
  for (const d of ML_KINDS) {
    const have = versionsByKey.get(kindKey(d));
    if (!have) continue;
    const v = d.versions.find((x) => have.has(x));
    if (v) out.push(toMlKind(d, v));
  }
  return out;
}

// --- Pods of a workload -------------------------------------------------------------------------------------

export type LabelSelector = Record<string, string>;

export function selectorString(sel: LabelSelector): string {
  return Object.entries(sel)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** The label whose value names the workload on its pods (same namespace), for the reverse index. */
export interface PodAlias {
  label: string;
  value: string;
}

/**
 * Labels that identify this workload's pods. The first is the selector to list them with; more than one
 * means "any of these" (a RayService has an active and a pending cluster). Empty when the pods are found
 * through owned objects (CronJob -> Job) or are not known yet (RayJob before its cluster is named).
 */
export function podAliases(d: Pick<MlKindDef, 'family'>, obj: KubeObject): PodAlias[] {
  const name = obj.metadata.name;
  switch (d.family) {
    case 'trainingV1':
      return [{ label: TRAINING_JOB_NAME, value: name }];
    case 'jobset':
      return [{ label: JOBSET_NAME, value: name }];
    case 'trainJob':
      // Trainer v2 builds a JobSet with the TrainJob's name (kubeflow/trainer pkg/runtime/framework/plugins/jobset/jobset.go)
      return [{ label: JOBSET_NAME, value: name }];
    case 'batchJob':
      return [{ label: JOB_NAME, value: name }];
    case 'rayCluster':
      return [{ label: RAY_CLUSTER, value: name }];
    case 'rayJob': {
      const c = obj.status?.rayClusterName;
      return typeof c === 'string' && c ? [{ label: RAY_CLUSTER, value: c }] : [];
    }
    case 'rayService': {
      const out: PodAlias[] = [];
      for (const s of [obj.status?.activeServiceStatus, obj.status?.pendingServiceStatus]) {
        const c = s?.rayClusterName;
        if (typeof c === 'string' && c) out.push({ label: RAY_CLUSTER, value: c });
      }
      return out;
    }
    case 'lws':
      return [{ label: LWS_NAME, value: name }];
    case 'kserve':
      return [{ label: KSERVE_ISVC, value: name }];
    case 'notebook':
      return [{ label: NOTEBOOK_NAME, value: name }];
    case 'argoWorkflow':
      return [{ label: ARGO_WORKFLOW, value: name }];
    case 'volcanoJob':
      return [{ label: VOLCANO_JOB_NAME, value: name }];
    default:
      return [];
  }
}

/** Label selector to list the workload's pods, or undefined (see podAliases). */
export function podSelector(d: Pick<MlKindDef, 'family'>, obj: KubeObject): LabelSelector | undefined {
  const a = podAliases(d, obj)[0];
  return a ? { [a.label]: a.value } : undefined;
}

/** Every label key any family uses to name a pod's workload; the pod index looks these up. */
export const ALIAS_LABELS: readonly string[] = [
  TRAINING_JOB_NAME,
  JOBSET_NAME,
  RAY_CLUSTER,
  LWS_NAME,
  KSERVE_ISVC,
  NOTEBOOK_NAME,
  ARGO_WORKFLOW,
  VOLCANO_JOB_NAME,
  JOB_NAME,
  JOB_NAME_LEGACY,
];

/** A legacy `job-name` label means the same as `batch.kubernetes.io/job-name`. */
export function canonicalAliasLabel(label: string): string {
  return label === JOB_NAME_LEGACY ? JOB_NAME : label;
}

// --- Role and rank of a pod ---------------------------------------------------------------------------------

export interface PodRole {
  /** Lower-case role: master, worker, launcher, head, leader, node, ps, predictor... */
  role: string;
  /** Numeric sort keys within the role (e.g. [jobIndex, completionIndex]); empty when there is no rank. */
  rank: number[];
  /** Short display label: `worker-2`, `head`, `node-0-3`. */
  label: string;
}

function int(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

function nameSuffix(pod: KubeObject): string {
  const n = pod.metadata.name;
  const i = n.lastIndexOf('-');
  return i < 0 ? n : n.slice(i + 1);
}

/**
 * Role and rank from the labels the operator wrote, checked from most to least specific so a TrainJob pod
 * (JobSet labels on a Job's pod) reads as `node-0`, not as a Job pod.
 */
export function podRole(pod: KubeObject): PodRole {
  const l = pod.metadata.labels ?? {};
  const a = pod.metadata.annotations ?? {};

  const rtype = l[TRAINING_REPLICA_TYPE];
  if (rtype) {
    const i = int(l[TRAINING_REPLICA_INDEX]);
    return {
      role: rtype.toLowerCase(),
      rank: i === undefined ? [] : [i],
      label: i === undefined ? rtype : `${rtype}-${i}`,
    };
  }

  const rj = l[JOBSET_REPLICATED_JOB];
  if (rj) {
    const jobIndex = int(l[JOBSET_JOB_INDEX]) ?? 0;
    const ci = int(l[JOB_COMPLETION_INDEX] ?? a[JOB_COMPLETION_INDEX]);
    const replicas = int(l[JOBSET_REPLICATED_JOB_REPLICAS]);
    if (replicas === 1) {
      return { role: rj, rank: [jobIndex, ci ?? 0], label: `${rj}-${ci ?? 0}` };
    }
    return {
      role: rj,
      rank: [jobIndex, ci ?? 0],
      label: ci === undefined ? `${rj}-${jobIndex}` : `${rj}-${jobIndex}-${ci}`,
    };
  }

  const rayType = l[RAY_NODE_TYPE];
  if (rayType) {
    if (rayType === 'head') return { role: 'head', rank: [], label: 'head' };
    const group = l[RAY_GROUP] ?? rayType;
    const replica = int(l[RAY_WORKER_REPLICA_INDEX]);
    if (replica !== undefined) {
      const host = int(l[RAY_HOST_INDEX]);
      return host === undefined
        ? { role: rayType, rank: [replica], label: `${group}-${replica}` }
        : { role: rayType, rank: [replica, host], label: `${group}-${replica}-${host}` };
    }
    // Older KubeRay (or the gate off): no ordinal, the pod is <cluster>-<group>-worker-<random>.
    return { role: rayType, rank: [], label: `${group}-${nameSuffix(pod)}` };
  }

  if (l[LWS_NAME]) {
    const g = int(l[LWS_GROUP_INDEX]) ?? 0;
    const w = int(l[LWS_WORKER_INDEX]) ?? 0;
    return w === 0
      ? { role: 'leader', rank: [g, 0], label: `leader-${g}` }
      : { role: 'worker', rank: [g, w], label: `worker-${g}-${w}` };
  }

  const task = l[VOLCANO_TASK_SPEC] ?? (l[VOLCANO_JOB_NAME] ? a[VOLCANO_TASK_SPEC] : undefined);
  if (task) {
    // pod name is <job>-<task>-<index> (volcano pkg/controllers/job/helpers/helpers.go PodNameFmt)
    const i = int(l[VOLCANO_TASK_INDEX] ?? a[VOLCANO_TASK_INDEX]) ?? int(nameSuffix(pod));
    return { role: task, rank: i === undefined ? [] : [i], label: i === undefined ? task : `${task}-${i}` };
  }

  if (l[ARGO_WORKFLOW]) {
    const node = a[ARGO_NODE_NAME];
    const wf = l[ARGO_WORKFLOW];
    const short = node ? (node.startsWith(`${wf}.`) ? node.slice(wf.length + 1) : node) : pod.metadata.name;
    return { role: 'step', rank: [], label: short };
  }

  if (l[KSERVE_ISVC]) {
    const comp = l[KSERVE_COMPONENT] ?? 'predictor';
    return { role: comp, rank: [], label: `${comp}-${nameSuffix(pod)}` };
  }

  if (l[NOTEBOOK_NAME]) {
    const i = int(l[POD_INDEX]) ?? 0;
    return { role: 'notebook', rank: [i], label: i === 0 ? 'notebook' : `notebook-${i}` };
  }

  if (l[JOB_NAME] || l[JOB_NAME_LEGACY]) {
    const ci = int(l[JOB_COMPLETION_INDEX] ?? a[JOB_COMPLETION_INDEX]);
    // KubeRay's submitter: labelled with the RayJob it came from (utils/constant.go RayOriginatedFromCRDLabelKey)
    // where the version copies the Job's labels to its pods; KubeRay 1.6 does not, but always gives the
    // submitter container the job id (rayjob_controller.go configureSubmitterContainer).
    const submitter =
      l['ray.io/originated-from-crd'] === 'RayJob' ||
      (pod.spec?.containers?.[0]?.env ?? []).some(
        (e: { name?: string }) => e?.name === 'RAY_JOB_SUBMISSION_ID',
      );
    const role = submitter ? 'submitter' : 'pod';
    if (ci !== undefined) return { role, rank: [ci], label: `${role}-${ci}` };
    // A Job's pods without an index have only a random suffix: the pod's whole name reads better than "fwvwf".
    return { role, rank: [], label: role === 'submitter' ? 'submitter' : pod.metadata.name };
  }

  return { role: 'pod', rank: [], label: pod.metadata.name };
}

/** Leaders first, then the bulk roles, then helpers; unknown roles sort after, alphabetically. */
const ROLE_ORDER = [
  'master',
  'chief',
  'launcher',
  'head',
  'leader',
  'coordinator',
  'submitter',
  'scheduler',
  'ps',
  'dataset-initializer',
  'model-initializer',
  'node',
  'trainer',
  'worker',
  'evaluator',
  'predictor',
  'transformer',
  'explainer',
  'notebook',
  'step',
  'pod',
];

export function compareRoles(a: string, b: string): number {
  const ia = ROLE_ORDER.indexOf(a);
  const ib = ROLE_ORDER.indexOf(b);
  if (ia !== ib) return (ia < 0 ? ROLE_ORDER.length : ia) - (ib < 0 ? ROLE_ORDER.length : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? -1;
    const y = b[i] ?? -1;
    if (x !== y) return x - y;
  }
  return 0;
}

// --- Replica templates (for requested GPUs and expected pod counts) ----------------------------------------

export interface ReplicaTemplate {
  role: string;
  /** Pods this template stands for. */
  replicas: number;
  podSpec: any;
}

function n(v: unknown, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
}

function jobPods(jobSpec: any): number {
  const p = n(jobSpec?.parallelism, 1);
  const c = jobSpec?.completions;
  return typeof c === 'number' ? Math.min(p, c) : p;
}

function rayClusterTemplates(spec: any): ReplicaTemplate[] {
  if (!spec) return [];
  const out: ReplicaTemplate[] = [{ role: 'head', replicas: 1, podSpec: spec.headGroupSpec?.template?.spec }];
  for (const g of spec.workerGroupSpecs ?? []) {
    if (g?.suspend === true) continue;
    // raycluster_types.go WorkerGroupSpec: replicas (default minReplicas) x numOfHosts
    const replicas = n(g?.replicas, n(g?.minReplicas, 0)) * n(g?.numOfHosts, 1);
    out.push({ role: 'worker', replicas, podSpec: g?.template?.spec });
  }
  return out;
}

function kservePodSpec(component: any): any {
  if (!component) return undefined;
  // A component is an inline PodSpec plus at most one single-container implementation (model, pytorch, ...).
  const known = new Set([
    'containers',
    'initContainers',
    'nodeSelector',
    'affinity',
    'tolerations',
    'overhead',
  ]);
  const containers = [...(component.containers ?? [])];
  for (const [k, v] of Object.entries(component)) {
    if (known.has(k) || !v || typeof v !== 'object' || Array.isArray(v)) continue;
    if ((v as any).resources || (v as any).storageUri || (v as any).modelFormat) containers.push(v);
  }
  return { ...component, containers };
}

/** What the workload asks for, per role. Empty when the spec does not say (Argo steps, unknown kinds). */
export function replicaTemplates(
  d: Pick<MlKindDef, 'family' | 'replicaSpecsField'>,
  obj: KubeObject,
): ReplicaTemplate[] {
  const spec = obj.spec ?? {};
  switch (d.family) {
    case 'trainingV1': {
      const specs = (d.replicaSpecsField && spec[d.replicaSpecsField]) ?? {};
      return Object.entries<any>(specs).map(([type, r]) => ({
        role: type.toLowerCase(),
        replicas: n(r?.replicas, 1),
        podSpec: r?.template?.spec,
      }));
    }
    case 'jobset':
      return (spec.replicatedJobs ?? []).map((rj: any) => ({
        role: rj?.name ?? 'job',
        replicas: n(rj?.replicas, 1) * jobPods(rj?.template?.spec),
        podSpec: rj?.template?.spec?.template?.spec,
      }));
    case 'trainJob': {
      // trainer.kubeflow.org TrainJob: numNodes x resourcesPerNode; the runtime supplies the rest.
      const t = spec.trainer;
      if (!t) return [];
      return [
        {
          role: 'node',
          replicas: n(t.numNodes, 1),
          podSpec: { containers: [{ name: 'node', resources: t.resourcesPerNode ?? {} }] },
        },
      ];
    }
    case 'batchJob':
      return [{ role: 'pod', replicas: jobPods(spec), podSpec: spec.template?.spec }];
    case 'cronJob':
      return [
        {
          role: 'pod',
          replicas: jobPods(spec.jobTemplate?.spec),
          podSpec: spec.jobTemplate?.spec?.template?.spec,
        },
      ];
    case 'rayCluster':
      return rayClusterTemplates(spec);
    case 'rayJob':
      return rayClusterTemplates(spec.rayClusterSpec);
    case 'rayService':
      return rayClusterTemplates(spec.rayClusterConfig);
    case 'lws': {
      const t = spec.leaderWorkerTemplate ?? {};
      const groups = n(spec.replicas, 1);
      const size = n(t.size, 1);
      const out: ReplicaTemplate[] = [
        { role: 'leader', replicas: groups, podSpec: (t.leaderTemplate ?? t.workerTemplate)?.spec },
      ];
      if (size > 1)
        out.push({ role: 'worker', replicas: groups * (size - 1), podSpec: t.workerTemplate?.spec });
      return out;
    }
    case 'kserve': {
      const out: ReplicaTemplate[] = [];
      for (const role of ['predictor', 'transformer', 'explainer']) {
        const c = spec[role];
        if (!c) continue;
        out.push({ role, replicas: n(c.minReplicas, 1), podSpec: kservePodSpec(c) });
      }
      return out;
    }
    case 'notebook':
      return [{ role: 'notebook', replicas: 1, podSpec: spec.template?.spec }];
    case 'volcanoJob':
      return (spec.tasks ?? []).map((t: any) => ({
        role: t?.name ?? 'task',
        replicas: n(t?.replicas, 1),
        podSpec: t?.template?.spec,
      }));
    case 'kueueWorkload':
      // kueue apis/kueue/v1beta2/workload_types.go PodSet: count x template
      return (spec.podSets ?? []).map((p: any) => ({
        role: p?.name ?? 'main',
        replicas: n(p?.count, 1),
        podSpec: p?.template?.spec,
      }));
    default:
      return [];
  }
}

// --- Small readers shared by status.ts, gpu.ts and tree/ --------------------------------------------------

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
}

export function conditions(obj: KubeObject | undefined): Condition[] {
  const c = obj?.status?.conditions;
  return Array.isArray(c) ? c : [];
}

export function condition(obj: KubeObject | undefined, type: string): Condition | undefined {
  return conditions(obj).find((c) => c.type === type);
}

export function isTrue(obj: KubeObject | undefined, type: string): boolean {
  return condition(obj, type)?.status === 'True';
}

/** The controller ownerReference, else the first one. */
export function controllerOf(
  obj: KubeObject,
): { apiVersion: string; kind: string; name: string; uid: string } | undefined {
  const refs = obj.metadata.ownerReferences ?? [];
  return refs.find((r) => r.controller) ?? refs[0];
}

/** Whether the workload is spec-suspended (the knob Kueue and users turn), per family. */
export function isSpecSuspended(d: Pick<MlKindDef, 'family'>, obj: KubeObject): boolean {
  // training operator v1 keeps it in runPolicy (common_types.go RunPolicy.Suspend); the others in spec.suspend
  return d.family === 'trainingV1' ? obj.spec?.runPolicy?.suspend === true : obj.spec?.suspend === true;
}
