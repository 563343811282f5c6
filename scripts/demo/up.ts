// The running half of `npm run demo` (scripts/demo/demo.mjs installs and builds first): a local cluster with
// the GPU node pool, the real ML operators and the demo logs, the scene (demo/scene + JupyterLab behind the notebook),
// a copy of demo/workspace, and code-server with the .vsix installed and KUBECONFIG pointing at the cluster.
// Prints the URL and waits; SIGINT/SIGTERM stops everything it started. Every process it starts is recorded
// in the cluster's state file, so the harness's reaper stops them too if this process is killed outright.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type ClusterState,
  startClusterState,
  stateFile,
  stopClusterState,
  writeState,
} from '../../test/cluster/harness/cluster';
import { requireBinaries } from '../../test/cluster/harness/paths';
import { freePort, isAlive, stopPid } from '../../test/cluster/harness/procs';
import { parseOperators } from '../../test/cluster/harness/operators';
import { codeServerEntry } from '../../test/e2e/harness';
import {
  applyScene,
  findJupyterVenv,
  forwardNotebook,
  notebookPrefix,
  startJupyter,
  type Jupyter,
} from './scene';

const repoRoot = join(import.meta.dirname, '..', '..');
const t0 = Number(process.env.GANTRY_DEMO_T0) || Date.now();
const secs = (from = t0): string => `${((Date.now() - from) / 1000).toFixed(1)} s`;
const say = (m: string): void => console.error(`[demo] ${m}`);

interface Options {
  port?: number;
  host: string;
  headless: boolean;
  vsix: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { host: '127.0.0.1', headless: false, vsix: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!v) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--headless') o.headless = true;
    else if (a.startsWith('--port')) o.port = Number(val());
    else if (a.startsWith('--host')) o.host = val();
    else if (a.startsWith('--vsix')) o.vsix = val();
    else throw new Error(`unknown option ${a} (see npm run demo -- --help)`);
  }
  if (o.port !== undefined && !(Number.isInteger(o.port) && o.port > 0 && o.port < 65536))
    throw new Error('--port needs a port number');
  if (!o.vsix) throw new Error('--vsix is missing (start the demo with npm run demo)');
  return o;
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

const loopback = (h: string): boolean => h === '127.0.0.1' || h === 'localhost' || h === '::1';

// Quiet workbench (as the e2e harness), but opening the workspace's README: the demo's guide.
const settings = {
  'workbench.startupEditor': 'readme',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'workbench.colorTheme': 'Default Dark Modern',
  // Log panels are terminals: the DOM renderer works in any browser (no WebGL needed) and keeps the lines in the
  // page, where the demo's end-to-end walk reads them.
  'terminal.integrated.gpuAcceleration': 'off',
};

class Demo {
  state: ClusterState | undefined;
  codeServer: ChildProcess | undefined;
  jupyter: Jupyter | undefined;
  private stopping: Promise<void> | undefined;

  async record(name: string, pid: number, bin: string, logFile: string): Promise<void> {
    if (!this.state) return;
    this.state.components[name] = { pid, bin, logFile };
    await writeState(this.state);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const t = Date.now();
      say('stopping…');
      await stopGroup(this.codeServer?.pid);
      await stopGroup(this.jupyter?.pid);
      if (this.state) await stopClusterState(this.state);
      say(`stopped everything in ${secs(t)}`);
    })();
    return this.stopping;
  }
}

/** SIGTERM to a process group we started (detached), SIGKILL after 5 s; then the group once more. */
async function stopGroup(pid: number | undefined): Promise<void> {
  if (!pid) return;
  const kill = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      // gone
    }
  };
  kill('SIGTERM');
  await stopPid(pid, 5000);
  kill('SIGKILL');
}

const demo = new Demo();

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  let signalled = false;
  const onSignal = (): void => {
    if (signalled) return;
    signalled = true;
    void demo.stop().finally(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // The port first: a taken --port should fail before a minute of cluster start.
  let port = opts.port;
  if (port !== undefined) {
    if (!(await portFree(opts.host, port)))
      throw new Error(`port ${port} on ${opts.host} is in use; choose another with --port`);
  } else {
    port = (await portFree(opts.host, 8080)) ? 8080 : await freePort();
  }
  const entry = codeServerEntry();
  const bins = requireBinaries();

  const tCluster = Date.now();
  say(
    'starting the local cluster (kube-apiserver, etcd, controllers, kwok GPU nodes, ML CRDs, the ML operators, simulator)',
  );
  demo.state = await startClusterState({
    nodes: true,
    crds: true,
    // The operators play their own kinds; the simulator only what cannot run here (KServe, the Notebook
    // controller) and writes the demo's training and serving logs.
    operators: parseOperators('all'),
    simulator: true,
    demoLogs: true,
    reapWithOwner: true,
    log: (m) => say(`  ${m}`),
  });
  const state = demo.state;
  if (signalled) return;
  const tClusterDone = secs(tCluster);

  const tScene = Date.now();
  say('setting up the scene (demo/scene)');
  await applyScene(state);
  const runDir = state.runDir;
  const logs = join(runDir, 'logs');

  let notebook: Promise<string> = Promise.resolve('');
  const venv = findJupyterVenv();
  if (venv) {
    const log = join(logs, 'jupyterlab.log');
    demo.jupyter = await startJupyter(venv, runDir, log);
    await demo.record('jupyterlab', demo.jupyter.pid, join(venv, 'bin', 'jupyter-lab'), log);
    const target = demo.jupyter.port;
    notebook = forwardNotebook(state, stateFile(state), target).then(
      () => `JupyterLab ${venv} on 127.0.0.1:${target}${notebookPrefix}`,
      (e: unknown) => `not forwarded: ${(e as Error).message}`,
    );
  } else {
    notebook = Promise.resolve(
      'no JupyterLab venv in ~/.cache/gantry/jupyter/<version>/venv: Open Notebook reaches a pod that refuses the port',
    );
  }

  // The workspace: a fresh copy, so quick fixes and edits never touch the repository.
  const workspace = join(runDir, 'workspace');
  cpSync(join(repoRoot, 'demo', 'workspace'), workspace, { recursive: true });
  const csDir = join(runDir, 'code-server');
  const userData = join(csDir, 'user-data');
  const extensions = join(csDir, 'extensions');
  mkdirSync(join(userData, 'User'), { recursive: true });
  mkdirSync(extensions, { recursive: true });
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  const auth = loopback(opts.host) ? 'none' : 'password';
  const password = auth === 'password' ? randomBytes(12).toString('base64url') : '';
  const config = join(csDir, 'config.yaml');
  writeFileSync(config, `auth: ${auth}\ncert: false\n`, { mode: 0o600 });
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('VSCODE_')) delete env[k];
  Object.assign(env, {
    KUBECONFIG: state.kubeconfigPath,
    // kubectl of the cluster's version in the integrated terminal.
    PATH: `${dirname(bins.bins.kubectl)}:${env.PATH ?? ''}`,
    ...(password ? { PASSWORD: password } : {}),
  });
  delete env.GANTRY_DEMO_T0;

  say(`installing ${opts.vsix} into code-server`);
  const inst = spawnSync(
    process.execPath,
    [entry, '--extensions-dir', extensions, '--user-data-dir', userData, '--install-extension', opts.vsix],
    { env, encoding: 'utf8', timeout: 180_000 },
  );
  if (inst.status !== 0)
    throw new Error(`code-server --install-extension failed:\n${inst.stdout}${inst.stderr}`);
  const sceneDone = secs(tScene);

  const csLog = join(logs, 'code-server.log');
  const fd = openSync(csLog, 'a');
  const cs = spawn(
    process.execPath,
    [
      entry,
      '--config',
      config,
      '--auth',
      auth,
      '--bind-addr',
      `${opts.host}:${port}`,
      // Forwarded ports on a host of their own (http://<port>.localhost:<port>/, which browsers resolve to
      // loopback), so Open Notebook's JupyterLab gets its absolute /notebook/<ns>/<name>/ paths; code-server's
      // default /proxy/<port>/ strips that prefix. Another --host would need wildcard DNS: Gantry then says so.
      ...(loopback(opts.host) ? ['--proxy-domain', `localhost:${port}`] : []),
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--user-data-dir',
      userData,
      '--extensions-dir',
      extensions,
      workspace,
    ],
    { env, cwd: workspace, detached: true, stdio: ['ignore', fd, fd] },
  );
  closeSync(fd);
  demo.codeServer = cs;
  if (!cs.pid) throw new Error('could not start code-server');
  await demo.record('code-server', cs.pid, entry, csLog);
  const { readFileSync } = await import('node:fs');
  const deadline = Date.now() + 90_000;
  while (!/HTTP server listening on/.test(existsSync(csLog) ? readFileSync(csLog, 'utf8') : '')) {
    if (!isAlive(cs.pid)) throw new Error(`code-server exited at start-up:\n${readFileSync(csLog, 'utf8')}`);
    if (Date.now() > deadline) throw new Error(`code-server did not listen within 90 s (log: ${csLog})`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const nb = await notebook;

  // localhost, not 127.0.0.1: VS Code web treats localhost as a secure context (webviews, clipboard).
  const hostForUrl = loopback(opts.host)
    ? 'localhost'
    : opts.host === '0.0.0.0' || opts.host === '::'
      ? hostname()
      : opts.host;
  const url = `http://${hostForUrl}:${port}/?folder=${encodeURIComponent(workspace)}`;
  const info = {
    url,
    port,
    host: opts.host,
    kubeconfig: state.kubeconfigPath,
    state: stateFile(state),
    workspace,
    pid: process.pid,
  };
  writeFileSync(join(runDir, 'demo.json'), JSON.stringify(info, null, 2));
  console.log('');
  console.log('Gantry demo is ready');
  console.log(`  open:       ${url}`);
  if (password)
    console.log(`  password:   ${password}   (bound to ${opts.host}: anyone who can reach it needs this)`);
  console.log(`  kubectl:    export KUBECONFIG=${state.kubeconfigPath}`);
  console.log(`              export PATH=${dirname(bins.bins.kubectl)}:$PATH   # kubectl ${state.version}`);
  console.log(`  notebook:   ${nb}`);
  console.log(`  logs:       ${logs}`);
  console.log(`  demo state: ${join(runDir, 'demo.json')}`);
  console.log(
    `  started in ${secs()} (cluster ${tClusterDone}, scene + extension ${sceneDone}); Ctrl-C stops everything`,
  );
  console.log('');

  if (!opts.headless) {
    // Without a display xdg-open would fall back to a terminal browser in this very terminal.
    const display = !!(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
    const opener = ['/usr/bin/xdg-open', '/usr/local/bin/xdg-open'].find((p) => existsSync(p));
    if (opener && display) {
      const o = spawn(opener, [url], { stdio: 'ignore', detached: true });
      o.on('error', () => undefined);
      o.unref();
    } else {
      say(`${display ? 'no xdg-open here' : 'no display'}: open the URL above in a browser`);
    }
  }
  // Stay up until a signal (the handlers above stop everything and exit).
  setInterval(() => undefined, 1 << 30);
}

main().catch(async (e: unknown) => {
  console.error(`[demo] ${(e as Error).message}`);
  await demo.stop();
  process.exit(1);
});
