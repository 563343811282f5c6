// Open Notebook in real VS Code (code-server) against the local cluster: a Kubeflow Notebook whose pod is a real
// JupyterLab (loopback, under /notebook/<ns>/<name>/). The command forwards it, opens its URL through
// asExternalUri, lists the forward in the Sessions view; the page at the forward's URL is JupyterLab and a
// kernel runs code through it (REST + WebSocket from the page); Stop in the Sessions view closes the port.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startJupyter, type JupyterServer } from '../cluster/harness/jupyter';
import type { TestCluster } from '../cluster/harness/index';
import { rest } from '../cluster/helpers';
import { launch, waitFor, type Workbench } from './harness';
import { attachCluster, ensureVsix, gantryErrors, noCluster, Timer } from './clusterScenario';

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

describe('Open Notebook in code-server against the local cluster', { skip: noCluster }, () => {
  let wb: Workbench;
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
    wb = await launch({ name: 'forward', env: { KUBECONFIG: cluster.kubeconfigPath } });
    timer.lap('launch');
  });

  after(async () => {
    console.log(timer.report());
    await wb?.close();
    await rule?.dispose().catch(() => undefined);
    await jupyter?.stop();
    await cluster?.kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  it('Open Notebook gives a JupyterLab URL whose kernel runs code; Stop closes the port', () =>
    wb.guard('open-notebook', async () => {
      await wb.openGantry();
      // Only this test's namespace (other test files share the cluster), as a person picks it.
      await wb.chooseNamespace(ns);
      await wb.waitForTreeItem('ML Workloads', NB, 90_000);
      timer.lap('notebook in the tree');

      // openExternal opens a new tab.
      const opened = wb.page
        .context()
        .waitForEvent('page', { timeout: 60_000 })
        .catch(() => undefined);
      // From the notebook's row in the tree, as a person does it.
      // A row re-rendered under the pointer (the notebook's status moving) can take the right-click: retry.
      let menu: string[] = [];
      for (let i = 0; i < 3 && !menu.includes('Open Notebook'); i++) {
        if (i) await wb.page.keyboard.press('Escape');
        menu = await wb.treeItemMenu('ML Workloads', NB);
      }
      assert.ok(menu.includes('Open Notebook'), JSON.stringify(menu));
      await wb.chooseMenuItem('Open Notebook');
      const row = await waitFor(
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
      const local = /(http:\/\/127\.0\.0\.1:\d+\/notebook\/[^ ]+\/) → /.exec(row.description)?.[1];
      assert.ok(local, row.description);
      assert.equal(new URL(local).pathname, `/notebook/${ns}/${NB}/`);
      const tab = await opened;
      assert.ok(tab, 'openExternal opened a tab');
      const port = new URL(local).port;
      // code-server maps the loopback port through its proxy; the notebook path is kept after the port's root.
      assert.match(
        tab.url(),
        new RegExp(`(/proxy/${port}/notebook/${ns}/${NB}/|127\\.0\\.0\\.1:${port}/notebook/${ns}/${NB}/)`),
      );
      await tab.close();
      timer.lap('open notebook');

      // The page at the forward's URL is JupyterLab, and a kernel runs code through the forward.
      const page = await wb.page.context().newPage();
      await page.goto(local);
      await waitFor('the JupyterLab title', async () => (await page.title()) === 'JupyterLab', 60_000);
      const result = await page.evaluate(async (base: string) => {
        // Runs in the browser page.
        const cookie = (globalThis as unknown as { document: { cookie: string } }).document.cookie;
        const xsrf = /_xsrf=([^;]+)/.exec(cookie)?.[1] ?? '';
        const res = await fetch(`${base}api/kernels`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-XSRFToken': xsrf },
          body: '{"name":"python3"}',
        });
        if (res.status !== 201) return `POST api/kernels: ${res.status}`;
        const { id } = (await res.json()) as { id: string };
        const ws = new WebSocket(`${base.replace(/^http/, 'ws')}api/kernels/${id}/channels`);
        const msgId = crypto.randomUUID();
        return await new Promise<string>((resolve) => {
          const t = setTimeout(() => resolve('no execute_result in 60 s'), 60_000);
          ws.onopen = () =>
            ws.send(
              JSON.stringify({
                header: {
                  msg_id: msgId,
                  msg_type: 'execute_request',
                  username: 'e2e',
                  session: crypto.randomUUID(),
                  version: '5.3',
                  date: new Date().toISOString(),
                },
                parent_header: {},
                metadata: {},
                content: {
                  code: '6 * 7',
                  silent: false,
                  store_history: false,
                  user_expressions: {},
                  allow_stdin: false,
                },
                channel: 'shell',
              }),
            );
          ws.onmessage = (e) => {
            const m = JSON.parse(String(e.data)) as {
              msg_type: string;
              parent_header?: { msg_id?: string };
              content: { data?: Record<string, string> };
            };
            if (m.parent_header?.msg_id === msgId && m.msg_type === 'execute_result') {
              clearTimeout(t);
              ws.close();
              resolve(m.content.data?.['text/plain'] ?? '');
            }
          };
          ws.onerror = () => resolve('WebSocket error');
        });
      }, local);
      assert.equal(result, '42');
      await page.close();
      timer.lap('jupyterlab + kernel');

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
