// The workload simulator: plays the controllers that cannot run in the local cluster (the Kubeflow Notebook
// controller, KServe, and KubeRay's RayJob outcomes, which need a Ray dashboard); the real operators play the rest
// (test/cluster/harness/operators.ts). It is test-only: product code in src/ must never import it.
// Level-triggered: any watch event schedules one pass that lists every kind and reconciles each object (plus a
// resync every few seconds), so a missed event or a restarted apiserver only delays it.
import * as k8s from '@kubernetes/client-node';
import { Rest, RestError } from '../harness/rest';
import { writeDemoLogs } from './demoLogs';
import { SIM_RAYJOB_MANAGED_BY, reconcileRayJob } from './ray';
import { reconcileInferenceService, reconcileNotebook } from './serving';
import { type Ctx, type Obj, type Snapshot, listItems, namespaceTerminating, now } from './util';

interface Kind {
  /** Resource path (cluster-wide list); its last segment is the plural `skipPlurals` matches. */
  path: string;
  reconcile(ctx: Ctx, o: Obj): Promise<void>;
}

const KINDS: Kind[] = [
  // Only the RayJobs handed to "another controller" (KubeRay skips those); the real KubeRay runs the rest.
  {
    path: '/apis/ray.io/v1/rayjobs',
    reconcile: (c: Ctx, o: Obj) =>
      o.spec?.managedBy === SIM_RAYJOB_MANAGED_BY ? reconcileRayJob(c, o) : Promise.resolve(),
  },
  { path: '/apis/kubeflow.org/v1beta1/notebooks', reconcile: reconcileNotebook },
  { path: '/apis/serving.kserve.io/v1beta1/inferenceservices', reconcile: reconcileInferenceService },
];

const BASE_WATCHED = [
  '/api/v1/pods',
  '/apis/batch/v1/jobs',
  '/apis/apps/v1/statefulsets',
  '/apis/apps/v1/deployments',
];

export interface Simulator {
  dispose(): Promise<void>;
  /** Resolves after one full pass has run (tests may use it to avoid sleeping). */
  settle(): Promise<void>;
}

export interface SimulatorOptions {
  log?: (msg: string) => void;
  resyncMs?: number;
  /** Demo only: append plausible output to managed pods' logs (files under this run's pod-logs folder). */
  demoLogsDir?: string;
  /** Plurals a real operator serves in this cluster (test/cluster/harness/operators.ts): left alone. */
  skipPlurals?: string[];
}

export async function startSimulator(
  kubeconfigPath: string,
  opts: SimulatorOptions = {},
): Promise<Simulator> {
  const log = opts.log ?? ((m: string) => console.error(`[simulator] ${m}`));
  const skip = new Set(opts.skipPlurals ?? []);
  const kinds = KINDS.filter((k) => !skip.has(k.path.split('/').pop() as string));
  const watched = [...BASE_WATCHED, ...kinds.map((k) => k.path)];
  const rest = await Rest.fromKubeconfig(kubeconfigPath);
  const watch = new k8s.Watch(rest.kc);
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  const aborts = new Map<string, AbortController>();
  const pending = new Map<string, { name: string; at: number }[]>();
  let passWaiters: (() => void)[] = [];
  let lastPods: Obj[] = [];

  const event: Ctx['event'] = async (obj, type, reason, message, component) => {
    const ns = obj.metadata.namespace ?? 'default';
    const t = now();
    try {
      await rest.post(`/api/v1/namespaces/${ns}/events`, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: `${obj.metadata.name}.`, namespace: ns },
        involvedObject: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: obj.metadata.name,
          namespace: ns,
          uid: obj.metadata.uid,
        },
        reason,
        message,
        type,
        source: { component },
        reportingComponent: component,
        reportingInstance: `${component}-simulated`,
        firstTimestamp: t,
        lastTimestamp: t,
        count: 1,
      });
    } catch (e) {
      log(`event ${reason} on ${ns}/${obj.metadata.name}: ${(e as Error).message}`);
    }
  };

  async function pass(): Promise<void> {
    const must = async (p: string): Promise<Obj[]> => (await listItems({ rest }, p)) ?? [];
    const snap: Snapshot = {
      pods: await must('/api/v1/pods'),
      jobs: await must('/apis/batch/v1/jobs'),
      statefulSets: await must('/apis/apps/v1/statefulsets'),
      deployments: await must('/apis/apps/v1/deployments'),
    };
    lastPods = snap.pods;
    const ctx: Ctx = { rest, snap, log, event, pending };
    for (const kind of kinds) {
      const items = await listItems(ctx, kind.path);
      for (const o of items ?? []) {
        try {
          await kind.reconcile(ctx, o);
        } catch (e) {
          const what = `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`;
          if (e instanceof RestError && e.status === 409) continue; // stale read; the next pass retries
          if (namespaceTerminating(e)) continue;
          log(`${what}: ${(e as Error).message}`);
        }
      }
    }
  }

  function schedule(delayMs = 100): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      running = pass()
        .catch((e: unknown) => log(`pass failed: ${(e as Error).message}`))
        .finally(() => {
          running = undefined;
          const w = passWaiters;
          passWaiters = [];
          for (const f of w) f();
          if (again) {
            again = false;
            schedule();
          }
        });
    }, delayMs);
  }

  async function startWatch(path: string): Promise<void> {
    if (stopped) return;
    try {
      const ac = await watch.watch(
        path,
        { allowWatchBookmarks: true },
        () => schedule(),
        (err: unknown) => {
          aborts.delete(path);
          if (!stopped) setTimeout(() => void startWatch(path), err ? 5000 : 500);
        },
      );
      aborts.set(path, ac);
    } catch {
      // CRD missing or apiserver down: retry later.
      if (!stopped) setTimeout(() => void startWatch(path), 5000);
    }
  }

  await Promise.all(watched.map((p) => startWatch(p)));
  const resync = setInterval(() => schedule(0), opts.resyncMs ?? 3000);
  let demoBusy = false;
  const demo = opts.demoLogsDir
    ? setInterval(() => {
        if (demoBusy || stopped) return;
        demoBusy = true;
        void writeDemoLogs(rest, opts.demoLogsDir as string, lastPods, log).finally(() => (demoBusy = false));
      }, 3000)
    : undefined;
  schedule(0);
  if (skip.size > 0) log(`left to real operators: ${[...skip].sort().join(', ')}`);
  log('simulator ready');

  return {
    settle: () =>
      new Promise<void>((resolve) => {
        passWaiters.push(resolve);
        schedule(0);
      }),
    dispose: async () => {
      stopped = true;
      clearInterval(resync);
      if (demo) clearInterval(demo);
      if (timer) clearTimeout(timer);
      for (const ac of aborts.values()) ac.abort();
      aborts.clear();
      await running;
      rest.close();
    },
  };
}
