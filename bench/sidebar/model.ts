// npm run bench:sidebar:model — the Gantry side of the sidebar bench without a cluster: the same world
// bench/sidebar/run.ts seeds (GPU nodes, PyTorchJobs and batch Jobs, pods owned and labelled like the operators
// do), built in memory, then both tree models built and walked to the complete tree, then pod status changes
// applied one by one. Measures the CPU cost of grouping and ownership resolution alone, so its growth with the
// pod count can be read apart from the apiserver's and the network's (profile: node --cpu-prof ...).
// Options: --pods N (list: "1000,5000,20000,50000"), --per-node N (pods per node, default 10), --per-workload N
// (pods per workload, default 16.7 like run.ts's 5,000 / 300), --updates N.
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { findKindDef, toMlKind } from '../../src/core/kinds';
import type { KubeObject } from '../../src/core/kube';
import { buildGpuTree, buildWorkloadTree, ROOT, type WorkloadTreeModel } from '../../src/core/tree';

const { values: args } = parseArgs({
  options: {
    pods: { type: 'string', default: '1000,5000,20000,50000' },
    'per-node': { type: 'string', default: '10' },
    'per-workload': { type: 'string', default: String(5000 / 300) },
    updates: { type: 'string', default: '200' },
    nodes: { type: 'string' },
    workloads: { type: 'string' },
  },
});

const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
};

export interface World {
  nodes: KubeObject[];
  workloads: Map<string, KubeObject[]>;
  pods: KubeObject[];
}

/** The objects run.ts seeds, as the apiserver returns them (uids, owners, labels, Running pods). */
export function world(nPods: number, nNodes: number, nWorkloads: number, nNs = 10): World {
  const nodes: KubeObject[] = [];
  for (let i = 0; i < nNodes; i++) {
    const name = `bench-gpu-${String(i).padStart(4, '0')}`;
    nodes.push({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        uid: `node-${i}`,
        labels: { 'nvidia.com/gpu.present': 'true', 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' },
      },
      spec: { taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }] },
      status: {
        capacity: { cpu: '224', memory: '2Ti', pods: '110', 'nvidia.com/gpu': '8' },
        allocatable: { cpu: '220', memory: '2Ti', pods: '110', 'nvidia.com/gpu': '8' },
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    });
  }
  const pt: KubeObject[] = [];
  const jobs: KubeObject[] = [];
  const ws: { o: KubeObject; isJob: boolean }[] = [];
  const created = new Date(Date.now() - 3600_000).toISOString();
  for (let i = 0; i < nWorkloads; i++) {
    const ns = `bench-team-${i % nNs}`;
    const isJob = i % 3 === 2;
    const o: KubeObject = isJob
      ? {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: { name: `prep-${i}`, namespace: ns, uid: `w-${i}`, creationTimestamp: created },
          spec: { suspend: true, template: { spec: { containers: [{ name: 'main', image: 'prep:1' }] } } },
          status: {},
        }
      : {
          apiVersion: 'kubeflow.org/v1',
          kind: 'PyTorchJob',
          metadata: { name: `train-${i}`, namespace: ns, uid: `w-${i}`, creationTimestamp: created },
          spec: {
            pytorchReplicaSpecs: {
              Master: { replicas: 1, template: { spec: { containers: [{ name: 'pytorch' }] } } },
              Worker: { replicas: 15, template: { spec: { containers: [{ name: 'pytorch' }] } } },
            },
          },
          status: { conditions: [{ type: 'Running', status: 'True', reason: 'PyTorchJobRunning' }] },
        };
    (isJob ? jobs : pt).push(o);
    ws.push({ o, isJob });
  }
  const pods: KubeObject[] = [];
  for (let i = 0; i < nPods; i++) {
    const { o: w, isJob } = ws[i % ws.length]!;
    const idx = Math.floor(i / ws.length);
    const node = `bench-gpu-${String(i % nNodes).padStart(4, '0')}`;
    const gpu = Math.floor(i / nNodes) < 8;
    const name = isJob
      ? `${w.metadata.name}-${idx}`
      : `${w.metadata.name}-${idx === 0 ? 'master' : 'worker'}-${idx === 0 ? 0 : idx - 1}`;
    const labels: Record<string, string> = isJob
      ? { 'batch.kubernetes.io/job-name': w.metadata.name, 'job-name': w.metadata.name }
      : {
          'training.kubeflow.org/job-name': w.metadata.name,
          'training.kubeflow.org/replica-type': idx === 0 ? 'master' : 'worker',
          'training.kubeflow.org/replica-index': String(idx === 0 ? 0 : idx - 1),
        };
    pods.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: w.metadata.namespace,
        uid: `p-${i}`,
        resourceVersion: '1',
        creationTimestamp: created,
        labels,
        ownerReferences: [
          {
            apiVersion: w.apiVersion,
            kind: w.kind,
            name: w.metadata.name,
            uid: w.metadata.uid!,
            controller: true,
          },
        ],
      },
      spec: {
        nodeName: node,
        containers: [
          {
            name: isJob ? 'main' : 'pytorch',
            image: 'trainer:1',
            resources: gpu ? { limits: { 'nvidia.com/gpu': '1' } } : { requests: { cpu: '1' } },
          },
        ],
      },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [{ name: 'pytorch', ready: true, restartCount: 0, state: { running: {} } }],
      },
    });
  }
  const kind = (g: string, k: string, v: string) => toMlKind(findKindDef(g, k)!, v);
  const workloads = new Map<string, KubeObject[]>([
    [kind('kubeflow.org', 'PyTorchJob', 'v1').key, pt],
    [kind('batch', 'Job', 'v1').key, jobs],
  ]);
  return { nodes, workloads, pods };
}

function walk(t: { children(id?: string): { id: string; collapsible: string }[] }): number {
  let n = 0;
  const go = (id: string): void => {
    for (const c of t.children(id)) {
      n++;
      if (c.collapsible !== 'none') go(c.id);
    }
  };
  go(ROOT);
  return n;
}

function main(): void {
  const perNode = Number(args['per-node']);
  const perWorkload = Number(args['per-workload']);
  const updates = Number(args.updates);
  console.log(
    'pods    nodes  workloads  build+walk ms  rows     update p50/p95 ms  heap MiB (objects + trees)',
  );
  for (const nPods of args.pods!.split(',').map(Number)) {
    const nNodes = args.nodes ? Number(args.nodes) : Math.max(1, Math.round(nPods / perNode));
    const nW = args.workloads ? Number(args.workloads) : Math.max(1, Math.round(nPods / perWorkload));
    const h0 = heap();
    const w = world(nPods, nNodes, nW);
    const kinds = [...w.workloads.keys()].map((k) => {
      const [kk, ...g] = k.split('.');
      return toMlKind(findKindDef(g.join('.'), kk!)!, kk === 'Job' ? 'v1' : 'v1');
    });
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let wt: WorkloadTreeModel | undefined = undefined;
    const snap = { kinds, workloads: w.workloads, pods: w.pods, events: [], nodes: w.nodes };
    wt = buildWorkloadTree(snap, { pool: () => gt.pool() });
    const gt = buildGpuTree(snap, (p) => wt!.workloadRefOf(p));
    const rows = walk(wt) + walk(gt);
    const t1 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const lat: number[] = [];
    for (let i = 0; i < updates; i++) {
      const p = w.pods[(i * 997) % w.pods.length]!;
      const q: KubeObject = {
        ...p,
        metadata: { ...p.metadata, resourceVersion: String(i + 2) },
        status: { phase: 'Failed', reason: 'Evicted', message: `sample ${i}` },
      };
      w.pods[(i * 997) % w.pods.length] = q;
      const s = performance.now();
      const ids = wt.apply({ type: 'modified', object: q });
      // As LiveTrees.apply: a GPU tree change re-explains the waiting workloads against the pool.
      if (gt.apply({ type: 'modified', object: q }).length) for (const id of wt.poolChanged()) ids.push(id);
      // The view asks for the refreshed rows again.
      for (const id of ids) wt.node(id);
      lat.push(performance.now() - s);
    }
    lat.sort((a, b) => a - b);
    // A node heartbeat or any GPU change re-explains every waiting workload against the pool.
    const pc: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = performance.now();
      wt.poolChanged();
      pc.push(performance.now() - s);
    }
    pc.sort((a, b) => a - b);
    const mib = (heap() - h0) / 1048576;
    console.log(
      `${String(nPods).padEnd(7)} ${String(nNodes).padEnd(6)} ${String(nW).padEnd(10)} ${`${(t1 - t0).toFixed(0)} (${cpuMs.toFixed(0)})`.padStart(19)}  ${String(rows).padEnd(8)} ${`${lat[Math.floor(lat.length / 2)]!.toFixed(2)}/${lat[Math.floor(lat.length * 0.95)]!.toFixed(2)}`.padEnd(18)} ${pc[2]!.toFixed(1).padEnd(15)} ${mib.toFixed(1)}`,
    );
  }
  console.log(
    `machine: ${cpus().length} CPUs, load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
}

main();
