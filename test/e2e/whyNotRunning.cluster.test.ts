// Why Not Running? in real VS Code against the local cluster: a Job asking for 16 GPUs in one pod shows the
// explanation as its status line and as the first line of its hover, and the command (context menu) opens the
// panel with the answer, the fix and the scheduler's raw verdict, and says the answer in a notification.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launch, waitFor, type Workbench } from './harness';
import { apply, attachCluster, ensureVsix, gantryErrors, noCluster, Timer } from './clusterScenario';
import type { TestCluster } from '../cluster/harness/index';

const W = 'ML Workloads';
const JOB = 'sixteen';
const SENTENCE = 'Pending: needs 16 GPUs in one pod, nodes have at most 8';

describe('Why Not Running? against the local cluster', { skip: noCluster }, () => {
  let wb: Workbench;
  let cluster: TestCluster;
  let ns: string;
  const timer = new Timer('whyNotRunning');

  before(async () => {
    ensureVsix();
    timer.lap('package');
    ({ cluster } = await attachCluster());
    ns = await cluster.createNamespace('e2e-why');
    await apply(cluster, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: JOB, namespace: ns },
      spec: {
        backoffLimit: 0,
        template: {
          spec: {
            restartPolicy: 'Never',
            tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
            containers: [
              { name: 'train', image: 'trainer:1', resources: { limits: { 'nvidia.com/gpu': '16' } } },
            ],
          },
        },
      },
    });
    timer.lap('cluster objects');
    wb = await launch({
      name: 'why',
      env: { KUBECONFIG: cluster.kubeconfigPath },
      viewport: { width: 1600, height: 1100 },
    });
    timer.lap('launch');
  });

  after(async () => {
    console.log(timer.report());
    await wb?.close();
    await cluster?.kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  it('the pending Job row says why, in its status line and the first line of its hover', () =>
    wb.guard('row', async () => {
      await wb.openGantry();
      // Only this test's namespace (other test files share the cluster), as a person picks it.
      await wb.chooseNamespace(ns);
      await wb.waitForTreeItem(W, JOB, 60_000);
      await waitFor(
        'the explanation as the status line',
        async () => {
          const j = (await wb.treeItems(W)).find((i) => i.label === JOB);
          return j?.description.startsWith(`${SENTENCE} · 0/1 · 16× gpu`) ? j : undefined;
        },
        60_000,
      );
      // the tooltip is resolved when first shown (VS Code says "Loading..." until it arrives); a hover that
      // does not show up under a busy machine is tried again
      const hover = wb.page.locator('.workbench-hover, .monaco-hover:not(.hidden)').last();
      const tip = await waitFor(
        'the resolved hover of the pending Job',
        async () => {
          const t = await wb.hoverTreeItem(W, JOB).catch(() => '');
          if (t && !/^Loading/.test(t)) return t;
          await new Promise((r) => setTimeout(r, 1000));
          const again = await hover.innerText().catch(() => '');
          return again && !/^Loading/.test(again) ? again : undefined;
        },
        60_000,
      );
      assert.equal(tip.split('\n')[0]?.trim(), SENTENCE, tip);
      assert.match(tip, /a pod asks for 16 nvidia\.com\/gpu; the largest node has 8 \(H100 80GB\)/);
      await wb.screenshot('why-hover');
      timer.lap('row and hover');
    }));

  it('Why Not Running? from the context menu opens the panel and says the answer', () =>
    wb.guard('command', async () => {
      const menu = await wb.treeItemMenu(W, JOB);
      assert.ok(menu.includes('Why Not Running?'), JSON.stringify(menu));
      await wb.chooseMenuItem('Why Not Running?');
      const text = await wb.waitForEditorText(new RegExp(`# Why isn't Job ${ns}/${JOB} running\\?`), 60_000);
      // the markdown editor wraps long lines: compare the text with its line breaks as spaces
      const flat = text.replace(/\s+/g, ' ');
      assert.ok(flat.includes(`**${SENTENCE}**`), flat);
      assert.ok(
        flat.includes('**Scheduler:** a pod asks for 16 nvidia.com/gpu; the largest node has 8 (H100 80GB)'),
        flat,
      );
      assert.ok(flat.includes('Ask for 8 nvidia.com/gpu per pod (the node size)'), flat);
      assert.match(flat, /## Events .*\| Warning \| FailedScheduling/);
      const notes = await waitFor('the answer in a notification', async () => {
        const n = await wb.notifications();
        return n.some((x) => x.includes(SENTENCE)) ? n : undefined;
      });
      assert.ok(
        notes.some((x) => x.includes(SENTENCE)),
        JSON.stringify(notes),
      );
      await wb.screenshot('why-panel');
      assert.deepEqual(gantryErrors(wb), []);
      timer.lap('command');
    }));
});
