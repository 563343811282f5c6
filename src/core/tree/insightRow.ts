// A workload row's part that comes from reading its training logs: progress after the status, and the failure
// explanation in place of the reason of a failed or restarting job. Kept apart from workloadTree.ts so the row
// builder only calls two functions. Pure.
import type { FailureExplanation } from '../failureExplain';
import { explanationMarkdown, explanationShort } from '../failureExplain';
import type { KubeObject } from '../kube';
import type { WorkloadSummary } from '../status';
import {
  progressFromTrainerStatus,
  progressMarkdown,
  progressShort,
  type TrainingProgress,
} from '../trainingProgress';

/** What the logs told about a workload (model/insights.ts keeps these). */
export interface RowInsight {
  /** Progress from the main rank's log (a followed panel or Gantry's own follow). */
  readonly progress?: TrainingProgress;
  /** The label whose log the progress comes from. */
  readonly progressFrom?: string;
  /** Why it failed or restarted, from the ranks' tails read at that moment. */
  readonly failure?: FailureExplanation;
}

/** The tree asks for a workload's insight by its id (`w:<Kind.group>:<ns>/<name>`). */
export type InsightLookup = (workloadId: string) => RowInsight | undefined;

/** The operator's own status wins over the logs (a TrainJob's status.trainerStatus). */
export function effectiveProgress(
  object: KubeObject,
  insight: RowInsight | undefined,
): { progress: TrainingProgress; from?: string } | undefined {
  const own = progressFromTrainerStatus(object);
  if (own) return { progress: own };
  return insight?.progress ? { progress: insight.progress, from: insight.progressFrom } : undefined;
}

const SHOWS_FAILURE = new Set(['Failed', 'Restarting']);
const SHOWS_PROGRESS = new Set(['Running', 'Restarting']);

/**
 * The row's status part and its progress part: "Failed: CUDA OOM on worker-3: tried to allocate 2.5 GiB, 1.1 GiB
 * free" replaces "Failed: Error (exit 1) in worker-3"; "epoch 2/3 · step 450/1000 · loss 0.41↓" follows a running
 * job's status. Undefined parts leave the row as it was.
 */
export function insightParts(
  object: KubeObject,
  summary: WorkloadSummary,
  insight: RowInsight | undefined,
): { status?: string; progress?: string } {
  const out: { status?: string; progress?: string } = {};
  // Only what the logs add replaces the status's reason: a cause read from the container state alone
  // ("OOMKilled in worker-2") is already there, said in the tooltip in plain words.
  const fromLogs = (insight?.failure?.root.evidence?.index ?? -1) >= 0;
  if (insight?.failure && fromLogs && SHOWS_FAILURE.has(summary.phase))
    out.status = `${summary.phase}: ${explanationShort(insight.failure)}`;
  const p = SHOWS_PROGRESS.has(summary.phase) ? effectiveProgress(object, insight) : undefined;
  const text = p ? progressShort(p.progress) : '';
  if (text) out.progress = text;
  return out;
}

/** Markdown put before the row's usual tooltip: the failure explained, then the training progress. */
export function insightTooltip(object: KubeObject, insight: RowInsight | undefined): string | undefined {
  const parts: string[] = [];
  if (insight?.failure) parts.push(...explanationMarkdown(insight.failure));
  const p = effectiveProgress(object, insight);
  if (p) {
    if (parts.length) parts.push('');
    parts.push(...progressMarkdown(p.progress, p.from));
  }
  return parts.length ? parts.join('\n') : undefined;
}
