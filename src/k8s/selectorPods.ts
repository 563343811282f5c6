// The pods a label selector (a Service's, a workload's pod label) or a pod name picks in one namespace, now and
// later, from the connection's shared pod watch. A Service has no owner to roll up through, so trackPods()
// (workloads and single pods through the workload index) does not cover it; a StatefulSet pod tracked by name
// is followed across its replacement.
import { podRole, selectorString, type LabelSelector } from '../core/kinds';
import { POD_KIND, type KubeObject } from '../core/kube';
import { Emitter, type Disposable } from '../core/lifecycle';
// Type-only import of the connection: the editor's commands load this module without the Kubernetes client.
import type { ClusterConnection } from './connection';
import { fail, ok, type K8sErrorKind, type Result } from './errors';

export interface SelectedPod {
  readonly pod: KubeObject;
  readonly role: string;
  readonly label: string;
  readonly rank: readonly number[];
}

export interface SelectedPods extends Disposable {
  ready(): Promise<Result<void>>;
  current(): readonly SelectedPod[];
  onDidChange(listener: () => void): Disposable;
  /** Never fires: a selector outlives its pods (a Service scaled to zero still selects). */
  onDidEnd(listener: (reason?: unknown) => void): Disposable;
}

const TRANSIENT = new Set<K8sErrorKind>(['unreachable', 'server', 'gone', 'cancelled']);

export type PodSelection = { readonly labels: LabelSelector } | { readonly podName: string };

export function trackSelectedPods(
  conn: ClusterConnection,
  namespace: string,
  selection: PodSelection,
): SelectedPods {
  const handle = conn.watch({
    kind: POD_KIND,
    namespace,
    ...('labels' in selection
      ? { labelSelector: selectorString(selection.labels) }
      : { fieldSelector: `metadata.name=${selection.podName}` }),
  });
  const change = new Emitter<void>();
  const end = new Emitter<unknown>();
  const sub = handle.cache.onDidChange(() => change.fire());
  return {
    async ready(): Promise<Result<void>> {
      const e = await handle.cache.whenSynced();
      if (!e) return ok(undefined);
      if (!TRANSIENT.has(e.kind)) return fail(e);
      // A slow or restarting apiserver: the cache retries with backoff; ready once it has listed.
      while (!handle.cache.synced && handle.cache.health.state !== 'stopped')
        await new Promise((r) => setTimeout(r, 250));
      return handle.cache.synced ? ok(undefined) : fail(e);
    },
    current(): readonly SelectedPod[] {
      return [...handle.cache.items()].map((pod) => ({ pod, ...podRole(pod) }));
    },
    onDidChange: (l: () => void): Disposable => change.event(l),
    onDidEnd: (l: (reason?: unknown) => void): Disposable => end.event(l),
    dispose(): void {
      sub.dispose();
      handle.dispose();
      change.dispose();
      end.dispose();
    },
  };
}
