// A simulated GPU metrics exporter: an HTTP server speaking dcgm-exporter's text format (the lines of
// test/fixtures/dcgm/, one set per GPU) behind a selectorless Service the apiserver's service proxy reaches.
//
// Why not 127.0.0.1: the apiserver refuses loopback endpoints. Endpoints and EndpointSlices with 127.0.0.0/8
// fail validation ("may not be in the loopback range"). And the service proxy only dials addresses that are
// pods: an Endpoints address needs a targetRef to a Pod whose status.podIPs holds that IP (kube-apiserver
// pkg/registry/core/service/storage/storage.go isValidAddress). So the simulation is honest all the way: a
// kwok exporter pod (labelled like dcgm-exporter's) whose status reports this machine's own non-loopback
// address as its pod IP (set through the status subresource, as a CNI would), Endpoints pointing at that pod,
// and the HTTP server listening on that address (the apiserver runs on the same machine and dials it
// directly). Nothing else listens there; dispose() closes the server.
import { createServer, type Server } from 'node:http';
import { networkInterfaces } from 'node:os';
import type { TestCluster } from './index';
import { kubectlInput } from './stream';

export interface SimGpu {
  uuid: string;
  gpu: number;
  host: string;
  util: number;
  fbUsedMiB: number;
  powerW: number;
  /** dcgm-exporter's Kubernetes pod mapping labels (omit for an exporter without it). */
  pod?: { namespace: string; name: string; container: string };
}

export interface SimExporter {
  address: string;
  port: number;
  /** Scrapes served so far. */
  readonly scrapes: number;
  setGpus(g: SimGpu[]): void;
  dispose(): Promise<void>;
}

/** The machine's first non-internal IPv4 address (the apiserver's proxy will not dial loopback). */
export function hostAddress(): string {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  throw new Error(
    'no non-loopback IPv4 address: the apiserver service proxy cannot reach a simulated exporter',
  );
}

/** dcgm-exporter's exposition of the three fields Gantry reads, label order as dcgm-exporter writes it. */
export function renderDcgm(gpus: readonly SimGpu[]): string {
  const labels = (g: SimGpu) => {
    const base = `gpu="${g.gpu}",UUID="${g.uuid}",pci_bus_id="00000000:${(0x53 + g.gpu * 0x11).toString(16).toUpperCase()}:00.0",device="nvidia${g.gpu}",modelName="NVIDIA H100 80GB HBM3",Hostname="${g.host}"`;
    return g.pod
      ? `${base},container="${g.pod.container}",namespace="${g.pod.namespace}",pod="${g.pod.name}"`
      : `${base},container="",namespace="",pod=""`;
  };
  const out: string[] = [];
  const field = (name: string, help: string, v: (g: SimGpu) => number) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const g of gpus) out.push(`${name}{${labels(g)}} ${v(g)}`);
  };
  field('DCGM_FI_DEV_GPU_UTIL', 'GPU utilization (in %).', (g) => g.util);
  field('DCGM_FI_DEV_FB_USED', 'Framebuffer memory used (in MiB).', (g) => g.fbUsedMiB);
  field('DCGM_FI_DEV_POWER_USAGE', 'Power draw (in W).', (g) => g.powerW);
  return `${out.join('\n')}\n`;
}

/** Starts the server and publishes `namespace/name` (labelled like the dcgm-exporter helm chart) pointing at it. */
export async function startSimExporter(
  cluster: TestCluster,
  namespace: string,
  name = 'dcgm-exporter',
): Promise<SimExporter> {
  const address = hostAddress();
  let gpus: SimGpu[] = [];
  let scrapes = 0;
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    scrapes++;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(renderDcgm(gpus));
  });
  await new Promise<void>((r) => server.listen(0, address, r));
  const port = (server.address() as { port: number }).port;
  const podName = `${name}-sim`;
  const labels = { 'app.kubernetes.io/name': 'dcgm-exporter' };
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: podName, namespace, labels },
    spec: {
      nodeSelector: { 'gantry.dev/pool': 'cpu' },
      containers: [{ name: 'exporter', image: 'nvcr.io/nvidia/k8s/dcgm-exporter:4.4.1-4.6.0-ubuntu22.04' }],
    },
  };
  const made = await cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify(pod) });
  if (made.code !== 0) {
    server.close();
    throw new Error(`simulated exporter pod: ${made.stderr}`);
  }
  // Wait for kwok to run it, then report the address the server listens on as its pod IP.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await cluster.kubectl([
      'get',
      'pod',
      '-n',
      namespace,
      podName,
      '-o',
      'jsonpath={.status.phase}',
    ]);
    if (r.stdout === 'Running') break;
    if (Date.now() > deadline) throw new Error(`simulated exporter pod not Running: ${r.stdout} ${r.stderr}`);
    await new Promise((res) => setTimeout(res, 200));
  }
  const patched = await cluster.kubectl([
    'patch',
    'pod',
    '-n',
    namespace,
    podName,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({ status: { podIP: address, podIPs: [{ ip: address }] } }),
  ]);
  if (patched.code !== 0) throw new Error(`simulated exporter pod IP: ${patched.stderr}`);
  const objects = [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace, labels },
      spec: { ports: [{ name: 'metrics', port: 9400, targetPort: port, protocol: 'TCP' }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name, namespace },
      subsets: [
        {
          addresses: [{ ip: address, targetRef: { kind: 'Pod', namespace, name: podName } }],
          ports: [{ name: 'metrics', port, protocol: 'TCP' }],
        },
      ],
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-sim`, namespace, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ name: 'metrics', port, protocol: 'TCP' }],
      endpoints: [
        {
          addresses: [address],
          conditions: { ready: true },
          targetRef: { kind: 'Pod', namespace, name: podName },
        },
      ],
    },
  ];
  const r = await cluster.kubectl(['create', '-f', '-'], {
    input: kubectlInput(objects),
  });
  if (r.code !== 0) {
    server.close();
    throw new Error(`simulated exporter objects: ${r.stderr}`);
  }
  return {
    address,
    port,
    get scrapes() {
      return scrapes;
    },
    setGpus: (g) => (gpus = g),
    dispose: async () => {
      await cluster.kubectl([
        'delete',
        '-n',
        namespace,
        'service',
        name,
        '--ignore-not-found',
        '--wait=false',
      ]);
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}
