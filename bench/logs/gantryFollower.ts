// The Gantry side of bench:logs, in its own process so its CPU and memory are its own: a LogSession on the
// workload (the same code the editor runs, with the panel's formatting and batched terminal writes), checking
// order per pod as lines arrive and latency when they are written to the (here absent) terminal.
// argv: <kubeconfig> <namespace> <job> <phase> <expected per pod>. stdout: READY, DONE, then one JSON line.
import { writeHeapSnapshot, getHeapSpaceStatistics } from 'node:v8';
import { formatEntry, type LogEntry } from '../../src/core/logMerge';
import { LineBatcher } from '../../src/core/logsBatch';
import { ClusterConnection } from '../../src/k8s/connection';
import { loadKubeconfig, type MergedKubeconfig } from '../../src/k8s/kubeconfig';
import { LogSession } from '../../src/sessions/logFollow';
import { labelTracker } from '../../test/cluster/logTracker';
import { Meter } from './meter';
import { Tally } from './tally';

const [kubeconfig, namespace, job, phase, expectedArg] = process.argv.slice(2);
const expected = Number(expectedArg);
const cfg = loadKubeconfig({ explicitPath: kubeconfig }) as MergedKubeconfig;
const conn = ClusterConnection.create(cfg, cfg.currentContext!);
if (!conn.ok) throw new Error(conn.error.message);
const session = new LogSession(
  'bench',
  { type: 'workload', group: 'kubeflow.org', kind: 'PyTorchJob', namespace: namespace!, name: job! },
  { lease: { connection: conn.value, dispose: () => conn.value.dispose() }, trackPods: labelTracker },
  { tailLines: 0 },
);
const tally = new Tally(phase!, expected);
const ready = new Set<string>();
let formatted = 0;
/** Write times of the lines appended since the panel's last write to its terminal. */
let unwritten: number[] = [];
// What the panel does with the lines: batched writes to the terminal, at most the lines the terminal keeps per
// batch (VS Code's default scrollback of 1,000 rows + 50 visible rows), formatted when written (panels/logPanel.ts).
// Latency is measured at that write.
/**
 * Time spent in the bench's own bookkeeping (the tally's regular expression per line, latency buckets): not
 * Gantry's work, but counted in this process's CPU; measured so the report can show both.
 */
let tallyMs = 0;
const batch = new LineBatcher<LogEntry>(
  (text) => {
    formatted += text.length;
    const t0 = performance.now();
    const now = Date.now();
    for (const t of unwritten) tally.latency(now - t);
    unwritten = [];
    tallyMs += performance.now() - t0;
  },
  {
    keepLines: () => 1050,
    format: (e) => formatEntry(e, { colour: true }) + '\r\n',
    chars: (e) => e.text.length,
  },
);
const meter = new Meter(() => tally.last);
session.onDidAppend((entries) => {
  // What the panel does per line.
  for (const e of entries) batch.push(e);
  const t0 = performance.now();
  const now = Date.now();
  for (const e of entries) {
    if (e.kind !== 'line') continue;
    if (e.text === `ready ${phase}`) {
      ready.add(e.source.label);
      if (ready.size === tally.pods && !meter.measuring) {
        tallyMs = 0;
        meter.start();
      }
      continue;
    }
    const completed = tally.add(e.source.label, e.text, now, false);
    if (!Number.isNaN(tally.lastWrittenAt)) unwritten.push(tally.lastWrittenAt);
    if (completed && tally.complete()) process.stdout.write('DONE\n');
  }
  if (meter.measuring) tallyMs += performance.now() - t0;
});
void session.start();
process.stdin.on('data', (d: Buffer) => {
  const cmd = d.toString().trim();
  if (cmd.startsWith('PODS ')) tally.pods = Number(cmd.slice(5));
  if (cmd === 'STOP') {
    batch.flush();
    const measured = meter.stop();
    // What stays alive (the ring, the tally): the peak above includes garbage not yet collected.
    (globalThis as { gc?: () => void }).gc?.();
    const heapAfterGc = process.memoryUsage().heapUsed;
    const spaces = Object.fromEntries(
      getHeapSpaceStatistics().map((x) => [x.space_name, Math.round(x.space_used_size / 2 ** 20)]),
    );
    if (process.env.BENCH_LOGS_HEAP_SNAPSHOT) writeHeapSnapshot(process.env.BENCH_LOGS_HEAP_SNAPSHOT);
    process.stdout.write(
      JSON.stringify({
        ...tally.report(),
        ...measured,
        tallySeconds: tallyMs / 1e3,
        heapAfterGcMB: heapAfterGc / 2 ** 20,
        heapSpacesMB: spaces,
        ringSize: session.ring.size,
        formattedMB: formatted / 2 ** 20,
      }) + '\n',
    );
    session.dispose();
    conn.value.dispose();
    process.exit(0);
  }
});
