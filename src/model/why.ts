// "Why Not Running?" for one shown workload: the tree's view of it completed with what only the API knows
// (Kueue's queues and position, runtimes, PodGroups, all events), then the pure explanation. Editor-free, so
// the cluster tests drive exactly what the command shows.
import { type KubeObject } from '../core/kube';
import { type WorkloadTreeModel } from '../core/tree';
import { type WhyNotRunning, whyNotRunning } from '../core/whyNotRunning';
import { type ApiReader, completeWhyInput } from '../k8s/whyFacts';

export interface WhyReport {
  workload: KubeObject;
  why: WhyNotRunning;
  /** Events of the workload and its pods (all types), for the panel's raw list. */
  events: KubeObject[];
}

export async function explainWorkload(
  tree: WorkloadTreeModel,
  api: ApiReader,
  workloadId: string,
  signal?: AbortSignal,
): Promise<WhyReport | undefined> {
  const base = tree.whyInput(workloadId);
  if (!base) return undefined;
  const { input, events } = await completeWhyInput(api, base, signal);
  return { workload: input.workload, why: whyNotRunning(input), events };
}
