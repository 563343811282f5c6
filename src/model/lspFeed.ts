// What the language server needs from the live cluster (its GANTRY103/104/106/110 rules), from the caches.
import type { KubeObject } from '../core/kube';
import type { ClusterFactsPayload } from '../shared/protocol';

const LOCAL_QUEUE = 'LocalQueue.kueue.x-k8s.io';

/** `objectsOf(kindKey)` iterates the cached objects of a kind (ClusterModelSource.objectsOf, no copy). */
export function clusterFacts(
  objectsOf: (kindKey: string) => Iterable<KubeObject>,
  defaultNamespace: string,
): ClusterFactsPayload {
  const nodes = [...objectsOf('Node')].map((n: KubeObject) => ({
    name: n.metadata.name,
    labels: n.metadata.labels ?? {},
    allocatable: (n.status?.allocatable ?? {}) as Record<string, string>,
    taints: ((n.spec?.taints ?? []) as { key: string; value?: string; effect: string }[]).map((t) => ({
      key: t.key,
      ...(t.value !== undefined ? { value: t.value } : {}),
      effect: t.effect,
    })),
    ...(n.spec?.unschedulable ? { unschedulable: true } : {}),
  }));
  const localQueues = [...objectsOf(LOCAL_QUEUE)].map((q) => ({
    namespace: q.metadata.namespace ?? '',
    name: q.metadata.name,
  }));
  return { nodes, localQueues, defaultNamespace };
}

/** A cheap fingerprint of the facts, so the server is told only when they change. */
export function factsKey(f: ClusterFactsPayload): string {
  return JSON.stringify(f);
}
