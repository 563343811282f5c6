// npm run bench:forward — Gantry's port-forward (src/sessions/portForward.ts) against `kubectl port-forward`,
// in one run, alternating, through the same real apiserver and kwok to the same loopback HTTP server:
//   - requests/s (100-byte answers) and MB/s (1 MiB answers) with 1 and 32 concurrent keep-alive connections;
//   - the pod deleted and recreated by its StatefulSet: time from "replacement pod Ready" (seen on a watch) to
//     "a new request through the same local port succeeds". kubectl's forward dies with its pod (it is bound
//     to one pod), so it has no such figure: the run checks and says what happened to it.
// The load generator and the HTTP server run in their own processes, so neither forward shares an event loop
// with them. Prints figures only (no assertions). Options: --attach (use $GANTRY_CLUSTER_STATE), --seconds N
// (per measurement, default 3), --rounds N (alternations, default 2), --replacements N (default 3), --only TEXT
// (only the measurements whose name contains TEXT, e.g. "32 connections").
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as http from 'node:http';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isPodReady } from '../../src/core/endpoints';
import { ClusterConnection } from '../../src/k8s/connection';
import { loadKubeconfig, type MergedKubeconfig } from '../../src/k8s/kubeconfig';
import { trackSelectedPods } from '../../src/k8s/selectorPods';
import { ForwardSession } from '../../src/sessions/portForward';
import { readState } from '../../test/cluster/harness/cluster';
import { sharedCluster, startCluster, type TestCluster } from '../../test/cluster/harness/index';
import { Rest } from '../../test/cluster/harness/rest';

const { values: args } = parseArgs({
  options: {
    attach: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '2' },
    replacements: { type: 'string', default: '3' },
    only: { type: 'string' },
  },
});
const SECONDS = Number(args.seconds);
const ROUNDS = Number(args.rounds);
const REPLACEMENTS = Number(args.replacements);
const here = dirname(fileURLToPath(import.meta.url));
const POD_PORT = 8080;

const log = (m: string) => console.log(m);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

function child(
  cmd: string,
  argv: string[],
): { proc: ChildProcess; firstLine: Promise<string>; out: () => string } {
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const firstLine = new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    proc.once('exit', (code) => reject(new Error(`${cmd} exited (${code}): ${out}`)));
  });
  return { proc, firstLine, out: () => out };
}

async function runLoad(
  base: string,
  connections: number,
  mode: 'small' | 'big',
): Promise<{ requests: number; bytes: number; errors: number; seconds: number }> {
  const c = child(process.execPath, [
    join(here, 'load.mjs'),
    base,
    String(connections),
    String(SECONDS),
    mode,
  ]);
  const line = await c.firstLine;
  return JSON.parse(line) as { requests: number; bytes: number; errors: number; seconds: number };
}

/** CPU time (ms) a process has used so far, from /proc/<pid>/stat (utime + stime; Linux only). */
function procCpuMs(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime) are 12 and 13 after the ")": clock ticks, 100 per second.
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function get(url: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
      res.on('error', () => resolve(false));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

async function startKubectl(
  kubectl: string,
  kubeconfig: string,
  ns: string,
): Promise<{ url: string; proc: ChildProcess }> {
  const c = child(kubectl, [
    '--kubeconfig',
    kubeconfig,
    '-n',
    ns,
    'port-forward',
    'pod/bench-0',
    `:${POD_PORT}`,
    '--address',
    '127.0.0.1',
  ]);
  const line = await c.firstLine;
  const port = /127\.0\.0\.1:(\d+) ->/.exec(line)?.[1];
  if (!port) throw new Error(`kubectl port-forward said: ${line}`);
  return { url: `http://127.0.0.1:${port}`, proc: c.proc };
}

async function main(): Promise<void> {
  log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${load()}`);
  let cluster: TestCluster;
  let stateFile: string;
  if (args.attach || process.env.GANTRY_CLUSTER_STATE) {
    cluster = await sharedCluster();
    stateFile = process.env.GANTRY_CLUSTER_STATE!;
    log(`attached to the cluster in ${stateFile}`);
  } else {
    const t0 = performance.now();
    cluster = await startCluster({ crds: false, simulator: false, log: () => undefined });
    stateFile = join(dirname(cluster.kubeconfigPath), 'state.json');
    log(`cluster started in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const kubectl = readState(stateFile).kubectl;
  const rest = await Rest.fromKubeconfig(cluster.kubeconfigPath);
  const loaded = loadKubeconfig({ explicitPath: cluster.kubeconfigPath });
  if (loaded.kind !== 'ok') throw new Error('no kubeconfig');
  const cfg = loaded as MergedKubeconfig;
  const conn = ClusterConnection.create(cfg, cfg.currentContext!);
  if (!conn.ok) throw new Error(conn.error.message);
  const ns = await cluster.createNamespace('bench-forward');
  const backend = child(process.execPath, [join(here, 'backend.mjs')]);
  const backendPort = Number(await backend.firstLine);
  const rule = await cluster.forwardPodPort(ns, 'bench-0', POD_PORT, backendPort, { keepAcrossPods: true });
  let session: ForwardSession | undefined;
  let kube: { url: string; proc: ChildProcess } | undefined;
  try {
    // A StatefulSet: the real controller recreates bench-0 when it is deleted (as a notebook's does).
    await rest.post(`/apis/apps/v1/namespaces/${ns}/statefulsets`, {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'bench' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'bench' } },
        serviceName: '',
        template: {
          metadata: { labels: { app: 'bench' } },
          spec: { containers: [{ name: 'srv', image: 'bench', ports: [{ containerPort: POD_PORT }] }] },
        },
      },
    });
    const pods = trackSelectedPods(conn.value, ns, { labels: { app: 'bench' } });
    session = new ForwardSession({
      id: 'bench',
      context: cfg.currentContext!,
      target: `StatefulSet ${ns}/bench`,
      lease: { connection: conn.value, dispose: () => undefined },
      pods,
      endpoint: { action: 'port', namespace: ns, title: 'bench', port: POD_PORT, path: '/', scheme: 'http' },
    });
    const started = await session.start();
    if (!started.ok) throw new Error(started.error.message);
    const s = session;
    const t0 = Date.now();
    while (s.state !== 'live') {
      if (Date.now() - t0 > 120_000) throw new Error(`the forward is ${s.state}: ${s.detail}`);
      await sleep(100);
    }
    const gantryUrl = `http://127.0.0.1:${s.localPort}`;
    kube = await startKubectl(kubectl, cluster.kubeconfigPath, ns);
    if (!(await get(`${gantryUrl}/small`)) || !(await get(`${kube.url}/small`)))
      throw new Error('a forward does not answer');
    log(
      `forwards: Gantry ${gantryUrl}, kubectl ${kube.url}; ${SECONDS} s per measurement, ${ROUNDS} rounds, alternating\n`,
    );

    const scenarios = [
      { name: 'requests/s, 1 connection', connections: 1, mode: 'small' as const },
      { name: 'requests/s, 32 connections', connections: 32, mode: 'small' as const },
      { name: 'MB/s (1 MiB answers), 1 connection', connections: 1, mode: 'big' as const },
      { name: 'MB/s (1 MiB answers), 32 connections', connections: 32, mode: 'big' as const },
    ];
    const rows: string[][] = [['measurement', 'Gantry', 'kubectl port-forward', 'Gantry / kubectl']];
    const state = readState(stateFile);
    const apiserverPid = state.components['kube-apiserver']?.pid;
    const kwokPid = state.components.kwok?.pid;
    // CPU per side: the forward itself (this process for Gantry, the kubectl process) and what it costs the
    // apiserver and kwok (the kubelet) for the same run.
    const cpuRows: string[][] = [
      ['CPU ms per MB or per 1,000 requests', 'forward (Gantry / kubectl)', 'kube-apiserver', 'kwok'],
    ];
    for (const sc of scenarios) {
      if (args.only && !sc.name.includes(args.only)) continue;
      const totals = { gantry: { v: 0, e: 0 }, kubectl: { v: 0, e: 0 } };
      const cpu = {
        gantry: { fwd: 0, api: 0, kwok: 0, units: 0 },
        kubectl: { fwd: 0, api: 0, kwok: 0, units: 0 },
      };
      for (let r = 0; r < ROUNDS; r++) {
        // Alternate which goes first so drift in machine load hits both alike.
        const order = r % 2 === 0 ? (['gantry', 'kubectl'] as const) : (['kubectl', 'gantry'] as const);
        for (const who of order) {
          const fwdCpu = () => (who === 'gantry' ? selfCpuMs() : procCpuMs(kube!.proc.pid));
          const c0 = [fwdCpu(), procCpuMs(apiserverPid), procCpuMs(kwokPid)];
          const res = await runLoad(who === 'gantry' ? gantryUrl : kube.url, sc.connections, sc.mode);
          const c1 = [fwdCpu(), procCpuMs(apiserverPid), procCpuMs(kwokPid)];
          cpu[who].fwd += c1[0] - c0[0];
          cpu[who].api += c1[1] - c0[1];
          cpu[who].kwok += c1[2] - c0[2];
          cpu[who].units += sc.mode === 'small' ? res.requests / 1000 : res.bytes / 1e6;
          const v = sc.mode === 'small' ? res.requests / res.seconds : res.bytes / res.seconds / 1e6;
          totals[who].v += v / ROUNDS;
          totals[who].e += res.errors;
        }
      }
      const fmt = (x: { v: number; e: number }) =>
        `${x.v.toFixed(sc.mode === 'small' ? 0 : 1)}${x.e ? ` (${x.e} errors)` : ''}`;
      rows.push([
        sc.name,
        fmt(totals.gantry),
        fmt(totals.kubectl),
        `${((totals.gantry.v / totals.kubectl.v) * 100).toFixed(0)}%`,
      ]);
      const per = (x: number, u: number) => (u ? (x / u).toFixed(1) : '-');
      cpuRows.push([
        sc.name,
        `${per(cpu.gantry.fwd, cpu.gantry.units)} / ${per(cpu.kubectl.fwd, cpu.kubectl.units)}`,
        `${per(cpu.gantry.api, cpu.gantry.units)} / ${per(cpu.kubectl.api, cpu.kubectl.units)}`,
        `${per(cpu.gantry.kwok, cpu.gantry.units)} / ${per(cpu.kubectl.kwok, cpu.kubectl.units)}`,
      ]);
      log(`${sc.name}: Gantry ${fmt(totals.gantry)}, kubectl ${fmt(totals.kubectl)}  (load ${load()})`);
    }

    // Replacement: delete bench-0; the StatefulSet recreates it; measure Ready -> first success.
    log('');
    const readyAfterDelete: number[] = [];
    const okAfterReady: number[] = [];
    const watch = conn.value.watch({
      kind: { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
      namespace: ns,
    });
    await watch.cache.whenSynced();
    let kubectlNote = '';
    let kubectlSurvived = false;
    for (let i = 0; i < REPLACEMENTS; i++) {
      const old = [...watch.cache.items()].find((p) => p.metadata.name === 'bench-0')!;
      const oldUid = old.metadata.uid;
      let readyAt = 0;
      const sub = watch.cache.onDidChange(() => {
        const p = [...watch.cache.items()].find(
          (x) => x.metadata.name === 'bench-0' && x.metadata.uid !== oldUid,
        );
        if (!readyAt && p && isPodReady(p)) readyAt = performance.now();
      });
      const deletedAt = performance.now();
      await rest.delete(`/api/v1/namespaces/${ns}/pods/bench-0`);
      // New requests from the moment of deletion; each waits at most 2 s (a held connection goes through as
      // soon as the replacement is Ready, so a success can land right at Ready).
      let okAt = 0;
      while (!okAt && performance.now() - deletedAt < 120_000) {
        if ((await get(`${gantryUrl}/small`)) && readyAt) okAt = performance.now();
        else await sleep(20);
      }
      sub.dispose();
      if (!okAt) throw new Error('no request succeeded through Gantry within 120 s of the deletion');
      readyAfterDelete.push(readyAt - deletedAt);
      okAfterReady.push(okAt - readyAt);
      log(
        `replacement ${i + 1}: replacement Ready ${(readyAt - deletedAt).toFixed(0)} ms after the delete; ` +
          `first request through Gantry ${(okAt - readyAt).toFixed(0)} ms after Ready`,
      );
      if (i === 0) {
        const exited = kube.proc.exitCode !== null;
        const answers = await get(`${kube.url}/small`, 3000);
        kubectlSurvived = !exited && answers;
        kubectlNote =
          `kubectl port-forward after the replacement: process ${exited ? `exited (code ${kube.proc.exitCode})` : 'still running'}, ` +
          `a new request through it ${answers ? 'succeeded' : 'failed'}`;
        log(kubectlNote);
      }
      await sleep(1000);
    }
    watch.dispose();
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    rows.push([
      'replacement Ready → new request OK (median)',
      `${median(okAfterReady).toFixed(0)} ms`,
      kubectlSurvived
        ? 'no figure measured; it kept working here only because kwok serves every pod from one loopback kubelet and the replacement has the same name'
        : 'none: its forward died with the pod',
      '',
    ]);
    log('\n| ' + rows.map((r) => r.join(' | ')).join(' |\n| ') + ' |');
    log('\nCPU per unit of work, Gantry / kubectl (same runs):');
    log('| ' + cpuRows.map((r) => r.join(' | ')).join(' |\n| ') + ' |');
    log(`\n${kubectlNote}.`);
    if (kubectlSurvived)
      log(
        "Against a real kubelet, kubectl's stream runs to the deleted pod's node and ends with it (kubectl exits with " +
          "'lost connection to pod'); a replacement with another name (Deployment, Ray head) is never reached.",
      );
    log(
      `median replacement Ready after delete: ${median(readyAfterDelete).toFixed(0)} ms (the cluster's part)`,
    );
    log(
      `Gantry session: ${s.stats.connections} connections over ${s.mode ?? '?'}, ${s.stats.podsUsed} pods used, state ${s.state}`,
    );
    log(`load average at the end: ${load()}`);
  } finally {
    session?.stop('bench over');
    kube?.proc.kill();
    backend.proc.kill();
    await rule.dispose().catch(() => undefined);
    await rest.delete(`/api/v1/namespaces/${ns}`).catch(() => undefined);
    rest.close();
    conn.value.dispose();
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
