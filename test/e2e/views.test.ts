// The packaged extension in real VS Code: it installs, activates without error, and its activity-bar container
// shows the three views with the welcome text a newcomer without a kubeconfig sees.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
/** First line of a view's welcome content (the paragraph the view renders first). */
const welcome = (id: string, when: (clause: string) => boolean) => {
  const w = pkg.contributes.viewsWelcome.find((x) => x.view === id && when(x.when ?? ''));
  assert.ok(w, `package.json has no welcome content for ${id}`);
  return w.contents.split('\n')[0];
};

// A kubeconfig in HOME that Gantry must NOT use: KUBECONFIG names a missing file, and kubectl's rule is that a
// set KUBECONFIG replaces ~/.kube/config. So "No kubeconfig found" also proves KUBECONFIG reached the extension
// host through the harness.
const homeKubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: decoy
  cluster: { server: 'https://127.0.0.1:1' }
users:
- name: decoy
  user: { token: decoy }
contexts:
- name: decoy
  context: { cluster: decoy, user: decoy }
current-context: decoy
`;

describe('Gantry in code-server without a kubeconfig', () => {
  let wb: Workbench;
  const empty = mkdtempSync(join(tmpdir(), 'gantry-e2e-nokube-'));

  before(async () => {
    wb = await launch({
      name: 'views',
      env: { KUBECONFIG: join(empty, 'config') },
      homeFiles: { '.kube/config': homeKubeconfig },
      files: { 'train.yaml': 'apiVersion: kubeflow.org/v1\nkind: PyTorchJob\nmetadata:\n  name: resnet\n' },
    });
  });
  after(async () => {
    await wb?.close();
    rmSync(empty, { recursive: true, force: true });
  });

  it('installs the .vsix', () => {
    assert.match(wb.installOutput, /was successfully installed/);
    assert.match(
      wb.cli('--list-extensions', '--show-versions'),
      new RegExp(`^${extensionId}@${pkg.version}$`, 'm'),
    );
  });

  it('activates without error when its container is opened from the activity bar', () =>
    wb.guard('activate', async () => {
      await wb.openGantry();
      const activation = await wb.waitForLog(
        () => wb.extHostLog(),
        new RegExp(`_doActivateExtension ${extensionId.replace('.', '\\.')}\\b.*`),
      );
      console.log(activation[0]);
      // The welcome text depends on the context key activate() sets, so activation has run by now.
      await wb.waitForViewText(title('gantry.workloads'), 'No kubeconfig found');
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
      assert.ok(gpus.includes(welcome('gantry.gpus', (w) => w.includes('missing'))), gpus);
      const sessions = await wb.waitForViewText(
        title('gantry.sessions'),
        welcome('gantry.sessions', () => true),
      );
      assert.match(sessions, /port forward/i);

      const shot = await wb.screenshot('gantry-views-no-kubeconfig');
      console.log(`screenshot: ${shot}`);
    }));

  it('runs Gantry: Show Log from the command palette and shows the Gantry output channel', () =>
    wb.guard('show-log', async () => {
      await wb.runCommand('Gantry: Show Log');
      await wb.waitForOutputChannel('Gantry');
      assert.equal(await wb.outputChannel(), 'Gantry');
    }));

  it('opens a workspace file in an editor', () =>
    wb.guard('open-file', async () => {
      await wb.openFile('train.yaml');
      const text = await wb.waitForEditorText(/kind: PyTorchJob/);
      assert.match(text, /^apiVersion: kubeflow\.org\/v1\nkind: PyTorchJob\n/);
    }));
});
