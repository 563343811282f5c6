// A manifest file as the submit flow sees it: the objects it holds (with their document index and lines),
// the order to apply them in, the namespace each lands in, whether it is created (generateName) or applied,
// and the pods each workload will ask the scheduler for.

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are plain API JSON */

import { LineCounter, parseAllDocuments } from 'yaml';
import { findKindDef, groupOf, type ReplicaTemplate, replicaTemplates } from './kinds';
import { type KubeObject } from './kube';

/** 0-based lines, as the editor counts them. */
export interface LineRange {
  start: number;
  end: number;
}

export interface ManifestObject {
  /** Index of the YAML document in the file (empty documents count), the key diagnostics come back with. */
  docIndex: number;
  /** The document's lines; `firstLine` is its first line of content (where a CodeLens goes). */
  lines: LineRange;
  firstLine: number;
  object: KubeObject;
}

export interface ManifestProblem {
  docIndex: number;
  line: number;
  message: string;
}

export interface ManifestFile {
  objects: ManifestObject[];
  /** YAML syntax errors and documents that are not Kubernetes objects. */
  problems: ManifestProblem[];
}

/** Splits a (multi-document) YAML file into Kubernetes objects. Empty documents are skipped silently. */
export function splitManifests(text: string): ManifestFile {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, uniqueKeys: false });
  const objects: ManifestObject[] = [];
  const problems: ManifestProblem[] = [];
  const line = (offset: number): number => lc.linePos(Math.min(offset, text.length)).line - 1;
  // parseAllDocuments returns an EmptyStream (not an array) for a file with no documents at all.
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((doc, docIndex) => {
    const contents = doc.contents as { range?: [number, number, number] } | null;
    const start = doc.range[0];
    const firstLine = line(contents?.range?.[0] ?? start);
    // The document ends at its last non-blank character before the next document (or the end of the file).
    let endOffset = Math.min(doc.range[2], text.length) - 1;
    while (endOffset > start && /\s/.test(text[endOffset])) endOffset--;
    const lines = { start: line(start), end: Math.max(firstLine, line(endOffset)) };
    if (doc.errors.length) {
      const e = doc.errors[0];
      problems.push({
        docIndex,
        line: Math.min(line(e.pos[0]), lines.end),
        message: `YAML syntax error: ${e.message.split('\n')[0]}`,
      });
      return;
    }
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (value === null || value === undefined) return;
    const o = value as any;
    if (
      typeof o !== 'object' ||
      Array.isArray(o) ||
      typeof o.apiVersion !== 'string' ||
      typeof o.kind !== 'string'
    ) {
      problems.push({
        docIndex,
        line: firstLine,
        message: 'not a Kubernetes object (a document needs apiVersion and kind)',
      });
      return;
    }
    if (typeof o.metadata !== 'object' || o.metadata === null || Array.isArray(o.metadata)) o.metadata = {};
    objects.push({ docIndex, lines, firstLine, object: o as KubeObject });
  });
  return { objects, problems };
}

// --- Order --------------------------------------------------------------------------------------------------

const RANKS: [number, string[]][] = [
  [0, ['Namespace']],
  [1, ['CustomResourceDefinition.apiextensions.k8s.io']],
  [
    2,
    [
      'ConfigMap',
      'Secret',
      'ServiceAccount',
      'PersistentVolume',
      'PersistentVolumeClaim',
      'StorageClass.storage.k8s.io',
      'LimitRange',
      'ResourceQuota',
      'PriorityClass.scheduling.k8s.io',
      'Role.rbac.authorization.k8s.io',
      'ClusterRole.rbac.authorization.k8s.io',
      'RoleBinding.rbac.authorization.k8s.io',
      'ClusterRoleBinding.rbac.authorization.k8s.io',
      // Kueue's queues must exist before a workload names them.
      'ResourceFlavor.kueue.x-k8s.io',
      'ClusterQueue.kueue.x-k8s.io',
      'LocalQueue.kueue.x-k8s.io',
    ],
  ],
];
const RANK = new Map(RANKS.flatMap(([r, kinds]) => kinds.map((k) => [k, r] as const)));

function typeKey(o: Pick<KubeObject, 'apiVersion' | 'kind'>): string {
  const g = groupOf(o.apiVersion);
  return g ? `${o.kind}.${g}` : o.kind;
}

/** 0 Namespaces, 1 CRDs, 2 config, identity, storage and queues, 3 the rest, 4 workloads (objects with pods). */
export function applyRank(o: Pick<KubeObject, 'apiVersion' | 'kind'>): number {
  const r = RANK.get(typeKey(o));
  if (r !== undefined) return r;
  return isWorkload(o) ? 4 : 3;
}

/** Dependency order; objects of the same rank keep the file's order. */
export function applyOrder<T extends { object: Pick<KubeObject, 'apiVersion' | 'kind'> }>(
  items: readonly T[],
): T[] {
  return items
    .map((it, i) => ({ it, i, r: applyRank(it.object) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.it);
}

// --- Workloads and their pods --------------------------------------------------------------------------------

const PLAIN_POD_KINDS: Record<string, (spec: any) => ReplicaTemplate[]> = {
  Pod: (spec) => [{ role: 'pod', replicas: 1, podSpec: spec }],
  'Deployment.apps': (spec) => [
    { role: 'pod', replicas: num(spec?.replicas, 1), podSpec: spec?.template?.spec },
  ],
  'StatefulSet.apps': (spec) => [
    { role: 'pod', replicas: num(spec?.replicas, 1), podSpec: spec?.template?.spec },
  ],
  'ReplicaSet.apps': (spec) => [
    { role: 'pod', replicas: num(spec?.replicas, 1), podSpec: spec?.template?.spec },
  ],
};

function num(v: unknown, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
}

/** Whether the object runs pods (an ML kind with pods, or Pod / Deployment / StatefulSet / ReplicaSet). */
export function isWorkload(o: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean {
  if (PLAIN_POD_KINDS[typeKey(o)]) return true;
  return !!findKindDef(groupOf(o.apiVersion), o.kind)?.hasPods;
}

/**
 * The pods a workload will ask for, per role, from its kind family (core/kinds): PyTorchJob replica specs,
 * TrainJob numNodes x resourcesPerNode, RayJob/RayCluster head and worker groups, JobSet replicated jobs,
 * LeaderWorkerSet leader and workers, Job parallelism. Templates without a pod spec are left out.
 */
export function podTemplatesOf(o: KubeObject): ReplicaTemplate[] {
  const plain = PLAIN_POD_KINDS[typeKey(o)];
  const d = findKindDef(groupOf(o.apiVersion), o.kind);
  const all = plain ? plain(o.spec) : d?.hasPods ? replicaTemplates(d, o) : [];
  return all.filter((t) => t.podSpec && typeof t.podSpec === 'object' && t.replicas > 0);
}

// --- Namespaces and names ------------------------------------------------------------------------------------

/** Kinds that are cluster-scoped when discovery cannot say (the cluster's answer wins when known). */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'CustomResourceDefinition.apiextensions.k8s.io',
  'StorageClass.storage.k8s.io',
  'PriorityClass.scheduling.k8s.io',
  'ClusterRole.rbac.authorization.k8s.io',
  'ClusterRoleBinding.rbac.authorization.k8s.io',
  'ResourceFlavor.kueue.x-k8s.io',
  'ClusterQueue.kueue.x-k8s.io',
  'ClusterTrainingRuntime.trainer.kubeflow.org',
  'ClusterServingRuntime.serving.kserve.io',
  'ClusterWorkflowTemplate.argoproj.io',
  'RuntimeClass.node.k8s.io',
  'IngressClass.networking.k8s.io',
]);

export function isClusterScopedByDefault(o: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean {
  return CLUSTER_SCOPED.has(typeKey(o));
}

export interface NamespaceChoice {
  /** The namespace the user chose in Gantry (a single chosen namespace), if any. */
  chosen?: string;
  /** The kubeconfig context's namespace, if any. */
  context?: string;
}

/**
 * The namespace an object lands in: the document's, else the chosen one, else the context's, else `default`.
 * Cluster-scoped objects have none.
 */
export function targetNamespace(
  o: KubeObject,
  choice: NamespaceChoice,
  namespaced = !isClusterScopedByDefault(o),
): string | undefined {
  if (!namespaced) return undefined;
  const own = o.metadata.namespace;
  if (typeof own === 'string' && own) return own;
  return choice.chosen || choice.context || 'default';
}

export type ApplyMode = 'apply' | 'create';

/**
 * Server-side apply needs a name; a document with only `metadata.generateName` is created (POST) and gets
 * its name from the server. Neither is an error the user must fix.
 */
export function applyMode(o: KubeObject): ApplyMode | { error: string } {
  const m = o.metadata as { name?: unknown; generateName?: unknown };
  if (typeof m.name === 'string' && m.name) return 'apply';
  if (typeof m.generateName === 'string' && m.generateName) return 'create';
  return { error: `${o.kind} has neither metadata.name nor metadata.generateName` };
}

/** "PyTorchJob team-a/train" or "Namespace team-a"; generateName shows as "train-…". */
export function describeObject(o: KubeObject, namespace?: string): string {
  const m = o.metadata as { name?: string; generateName?: string };
  const name = m.name || (m.generateName ? `${m.generateName}…` : '(unnamed)');
  return `${o.kind} ${namespace ? `${namespace}/` : ''}${name}`;
}
