// Open Notebook in real VS Code (code-server) against the local cluster: a Kubeflow Notebook whose pod is a real
// JupyterLab (loopback, under /notebook/<ns>/<name>/, as Kubeflow's image runs it). The command forwards it and
// lists the forward in the Sessions view. With code-server's default /proxy/<port>/ mapping the notebook cannot
// load (code-server strips the prefix, the notebook asks for /notebook/<ns>/<name>/static/… at the root): Gantry
// says so and offers the local URL. With --proxy-domain (ports on <port>.localhost) the opened tab is JupyterLab,
// its shell paints, a notebook's kernel runs a cell through the forward, and Stop in the Sessions view closes the
// port.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startJupyter, type JupyterServer } from '../cluster/harness/jupyter';
import type { TestCluster } from '../cluster/harness/index';
import { rest } from '../cluster/helpers';
import { launch, waitFor, type TreeItem, type Workbench } from './harness';
import { attachCluster, ensureVsix, gantryErrors, noCluster, Timer } from './clusterScenario';
import {
  dismissNewsToast,
  failedRequests,
  recordRequests,
  runCellInNewNotebook,
  waitForLabShell,
} from './forwardJupyterLab';

const S = 'Port Forwards and Log Streams';
const NB = 'demo-nb';

function status(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    http
      .get(url, { agent: false, timeout: 3000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** Open Notebook from the notebook's row, as a person does it; resolves with the forward's live Sessions row. */
async function openNotebook(wb: Workbench, ns: string): Promise<TreeItem> {
  await wb.openGantry();
  // Only this test's namespace (other test files share the cluster), as a person picks it.
  await wb.chooseNamespace(ns);
  await wb.waitForTreeItem('ML Workloads', NB, 90_000);
  // A row re-rendered under the pointer (the notebook's status moving) can take the right-click: retry.
  let menu: string[] = [];
  for (let i = 0; i < 3 && !menu.includes('Open Notebook'); i++) {
    if (i) await wb.page.keyboard.press('Escape');
    menu = await wb.treeItemMenu('ML Workloads', NB);
  }
  assert.ok(menu.includes('Open Notebook'), JSON.stringify(menu));
  await wb.chooseMenuItem('Open Notebook');
  return waitFor(
    'the forward live in the Sessions view',
    async () =>
      (await wb.treeItems(S)).find(
        (i) => i.label === `Forward: Notebook ${ns}/${NB}` && /^live · /.test(i.description),
      ),
    // The notebook's pod may still be starting on a loaded machine: the forward waits for it.
    120_000,
  ).catch(async (e: Error) => {
    const seen = JSON.stringify(await wb.treeItems(S));
    const notes = JSON.stringify(await wb.notifications());
    throw new Error(
      `${e.message}; Sessions view: ${seen}; notifications: ${notes}; log: ${wb.gantryLog().slice(-2000)}`,
    );
  });
}

function localUrlOf(row: TreeItem, ns: string): string {
  const local = /(http:\/\/127\.0\.0\.1:\d+\/notebook\/[^ ]+\/) → /.exec(row.description)?.[1];
  assert.ok(local, row.description);
  assert.equal(new URL(local).pathname, `/notebook/${ns}/${NB}/`);
  return local;
}

describe('Open Notebook in code-server against the local cluster', { skip: noCluster }, () => {
  let cluster: TestCluster;
  let ns: string;
  let jupyter: JupyterServer;
  let rule: { dispose(): Promise<void> } | undefined;
  const timer = new Timer('forward');

  before(async () => {
    ensureVsix();
    timer.lap('package');
    ({ cluster } = await attachCluster());
    ns = await cluster.createNamespace('e2e-forward');
    // As Kubeflow's notebook images run it: no token, the gateway in front does the auth.
    jupyter = await startJupyter({ namespace: ns, name: NB });
    rule = await cluster.forwardPodPort(ns, `${NB}-0`, 8888, jupyter.port, { keepAcrossPods: true });
    // Straight to the API: kubectl apply's client-side validation fetches the whole OpenAPI v2 document.
    const api = await rest(cluster);
    try {
      await api.post(`/apis/kubeflow.org/v1/namespaces/${ns}/notebooks`, {
        apiVersion: 'kubeflow.org/v1',
        kind: 'Notebook',
        metadata: { name: NB, namespace: ns },
        spec: {
          template: {
            spec: { containers: [{ name: NB, image: 'kubeflownotebookswg/jupyter-scipy:v1.10.0' }] },
          },
        },
      });
    } finally {
      api.close();
    }
    timer.lap('cluster objects + jupyter');
  });

  after(async () => {
    console.log(timer.report());
    await rule?.dispose().catch(() => undefined);
    await jupyter?.stop();
    await cluster?.kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  describe("code-server's default /proxy/<port>/ mapping", () => {
    let wb: Workbench;
    before(async () => {
      wb = await launch({ name: 'forward-path-proxy', env: { KUBECONFIG: cluster.kubeconfigPath } });
      timer.lap('launch (path proxy)');
    });
    after(() => wb?.close());

    it('Open Notebook says why the notebook cannot load under /proxy/<port>/ and copies the local URL', () =>
      wb.guard('path-proxy', async () => {
        const cs = new URL(wb.url).host;
        // The page's own answer first, as the last session found it: code-server strips /proxy/<port>, the
        // notebook asks for its assets at the absolute /notebook/<ns>/<name>/static/… on code-server's root.
        const pagesBefore = wb.page.context().pages().length;
        const row = await openNotebook(wb, ns);
        const local = localUrlOf(row, ns);
        const port = new URL(local).port;
        const note = await waitFor(
          'the notification that the notebook cannot load under /proxy/<port>/',
          async () => (await wb.notifications()).find((n) => /cannot load under/.test(n)),
          30_000,
        );
        // The toast's text also holds its source and its button.
        const expected =
          `Notebook ${ns}/${NB} cannot load under code-server's /proxy/${port}/ path (the notebook asks for its ` +
          `files at /notebook/${ns}/${NB}/ from the root): start code-server with --proxy-domain ${cs} so that ` +
          `forwarded ports get a host of their own, or open ${local} on the machine code-server runs on.`;
        assert.ok(note.split('\n').includes(expected), `${note}\n--- expected a line:\n${expected}`);
        await wb.screenshot('forward-path-proxy-message');
        // No tab was opened on a page that cannot work.
        assert.equal(wb.page.context().pages().length, pagesBefore);
        await wb.page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: wb.url });
        await wb.page
          .locator('.notification-toast', { hasText: 'cannot load under' })
          .locator('.monaco-button', { hasText: 'Copy Local URL' })
          .click();
        const copied = await waitFor(
          'the local URL in the clipboard',
          async () => {
            const t = await wb.page.evaluate(() => navigator.clipboard.readText()).catch(() => '');
            return t === local ? t : undefined;
          },
          10_000,
        );
        assert.equal(copied, local);
        // That local URL is the notebook: JupyterLab's shell paints there.
        const page = await wb.page.context().newPage();
        const net = recordRequests(wb.page.context(), (h) => h === `127.0.0.1:${port}`);
        await page.goto(local);
        await waitForLabShell(page, net);
        await page.close();
        assert.deepEqual(gantryErrors(wb), []);
        timer.lap('path proxy: message, copy, local page');
      }));
  });

  describe('code-server with --proxy-domain (forwarded ports on <port>.localhost)', () => {
    let wb: Workbench;
    before(async () => {
      wb = await launch({ name: 'forward', env: { KUBECONFIG: cluster.kubeconfigPath }, proxyDomain: true });
      timer.lap('launch (domain proxy)');
    });
    after(() => wb?.close());

    it('Open Notebook opens JupyterLab: its shell paints and a kernel runs a cell; Stop closes the port', () =>
      wb.guard('open-notebook', async () => {
        const cs = new URL(wb.url).port;
        const ctx = wb.page.context();
        // openExternal opens a new tab.
        const opened = ctx.waitForEvent('page', { timeout: 120_000 }).catch(() => undefined);
        const net = recordRequests(ctx, (h) => h.endsWith(`.localhost:${cs}`));
        const row = await openNotebook(wb, ns);
        const local = localUrlOf(row, ns);
        const port = new URL(local).port;
        timer.lap('open notebook');
        const tab: Page | undefined = await opened;
        assert.ok(tab, 'openExternal opened a tab');
        // The port on its own host, the notebook's path kept (JupyterLab then redirects to .../lab).
        assert.match(tab.url(), new RegExp(`^http://${port}\\.localhost:${cs}/notebook/${ns}/${NB}/`));
        await waitForLabShell(tab, net);
        timer.lap('jupyterlab shell');
        const out = await runCellInNewNotebook(tab).catch(async (e: Error) => {
          await tab.screenshot({ path: `${wb.outputDir}/FAILED-jupyterlab.png` });
          throw new Error(
            `${e.message}\nrequests:\n${net.filter((l) => !/ GET .*\/static\//.test(l)).join('\n')}\n` +
              `Gantry log:\n${wb.gantryLog().slice(-3000)}`,
          );
        });
        assert.equal(out, '42');
        await dismissNewsToast(tab);
        await tab.screenshot({ path: `${wb.outputDir}/forward-jupyterlab.png` });
        assert.deepEqual(failedRequests(net), [], net.join('\n'));
        await tab.close();
        timer.lap('kernel runs a cell');

        assert.equal(await status(`${local}api`), 200);
        await wb.treeItemMenu(S, `Forward: Notebook ${ns}/${NB}`);
        await wb.chooseMenuItem('Stop');
        await waitFor('the forward ended', async () =>
          (await wb.treeItems(S)).some(
            (i) => i.label === `Forward: Notebook ${ns}/${NB}` && /^ended/.test(i.description),
          ),
        );
        assert.equal(await status(`${local}api`), 'ECONNREFUSED');
        assert.deepEqual(gantryErrors(wb), []);
        timer.lap('stop');
      }));
  });
});
