// The demo's scene on a freshly started local cluster: the manifests of demo/scene/ (applied in file order), and
// the notebook pod's port 8888 routed by kwok to a real JupyterLab on loopback. The real operators (training-operator,
// Trainer v2 on JobSet, KubeRay, Kueue) make the pods and write the statuses; the workload simulator plays only the
// Notebook and InferenceService controllers and writes the pods' training/serving logs; kwok's stages end the pods
// after the `sim.gantry.dev/duration` on their pod templates.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type ClusterState, runKubectl } from '../../test/cluster/harness/cluster';
import { attachOwned } from '../../test/cluster/harness/index';
import { freePort, httpGet, isAlive, tail } from '../../test/cluster/harness/procs';
import { Rest } from '../../test/cluster/harness/rest';

export const sceneDir = join(import.meta.dirname, '..', '..', 'demo', 'scene');
export const NOTEBOOK = { namespace: 'llm-team', name: 'research-nb', port: 8888 };
/** Kubeflow's NB_PREFIX (notebook-controller): JupyterLab serves under it, as in the real image. */
export const notebookPrefix = `/notebook/${NOTEBOOK.namespace}/${NOTEBOOK.name}/`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function applyScene(state: ClusterState): Promise<void> {
  const files = readdirSync(sceneDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  for (const f of files) {
    // Kueue admits in creation order (seconds): the queued Job's file is applied in a later second.
    if (f.includes('queued')) await sleep(1100);
    const r = await runKubectl(state.kubectl, state.kubeconfigPath, ['apply', '-f', join(sceneDir, f)]);
    if (r.code !== 0) throw new Error(`kubectl apply -f demo/scene/${f} failed: ${r.stderr}`);
  }
}

/**
 * The JupyterLab virtual environment: $GANTRY_JUPYTER_VENV (what scripts/e2e/jupyter.sh printed), else the
 * newest ~/.cache/gantry/jupyter/<version>/venv that has `jupyter` (the same cache layout).
 */
export function findJupyterVenv(): string | undefined {
  const given = process.env.GANTRY_JUPYTER_VENV;
  if (given && existsSync(join(given, 'bin', 'jupyter-lab'))) return given;
  const base = join(process.env.GANTRY_CACHE ?? join(homedir(), '.cache', 'gantry'), 'jupyter');
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'venv', 'bin', 'jupyter-lab')))
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const v = versions.pop();
  return v ? join(base, v, 'venv') : undefined;
}

export interface Jupyter {
  port: number;
  pid: number;
  child: ChildProcess;
}

/** JupyterLab on 127.0.0.1, no token (only this machine reaches it), under the notebook's NB_PREFIX. */
export async function startJupyter(venv: string, runDir: string, logFile: string): Promise<Jupyter> {
  const port = await freePort();
  const root = join(runDir, 'notebook-home');
  await mkdir(root, { recursive: true });
  const { openSync, closeSync } = await import('node:fs');
  const fd = openSync(logFile, 'a');
  const child = spawn(
    join(venv, 'bin', 'jupyter-lab'),
    [
      '--no-browser',
      '--ip=127.0.0.1',
      `--port=${port}`,
      '--port-retries=0',
      `--ServerApp.base_url=${notebookPrefix}`,
      `--ServerApp.root_dir=${root}`,
      "--IdentityProvider.token=''",
      "--ServerApp.password=''",
      '--ServerApp.disable_check_xsrf=True',
      '--ServerApp.allow_remote_access=True',
      // Containers run it as root too; it refuses without this.
      ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
    ],
    {
      stdio: ['ignore', fd, fd],
      detached: true,
      env: {
        ...process.env,
        JUPYTER_CONFIG_DIR: join(runDir, 'jupyter', 'config'),
        JUPYTER_DATA_DIR: join(runDir, 'jupyter', 'data'),
        JUPYTER_RUNTIME_DIR: join(runDir, 'jupyter', 'runtime'),
        IPYTHONDIR: join(runDir, 'jupyter', 'ipython'),
      },
    },
  );
  closeSync(fd);
  if (!child.pid) throw new Error('could not start JupyterLab');
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (!isAlive(child.pid)) throw new Error(`JupyterLab exited at start-up:\n${await tail(logFile, 10)}`);
    try {
      const r = await httpGet(`http://127.0.0.1:${port}${notebookPrefix}api/status`);
      if (r.status === 200) return { port, pid: child.pid, child };
    } catch {
      // not listening yet
    }
    await sleep(300);
  }
  throw new Error(`JupyterLab did not answer within 90 s (log: ${logFile})`);
}

/** Routes the notebook pod's port 8888 (apiserver pods/portforward -> kwok) to the local JupyterLab. */
export async function forwardNotebook(state: ClusterState, stateFile: string, target: number): Promise<void> {
  const rest = await Rest.fromKubeconfig(state.kubeconfigPath);
  const pod = `${NOTEBOOK.name}-0`;
  try {
    const deadline = Date.now() + 180_000;
    for (;;) {
      const p = await rest.find<{ status?: { phase?: string } }>(
        `/api/v1/namespaces/${NOTEBOOK.namespace}/pods/${pod}`,
      );
      if (p?.status?.phase === 'Running') break;
      if (Date.now() > deadline) throw new Error(`pod ${NOTEBOOK.namespace}/${pod} not Running after 180 s`);
      await sleep(1000);
    }
  } finally {
    rest.close();
  }
  // The handle is not disposed: the forward lives as long as the pod (kwok's PortForward object is owned by it).
  await attachOwned(stateFile).forwardPodPort(NOTEBOOK.namespace, pod, NOTEBOOK.port, target);
}
