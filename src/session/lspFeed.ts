// What the language server needs from the live cluster (its GANTRY103/104/106/110 rules), from the caches.
import type { KubeObject } from '../core/kube';
import type { ModelSnapshot } from '../k8s/modelSource';
import type { ClusterFactsPayload } from '../shared/protocol';

const LOCAL_QUEUE = 'LocalQueue.kueue.x-k8s.io';

export function clusterFacts(s: ModelSnapshot, defaultNamespace: string): ClusterFactsPayload {
  const nodes = [...(s.objects.get('Node')?.values() ?? [])].map((n: KubeObject) => ({
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
  const localQueues = [...(s.objects.get(LOCAL_QUEUE)?.values() ?? [])].map((q) => ({
    namespace: q.metadata.namespace ?? '',
    name: q.metadata.name,
  }));
  return { nodes, localQueues, defaultNamespace };
}

/** A cheap fingerprint of the facts, so the server is told only when they change. */
export function factsKey(f: ClusterFactsPayload): string {
  return JSON.stringify(f);
}
