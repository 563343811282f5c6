// npm run bench:sidebar — the live sidebar at scale, against a real apiserver with kwok nodes and pods.
// Seeds 500 GPU nodes, 300 workloads (PyTorchJobs and batch Jobs) and 5,000 pods labelled and owned like
// the operators do, then measures, side by side:
//   - Gantry (src/k8s watch caches + src/core tree models): connect -> complete tree; pod status patch ->
//     tree update; cache memory.
//   - the headline baseline, the sensible kubectl design: one `kubectl get -o json` per kind (pods across all
//     namespaces, nodes, Warning events, each served ML kind) run in parallel, parsed and grouped in memory by
//     the same core tree builders, to the same complete tree (workload pods and node pods included); time,
//     CPU and memory of both, alternating run by run;
//   - the floor under any client on this machine: the same lists Gantry makes, all at once, read to their last
//     byte and thrown away (the apiserver's encoding and the transfer; nothing parsed), after each of Gantry's runs;
//   - secondary: a vscode-kubernetes-tools style sidebar, one `kubectl get -o json` per expanded folder.
// Prints figures only (no assertions). Options: --attach (use $GANTRY_CLUSTER_STATE instead of starting a
// cluster; an already seeded cluster is reused), --keep (leave the cluster running), --nodes N, --workloads N, --pods N, --samples N (latency samples), --kubectl-workloads N and
// --kubectl-nodes N (expand only that many folders and scale up; default: all), --seed-only (seed, measure
// nothing; with --attach, for bench/sidebar/paint.ts).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sharedCluster, startCluster, type TestCluster } from '../../test/cluster/harness/index';
import { keptClustersDir, sharedCrdsDir } from '../../test/cluster/harness/paths';
import { readState } from '../../test/cluster/harness/cluster';
import { isOurProcess } from '../../test/cluster/harness/procs';
import { buildGpuTree, buildWorkloadTree, podId, ROOT } from '../../src/core/tree';
import { selectDiscovered } from '../../src/core/kinds';
import { mlKindsOf } from '../../src/k8s/liveTrees';
import type { KubeObject } from '../../src/core/kube';
import { ClusterConnection, CORE_KINDS } from '../../src/k8s/connection';
import { resourcePath } from '../../src/k8s/watchCache';
import { loadKubeconfig, type MergedKubeconfig } from '../../src/k8s/kubeconfig';
import { LiveTrees } from '../../src/k8s/liveTrees';
import { ClusterModelSource } from '../../src/k8s/modelSource';
import type { KubeTransport } from '../../src/k8s/transport';

const { values: args } = parseArgs({
  options: {
    attach: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    nodes: { type: 'string', default: '500' },
    workloads: { type: 'string', default: '300' },
    pods: { type: 'string', default: '5000' },
    namespaces: { type: 'string', default: '10' },
    samples: { type: 'string', default: '20' },
    runs: { type: 'string', default: '3' },
    'kubectl-workloads': { type: 'string' },
    'kubectl-nodes': { type: 'string' },
    'seed-only': { type: 'boolean', default: false },
    // kwok's node lease (s) and node status heartbeat (s) of the bench's own cluster. Defaults: the test
    // cluster's (40 s lease, status every 20-25 s). `--kubelet-cadence` sets a kubelet's defaults for an
    // unchanged node (status every 300 s, nodeStatusReportFrequency) and a 1,200 s lease, for scenes of
    // thousands of nodes on 2 cores, where heartbeats alone would fill the apiserver.
    'node-lease': { type: 'string' },
    'node-heartbeat': { type: 'string' },
    'kubelet-cadence': { type: 'boolean', default: false },
  },
});
const N_NODES = Number(args.nodes);
const N_WORKLOADS = Number(args.workloads);
const N_PODS = Number(args.pods);
const N_NS = Number(args.namespaces);
const SAMPLES = Number(args.samples);
const RUNS = Number(args.runs);
const GPUS_PER_NODE = 8;

const gc = (globalThis as { gc?: () => void }).gc;
const log = (m: string) => console.error(`[bench] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ms = (x: number) => `${x.toFixed(0)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

async function pool<T>(items: T[], concurrency: number, fn: (t: T) => Promise<void>): Promise<void> {
  const q = [...items];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let t = q.shift(); t !== undefined; t = q.shift()) await fn(t);
    }),
  );
}

async function must<T>(
  p: Promise<{ ok: true; value: T } | { ok: false; error: { message: string } }>,
): Promise<T> {
  const r = await p;
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

function connect(cfg: MergedKubeconfig): ClusterConnection {
  const c = ClusterConnection.create(cfg, cfg.currentContext!);
  if (!c.ok) throw new Error(c.error.message);
  return c.value;
}

// --- seeding -------------------------------------------------------------------------------------------------

interface Seeded {
  namespaces: string[];
  workloads: { kind: 'PyTorchJob' | 'Job'; ns: string; name: string; uid: string }[];
  pods: { ns: string; name: string }[];
}

function nodeManifest(i: number) {
  const name = `bench-gpu-${String(i).padStart(4, '0')}`;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        type: 'kwok',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'gantry.dev/pool': 'bench',
        'nvidia.com/gpu.present': 'true',
        'nvidia.com/gpu.product': i % 5 === 0 ? 'NVIDIA-A100-SXM4-80GB' : 'NVIDIA-H100-80GB-HBM3',
        'nvidia.com/gpu.count': String(GPUS_PER_NODE),
        'nvidia.com/gpu.memory': '81559',
      },
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: { taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }] },
    status: {
      capacity: { cpu: '224', memory: '2Ti', pods: '110', 'nvidia.com/gpu': String(GPUS_PER_NODE) },
      allocatable: { cpu: '220', memory: '2Ti', pods: '110', 'nvidia.com/gpu': String(GPUS_PER_NODE) },
    },
  };
}

/** The status kwok's pod-running stage writes (test/cluster/kwok/stages.yaml), for one container. */
function runningStatus(container: string, i: number) {
  const now = new Date().toISOString();
  const ip = `10.244.${(i >> 8) & 255}.${i & 255}`;
  return {
    phase: 'Running',
    startTime: now,
    hostIP: '127.0.0.1',
    hostIPs: [{ ip: '127.0.0.1' }],
    podIP: ip,
    podIPs: [{ ip }],
    conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady'].map((type) => ({
      type,
      status: 'True',
      lastTransitionTime: now,
    })),
    containerStatuses: [
      {
        name: container,
        image: 'trainer:1',
        imageID: 'trainer@sha256:0000000000000000000000000000000000000000000000000000000000000000',
        containerID: `containerd://${container}`,
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: now } },
      },
    ],
  };
}

/** A cluster seeded by an earlier run (--attach --keep): read back what is there. */
async function reseed(t: KubeTransport): Promise<Seeded | undefined> {
  const node = await t.get('/api/v1/nodes/bench-gpu-0000');
  if (!node.ok) return undefined;
  const namespaces = Array.from({ length: N_NS }, (_, i) => `bench-team-${i}`);
  const workloads: Seeded['workloads'] = [];
  const pods: Seeded['pods'] = [];
  for (const [kind, path] of [
    ['PyTorchJob', '/apis/kubeflow.org/v1/pytorchjobs'],
    ['Job', '/apis/batch/v1/jobs'],
  ] as const) {
    const list = await must(t.get<{ items: KubeObject[] }>(path));
    for (const o of list.items) {
      if (namespaces.includes(o.metadata.namespace!))
        workloads.push({ kind, ns: o.metadata.namespace!, name: o.metadata.name, uid: o.metadata.uid! });
    }
  }
  for (const ns of namespaces) {
    const list = await must(t.get<{ items: KubeObject[] }>(`/api/v1/namespaces/${ns}/pods`));
    for (const p of list.items) pods.push({ ns, name: p.metadata.name });
  }
  workloads.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  log(`reusing the seeded cluster: ${workloads.length} workloads, ${pods.length} pods`);
  // Earlier latency samples left pods Failed; set them Running again.
  const failed = await must(
    t.get<{ items: KubeObject[] }>('/api/v1/pods', { query: { fieldSelector: 'status.phase=Failed' } }),
  );
  await pool(failed.items, 8, async (p) => {
    await must(
      t.request('PATCH', `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}/status`, {
        contentType: 'application/merge-patch+json',
        body: { status: { phase: 'Running', reason: null, message: null } },
      }),
    );
  });
  return { namespaces, workloads, pods };
}

async function seed(cluster: TestCluster, t: KubeTransport): Promise<Seeded> {
  const again = await reseed(t);
  if (again) return again;
  // A CRD's endpoint can answer 404 for a while after the CRD is Established (the apiserver installs its
  // handler asynchronously; seen at 2,000 nodes on a loaded machine): try again for up to 60 s.
  const post = async (path: string, body: unknown): Promise<KubeObject> => {
    for (let i = 0; ; i++) {
      const r = await t.request<KubeObject>('POST', path, { body });
      if (r.ok) return r.value;
      if (r.error.status !== 404 || i >= 60) throw new Error(`POST ${path}: ${r.error.message}`);
      await sleep(1000);
    }
  };
  const t0 = performance.now();
  // PyTorchJob CRD (the shared cluster already has it).
  const crd = join(sharedCrdsDir, 'kubeflow-training-operator-v1', 'kubeflow.org_pytorchjobs.yaml');
  const applied = await cluster.kubectl(['apply', '--server-side', '--force-conflicts', '-f', crd]);
  if (applied.code !== 0) throw new Error(`kubectl apply -f ${crd}: ${applied.stderr.trim()}`);
  await cluster.kubectl([
    'wait',
    '--for=condition=Established',
    'crd/pytorchjobs.kubeflow.org',
    '--timeout=60s',
  ]);

  log(`creating ${N_NODES} GPU nodes`);
  await pool(
    Array.from({ length: N_NODES }, (_, i) => i),
    16,
    async (i) => void (await post('/api/v1/nodes', nodeManifest(i))),
  );
  const namespaces = Array.from({ length: N_NS }, (_, i) => `bench-team-${i}`);
  for (const ns of namespaces)
    await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });

  log(`creating ${N_WORKLOADS} workloads`);
  const workloads: Seeded['workloads'] = [];
  await pool(
    Array.from({ length: N_WORKLOADS }, (_, i) => i),
    16,
    async (i) => {
      const ns = namespaces[i % namespaces.length]!;
      const isJob = i % 3 === 2;
      const name = isJob ? `prep-${i}` : `train-${i}`;
      const obj = isJob
        ? await post(`/apis/batch/v1/namespaces/${ns}/jobs`, {
            apiVersion: 'batch/v1',
            kind: 'Job',
            metadata: { name, namespace: ns },
            // Suspended: the Job controller creates no pods; the bench creates them, owned by the Job.
            spec: {
              suspend: true,
              template: {
                spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'prep:1' }] },
              },
            },
          })
        : await post(`/apis/kubeflow.org/v1/namespaces/${ns}/pytorchjobs`, {
            apiVersion: 'kubeflow.org/v1',
            kind: 'PyTorchJob',
            metadata: { name, namespace: ns },
            spec: {
              pytorchReplicaSpecs: {
                Master: {
                  replicas: 1,
                  template: { spec: { containers: [{ name: 'pytorch', image: 'trainer:1' }] } },
                },
                Worker: {
                  replicas: 15,
                  template: { spec: { containers: [{ name: 'pytorch', image: 'trainer:1' }] } },
                },
              },
            },
          });
      workloads.push({ kind: isJob ? 'Job' : 'PyTorchJob', ns, name, uid: obj.metadata.uid! });
    },
  );
  workloads.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));

  log(`creating ${N_PODS} pods`);
  const pods: Seeded['pods'] = [];
  const tPods = performance.now();
  await pool(
    Array.from({ length: N_PODS }, (_, i) => i),
    24,
    async (i) => {
      const w = workloads[i % workloads.length]!;
      const idx = Math.floor(i / workloads.length);
      const node = `bench-gpu-${String(i % N_NODES).padStart(4, '0')}`;
      const gpu = Math.floor(i / N_NODES) < GPUS_PER_NODE ? 1 : 0;
      const isJob = w.kind === 'Job';
      const name = isJob
        ? `${w.name}-${idx}`
        : `${w.name}-${idx === 0 ? 'master' : 'worker'}-${idx === 0 ? 0 : idx - 1}`;
      const labels: Record<string, string> = isJob
        ? { 'batch.kubernetes.io/job-name': w.name, 'job-name': w.name }
        : {
            'training.kubeflow.org/job-name': w.name,
            'training.kubeflow.org/operator-name': 'pytorchjob-controller',
            'training.kubeflow.org/replica-type': idx === 0 ? 'master' : 'worker',
            'training.kubeflow.org/replica-index': String(idx === 0 ? 0 : idx - 1),
          };
      await post(`/api/v1/namespaces/${w.ns}/pods`, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          namespace: w.ns,
          labels,
          // Job pods: keep kwok's job-complete stage from finishing them during the bench.
          annotations: { 'sim.gantry.dev/duration': '24h' },
          ownerReferences: [
            {
              apiVersion: isJob ? 'batch/v1' : 'kubeflow.org/v1',
              kind: w.kind,
              name: w.name,
              uid: w.uid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: {
          nodeName: node,
          tolerations: [{ operator: 'Exists' }],
          containers: [
            {
              name: isJob ? 'main' : 'pytorch',
              image: 'trainer:1',
              resources: gpu ? { limits: { 'nvidia.com/gpu': '1' } } : { requests: { cpu: '1' } },
            },
          ],
        },
      });
      // Running and Ready at once, as kwok's pod-running stage would make it (whose selector then skips the
      // pod): kwok alone started ~19 pods/s here, 18 min for 20,000.
      await must(
        t.request('PATCH', `/api/v1/namespaces/${w.ns}/pods/${name}/status`, {
          contentType: 'application/merge-patch+json',
          body: { status: runningStatus(isJob ? 'main' : 'pytorch', i) },
        }),
      );
      pods.push({ ns: w.ns, name });
      if (pods.length % 5000 === 0) {
        const s = (performance.now() - tPods) / 1000;
        log(`${pods.length}/${N_PODS} pods created (${Math.round(pods.length / s)} pods/s)`);
      }
    },
  );
  log(`seeded in ${ms(performance.now() - t0)}; checking every pod is Running`);
  // Paged (5,000 a page, as a client-go reflector does): one list of tens of thousands of pods on a loaded
  // 2-core machine was cut off once (ECONNRESET at 20,000).
  const countRunning = async (): Promise<number> => {
    let n = 0;
    let cont: string | undefined;
    do {
      const page = await must(
        t.get<{ items: KubeObject[]; metadata?: { continue?: string } }>('/api/v1/pods', {
          query: {
            fieldSelector: 'status.phase=Running',
            limit: '5000',
            ...(cont ? { continue: cont } : {}),
          },
          timeoutMs: 120_000,
        }),
      );
      n += page.items.length;
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return n;
  };
  for (let i = 0; ; i++) {
    const running = await countRunning();
    if (running >= N_PODS) break;
    if (i % 10 === 0) log(`${running}/${N_PODS} pods Running`);
    await sleep(2000);
  }
  log(`all pods Running after ${ms(performance.now() - t0)}`);
  return { namespaces, workloads, pods };
}

// --- Gantry ----------------------------------------------------------------------------------------------------

interface OurFigures {
  /** Heap growth from connect to complete tree (caches + trees), per run. */
  heapGrowthMiB: number[];
  treeNodes: number;
  /** CPU time of this process (user+system) from connect to complete tree: independent of machine load. */
  cpuMs: number[];
  completeMs: number[];
  firstListMs: number[];
  heapCacheBytes: number;
  heapTreesBytes: number;
  heapLeakBytes: number;
  objects: number;
  updateMs: number[];
  /** The floor: the same lists read to their last byte and thrown away, all at once (no parsing, no model). */
  floorMs: number[];
  floorBytes: number;
}

function heap(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

async function measureOurs(
  cfg: MergedKubeconfig,
  seeded: Seeded,
  t: KubeTransport,
  between: () => Promise<void>,
): Promise<OurFigures> {
  const completeMs: number[] = [];
  const firstListMs: number[] = [];
  const f: OurFigures = {
    heapGrowthMiB: [],
    treeNodes: 0,
    cpuMs: [],
    completeMs,
    firstListMs,
    heapCacheBytes: 0,
    heapTreesBytes: 0,
    heapLeakBytes: 0,
    objects: 0,
    updateMs: [],
    floorMs: [],
    floorBytes: 0,
  };
  for (let run = 0; run < RUNS; run++) {
    // Both sides alternate: one bulk-kubectl run before each of ours.
    await between();
    const heap0 = heap();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const conn = connect(cfg);
    const src = new ClusterModelSource(conn, { scope: { kind: 'all' } });
    const snap = await src.start();
    if (!snap.ok) throw new Error(snap.error.message);
    const t1 = performance.now();
    const trees = new LiveTrees(src);
    // "Complete": every workload with its pods and every GPU node summarised.
    const top = trees.workloads.children();
    let shownWorkloads = 0;
    for (const g of top) shownWorkloads += trees.workloads.children(g.id).length;
    const pools = trees.gpus.pools();
    f.treeNodes = walkComplete(trees.workloads, trees.gpus);
    const t2 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    f.heapGrowthMiB.push((process.memoryUsage().heapUsed - heap0) / 1048576);
    f.cpuMs.push((cpu.user + cpu.system) / 1000);
    completeMs.push(t2 - t0);
    firstListMs.push(t1 - t0);
    if (run === 0) {
      const size = trees.workloads.size;
      log(
        `model: ${shownWorkloads} workloads shown, ${size.pods} pods, ${pools.reduce((s, p) => s + p.nodes, 0)} GPU nodes, ` +
          pools.map((p) => `${p.model}: ${p.allocated}/${p.total}`).join('; '),
      );
      f.objects = [...snap.value.objects.values()].reduce((s, m) => s + m.size, 0);
    }
    if (run === RUNS - 1) {
      // Latency: patch a pod's status, time until the tree model reports that pod's node changed.
      const trees2 = new LiveTrees(src);
      for (let i = 0; i < SAMPLES; i++) {
        const p = seeded.pods[(i * 997) % seeded.pods.length]!;
        const id = podId({ apiVersion: 'v1', kind: 'Pod', metadata: { name: p.name, namespace: p.ns } });
        const seen = new Promise<number>((resolve) => {
          const sub = trees2.onDidChange((r) => {
            if (r.workloads.includes(id) || r.workloads.includes('')) {
              sub.dispose();
              resolve(performance.now());
            }
          });
        });
        const start = performance.now();
        await must(
          t.request('PATCH', `/api/v1/namespaces/${p.ns}/pods/${p.name}/status`, {
            contentType: 'application/merge-patch+json',
            body: { status: { phase: 'Failed', reason: 'Evicted', message: `bench sample ${i}` } },
          }),
        );
        const end = await Promise.race([seen, sleep(10_000).then(() => NaN)]);
        f.updateMs.push(end - start);
        await sleep(100);
      }
      trees2.dispose();
    }
    const lists = listPaths(src);
    trees.dispose();
    src.dispose();
    conn.dispose();
    await sleep(500);
    const floor = await readListsOnly(t, lists);
    f.floorMs.push(floor.ms);
    f.floorBytes = floor.bytes;
    await sleep(500);
  }
  // Memory, in an untimed run: caches alone, then with both trees, then after disposing everything.
  const heap0 = heap();
  let conn: ClusterConnection | undefined = connect(cfg);
  let src: ClusterModelSource | undefined = new ClusterModelSource(conn, { scope: { kind: 'all' } });
  if (!(await src.start()).ok) throw new Error('start failed');
  f.heapCacheBytes = heap() - heap0;
  let trees: LiveTrees | undefined = new LiveTrees(src);
  f.heapTreesBytes = heap() - heap0;
  trees.dispose();
  src.dispose();
  conn.dispose();
  trees = src = conn = undefined;
  await sleep(1000);
  f.heapLeakBytes = heap() - heap0;
  return f;
}

// --- kubectl-based extension ---------------------------------------------------------------------------------

function kubectlJson(
  bin: string,
  kubeconfig: string,
  args: string[],
): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      ['--kubeconfig', kubeconfig, ...args, '-o', 'json'],
      { maxBuffer: 1 << 30 },
      (err, stdout) => {
        if (err) return reject(err);
        JSON.parse(stdout); // the extension parses what it gets
        resolve({ ms: performance.now() - t0, bytes: stdout.length });
      },
    );
  });
}

interface KubectlFigures {
  completeMs: number;
  calls: number;
  sampled: boolean;
  refreshPodsMs: number[];
  kindFolderMs: number;
  bytes: number;
}

async function measureKubectl(cluster: TestCluster, seeded: Seeded): Promise<KubectlFigures> {
  const state = JSON.parse(readFileSync(process.env.GANTRY_BENCH_STATE!, 'utf8')) as { kubectl: string };
  const bin = state.kubectl;
  const kc = cluster.kubeconfigPath;
  let total = 0;
  let bytes = 0;
  const run = async (a: string[]) => {
    const r = await kubectlJson(bin, kc, a);
    bytes += r.bytes;
    return r.ms;
  };
  // Kind folders (vscode-kubernetes-tools: one get per expanded resource folder).
  const kindStart = performance.now();
  total += await run(['get', 'pytorchjobs.kubeflow.org', '--all-namespaces']);
  total += await run(['get', 'jobs.batch', '--all-namespaces']);
  const kindFolderMs = performance.now() - kindStart;
  // Each workload's pods.
  const wlN = Math.min(seeded.workloads.length, Number(args['kubectl-workloads'] ?? seeded.workloads.length));
  let wlMs = 0;
  const refreshPodsMs: number[] = [];
  for (const w of seeded.workloads.slice(0, wlN)) {
    const sel =
      w.kind === 'Job'
        ? `batch.kubernetes.io/job-name=${w.name}`
        : `training.kubeflow.org/job-name=${w.name}`;
    const d = await run(['get', 'pods', '-n', w.ns, '-l', sel]);
    wlMs += d;
    refreshPodsMs.push(d);
  }
  total += (wlMs * seeded.workloads.length) / wlN;
  // The node folder, then each node's pods.
  total += await run(['get', 'nodes']);
  const nodes = Array.from({ length: N_NODES }, (_, i) => `bench-gpu-${String(i).padStart(4, '0')}`);
  const nN = Math.min(nodes.length, Number(args['kubectl-nodes'] ?? nodes.length));
  let nodeMs = 0;
  for (const n of nodes.slice(0, nN))
    nodeMs += await run(['get', 'pods', '--all-namespaces', '--field-selector', `spec.nodeName=${n}`]);
  total += (nodeMs * nodes.length) / nN;
  return {
    completeMs: total,
    calls: 2 + seeded.workloads.length + 1 + nodes.length,
    sampled: wlN < seeded.workloads.length || nN < nodes.length,
    refreshPodsMs,
    kindFolderMs,
    bytes,
  };
}

// --- the complete tree, the same end state on both sides --------------------------------------------------------

/** Every node of both trees, expanded all the way down (workload pods by role, GPU nodes and their pods). */
/** The lists Gantry's first sync makes (every watched kind, cluster-wide, from the watch cache like its own). */
function listPaths(src: ClusterModelSource): { path: string; query: Record<string, string> }[] {
  const kinds = [CORE_KINDS.pod, CORE_KINDS.node, CORE_KINDS.event, ...src.draKinds, ...src.workloadKinds];
  return kinds.map((kind) => {
    const query: Record<string, string> = { resourceVersion: '0' };
    if (kind === CORE_KINDS.event) query.fieldSelector = 'type=Warning';
    return { path: resourcePath({ kind }), query };
  });
}

/**
 * The floor under any client on this machine: the same lists asked for at once over the same transport and read
 * to their last byte, nothing parsed or kept. What it takes is the apiserver's encoding and the transfer.
 */
async function readListsOnly(
  t: KubeTransport,
  lists: { path: string; query: Record<string, string> }[],
): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  const sizes = await Promise.all(
    lists.map(async (l) => {
      const body = await must(t.stream(l.path, { query: l.query, timeoutMs: 300_000 }));
      let n = 0;
      for await (const c of body as AsyncIterable<Buffer>) n += c.length;
      return n;
    }),
  );
  return { ms: performance.now() - t0, bytes: sizes.reduce((a, b) => a + b, 0) };
}

function walkComplete(
  workloads: { children(id?: string): { id: string; collapsible: string }[] },
  gpus: { children(id?: string): { id: string; collapsible: string }[] },
): number {
  let n = 0;
  const walk = (t: typeof workloads, id: string): void => {
    for (const c of t.children(id)) {
      n++;
      if (c.collapsible !== 'none') walk(t, c.id);
    }
  };
  walk(workloads, ROOT);
  walk(gpus, ROOT);
  return n;
}

// --- the bulk kubectl design (the headline baseline) ---------------------------------------------------------

interface BulkFigures {
  completeMs: number[];
  /** CPU of the kubectl processes (user + system, from /usr/bin/time) plus this process's parse and grouping. */
  cpuMs: number[];
  /** Sum of the kubectl processes' peak RSS (they run at once) plus this process's heap growth. */
  peakMiB: number[];
  calls: number;
  treeNodes: number;
  bytes: number;
}

/**
 * One `kubectl get -o json` per kind the sidebar shows (pods across all namespaces, nodes, Warning events and
 * each served ML kind), all at once, parsed and grouped in memory by the same core tree builders Gantry uses:
 * the design a careful kubectl-based sidebar would have. Ends at the same complete tree as Gantry's side.
 */
async function prepareKubectlBulk(
  cluster: TestCluster,
  cfg: MergedKubeconfig,
): Promise<{ figures: BulkFigures; once: () => Promise<void> }> {
  const state = JSON.parse(readFileSync(process.env.GANTRY_BENCH_STATE!, 'utf8')) as { kubectl: string };
  const conn = connect(cfg);
  const disc = await conn.discover();
  conn.dispose();
  if (!disc.ok) throw new Error(disc.error.message);
  const kinds = mlKindsOf(selectDiscovered(disc.value.allVersions()));
  const resource = (k: { plural: string; group: string }) => (k.group ? `${k.plural}.${k.group}` : k.plural);
  const gets: { key: string; args: string[] }[] = [
    { key: 'Pod', args: ['get', 'pods', '--all-namespaces'] },
    { key: 'Node', args: ['get', 'nodes'] },
    { key: 'Event', args: ['get', 'events', '--all-namespaces', '--field-selector', 'type=Warning'] },
    ...kinds.map((k) => ({ key: k.key, args: ['get', resource(k), '--all-namespaces'] })),
  ];
  const f: BulkFigures = {
    completeMs: [],
    cpuMs: [],
    peakMiB: [],
    calls: gets.length,
    treeNodes: 0,
    bytes: 0,
  };
  const once = async (): Promise<void> => {
    const heap0 = heap();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const results = await Promise.all(
      gets.map(
        (g) =>
          new Promise<{ key: string; items: KubeObject[]; cpuMs: number; rssKiB: number; bytes: number }>(
            (resolve, reject) => {
              // GNU time reports the child's CPU and peak RSS on stderr, after kubectl's own output.
              execFile(
                '/usr/bin/time',
                [
                  '-f',
                  'GANTRY_TIME %U %S %M',
                  state.kubectl,
                  '--kubeconfig',
                  cluster.kubeconfigPath,
                  ...g.args,
                  '-o',
                  'json',
                ],
                { maxBuffer: 1 << 30 },
                (err, stdout, stderr) => {
                  if (err) return reject(new Error(`${g.args.join(' ')}: ${stderr}`));
                  const m = /GANTRY_TIME ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
                  const items = (JSON.parse(stdout) as { items: KubeObject[] }).items;
                  resolve({
                    key: g.key,
                    items,
                    cpuMs: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN,
                    rssKiB: m ? Number(m[3]) : NaN,
                    bytes: stdout.length,
                  });
                },
              );
            },
          ),
      ),
    );
    const by = new Map(results.map((r) => [r.key, r.items]));
    const workloads = new Map<string, KubeObject[]>();
    for (const k of kinds) workloads.set(k.key, by.get(k.key) ?? []);
    const snap = {
      kinds,
      workloads,
      pods: by.get('Pod') ?? [],
      events: by.get('Event') ?? [],
      nodes: by.get('Node') ?? [],
    };
    const wt = buildWorkloadTree(snap);
    const gt = buildGpuTree(snap, (p) => wt.workloadRefOf(p));
    const nodes = walkComplete(wt, gt);
    const t1 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    const heapGrowth = process.memoryUsage().heapUsed - heap0;
    f.completeMs.push(t1 - t0);
    f.cpuMs.push((cpu.user + cpu.system) / 1000 + results.reduce((a, r) => a + r.cpuMs, 0));
    f.peakMiB.push(results.reduce((a, r) => a + r.rssKiB, 0) / 1024 + heapGrowth / 1048576);
    f.treeNodes = nodes;
    f.bytes = results.reduce((a, r) => a + r.bytes, 0);
    await sleep(500);
  };
  return { figures: f, once };
}

// --- main ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (!gc) log('run with --expose-gc for memory figures (npm run bench:sidebar does)');
  let cluster: TestCluster;
  if (args.attach) {
    if (args['node-lease'] || args['node-heartbeat'] || args['kubelet-cadence'])
      throw new Error(
        "--node-lease, --node-heartbeat and --kubelet-cadence set up the bench's own cluster: not with --attach",
      );
    cluster = await sharedCluster();
    process.env.GANTRY_BENCH_STATE = process.env.GANTRY_CLUSTER_STATE;
    // A PyTorchJob controller (the real training-operator the cluster runs) acts on the bench's PyTorchJobs too:
    // it would create pods that collide with the ones the bench creates ("pods "train-0-master-0" already exists").
    const attached = readState(process.env.GANTRY_CLUSTER_STATE!);
    const op = attached.components['training-operator'];
    if (op && isOurProcess(op.pid, op.bin)) {
      throw new Error(
        `--attach: the cluster in ${process.env.GANTRY_CLUSTER_STATE} runs the training-operator (pid ${op.pid}), ` +
          "whose PyTorchJob pods would collide with the bench's. Run the bench without --attach (it starts its " +
          'own cluster), or attach to a cluster started with `npm run cluster:up -- --operators none`.',
      );
    }
  } else {
    const t0 = performance.now();
    const lease = args['node-lease'] ?? (args['kubelet-cadence'] ? '1200' : undefined);
    const heartbeat = args['node-heartbeat'] ?? (args['kubelet-cadence'] ? '300' : undefined);
    if (lease || heartbeat)
      log(`kwok: node lease ${lease ?? 40} s, node status every ${heartbeat ?? '20-25'} s`);
    cluster = await startCluster({
      nodes: false,
      crds: false,
      simulator: false,
      reapWithOwner: !args.keep,
      nodeLeaseSeconds: lease ? Number(lease) : undefined,
      nodeHeartbeatSeconds: heartbeat ? Number(heartbeat) : undefined,
      log,
    });
    process.env.GANTRY_BENCH_STATE = join(cluster.kubeconfigPath, '..', 'state.json');
    log(`cluster started in ${ms(performance.now() - t0)}`);
  }
  try {
    const loaded = loadKubeconfig({ explicitPath: cluster.kubeconfigPath });
    if (loaded.kind !== 'ok') throw new Error('no kubeconfig');
    const admin = connect(loaded);
    const seeded = await seed(cluster, admin.transport);
    if (args['seed-only']) {
      // bench/sidebar/paint.ts seeds its cluster this way, then measures in code-server.
      admin.dispose();
      console.log(
        `seeded: ${N_NODES} nodes, ${seeded.workloads.length} workloads, ${seeded.pods.length} pods`,
      );
      return;
    }
    await sleep(2000);
    log('measuring Gantry and the bulk kubectl design, alternating');
    const bulk = await prepareKubectlBulk(cluster, loaded);
    const ours = await measureOurs(loaded, seeded, admin.transport, bulk.once);
    const b = bulk.figures;
    log('measuring the kubectl-per-folder approach (secondary row)');
    const kube = await measureKubectl(cluster, seeded);
    admin.dispose();

    const row = (name: string, a: string, b: string, ratio = '') =>
      console.log(`${name.padEnd(44)} ${a.padStart(16)} ${b.padStart(18)} ${ratio.padStart(8)}`);
    const load = loadavg()
      .map((x) => x.toFixed(1))
      .join(' ');
    console.log(
      `\nSidebar benchmark: ${N_NODES} GPU nodes, ${seeded.workloads.length} workloads, ${seeded.pods.length} pods (${N_NS} namespaces), kube ${cluster.version}`,
    );
    const oursComplete = median(ours.completeMs);
    row('', 'Gantry (watch)', 'kubectl bulk', 'ratio');
    row(
      'connect -> complete tree (median)',
      ms(oursComplete),
      ms(median(b.completeMs)),
      `${(median(b.completeMs) / oursComplete).toFixed(1)}x`,
    );
    row(
      '  CPU (kubectl: its processes + grouping)',
      ms(median(ours.cpuMs)),
      ms(median(b.cpuMs)),
      `${(median(b.cpuMs) / median(ours.cpuMs)).toFixed(1)}x`,
    );
    row(
      '  MiB (Gantry heap; kubectl RSS sum + heap)',
      median(ours.heapGrowthMiB).toFixed(0),
      median(b.peakMiB).toFixed(0),
    );
    row(
      '  floor: the same lists read, not parsed',
      `${ms(median(ours.floorMs))}`,
      `${(ours.floorBytes / 1048576).toFixed(0)} MiB`,
    );
    row('  tree nodes at the end (both complete)', String(ours.treeNodes), String(b.treeNodes));
    row('  requests / processes', 'lists+watches', `${b.calls} kubectl in parallel`);
    console.log('');
    row('secondary: one kubectl per expanded folder', 'Gantry (watch)', 'kubectl per folder', 'ratio');
    row(
      'connect -> complete tree (median of runs)',
      ms(oursComplete),
      `${ms(kube.completeMs)}${kube.sampled ? '*' : ''}`,
      `${(kube.completeMs / oursComplete).toFixed(1)}x`,
    );
    row(
      '  of which lists (all kinds, first sync)',
      ms(median(ours.firstListMs)),
      ms(kube.kindFolderMs) + ' (2 kinds)',
    );
    row('  CPU time in this process (median)', ms(median(ours.cpuMs)), '');
    row('  requests / processes', 'lists+watches', `${kube.calls} kubectl runs`);
    const upd = ours.updateMs.filter((x) => Number.isFinite(x));
    row('pod status patch -> tree update (median)', ms(median(upd)), 'no push: user refreshes');
    row('  p95 / max', `${ms(pct(upd, 0.95))} / ${ms(Math.max(...upd))}`, '');
    row(
      '  kubectl: refresh one expanded workload',
      '',
      `${ms(median(kube.refreshPodsMs))} (p95 ${ms(pct(kube.refreshPodsMs, 0.95))})`,
      `${(median(kube.refreshPodsMs) / median(upd)).toFixed(1)}x`,
    );
    row(
      '  kubectl: refresh every expanded folder',
      '',
      ms(kube.completeMs),
      `${(kube.completeMs / median(upd)).toFixed(0)}x`,
    );
    if (upd.length < ours.updateMs.length)
      row('  updates not seen within 10 s', String(ours.updateMs.length - upd.length), '');
    if (gc) {
      row('heap: caches (all objects)', `${(ours.heapCacheBytes / 1048576).toFixed(1)} MiB`, 'no cache');
      row('heap: caches + both tree models', `${(ours.heapTreesBytes / 1048576).toFixed(1)} MiB`, '');
      row(
        'bytes per cached object',
        `${Math.round(ours.heapCacheBytes / ours.objects)} B`,
        `(${ours.objects} objects)`,
      );
      row('heap left after dispose (leak check)', `${(ours.heapLeakBytes / 1048576).toFixed(1)} MiB`, '');
    }
    row('JSON transferred for a full expansion', '', `${(kube.bytes / 1048576).toFixed(1)} MiB`);
    console.log(
      `runs: complete ${ours.completeMs.map(ms).join(', ')}; floor ${ours.floorMs.map(ms).join(', ')}; updates ${upd.map((x) => x.toFixed(0)).join(' ')}`,
    );
    if (kube.sampled)
      console.log(
        '* kubectl total extrapolated from the folders expanded (--kubectl-workloads / --kubectl-nodes)',
      );
    console.log(`machine: ${cpus().length} CPUs, load average ${load} (1/5/15 min) at the end of the run`);
    console.log('Targets: complete tree < 2 s; update < 200 ms; >= 5x faster than the kubectl approach.');
  } finally {
    if (args.keep && !args.attach) {
      // Recorded where `npm run cluster:down` looks, so one command stops it later.
      await mkdir(keptClustersDir(), { recursive: true });
      const kept = join(keptClustersDir(), `bench-sidebar-${Date.now()}.json`);
      await copyFile(process.env.GANTRY_BENCH_STATE!, kept);
      console.log(`cluster kept: GANTRY_CLUSTER_STATE=${process.env.GANTRY_BENCH_STATE}`);
      console.log('stop it (and any other cluster Gantry left running) with: npm run cluster:down');
    } else await cluster.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
