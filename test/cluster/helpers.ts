// Small helpers shared by the cluster tests.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { ClusterConnection } from '../../src/k8s/connection';
import { loadKubeconfig, type MergedKubeconfig } from '../../src/k8s/kubeconfig';
import { ClusterModelSource } from '../../src/k8s/modelSource';
import { ClusterModel } from '../../src/model/clusterModel';
import { Rest } from './harness/rest';
import type { TestCluster } from './harness/index';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`,
  );
}

export function rest(cluster: TestCluster): Promise<Rest> {
  return Rest.fromKubeconfig(cluster.kubeconfigPath);
}

export interface ScopedModel {
  cfg: MergedKubeconfig;
  /** A new connection to the cluster's current context (each caller disposes its own or lets the test end). */
  conn(): ClusterConnection;
  /** Gantry's model scoped to the given namespaces, started and connected. */
  model: ClusterModel;
}

/** The cluster's kubeconfig as Gantry loads it, and Gantry's model scoped to `namespaces`, connected. */
export async function scopedModel(cluster: TestCluster, namespaces: string[]): Promise<ScopedModel> {
  const loaded = loadKubeconfig({ explicitPath: cluster.kubeconfigPath });
  assert.equal(loaded.kind, 'ok');
  const cfg = loaded as MergedKubeconfig;
  const conn = (): ClusterConnection => {
    const c = ClusterConnection.create(cfg, cfg.currentContext!);
    assert.ok(c.ok);
    return c.value;
  };
  const model = new ClusterModel(new ClusterModelSource(conn(), { scope: { kind: 'some', namespaces } }));
  assert.equal((await model.start()).state, 'connected');
  return { cfg, conn, model };
}

export async function apply(cluster: TestCluster, ns: string, manifest: unknown): Promise<void> {
  const r = await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: JSON.stringify(manifest) });
  if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`);
}

export function gpuPod(
  name: string,
  opts: {
    gpus?: number;
    resource?: string;
    product?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    owner?: unknown;
  } = {},
): Json {
  const resource = opts.resource ?? 'nvidia.com/gpu';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, annotations: opts.annotations, labels: opts.labels },
    spec: {
      restartPolicy: 'Never',
      ...(opts.product ? { nodeSelector: { 'nvidia.com/gpu.product': opts.product } } : {}),
      tolerations: [
        { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'amd.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
      ],
      containers: [
        {
          name: 'main',
          image: 'nvcr.io/nvidia/pytorch:24.05-py3',
          ...(opts.gpus ? { resources: { limits: { [resource]: String(opts.gpus) } } } : {}),
        },
      ],
    },
  };
}

/**
 * A training-operator replica spec of `replicas` pods with `gpus` H100 GPUs each (tolerating the GPU taint).
 * `annotations` go on the pod template: the real operator does not copy the job's onto its pods, and kwok's
 * stages read the `sim.gantry.dev/*` knobs from the pod.
 */
export function h100Replica(replicas: number, gpus: number, annotations?: Record<string, string>): Json {
  return {
    replicas,
    restartPolicy: 'OnFailure',
    template: {
      ...(annotations ? { metadata: { annotations } } : {}),
      spec: {
        tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
        nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' },
        containers: [
          { name: 'pytorch', image: 'trainer:1.0', resources: { limits: { 'nvidia.com/gpu': gpus } } },
        ],
      },
    },
  };
}

/** A loopback "container": answers `<who> <path>`. */
export async function whoServer(who: string): Promise<{ port: number; close(): Promise<void> }> {
  const s = http.createServer((req, res) => res.end(`${who} ${req.url}`));
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    port: (s.address() as AddressInfo).port,
    close: async () => {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    },
  };
}

/** GET without keep-alive: status and body as text. */
export function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, timeout: 20_000 }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}
