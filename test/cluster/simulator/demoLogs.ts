// Demo only (cluster:up): plausible container output for the pods the simulator manages, appended every few
// seconds while they run, so log views have something live to show. Tests never turn this on.
import { appendPodLog } from '../harness/logs';
import type { Rest } from '../harness/rest';
import { type Obj, phase } from './util';

const counters = new Map<string, number>();

const TICK_S = 3;

function clock(s: number): string {
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

/** tqdm's default bar: `Epoch 1/3:  37%|███▋      | 74/200 [03:42<06:18,  3.00s/it, loss=1.832]`. */
export function tqdmBar(desc: string, i: number, total: number, elapsedS: number, postfix: string): string {
  const frac = Math.min(1, i / total);
  const width = 10;
  const full = Math.floor(frac * width);
  const partial = ' ▏▎▍▌▋▊▉'[Math.floor((frac * width - full) * 8)] ?? '';
  const bar = ('█'.repeat(full) + (full < width ? partial : '')).padEnd(width, ' ');
  const rate = i > 0 ? elapsedS / i : 0;
  const left = rate * (total - i);
  return `${desc}: ${String(Math.round(frac * 100)).padStart(3)}%|${bar}| ${i}/${total} [${clock(elapsedS)}<${clock(left)}, ${rate.toFixed(2).padStart(5)}s/it, ${postfix}]`;
}

export interface Chunk {
  stream: 'stdout' | 'stderr';
  lines: string[];
}

/**
 * A distributed fine-tune as torchrun prints it: rank 0 logs metrics (epoch, step, loss, tokens/s) on stdout,
 * every rank draws a tqdm bar on stderr (`\r` updates; the runtime writes them out with the next newline).
 * Sized so the bar reaches 100% of the last epoch when the pod's `sim.gantry.dev/duration` runs out.
 */
function trainingLines(p: Obj, n: number, rank: string, world: string): Chunk[] {
  const dur = /^(\d+)s$/.exec(p.metadata.annotations?.['sim.gantry.dev/duration'] ?? '')?.[1];
  const ticks = Math.max(30, Math.floor(Number(dur ?? 900) / TICK_S) - 2);
  const epochs = 3;
  const perTick = 2;
  const perEpoch = Math.max(10, Math.floor((ticks * perTick) / epochs));
  const total = perEpoch * epochs;
  const r0 = rank === '0';
  if (n === 0) {
    const out: Chunk[] = [
      {
        stream: 'stdout',
        lines: [
          `[rank${rank}]: NCCL INFO Bootstrap: Using eth0:10.244.0.${10 + Number(rank)}<0>`,
          `[rank${rank}]: torch.distributed initialized: backend=nccl world_size=${world} rank=${rank}`,
        ],
      },
    ];
    if (r0)
      out.push(
        {
          stream: 'stderr',
          lines: ['Loading checkpoint shards: 100%|██████████| 4/4 [00:11<00:00,  2.86s/it]'],
        },
        {
          stream: 'stdout',
          lines: [
            `dataset: 1,204,512 samples (2.31B tokens), seq_len=4096, global_batch=64, steps/epoch=${perEpoch}`,
            `***** Running training: ${epochs} epochs, ${total} steps, bf16, FSDP FULL_SHARD *****`,
          ],
        },
      );
    return out;
  }
  // Done: the process waits for its peers and exits (the pod ends at its duration).
  if ((n - 1) * perTick >= total) return [];
  const step = Math.min(total, n * perTick);
  const epoch = Math.min(epochs, Math.floor((step - 1) / perEpoch) + 1);
  const inEpoch = step - (epoch - 1) * perEpoch;
  const loss = (x: number): number => 0.92 + 1.7 * Math.exp(-x / (total / 4)) + 0.04 * Math.sin(x * 1.7);
  const states = [];
  for (let s = step - perTick + 1; s <= step; s++) {
    const e = s - (epoch - 1) * perEpoch;
    if (e < 1) continue;
    states.push(
      tqdmBar(`Epoch ${epoch}/${epochs}`, e, perEpoch, (e * TICK_S) / perTick, `loss=${loss(s).toFixed(3)}`),
    );
  }
  const out: Chunk[] = [{ stream: 'stderr', lines: [`\r${states.join('\r')}`] }];
  if (r0 && step % 10 === 0) {
    const tps = 86_000 + Math.round(3000 * Math.sin(n / 3));
    const lr = (2e-5 * Math.min(1, step / 30) * (1 - step / (total + 1))).toExponential(2);
    out.push({
      stream: 'stdout',
      lines: [
        `epoch ${epoch} step ${step}/${total} loss=${loss(step).toFixed(4)} lr=${lr} grad_norm=${(0.6 + 0.3 * Math.abs(Math.cos(step))).toFixed(2)} tokens/s=${tps.toLocaleString('en-US')} gpu_mem=71.4GiB`,
      ],
    });
  }
  if (r0 && inEpoch === perEpoch)
    out.push({
      stream: 'stdout',
      lines: [
        `epoch ${epoch} done: train_loss=${loss(step).toFixed(4)} eval_loss=${(loss(step) - 0.03).toFixed(4)}; checkpoint saved to /checkpoints/epoch-${epoch}`,
      ],
    });
  return out;
}

export function linesFor(p: Obj, n: number): Chunk[] {
  const l = p.metadata.labels ?? {};
  const ns = p.metadata.namespace ?? 'default';
  if (l['training.kubeflow.org/job-name'] || l['jobset.sigs.k8s.io/jobset-name']) {
    const env: { name: string; value?: string }[] = p.spec?.containers?.[0]?.env ?? [];
    const rank =
      env.find((e) => e.name === 'RANK')?.value ??
      l['training.kubeflow.org/replica-index'] ??
      l['batch.kubernetes.io/job-completion-index'] ??
      '0';
    const world =
      env.find((e) => e.name === 'WORLD_SIZE')?.value ?? l['jobset.sigs.k8s.io/global-replicas'] ?? '1';
    return trainingLines(p, n, rank, world);
  }
  return [{ stream: 'stdout', lines: otherLines(p, n, l, ns) }];
}

function otherLines(p: Obj, n: number, l: Record<string, string>, ns: string): string[] {
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
    const chunks = linesFor(p, n).filter((c) => c.lines.length > 0);
    if (chunks.length === 0) continue;
    counters.set(key, n + 1);
    const container: string | undefined = p.spec?.containers?.[0]?.name;
    if (!container) continue;
    try {
      for (const c of chunks)
        await appendPodLog(
          rest,
          podLogsDir,
          p.metadata.namespace ?? 'default',
          p.metadata.name,
          container,
          c.lines,
          c.stream,
        );
    } catch (e) {
      log(`demo log for ${key}: ${(e as Error).message}`);
    }
  }
}
