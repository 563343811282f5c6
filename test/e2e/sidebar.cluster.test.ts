// The packaged extension in real VS Code against the local cluster: the ML Workloads and GPUs views show a
// PyTorchJob (pods and status from the real training-operator) and a batch Job with live status, roles and
// pods; hover, Describe, grouping, Delete and live updates work from the UI; the views report a lost apiserver
// and recover by themselves.
import { h100Replica } from '../cluster/helpers';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { extensionId, launch, waitFor, type Workbench } from './harness';
import { apply, attachCluster, ensureVsix, gantryErrors, noCluster, Timer } from './clusterScenario';
import type { TestCluster } from '../cluster/harness/index';

const W = 'ML Workloads';
const G = 'GPUs';
const JOB = 'llama-ft';
const BATCH = 'preprocess';

const replica = h100Replica;
const batchJob = (ns: string, name: string, duration: string) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name, namespace: ns },
  spec: {
    backoffLimit: 0,
    template: {
      metadata: { annotations: { 'sim.gantry.dev/duration': duration } },
      spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36' }] },
    },
  },
});

describe('sidebar against the local cluster', { skip: noCluster }, () => {
  let wb: Workbench;
  let cluster: TestCluster;
  let context: string;
  let ns: string;
  const timer = new Timer('sidebar');
  const statusItem = () => wb.page.locator(`[id="${extensionId}.gantry.context"]`);

  before(async () => {
    ensureVsix();
    timer.lap('package');
    ({ cluster, context } = await attachCluster());
    ns = await cluster.createNamespace('e2e-sidebar');
    await apply(
      cluster,
      {
        apiVersion: 'kubeflow.org/v1',
        kind: 'PyTorchJob',
        metadata: { name: JOB, namespace: ns },
        // On the pod templates: the real training-operator does not copy the job's annotations onto its pods.
        spec: {
          pytorchReplicaSpecs: {
            Master: replica(1, 2, { 'sim.gantry.dev/duration': '900s' }),
            Worker: replica(2, 2, { 'sim.gantry.dev/duration': '900s' }),
          },
        },
      },
      batchJob(ns, BATCH, '900s'),
    );
    timer.lap('cluster objects');
    // Tall enough that both trees show every row (rows scrolled out of view are not in the DOM).
    wb = await launch({
      name: 'sidebar',
      env: { KUBECONFIG: cluster.kubeconfigPath },
      viewport: { width: 1400, height: 1300 },
    });
    timer.lap('launch');
  });

  after(async () => {
    console.log(timer.report());
    await wb?.close();
    await cluster?.kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  it('shows the context in the status bar and, for the chosen namespace, the kind groups and job status', () =>
    wb.guard('tree', async () => {
      await wb.openGantry();
      await waitFor('the context in the status bar', async () =>
        (
          await statusItem()
            .innerText()
            .catch(() => '')
        ).includes(context),
      );
      // Only this test's namespace (other test files share the cluster), as a person picks it.
      await wb.chooseNamespace(ns);
      // The session reconnects with the new scope; the status bar says so once it is connected.
      await waitFor('the namespace in the status bar', async () => {
        const label = (await statusItem().getAttribute('aria-label')) ?? '';
        // "cloud" is the connected icon ($(cloud)); connecting shows a spinner.
        return label.includes(`Namespaces: ${ns}`) && label.startsWith('cloud');
      });

      await wb.waitForTreeItem(W, JOB, 60_000);
      await wb.waitForTreeItem(W, BATCH);
      const job = await waitFor(
        'the PyTorchJob Running with 3/3 ready and its H100s',
        async () => {
          const items = await wb.treeItems(W);
          const j = items.find((i) => i.label === JOB);
          return j && /^Running · 3\/3 · 6× H100 80GB HBM3 · /.test(j.description) ? items : undefined;
        },
        90_000,
      );
      const groups = job.filter((i) => i.level === 1).map((i) => `${i.label} ${i.description}`);
      assert.deepEqual(groups, ['PyTorchJob 1', 'Job 1'], JSON.stringify(job));
      const batch = job.find((i) => i.label === BATCH)!;
      assert.match(batch.description, /^Running · 1\/1 · /);
      await wb.screenshot('sidebar-workloads');
      timer.lap('tree');
    }));

  it('expands the job into master and worker roles and the workers by rank', () =>
    wb.guard('expand', async () => {
      await wb.expandTreeItem(W, JOB);
      await wb.waitForTreeItem(W, 'worker');
      await wb.expandTreeItem(W, 'worker');
      await wb.waitForTreeItem(W, 'worker-1');
      const items = await wb.treeItems(W);
      const under = items.slice(items.findIndex((i) => i.label === JOB) + 1);
      assert.deepEqual(
        under.slice(0, 4).map((i) => [i.label, i.level]),
        [
          ['master', 3],
          ['worker', 3],
          ['worker-0', 4],
          ['worker-1', 4],
        ],
        JSON.stringify(items),
      );
      for (const w of under.slice(2, 4)) assert.match(w.description, /^Running · h100-node-\d · 2× gpu$/);
      await wb.screenshot('sidebar-expanded');
      timer.lap('expand');
    }));

  it('shows the conditions in the hover of the job', () =>
    wb.guard('hover', async () => {
      const tip = await wb.hoverTreeItem(W, JOB);
      assert.match(tip, /Running/);
      assert.match(tip, /Ready: 3\/3/);
      assert.match(tip, /Condition/);
      assert.match(tip, /Created/);
      assert.match(tip, /PyTorchJobRunning/);
      await wb.page.screenshot({ path: `${wb.outputDir}/sidebar-hover.png` });
      timer.lap('hover');
    }));

  it('describes the job from the context menu in a read-only YAML editor with its events', () =>
    wb.guard('describe', async () => {
      const menu = await wb.treeItemMenu(W, JOB);
      assert.ok(menu.includes('Describe'), JSON.stringify(menu));
      assert.ok(menu.includes('Delete…'), JSON.stringify(menu));
      await wb.page.keyboard.press('Escape');
      await wb.chooseRowCommand(W, JOB, 'Describe', {
        fallback: wb.notificationWith('right-click the row again'),
        done: wb.page.locator('.tabs-container .tab', { hasText: `${JOB}.yaml` }),
      });
      const text = await wb.waitForEditorText(/kind: PyTorchJob/);
      assert.match(text, new RegExp(`# PyTorchJob ${ns}/${JOB} in context .* \\(read-only\\)`));
      assert.match(text, new RegExp(`name: ${JOB}`));
      const tab = wb.page.locator('.tabs-container .tab.active');
      assert.match(await tab.innerText(), new RegExp(`${JOB}\\.yaml`));
      // The events section is at the end of the document.
      await wb.activeEditor().click();
      await wb.page.keyboard.press('Control+End');
      const end = await wb.waitForEditorText(/# Events \(newest last\):/);
      assert.match(end, new RegExp(`SuccessfulCreatePod +Created pod: ${JOB}-worker-1`));
      // Read-only: typing changes nothing.
      await wb.page.keyboard.type('zzz');
      assert.doesNotMatch(await wb.activeEditorText(), /zzz/);
      await wb.screenshot('sidebar-describe');
      timer.lap('describe');
    }));

  it('shows the H100 pool with totals and its nodes in the GPUs view', () =>
    wb.guard('gpus', async () => {
      await wb.expandView(G);
      await wb.waitForTreeItem(G, 'NVIDIA H100 80GB HBM3');
      const items = await wb.treeItems(G);
      const h100 = items.find((i) => i.label === 'NVIDIA H100 80GB HBM3')!;
      const m = /^(\d+)\/16 free · (\d+) allocated · 2 nodes$/.exec(h100.description);
      assert.ok(m, h100.description);
      assert.equal(Number(m[1]) + Number(m[2]), 16);
      assert.ok(Number(m[2]) >= 6, h100.description);
      const labels = items.map((i) => i.label);
      for (const n of ['h100-node-0', 'h100-node-1']) assert.ok(labels.includes(n), JSON.stringify(labels));
      assert.ok(
        items.some((i) => /A100/.test(i.label)) && items.some((i) => /MI300X/.test(i.label)),
        JSON.stringify(labels),
      );
      await wb.screenshot('sidebar-gpus');
      timer.lap('gpus');
    }));

  it('groups by namespace and back by kind', () =>
    wb.guard('grouping', async () => {
      await wb.runCommand('Gantry: Group by Namespace');
      await wb.waitForTreeItem(W, ns);
      const items = await waitFor('the namespace group at the top', async () => {
        const it = await wb.treeItems(W);
        return it[0]?.label === ns ? it : undefined;
      });
      assert.deepEqual(
        items.filter((i) => i.level === 1).map((i) => [i.label, i.description]),
        [[ns, '2']],
      );
      // Groups start expanded.
      const job = await waitFor('the job under its namespace', async () =>
        (await wb.treeItems(W)).find((i) => i.label === JOB),
      );
      assert.match(job.description, /^PyTorchJob · Running/);
      await wb.screenshot('sidebar-by-namespace');
      await wb.runCommand('Gantry: Group by Kind');
      await wb.waitForTreeItem(W, 'PyTorchJob');
      timer.lap('grouping');
    }));

  it('follows the cluster without a refresh: a new Job appears and completes', () =>
    wb.guard('live', async () => {
      await apply(cluster, batchJob(ns, 'quick', '6s'));
      await wb.waitForTreeItem(W, 'quick', 30_000);
      // What the job controller really wrote: Complete=True, with reason CompletionsReached since 1.31 (none
      // on 1.30). The tree then shows that reason, and 0 of 1 pods ready (the pod has Succeeded); until the
      // pod's own update arrives it may briefly show 1/1, so wait for the settled row, then assert it exactly.
      const complete = await waitFor(
        'the Job to complete in the cluster',
        async () => {
          const r = await cluster.kubectl(['get', 'job', 'quick', '-n', ns, '-o', 'json']);
          const job = JSON.parse(r.stdout || '{}') as {
            status?: { conditions?: { type: string; status: string; reason?: string }[] };
          };
          return job.status?.conditions?.find((c) => c.type === 'Complete' && c.status === 'True');
        },
        60_000,
      );
      const status = complete.reason ? `Succeeded: ${complete.reason}` : 'Succeeded';
      const done = await waitFor(
        `the Job to show "${status} · 0/1" in the tree`,
        async () => {
          const q = (await wb.treeItems(W)).find((i) => i.label === 'quick');
          return q?.description.startsWith(`${status} · 0/1 · `) ? q : undefined;
        },
        30_000,
      );
      assert.match(done.description, new RegExp(`^${status} · 0/1 · (\\d+s|\\dm(\\d+s)?)$`));
      // v1.36.3 -> 36: the reason is the one this Kubernetes version writes, not any reason at all.
      const minor = Number(/^v1\.(\d+)\./.exec(cluster.version)?.[1]);
      assert.equal(complete.reason ?? '', minor >= 31 ? 'CompletionsReached' : '', cluster.version);
      timer.lap('live update');
    }));

  it('deletes the job from the context menu after the modal confirmation', () =>
    wb.guard('delete', async () => {
      const dialog = wb.page.locator('.monaco-dialog-box');
      await wb.chooseRowCommand(W, JOB, 'Delete…', {
        fallback: wb.notificationWith('right-click the row again'),
        done: dialog,
      });
      assert.match(await dialog.innerText(), new RegExp(`Delete PyTorchJob ${ns}/${JOB} in context`));
      await wb.screenshot('sidebar-delete-confirm');
      await dialog.locator('.monaco-button', { hasText: /^Delete$/ }).click();
      await waitFor(
        'the job to leave the tree',
        async () => !(await wb.treeItems(W)).some((i) => i.label === JOB),
        60_000,
      );
      const r = await cluster.kubectl([
        'get',
        'pytorchjob',
        '-n',
        ns,
        JOB,
        '--ignore-not-found',
        '-o',
        'name',
      ]);
      assert.equal(r.stdout.trim(), '');
      timer.lap('delete');
    }));

  it('says the connection is lost while the apiserver is down, and recovers by itself', () =>
    wb.guard('apiserver', async () => {
      await cluster.stopApiserver();
      try {
        const text = await wb.waitForViewText(W, /Connection to .* lost .*reconnecting/i, 60_000);
        assert.ok(text.includes(context), text);
        await waitFor('the status bar warning', async () =>
          /warning-kind/.test((await statusItem().getAttribute('class')) ?? ''),
        );
        // The last known tree stays visible.
        assert.ok((await wb.treeItems(W)).some((i) => i.label === BATCH));
        await wb.screenshot('sidebar-apiserver-down');
        timer.lap('apiserver down noticed');
      } finally {
        await cluster.startApiserver();
      }
      await waitFor(
        'the views to recover',
        async () => !/lost|reconnecting/i.test(await wb.viewText(W)),
        120_000,
      );
      // Live again: a change made after the restart shows up.
      await apply(cluster, batchJob(ns, 'after-restart', '900s'));
      await wb.waitForTreeItem(W, 'after-restart', 60_000);
      await wb.screenshot('sidebar-recovered');
      timer.lap('recovered');
    }));

  it('moves the ages of quiet rows without a change in the cluster', () =>
    wb.guard('ages', async () => {
      const age = async () => (await wb.treeItems(W)).find((i) => i.label === BATCH)?.description;
      const first = await age();
      assert.match(first ?? '', /^Running · 1\/1 · \d/);
      // The view rebuilds its rows every 30 s while visible.
      await waitFor('the age of the batch Job to move', async () => (await age()) !== first, 45_000);
      timer.lap('ages');
    }));

  it('logged no extension error', () => {
    assert.deepEqual(gantryErrors(wb), []);
  });
});
