// npm run bench:logs — 8 pods of one simulated training job, each appending 10,000 lines/s for 30 s to its kwok
// log file, followed as one workload by Gantry's LogSession (its own process) and, in the same run and
// alternating, by `kubectl logs -f -l <job label> --prefix --max-log-requests=8`. Reports per follower: lines
// delivered per second, lines lost / out of order / repeated per pod, latency append -> delivery p50/p95, CPU
// seconds and peak memory of the process doing the work; prints cores and load. Figures, no assertions.
// Options: --attach (the cluster of $GANTRY_CLUSTER_STATE; default: start one), --pods N, --rate N (lines/s
// per pod), --seconds N, --rounds N (gantry+kubectl pairs), --cluster-nice N (run the cluster's processes and the
// writer at that nice level: they stand in for other machines, the apiserver's and the nodes', and on 2 cores the
// flood otherwise takes the cores the follower runs on; both followers alike; default 0, off), --followers LIST
// (default gantry,kubectl; also kubectl-ts: kubectl with --timestamps, the request Gantry always makes for its
// resume point; kubectl-h1: kubectl over HTTP/1.1, one connection per stream like Gantry, instead of HTTP/2;
// gantry:<dir>: another checkout's follower; floor, floor-h2: the least a Node follower does with Gantry's
// request, floorFollower.ts). Per follower it also reports the apiserver's and kwok's CPU while it followed and its
// TCP connections; --apiserver-profile DIR writes a CPU profile of the apiserver per follower's flood.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { type readState } from '../../test/cluster/harness/cluster';
import { sharedCluster, startCluster, type TestCluster } from '../../test/cluster/harness/index';
import { podLogFile } from '../../test/cluster/harness/logs';
import { repoRoot } from '../../test/cluster/harness/paths';
import { rest, waitFor } from '../../test/cluster/helpers';
import { editorRound, type EditorFigures } from './editor';
import { Tally } from './tally';

const { values: args } = parseArgs({
  options: {
    attach: { type: 'boolean', default: false },
    pods: { type: 'string', default: '8' },
    rate: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '1' },
    followers: { type: 'string', default: 'gantry,kubectl' },
    editor: { type: 'boolean', default: false },
    // The .vsix the editor round installs (default: the worktree's, packaged when src/ is newer).
    vsix: { type: 'string' },
    'cluster-nice': { type: 'string', default: '0' },
    // A CPU profile of kube-apiserver during each follower's flood, written to <dir>/<follower>-r<round>.pb.gz
    // (`go tool pprof -top <file>`); the cluster must serve /debug/pprof (cluster:up --profiling).
    'apiserver-profile': { type: 'string' },
  },
});
const CLUSTER_NICE = Number(args['cluster-nice']);
const PODS = Number(args.pods);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const ROUNDS = Number(args.rounds);
const EXPECTED = RATE * SECONDS;
const FOLLOWERS = new Set(args.followers.split(','));
const JOB = 'bench-logs';
const log = (m: string) => console.error(`[bench:logs] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function procStats(pid: number): { cpu: number; sys: number; hwmMB: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]);
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return { cpu: ticks / 100, sys: Number(f[12]) / 100, hwmMB: Number(hwm ?? 0) / 1024 };
  } catch {
    return { cpu: NaN, sys: NaN, hwmMB: NaN };
  }
}

/** CPU seconds of the cluster's processes that serve a follower (apiserver, kwok), by name, and their kernel part. */
function upstreamCpu(components: Record<string, { pid: number }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of ['kube-apiserver', 'kwok']) {
    const c = components[name];
    if (!c) continue;
    const st = procStats(c.pid);
    out[name] = st.cpu;
    out[`${name} kernel`] = st.sys;
  }
  return out;
}

/** `pid`'s TCP sockets as `ss` lists them (state, Recv-Q, Send-Q, ...), one line each. */
function sockets(pid: number): string[] {
  const r = spawnSync('ss', ['-tnpH'], { encoding: 'utf8' });
  return (r.stdout ?? '').split('\n').filter((l) => l.includes(`pid=${pid},`));
}

/**
 * Watches a follower while it follows, until stopped: every 500 ms the bytes the kernel received for its sockets
 * that it has not read yet (`ss` Recv-Q: lines queued in the follower itself rather than upstream in kwok or the
 * apiserver), max and mean in KiB; the CPU the apiserver and kwok spent meanwhile; its TCP connections at the end.
 */
function observe(
  pid: number,
  components: Record<string, { pid: number }>,
  profile?: { state: ReturnType<typeof readState>; file: string },
): () => {
  recvQ: { maxKiB: number; meanKiB: number };
  upstream: Record<string, number>;
  connections: number;
} {
  const xs: number[] = [];
  const up0 = upstreamCpu(components);
  if (profile) apiserverProfile(profile.state, profile.file);
  const t = setInterval(
    () => xs.push(sockets(pid).reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[1] ?? 0), 0)),
    500,
  );
  return () => {
    clearInterval(t);
    const up1 = upstreamCpu(components);
    return {
      recvQ: {
        maxKiB: Math.max(0, ...xs) / 1024,
        meanKiB: xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length) / 1024,
      },
      upstream: Object.fromEntries(Object.keys(up1).map((k) => [k, up1[k]! - (up0[k] ?? 0)])),
      connections: sockets(pid).length,
    };
  };
}

/**
 * A CPU profile of kube-apiserver over the next --seconds (the flood), from its /debug/pprof with the admin's
 * client certificate, written to `file` in the background.
 */
function apiserverProfile(state: ReturnType<typeof readState>, file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const c = spawn(
    'curl',
    [
      '-sS',
      '--fail',
      '--cacert',
      state.pki.caCrt,
      '--cert',
      state.pki.adminCrt,
      '--key',
      state.pki.adminKey,
      '-o',
      file,
      `${state.server}/debug/pprof/profile?seconds=${SECONDS}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  c.on('exit', (code) =>
    log(
      code === 0 ? `apiserver CPU profile: ${file}` : `apiserver CPU profile failed (${code}): ${err.trim()}`,
    ),
  );
}

function lines(child: ChildProcess, on: (line: string) => void): void {
  createInterface({ input: child.stdout! }).on('line', on);
}

async function main(): Promise<void> {
  // The editor round follows a PyTorchJob: its pods come from the real training-operator (the simulator no
  // longer plays it), built like the test command builds it.
  if (args.editor && !args.attach) {
    const o = spawnSync('bash', [join(repoRoot, 'scripts/cluster/operators.sh'), 'training-operator'], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (o.status !== 0) throw new Error('building the training-operator failed (see above)');
  }
  const cluster: TestCluster = args.attach
    ? await sharedCluster()
    : await startCluster(args.editor ? { operators: ['training-operator'] } : {});
  // The run dir (kwok's log files, the kubectl binary) of the cluster: the harness keeps it in its state.
  const state = (cluster as unknown as { state: ReturnType<typeof readState> }).state;
  const api = await rest(cluster);
  const ns = await cluster.createNamespace('bench-logs');
  const pods = Array.from({ length: PODS }, (_, i) => `${JOB}-worker-${i}`);
  const children: ChildProcess[] = [];
  try {
    for (const [i, name] of pods.entries())
      await api.post(`/api/v1/namespaces/${ns}/pods`, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          labels: {
            'training.kubeflow.org/job-name': JOB,
            'training.kubeflow.org/replica-type': 'worker',
            'training.kubeflow.org/replica-index': String(i),
          },
        },
        spec: {
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
          containers: [{ name: 'pytorch', image: 'trainer:1.0' }],
        },
      });
    for (const name of pods)
      await waitFor(
        `${name} Running`,
        async () =>
          (await api.get<{ status: { phase: string } }>(`/api/v1/namespaces/${ns}/pods/${name}`)).status
            .phase === 'Running',
        60_000,
      );
    for (const name of pods) await cluster.appendLog(ns, name, 'pytorch', ['bench start']);
    if (CLUSTER_NICE) {
      const pids = Object.values(state.components).map((c) => c.pid);
      const r = spawnSync('renice', ['-n', String(CLUSTER_NICE), '-p', ...pids.map(String)], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`renice failed: ${r.stderr}`);
      log(
        `cluster processes (${Object.keys(state.components).join(', ')}) and the writer at nice ${CLUSTER_NICE}`,
      );
    }
    const files = pods.map((p) => podLogFile(state.podLogsDir, ns, p, 'pytorch'));
    const results: { who: string; round: number; r: Record<string, unknown> }[] = [];
    let phase = 0;

    const flood = async (): Promise<number> => {
      const t0 = Date.now();
      const writer = [
        process.execPath,
        '--import',
        'tsx',
        'bench/logs/writer.ts',
        String(phase),
        String(RATE),
        String(SECONDS),
        ...files,
      ];
      const w = CLUSTER_NICE
        ? spawn('nice', ['-n', String(CLUSTER_NICE), ...writer], { stdio: ['ignore', 'pipe', 'inherit'] })
        : spawn(writer[0]!, writer.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(w);
      await new Promise((r) => w.on('exit', r));
      return Date.now() - t0;
    };
    /** Waits until every line arrived, or nothing new arrived for 15 s (then the rest counts as lost). */
    const drain = async (complete: () => boolean, lastDelivery: () => number) => {
      const start = Date.now();
      let seen = lastDelivery();
      let quietSince = Date.now();
      while (!complete() && Date.now() - quietSince < 15_000 && Date.now() - start < 300_000) {
        await sleep(250);
        if (lastDelivery() !== seen) {
          seen = lastDelivery();
          quietSince = Date.now();
        }
      }
    };
    const profileOf = (who: string, round: number) =>
      args['apiserver-profile']
        ? { state, file: join(args['apiserver-profile'], `${who.replace(/[^\w@.-]/g, '_')}-r${round}.pb.gz`) }
        : undefined;
    const markReady = () =>
      Promise.all(pods.map((p) => cluster.appendLog(ns, p, 'pytorch', [`ready ${phase}`])));

    for (let round = 1; round <= ROUNDS; round++) {
      // Gantry: `gantry` is this checkout's follower; `gantry:<dir>` the follower of another checkout (e.g. an
      // older commit's files), in the same run and so under the same load.
      // `floor`, `floor-h2`: the least a Node follower can do with Gantry's request (floorFollower.ts).
      const nodeFollowers = [...FOLLOWERS].filter(
        (f) => f === 'gantry' || f.startsWith('gantry:') || f === 'floor' || f === 'floor-h2',
      );
      for (const g of nodeFollowers) {
        phase++;
        const floor = g.startsWith('floor');
        const dir = g === 'gantry' || floor ? process.cwd() : g.slice('gantry:'.length);
        const who = g === 'gantry' || floor ? g : `gantry@${basename(dir)}`;
        const child = spawn(
          process.execPath,
          [
            // A real "heap after GC": without it the follower's gc() is undefined and nothing is collected.
            '--expose-gc',
            // e.g. BENCH_LOGS_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" (NODE_OPTIONS refuses --cpu-prof).
            ...(process.env.BENCH_LOGS_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
            '--import',
            'tsx',
            floor ? 'bench/logs/floorFollower.ts' : 'bench/logs/gantryFollower.ts',
            cluster.kubeconfigPath,
            ns,
            JOB,
            String(phase),
            String(EXPECTED),
            ...(floor ? [g === 'floor-h2' ? 'h2' : 'h1'] : []),
          ],
          { stdio: ['pipe', 'pipe', 'inherit'], cwd: dir },
        );
        children.push(child);
        child.stdin!.write(`PODS ${PODS}\n`);
        let ready = false;
        let done = false;
        let progress = 0;
        let report: Record<string, unknown> | undefined;
        lines(child, (l) => {
          if (l === 'READY') ready = true;
          else if (l === 'DONE') done = true;
          else if (l.startsWith('PROGRESS ')) progress = Number(l.slice(9));
          else if (l.startsWith('{')) report = JSON.parse(l) as Record<string, unknown>;
        });
        // "ready" lines until the follower has seen one from every pod (it starts from the end of the log).
        await waitFor(
          `${who} follower ready`,
          async () => ready || void (await markReady()) || (await sleep(1000)),
          120_000,
          0,
        );
        log(`round ${round}: ${who} following, flooding ${PODS} x ${RATE}/s for ${SECONDS}s`);
        const stop = observe(child.pid!, state.components, profileOf(who, round));
        const wrote = await flood();
        await drain(
          () => done,
          () => progress,
        );
        const seen = stop();
        child.stdin!.write('STOP\n');
        await waitFor(`${who} report`, async () => report, 30_000, 50);
        results.push({ who, round, r: { ...report!, writerMs: wrote, ...seen } });
      }
      // kubectl (HTTP/2 to the apiserver, its default: the 8 streams share one connection); `kubectl-h1` the
      // same with DISABLE_HTTP2 (client-go's switch): one HTTP/1.1 connection per stream, like Gantry's;
      // `kubectl-ts` with --timestamps, which Gantry always asks for (its resume point after a dropped connection).
      for (const kc of ['kubectl', 'kubectl-h1', 'kubectl-ts'].filter((k) => FOLLOWERS.has(k))) {
        phase++;
        const tally = new Tally(String(phase), EXPECTED);
        tally.pods = PODS;
        const child = spawn(
          state.kubectl,
          [
            '--kubeconfig',
            cluster.kubeconfigPath,
            `--cache-dir=${state.runDir}/kubectl-cache`,
            '-n',
            ns,
            'logs',
            '-f',
            '-l',
            `training.kubeflow.org/job-name=${JOB}`,
            '--prefix',
            `--max-log-requests=${PODS}`,
            '--tail=0',
            '-c',
            'pytorch',
            ...(kc === 'kubectl-ts' ? ['--timestamps'] : []),
          ],
          {
            stdio: ['ignore', 'pipe', 'pipe'],
            env: kc === 'kubectl-h1' ? { ...process.env, DISABLE_HTTP2: 'true' } : process.env,
          },
        );
        children.push(child);
        let err = '';
        child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
        const ready = new Set<string>();
        let s0 = { cpu: 0, sys: 0, hwmMB: 0 };
        lines(child, (l) => {
          // [pod/<name>/<container>] text
          const close = l.indexOf('] ');
          if (close < 0) return;
          const pod = l.slice(5, l.indexOf('/', 5));
          let text = l.slice(close + 2);
          if (kc === 'kubectl-ts') text = text.slice(text.indexOf(' ') + 1);
          if (text === `ready ${phase}`) {
            ready.add(pod);
            if (ready.size === PODS) s0 = procStats(child.pid!);
            return;
          }
          tally.add(pod, text, Date.now());
        });
        await waitFor(
          `kubectl following (${err.trim()})`,
          async () => ready.size === PODS || void (await markReady()) || (await sleep(1000)),
          120_000,
          0,
        );
        log(`round ${round}: ${kc} following, flooding`);
        const stop = observe(child.pid!, state.components, profileOf(kc, round));
        const wrote = await flood();
        await drain(
          () => tally.complete(),
          () => tally.last,
        );
        const seen = stop();
        const s1 = procStats(child.pid!);
        child.kill();
        results.push({
          who: kc,
          round,
          r: {
            ...tally.report(),
            cpuSeconds: s1.cpu - s0.cpu,
            sysSeconds: s1.sys - s0.sys,
            peakRssMB: s1.hwmMB,
            writerMs: wrote,
            ...seen,
          },
        });
      }
    }

    let editor: EditorFigures | undefined;
    if (args.editor) {
      log(`editor: code-server, Follow Logs on a PyTorchJob of 8 pods, ${RATE} lines/s each`);
      editor = await editorRound(cluster, state.podLogsDir, {
        rate: RATE,
        seconds: SECONDS,
        log,
        vsix: args.vsix,
      });
    }

    const fmt = (n: unknown, d = 0) => (typeof n === 'number' ? n.toFixed(d) : String(n));
    console.log(
      `\nbench:logs  ${PODS} pods x ${RATE} lines/s x ${SECONDS} s = ${(PODS * EXPECTED).toLocaleString('en-US')} lines per follower`,
    );
    console.log(
      `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}` +
        (CLUSTER_NICE
          ? `; the cluster's processes and the writer at nice ${CLUSTER_NICE}, the followers at 0`
          : ''),
    );
    console.log(
      'follower    round  delivered   lines/s  lost  outOfOrder  repeated  p50 ms  p95 ms  CPU s  CPU µs/line  of it kernel  of it tally µs/line  peak RSS MB  peak heap MB  heap after GC MB',
    );
    for (const { who, round, r } of results) {
      const per = Object.values(
        r.perPod as Record<string, { lost: number; outOfOrder: number; repeated: number }>,
      );
      const missingPods = PODS - per.length;
      const lost = per.reduce((a, p) => a + p.lost, 0) + missingPods * EXPECTED;
      const ooo = per.reduce((a, p) => a + p.outOfOrder, 0);
      const rep = per.reduce((a, p) => a + p.repeated, 0);
      const delivered = r.delivered as number;
      console.log(
        [
          who.padEnd(10),
          String(round).padStart(5),
          fmt(delivered).padStart(10),
          fmt(r.linesPerSecond).padStart(9),
          fmt(lost).padStart(5),
          fmt(ooo).padStart(11),
          fmt(rep).padStart(9),
          fmt(r.p50).padStart(7),
          fmt(r.p95).padStart(7),
          fmt(r.cpuSeconds, 1).padStart(6),
          fmt(((r.cpuSeconds as number) * 1e6) / Math.max(1, delivered), 1).padStart(12),
          fmt(((r.sysSeconds as number) * 1e6) / Math.max(1, delivered), 1).padStart(13),
          (typeof r.tallySeconds === 'number'
            ? fmt((r.tallySeconds * 1e6) / Math.max(1, delivered), 1)
            : 'n/a'
          ).padStart(20),
          fmt(r.peakRssMB).padStart(12),
          fmt(r.peakHeapMB ?? 'n/a').padStart(13),
          fmt(r.heapAfterGcMB ?? 'n/a').padStart(17),
        ].join(' '),
      );
      const q = r.recvQ as { maxKiB: number; meanKiB: number };
      log(
        `${who} r${round}: unread in its sockets (ss Recv-Q) max ${fmt(q.maxKiB)} KiB, mean ${fmt(q.meanKiB)} KiB; writer ${fmt(r.writerMs)} ms` +
          `; TCP connections ${fmt(r.connections)}; upstream CPU s while it followed ${JSON.stringify(
            Object.fromEntries(
              Object.entries((r.upstream ?? {}) as Record<string, number>).map(([k, v]) => [
                k,
                Number(v.toFixed(1)),
              ]),
            ),
          )}` +
          (r.loopDelayMs ? `; event loop delay ${JSON.stringify(r.loopDelayMs)}` : '') +
          (r.heapSpacesMB ? `; heap spaces after GC (MB) ${JSON.stringify(r.heapSpacesMB)}` : ''),
      );
      for (const [pod, p] of Object.entries(r.perPod as Record<string, unknown>))
        log(`${who} r${round} ${pod}: ${JSON.stringify(p)}`);
    }
    if (editor) {
      const q = (x: { p50: number; p95: number; max: number; n: number }) =>
        `p50 ${fmt(x.p50)} ms, p95 ${fmt(x.p95)} ms, max ${fmt(x.max)} ms (${x.n})`;
      console.log(`editor (code-server): keypress -> frame before the flood: ${q(editor.idle)}`);
      console.log(`editor (code-server): keypress -> frame during the flood: ${q(editor.flood)}`);
      console.log(
        `editor (code-server): the log panel's newest row behind the writer: ${q(editor.panelBehindMs)}`,
      );
      console.log(
        `editor (code-server): the panel showed the last line ${fmt(editor.caughtUpMs)} ms after it was written`,
      );
      if (editor.errors.length) console.log(`editor: errors: ${editor.errors.join(' | ')}`);
    }
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill();
    // An attached cluster outlives the bench: back to the nice level it had.
    if (CLUSTER_NICE && args.attach)
      spawnSync('renice', ['-n', '0', '-p', ...Object.values(state.components).map((c) => String(c.pid))]);
    await api.delete(`/api/v1/namespaces/${ns}`).catch(() => undefined);
    api.close();
    await cluster.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
