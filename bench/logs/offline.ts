// The follower's own cost without a cluster: the LogSession of gantryFollower.ts (podLogs' line reading,
// resume cursor, the ring) and the panel's formatEntry + LineBatcher, fed the bytes an apiserver sends for
// `timestamps=true` from in-memory streams, as fast as it takes them: one chunk per line (the apiserver flushes
// a followed log line by line), `lines per read` of them per turn of the event loop (one socket read).
// Prints CPU µs per line and the longest stretch the event loop was blocked. For quick iterations and
// profiles (`node --cpu-prof --import tsx bench/logs/offline.ts`); the figures that count come from run.ts.
// argv: [pods=8] [lines per pod=200000] [lines per read=100]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import type { KubeObject } from '../../src/core/kube';
import { Emitter } from '../../src/core/lifecycle';
import { formatEntry, type LogEntry } from '../../src/core/logMerge';
import { LineBatcher } from '../../src/core/logsBatch';
import { ClusterConnection } from '../../src/k8s/connection';
import { ok } from '../../src/k8s/errors';
import type { KubeTransport } from '../../src/k8s/transport';
import { LogSession, type TrackedPod, type WorkloadPods } from '../../src/sessions/logFollow';

const [podsArg, linesArg, chunkArg] = process.argv.slice(2);
const PODS = Number(podsArg ?? 8);
const LINES = Number(linesArg ?? 200_000);
const PER_READ = Number(chunkArg ?? 100);

const bodies: PassThrough[] = [];
const transport = {
  server: 'https://offline',
  config: { exec: undefined },
  get: async () => ok({}),
  request: async () => ok({}),
  stream: async () => {
    const b = new PassThrough();
    bodies.push(b);
    return ok(b);
  },
  dispose() {},
} as unknown as KubeTransport;
const conn = ClusterConnection.fromTransport(
  { name: 'offline', cluster: 'c', user: 'u', file: 'kubeconfig' },
  transport,
);
const pods: TrackedPod[] = Array.from({ length: PODS }, (_, i) => ({
  role: 'worker',
  label: `worker-${i}`,
  rank: [i],
  pod: {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `bench-worker-${i}`, namespace: 'ns', uid: `uid-${i}` },
    spec: { restartPolicy: 'Never', containers: [{ name: 'pytorch' }] },
    status: {
      phase: 'Running',
      containerStatuses: [{ name: 'pytorch', restartCount: 0, state: { running: {} } }],
    },
  } as KubeObject,
}));
const change = new Emitter<readonly TrackedPod[]>();
const end = new Emitter<'deleted'>();
const tracker: WorkloadPods = {
  ready: async () => ok(undefined),
  current: () => pods,
  workload: () => undefined,
  onDidChange: change.event,
  onDidEnd: end.event,
  dispose() {},
} as unknown as WorkloadPods;
const session = new LogSession(
  'offline',
  { type: 'workload', group: 'kubeflow.org', kind: 'PyTorchJob', namespace: 'ns', name: 'bench' },
  { lease: { connection: conn, dispose: () => undefined }, trackPods: () => tracker },
  { tailLines: 0 },
);
let written = 0;
let writes = 0;
const batch = new LineBatcher<LogEntry>(
  (text) => {
    written += text.length;
    writes++;
  },
  {
    keepLines: () => 1050,
    format: (e) => formatEntry(e, { colour: true }) + '\r\n',
    chars: (e) => e.text.length,
  },
);
let got = 0;
session.onDidAppend((entries) => {
  for (const e of entries) batch.push(e);
  got += entries.length;
});

/** What the apiserver sends for a CRI line of writer.ts: `<RFC3339Nano> <text>\n`. */
function body(pod: number): Buffer[] {
  const parts: Buffer[] = [];
  const t0 = Date.parse('2026-12-07T06:45:00Z');
  for (let n = 0; n < LINES; n++) {
    const ms = t0 + Math.floor(n / 10);
    const ts = new Date(ms).toISOString().replace('Z', `${String(pod).padStart(6, '0')}Z`);
    parts.push(Buffer.from(`${ts} p=1 seq=${n} t=${ms} loss=0.${n % 1000}\n`));
  }
  return parts;
}

async function main(): Promise<void> {
  const data = Array.from({ length: PODS }, (_, i) => body(i));
  await session.start();
  while (bodies.length < PODS) await new Promise((r) => setTimeout(r, 1));
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // Every pod's lines in turns of PER_READ one-line chunks, the next turn when the stream wants more.
  await Promise.all(
    bodies.map(async (b, i) => {
      const d = data[i]!;
      for (let at = 0; at < d.length; at += PER_READ) {
        let more = true;
        for (let k = at; k < Math.min(d.length, at + PER_READ); k++) more = b.write(d[k]!);
        if (!more) await new Promise<void>((r) => b.once('drain', () => r()));
        else await new Promise<void>((r) => setImmediate(r));
      }
    }),
  );
  while (got < PODS * LINES) await new Promise((r) => setTimeout(r, 1));
  batch.flush();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  loop.disable();
  const lines = PODS * LINES;
  console.log(
    JSON.stringify({
      lines,
      seconds: +(ms / 1000).toFixed(2),
      linesPerSecond: Math.round(lines / (ms / 1000)),
      cpuUsPerLine: +((cpu.user + cpu.system) / lines).toFixed(2),
      loopDelayMs: {
        p50: +(loop.percentile(50) / 1e6).toFixed(1),
        p99: +(loop.percentile(99) / 1e6).toFixed(1),
        max: +(loop.max / 1e6).toFixed(1),
      },
      ring: session.ring.size,
      writes,
      writtenMB: +(written / 2 ** 20).toFixed(1),
    }),
  );
  session.dispose();
}

void main();
