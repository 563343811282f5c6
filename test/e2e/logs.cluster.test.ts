// Follow Logs in real VS Code against the local cluster: on the PyTorchJob of the tree it opens an editor-area
// panel whose text shows `[master-0]` and `[worker-1]` lines appended after it opened; the same from the
// palette's quick pick; Stop in the Sessions view ends the stream.
import { h100Replica } from '../cluster/helpers';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launch, waitFor, type Workbench } from './harness';
import { apply, attachCluster, ensureVsix, gantryErrors, noCluster, Timer } from './clusterScenario';
import type { TestCluster } from '../cluster/harness/index';

const W = 'ML Workloads';
const S = 'Port Forwards and Log Streams';
const JOB = 'bert-logs';

describe('Follow Logs against the local cluster', { skip: noCluster }, () => {
  let wb: Workbench;
  let cluster: TestCluster;
  let ns: string;
  const timer = new Timer('logs');
  const pods = [`${JOB}-master-0`, `${JOB}-worker-0`, `${JOB}-worker-1`];

  /** The text of the log panel (xterm's DOM renderer: one row per line). */
  const panelText = async () =>
    (
      await wb.page
        .locator('.terminal-editor .xterm-rows')
        .last()
        .innerText()
        .catch(() => '')
    ).replace(/\u00a0/g, ' ');

  before(async () => {
    ensureVsix();
    timer.lap('package');
    ({ cluster } = await attachCluster());
    ns = await cluster.createNamespace('e2e-logs');
    await apply(cluster, {
      apiVersion: 'kubeflow.org/v1',
      kind: 'PyTorchJob',
      metadata: { name: JOB, namespace: ns },
      // On the pod templates: the real training-operator does not copy the job's annotations onto its pods.
      spec: {
        pytorchReplicaSpecs: {
          Master: h100Replica(1, 1, { 'sim.gantry.dev/duration': '900s' }),
          Worker: h100Replica(2, 1, { 'sim.gantry.dev/duration': '900s' }),
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
        90_000,
      );
    timer.lap('cluster objects');
    wb = await launch({
      name: 'logs',
      env: { KUBECONFIG: cluster.kubeconfigPath },
      viewport: { width: 1400, height: 1100 },
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

  it('Follow Logs on the PyTorchJob opens a panel with master and worker lines appended after it opened', () =>
    wb.guard('tree', async () => {
      await wb.openGantry();
      await wb.chooseNamespace(ns);
      await wb.waitForTreeItem(W, JOB, 90_000);
      await waitFor(
        'the job Running with its 3 pods',
        async () =>
          /^Running · 3\/3 /.test((await wb.treeItems(W)).find((i) => i.label === JOB)?.description ?? ''),
        90_000,
      );
      await wb.chooseRowCommand(W, JOB, 'Follow Logs', {
        fallback: wb.quickPickTitled('Gantry: Follow Logs'),
        done: wb.page.locator('.terminal-editor .xterm-rows', { hasText: '[master-0]' }),
      });
      timer.lap('panel');
      await cluster.appendLog(ns, `${JOB}-master-0`, 'pytorch', ['e2e epoch 1 loss=0.91']);
      await cluster.appendLog(ns, `${JOB}-worker-1`, 'pytorch', ['e2e epoch 1 loss=0.87']);
      await waitFor(
        'the appended lines',
        async () => {
          const t = await panelText();
          return t.includes('[master-0] e2e epoch 1 loss=0.91') &&
            t.includes('[worker-1] e2e epoch 1 loss=0.87')
            ? t
            : undefined;
        },
        30_000,
      );
      await wb.screenshot('logs-panel');
      timer.lap('lines');
    }));

  it('Stop in the Sessions view ends the stream', () =>
    wb.guard('stop', async () => {
      const row = `Logs: PyTorchJob ${ns}/${JOB}`;
      await wb.expandView(S);
      await wb.waitForTreeItem(S, row);
      const menu = await wb.treeItemMenu(S, row);
      assert.ok(menu.includes('Stop'), JSON.stringify(menu));
      await wb.chooseMenuItem('Stop');
      await waitFor(
        'the panel says it stopped',
        async () => (await panelText()).includes('— stopped by you —'),
        15_000,
      );
      const item = await waitFor('the row says ended', async () => {
        const r = (await wb.treeItems(S)).find((i) => i.label === row);
        return r && r.description.startsWith('ended') ? r : undefined;
      });
      assert.match(item.description, /^ended/);
      // Nothing more arrives in a stopped panel.
      await cluster.appendLog(ns, `${JOB}-master-0`, 'pytorch', ['after stop']);
      await new Promise((r) => setTimeout(r, 3000));
      assert.ok(!(await panelText()).includes('after stop'));
    }));

  it('the palette quick pick follows a workload of the current scope', () =>
    wb.guard('palette', async () => {
      // Not runCommand(): the command's quick pick reuses the quick input widget, which then never hides.
      const qp = wb.page.locator('.quick-input-widget');
      await wb.page.locator('.monaco-workbench').focus();
      await wb.page.keyboard.press('F1');
      await qp.locator('.quick-input-box input').fill('>Gantry: Follow Logs');
      await qp
        .locator('.quick-input-list .monaco-list-row', { hasText: 'Gantry: Follow Logs' })
        .first()
        .click();
      await qp.locator('.quick-input-title', { hasText: 'Gantry: Follow Logs' }).waitFor();
      await qp.locator('.quick-input-box input').fill(JOB);
      await qp.locator('.quick-input-list .monaco-list-row.focused', { hasText: JOB }).waitFor();
      await wb.page.keyboard.press('Enter');
      await waitFor(
        'a new panel',
        async () => {
          const t = await panelText();
          return !t.includes('— stopped by you —') && t.includes('[worker-1]');
        },
        60_000,
      );
      await cluster.appendLog(ns, `${JOB}-worker-1`, 'pytorch', ['e2e from the palette']);
      await waitFor(
        'the appended line',
        async () => (await panelText()).includes('[worker-1] e2e from the palette'),
        30_000,
      );
      assert.deepEqual(gantryErrors(wb), []);
    }));
});
