// The GPUs view's message: one compact line per GPU model, then one per Kueue ClusterQueue with GPU quota,
// so the figures read at a glance instead of running into one paragraph.
import { type GpuPoolSummary } from './gpu';
import { type KubeObject } from './kube';
import { isGpuResource } from './resources';
import { clusterQueueQuota, shortModel } from './whyNotRunning';

/** "H100 80GB: 4 free of 16" (+ ", 2 unavailable" when free GPUs sit on nodes that cannot take pods). */
export function poolShortLine(p: GpuPoolSummary): string {
  const extra = p.unavailable ? `, ${p.unavailable} unavailable` : '';
  return `${shortModel(p.model)}: ${p.free} free of ${p.total}${extra}`;
}

function flavorName(flavor: string, flavors: readonly KubeObject[]): string {
  const f = flavors.find((x) => x.metadata.name === flavor);
  const labels = (f?.spec?.nodeLabels ?? {}) as Record<string, string>;
  const nv = labels['nvidia.com/gpu.product'];
  if (nv) return shortModel(nv.replace(/-/g, ' '));
  const amd = labels['amd.com/gpu.product-name'];
  return amd ? shortModel(amd.replace(/_/g, ' ')) : flavor;
}

/** "team-a-cq: 24/32 H100 80GB (8 borrowed)" per ClusterQueue and GPU flavor. */
export function queueQuotaLines(
  clusterQueues: readonly KubeObject[],
  flavors: readonly KubeObject[] = [],
): string[] {
  const out: string[] = [];
  for (const cq of [...clusterQueues].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const parts = clusterQueueQuota(cq)
      .filter((q) => isGpuResource(q.resource) && (q.nominal > 0 || q.used > 0))
      .map(
        (q) =>
          `${q.used}/${q.nominal} ${flavorName(q.flavor, flavors)}${q.borrowed ? ` (${q.borrowed} borrowed)` : ''}`,
      );
    if (parts.length) out.push(`${cq.metadata.name}: ${parts.join(', ')}`);
  }
  return out;
}

/**
 * The GPUs view's message. Each model is already a row of the view with its free/total, and VS Code shows the
 * message as one paragraph (line breaks collapse), so the message holds only what no row shows: Kueue's quota
 * per ClusterQueue, as one short sentence ("Kueue quota (used/nominal): team-a-cq 24/32 H100 80GB; …"), or ''.
 */
export function gpuSummaryText(
  clusterQueues: readonly KubeObject[] = [],
  flavors: readonly KubeObject[] = [],
): string {
  const queues = queueQuotaLines(clusterQueues, flavors).map((l) => l.replace(': ', ' '));
  return queues.length ? `Kueue quota (used/nominal): ${queues.join('; ')}` : '';
}
