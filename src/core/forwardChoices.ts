// What the palette's quick picks of Open Notebook / Open Ray Dashboard / Open Endpoint / Port Forward… offer,
// from the objects the views already hold: pure, so the pick lists are tested without VS Code.
import { serviceSelector, servicePorts } from './endpoints';
import { findKindDef, groupOf, type KindFamily, type MlKindDef } from './kinds';
import type { KindRef, KubeObject } from './kube';

export type ForwardAction = 'notebook' | 'rayDashboard' | 'inference';

export const FORWARD_FAMILIES: Record<ForwardAction, readonly KindFamily[]> = {
  notebook: ['notebook'],
  rayDashboard: ['rayCluster', 'rayJob', 'rayService'],
  inference: ['kserve'],
};

export const FORWARD_NOUN: Record<ForwardAction, string> = {
  notebook: 'notebook',
  rayDashboard: 'Ray cluster, RayJob or RayService',
  inference: 'InferenceService',
};

export interface WorkloadChoice {
  readonly label: string;
  readonly description: string;
  readonly obj: KubeObject;
  readonly def: MlKindDef;
}

/** The part of the model source the picks read (k8s/modelSource ClusterModelSource). */
export interface WorkloadObjects {
  readonly workloadKinds: readonly KindRef[];
  objectsOf(key: string): Iterable<KubeObject>;
}

/** The workloads an action applies to, by name: "nb · Notebook · team-a". */
export function workloadChoices(
  action: ForwardAction,
  source: WorkloadObjects | undefined,
): WorkloadChoice[] {
  const out: WorkloadChoice[] = [];
  for (const k of source?.workloadKinds ?? []) {
    const def = findKindDef(k.group, k.kind);
    if (!def || !FORWARD_FAMILIES[action].includes(def.family)) continue;
    for (const obj of source!.objectsOf(`${k.kind}${k.group ? `.${k.group}` : ''}`))
      out.push({
        label: obj.metadata.name,
        description: `${def.displayName} · ${obj.metadata.namespace}`,
        obj,
        def,
      });
  }
  return out.sort((a, b) => a.label.localeCompare(b.label) || a.description.localeCompare(b.description));
}

export interface TargetChoice {
  readonly label: string;
  readonly description: string;
  readonly what: 'pod' | 'service';
  readonly obj: KubeObject;
}

/** Port Forward…'s targets: Services with a selector and a TCP port, then the running pods. */
export function podOrServiceChoices(
  services: readonly KubeObject[],
  pods: readonly KubeObject[],
): TargetChoice[] {
  const out: TargetChoice[] = [];
  for (const s of services)
    if (serviceSelector(s) && servicePorts(s).length)
      out.push({
        label: `$(globe) ${s.metadata.name}`,
        description: `Service · ${s.metadata.namespace}`,
        what: 'service',
        obj: s,
      });
  for (const p of pods)
    out.push({
      label: `$(vm) ${p.metadata.name}`,
      description: `Pod · ${p.metadata.namespace}`,
      what: 'pod',
      obj: p,
    });
  return out;
}

/** A workload's API path (a stopped Notebook is started by a merge patch of notebookStartPatch() there). */
export function workloadPath(def: MlKindDef, obj: KubeObject): string {
  const version = obj.apiVersion.split('/')[1];
  return `/apis/${groupOf(obj.apiVersion)}/${version}/namespaces/${obj.metadata.namespace}/${def.plural}/${obj.metadata.name}`;
}
