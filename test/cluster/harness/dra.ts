// A DRA GPU node pool, published the way NVIDIA's DRA driver (k8s-dra-driver-gpu, driver `gpu.nvidia.com`) does:
// two kwok nodes with no `nvidia.com/gpu` in allocatable, one ResourceSlice pool per node with 8 H100 devices
// (attributes type/productName/uuid/index, capacity memory), the second node's last GPU also offered as 7 MIG
// 1g.10gb partitions through shared counters (partitionable devices), and the DeviceClasses `gpu.nvidia.com` /
// `mig.nvidia.com` with the driver's CEL selectors. The real kube-scheduler allocates claims from these slices.
// Created per test (names carry a random suffix) and removed by dispose(): the fixture pool and other tests'
// GPU counts stay as they are. The nodes carry a `gantry.dev/dra` NoSchedule taint so only pods that tolerate it
// land there.
import { createHash, randomBytes } from 'node:crypto';
import type { TestCluster } from './index';
import { kubectlInput } from './stream';

export const H100_PRODUCT = 'NVIDIA H100 80GB HBM3';
export const DRA_TAINT = { key: 'gantry.dev/dra', value: 'true', effect: 'NoSchedule' } as const;

export interface DraPool {
  nodes: string[];
  /** UUID of each device by node and device name. */
  uuid(node: string, device: string): string;
  dispose(): Promise<void>;
}

function nodeObject(name: string, version: string): unknown {
  const id = createHash('sha256').update(name).digest('hex');
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
        'gantry.dev/pool': 'dra-h100',
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'kwok.x-k8s.io/node': 'fake' },
    },
    spec: { taints: [DRA_TAINT] },
    status: {
      capacity: { cpu: '96', memory: '2063973620Ki', pods: '110' },
      allocatable: { cpu: '95500m', memory: '2058730740Ki', pods: '110' },
      nodeInfo: {
        machineID: id.slice(0, 32),
        systemUUID: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`,
        bootID: id.slice(32, 64),
        kubeProxyVersion: '',
        kubeletVersion: version,
        architecture: 'amd64',
        operatingSystem: 'linux',
        osImage: 'Ubuntu 22.04.4 LTS',
        kernelVersion: '5.15.0-119-generic',
        containerRuntimeVersion: 'containerd://1.7.20',
      },
    },
  };
}

const uuidOf = (node: string, device: string) => {
  const h = createHash('sha256').update(`${node}/${device}`).digest('hex');
  return `GPU-${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

function gpu(node: string, i: number, counters?: string): unknown {
  const d: Record<string, unknown> = {
    name: `gpu-${i}`,
    attributes: {
      type: { string: 'gpu' },
      productName: { string: H100_PRODUCT },
      uuid: { string: uuidOf(node, `gpu-${i}`) },
      index: { int: i },
      architecture: { string: 'Hopper' },
      brand: { string: 'Nvidia' },
    },
    capacity: { memory: { value: '80Gi' } },
  };
  if (counters)
    d.consumesCounters = [
      { counterSet: counters, counters: { memory: { value: '80Gi' }, slices: { value: '7' } } },
    ];
  return d;
}

function mig(node: string, parent: number, j: number, counters: string): unknown {
  const name = `gpu-${parent}-mig-1g10gb-${j}`;
  return {
    name,
    attributes: {
      type: { string: 'mig' },
      productName: { string: H100_PRODUCT },
      profile: { string: '1g.10gb' },
      uuid: { string: uuidOf(node, name).replace(/^GPU-/, 'MIG-') },
      parentUUID: { string: uuidOf(node, `gpu-${parent}`) },
      parentIndex: { int: parent },
    },
    capacity: { memory: { value: '10Gi' } },
    consumesCounters: [
      { counterSet: counters, counters: { memory: { value: '10Gi' }, slices: { value: '1' } } },
    ],
  };
}

function sliceObject(name: string, node: string, count: number, spec: Record<string, unknown>): unknown {
  return {
    apiVersion: 'resource.k8s.io/v1',
    kind: 'ResourceSlice',
    metadata: { name, labels: { 'gantry.dev/test': 'dra' } },
    spec: {
      driver: 'gpu.nvidia.com',
      nodeName: node,
      pool: { name: node, generation: 1, resourceSliceCount: count },
      ...spec,
    },
  };
}

export const DEVICE_CLASSES = [
  {
    apiVersion: 'resource.k8s.io/v1',
    kind: 'DeviceClass',
    metadata: { name: 'gpu.nvidia.com' },
    spec: {
      selectors: [
        {
          cel: {
            expression:
              "device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == 'gpu'",
          },
        },
      ],
    },
  },
  {
    apiVersion: 'resource.k8s.io/v1',
    kind: 'DeviceClass',
    metadata: { name: 'mig.nvidia.com' },
    spec: {
      selectors: [
        {
          cel: {
            expression:
              "device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == 'mig'",
          },
        },
      ],
    },
  },
];

async function kubectlJson(cluster: TestCluster, args: string[], objects: readonly unknown[]): Promise<void> {
  const r = await cluster.kubectl(args, { input: kubectlInput(objects) });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
}

/** Publishes the DRA pool and waits until kwok reports both nodes Ready. */
export async function publishDraPool(cluster: TestCluster): Promise<DraPool> {
  const suffix = randomBytes(3).toString('hex');
  const nodes = [`dra-h100-${suffix}-0`, `dra-h100-${suffix}-1`];
  const slices: string[] = [];
  // DRA v1 is served from Kubernetes 1.34 on (1.30 has only v1alpha2, behind a feature gate): ask discovery,
  // and say so rather than fail later in kubectl ("no matches for kind DeviceClass").
  const served = await cluster.kubectl(['get', '--raw', '/apis/resource.k8s.io']);
  if (!served.stdout.includes('"groupVersion":"resource.k8s.io/v1"'))
    throw new Error(
      `this cluster (Kubernetes ${cluster.version}) does not serve resource.k8s.io/v1, so there is no DRA v1 ` +
        `pool to publish (discovery: ${served.stdout.trim() || served.stderr.trim()})`,
    );
  await kubectlJson(
    cluster,
    ['apply', '--server-side', '--field-manager=gantry-test', '-f', '-'],
    DEVICE_CLASSES,
  );
  await kubectlJson(
    cluster,
    ['create', '-f', '-'],
    nodes.map((n) => nodeObject(n, cluster.version)),
  );
  const [n0, n1] = nodes as [string, string];
  const items = [
    sliceObject(`${n0}-gpu.nvidia.com`, n0, 1, { devices: [0, 1, 2, 3, 4, 5, 6, 7].map((i) => gpu(n0, i)) }),
    sliceObject(`${n1}-counters`, n1, 2, {
      sharedCounters: [
        { name: 'gpu-7-counters', counters: { memory: { value: '80Gi' }, slices: { value: '7' } } },
      ],
    }),
    sliceObject(`${n1}-gpu.nvidia.com`, n1, 2, {
      devices: [
        ...[0, 1, 2, 3, 4, 5, 6].map((i) => gpu(n1, i)),
        gpu(n1, 7, 'gpu-7-counters'),
        ...[0, 1, 2, 3, 4, 5, 6].map((j) => mig(n1, 7, j, 'gpu-7-counters')),
      ],
    }),
  ];
  for (const s of items) slices.push((s as { metadata: { name: string } }).metadata.name);
  await kubectlJson(cluster, ['create', '-f', '-'], items);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await cluster.kubectl([
      'get',
      'nodes',
      ...nodes,
      '-o',
      'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
    ]);
    if (
      r.code === 0 &&
      r.stdout
        .trim()
        .split('\n')
        .filter((l) => l === 'True').length === nodes.length
    )
      break;
    if (Date.now() > deadline) throw new Error(`DRA nodes not Ready: ${r.stdout} ${r.stderr}`);
    await new Promise((res) => setTimeout(res, 250));
  }
  return {
    nodes,
    uuid: uuidOf,
    dispose: async () => {
      await cluster.kubectl(['delete', 'resourceslices', ...slices, '--ignore-not-found', '--wait=false']);
      await cluster.kubectl(['delete', 'nodes', ...nodes, '--ignore-not-found', '--wait=false']);
    },
  };
}
