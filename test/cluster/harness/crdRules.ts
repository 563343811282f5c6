// CRDs newer than the apiserver: Kubernetes 1.30 cannot compile CEL rules that read metadata.namespace of an
// embedded template (JobSet 0.12, Trainer 2.3) and refuses the whole CRD. The harness then applies such a CRD
// without the rules the server named, and says so; the schema lacks that one validation on that server.

/** Names of the CRDs a failed `kubectl apply` reports as invalid. */
export function rejectedCrdNames(errorText: string): string[] {
  return [
    ...errorText.matchAll(/CustomResourceDefinition(?:\.apiextensions\.k8s\.io)? "([^"]+)" is invalid/g),
  ].map((m) => m[1]!);
}

/** Removes `x-kubernetes-validations` rules whose text appears in `errorText`; pushes the rules removed. */
export function dropRejectedRules(node: unknown, errorText: string, removed: string[]): void {
  if (Array.isArray(node)) {
    for (const n of node) dropRejectedRules(n, errorText, removed);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  const rules = o['x-kubernetes-validations'];
  if (Array.isArray(rules)) {
    const keep = rules.filter((r: { rule?: string }) => !(r.rule && errorText.includes(r.rule)));
    for (const r of rules) if (!keep.includes(r)) removed.push((r as { rule: string }).rule);
    if (keep.length > 0) o['x-kubernetes-validations'] = keep;
    else delete o['x-kubernetes-validations'];
  }
  for (const v of Object.values(o)) dropRejectedRules(v, errorText, removed);
}

export interface CrdAdjustment {
  name: string;
  removedRules: string[];
}

export type CrdDoc = { metadata?: { name?: string } };

/**
 * The CRDs among `docs` that `errorText` (a failed apply) reports as refused, each without the rules the server
 * named, and what was removed. Undefined when the error names no CRD, or a refused CRD holds none of the rules
 * (refused for another reason): the caller then fails with the error.
 */
export function withoutRejectedRules<T extends CrdDoc>(
  docs: readonly T[],
  errorText: string,
): { docs: T[]; adjustments: CrdAdjustment[] } | undefined {
  const failed = rejectedCrdNames(errorText);
  if (failed.length === 0) return undefined;
  const out: { docs: T[]; adjustments: CrdAdjustment[] } = { docs: [], adjustments: [] };
  for (const d of docs) {
    const name = d.metadata?.name;
    if (!name || !failed.includes(name)) continue;
    const removed: string[] = [];
    dropRejectedRules(d, errorText, removed);
    if (removed.length === 0) return undefined;
    out.docs.push(d);
    out.adjustments.push({ name, removedRules: [...new Set(removed)] });
  }
  return out;
}
