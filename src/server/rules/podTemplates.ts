// THE table of where pods live in each kind. Every pod-level rule (GPUs, node selectors, tolerations,
// restart policies, images) walks the sites this module finds, so a new kind is one row here.
import {
  get,
  getPath,
  isMap,
  isSeq,
  keyText,
  mapEntries,
  type Node,
  type Pair,
  seqItems,
  type YAMLMap,
} from '../validation/ast';

/** How the node at the end of a path holds its containers. */
type Shape =
  | 'pod' // a PodSpec: containers[], initContainers[], nodeSelector, affinity, tolerations
  | 'argo-template' // an Argo template: container/script/containerSet, plus pod-level fields of its own
  | 'kserve-component' // a KServe predictor/transformer/explainer: PodSpec fields + model/framework containers
  | 'trainer' // TrainJob spec.trainer: image + resourcesPerNode
  | 'kfp-executor'; // KFP IR deploymentSpec.executors.*: container.image

interface Row {
  group: string;
  kinds: string[];
  /** Dotted paths; `*` = every value of a map (the key becomes the pod's role), `[]` = every list item. */
  paths: string[];
  shape?: Shape;
  /** Pods of a batch/v1 Job (restartPolicy must be OnFailure or Never). */
  job?: boolean;
  /** Kubeflow training operator v1 replica specs (role = replica type). */
  replicas?: boolean;
}

const TRAINING_OPERATOR_V1: Record<string, string> = {
  PyTorchJob: 'pytorchReplicaSpecs',
  TFJob: 'tfReplicaSpecs',
  MPIJob: 'mpiReplicaSpecs',
  XGBoostJob: 'xgbReplicaSpecs',
  PaddleJob: 'paddleReplicaSpecs',
  JAXJob: 'jaxReplicaSpecs',
};

const RAY_CLUSTER = (prefix: string): string[] => [
  `${prefix}.headGroupSpec.template.spec`,
  `${prefix}.workerGroupSpecs.[].template.spec`,
];
const KSERVE_COMPONENTS = ['spec.predictor', 'spec.transformer', 'spec.explainer'];

export const POD_TEMPLATE_TABLE: Row[] = [
  { group: '', kinds: ['Pod'], paths: ['spec'] },
  { group: '', kinds: ['PodTemplate'], paths: ['template.spec'] },
  { group: '', kinds: ['ReplicationController'], paths: ['spec.template.spec'] },
  {
    group: 'apps',
    kinds: ['Deployment', 'StatefulSet', 'ReplicaSet', 'DaemonSet'],
    paths: ['spec.template.spec'],
  },
  { group: 'batch', kinds: ['Job'], paths: ['spec.template.spec'], job: true },
  { group: 'batch', kinds: ['CronJob'], paths: ['spec.jobTemplate.spec.template.spec'], job: true },
  ...Object.entries(TRAINING_OPERATOR_V1).map(([kind, field]) => ({
    group: 'kubeflow.org',
    kinds: [kind],
    paths: [`spec.${field}.*.template.spec`],
    replicas: true,
  })),
  { group: 'kubeflow.org', kinds: ['Notebook'], paths: ['spec.template.spec'] },
  { group: 'trainer.kubeflow.org', kinds: ['TrainJob'], paths: ['spec.trainer'], shape: 'trainer' },
  {
    group: 'trainer.kubeflow.org',
    kinds: ['TrainingRuntime', 'ClusterTrainingRuntime'],
    paths: ['spec.template.spec.replicatedJobs.[].template.spec.template.spec'],
    job: true,
  },
  {
    group: 'jobset.x-k8s.io',
    kinds: ['JobSet'],
    paths: ['spec.replicatedJobs.[].template.spec.template.spec'],
    job: true,
  },
  {
    group: 'leaderworkerset.x-k8s.io',
    kinds: ['LeaderWorkerSet'],
    paths: ['spec.leaderWorkerTemplate.leaderTemplate.spec', 'spec.leaderWorkerTemplate.workerTemplate.spec'],
  },
  { group: 'ray.io', kinds: ['RayCluster'], paths: RAY_CLUSTER('spec') },
  {
    group: 'ray.io',
    kinds: ['RayJob'],
    paths: [...RAY_CLUSTER('spec.rayClusterSpec'), 'spec.submitterPodTemplate.spec'],
  },
  { group: 'ray.io', kinds: ['RayService'], paths: RAY_CLUSTER('spec.rayClusterConfig') },
  { group: 'batch.volcano.sh', kinds: ['Job'], paths: ['spec.tasks.[].template.spec'] },
  { group: 'kueue.x-k8s.io', kinds: ['Workload'], paths: ['spec.podSets.[].template.spec'] },
  {
    group: 'serving.kserve.io',
    kinds: ['InferenceService'],
    paths: KSERVE_COMPONENTS,
    shape: 'kserve-component',
  },
  { group: 'serving.kserve.io', kinds: ['ServingRuntime', 'ClusterServingRuntime'], paths: ['spec'] },
  {
    group: 'argoproj.io',
    kinds: ['Workflow', 'WorkflowTemplate', 'ClusterWorkflowTemplate'],
    paths: ['spec.templates.[]'],
    shape: 'argo-template',
  },
  {
    group: 'argoproj.io',
    kinds: ['CronWorkflow'],
    paths: ['spec.workflowSpec.templates.[]'],
    shape: 'argo-template',
  },
  {
    group: 'pipelines.kubeflow.org',
    kinds: ['PipelineSpec'],
    paths: ['deploymentSpec.executors.*'],
    shape: 'kfp-executor',
  },
];

/** KServe fields of a component that are single containers (model spec and framework shorthands). */
const KSERVE_CONTAINER_FIELDS = [
  'model',
  'sklearn',
  'xgboost',
  'tensorflow',
  'pytorch',
  'triton',
  'onnx',
  'huggingface',
  'pmml',
  'lightgbm',
  'paddle',
  'alibi',
  'art',
];

export interface ContainerSite {
  /** The container-like map (has `image`). */
  node: YAMLMap;
  /** Map holding requests/limits (`resources`, or TrainJob's `resourcesPerNode`). */
  resources?: Node;
  init: boolean;
  path: (string | number)[];
}

export interface PodSite {
  /** Map with the pod-level fields (nodeSelector, affinity, tolerations, restartPolicy), if any. */
  spec?: YAMLMap;
  /**
   * Pod-level defaults from an enclosing object (an Argo workflow's spec: its nodeSelector and affinity
   * apply when the template sets none, its tolerations are added to the template's).
   */
  defaults?: YAMLMap;
  /** Key node whose value is `spec` (for diagnostics about the whole pod). */
  specKey?: Node;
  containers: ContainerSite[];
  /** Replica role (PyTorchJob Worker...), the `*` key of the path. */
  role?: string;
  path: (string | number)[];
  job: boolean;
  replicas: boolean;
  shape: Shape;
}

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

export function rowsFor(apiVersion: string, kind: string): Row[] {
  const g = groupOf(apiVersion);
  return POD_TEMPLATE_TABLE.filter((r) => r.kinds.includes(kind) && r.group === g);
}

interface Match {
  node: Node;
  key?: Node;
  role?: string;
  path: (string | number)[];
}

function walk(n: Node, segs: string[], i: number, m: Omit<Match, 'node'>, out: Match[]): void {
  if (i === segs.length) {
    out.push({ node: n, ...m });
    return;
  }
  const seg = segs[i];
  if (seg === '*') {
    for (const [k, v, p] of mapEntries(n))
      if (v) walk(v, segs, i + 1, { key: p.key as Node, role: k, path: [...m.path, k] }, out);
  } else if (seg === '[]') {
    seqItems(n).forEach((v, j) => walk(v, segs, i + 1, { ...m, key: undefined, path: [...m.path, j] }, out));
  } else if (isMap(n)) {
    const pair = (n.items as Pair<Node, Node | null>[]).find((p) => keyText(p.key) === seg);
    if (pair?.value)
      walk(pair.value, segs, i + 1, { ...m, key: pair.key as Node, path: [...m.path, seg] }, out);
  }
}

function containersOf(list: Node | undefined, init: boolean, path: (string | number)[]): ContainerSite[] {
  return seqItems(list)
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => isMap(c))
    .map(({ c, i }) => ({ node: c as YAMLMap, resources: get(c, 'resources'), init, path: [...path, i] }));
}

function single(n: Node | undefined, path: (string | number)[], resourcesKey = 'resources'): ContainerSite[] {
  return isMap(n) ? [{ node: n, resources: get(n, resourcesKey), init: false, path }] : [];
}

/** Every pod (or pod-like place with containers) in a document's root map. */
export function podSites(root: Node, apiVersion: string, kind: string): PodSite[] {
  const sites: PodSite[] = [];
  for (const row of rowsFor(apiVersion, kind)) {
    const shape = row.shape ?? 'pod';
    for (const path of row.paths) {
      const matches: Match[] = [];
      walk(root, path.split('.'), 0, { path: [] }, matches);
      for (const m of matches) {
        if (!isMap(m.node)) continue;
        const n = m.node;
        const base = {
          specKey: m.key,
          role: m.role,
          path: m.path,
          job: !!row.job,
          replicas: !!row.replicas,
          shape,
        };
        let containers: ContainerSite[] = [];
        let spec: YAMLMap | undefined = n;
        switch (shape) {
          case 'pod':
            containers = [
              ...containersOf(get(n, 'containers'), false, [...m.path, 'containers']),
              ...containersOf(get(n, 'initContainers'), true, [...m.path, 'initContainers']),
            ];
            break;
          case 'kserve-component':
            containers = [
              ...containersOf(get(n, 'containers'), false, [...m.path, 'containers']),
              ...KSERVE_CONTAINER_FIELDS.flatMap((f) => single(get(n, f), [...m.path, f])),
            ];
            break;
          case 'argo-template': {
            const set = get(n, 'containerSet');
            containers = [
              ...single(get(n, 'container'), [...m.path, 'container']),
              ...single(get(n, 'script'), [...m.path, 'script']),
              ...containersOf(get(set, 'containers'), false, [...m.path, 'containerSet', 'containers']),
              ...containersOf(get(n, 'initContainers'), true, [...m.path, 'initContainers']),
              ...containersOf(get(n, 'sidecars'), false, [...m.path, 'sidecars']),
            ];
            break;
          }
          case 'trainer':
            containers = single(n, m.path, 'resourcesPerNode');
            spec = undefined;
            break;
          case 'kfp-executor':
            containers = single(get(n, 'container'), [...m.path, 'container']);
            containers.forEach((c) => (c.resources = undefined)); // KFP has its own resource fields
            spec = undefined;
            break;
        }
        let defaults: YAMLMap | undefined;
        if (shape === 'argo-template') {
          const wf = getPath(
            root,
            path.startsWith('spec.workflowSpec') ? ['spec', 'workflowSpec'] : ['spec'],
          );
          if (isMap(wf)) defaults = wf as YAMLMap;
        }
        sites.push({ ...base, spec, defaults, containers });
      }
    }
  }
  return sites;
}

export { isSeq };
