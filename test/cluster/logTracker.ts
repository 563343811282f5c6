// The pods of a training job by its labels, role and rank from the operator's labels: the log cluster test and the
// log benchmark create bare pods with a PyTorchJob's labels and no PyTorchJob (no operator runs there), which
// k8s/workloadPods.ts trackPods, resolving the workload object first, would not find. Same interface.
import { POD_KIND, type KubeObject } from '../../src/core/kube';
import { compareLabels } from '../../src/core/logMerge';
import { ok } from '../../src/k8s/errors';
import type { TrackedPod, TrackPods, WorkloadPods } from '../../src/sessions/logFollow';

const JOB = 'training.kubeflow.org/job-name';
const TYPE = 'training.kubeflow.org/replica-type';
const INDEX = 'training.kubeflow.org/replica-index';

export const labelTracker: TrackPods = (conn, target) => {
  const h = conn.watch({
    kind: POD_KIND,
    namespace: target.namespace,
    labelSelector: target.type === 'workload' ? `${JOB}=${target.name}` : undefined,
    fieldSelector: target.type === 'pod' ? `metadata.name=${target.name}` : undefined,
  });
  const current = (): TrackedPod[] =>
    [...h.cache.items()]
      .filter((p) => !p.metadata.deletionTimestamp)
      .map((pod: KubeObject) => {
        const role = pod.metadata.labels?.[TYPE] ?? 'pod';
        const index = Number(pod.metadata.labels?.[INDEX] ?? 0);
        return { pod, role, label: `${role}-${index}`, rank: [index] };
      })
      .sort((a, b) => compareLabels(a.label, b.label));
  const tracker: WorkloadPods = {
    ready: async () => {
      const e = await h.cache.whenSynced();
      return e ? { ok: false, error: e } : ok(undefined);
    },
    current,
    workload: () => undefined,
    onDidChange: (l) => h.cache.onDidChange(() => l(current())),
    onDidEnd: () => ({ dispose: () => undefined }),
    dispose: () => h.dispose(),
  };
  return tracker;
};
