// The cluster test harness. Other test suites code against this API (keep the names stable).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  readState,
  runKubectl,
  startApiserverProcess,
  startKwokProcess,
  startClusterState,
  stateFile,
  stopClusterState,
  waitApiserverReady,
  writeState,
  type ClusterState,
  type StartOptions,
} from './cluster';
import { isOurProcess, stopPid } from './procs';
import { appendPodLog } from './logs';
import { Rest, isConflict, isNotFound } from './rest';

export { criLine, podLogFile } from './logs';

export interface TestCluster {
  kubeconfigPath: string;
  server: string;
  version: string;
  kubectl(
    args: string[],
    opts?: { input?: string },
  ): Promise<{ stdout: string; stderr: string; code: number }>;
  /** A new namespace `<prefix>-<random>`; resolves once its `default` ServiceAccount exists. */
  createNamespace(prefix: string): Promise<string>;
  /** Appends CRI-format lines to the pod container's log file, which `kubectl logs [-f]` serves through kwok. */
  appendLog(
    namespace: string,
    pod: string,
    container: string,
    lines: string[],
    stream?: 'stdout' | 'stderr',
  ): Promise<void>;
  /**
   * Routes the pod's `port` (via apiserver pods/portforward -> kwok) to 127.0.0.1:targetPort. The rule is owned
   * by the pod (gone with it) unless `keepAcrossPods`: then it also serves a replacement pod of the same name
   * (a StatefulSet's `<name>-0`) until disposed or the namespace goes.
   */
  forwardPodPort(
    namespace: string,
    pod: string,
    port: number,
    targetPort: number,
    opts?: { keepAcrossPods?: boolean },
  ): Promise<{ dispose(): Promise<void> }>;
  stopApiserver(): Promise<void>;
  startApiserver(): Promise<void>;
  /** Stops every component and removes the run folder. A no-op on a cluster attached with sharedCluster(). */
  stop(): Promise<void>;
}

export type { ClusterState, StartOptions };
export { readState, stateFile };

const KWOK = '/apis/kwok.x-k8s.io/v1alpha1';

interface PortForwardObject {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: { forwards: { ports?: number[]; target?: { address: string; port: number } }[] };
}

interface PodLike {
  metadata: { uid: string };
  spec: { containers: { name: string }[]; initContainers?: { name: string }[] };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class Cluster implements TestCluster {
  private restP: Promise<Rest> | undefined;

  constructor(
    private readonly state: ClusterState,
    private readonly owned: boolean,
  ) {}

  get kubeconfigPath(): string {
    return this.state.kubeconfigPath;
  }
  get server(): string {
    return this.state.server;
  }
  get version(): string {
    return this.state.version;
  }

  private rest(): Promise<Rest> {
    this.restP ??= Rest.fromKubeconfig(this.state.kubeconfigPath);
    return this.restP;
  }

  kubectl(
    args: string[],
    opts?: { input?: string },
  ): Promise<{ stdout: string; stderr: string; code: number }> {
    return runKubectl(this.state.kubectl, this.state.kubeconfigPath, args, opts?.input);
  }

  async createNamespace(prefix: string): Promise<string> {
    const rest = await this.rest();
    const base = prefix
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .slice(0, 50)
      .replace(/-+$/, '');
    const name = `${base}-${randomBytes(3).toString('hex')}`;
    await rest.post('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { 'gantry.dev/test': 'true' } },
    });
    // Right after an apiserver restart (stopApiserver/startApiserver) the controller-manager's informers are
    // still backing off and can take well over 30 s to create the ServiceAccount (seen in CI).
    const waitS = 120;
    const deadline = Date.now() + waitS * 1000;
    while (Date.now() < deadline) {
      if (await rest.find(`/api/v1/namespaces/${name}/serviceaccounts/default`)) return name;
      await sleep(100);
    }
    throw new Error(
      `namespace ${name}: default ServiceAccount not created within ${waitS}s (is kube-controller-manager running?)`,
    );
  }

  async appendLog(
    namespace: string,
    pod: string,
    container: string,
    lines: string[],
    stream: 'stdout' | 'stderr' = 'stdout',
  ): Promise<void> {
    await appendPodLog(await this.rest(), this.state.podLogsDir, namespace, pod, container, lines, stream);
  }

  async forwardPodPort(
    namespace: string,
    pod: string,
    port: number,
    targetPort: number,
    opts: { keepAcrossPods?: boolean } = {},
  ): Promise<{ dispose(): Promise<void> }> {
    const rest = await this.rest();
    const path = `${KWOK}/namespaces/${namespace}/portforwards/${pod}`;
    const update = async (
      mutate: (f: PortForwardObject['spec']['forwards']) => PortForwardObject['spec']['forwards'],
    ): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        const existing = await rest.find<PortForwardObject>(path);
        const forwards = mutate(existing?.spec.forwards ?? []);
        try {
          if (forwards.length === 0) {
            if (existing) await rest.delete(path);
          } else if (existing) {
            await rest.put(path, { ...existing, spec: { forwards } });
          } else {
            const p = opts.keepAcrossPods
              ? undefined
              : await rest.find<PodLike>(`/api/v1/namespaces/${namespace}/pods/${pod}`);
            await rest.post(`${KWOK}/namespaces/${namespace}/portforwards`, {
              apiVersion: 'kwok.x-k8s.io/v1alpha1',
              kind: 'PortForward',
              metadata: {
                name: pod,
                namespace,
                ...(p
                  ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: pod, uid: p.metadata.uid }] }
                  : {}),
              },
              spec: { forwards },
            });
          }
          return;
        } catch (e) {
          if ((!isConflict(e) && !isNotFound(e)) || attempt > 5) throw e;
        }
      }
    };
    await this.freshKwok();
    await update((f) => [
      ...f.filter((x) => !x.ports?.includes(port)),
      { ports: [port], target: { address: '127.0.0.1', port: targetPort } },
    ]);
    // kwok reads PortForward objects through an informer (milliseconds); allow for a loaded machine.
    await sleep(1000);
    let disposed = false;
    return {
      dispose: async () => {
        if (disposed) return;
        disposed = true;
        await update((f) => f.filter((x) => !x.ports?.includes(port)));
      },
    };
  }

  /**
   * After an apiserver restart (kwokStale), kwok starts again so its informers list at once instead of after
   * their backoff. Its node leases stay (deleting them made the node controller taint every node unreachable
   * until new ones came: a notebook pod waited 60 s to be scheduled); the new kwok takes them over once they
   * expire (the test tier's lease is 10 s, StartOptions.nodeLeaseSeconds).
   */
  private async freshKwok(): Promise<void> {
    const saved = this.refreshState();
    const k = this.state.components.kwok;
    if (!saved?.kwokStale || !this.state.kwok || !k || !isOurProcess(k.pid, k.bin)) return;
    await stopPid(k.pid);
    await startKwokProcess(this.state);
    this.state.kwokStale = false;
    await writeState(this.state);
  }

  /** Takes the processes from the state file (a test process may have restarted one); returns what it read. */
  private refreshState(): ClusterState | undefined {
    const file = stateFile(this.state);
    if (!existsSync(file)) return undefined;
    const saved = readState(file);
    Object.assign(this.state.components, saved.components);
    return saved;
  }

  async stopApiserver(): Promise<void> {
    this.refreshState();
    const c = this.state.components['kube-apiserver'];
    if (c && isOurProcess(c.pid, c.bin)) await stopPid(c.pid);
  }

  async startApiserver(): Promise<void> {
    this.refreshState();
    const c = this.state.components['kube-apiserver'];
    if (c && isOurProcess(c.pid, c.bin)) return;
    const pid = startApiserverProcess(this.state);
    this.state.components['kube-apiserver'] = {
      pid,
      bin: this.state.apiserver.bin,
      logFile: this.state.apiserver.logFile,
    };
    // kwok's informer of PortForward objects backs off after the apiserver was away (client-go's reflector: up
    // to a minute, longer after each restart), so a forward a later test sets up is not served ("no forward
    // found": every forward of portForward.test failed after logs.test's restart). The next forwardPodPort
    // starts kwok again first (freshKwok); not here, where a log follow in flight would meet a kwok still
    // listing its Logs objects.
    this.state.kwokStale = true;
    await writeState(this.state);
    await waitApiserverReady(this.state, pid);
  }

  async stop(): Promise<void> {
    if (this.restP) (await this.restP).close();
    this.restP = undefined;
    if (this.owned) await stopClusterState(this.state);
  }
}

export async function startCluster(opts?: StartOptions): Promise<TestCluster> {
  const state = await startClusterState(opts);
  return new Cluster(state, true);
}

/** Attach to the cluster a runner started (scripts/test-cluster.ts, npm run cluster:up). */
export async function sharedCluster(): Promise<TestCluster> {
  const file = process.env.GANTRY_CLUSTER_STATE;
  if (!file) {
    throw new Error(
      'GANTRY_CLUSTER_STATE is not set: cluster tests need the shared cluster. Run them with `npm run test:cluster`, ' +
        'or start one with `npm run cluster:up` and export the GANTRY_CLUSTER_STATE it prints.',
    );
  }
  if (!existsSync(file)) throw new Error(`GANTRY_CLUSTER_STATE=${file} does not exist (cluster stopped?)`);
  const state = readState(file);
  const api = state.components['kube-apiserver'];
  if (!api || !isOurProcess(api.pid, api.bin))
    throw new Error(`the cluster in ${file} is not running (kube-apiserver pid ${api?.pid ?? '?'} is gone)`);
  return new Cluster(state, false);
}

/** Attach with ownership (cluster:down). */
export function attachOwned(file: string): TestCluster {
  return new Cluster(readState(file), true);
}
