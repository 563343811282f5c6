// bench:logs --editor: the flood in the editor. A PyTorchJob of 8 pods (master + 7 workers) is followed with
// Follow Logs from the palette in code-server (the packaged extension, test/e2e/harness.ts's Workbench), the
// log panel is moved beside a Python file, and while the pods append `--rate` lines/s each, the bench types
// into that file and measures keypress -> next frame after the editor's text changed (the event's own
// timestamp, so time spent waiting for a busy UI thread counts), and how far behind the newest line the panel
// shows is (now - the write time in the last visible row). The same is measured for 5 s before the flood.
import { spawn } from 'node:child_process';
import { h100Replica, rest, waitFor } from '../../test/cluster/helpers';
import { podLogFile } from '../../test/cluster/harness/logs';
import type { TestCluster } from '../../test/cluster/harness/index';
import { apply, ensureVsix, gantryErrors } from '../../test/e2e/clusterScenario';
import { launch, type Workbench } from '../../test/e2e/harness';

const JOB = 'bench-logs-editor';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface EditorFigures {
  idle: Quantiles;
  flood: Quantiles;
  panelBehindMs: Quantiles;
  /** From the writer's last line to the panel showing it (NaN: not within 120 s). */
  caughtUpMs: number;
  keys: { idle: number; flood: number };
  errors: string[];
}
type Quantiles = { p50: number; p95: number; max: number; n: number };

function quantiles(xs: number[]): Quantiles {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN;
  return { p50: q(0.5), p95: q(0.95), max: s.at(-1) ?? NaN, n: s.length };
}

/** Types a character every `everyMs` for `ms` into the focused editor; the latencies the page measured. */
async function typeFor(wb: Workbench, ms: number, everyMs: number): Promise<number[]> {
  await wb.page.evaluate(() => {
    const w = window as unknown as { __lat: number[]; __key: number };
    w.__lat = [];
  });
  const end = Date.now() + ms;
  let i = 0;
  while (Date.now() < end) {
    await wb.page.keyboard.type(i++ % 20 === 19 ? '\n' : 'x');
    await sleep(everyMs);
  }
  await sleep(500);
  return wb.page.evaluate(() => (window as unknown as { __lat: number[] }).__lat);
}

export async function editorRound(
  cluster: TestCluster,
  podLogsDir: string,
  o: { rate: number; seconds: number; log: (m: string) => void; vsix?: string },
): Promise<EditorFigures> {
  if (!o.vsix) ensureVsix();
  const api = await rest(cluster);
  const ns = await cluster.createNamespace('bench-logs-editor');
  const pods = [`${JOB}-master-0`, ...Array.from({ length: 7 }, (_, i) => `${JOB}-worker-${i}`)];
  let wb: Workbench | undefined;
  try {
    await apply(cluster, {
      apiVersion: 'kubeflow.org/v1',
      kind: 'PyTorchJob',
      metadata: { name: JOB, namespace: ns },
      // The kwok stages read the knob on the pods (the operator copies the template, not the job's annotations).
      spec: {
        pytorchReplicaSpecs: {
          Master: h100Replica(1, 1, { 'sim.gantry.dev/duration': '900s' }),
          Worker: h100Replica(7, 1, { 'sim.gantry.dev/duration': '900s' }),
        },
      },
    });
    // kwok serves a pod's log file only when it was registered before the stream opened: one line each now.
    for (const p of pods)
      await waitFor(
        `${p} has a log`,
        async () => {
          await cluster.appendLog(ns, p, 'pytorch', [`${p} starting`]);
          return true;
        },
        120_000,
      );
    wb = await launch({
      name: 'bench-logs-editor',
      vsix: o.vsix,
      env: { KUBECONFIG: cluster.kubeconfigPath },
      viewport: { width: 1600, height: 1000 },
      files: { 'train.py': 'import torch\n\n' },
      // The DOM renderer, so the panel's rows are in the page to read.
      settings: { 'terminal.integrated.gpuAcceleration': 'off' },
    });
    const page = wb.page;
    await wb.openGantry();
    await wb.chooseNamespace(ns);
    // Follow Logs from the palette's quick pick of the scope's workloads.
    const qp = page.locator('.quick-input-widget');
    await waitFor(
      'Follow Logs lists the job',
      async () => {
        await page.locator('.monaco-workbench').focus();
        await page.keyboard.press('F1');
        await qp.locator('.quick-input-box input').fill('>Gantry: Follow Logs');
        await qp
          .locator('.quick-input-list .monaco-list-row', { hasText: 'Gantry: Follow Logs' })
          .first()
          .click();
        await qp.locator('.quick-input-title', { hasText: 'Gantry: Follow Logs' }).waitFor();
        await qp.locator('.quick-input-box input').fill(JOB);
        const row = qp.locator('.quick-input-list .monaco-list-row.focused', { hasText: JOB });
        if (await row.isVisible().catch(() => false)) return true;
        await page.keyboard.press('Escape');
        await sleep(2000);
        return false;
      },
      90_000,
      0,
    );
    await page.keyboard.press('Enter');
    const rows = page.locator('.terminal-editor .xterm-rows').last();
    await waitFor(
      'the panel',
      async () => (await rows.innerText().catch(() => '')).includes('[master-0]'),
      60_000,
    );
    // The panel to a second editor group, the Python file in the first: both visible, the file focused.
    await wb.runCommand('View: Move Editor into Next Group');
    await page.locator('.editor-group-container').first().click();
    await wb.openFile('train.py');
    const editor = wb.activeEditor();
    await editor.locator('.view-lines').click();
    await page.keyboard.press('Control+End');
    await page.evaluate(() => {
      const w = window as unknown as { __lat: number[]; __key: number };
      w.__lat = [];
      w.__key = 0;
      // The key event's timeStamp: when the browser got it, before a busy UI thread dispatched it.
      document.addEventListener('keydown', (e) => (w.__key = e.timeStamp), true);
      const lines = document.querySelector('.editor-group-container.active .monaco-editor .view-lines');
      new MutationObserver(() => {
        if (!w.__key) return;
        const k = w.__key;
        w.__key = 0;
        requestAnimationFrame(() => w.__lat.push(performance.now() - k));
      }).observe(lines!, { subtree: true, childList: true, characterData: true });
    });
    o.log('editor: typing for 5 s before the flood');
    const idle = await typeFor(wb, 5000, 200);

    // The flood, and meanwhile: typing, and how old the newest line the panel shows is.
    const files = pods.map((p) => podLogFile(podLogsDir, ns, p, 'pytorch'));
    const writer = spawn(
      process.execPath,
      ['--import', 'tsx', 'bench/logs/writer.ts', 'ed', String(o.rate), String(o.seconds), ...files],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const wrote = new Promise((r) => writer.on('exit', r));
    o.log(`editor: flooding ${pods.length} x ${o.rate}/s for ${o.seconds}s while typing`);
    const behind: number[] = [];
    const last = o.rate * o.seconds - 1;
    /** The newest write time and the highest sequence number in the panel's visible rows. */
    const newest = () =>
      rows
        .evaluate((el) => {
          let t = 0;
          let seq = -1;
          const text = (el.textContent ?? '').replace(/\u00a0/g, ' ');
          for (const m of text.matchAll(/p=ed seq=(\d+) t=(\d+)/g)) {
            t = Math.max(t, Number(m[2]));
            seq = Math.max(seq, Number(m[1]));
          }
          return { t, seq };
        })
        .catch(() => ({ t: 0, seq: -1 }));
    let flooding = true;
    const sampler = (async () => {
      await sleep(2000);
      while (flooding) {
        const n = await newest();
        if (n.t) behind.push(Date.now() - n.t);
        await sleep(500);
      }
    })();
    const flood = await typeFor(wb, Math.max(1000, o.seconds * 1000 - 3000), 200);
    await wrote;
    const wroteAt = Date.now();
    flooding = false;
    await sampler;
    let caughtUpMs = NaN;
    while (Date.now() - wroteAt < 120_000) {
      if ((await newest()).seq === last) {
        caughtUpMs = Date.now() - wroteAt;
        break;
      }
      await sleep(250);
    }
    await wb.screenshot('flood');
    return {
      idle: quantiles(idle),
      flood: quantiles(flood),
      panelBehindMs: quantiles(behind),
      caughtUpMs,
      keys: { idle: idle.length, flood: flood.length },
      errors: gantryErrors(wb),
    };
  } finally {
    await wb?.close();
    await api.delete(`/api/v1/namespaces/${ns}`).catch(() => undefined);
    api.close();
  }
}
