// npm run bench:paint — what a person sees: in code-server with the packaged .vsix, the time from clicking
// Gantry's activity-bar icon to the first ML Workloads row that is a workload, at 500 GPU nodes / 5,000 pods
// (the world bench/sidebar/run.ts seeds, on a cluster of its own unless --attach).
// Measured in the page: a capture-phase mousedown listener stamps the click and a MutationObserver stamps the
// first workload row, then the next animation frame (the row painted); Playwright only reads the stamps, so
// its polling is not in the figure.
//   cold rounds: a fresh code-server each, so the click also activates the extension (loads its bundles,
//     reads the kubeconfig, connects, lists every kind including the 5,000 pods) before the tree has rows;
//   warm rounds: the same code-server, Explorer then Gantry again (extension active, caches filled).
// Not included: code-server start, page load, installing the .vsix, seeding the cluster.
// Prints figures only. Options: --attach (use $GANTRY_CLUSTER_STATE; seeded by run.ts unless it already is),
// --cold N (default 3), --warm N (default 5), --nodes N, --workloads N, --pods N (the seeded world),
// --vsix FILE (repeatable; default gantry-<version>.vsix): with several, each cold round runs every build in
// turn (A B, A B, ...) on the same cluster, so a change in the machine's load falls on both, and each build
// gets its warm rounds after its last cold one.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { machine } from '../machine.mjs';
import { sharedCluster, startCluster, type TestCluster } from '../../test/cluster/harness/index';
import { launch, repoRoot, type Workbench } from '../../test/e2e/harness';

const { values: args } = parseArgs({
  options: {
    attach: { type: 'boolean', default: false },
    cold: { type: 'string', default: '3' },
    warm: { type: 'string', default: '5' },
    nodes: { type: 'string', default: '500' },
    workloads: { type: 'string', default: '300' },
    pods: { type: 'string', default: '5000' },
    vsix: { type: 'string', multiple: true },
  },
});
const COLD = Number(args.cold);
const WARM = Number(args.warm);
const W = 'ML Workloads';
/** Workload names run.ts seeds: PyTorchJobs train-N, batch Jobs prep-N. Group rows ("PyTorchJob 200") are not. */
const WORKLOAD = '^(train|prep)-\\d+$';

const log = (m: string) => console.error(`[paint] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => {
  const s = sorted(xs);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ms = (x: number) => `${x.toFixed(0)} ms`;

interface Stamps {
  /** performance.now() of the mousedown on the activity-bar item. */
  click: number;
  /** Epoch ms of the click, to line the extension's log up with it. */
  clickEpoch: number;
  /** First time the ML Workloads pane is in the DOM, any row in it, a workload row, and the frame after. */
  pane?: number;
  anyRow?: number;
  row?: number;
  painted?: number;
  label?: string;
}

/**
 * Installs the listener and the observer in the page; the stamps land in window.__gantryPaint. Plain script
 * text: tsx compiles functions with a `__name` helper the page does not have.
 */
const ARM = `(() => {
  const s = {};
  window.__gantryPaint = s;
  const title = ${JSON.stringify(W.toLowerCase())};
  const re = new RegExp(${JSON.stringify(WORKLOAD)});
  let obs;
  const check = () => {
    if (s.click === undefined || s.row !== undefined) return;
    for (const pane of document.querySelectorAll('.part.sidebar .pane')) {
      const h = pane.querySelector('.pane-header h3.title')?.textContent?.trim().toLowerCase() ?? '';
      if (h !== title) continue;
      s.pane ??= performance.now();
      const rows = pane.querySelectorAll('.monaco-list-row');
      if (rows.length) s.anyRow ??= performance.now();
      for (const r of rows) {
        const label = r.querySelector('.label-name')?.textContent?.trim() ?? '';
        if (re.test(label)) {
          s.row = performance.now();
          s.label = label;
          obs.disconnect();
          requestAnimationFrame(() => (s.painted = performance.now()));
          return;
        }
      }
    }
  };
  obs = new MutationObserver(check);
  obs.observe(document.body, { childList: true, subtree: true, characterData: true });
  window.addEventListener('mousedown', () => {
    s.click ??= performance.now();
    s.clickEpoch ??= performance.timeOrigin + s.click;
    check();
  }, { capture: true });
})()`;

async function arm(wb: Workbench): Promise<void> {
  await wb.page.evaluate(ARM);
}

async function measure(wb: Workbench): Promise<Stamps> {
  await arm(wb);
  await wb.activityBarItem('Gantry').click();
  const h = await wb.page.waitForFunction(
    'window.__gantryPaint?.painted !== undefined && window.__gantryPaint',
    undefined,
    { timeout: 180_000, polling: 200 },
  );
  return (await h.jsonValue()) as Stamps;
}

/** Lines of the Gantry log and the extension host's activation line, as ms after the click. */
function timeline(wb: Workbench, s: Stamps): string[] {
  const lines = [
    ...wb.gantryLog().split('\n'),
    ...wb
      .extHostLog()
      .split('\n')
      .filter((l) => /gantry/i.test(l) && /activat/i.test(l)),
  ];
  const out: { t: number; text: string }[] = [];
  for (const l of lines) {
    const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d+) \[(\w+)\] (.*)$/.exec(l);
    if (!m) continue;
    // The log's timestamps are local time of this machine, like Date's parsing of this form.
    const stamped = new Date(`${m[1]}T${m[2]}`).getTime() - s.clickEpoch;
    // Gantry's first lines carry the time they were written ("at epoch N ms"): the log stamps lines written
    // before its file is ready only once it is, up to a second late.
    const at = /\bat epoch (\d+) ms\b/.exec(m[4]!);
    const t = at ? Number(at[1]) - s.clickEpoch : stamped;
    if (t < -2000 || t > s.painted! - s.click + 5000) continue;
    const text = m[4]!.replace(/ at epoch \d+ ms/, '');
    // Long enough for the first sync's timeline ("first lists in: ..."), one entry per kind.
    out.push({ t, text: (at ? `${text} [log stamp ${Math.round(stamped)} ms]` : text).slice(0, 600) });
  }
  return out.sort((a, b) => a.t - b.t).map((x) => `    ${String(Math.round(x.t)).padStart(6)} ms  ${x.text}`);
}

async function seed(stateFile: string): Promise<void> {
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      'tsx',
      join(repoRoot, 'bench', 'sidebar', 'run.ts'),
      '--attach',
      '--seed-only',
      '--nodes',
      args.nodes!,
      '--workloads',
      args.workloads!,
      '--pods',
      args.pods!,
    ],
    { cwd: repoRoot, env: { ...process.env, GANTRY_CLUSTER_STATE: stateFile }, stdio: 'inherit' },
  );
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  if (code !== 0) throw new Error(`seeding (bench/sidebar/run.ts --seed-only) exited ${code}`);
}

interface Build {
  vsix: string;
  cold: Stamps[];
  warm: Stamps[];
  timelines: string[][];
}

async function main(): Promise<void> {
  const files = args.vsix?.length ? args.vsix.map((f) => resolve(f)) : [join(repoRoot, 'gantry-0.1.0.vsix')];
  for (const f of files) if (!existsSync(f)) throw new Error(`${f} does not exist. Run: npm run package`);
  const builds: Build[] = files.map((vsix) => ({ vsix, cold: [], warm: [], timelines: [] }));
  log(machine());
  const name = (b: Build) => (builds.length > 1 ? `${basename(b.vsix)}: ` : '');
  let cluster: TestCluster;
  let stateFile: string;
  if (args.attach) {
    cluster = await sharedCluster();
    stateFile = process.env.GANTRY_CLUSTER_STATE!;
  } else {
    cluster = await startCluster({ nodes: false, crds: false, simulator: false, log });
    stateFile = join(cluster.kubeconfigPath, '..', 'state.json');
  }
  try {
    await seed(stateFile);
    for (let i = 0; i < COLD; i++) {
      for (const [k, b] of builds.entries()) {
        const wb = await launch({
          name: `bench-paint-${i}-${k}`,
          vsix: b.vsix,
          env: { KUBECONFIG: cluster.kubeconfigPath },
          viewport: { width: 1400, height: 900 },
        });
        try {
          // Let the workbench settle (extensions scanned, Explorer drawn) so the click is all that is timed.
          await wb.activityBarItem('Gantry').waitFor();
          await sleep(3000);
          const s = await measure(wb);
          b.cold.push(s);
          log(`${name(b)}cold ${i + 1}/${COLD}: ${ms(s.painted! - s.click)} (${s.label})`);
          // The loaded line comes after the tree's first rows only when rows come from a partial model; wait a
          // little for it so the timeline shows the list of every kind.
          await wb
            .waitForLog(() => wb.gantryLog(), /context \S+: \d+ workloads, \d+ pods/, 60_000)
            .catch(() => 0);
          await sleep(1500);
          b.timelines.push(timeline(wb, s));
          if (i === COLD - 1) {
            for (let j = 0; j < WARM; j++) {
              await wb.activityBarItem('Explorer').click();
              await wb.page.locator('.part.sidebar .composite.title h2', { hasText: /^Explorer/i }).waitFor();
              await sleep(1500);
              const w = await measure(wb);
              b.warm.push(w);
              log(`${name(b)}warm ${j + 1}/${WARM}: ${ms(w.painted! - w.click)}`);
            }
          }
        } finally {
          await wb.close();
        }
      }
    }
  } finally {
    await cluster.stop();
  }

  const report = (label: string, xs: Stamps[]) => {
    if (!xs.length) return;
    const d = xs.map((s) => s.painted! - s.click);
    const pane = xs.map((s) => (s.pane ?? NaN) - s.click);
    const any = xs.map((s) => (s.anyRow ?? NaN) - s.click);
    console.log(
      `${label.padEnd(34)} median ${ms(median(d)).padStart(8)}  min ${ms(Math.min(...d))}  max ${ms(Math.max(...d))}  ` +
        `(runs ${d.map((x) => x.toFixed(0)).join(', ')})`,
    );
    console.log(
      `${''.padEnd(34)} pane in DOM median ${ms(median(pane))}; first row of any kind median ${ms(median(any))}`,
    );
  };
  console.log(
    `\nFirst ML Workloads row painted after clicking Gantry's activity-bar icon (code-server, packaged .vsix), ` +
      `${args.nodes} GPU nodes / ${args.workloads} workloads / ${args.pods} pods, kube ${cluster.version}`,
  );
  for (const b of builds) {
    if (builds.length > 1) console.log(`${b.vsix}:`);
    report('cold (fresh code-server, activates)', b.cold);
    report('warm (Explorer, then Gantry again)', b.warm);
  }
  console.log('Goal: within 1 s of the click.');
  console.log(
    'Included (cold): the click, the container and its views drawn, extension activation (bundles, services),\n' +
      'kubeconfig, connect and discovery, lists of every kind (all pods), the tree model, the tree provider round\n' +
      'trip to the page and the row drawn. Warm: only the container shown again. Not included: code-server start,\n' +
      'page load, installing the .vsix, seeding the cluster, Playwright polling (stamps are taken in the page).',
  );
  for (const b of builds)
    b.timelines.forEach((t, i) => {
      console.log(`${name(b)}cold run ${i + 1}: Gantry log and activation, ms after the click:`);
      for (const l of t) console.log(l);
    });
  console.log(machine());
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
