// The editor-free steps of Gantry: Submit and Diff with Cluster, for commands/submit.ts (which owns the
// dialogs). Bundled apart as dist/submitter.js and loaded on the first submit, so activation never parses
// the YAML library or the apply code.
import { checkFit, type FitOutcome } from '../core/fit';
import { kindKey, type KubeObject } from '../core/kube';
import {
  applyOrder,
  describeObject,
  isWorkload,
  type ManifestObject,
  type ManifestProblem,
  type NamespaceChoice,
  splitManifests,
  targetNamespace,
} from '../core/manifests';
import { workloadId } from '../core/tree';
import {
  type AppliedObject,
  deleteAndWait,
  diffYaml,
  reportText,
  resolveKind,
  submitObjects,
  type SubmitOptions,
  type SubmitReport,
} from '../k8s/apply';
import type { ClusterConnection } from '../k8s/connection';
import type { DiscoveredKinds } from '../k8s/discovery';
import type { ClusterModelSource } from '../k8s/modelSource';
import type { DryRunCause } from '../shared/protocol';

export { reportText };
export type { AppliedObject, FitOutcome, SubmitReport };

export interface Plan {
  /** The objects to submit (one document, or the whole file). */
  objects: ManifestObject[];
  /** Problems of the chosen documents (syntax errors, documents that are not Kubernetes objects). */
  problems: ManifestProblem[];
  /** Lines (0-based, inclusive) the chosen documents cover, for the error-diagnostics gate. */
  lines: { start: number; end: number }[];
}

/** The objects of a file, or of one document (`docIndex`), with what is wrong with them. */
export function planSubmit(text: string, docIndex?: number): Plan {
  const f = splitManifests(text);
  const objects = docIndex === undefined ? f.objects : f.objects.filter((o) => o.docIndex === docIndex);
  const problems = docIndex === undefined ? f.problems : f.problems.filter((p) => p.docIndex === docIndex);
  return { objects, problems, lines: objects.map((o) => o.lines) };
}

/** "PyTorchJob team-a/train" or "3 objects (Namespace, ConfigMap, PyTorchJob)". */
export function planLabel(p: Plan, namespaces: NamespaceChoice): string {
  if (p.objects.length === 1) {
    const o = p.objects[0].object;
    return describeObject(o, targetNamespace(o, namespaces));
  }
  return `${p.objects.length} objects (${applyOrder(p.objects)
    .map((o) => o.object.kind)
    .join(', ')})`;
}

export async function discover(conn: ClusterConnection): Promise<DiscoveredKinds | string> {
  const r = await conn.discover();
  return r.ok ? r.value : `Cannot read the kinds the cluster serves: ${r.error.message}`;
}

/** Server-side apply (or a dry run) of the plan, in dependency order. */
export function submitPlan(
  conn: ClusterConnection,
  kinds: DiscoveredKinds,
  p: Plan,
  o: SubmitOptions,
): Promise<SubmitReport> {
  return submitObjects(conn.transport, kinds, p.objects, {
    ...o,
    rediscover: () => conn.discover(),
  });
}

/** The causes of a rejected dry run, for gantry/dryRunDiagnostics; empty when the failure names no field. */
export function causesOf(r: SubmitReport): DryRunCause[] {
  const e = r.failed?.error;
  if (!e || (e.kind !== 'invalid' && e.kind !== 'immutable')) return [];
  return e.causes.map((c) => ({ docIndex: c.docIndex, fieldPath: c.fieldPath, message: c.message }));
}

export interface FitVerdict {
  label: string;
  outcome: FitOutcome;
}

/** The fit check of every workload of the plan against the live node pool of the view's model. */
export function fitPlan(
  p: Plan,
  source: ClusterModelSource | undefined,
  namespaces: NamespaceChoice,
): FitVerdict[] {
  const nodes = source ? [...source.objectsOf('Node')] : [];
  const pods = source ? [...source.objectsOf('Pod')] : [];
  return p.objects
    .filter((o) => isWorkload(o.object))
    .map((o) => ({
      label: describeObject(o.object, targetNamespace(o.object, namespaces)),
      outcome: checkFit(o.object, { nodes, pods }),
    }));
}

/** Deletes the object a failed apply named (immutable field) and waits until it is gone. */
export async function deleteFailed(
  conn: ClusterConnection,
  kinds: DiscoveredKinds,
  p: Plan,
  r: SubmitReport,
  namespaces: NamespaceChoice,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const item = p.objects.find((o) => o.docIndex === r.failed?.docIndex);
  if (!item) return 'The object to replace is not in the file any more.';
  const kind = resolveKind(kinds, item.object.apiVersion, item.object.kind);
  if (!kind.ok) return kind.error.message;
  const ns = targetNamespace(item.object, namespaces, kind.value.namespaced);
  const d = await deleteAndWait(conn.transport, kind.value, ns, item.object.metadata.name, { signal });
  return d.ok ? undefined : d.error.message;
}

/** The tree row id of an applied workload, for Show in Tree. */
export function treeIdOf(a: AppliedObject): string | undefined {
  if (!isWorkload(a.result)) return undefined;
  const o: KubeObject = {
    ...a.result,
    metadata: { ...a.result.metadata, name: a.name, namespace: a.namespace },
  };
  return workloadId(kindKey(a.kind), o);
}

export interface DiffTexts {
  /** The live objects (a comment where one does not exist yet). */
  live: string;
  /** What applying the file would make of them (dry run). */
  applied: string;
}

/** Live objects next to the dry-run result of applying the plan; an error message when the dry run fails. */
export async function diffPlan(
  conn: ClusterConnection,
  kinds: DiscoveredKinds,
  p: Plan,
  namespaces: NamespaceChoice,
  signal?: AbortSignal,
): Promise<DiffTexts | { report: SubmitReport }> {
  const report = await submitPlan(conn, kinds, p, { namespaces, dryRun: true, signal });
  if (report.failed) return { report };
  const live: string[] = [];
  const applied: string[] = [];
  for (const a of report.applied) {
    const path = a.result.metadata?.name
      ? `${resourceBase(a)}/${encodeURIComponent(a.result.metadata.name)}`
      : undefined;
    const got = path ? await conn.transport.get<KubeObject>(path, { signal }) : undefined;
    live.push(got?.ok ? diffYaml(got.value) : `# ${a.label}: not in the cluster yet\n`);
    applied.push(diffYaml(a.result));
  }
  for (const d of report.deferred) {
    live.push(`# ${d.label}: not in the cluster yet\n`);
    applied.push(`# ${d.label}: checked when applied (${d.reason})\n`);
  }
  return { live: live.join('---\n'), applied: applied.join('---\n') };
}

function resourceBase(a: AppliedObject): string {
  const k = a.kind;
  const base = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
  return `${base}${k.namespaced && a.namespace ? `/namespaces/${encodeURIComponent(a.namespace)}` : ''}/${k.plural}`;
}
