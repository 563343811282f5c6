// Workload rules: GANTRY105 replica roles, GANTRY109 restart policies, GANTRY106 Kueue queues (live),
// GANTRY111 unpinned images.
import type { Diagnostic } from 'vscode-languageserver-types';
import type { ClusterFacts } from '../validation/types';
import { GantryCode } from '../validation/codes';
import {
  diag,
  get,
  getPath,
  isMap,
  mapEntries,
  type Node,
  pairOf,
  pathText,
  type Positions,
  Severity,
  str,
} from '../validation/ast';
import { didYouMean, suggest } from '../validation/suggest';
import type { PodSite } from './podTemplates';

interface RoleRules {
  field: string;
  roles: string[];
  /** Roles that must have exactly one replica when present. */
  single: string[];
  /** Roles that must be present. */
  required: string[];
}

/** What the training operator v1 validation accepts per kind (kubeflow/trainer release-1.9 webhooks). */
const ROLES: Record<string, RoleRules> = {
  PyTorchJob: { field: 'pytorchReplicaSpecs', roles: ['Master', 'Worker'], single: ['Master'], required: [] },
  TFJob: {
    field: 'tfReplicaSpecs',
    roles: ['Chief', 'Master', 'PS', 'Worker', 'Evaluator'],
    single: ['Chief', 'Master'],
    required: [],
  },
  MPIJob: {
    field: 'mpiReplicaSpecs',
    roles: ['Launcher', 'Worker'],
    single: ['Launcher'],
    required: ['Launcher'],
  },
  XGBoostJob: {
    field: 'xgbReplicaSpecs',
    roles: ['Master', 'Worker'],
    single: ['Master'],
    required: ['Master'],
  },
  PaddleJob: { field: 'paddleReplicaSpecs', roles: ['Master', 'Worker'], single: ['Master'], required: [] },
  JAXJob: { field: 'jaxReplicaSpecs', roles: ['Worker'], single: [], required: ['Worker'] },
};

const TRAINING_RESTART_POLICIES = ['Always', 'OnFailure', 'Never', 'ExitCode'];

function replicasOf(spec: Node | null | undefined): { n: number; node?: Node } {
  const node = get(spec, 'replicas');
  const v = (node as { value?: unknown } | undefined)?.value;
  return { n: typeof v === 'number' ? v : 1, node };
}

export function replicaRoleRules(
  root: Node,
  apiVersion: string,
  kind: string,
  pos: Positions,
  out: Diagnostic[],
): void {
  const group = apiVersion.split('/')[0];
  if (group === 'kubeflow.org' && ROLES[kind]) {
    const r = ROLES[kind];
    const pair = pairOf(get(root, 'spec'), r.field);
    if (!pair || !isMap(pair.value)) return;
    const entries = mapEntries(pair.value);
    const present = new Set(entries.map(([k]) => k));
    for (const [role, spec, p] of entries) {
      if (!r.roles.includes(role)) {
        const c = suggest(role, r.roles);
        out.push(
          diag(
            pos.nodeRange(p.key as Node),
            Severity.Error,
            GantryCode.invalidReplicaRoles,
            `spec.${r.field}.${role}: ${kind} has no replica type "${role}"; expected ${r.roles.join(', ')}${didYouMean(c)}`,
            c.map((x) => ({
              title: `Rename to ${x}`,
              edits: [{ range: pos.nodeRange(p.key as Node), newText: x }],
            })),
          ),
        );
        continue;
      }
      const { n, node } = replicasOf(spec);
      if (r.single.includes(role) && n !== 1) {
        out.push(
          diag(
            pos.nodeRange(node ?? (p.key as Node)),
            Severity.Error,
            GantryCode.invalidReplicaRoles,
            `spec.${r.field}.${role}.replicas: ${kind} needs exactly 1 ${role} replica, got ${n}`,
          ),
        );
      }
      const rp = get(spec, 'restartPolicy');
      const rpv = str(rp);
      if (rp && rpv !== undefined && !TRAINING_RESTART_POLICIES.includes(rpv)) {
        const c = suggest(rpv, TRAINING_RESTART_POLICIES);
        out.push(
          diag(
            pos.nodeRange(rp),
            Severity.Error,
            GantryCode.invalidRestartPolicy,
            `spec.${r.field}.${role}.restartPolicy: "${rpv}" is not a restart policy the training operator accepts; expected ${TRAINING_RESTART_POLICIES.join(', ')}${didYouMean(c)}`,
            c.map((x) => ({ title: `Change to ${x}`, edits: [{ range: pos.nodeRange(rp), newText: x }] })),
          ),
        );
      }
    }
    if (kind === 'TFJob' && present.has('Chief') && present.has('Master')) {
      const p = entries.find(([k]) => k === 'Master')![2];
      out.push(
        diag(
          pos.nodeRange(p.key as Node),
          Severity.Error,
          GantryCode.invalidReplicaRoles,
          `spec.${r.field}: a TFJob has either a Chief or a Master, not both`,
        ),
      );
    }
    for (const req of r.required) {
      if (!present.has(req)) {
        out.push(
          diag(
            pos.nodeRange(pair.key as Node),
            Severity.Error,
            GantryCode.invalidReplicaRoles,
            `spec.${r.field}: ${kind} needs a ${req} replica spec`,
          ),
        );
      }
    }
  }
  if (group === 'ray.io') {
    const cluster =
      kind === 'RayCluster'
        ? pairOf(root, 'spec')
        : kind === 'RayJob'
          ? pairOf(get(root, 'spec'), 'rayClusterSpec')
          : kind === 'RayService'
            ? pairOf(get(root, 'spec'), 'rayClusterConfig')
            : undefined;
    if (cluster && isMap(cluster.value) && !isMap(get(cluster.value, 'headGroupSpec'))) {
      const path =
        kind === 'RayCluster' ? 'spec' : kind === 'RayJob' ? 'spec.rayClusterSpec' : 'spec.rayClusterConfig';
      out.push(
        diag(
          pos.nodeRange(cluster.key as Node),
          Severity.Error,
          GantryCode.invalidReplicaRoles,
          `${path}: a Ray cluster needs a head: add headGroupSpec (with rayStartParams and a head pod template)`,
        ),
      );
    }
  }
}

/** GANTRY109 for pods of batch Jobs (JobSet, CronJob, TrainingRuntime too): Always is rejected, unset too for Job/CronJob. */
export function jobRestartPolicyRule(site: PodSite, kind: string, pos: Positions, out: Diagnostic[]): void {
  if (!site.job || !site.spec) return;
  const rp = get(site.spec, 'restartPolicy');
  const v = str(rp);
  if (rp && v === 'Always') {
    out.push(
      diag(
        pos.nodeRange(rp),
        Severity.Error,
        GantryCode.invalidRestartPolicy,
        `${pathText([...site.path, 'restartPolicy'])}: a Job's pods cannot use restartPolicy Always; use OnFailure or Never`,
        ['OnFailure', 'Never'].map((x) => ({
          title: `Change to ${x}`,
          edits: [{ range: pos.nodeRange(rp), newText: x }],
        })),
      ),
    );
  } else if (!rp && (kind === 'Job' || kind === 'CronJob') && site.specKey) {
    out.push(
      diag(
        pos.nodeRange(site.specKey),
        Severity.Error,
        GantryCode.invalidRestartPolicy,
        `${pathText(site.path)}: a Job's pod template must set restartPolicy to OnFailure or Never (the pod default, Always, is rejected)`,
      ),
    );
  }
}

/** GANTRY111: an image with no tag or the `latest` tag (unless pinned by digest). */
export function imageRule(site: PodSite, pos: Positions, out: Diagnostic[]): void {
  for (const c of site.containers) {
    const img = get(c.node, 'image');
    const ref = str(img);
    if (!img || !ref || ref.includes('{{') || ref.includes('$(') || ref.includes('${') || ref.includes('@'))
      continue;
    const lastSlash = ref.lastIndexOf('/');
    const colon = ref.indexOf(':', lastSlash + 1);
    const tag = colon < 0 ? undefined : ref.slice(colon + 1);
    if (tag !== undefined && tag !== 'latest') continue;
    out.push(
      diag(
        pos.nodeRange(img),
        Severity.Hint,
        GantryCode.unpinnedImage,
        `${pathText([...c.path, 'image'])}: ${tag ? 'the "latest" tag' : 'no tag (means "latest")'} can change under a running job; pin a version tag or a digest`,
      ),
    );
  }
}

/** GANTRY106: the kueue.x-k8s.io/queue-name label names no LocalQueue in the object's namespace. */
export function kueueQueueRule(root: Node, facts: ClusterFacts, pos: Positions, out: Diagnostic[]): void {
  const labels = getPath(root, ['metadata', 'labels']);
  const v = get(labels, 'kueue.x-k8s.io/queue-name');
  const name = str(v);
  if (!v || !name) return;
  const ns = str(getPath(root, ['metadata', 'namespace'])) ?? facts.defaultNamespace;
  const inNs = facts.localQueues.filter((q) => q.namespace === ns).map((q) => q.name);
  if (inNs.includes(name)) return;
  const c = suggest(name, inNs);
  const has = inNs.length ? `its LocalQueues are ${inNs.sort().join(', ')}` : 'it has no LocalQueues';
  out.push(
    diag(
      pos.nodeRange(v),
      Severity.Warning,
      GantryCode.unknownLocalQueue,
      `metadata.labels.kueue.x-k8s.io/queue-name: no LocalQueue "${name}" in namespace ${ns} (${has}); Kueue would never admit the workload${didYouMean(c)}`,
      c.map((x) => ({ title: `Change to ${x}`, edits: [{ range: pos.nodeRange(v), newText: x }] })),
    ),
  );
}
