// npm run bench:dra — the cost of DRA GPUs and utilisation in the GPUs tree at a large cluster's size, pure code
// (no cluster): 500 DRA nodes x 8 H100 (4,000 devices) plus 100 nodes whose last GPU is also 7 MIG partitions
// on shared counters, 3,000 claims held by 3,000 pods; then
//   - building the tree from the snapshot;
//   - one batch of 200 claim changes (pods starting) applied as LiveTrees does (applyDra, one recomputation);
//   - one exporter scrape of all 4,800 GPUs (dcgm-exporter text) parsed and mapped to pods by UUID.
// Prints medians of N runs (RUNS, default 7) and the machine; no assertions.
import { deviceKey } from '../../src/core/dra';
import { GPU_METRIC_NAMES, gpuReadings, parsePrometheusText, usageByPod } from '../../src/core/gpuMetrics';
import type { KubeObject } from '../../src/core/kube';
import { buildGpuTree, type WatchChange } from '../../src/core/tree';
import { cpus, loadavg } from 'node:os';

const RUNS = Number(process.env.RUNS ?? 7);
const NODES = 600;
const H100 = 'NVIDIA H100 80GB HBM3';

const node = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, uid: name },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
});
const uuid = (n: number, d: string) => `GPU-${n}-${d}`;

function slices(i: number): KubeObject[] {
  const name = `dra-${i}`;
  const mig = i >= 500;
  const gpu = (j: number) => ({
    name: `gpu-${j}`,
    attributes: {
      type: { string: 'gpu' },
      productName: { string: H100 },
      uuid: { string: uuid(i, `gpu-${j}`) },
    },
    ...(mig && j === 7
      ? { consumesCounters: [{ counterSet: 'c7', counters: { slices: { value: '7' } } }] }
      : {}),
  });
  const devices: unknown[] = [0, 1, 2, 3, 4, 5, 6, 7].map(gpu);
  if (mig)
    for (let k = 0; k < 7; k++)
      devices.push({
        name: `gpu-7-mig-${k}`,
        attributes: {
          type: { string: 'mig' },
          productName: { string: H100 },
          profile: { string: '1g.10gb' },
          uuid: { string: uuid(i, `gpu-7-mig-${k}`) },
        },
        consumesCounters: [{ counterSet: 'c7', counters: { slices: { value: '1' } } }],
      });
  const pool = { name, generation: 1, resourceSliceCount: mig ? 2 : 1 };
  const out: KubeObject[] = [
    {
      apiVersion: 'resource.k8s.io/v1',
      kind: 'ResourceSlice',
      metadata: { name: `${name}-gpus`, uid: `${name}-gpus` },
      spec: { driver: 'gpu.nvidia.com', nodeName: name, pool, devices },
    },
  ];
  if (mig)
    out.push({
      apiVersion: 'resource.k8s.io/v1',
      kind: 'ResourceSlice',
      metadata: { name: `${name}-ctr`, uid: `${name}-ctr` },
      spec: {
        driver: 'gpu.nvidia.com',
        nodeName: name,
        pool,
        sharedCounters: [{ name: 'c7', counters: { slices: { value: '7' } } }],
      },
    });
  return out;
}

function claimAndPod(k: number): [KubeObject, KubeObject] {
  const n = k % 500;
  const dev = `gpu-${Math.floor(k / 500)}`;
  const pod = `p-${k}`;
  const claim: KubeObject = {
    apiVersion: 'resource.k8s.io/v1',
    kind: 'ResourceClaim',
    metadata: { name: `${pod}-gpu`, namespace: 'ml', uid: `c-${k}` },
    status: {
      allocation: {
        devices: { results: [{ request: 'gpu', driver: 'gpu.nvidia.com', pool: `dra-${n}`, device: dev }] },
      },
      reservedFor: [{ resource: 'pods', name: pod, uid: `u-${k}` }],
    },
  };
  const p: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod, namespace: 'ml', uid: `u-${k}` },
    spec: { nodeName: `dra-${n}`, containers: [{ name: 'main' }] },
    status: { phase: 'Running', resourceClaimStatuses: [{ name: 'gpu', resourceClaimName: `${pod}-gpu` }] },
  };
  return [claim, p];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = (f: () => void) => {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e6;
};

const nodes = Array.from({ length: NODES }, (_, i) => node(`dra-${i}`));
const allSlices = Array.from({ length: NODES }, (_, i) => slices(i)).flat();
const held = Array.from({ length: 3000 }, (_, k) => claimAndPod(k));
const fresh = Array.from({ length: 200 }, (_, k) => claimAndPod(3000 + k)); // k 3000..3199 -> gpu-6 of nodes 0..199

const build: number[] = [];
const batch: number[] = [];
const scrape: number[] = [];
let refreshed = 0;
const text = (() => {
  const lines: string[] = [];
  for (let i = 0; i < NODES; i++)
    for (let j = 0; j < 8; j++)
      lines.push(
        `DCGM_FI_DEV_GPU_UTIL{gpu="${j}",UUID="${uuid(i, `gpu-${j}`)}",device="nvidia${j}",modelName="${H100}",Hostname="dra-${i}",container="",namespace="",pod=""} ${(i * 7 + j) % 100}`,
        `DCGM_FI_DEV_FB_USED{gpu="${j}",UUID="${uuid(i, `gpu-${j}`)}",device="nvidia${j}",modelName="${H100}",Hostname="dra-${i}",container="",namespace="",pod=""} 70000`,
        `DCGM_FI_DEV_POWER_USAGE{gpu="${j}",UUID="${uuid(i, `gpu-${j}`)}",device="nvidia${j}",modelName="${H100}",Hostname="dra-${i}",container="",namespace="",pod=""} 600.5`,
      );
  return `${lines.join('\n')}\n`;
})();
let mapped = 0;
for (let r = 0; r < RUNS; r++) {
  let tree!: ReturnType<typeof buildGpuTree>;
  build.push(
    time(() => {
      tree = buildGpuTree({
        nodes,
        pods: held.map(([, p]) => p),
        resourceSlices: allSlices,
        resourceClaims: held.map(([c]) => c),
      });
    }),
  );
  for (const [, p] of fresh) tree.apply({ type: 'added', object: p });
  const changes: WatchChange[] = fresh.map(([c]) => ({ type: 'added', object: c }));
  batch.push(time(() => (refreshed = tree.applyDra(changes).length)));
  scrape.push(
    time(() => {
      const dra = tree.dra;
      const byUuid = new Map(dra.inventory.devices.map((d) => [d.uuid, d]));
      const u = usageByPod(gpuReadings(parsePrometheusText(text, GPU_METRIC_NAMES)), (id) => {
        const d = byUuid.get(id);
        const p = d ? dra.allocation.byDevice.get(deviceKey(d.driver, d.pool, d.name))?.pods[0] : undefined;
        return p ? { namespace: p.namespace, name: p.name } : undefined;
      });
      mapped = u.size;
    }),
  );
}
console.log(
  `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (1/5/15 min), node ${process.version}`,
);
console.log(
  `pool: ${NODES} nodes, ${allSlices.length} slices, ${NODES * 8 + 100 * 7} devices, ${held.length} claims; runs ${RUNS}`,
);
console.log(`build GPUs tree with DRA: median ${median(build).toFixed(1)} ms`);
console.log(
  `batch of 200 claims (applyDra): median ${median(batch).toFixed(1)} ms, ${refreshed} ids refreshed`,
);
console.log(
  `scrape of ${NODES * 8} GPUs (${(text.length / 1024).toFixed(0)} KiB) parsed and mapped by UUID: median ${median(scrape).toFixed(1)} ms, ${mapped} pods`,
);
