// Shared helpers for the workload simulator (test-only code: src/ must never import anything from here).
import { randomBytes } from 'node:crypto';
import { type Rest, RestError, isConflict, isNotFound } from '../harness/rest';

// The simulator reads and writes arbitrary custom-resource shapes; a precise type per CRD would add nothing here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Obj {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerRef[];
    deletionTimestamp?: string;
    creationTimestamp?: string;
    resourceVersion?: string;
    generateName?: string;
  };
  spec?: Json;
  status?: Json;
}

export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface Snapshot {
  pods: Obj[];
  jobs: Obj[];
  statefulSets: Obj[];
  deployments: Obj[];
}

export interface Ctx {
  rest: Rest;
  snap: Snapshot;
  log(msg: string): void;
  /** Records a core/v1 Event on obj, as the named controller would. */
  event(
    obj: Obj,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    component: string,
  ): Promise<void>;
  /** Names created by generateName-like logic that the snapshot does not show yet (see Ray). */
  pending: Map<string, { name: string; at: number }[]>;
}

/** Simulator knobs copied from a workload object to the pods it creates (see test/cluster/kwok/stages.yaml). */
export const SIM_PREFIX = 'sim.gantry.dev/';

export function simAnnotations(obj: Obj): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj.metadata.annotations ?? {}))
    if (k.startsWith(SIM_PREFIX)) out[k] = v;
  return out;
}

export function controllerRef(owner: Obj): OwnerRef {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function ownedBy(o: Obj, owner: Obj): boolean {
  return (o.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid && r.controller);
}

export function nsPath(apiVersion: string, plural: string, namespace: string, name?: string): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return `${base}/namespaces/${namespace}/${plural}${name ? `/${name}` : ''}`;
}

export function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function rand5(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const bytes = randomBytes(5);
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** Creates obj; an existing object of that name is fine (names are deterministic). Returns true if created. */
export async function createIfMissing(ctx: Ctx, path: string, body: Obj): Promise<boolean> {
  try {
    await ctx.rest.post(path, body);
    return true;
  } catch (e) {
    if (isConflict(e) || namespaceTerminating(e)) return false;
    throw e;
  }
}

export function namespaceTerminating(e: unknown): boolean {
  return e instanceof RestError && e.status === 403 && e.body.includes('NamespaceTerminating');
}

export async function listItems(ctx: Pick<Ctx, 'rest'>, path: string): Promise<Obj[] | undefined> {
  try {
    const l = await ctx.rest.get<{ items: Obj[] }>(path);
    return l.items;
  } catch (e) {
    if (isNotFound(e)) return undefined; // CRD not installed
    throw e;
  }
}

function stable(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(
          Object.entries(val as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : val,
  );
}

/** Merge-patches obj's status subresource when `status` differs from what is stored. */
export async function patchStatus(
  ctx: Ctx,
  obj: Obj,
  plural: string,
  status: Json,
  onChange: Json = {},
): Promise<boolean> {
  const current: Json = obj.status ?? {};
  const changed = Object.keys(status).some((k) => stable(current[k]) !== stable(status[k]));
  if (!changed) return false;
  status = { ...status, ...onChange };
  const path = `${nsPath(obj.apiVersion, plural, obj.metadata.namespace ?? 'default', obj.metadata.name)}/status`;
  try {
    await ctx.rest.patch(path, { status }, 'merge');
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
  obj.status = { ...current, ...status };
  return true;
}

export function podsOf(ctx: Ctx, owner: Obj): Obj[] {
  return ctx.snap.pods.filter((p) => p.metadata.namespace === owner.metadata.namespace && ownedBy(p, owner));
}

export function phase(p: Obj): string {
  return (p.status?.phase as string | undefined) ?? 'Pending';
}

export function isTerminating(p: Obj): boolean {
  return !!p.metadata.deletionTimestamp;
}

export function podReady(p: Obj): boolean {
  return (
    phase(p) === 'Running' &&
    (p.status?.conditions ?? []).some((c: Json) => c.type === 'Ready' && c.status === 'True')
  );
}

/** metav1.Condition list update: lastTransitionTime moves only when status changes. */
export function setCondition(
  conds: Json[] | undefined,
  c: { type: string; status: string; reason: string; message: string },
): Json[] {
  const list: Json[] = clone(conds ?? []);
  const i = list.findIndex((x) => x.type === c.type);
  if (i >= 0) {
    const old = list[i];
    list[i] = { ...c, lastTransitionTime: old.status === c.status ? old.lastTransitionTime : now() };
  } else {
    list.push({ ...c, lastTransitionTime: now() });
  }
  return list;
}

export function hasCondition(conds: Json[] | undefined, type: string, status = 'True'): boolean {
  return (conds ?? []).some((c) => c.type === type && c.status === status);
}

export function formatSelector(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

export function jobFinished(job: Obj): 'Complete' | 'Failed' | undefined {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  }
  return undefined;
}

/** Sums container requests (else limits) of a pod spec for one resource, as a number of units. */
export function podResource(spec: Json, name: string): number {
  let total = 0;
  for (const c of spec?.containers ?? []) {
    const v = c.resources?.requests?.[name] ?? c.resources?.limits?.[name];
    if (v !== undefined) total += parseQuantity(String(v));
  }
  return total;
}

export function parseQuantity(q: string): number {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(q.trim());
  if (!m) return 0;
  const n = Number(m[1]);
  const mult: Record<string, number> = {
    '': 1,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
  };
  return n * (mult[m[2]] ?? 1);
}
