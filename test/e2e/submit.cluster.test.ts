// Gantry: Submit in real VS Code against the local cluster: right-click a PyTorchJob manifest in the explorer ->
// Submit -> it is revealed in the ML Workloads tree and reaches Running; a job asking for more GPUs per pod
// than any node has is stopped with the fit message; Diff with Cluster opens a diff editor.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { extensionId, launch, waitFor, type Workbench } from './harness';
import { attachCluster, ensureVsix, gantryErrors, noCluster, Timer } from './clusterScenario';
import type { TestCluster } from '../cluster/harness/index';

const W = 'ML Workloads';

const pytorchJob = (ns: string, name: string, workerResources: string) => `apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      restartPolicy: OnFailure
      template:
        metadata:
          annotations:
            sim.gantry.dev/duration: 900s
        spec:
          containers:
            - name: pytorch
              image: trainer:1.0
              resources:
                limits:
                  cpu: 100m
    Worker:
      replicas: 2
      restartPolicy: OnFailure
      template:
        metadata:
          annotations:
            sim.gantry.dev/duration: 900s
        spec:
          tolerations:
            - key: nvidia.com/gpu
              operator: Exists
              effect: NoSchedule
          containers:
            - name: pytorch
              image: trainer:1.0
              resources:
                limits:
${workerResources}`;

describe('submit against the local cluster', { skip: noCluster }, () => {
  let wb: Workbench;
  let cluster: TestCluster;
  let context: string;
  let ns: string;
  const timer = new Timer('submit');
  const statusItem = () => wb.page.locator(`[id="${extensionId}.gantry.context"]`);

  before(async () => {
    ensureVsix();
    timer.lap('package');
    ({ cluster, context } = await attachCluster());
    ns = await cluster.createNamespace('e2e-submit');
    wb = await launch({
      name: 'submit',
      env: { KUBECONFIG: cluster.kubeconfigPath },
      viewport: { width: 1400, height: 1100 },
      // Every submit in this run goes through the protected-context guard.
      settings: { 'gantry.protectedContexts': [context] },
      files: {
        'train.yaml': pytorchJob(ns, 'bert-submit', '                  cpu: 100m\n'),
        'too-big.yaml': pytorchJob(ns, 'too-big', '                  nvidia.com/gpu: 16\n'),
      },
    });
    timer.lap('launch');
    await wb.openGantry();
    await waitFor('the connected context in the status bar', async () => {
      const label = (await statusItem().getAttribute('aria-label')) ?? '';
      return label.includes(context) && label.startsWith('cloud');
    });
    timer.lap('connected');
  });

  after(async () => {
    console.log(timer.report());
    await wb?.close();
    await cluster?.kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  /** Right-clicks a file in the Explorer and chooses a context menu entry. */
  async function explorerMenu(file: string, entry: string): Promise<void> {
    await wb.page.locator('.monaco-workbench').focus();
    await wb.page.keyboard.press('Control+Shift+E');
    const row = wb.page
      .locator('.explorer-folders-view .monaco-list-row')
      .filter({
        has: wb.page.locator('.label-name', { hasText: new RegExp(`^${file.replace('.', '\\.')}$`) }),
      })
      .first();
    await row.waitFor({ timeout: 15_000 });
    await wb.contextMenu(row);
    await wb.chooseMenuItem(entry);
  }

  /** The protected-context guard: type the context name and press Enter. */
  async function confirmContext(): Promise<void> {
    const qp = wb.page.locator('.quick-input-widget');
    await qp
      .locator('.quick-input-title', { hasText: `Protected context ${context}` })
      .waitFor({ timeout: 30_000 });
    await qp.locator('.quick-input-box input').fill(context);
    await wb.page.keyboard.press('Enter');
    await qp.waitFor({ state: 'hidden' });
  }

  it('right-click a PyTorchJob manifest -> Submit (protected context: type its name): it appears in the tree and reaches Running', () =>
    wb.guard('submit', async () => {
      await explorerMenu('train.yaml', 'Submit');
      await confirmContext();
      await wb.waitForText(new RegExp(`^Gantry: submitted PyTorchJob ${ns}/bert-submit\\.$`), {
        timeout: 60_000,
      });
      timer.lap('submitted');
      const row = await waitFor(
        'the submitted job Running in the tree',
        async () => {
          const items = await wb.treeItems(W);
          const j = items.find((i) => i.label === 'bert-submit');
          return j && /^Running · 3\/3/.test(j.description) ? j : undefined;
        },
        90_000,
      );
      assert.match(row.description, /^Running · 3\/3/);
      // Revealed and selected by the submit.
      const selected = wb.treeItem(W, 'bert-submit');
      assert.equal(await selected.getAttribute('aria-selected'), 'true');
      const r = await cluster.kubectl([
        'get',
        'pytorchjob',
        '-n',
        ns,
        'bert-submit',
        '-o',
        'jsonpath={.metadata.managedFields[*].manager}',
      ]);
      assert.match(r.stdout, /\bgantry\b/);
      timer.lap('running');
      await wb.screenshot('submit-running');
    }));

  it('a job asking for more GPUs per pod than any node has is stopped with the fit message', () =>
    wb.guard('fit', async () => {
      await explorerMenu('too-big.yaml', 'Submit');
      await confirmContext();
      await wb.waitForText(
        /too-big can never be scheduled: a worker asks for 16 nvidia\.com\/gpu; the largest NVIDIA H100 80GB HBM3 node has 8/,
        { timeout: 60_000 },
      );
      const r = await cluster.kubectl([
        'get',
        'pytorchjob',
        '-n',
        ns,
        'too-big',
        '--ignore-not-found',
        '-o',
        'name',
      ]);
      assert.equal(r.stdout.trim(), '', 'nothing was applied');
      await wb.screenshot('submit-fit');
    }));

  it('Diff with Cluster opens the live object next to the dry-run result', () =>
    wb.guard('diff', async () => {
      await explorerMenu('train.yaml', 'Diff with Cluster');
      const tab = wb.page.locator('.tabs-container .tab.active', {
        hasText: 'cluster ↔ after Submit (dry run)',
      });
      await tab.waitFor({ timeout: 60_000 });
      await wb.page.locator('.editor-group-container.active .monaco-diff-editor').first().waitFor();
      await wb.screenshot('submit-diff');
      assert.deepEqual(gantryErrors(wb), []);
    }));
});
