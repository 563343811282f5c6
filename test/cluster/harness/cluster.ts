// Starts and stops a local control plane: etcd, kube-apiserver (RBAC, loopback only), kube-controller-manager,
// kube-scheduler and kwok (simulated nodes and pods, kubelet API for logs and port-forward), optionally the
// GPU node fixtures, the ML CRDs and the workload simulator. The whole cluster is described by a JSON state
// file so that any process (each node:test file, cluster:down) can attach to it.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kubeconfigYaml, generatePki, type Pki } from './pki';
import {
  operatorPlurals,
  operatorWebhookNames,
  startOperators,
  type OperatorName,
  type OperatorState,
} from './operators';
import {
  fixturesDir,
  kwokOperatorStagesFile,
  kwokStagesFile,
  repoRoot,
  requireBinaries,
  sharedCrdsDir,
} from './paths';
import {
  freePort,
  httpGet,
  isOurProcess,
  startDetached,
  stopPid,
  tail,
  waitReady,
  type ComponentSpec,
} from './procs';
import { withoutRejectedRules, type CrdAdjustment, type CrdDoc } from './crdRules';
import { kubectlInput } from './stream';

export interface ComponentState {
  pid: number;
  bin: string;
  logFile: string;
}

export interface ClusterState {
  version: string;
  server: string;
  kubeconfigPath: string;
  runDir: string;
  kubectl: string;
  podLogsDir: string;
  ports: Record<string, number>;
  components: Record<string, ComponentState>;
  /** kube-apiserver's command line, to restart it on the same port (stopApiserver/startApiserver). */
  apiserver: { bin: string; args: string[]; logFile: string; cwd: string };
  /**
   * kwok's command line, to start it again after an apiserver restart (startKwokProcess): its informers for
   * PortForward and Logs objects back off for up to a minute after the apiserver has been away, and objects
   * created meanwhile are not served ("no forward found").
   */
  kwok?: { bin: string; args: string[]; logFile: string; cwd: string; env: Record<string, string> };
  /** The apiserver was restarted since kwok started: the next forwardPodPort starts kwok again. */
  kwokStale?: boolean;
  pki: Pki;
  startedAt: string;
  timings: Record<string, number>;
  /** CRDs this server rejected as shipped, applied without the listed CEL rules (see installCrds). */
  crdAdjustments?: CrdAdjustment[];
  /** Real operators running as host processes (harness/operators.ts); their processes are in `components`. */
  operators?: Record<string, OperatorState>;
}

export interface StartOptions {
  version?: string;
  /** Stop the cluster when this process exits without tearing it down (default: true; cluster:up passes false). */
  reapWithOwner?: boolean;
  nodes?: boolean;
  crds?: boolean;
  simulator?: boolean;
  /**
   * kwok's node lease (s). The test tier runs 10 s: after an apiserver restart a test may start kwok again
   * (forwardPodPort), and the new kwok plays no pod until the old leases expire. Default 40 s (cluster:up, the
   * demo: more room for a busy machine).
   */
  nodeLeaseSeconds?: number;
  /**
   * How often kwok rewrites a Ready node's status (s; kwok waits a random time up to a quarter longer). Default: 20-25 s
   * (stages.yaml). A kubelet reports an unchanged status every 5 min (nodeStatusReportFrequency); the sidebar
   * bench's 5,000-node scene sets that, or the heartbeats alone fill the apiserver of a 2-core machine.
   */
  nodeHeartbeatSeconds?: number;
  /** Demo only: the simulator writes plausible live logs for the pods it manages (cluster:up). */
  demoLogs?: boolean;
  /**
   * Serve kube-apiserver's /debug/pprof (`--profiling=true`; cluster:up `--profiling`): CPU profiles of the
   * apiserver while a bench runs (bench:logs `--apiserver-profile`). Off by default, like a hardened cluster.
   */
  profiling?: boolean;
  /** Real ML operators to run (built by scripts/cluster/operators.sh); the simulator leaves their kinds alone. */
  operators?: readonly OperatorName[];
  /** Print progress lines (cluster:up, the test runner). */
  log?: (msg: string) => void;
}

const STOP_ORDER = [
  'simulator',
  'kwok',
  'kube-scheduler',
  'kube-controller-manager',
  'kube-apiserver',
  'etcd',
];

export function runKubectl(
  kubectl: string,
  kubeconfig: string,
  args: string[],
  input?: string,
  timeoutMs = 120_000,
): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    const child = execFile(
      kubectl,
      // Discovery cache beside the kubeconfig, not in ~/.kube.
      ['--kubeconfig', kubeconfig, `--cache-dir=${join(dirname(kubeconfig), 'kubectl-cache')}`, ...args],
      { maxBuffer: 256 * 1024 * 1024, timeout: timeoutMs },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ stdout, stderr, code });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

async function mustKubectl(
  state: Pick<ClusterState, 'kubectl' | 'kubeconfigPath'>,
  args: string[],
  input?: string,
): Promise<string> {
  const r = await runKubectl(state.kubectl, state.kubeconfigPath, args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/**
 * The aggregation layer's flags: kube-apiserver proxies aggregated APIs (Kueue's visibility API) with this client
 * cert and X-Remote-* headers, and publishes the CA in kube-system/extension-apiserver-authentication for the
 * aggregated server's delegated authentication.
 */
function aggregatorArgs(pki: Pki): string[] {
  if (!pki.proxyCrt || !pki.proxyKey) return [];
  return [
    `--requestheader-client-ca-file=${pki.caCrt}`,
    '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${pki.proxyCrt}`,
    `--proxy-client-key-file=${pki.proxyKey}`,
  ];
}

function apiserverArgs(
  p: { etcd: number; apiserver: number },
  pki: Pki,
  aggregation: boolean,
  profiling: boolean,
): string[] {
  return [
    ...(aggregation ? aggregatorArgs(pki) : []),
    `--etcd-servers=http://127.0.0.1:${p.etcd}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${p.apiserver}`,
    '--advertise-address=127.0.0.1',
    `--tls-cert-file=${pki.serverCrt}`,
    `--tls-private-key-file=${pki.serverKey}`,
    `--client-ca-file=${pki.caCrt}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki.saPub}`,
    `--service-account-signing-key-file=${pki.saKey}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    '--authorization-mode=RBAC',
    '--endpoint-reconciler-type=none',
    '--allow-privileged=true',
    '--enable-priority-and-fairness=false',
    // kwok writes InternalIP 127.0.0.1 and Hostname=<node name>; only the IP is reachable.
    '--kubelet-preferred-address-types=InternalIP',
    `--profiling=${profiling}`,
    '--v=1',
  ];
}

function tlsOf(pki: Pki): { ca: Buffer; cert: Buffer; key: Buffer } {
  return { ca: readFileSync(pki.caCrt), cert: readFileSync(pki.adminCrt), key: readFileSync(pki.adminKey) };
}

export async function waitApiserverReady(
  state: ClusterState,
  pid: number,
  timeoutMs = 90_000,
): Promise<void> {
  const tls = tlsOf(state.pki);
  await waitReady(
    'kube-apiserver',
    pid,
    state.apiserver.logFile,
    async () => {
      const r = await httpGet(`${state.server}/readyz`, tls);
      return r.status === 200;
    },
    timeoutMs,
  );
}

export function startApiserverProcess(state: ClusterState): number {
  const spec: ComponentSpec = { name: 'kube-apiserver', ...state.apiserver };
  return startDetached(spec);
}

/** Starts kwok again with its first command line (see ClusterState.kwok) and waits for its health check. */
export async function startKwokProcess(state: ClusterState): Promise<number> {
  if (!state.kwok)
    throw new Error('this cluster state has no kwok command line (started by an older harness)');
  const pid = startDetached({ name: 'kwok', ...state.kwok });
  state.components.kwok = { pid, bin: state.kwok.bin, logFile: state.kwok.logFile };
  await waitReady('kwok', pid, state.kwok.logFile, () => kwokHealthy(state.ports.kwok));
  return pid;
}

const kwokHealthy = async (port: number): Promise<boolean> =>
  (await httpGet(`http://127.0.0.1:${port}/healthz`)).status === 200;

/** stages.yaml with the node-heartbeat stage's delay set to `seconds` (up to a quarter longer at random). */
/**
 * The controller-manager's flags that must follow kwok's node lease. Its node lifecycle controller counts a node
 * as gone when neither its lease nor its status was renewed within --node-monitor-grace-period (40-50 s), which
 * a kubelet's 40 s lease (renewed every 10 s) keeps. A longer lease (the sidebar bench's 5,000-node scene, renewed
 * every quarter of it) gets the same grace period as its length; without it the controller marked the nodes
 * NotReady and their pods not ready between renewals (thousands of pod updates a minute, kwok writing the nodes
 * back, conflicts), and that churn took most of the 2 cores the bench measures on.
 */
export function controllerManagerNodeArgs(nodeLeaseSeconds: number | undefined): string[] {
  return nodeLeaseSeconds !== undefined && nodeLeaseSeconds > 40
    ? [`--node-monitor-grace-period=${nodeLeaseSeconds}s`]
    : [];
}

export function withNodeHeartbeat(stages: string, seconds: number): string {
  const at = stages.indexOf('name: node-heartbeat\n');
  if (at < 0) throw new Error(`no node-heartbeat stage in ${kwokStagesFile}`);
  const end = stages.indexOf('\n---', at);
  const stage = stages.slice(at, end < 0 ? undefined : end);
  const ms = Math.round(seconds * 1000);
  const changed = stage
    .replace(/durationMilliseconds: \d+/, `durationMilliseconds: ${ms}`)
    .replace(/jitterDurationMilliseconds: \d+/, `jitterDurationMilliseconds: ${Math.round(ms * 1.25)}`);
  if (changed === stage) throw new Error(`the node-heartbeat stage in ${kwokStagesFile} has no delay to set`);
  return stages.slice(0, at) + changed + (end < 0 ? '' : stages.slice(end));
}

function kwokConfig(
  runDir: string,
  emptyLog: string,
  operators: boolean,
  heartbeatSeconds?: number,
): Promise<string> {
  return Promise.all([
    readFile(kwokStagesFile, 'utf8').then((s) =>
      heartbeatSeconds === undefined ? s : withNodeHeartbeat(s, heartbeatSeconds),
    ),
    operators ? readFile(kwokOperatorStagesFile, 'utf8') : '',
  ]).then(([stages, extra]) =>
    [
      '# Pods without their own Logs object (see appendLog) serve an empty log instead of an error.',
      'apiVersion: kwok.x-k8s.io/v1alpha1',
      'kind: ClusterLogs',
      'metadata:',
      '  name: gantry-default-empty',
      'spec:',
      '  selector: {}',
      '  logs:',
      `  - logsFile: ${JSON.stringify(emptyLog)}`,
      '    follow: true',
      '---',
      `# stages from ${kwokStagesFile} (run dir ${runDir})`,
      stages,
      ...(extra ? ['---', `# stages from ${kwokOperatorStagesFile}`, extra] : []),
    ].join('\n'),
  );
}

function kwokCrdFiles(kwokDir: string): string[] {
  const dir = join(kwokDir, 'crd');
  const want = ['kwok.x-k8s.io_logs.yaml', 'kwok.x-k8s.io_portforwards.yaml'];
  const files = want.map((f) => join(dir, f));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0)
    throw new Error(`kwok CRDs missing (${missing.join(', ')}); re-run npm run cluster:build`);
  return files;
}

export function listCrdFiles(): string[] {
  if (!existsSync(sharedCrdsDir)) {
    throw new Error(
      `ML CRDs not found at ${sharedCrdsDir} (expected shared/crds beside the repository; set GANTRY_SHARED_CRDS)`,
    );
  }
  const out: string[] = [];
  for (const d of readdirSync(sharedCrdsDir).sort()) {
    const p = join(sharedCrdsDir, d);
    if (
      !statSync(p).isDirectory() ||
      d === 'examples' ||
      d === 'LICENSES' ||
      d.startsWith('kubernetes-openapi')
    )
      continue;
    for (const f of readdirSync(p).sort()) if (f.endsWith('.yaml')) out.push(join(p, f));
  }
  return out;
}

async function createNodes(state: ClusterState): Promise<string[]> {
  const items: unknown[] = [];
  const names: string[] = [];
  for (const f of readdirSync(fixturesDir).sort()) {
    if (!f.endsWith('.yaml')) continue;
    for (const doc of parseAllDocuments(await readFile(join(fixturesDir, f), 'utf8'))) {
      const node = doc.toJS() as {
        metadata: { name: string };
        status?: { nodeInfo?: Record<string, string> };
      } | null;
      if (!node) continue;
      node.status ??= {};
      // kubectl validates these as required; a real kubelet fills them from the host.
      const id = createHash('sha256').update(node.metadata.name).digest('hex');
      node.status.nodeInfo = {
        machineID: id.slice(0, 32),
        systemUUID: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`,
        bootID: `${id.slice(32, 40)}-${id.slice(40, 44)}-${id.slice(44, 48)}-${id.slice(48, 52)}-${id.slice(52, 64)}`,
        kubeProxyVersion: '',
        ...node.status.nodeInfo,
        kubeletVersion: state.version,
      };
      items.push(node);
      names.push(node.metadata.name);
    }
  }
  await mustKubectl(state, ['create', '-f', '-'], kubectlInput(items));
  return names;
}

async function waitFor(
  what: string,
  fn: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      if (await fn()) return;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? `: ${last}` : ''}`);
}

async function waitNodesReady(state: ClusterState, names: string[]): Promise<void> {
  await waitFor(
    `nodes Ready (${names.join(', ')})`,
    async () => {
      const out = await mustKubectl(state, [
        'get',
        'nodes',
        '-o',
        'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
      ]);
      const ready = new Set(
        out
          .split('\n')
          .filter((l) => l.endsWith('=True'))
          .map((l) => l.split('=')[0]),
      );
      return names.every((n) => ready.has(n));
    },
    60_000,
  );
}

export async function crdGroups(files: string[]): Promise<string[]> {
  const groups = new Set<string>();
  for (const f of files) {
    const m = /^\s*group:\s*(\S+)\s*$/m.exec(await readFile(f, 'utf8'));
    if (m) groups.add(m[1].replace(/['"]/g, ''));
  }
  return [...groups].sort();
}

async function installCrds(state: ClusterState): Promise<void> {
  const files = listCrdFiles();
  // Server-side apply: the Argo CRDs are larger than the 256 KiB last-applied annotation allows.
  const base = ['apply', '--server-side', '--force-conflicts', '--field-manager=gantry-test'];
  // Four applies in parallel, balanced by size: about a third faster than one kubectl on 2 cores.
  const chunks: { size: number; files: string[] }[] = Array.from({ length: 4 }, () => ({
    size: 0,
    files: [],
  }));
  for (const f of [...files].sort((a, b) => statSync(b).size - statSync(a).size)) {
    const c = chunks.reduce((min, x) => (x.size < min.size ? x : min));
    c.files.push(f);
    c.size += statSync(f).size;
  }
  // kube-apiserver ends a request after its 60 s --request-timeout; a 1.4 MB CRD's apply can take that long on a
  // loaded machine (the write then often lands just after). Server-side apply is idempotent: apply that chunk again.
  const applyChunk = async (files: string[]) => {
    const args = [...base, ...files.flatMap((f) => ['-f', f])];
    let r = await runKubectl(state.kubectl, state.kubeconfigPath, args);
    for (let i = 0; i < 2 && r.code !== 0 && /Error from server \(Timeout\)/.test(r.stderr); i++)
      r = await runKubectl(state.kubectl, state.kubeconfigPath, args);
    return r;
  };
  const results = await Promise.all(chunks.filter((c) => c.files.length > 0).map((c) => applyChunk(c.files)));
  const r = {
    code: results.some((x) => x.code !== 0) ? 1 : 0,
    stderr: results.map((x) => x.stderr).join('\n'),
  };
  if (r.code !== 0) {
    // Older servers reject some newer CRDs (1.30 cannot compile CEL rules that read metadata.namespace of an
    // embedded template, used by JobSet 0.12 and Trainer 2.3). Re-apply those with the rejected rules removed,
    // and record it: the schema then lacks that one validation on that server.
    const docs: CrdDoc[] = [];
    for (const f of files) {
      const doc = parseAllDocuments(await readFile(f, 'utf8')).map((d) => d.toJS() as CrdDoc | null)[0];
      if (doc) docs.push(doc);
    }
    const fixed = withoutRejectedRules(docs, r.stderr);
    if (!fixed) throw new Error(`kubectl apply of the ML CRDs failed: ${r.stderr}`);
    for (const doc of fixed.docs) await mustKubectl(state, [...base, '-f', '-'], JSON.stringify(doc));
    state.crdAdjustments = fixed.adjustments;
  }
  // Not `kubectl wait`: it errors out on a CRD whose status has no conditions yet.
  const names = new Set<string>();
  for (const f of files) {
    const m = /^metadata:\s*\n(?:\s+.*\n)*?\s+name:\s*(\S+)/m.exec(await readFile(f, 'utf8'));
    if (m) names.add(m[1]);
  }
  await waitFor(
    'the ML CRDs to be Established',
    async () => {
      const list = JSON.parse(await mustKubectl(state, ['get', 'crd', '-o', 'json'])) as {
        items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[];
      };
      const established = new Set(
        list.items
          .filter((c) => c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True'))
          .map((c) => c.metadata.name),
      );
      return [...names].every((n) => established.has(n));
    },
    // A bound, not a goal: at load average 16 on 2 cores (six agents) 120 s was not always enough.
    300_000,
    500,
  );
  const groups = await crdGroups(files);
  const tls = tlsOf(state.pki);
  await waitFor(
    'OpenAPI v3 to list every CRD group',
    async () => {
      const r = await httpGet(`${state.server}/openapi/v3`, tls, 10_000);
      if (r.status !== 200) return false;
      const paths = Object.keys((JSON.parse(r.body) as { paths: Record<string, unknown> }).paths);
      return groups.every((g) => paths.some((p) => p.startsWith(`apis/${g}/`)));
    },
    60_000,
    500,
  );
}

async function startSimulatorProcess(
  state: ClusterState,
  demoLogs: boolean,
  skip: string[],
): Promise<ComponentState> {
  const logFile = join(state.runDir, 'logs', 'simulator.log');
  const main = join(repoRoot, 'test/cluster/simulator/main.ts');
  const pid = startDetached({
    name: 'simulator',
    bin: process.execPath,
    args: [
      '--import',
      'tsx',
      main,
      '--kubeconfig',
      state.kubeconfigPath,
      ...(demoLogs ? ['--demo-logs', state.podLogsDir] : []),
      ...(skip.length > 0 ? ['--skip', skip.join(',')] : []),
    ],
    logFile,
    cwd: repoRoot,
  });
  await waitReady(
    'simulator',
    pid,
    logFile,
    async () => (await readFile(logFile, 'utf8')).includes('simulator ready'),
    60_000,
  );
  return { pid, bin: main, logFile };
}

export async function startClusterState(opts: StartOptions = {}): Promise<ClusterState> {
  const log = opts.log ?? (() => {});
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const mark = (k: string): void => {
    timings[k] = Date.now() - t0;
  };
  const b = requireBinaries(opts.version);
  const version = `v${b.kubeVersion}`;
  const runDir = await mkdtemp(join(tmpdir(), 'gantry-cluster-'));
  const logsDir = join(runDir, 'logs');
  const podLogsDir = join(runDir, 'pod-logs');
  await mkdir(logsDir, { recursive: true });
  await mkdir(podLogsDir, { recursive: true });
  const emptyLog = join(podLogsDir, 'empty.log');
  await writeFile(emptyLog, '');

  const [pki, etcdPort, peerPort, apiPort, kcmPort, schedPort, kwokPort] = await Promise.all([
    generatePki(join(runDir, 'pki')),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const ports = {
    etcd: etcdPort,
    etcdPeer: peerPort,
    apiserver: apiPort,
    kcm: kcmPort,
    scheduler: schedPort,
    kwok: kwokPort,
  };
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfigPath = join(runDir, 'admin.kubeconfig');
  await writeFile(kubeconfigPath, kubeconfigYaml(server, pki), { mode: 0o600 });
  mark('pki');

  const state: ClusterState = {
    version,
    server,
    kubeconfigPath,
    runDir,
    kubectl: b.bins.kubectl,
    podLogsDir,
    ports,
    components: {},
    apiserver: {
      bin: b.bins['kube-apiserver'],
      // Only clusters running Kueue serve an aggregated API; the others keep the flags they always had.
      args: apiserverArgs(ports, pki, (opts.operators ?? []).includes('kueue'), opts.profiling === true),
      logFile: join(logsDir, 'kube-apiserver.log'),
      cwd: runDir,
    },
    pki,
    startedAt: new Date().toISOString(),
    timings,
  };

  const start = (name: string, args: string[], env?: Record<string, string>): ComponentState => {
    const logFile = join(logsDir, `${name}.log`);
    const pid = startDetached({ name, bin: b.bins[name], args, logFile, cwd: runDir, env });
    const c = { pid, bin: b.bins[name], logFile };
    state.components[name] = c;
    return c;
  };

  try {
    const etcdVersion =
      /etcd Version: (\S+)/.exec(execFileSync(b.bins.etcd, ['--version'], { encoding: 'utf8' }))?.[1] ?? '?';
    const etcd34 = etcdVersion.startsWith('3.4.');
    log(`starting etcd ${etcdVersion}`);
    const etcd = start('etcd', [
      '--name=gantry',
      `--data-dir=${join(runDir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=gantry=http://127.0.0.1:${peerPort}`,
      '--auto-compaction-retention=1',
      // etcd 3.4 has no --unsafe-no-fsync and defaults to the deprecated capnslog logger.
      ...(etcd34 ? ['--logger=zap'] : ['--unsafe-no-fsync=true']),
      '--log-level=warn',
    ]);
    await waitReady('etcd', etcd.pid, etcd.logFile, async () =>
      (await httpGet(`http://127.0.0.1:${etcdPort}/health`)).body.includes('"true"'),
    );
    mark('etcd');

    log(`starting kube-apiserver ${version} on ${server}`);
    const apiPid = startApiserverProcess(state);
    state.components['kube-apiserver'] = {
      pid: apiPid,
      bin: state.apiserver.bin,
      logFile: state.apiserver.logFile,
    };
    await waitApiserverReady(state, apiPid);
    mark('apiserver');

    await mustKubectl(state, [
      'apply',
      '--server-side',
      '--field-manager=gantry-test',
      ...kwokCrdFiles(b.kwokBin.replace(/\/bin$/, '')).flatMap((f) => ['-f', f]),
    ]);
    await writeFile(
      join(runDir, 'kwok.yaml'),
      await kwokConfig(runDir, emptyLog, (opts.operators ?? []).length > 0, opts.nodeHeartbeatSeconds),
    );

    log('starting kube-controller-manager, kube-scheduler, kwok');
    const kcm = start('kube-controller-manager', [
      `--kubeconfig=${kubeconfigPath}`,
      `--authentication-kubeconfig=${kubeconfigPath}`,
      `--authorization-kubeconfig=${kubeconfigPath}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${kcmPort}`,
      '--leader-elect=false',
      `--service-account-private-key-file=${pki.saKey}`,
      `--root-ca-file=${pki.caCrt}`,
      '--use-service-account-credentials=false',
      ...controllerManagerNodeArgs(opts.nodeLeaseSeconds),
      '--profiling=false',
      '--v=1',
    ]);
    const sched = start('kube-scheduler', [
      `--kubeconfig=${kubeconfigPath}`,
      `--authentication-kubeconfig=${kubeconfigPath}`,
      `--authorization-kubeconfig=${kubeconfigPath}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${schedPort}`,
      '--leader-elect=false',
      '--profiling=false',
      '--v=1',
    ]);
    const kwokArgs = [
      `--kubeconfig=${kubeconfigPath}`,
      `--config=${join(runDir, 'kwok.yaml')}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-label-selector=type=kwok',
      '--node-ip=127.0.0.1',
      '--node-name=localhost',
      `--node-port=${kwokPort}`,
      `--server-address=127.0.0.1:${kwokPort}`,
      `--tls-cert-file=${pki.serverCrt}`,
      `--tls-private-key-file=${pki.serverKey}`,
      '--cidr=10.244.0.0/16',
      `--node-lease-duration-seconds=${opts.nodeLeaseSeconds ?? 40}`,
      // Per-pod Logs / PortForward objects come from the API (appendLog, forwardPodPort). Not set through a
      // KwokConfiguration document: one in --config leaves the other options unset (playStageParallelism 0).
      '--enable-crds=Logs,PortForward',
    ];
    // kwok also reads ~/.kwok/kwok.yaml; keep a stray one out.
    const kwokEnv = { HOME: runDir, KWOK_WORKDIR: join(runDir, 'kwok') };
    state.kwok = {
      bin: b.bins.kwok,
      args: kwokArgs,
      logFile: join(logsDir, 'kwok.log'),
      cwd: runDir,
      env: kwokEnv,
    };
    const kwok = start('kwok', kwokArgs, kwokEnv);
    const insecure = { insecure: true };
    await Promise.all([
      waitReady(
        'kube-controller-manager',
        kcm.pid,
        kcm.logFile,
        async () => (await httpGet(`https://127.0.0.1:${kcmPort}/healthz`, insecure)).status === 200,
      ),
      waitReady(
        'kube-scheduler',
        sched.pid,
        sched.logFile,
        async () => (await httpGet(`https://127.0.0.1:${schedPort}/healthz`, insecure)).status === 200,
      ),
      waitReady('kwok', kwok.pid, kwok.logFile, () => kwokHealthy(kwokPort)),
    ]);
    mark('controllers');
    await writeState(state);
    if (opts.reapWithOwner !== false) {
      const reaperLog = join(logsDir, 'reaper.log');
      const pid = startDetached({
        name: 'reaper',
        bin: process.execPath,
        args: [
          '--import',
          'tsx',
          join(repoRoot, 'test/cluster/harness/reaper.ts'),
          stateFile(state),
          String(process.pid),
        ],
        logFile: reaperLog,
        cwd: repoRoot,
      });
      state.components.reaper = {
        pid,
        bin: join(repoRoot, 'test/cluster/harness/reaper.ts'),
        logFile: reaperLog,
      };
    }

    if (opts.nodes !== false) {
      log('creating GPU node pool');
      const names = await createNodes(state);
      await waitNodesReady(state, names);
      mark('nodes');
    }
    if (opts.crds !== false) {
      log('installing ML CRDs');
      await installCrds(state);
      for (const a of state.crdAdjustments ?? [])
        log(
          `warning: ${a.name} rejected by ${version}; applied without rule(s): ${a.removedRules.join('; ')}`,
        );
      mark('crds');
    }
    const operators = opts.operators ?? [];
    if (operators.length > 0) {
      if (opts.crds === false) throw new Error('operators need the ML CRDs (drop --no-crds)');
      log(`starting operators: ${operators.join(', ')}`);
      state.operators = await startOperators(
        {
          runDir,
          kubeconfigPath,
          kubectl: (args, input) => mustKubectl(state, args, input),
        },
        operators,
        (m) => {
          log(m);
          if (!m.startsWith('warning:')) mark(`operator:${m.split(' ')[0]}`);
        },
        (o) => {
          (state.operators ??= {})[o.name] = o;
          state.components[o.name] = { pid: o.pid, bin: o.bin, logFile: o.logFile };
        },
      );
      await writeState(state);
    }
    if (opts.simulator !== false) {
      log('starting workload simulator');
      state.components.simulator = await startSimulatorProcess(
        state,
        opts.demoLogs === true,
        operatorPlurals(operators),
      );
      mark('simulator');
    }
    await writeState(state);
    log(`cluster ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    return state;
  } catch (e) {
    const logs: string[] = [];
    for (const [name, c] of Object.entries(state.components))
      logs.push(`--- ${name} (${c.logFile})\n${await tail(c.logFile, 15)}`);
    await stopClusterState(state, { keepRunDir: true });
    throw new Error(
      `${(e as Error).message}\n\nComponent logs (run dir kept: ${runDir}):\n${logs.join('\n')}`,
      { cause: e },
    );
  }
}

export function stateFile(state: Pick<ClusterState, 'runDir'>): string {
  return join(state.runDir, 'state.json');
}

export async function writeState(state: ClusterState, file = stateFile(state)): Promise<void> {
  await writeFile(file, JSON.stringify(state, null, 2), { mode: 0o600 });
}

export function readState(file: string): ClusterState {
  return JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
}

export async function stopClusterState(
  state: ClusterState,
  opts: { keepRunDir?: boolean } = {},
): Promise<void> {
  // Re-read: a test process may have restarted the apiserver under a new PID.
  if (existsSync(stateFile(state))) {
    try {
      Object.assign(state.components, readState(stateFile(state)).components);
    } catch {
      // keep what we have
    }
  }
  // Operators first, their webhook configurations before them: a Fail-policy webhook whose server is gone
  // refuses every matching create (matters when the apiserver outlives them, e.g. a failed start).
  const ops = Object.keys(state.operators ?? {}) as OperatorName[];
  const api = state.components['kube-apiserver'];
  if (ops.length > 0 && api && isOurProcess(api.pid, api.bin))
    await runKubectl(
      state.kubectl,
      state.kubeconfigPath,
      ['delete', '--ignore-not-found', '--wait=false', ...operatorWebhookNames(ops)],
      undefined,
      15_000,
    );
  const names = [
    'simulator',
    ...ops,
    ...STOP_ORDER,
    ...Object.keys(state.components).filter((n) => !STOP_ORDER.includes(n)),
  ].filter((n, i, a) => a.indexOf(n) === i);
  for (const name of names) {
    const c = state.components[name];
    if (!c || c.pid === process.pid) continue;
    if (isOurProcess(c.pid, c.bin)) await stopPid(c.pid);
  }
  if (!opts.keepRunDir && !process.env.GANTRY_KEEP_CLUSTER)
    await rm(state.runDir, { recursive: true, force: true });
}
