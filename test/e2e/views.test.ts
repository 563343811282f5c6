// The packaged extension in real VS Code: it installs, activates without error, and its activity-bar container
// shows the three views with the welcome text a newcomer without a kubeconfig sees.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { extensionId, launch, repoRoot, type Workbench } from './harness';

interface ViewContribution {
  id: string;
  name: string;
}
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  version: string;
  contributes: {
    views: Record<string, ViewContribution[]>;
    viewsWelcome: { view: string; contents: string; when?: string }[];
  };
};
const views = pkg.contributes.views.gantry;
const title = (id: string) => {
  const v = views.find((x) => x.id === id);
  assert.ok(v, `package.json contributes no view ${id}`);
  return v.name;
};
/** First sentence of a view's welcome content for a `when` clause (as the view renders it, without links). */
const welcome = (id: string, when: RegExp) => {
  const w = pkg.contributes.viewsWelcome.find((x) => x.view === id && when.test(x.when ?? ''));
  assert.ok(w, `package.json has no welcome content for ${id} matching ${when}`);
  return w.contents.split('\n')[0];
};

describe('Gantry in code-server without a kubeconfig', () => {
  let wb: Workbench;
  // An empty dir: KUBECONFIG names a file in it that does not exist, HOME has no ~/.kube/config.
  const empty = mkdtempSync(join(tmpdir(), 'gantry-e2e-nokube-'));
  const kubeconfig = join(empty, 'config');

  before(async () => {
    wb = await launch({
      name: 'views',
      env: { KUBECONFIG: kubeconfig },
      files: { 'train.yaml': 'apiVersion: kubeflow.org/v1\nkind: PyTorchJob\nmetadata:\n  name: resnet\n' },
    });
  });
  after(async () => {
    await wb?.close();
  });

  it('installs the .vsix', () => {
    assert.match(wb.installOutput, /was successfully installed/);
    assert.match(
      wb.cli('--list-extensions', '--show-versions'),
      new RegExp(`^${extensionId}@${pkg.version}$`, 'm'),
    );
  });

  it('opens the Gantry container from the activity bar and activates the extension without error', () =>
    wb.guard('activate', async () => {
      await wb.openGantry();
      const activation = await wb.waitForLog(
        () => wb.extHostLog(),
        new RegExp(`_doActivateExtension ${extensionId.replace('.', '\\.')}\\b.*`),
      );
      console.log(activation[0]);
      // The output channel is created in activate(); it logs what it looked for.
      await wb.waitForLog(() => wb.gantryLog(), /no kubeconfig found/i);
      assert.ok(
        wb.gantryLog().includes(kubeconfig),
        'Gantry did not see the KUBECONFIG passed to code-server',
      );
      assert.deepEqual(wb.extHostErrors(), [], 'extension host errors about Gantry');
      assert.deepEqual(wb.extHostErrors('gantry'), []);
      assert.doesNotMatch(wb.gantryLog(), /\[error\]/);
      assert.deepEqual(
        (await wb.notifications()).filter((n) => /gantry/i.test(n)),
        [],
      );
    }));

  it('shows the three views with their welcome text', () =>
    wb.guard('views', async () => {
      await wb.openGantry();
      const headers = await wb.page.locator('.part.sidebar .pane-header h3.title').allInnerTexts();
      assert.deepEqual(
        headers.map((h) => h.toLowerCase()),
        views.map((v) => v.name.toLowerCase()),
      );

      const workloads = await wb.waitForViewText(title('gantry.workloads'), 'No kubeconfig found');
      assert.match(workloads, /No kubeconfig found\. Gantry reads the files in \$KUBECONFIG/);
      assert.ok(
        await wb.view(title('gantry.workloads')).getByRole('button', { name: 'Open Settings' }).isVisible(),
        'the workloads welcome has no Open Settings button',
      );
      const gpus = await wb.waitForViewText(title('gantry.gpus'), 'No kubeconfig found');
      assert.ok(gpus.includes(welcome('gantry.gpus', /missing/)), gpus);
      const sessions = await wb.waitForViewText(title('gantry.sessions'), welcome('gantry.sessions', /^$/));
      assert.match(sessions, /port forward/i);

      const shot = await wb.screenshot('gantry-views-no-kubeconfig');
      console.log(`screenshot: ${shot}`);
    }));

  it('runs Gantry: Show Log from the command palette and shows the Gantry output', () =>
    wb.guard('show-log', async () => {
      await wb.runCommand('Gantry: Show Log');
      const output = await wb.waitForOutput(/no kubeconfig found/i);
      assert.ok(output.includes(kubeconfig), output);
    }));

  it('opens a workspace file in an editor', () =>
    wb.guard('open-file', async () => {
      await wb.openFile('train.yaml');
      const text = await wb.waitForEditorText(/kind: PyTorchJob/);
      assert.match(text, /^apiVersion: kubeflow\.org\/v1\nkind: PyTorchJob\n/);
    }));
});
