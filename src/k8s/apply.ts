// Submitting manifests: server-side apply (field manager `gantry`), dry runs, create for generateName, in
// dependency order, stopping at the first failure with a report of what was applied and what was not. Every
// expected failure is a value that says what to do: which CRD is missing, which verb RBAC forbids, which
// manager owns a conflicting field, which immutable field needs a delete and resubmit, which field of which
// document the apiserver rejected.
import { stringify } from 'yaml';
import { type KindRef, type KubeObject } from '../core/kube';
import {
  applyMode,
  applyOrder,
  describeObject,
  type NamespaceChoice,
  targetNamespace,
} from '../core/manifests';
import { findKindDef, groupOf } from '../core/kinds';
import type { DiscoveredKinds } from './discovery';
import type { K8sError, Result } from './errors';
import type { RequestOptions } from './transport';
import { resourcePath } from './watchCache';

export const FIELD_MANAGER = 'gantry';

/** The part of KubeTransport apply needs (tests pass a scripted one). */
export interface ApplyClient {
  request<T>(method: string, path: string, o?: RequestOptions): Promise<Result<T>>;
}

/** A field the apiserver rejected, in the document it came from. `fieldPath` is `spec.template.spec...`. */
export interface FieldCause {
  docIndex: number;
  fieldPath: string;
  message: string;
}

export type ApplyError =
  | { kind: 'unknownKind'; message: string; group: string; version: string; kindName: string }
  | { kind: 'invalid'; message: string; causes: FieldCause[] }
  | { kind: 'conflict'; message: string; conflicts: { fieldPath: string; manager: string }[] }
  | { kind: 'immutable'; message: string; causes: FieldCause[] }
  | { kind: 'forbidden'; message: string; verb: string; resource: string; namespace?: string }
  | { kind: 'noName'; message: string }
  | { kind: 'cancelled'; message: string }
  | { kind: 'other'; message: string; error: K8sError };

export type ApplyResult<T> = { ok: true; value: T } | { ok: false; error: ApplyError };

export interface PlannedObject {
  docIndex: number;
  object: KubeObject;
}

export interface ApplyOptions {
  dryRun?: boolean;
  /** Take ownership of fields another manager owns (SSA force). */
  force?: boolean;
  signal?: AbortSignal;
}

// --- Kinds ----------------------------------------------------------------------------------------------------

/**
 * The REST resource for a document's apiVersion and kind. An unserved kind names the CRD to install; a kind
 * served at other versions names them.
 */
export function resolveKind(kinds: DiscoveredKinds, apiVersion: string, kind: string): ApplyResult<KindRef> {
  const group = groupOf(apiVersion);
  const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
  const served = kinds.allVersions().filter((k) => k.group === group && k.kind === kind);
  const exact = served.find((k) => k.version === version);
  if (exact) return { ok: true, value: exact };
  const unknown = (message: string): ApplyResult<KindRef> => ({
    ok: false,
    error: { kind: 'unknownKind', message, group, version, kindName: kind },
  });
  if (served.length)
    return unknown(
      `The cluster serves ${kind} (${group || 'core'}) as ${served.map((k) => k.version).join(', ')}, not ${version}: change apiVersion.`,
    );
  if (!group) return unknown(`The cluster has no core kind ${kind} in ${apiVersion}.`);
  const plural = findKindDef(group, kind)?.plural ?? `${kind.toLowerCase()}s`;
  return unknown(
    `The cluster has no ${kind} in ${group}: the CustomResourceDefinition ${plural}.${group} is not installed.`,
  );
}

// --- Errors ---------------------------------------------------------------------------------------------------

/** `.spec.template.spec.containers[0]` and `spec.template` both become `spec.template...` (no leading dot). */
export function normalizeFieldPath(f: string): string {
  return f.replace(/^\./, '').replace(/^\[/, '');
}

const IMMUTABLE =
  /field is immutable|is immutable|may not be changed|cannot be changed|Forbidden: updates to/i;

/**
 * Turns an apiserver error into what to tell the user. `verb` is the RBAC verb the request used
 * (SSA: patch, generateName: create).
 */
export function applyErrorOf(
  e: K8sError,
  docIndex: number,
  ctx: { verb: string; kind: KindRef; namespace?: string; label: string },
): ApplyError {
  const resource = ctx.kind.group ? `${ctx.kind.plural}.${ctx.kind.group}` : ctx.kind.plural;
  const causes = (e.details?.causes ?? []).map((c) => ({
    docIndex,
    fieldPath: normalizeFieldPath(c.field ?? ''),
    message: c.message ?? c.reason ?? '',
    reason: c.reason,
  }));
  if (e.kind === 'cancelled') return { kind: 'cancelled', message: 'Submission cancelled.' };
  if (e.kind === 'forbidden') {
    const where = ctx.namespace ? ` in namespace ${ctx.namespace}` : '';
    return {
      kind: 'forbidden',
      verb: ctx.verb,
      resource,
      namespace: ctx.namespace,
      message: `You may not ${ctx.verb} ${resource}${where} (RBAC forbids it): ask for the "${ctx.verb}" verb on ${resource}.`,
    };
  }
  if (e.kind === 'conflict' && causes.some((c) => c.reason === 'FieldManagerConflict')) {
    const conflicts = causes
      .filter((c) => c.reason === 'FieldManagerConflict')
      .map((c) => ({
        fieldPath: c.fieldPath,
        manager: /conflict with "([^"]+)"/.exec(c.message)?.[1] ?? 'another manager',
      }));
    const list = conflicts.map((c) => `${c.fieldPath} (owned by ${c.manager})`).join(', ');
    return {
      kind: 'conflict',
      conflicts,
      message: `${ctx.label}: fields owned by another manager would change: ${list}. Force takes them over.`,
    };
  }
  if (e.kind === 'invalid') {
    const plain = causes.map(({ docIndex: d, fieldPath, message }) => ({ docIndex: d, fieldPath, message }));
    // Strict field validation answers 400 with the unknown fields in the message only.
    if (!plain.length)
      for (const m of e.message.matchAll(/unknown field "([^"]+)"/g))
        plain.push({ docIndex, fieldPath: normalizeFieldPath(m[1]), message: `unknown field "${m[1]}"` });
    if (causes.some((c) => IMMUTABLE.test(c.message)) || (!causes.length && IMMUTABLE.test(e.message)))
      return {
        kind: 'immutable',
        causes: plain.filter((c) => IMMUTABLE.test(c.message)),
        message: `${ctx.label}: a field that cannot change on a live object differs (${plain
          .filter((c) => IMMUTABLE.test(c.message))
          .map((c) => c.fieldPath)
          .join(', ')}). Delete and resubmit to replace it.`,
      };
    return { kind: 'invalid', causes: plain, message: `${ctx.label} was rejected: ${e.message}` };
  }
  // Server-side apply reports fields outside the schema as a 500 "failed to create typed patch object".
  const undeclared = [...e.message.matchAll(/(\.[^\s:]+): field not declared in schema/g)];
  if (undeclared.length)
    return {
      kind: 'invalid',
      causes: undeclared.map((m) => ({
        docIndex,
        fieldPath: normalizeFieldPath(m[1]),
        message: 'unknown field (not in the schema)',
      })),
      message: `${ctx.label} was rejected: ${undeclared.map((m) => normalizeFieldPath(m[1])).join(', ')}: field not declared in the schema`,
    };
  return { kind: 'other', error: e, message: `${ctx.label}: ${e.message}` };
}

// --- One object -------------------------------------------------------------------------------------------------

/**
 * Applies (or, with only generateName, creates) one object. The body carries the target namespace so a
 * document without one lands where the caller chose.
 */
export async function applyObject(
  client: ApplyClient,
  kind: KindRef,
  item: PlannedObject,
  namespace: string | undefined,
  o: ApplyOptions = {},
): Promise<ApplyResult<KubeObject>> {
  const obj = item.object;
  const label = describeObject(obj, namespace);
  const mode = applyMode(obj);
  if (typeof mode === 'object') return { ok: false, error: { kind: 'noName', message: mode.error } };
  const body: KubeObject = {
    ...obj,
    metadata: { ...obj.metadata, ...(namespace ? { namespace } : {}) },
  };
  if (!kind.namespaced) delete (body.metadata as { namespace?: string }).namespace;
  const query: RequestOptions['query'] = {
    fieldManager: FIELD_MANAGER,
    fieldValidation: 'Strict',
    ...(o.dryRun ? { dryRun: 'All' } : {}),
  };
  const collection = resourcePath({ kind, namespace });
  const res =
    mode === 'apply'
      ? await client.request<KubeObject>('PATCH', `${collection}/${encodeURIComponent(obj.metadata.name)}`, {
          query: { ...query, ...(o.force ? { force: true } : {}) },
          // JSON is YAML; apply-patch+yaml is the content type the apiserver knows for SSA.
          body: JSON.stringify(body),
          contentType: 'application/apply-patch+yaml',
          signal: o.signal,
        })
      : await client.request<KubeObject>('POST', collection, { query, body, signal: o.signal });
  if (res.ok) return { ok: true, value: res.value };
  const verb = mode === 'apply' ? 'patch' : 'create';
  return { ok: false, error: applyErrorOf(res.error, item.docIndex, { verb, kind, namespace, label }) };
}

/** Deletes an object (foreground, so a Job's pods go first) and waits until it is gone, for a resubmit. */
export async function deleteAndWait(
  client: ApplyClient,
  kind: KindRef,
  namespace: string | undefined,
  name: string,
  o: { signal?: AbortSignal; timeoutMs?: number; pollMs?: number } = {},
): Promise<ApplyResult<void>> {
  const path = `${resourcePath({ kind, namespace })}/${encodeURIComponent(name)}`;
  const label = `${kind.kind} ${namespace ? `${namespace}/` : ''}${name}`;
  const del = await client.request('DELETE', path, {
    body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Foreground' },
    signal: o.signal,
  });
  if (!del.ok && del.error.kind !== 'notFound')
    return { ok: false, error: applyErrorOf(del.error, -1, { verb: 'delete', kind, namespace, label }) };
  const until = Date.now() + (o.timeoutMs ?? 60_000);
  for (;;) {
    const got = await client.request('GET', path, { signal: o.signal });
    if (!got.ok && got.error.kind === 'notFound') return { ok: true, value: undefined };
    if (!got.ok && got.error.kind === 'cancelled')
      return { ok: false, error: { kind: 'cancelled', message: 'Submission cancelled.' } };
    if (Date.now() > until)
      return {
        ok: false,
        error: {
          kind: 'other',
          message: `${label} was not gone after ${Math.round((o.timeoutMs ?? 60_000) / 1000)} s (finalizers?)`,
          error: { kind: 'server', message: 'deletion timed out' },
        },
      };
    await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
  }
}

// --- A file ---------------------------------------------------------------------------------------------------

export interface AppliedObject {
  docIndex: number;
  label: string;
  kind: KindRef;
  namespace?: string;
  /** The name the object has (the server's, for generateName). */
  name: string;
  /** What the apiserver returned (the dry-run result in a dry run). */
  result: KubeObject;
}

export interface SubmitReport {
  dryRun: boolean;
  applied: AppliedObject[];
  /** Not checked in a dry run because they depend on objects the file creates first (their namespace). */
  deferred: { docIndex: number; label: string; reason: string }[];
  failed?: { docIndex: number; label: string; error: ApplyError };
  /** Objects after the failure (or the cancellation) that were not sent. */
  notApplied: { docIndex: number; label: string }[];
  /** The user cancelled between two objects. */
  cancelled?: boolean;
}

export interface SubmitOptions extends ApplyOptions {
  namespaces: NamespaceChoice;
  /** Called before each object, for progress. */
  onObject?: (label: string, index: number, total: number) => void;
  /** Discovery again after CRDs were applied, so their kinds resolve. */
  rediscover?: () => Promise<Result<DiscoveredKinds>>;
}

/**
 * Applies the objects in dependency order and stops at the first failure. A dry run defers objects whose
 * namespace the file itself creates (the apiserver cannot dry-run into a namespace that does not exist yet).
 */
export async function submitObjects(
  client: ApplyClient,
  kinds: DiscoveredKinds,
  items: readonly PlannedObject[],
  o: SubmitOptions,
): Promise<SubmitReport> {
  const ordered = applyOrder(items);
  const report: SubmitReport = { dryRun: !!o.dryRun, applied: [], deferred: [], notApplied: [] };
  const createdNamespaces = new Set(
    ordered
      .filter((i) => i.object.kind === 'Namespace' && i.object.apiVersion === 'v1')
      .map((i) => i.object.metadata.name),
  );
  const createdCrds = ordered.some((i) => i.object.kind === 'CustomResourceDefinition');
  let rediscovered = false;
  for (let i = 0; i < ordered.length; i++) {
    const item = ordered[i];
    const rest = () =>
      ordered.slice(i + 1).map((x) => ({ docIndex: x.docIndex, label: describeObject(x.object) }));
    if (o.signal?.aborted) {
      report.cancelled = true;
      report.notApplied = ordered
        .slice(i)
        .map((x) => ({ docIndex: x.docIndex, label: describeObject(x.object) }));
      return report;
    }
    let kind = resolveKind(kinds, item.object.apiVersion, item.object.kind);
    if (!kind.ok && createdCrds && !o.dryRun && !rediscovered && o.rediscover) {
      rediscovered = true;
      const again = await o.rediscover();
      if (again.ok) {
        kinds = again.value;
        kind = resolveKind(kinds, item.object.apiVersion, item.object.kind);
      }
    }
    if (!kind.ok) {
      if (o.dryRun && createdCrds) {
        report.deferred.push({
          docIndex: item.docIndex,
          label: describeObject(item.object),
          reason: 'its CRD is in this file',
        });
        continue;
      }
      report.failed = { docIndex: item.docIndex, label: describeObject(item.object), error: kind.error };
      report.notApplied = rest();
      return report;
    }
    const ns = targetNamespace(item.object, o.namespaces, kind.value.namespaced);
    const label = describeObject(item.object, ns);
    o.onObject?.(label, i, ordered.length);
    const res = await applyObject(client, kind.value, item, ns, o);
    if (!res.ok) {
      if (
        o.dryRun &&
        ns &&
        createdNamespaces.has(ns) &&
        res.error.kind === 'other' &&
        res.error.error.kind === 'notFound'
      ) {
        report.deferred.push({
          docIndex: item.docIndex,
          label,
          reason: `namespace ${ns} is created by this file`,
        });
        continue;
      }
      report.failed = { docIndex: item.docIndex, label, error: res.error };
      report.notApplied = rest();
      return report;
    }
    report.applied.push({
      docIndex: item.docIndex,
      label,
      kind: kind.value,
      namespace: ns,
      name: res.value.metadata?.name ?? item.object.metadata.name,
      result: res.value,
    });
  }
  return report;
}

/** One paragraph for a notification or the log: what was applied, what failed and what was not sent. */
export function reportText(r: SubmitReport): string {
  const verb = r.dryRun ? 'Dry run passed' : 'Applied';
  const parts: string[] = [];
  if (r.applied.length) parts.push(`${verb}: ${r.applied.map((a) => nameOf(a)).join(', ')}.`);
  if (r.deferred.length)
    parts.push(`Checked when applied: ${r.deferred.map((d) => `${d.label} (${d.reason})`).join(', ')}.`);
  if (r.failed) parts.push(`Failed: ${r.failed.error.message}`);
  if (r.cancelled) parts.push('Cancelled.');
  if (r.notApplied.length) parts.push(`Not applied: ${r.notApplied.map((n) => n.label).join(', ')}.`);
  if ((r.failed || r.cancelled) && !r.dryRun && !r.applied.length) parts.push('Nothing was applied.');
  return parts.join(' ');
}

function nameOf(a: AppliedObject): string {
  return `${a.kind.kind} ${a.namespace ? `${a.namespace}/` : ''}${a.name}`;
}

/** An object as YAML for the diff editor: no managedFields, status or server bookkeeping. */
export function diffYaml(o: KubeObject | undefined): string {
  if (!o) return '';
  const m = { ...o.metadata } as Record<string, unknown>;
  for (const k of ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation']) delete m[k];
  const out: Record<string, unknown> = { ...o, metadata: m };
  delete out.status;
  return stringify(out, { lineWidth: 0 });
}
