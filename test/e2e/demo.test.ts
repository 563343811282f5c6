// `npm run demo` end to end, as a newcomer meets it: the test runs `npm run demo -- --headless --port <free>`
// itself (its own local cluster, scene and code-server), opens the printed URL in Chromium and walks the scene
// the way the workspace README tells a person to; then Ctrl-C (SIGINT to the demo's process group, as a
// terminal sends it) and a check that no process or port of the demo is left.
//
// It starts a whole cluster, so it runs in `npm run test:e2e` (one file at a time, after the cluster tier has
// stopped its cluster), never in the shared-cluster tier. The screenshots it takes are the README's pictures
// (`npm run screenshots` copies them to media/screenshots/).
//
// The walk through Follow Logs, Open Notebook and Submit is its own describe block below.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../cluster/harness/procs';
import { Timer, gantryErrors } from './clusterScenario';
import {
  dismissNewsToast,
  failedRequests,
  recordRequests,
  runCellInNewNotebook,
  waitForLabShell,
} from './forwardJupyterLab';
import { launch, repoRoot, waitFor, type Workbench } from './harness';

const W = 'ML Workloads';
const G = 'GPUs';
const JOB = 'llama3-8b-finetune';

interface DemoInfo {
  url: string;
  port: number;
  kubeconfig: string;
  state: string;
  workspace: string;
  pid: number;
}

/** Every process below `root` (by parent PID, from /proc). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(d), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const [c, pp] of parent) {
      if (pp !== p || out.includes(c)) continue;
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

describe('npm run demo, walked in the browser', () => {
  let demo: ChildProcess;
  let out = '';
  let info: DemoInfo;
  let wb: Workbench;
  let pids: number[] = [];
  let ports: number[] = [];
  let runDir = '';
  const timer = new Timer('demo');

  before(async () => {
    const port = await freePort();
    // Own process group: SIGINT to the group is what Ctrl-C in a terminal does.
    demo = spawn('npm', ['run', '--silent', 'demo', '--', '--headless', '--port', String(port)], {
      cwd: repoRoot,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    demo.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    demo.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<never>((_, reject) =>
      demo.once('exit', (c, s) => reject(new Error(`npm run demo exited (${c ?? s}):\n${out}`))),
    );
    const file = await Promise.race([
      waitFor('the demo to print "Gantry demo is ready"', () => /demo state: (\S+)/.exec(out)?.[1], 900_000),
      exited,
    ]);
    timer.lap('demo start');
    info = JSON.parse(readFileSync(file, 'utf8')) as DemoInfo;
    assert.equal(info.port, port);
    assert.match(out, new RegExp(`open:\\s+http://localhost:${port}/\\?folder=`));
    assert.match(out, /export KUBECONFIG=\S+admin\.kubeconfig/);
    const started = /started in ([\d.]+) s/.exec(out)?.[1];
    console.log(`demo: ready ${started} s after npm run demo (cluster + scene + code-server)`);
    runDir = join(file, '..');
    const state = JSON.parse(readFileSync(info.state, 'utf8')) as {
      ports: Record<string, number>;
      components: Record<string, { pid: number }>;
    };
    ports = [port, ...Object.values(state.ports)];
    const jl = /JupyterLab \S+ on 127\.0\.0\.1:(\d+)/.exec(out)?.[1];
    if (jl) ports.push(Number(jl));
    pids = [
      ...new Set([
        demo.pid!,
        ...descendants(demo.pid!),
        ...Object.values(state.components).map((c) => c.pid),
      ]),
    ];
    wb = await launch({
      name: 'demo',
      attach: { url: info.url, userData: join(runDir, 'code-server', 'user-data') },
      viewport: { width: 1600, height: 1100 },
    });
    timer.lap('browser');
  });

  after(async () => {
    console.log(timer.report());
    await wb?.close();
    // A failed test still stops the demo (the last test checks it stops cleanly).
    if (demo && demo.exitCode === null && demo.signalCode === null) {
      try {
        process.kill(-demo.pid!, 'SIGINT');
      } catch {
        // gone
      }
    }
  });

  /** The sidebar as wide as a person would drag it for this, and only the given views open (rows out of view
   * are not in the DOM). */
  async function layout(open: string[]): Promise<void> {
    const sidebar = await wb.openGantry();
    const box = await sidebar.boundingBox();
    if (box && box.width < 600) {
      await wb.page.mouse.move(box.x + box.width - 1, box.y + box.height / 2);
      await wb.page.mouse.down();
      await wb.page.mouse.move(box.x + 680, box.y + box.height / 2, { steps: 5 });
      await wb.page.mouse.up();
    }
    for (const title of [W, G, 'Port Forwards and Log Streams']) {
      const header = wb.view(title).locator('.pane-header');
      const expanded = (await header.getAttribute('aria-expanded')) === 'true';
      if (expanded !== open.includes(title)) await header.click();
    }
  }

  it('the tree shows the PyTorchJob Running with its 16 H100 and its ranks', () =>
    wb.guard('tree', async () => {
      await layout([W]);
      await wb.waitForTreeItem(W, JOB, 120_000);
      await waitFor(
        `${JOB} Running 4/4 with 16 H100`,
        async () =>
          (await wb.treeItems(W)).find(
            (i) => i.label === JOB && /^Running · 4\/4 · 16× H100 80GB HBM3 · /.test(i.description),
          ),
        120_000,
      );
      await wb.expandTreeItem(W, JOB);
      await wb.waitForTreeItem(W, 'master');
      await wb.expandTreeItem(W, 'master');
      await wb.expandTreeItem(W, 'worker');
      for (const pod of ['master-0', 'worker-0', 'worker-1', 'worker-2']) await wb.waitForTreeItem(W, pod);
      const rows = await wb.treeItems(W);
      const w2 = rows.find((i) => i.label === 'worker-2')!;
      assert.match(w2.description, /^Running · h100-node-[01] · 4× gpu/);
      await wb.screenshot('demo-tree');
      timer.lap('tree');
    }));

  it('the pending Job says why, with the scheduler message; Kueue, OOMKilled and completed Jobs read right', () =>
    wb.guard('pending', async () => {
      const want: [string, RegExp][] = [
        // Why Not Running's sentence: the scheduler's verdict restated against the GPU pool.
        ['bench-16gpu', /^Pending: needs 16 GPUs in one pod, nodes have at most 8 · 0\/1 · /],
        // The reason in the row, Kueue's message in the tooltip (below).
        ['rocm-pretrain-large', /^Queued in amd-queue \(Kueue\): amd-cluster-queue has 4 of 8 mi300x in use/],
        ['rocm-pretrain-small', /^Running · 2\/2 · 4× /],
        ['eval-mmlu', /^Failed: OOMKilled in eval-mmlu-[a-z0-9]{5} · 0\/1 · /],
        ['tokenize-shards', /^Succeeded: CompletionsReached · 0\/2 · /],
      ];
      await layout([W]);
      await wb.clickTreeItem(W, JOB); // collapse: the other rows fit
      const rows = await waitFor(
        'the batch and Kueue Jobs with their status',
        async () => {
          const items = await wb.treeItems(W);
          return want.every(([n, re]) => items.some((i) => i.label === n && re.test(i.description)))
            ? items
            : undefined;
        },
        120_000,
      );
      assert.ok(rows.some((i) => i.label === 'research-nb'));
      const queued = await wb.hoverTreeItem(W, 'rocm-pretrain-large');
      assert.match(queued, /insufficient unused quota for amd\.com\/gpu in flavor mi300x, 4 more needed/);
      // The picture is of this hover (the README's "why a Job is Pending"): taken while it shows.
      const tip = await wb.hoverTreeItem(W, 'bench-16gpu');
      assert.match(tip, /FailedScheduling/);
      await wb.screenshot('demo-pending');
      timer.lap('pending');
    }));

  it('the GPUs view shows the H100s full and the MIG slices in use', () =>
    wb.guard('gpus', async () => {
      await layout([G]);
      // The A100 row carries its MIG profiles: "1g.5gb 10/14 free" while the sweep holds slices.
      const text = await wb.waitForViewText(G, /1g\.5gb \d+\/14 free/, 60_000);
      assert.match(text, /NVIDIA H100 80GB HBM3/);
      const free = Number(/1g\.5gb (\d+)\/14 free/.exec(text)![1]);
      assert.ok(free < 14, `MIG 1g.5gb slices in use: ${14 - free}`);
      const rows = await wb.treeItems(G);
      assert.ok(
        rows.some((i) => /H100/.test(i.label) && /^0\/16 free · 16 allocated/.test(i.description)),
        JSON.stringify(rows),
      );
      await wb.screenshot('demo-gpus');
      timer.lap('gpus');
    }));

  it('mistakes.yaml shows its diagnostics, live ones included, and the quick fix', () =>
    wb.guard('diagnostics', async () => {
      await wb.openFile('mistakes.yaml');
      await wb.problems(); // opens the panel
      // The rows as shown (message | source | code | position): the code is not in their aria labels.
      const rows = (): Promise<string[]> =>
        wb.page
          .locator('.markers-panel .monaco-list-row')
          .evaluateAll((els) =>
            els.map((r) => (r as unknown as { innerText: string }).innerText.replace(/\s*\n\s*/g, ' | ')),
          );
      // GANTRY111 is a hint: the editor shows it, the Problems panel does not.
      const codes = [
        'GANTRY101',
        'GANTRY102',
        'GANTRY103',
        'GANTRY105',
        'GANTRY106',
        'GANTRY110',
        'GANTRY113',
      ];
      const all = await waitFor(
        'every intended diagnostic in the Problems panel, live ones included',
        async () => {
          const r = await rows();
          return codes.every((c) => r.some((x) => x.includes(c))) ? r : undefined;
        },
        90_000,
      );
      assert.ok(all.some((r) => /unknown field "replicsa"; did you mean "replicas"\?/.test(r)));
      // Ctrl+G to the GPU request without a limit, Ctrl+. for the fix.
      const line = readFileSync(join(info.workspace, 'mistakes.yaml'), 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('requests:'));
      await wb.activeEditor().click();
      await wb.page.keyboard.press('Control+G');
      await wb.page.keyboard.type(String(line + 2));
      await wb.page.keyboard.press('Enter');
      await wb.page.keyboard.press('End');
      await wb.page.keyboard.press('Control+.');
      const widget = wb.page.locator('.action-widget');
      await widget.locator('.monaco-list-row[aria-label="Set limits.nvidia.com/gpu to 1"]').waitFor();
      await wb.screenshot('demo-quickfix');
      await wb.page.keyboard.press('Escape');
      timer.lap('diagnostics');
    }));

  describe('the actions', () => {
    it('Follow Logs on the PyTorchJob shows rank-prefixed lines of every rank', () =>
      wb.guard('logs', async () => {
        await wb.openGantry();
        // The log panel is a terminal in the editor area.
        const terminal = wb.page.locator('.terminal-editor .xterm-rows').last();
        await wb.chooseRowCommand(W, JOB, 'Follow Logs', {
          fallback: wb.quickPickTitled('Gantry: Follow Logs'),
          done: terminal,
          timeoutMs: 30_000,
        });
        const text = await waitFor(
          'lines of master-0 and worker-2 with the training output',
          async () => {
            const t = (await terminal.innerText().catch(() => '')).replace(/\u00a0/g, ' ');
            // The panel shows its last screenful: the master's "epoch N step S/T loss=" line comes every 10 steps.
            return /master-0/.test(t) &&
              /worker-2/.test(t) &&
              /Epoch \d\/3/.test(t) &&
              /epoch \d+ step \d+\/\d+ loss=/.test(t)
              ? t
              : undefined;
          },
          90_000,
        );
        assert.match(text, /\[master-0\] epoch \d+ step \d+\/\d+ loss=/);
        await wb.screenshot('demo-logs');
        timer.lap('logs');
      }));

    it('Open Notebook forwards to the notebook pod and opens JupyterLab, whose kernel runs a cell', () =>
      wb.guard('notebook', async () => {
        await wb.openGantry();
        await wb.treeItemMenu(W, 'research-nb');
        const ctx = wb.page.context();
        // The demo's code-server maps forwarded ports to http://<port>.localhost:<its port>/ (--proxy-domain).
        const net = recordRequests(ctx, (h) => h.endsWith(`.localhost:${info.port}`));
        const popup = ctx.waitForEvent('page', { timeout: 60_000 });
        await wb.chooseMenuItem('Open Notebook');
        const page = await popup;
        assert.match(
          page.url(),
          new RegExp(`^http://\\d+\\.localhost:${info.port}/notebook/llm-team/research-nb/`),
        );
        // The shell painted, not only the title; then a notebook's kernel runs a cell through the forward.
        await waitForLabShell(page, net);
        assert.equal(await runCellInNewNotebook(page), '42');
        assert.deepEqual(failedRequests(net), [], net.join('\n'));
        await dismissNewsToast(page);
        await page.screenshot({ path: join(wb.outputDir, 'demo-notebook.png') });
        await page.close();
        await wb.waitForViewText('Port Forwards and Log Streams', /research-nb/);
        timer.lap('notebook');
      }));

    it('a manifest submitted from the Explorer appears in the tree', () =>
      wb.guard('submit', async () => {
        const explorer = await wb.openContainer('Explorer');
        const file = explorer.locator('.monaco-list-row', { hasText: /^pytorchjob\.yaml$/ }).first();
        await wb.contextMenu(file);
        await wb.chooseMenuItem('Submit');
        // A confirmation, if the command asks for one.
        const confirm = wb.page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Submit/ });
        if (await confirm.isVisible({ timeout: 5_000 }).catch(() => false)) await confirm.click();
        await wb.openGantry();
        await wb.waitForTreeItem(W, 'bert-finetune', 60_000);
        timer.lap('submit');
      }));
  });

  it('has logged no Gantry error', () => {
    assert.deepEqual(gantryErrors(wb), []);
  });

  it('Ctrl-C stops the demo, and no process or port of it is left', async () => {
    await wb.close();
    const t = Date.now();
    const exit = new Promise<string>((r) => demo.once('exit', (c, sig) => r(String(c ?? sig))));
    process.kill(-demo.pid!, 'SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      exit,
      new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 120_000))),
    ]);
    clearTimeout(timer); // a pending timer would keep this test process alive for two minutes
    assert.notEqual(code, 'timeout', `the demo did not exit within 120 s:\n${out.slice(-3000)}`);
    // npm itself ends by the signal it forwarded (as in a terminal); the demo under it exits 0 when done.
    assert.ok(code === '0' || code === 'SIGINT', `npm run demo ended with ${code}:\n${out.slice(-3000)}`);
    console.log(`demo: stopped ${((Date.now() - t) / 1000).toFixed(1)} s after SIGINT`);
    assert.match(out, /stopped everything in/);
    // Detached components are reparented when the demo exits; give the last SIGKILLs a moment.
    const left = await waitFor(
      'every demo process to be gone',
      () => {
        const l = pids.filter(alive);
        return l.length === 0 ? [] : false;
      },
      15_000,
    ).catch(() => pids.filter(alive));
    assert.deepEqual(
      left.map(
        (p) =>
          `${p} ${existsSync(`/proc/${p}/cmdline`) ? readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 120) : ''}`,
      ),
      [],
    );
    const open: number[] = [];
    for (const p of ports) if (await listening(p)) open.push(p);
    assert.deepEqual(open, [], 'ports still listening');
    assert.ok(!existsSync(runDir), `${runDir} was not removed`);
  });
});
