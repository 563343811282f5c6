// Reading training logs in real VS Code against the local cluster: a running PyTorchJob printing a tqdm bar shows
// its step in its ML Workloads row (Gantry's own follow of the master) and its log panel's title shows the loss;
// a job whose master ran out of GPU memory before the worker's NCCL timeout reads "Failed: CUDA OOM on master-0…",
// and its log panel shows the failure with a link that opens the master's tail at the evidence line.
//
// The pods (made by the real training-operator) run a `sidecar` first: Gantry reads the operator's `pytorch`
// container.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestCluster } from '../cluster/harness/index';
import { apply, attachCluster, ensureVsix, gantryErrors, noCluster, Timer } from './clusterScenario';
import { launch, waitFor, type Workbench } from './harness';

const W = 'ML Workloads';
const RUN = 'bert-progress';
const OOM = 'gpt-oom';

// The sim.gantry.dev/* knobs go on the pod template: the real operator does not copy the job's annotations.
function replica(replicas: number, annotations: Record<string, string>): unknown {
  return {
    replicas,
    restartPolicy: 'Never',
    template: {
      metadata: { annotations },
      spec: {
        tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
        containers: [
          { name: 'sidecar', image: 'busybox:1.36' },
          { name: 'pytorch', image: 'trainer:1.0', resources: { limits: { 'nvidia.com/gpu': 1 } } },
        ],
      },
    },
  };
}

const long = { 'sim.gantry.dev/duration': '900s' };
const failing = {
  'sim.gantry.dev/outcome': 'fail',
  'sim.gantry.dev/exit-code': '1',
  'sim.gantry.dev/duration': '150s',
};

const bar = (i: number, loss: number) =>
  `Epoch 2/5:  ${String(Math.round(i / 10)).padStart(3)}%|████      | ${i}/1000 [01:00<01:30,  6.67it/s, loss=${loss.toFixed(3)}]`;

describe('Training insight against the local cluster', { skip: noCluster }, () => {
  let wb: Workbench;
  let cluster: TestCluster;
  let ns: string;
  const timer = new Timer('insights');

  const panelText = async () =>
    (
      await wb.page
        .locator('.terminal-editor .xterm-rows')
        .last()
        .innerText()
        .catch(() => '')
    ).replace(/\u00a0/g, ' ');

  const row = async (label: string) => (await wb.treeItems(W)).find((i) => i.label === label);

  const chooseNamespace = async () => {
    const qp = wb.page.locator('.quick-input-widget');
    await wb.page.locator('.monaco-workbench').focus();
    await wb.page.keyboard.press('F1');
    await qp.locator('.quick-input-box input').fill('>Gantry: Choose Namespaces');
    await qp
      .locator('.quick-input-list .monaco-list-row', { hasText: 'Gantry: Choose Namespaces…' })
      .first()
      .click();
    await qp.locator('.quick-input-title', { hasText: 'Gantry: Namespaces' }).waitFor();
    await qp.locator('.quick-input-box input').fill(ns);
    await qp
      .locator('.quick-input-list .monaco-list-row.focused')
      .filter({ has: wb.page.locator('.label-name', { hasText: new RegExp(`^${ns}$`) }) })
      .waitFor();
    await wb.page.keyboard.press('Enter');
    await qp.waitFor({ state: 'hidden' });
  };

  before(async () => {
    ensureVsix();
    timer.lap('package');
    ({ cluster } = await attachCluster());
    ns = await cluster.createNamespace('e2e-insights');
    // kwok serves a container's log file only if it was registered before the first request for it.
    for (const job of [RUN, OOM])
      for (const p of [`${job}-master-0`, `${job}-worker-0`])
        await cluster.appendLog(ns, p, 'pytorch', ['starting']);
    await apply(
      cluster,
      {
        apiVersion: 'kubeflow.org/v1',
        kind: 'PyTorchJob',
        metadata: { name: RUN, namespace: ns },
        spec: { pytorchReplicaSpecs: { Master: replica(1, long), Worker: replica(1, long) } },
      },
      {
        apiVersion: 'kubeflow.org/v1',
        kind: 'PyTorchJob',
        metadata: { name: OOM, namespace: ns },
        spec: { pytorchReplicaSpecs: { Master: replica(1, failing), Worker: replica(1, failing) } },
      },
    );
    timer.lap('cluster objects');
    wb = await launch({
      name: 'insights',
      env: { KUBECONFIG: cluster.kubeconfigPath },
      viewport: { width: 1500, height: 1100 },
      // The DOM renderer, so the panel's text is in the page.
      settings: { 'terminal.integrated.gpuAcceleration': 'off' },
    });
    timer.lap('launch');
  });

  after(async () => {
    console.log(timer.report());
    await wb?.close();
    await cluster?.kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  it('a running job shows its step in its row, read from the master’s tqdm bar', () =>
    wb.guard('progress', async () => {
      await wb.openGantry();
      await chooseNamespace();
      await wb.waitForTreeItem(W, RUN, 90_000);
      await waitFor(
        'both jobs Running',
        async () => {
          const items = await wb.treeItems(W);
          return [RUN, OOM].every((j) =>
            /^Running · 2\/2 /.test(items.find((i) => i.label === j)?.description ?? ''),
          );
        },
        120_000,
      );
      // The other job's master runs out of GPU memory now; it fails when its pods end (150 s after start).
      await cluster.appendLog(ns, `${OOM}-master-0`, 'pytorch', [
        'epoch 1 step 120/1000 loss=2.31',
        'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.50 GiB. GPU 0 has a total capacity of 79.15 GiB of which 1.10 GiB is free.',
      ]);
      await new Promise((res) => setTimeout(res, 1100));
      await cluster.appendLog(ns, `${OOM}-worker-0`, 'pytorch', [
        '[rank1]:[E1206 10:10:01.000000000 ProcessGroupNCCL.cpp:607] [Rank 1] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=910, OpType=ALLREDUCE, NumelIn=1, NumelOut=1, Timeout(ms)=600000) ran for 600013 milliseconds before timing out.',
      ]);
      await cluster.appendLog(
        ns,
        `${RUN}-master-0`,
        'pytorch',
        [`\r${bar(398, 0.53)}\r${bar(399, 0.52)}\r${bar(400, 0.512)}`],
        'stderr',
      );
      const r = await waitFor(
        'the row to show the step',
        async () => {
          const x = await row(RUN);
          return x?.description.includes('step 400/1000') ? x : undefined;
        },
        60_000,
      );
      assert.match(
        r.description,
        /^Running · 2\/2 · .*epoch 2\/5 · step 400\/1000 · loss 0\.512 · 6\.67 it\/s · /,
      );
      // A row refreshed under the mouse (progress, ages) drops its hover: hover again until it shows.
      await waitFor(
        'the tooltip',
        async () => /Read from a tqdm bar of master-0/.test(await wb.hoverTreeItem(W, RUN).catch(() => '')),
        60_000,
      );
      await wb.screenshot('insights-progress');
      timer.lap('progress');
    }));

  it('a failed job says why in its row; its log panel links to the evidence', () =>
    wb.guard('failure', async () => {
      const r = await waitFor(
        'the failed row to say why',
        async () => {
          const x = await row(OOM);
          return x?.description.startsWith('Failed: CUDA OOM') ? x : undefined;
        },
        240_000,
      );
      assert.match(
        r.description,
        /^Failed: CUDA OOM on master-0: tried to allocate 2\.5 GiB, 1\.1 GiB free · /,
      );
      const tip = await waitFor(
        'the tooltip',
        async () => {
          const t = await wb.hoverTreeItem(W, OOM).catch(() => '');
          return /What to do:/.test(t) ? t : undefined;
        },
        60_000,
      );
      assert.match(tip, /NCCL timeout on worker-0/);
      timer.lap('failure row');

      await wb.chooseRowCommand(W, OOM, 'Follow Logs', {
        fallback: wb.quickPickTitled('Gantry: Follow Logs'),
        done: wb.page.locator('.terminal-editor .xterm-rows', { hasText: 'master-0' }),
      });
      await waitFor(
        'the failure line in the panel',
        async () => {
          const t = await panelText();
          return t.includes('⚠ CUDA OOM on master-0') && t.includes('open the evidence');
        },
        60_000,
      );
      await wb.screenshot('insights-panel-failure');
      // Terminal links open with Ctrl+click.
      const link = wb.page
        .locator('.terminal-editor .xterm-rows span', { hasText: 'open the evidence' })
        .last();
      const box = (await link.boundingBox())!;
      // With Ctrl held, as a person does (the link's hover widget would take a plain click).
      await wb.page.keyboard.down('Control');
      await wb.page.mouse.move(box.x + box.width - 12, box.y + box.height / 2);
      await new Promise((res) => setTimeout(res, 300));
      await wb.page.mouse.down();
      await wb.page.mouse.up();
      await wb.page.keyboard.up('Control');
      const text = await wb.waitForEditorText(/CUDA out of memory/, 20_000);
      assert.match(text, /epoch 1 step 120\/1000 loss=2\.31/);
      await wb.screenshot('insights-evidence');
      assert.deepEqual(gantryErrors(wb), []);
      timer.lap('evidence');
    }));

  it('the running job’s log panel shows the loss and the step in its title', () =>
    wb.guard('title', async () => {
      await wb.chooseRowCommand(W, RUN, 'Follow Logs', {
        fallback: wb.quickPickTitled('Gantry: Follow Logs'),
        done: wb.page.locator('.tabs-container .tab', { hasText: `Logs: PyTorchJob ${ns}/${RUN}` }),
      });
      const tab = await waitFor(
        'the panel title with the loss',
        async () => {
          const tabs = await wb.page.locator('.tabs-container .tab').allInnerTexts();
          return tabs.find((t) => t.includes(`Logs: PyTorchJob ${ns}/${RUN}`) && t.includes('loss'));
        },
        60_000,
      );
      assert.match(tab, /loss 0\.512 · step 400\/1000/);
      await cluster.appendLog(ns, `${RUN}-master-0`, 'pytorch', [bar(450, 0.48)], 'stderr');
      await waitFor(
        'the title to move',
        async () =>
          (await wb.page.locator('.tabs-container .tab').allInnerTexts()).some((t) =>
            /[▁▂▃▄▅▆▇█]+ loss 0\.48 · step 450\/1000/.test(t),
          ),
        30_000,
      );
      await waitFor(
        'the row to move too',
        async () => (await row(RUN))?.description.includes('step 450/1000'),
        30_000,
      );
    }));
});
