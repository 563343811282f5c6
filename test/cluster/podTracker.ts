// The pods of a label selector from a shared watch, shaped as the forward session reads a workload's pods.
// A stand-in for k8s/workloadPods trackPods() (written on the index branch) until it lands on main; the
// forward session only sees the PodTracker interface, so the cluster tests drive the real session code.
import { podRole, selectorString, type LabelSelector } from '../../src/core/kinds';
import { POD_KIND } from '../../src/core/kube';
import { Emitter, type Disposable } from '../../src/core/lifecycle';
import type { ClusterConnection } from '../../src/k8s/connection';
import { fail, ok, type Result } from '../../src/k8s/errors';
import type { PodTracker, TrackedPodLike } from '../../src/sessions/portForward';

export function trackSelector(
  conn: ClusterConnection,
  namespace: string,
  selector: LabelSelector,
): PodTracker {
  const handle = conn.watch({ kind: POD_KIND, namespace, labelSelector: selectorString(selector) });
  const change = new Emitter<void>();
  const end = new Emitter<unknown>();
  const sub = handle.cache.onDidChange(() => change.fire());
  return {
    async ready(): Promise<Result<void>> {
      const e = await handle.cache.whenSynced();
      return e ? fail(e) : ok(undefined);
    },
    current(): readonly TrackedPodLike[] {
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
