// Demo only (cluster:up): plausible container output for the pods the simulator manages, appended every few
// seconds while they run, so log views have something live to show. Tests never turn this on.
import { appendPodLog } from '../harness/logs';
import type { Rest } from '../harness/rest';
import { type Obj, phase } from './util';

const counters = new Map<string, number>();

function linesFor(p: Obj, n: number): string[] {
  const l = p.metadata.labels ?? {};
  const ns = p.metadata.namespace ?? 'default';
  if (l['training.kubeflow.org/job-name'] || l['jobset.sigs.k8s.io/jobset-name']) {
    const rank =
      l['training.kubeflow.org/replica-index'] ?? l['batch.kubernetes.io/job-completion-index'] ?? '0';
    const env: { name: string; value?: string }[] = p.spec?.containers?.[0]?.env ?? [];
    const world =
      env.find((e) => e.name === 'WORLD_SIZE')?.value ?? l['jobset.sigs.k8s.io/global-replicas'] ?? '1';
    if (n === 0) return [`[rank${rank}] torch.distributed initialized: backend=nccl world_size=${world}`];
    const step = n * 50;
    const loss = (2.5 * Math.exp(-n / 40) + 0.05 * Math.random()).toFixed(4);
    return [
      `[rank${rank}] epoch ${Math.floor(n / 20)} step ${step} loss=${loss} lr=3.0e-04 throughput=${(900 + Math.random() * 80).toFixed(1)} samples/s`,
    ];
  }
  if (l['ray.io/node-type'] === 'head') {
    return n === 0
      ? ['Local node IP: 10.244.0.1', 'Ray runtime started.']
      : [`Autoscaler status: ${l['ray.io/cluster']}: all worker groups at desired size`];
  }
  if (l['ray.io/node-type'] === 'worker')
    return n === 0
      ? ['Ray runtime started.']
      : [`(raylet) task throughput ${(100 + Math.random() * 20).toFixed(0)}/s`];
  if (l['notebook-name']) {
    return n === 0
      ? [
          `[I ServerApp] Jupyter Server is running at: http://${p.metadata.name}:8888/notebook/${ns}/${l['notebook-name']}/lab`,
        ]
      : [];
  }
  if (l['serving.kserve.io/inferenceservice']) {
    const m = l['serving.kserve.io/inferenceservice'];
    return n === 0
      ? [`INFO:kserve:Registering model: ${m}`, 'INFO:     Uvicorn running on http://0.0.0.0:8080']
      : [`INFO:     10.244.0.9:0 - "POST /v1/models/${m}:predict HTTP/1.1" 200 OK`];
  }
  return [];
}

export async function writeDemoLogs(
  rest: Rest,
  podLogsDir: string,
  pods: Obj[],
  log: (m: string) => void,
): Promise<void> {
  for (const p of pods) {
    if (phase(p) !== 'Running' || p.metadata.deletionTimestamp) continue;
    const key = `${p.metadata.namespace}/${p.metadata.name}/${p.metadata.uid}`;
    const n = counters.get(key) ?? 0;
    const lines = linesFor(p, n);
    if (lines.length === 0) continue;
    counters.set(key, n + 1);
    const container: string | undefined = p.spec?.containers?.[0]?.name;
    if (!container) continue;
    try {
      await appendPodLog(
        rest,
        podLogsDir,
        p.metadata.namespace ?? 'default',
        p.metadata.name,
        container,
        lines,
      );
    } catch (e) {
      log(`demo log for ${key}: ${(e as Error).message}`);
    }
  }
}
