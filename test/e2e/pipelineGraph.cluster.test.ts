// The pipeline graph live with the cluster, in real VS Code against the local cluster: an Argo Workflow of ML
// Workloads (its status written by the test's Argo simulation, test/cluster/harness/argo.ts) opens as a graph
// whose nodes are coloured by their status.nodes phase, follows a status change through the watch, and a click
// on the failed node follows its pod's logs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator } from 'playwright-core';
import { extensionId, launch, waitFor, type Workbench } from './harness';
import { apply, attachCluster, ensureVsix, gantryErrors, noCluster, Timer } from './clusterScenario';
import type { TestCluster } from '../cluster/harness/index';
import { type SimulatedNode, simulateArgoWorkflow } from '../cluster/harness/argo';

const W = 'ML Workloads';
const WF = 'diamond';

describe('Pipeline graph of a live Argo Workflow', { skip: noCluster }, () => {
  let wb: Workbench;
  let cluster: TestCluster;
  let ns: string;
  let graph: FrameLocator;
  const timer = new Timer('pipelineGraph');
  const statusItem = () => wb.page.locator(`[id="${extensionId}.gantry.context"]`);
  const nodes = (d: SimulatedNode['phase']): SimulatedNode[] => [
    { path: '.A', type: 'Pod', phase: 'Succeeded', templateName: 'echo' },
    { path: '.B', type: 'Pod', phase: 'Failed', templateName: 'echo' },
    { path: '.C', type: 'Pod', phase: 'Running', templateName: 'echo' },
    { path: '.D', type: 'Pod', phase: d, templateName: 'echo' },
  ];

  before(async () => {
    ensureVsix();
    ({ cluster } = await attachCluster());
    ns = await cluster.createNamespace('e2e-argo');
    const task = (name: string, depends?: string) => ({
      name,
      template: 'echo',
      ...(depends ? { depends } : {}),
    });
    await apply(cluster, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { name: WF, namespace: ns },
      spec: {
        entrypoint: 'main',
        templates: [
          { name: 'main', dag: { tasks: [task('A'), task('B', 'A'), task('C', 'A'), task('D', 'B && C')] } },
          { name: 'echo', container: { image: 'busybox:1.36', command: ['echo', 'hi'] } },
        ],
      },
    });
    await simulateArgoWorkflow(cluster, ns, WF, 'main', nodes('Pending'));
    await cluster.appendLog(ns, await podOf('.B'), 'main', ['step B: loss=nan', 'Traceback: B failed']);
    timer.lap('cluster objects');
    wb = await launch({
      name: 'pipeline-graph-live',
      env: { KUBECONFIG: cluster.kubeconfigPath },
      viewport: { width: 1600, height: 1000 },
      settings: { 'terminal.integrated.gpuAcceleration': 'off' },
    });
    timer.lap('launch');
  });

  after(async () => {
    console.log(timer.report());
    await wb?.close();
    await cluster?.kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  async function podOf(path: string): Promise<string> {
    return waitFor(`the pod of ${path}`, async () => {
      const r = await cluster.kubectl(['get', 'pods', '-n', ns, '-o', 'json']);
      const list = JSON.parse(r.stdout || '{"items":[]}') as {
        items: {
          metadata: { name: string; annotations?: Record<string, string> };
          status?: { phase?: string };
        }[];
      };
      const p = list.items.find(
        (x) => x.metadata.annotations?.['workflows.argoproj.io/node-name'] === `${WF}${path}`,
      );
      return p && p.status?.phase !== 'Pending' ? p.metadata.name : undefined;
    });
  }

  const nodeClass = (id: string) =>
    graph
      .locator(`g.node[data-id="${id}"]`)
      .getAttribute('class')
      .catch(() => '');

  it('the Workflow row opens a graph coloured by its nodes’ phases', () =>
    wb.guard('open', async () => {
      await wb.openGantry();
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
      await waitFor('the namespace in the status bar', async () => {
        const label = (await statusItem().getAttribute('aria-label')) ?? '';
        return label.includes(`Namespaces: ${ns}`);
      });
      await wb.waitForTreeItem(W, WF, 60_000);
      // The row re-renders when a pod of the workflow changes phase, which closes an open context menu, and rows
      // can move under the mouse as the tree fills (a fresh-clone run got the menu of another row: only
      // "Refresh"): the menu is opened again, as a person would, until the panel shows.
      let menus = 0;
      await waitFor(
        'the graph panel',
        async () => {
          const menu = await wb.treeItemMenu(W, WF);
          if (!menu.includes('Show Pipeline Graph')) {
            assert.ok(
              ++menus < 5,
              `the row's menu lacked Show Pipeline Graph 5 times: ${JSON.stringify(menu)}`,
            );
            console.log(`pipeline graph: the menu was ${JSON.stringify(menu)} (another row's); again`);
            await wb.page.keyboard.press('Escape');
            return undefined;
          }
          await wb.chooseMenuItem('Show Pipeline Graph').catch(() => undefined);
          const tab = wb.page.locator('.tabs-container .tab', { hasText: `Graph: ${WF}` });
          return (await tab
            .waitFor({ timeout: 10_000 })
            .then(() => true)
            .catch(() => false))
            ? true
            : undefined;
        },
        60_000,
      );
      graph = wb.page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      await waitFor(
        'the phases on the nodes',
        async () => {
          const [a, b, c, d] = await Promise.all(['A', 'B', 'C', 'D'].map(nodeClass));
          return a?.includes('phase-Succeeded') &&
            b?.includes('phase-Failed') &&
            c?.includes('phase-Running') &&
            d?.includes('phase-Pending')
            ? true
            : undefined;
        },
        60_000,
      );
      const failedText = await graph.locator('g.node[data-id="B"] text.phase').textContent();
      assert.equal(failedText, 'Failed');
      await wb.screenshot('argo-live-graph');
      timer.lap('graph');
    }));

  it('follows a status change from the watch', () =>
    wb.guard('update', async () => {
      await simulateArgoWorkflow(cluster, ns, WF, 'main', nodes('Omitted'));
      await waitFor(
        'D omitted',
        async () => ((await nodeClass('D'))?.includes('phase-Omitted') ? true : undefined),
        60_000,
      );
      assert.ok((await nodeClass('B'))?.includes('phase-Failed'));
      timer.lap('update');
    }));

  it('clicking the failed node follows its pod’s logs', () =>
    wb.guard('logs', async () => {
      const pod = await podOf('.B');
      await graph.locator('g.node[data-id="B"]').click();
      await wb.waitForLog(() => wb.gantryLog(), new RegExp(`following logs of .*${pod}`), 30_000);
      // The log panel: a terminal in the editor area (xterm's DOM renderer, one row per line).
      await waitFor(
        'the failed pod’s log in the log panel',
        async () => {
          const t = await wb.page
            .locator('.terminal-editor .xterm-rows')
            .last()
            .innerText()
            .catch(() => '');
          return t.includes('Traceback: B failed') ? t : undefined;
        },
        60_000,
      );
      await wb.screenshot('argo-failed-logs');
      assert.deepEqual(gantryErrors(wb), []);
      timer.lap('logs');
    }));
});
