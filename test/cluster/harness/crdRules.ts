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
