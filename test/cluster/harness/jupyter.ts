// A real Jupyter server behind a notebook pod: JupyterLab from the cached venv (scripts/e2e/jupyter.sh), serving
// under the Kubeflow base URL /notebook/<ns>/<name>/ on a loopback port that forwardPodPort maps the pod's
// 8888 to. Its config, data and runtime folders are private to this run, so nothing of the user's leaks in.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './paths';

export interface JupyterServer {
  /** Loopback port it listens on. */
  readonly port: number;
  /** `/notebook/<ns>/<name>/` */
  readonly baseUrl: string;
  readonly token: string;
  /** Everything it printed (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** The venv holding JupyterLab; installs it on first use (idempotent, cached under ~/.cache/gantry/jupyter). */
export function jupyterVenv(): string {
  const out = execFileSync('bash', [join(repoRoot, 'scripts/e2e/jupyter.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = out.trim().split('\n');
  return lines[lines.length - 1];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function status(url: string): Promise<number> {
  return new Promise((resolve) => {
    http
      .get(url, { agent: false, timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', () => resolve(0))
      .on('timeout', function (this: http.ClientRequest) {
        this.destroy();
      });
  });
}

/** Starts `jupyter lab` under `/notebook/<namespace>/<name>/` and resolves once its /api answers. */
export async function startJupyter(opts: {
  namespace: string;
  name: string;
  token?: string;
  timeoutMs?: number;
}): Promise<JupyterServer> {
  const venv = jupyterVenv();
  const port = await freePort();
  const baseUrl = `/notebook/${opts.namespace}/${opts.name}/`;
  const token = opts.token ?? '';
  const home = mkdtempSync(join(tmpdir(), 'gantry-jupyter-'));
  let out = '';
  const child: ChildProcess = spawn(
    join(venv, 'bin/jupyter'),
    [
      'lab',
      `--ServerApp.base_url=${baseUrl}`,
      '--ip=127.0.0.1',
      `--port=${port}`,
      '--port-retries=0',
      '--no-browser',
      `--ServerApp.token=${token}`,
      '--ServerApp.password=',
      `--ServerApp.root_dir=${home}`,
      '--ServerApp.allow_origin=*',
      // As Kubeflow's image runs it: reached under the Host of whatever proxies it (code-server's
      // <port>.localhost), not only localhost; loopback-bound Jupyter refuses other Hosts with 403 otherwise.
      '--ServerApp.allow_remote_access=True',
      // CI and these machines run as root; Jupyter refuses that unless told.
      ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
    ],
    {
      cwd: home,
      env: {
        ...process.env,
        HOME: home,
        JUPYTER_CONFIG_DIR: join(home, 'config'),
        JUPYTER_DATA_DIR: join(home, 'data'),
        JUPYTER_RUNTIME_DIR: join(home, 'runtime'),
        IPYTHONDIR: join(home, 'ipython'),
        JUPYTER_PLATFORM_DIRS: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const take = (c: Buffer) => {
    out += c.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    rmSync(home, { recursive: true, force: true });
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const api = `http://127.0.0.1:${port}${baseUrl}api`;
  while ((await status(api)) !== 200) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`jupyter lab did not answer ${api}:\n${out.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { port, baseUrl, token, output: () => out, stop };
}
