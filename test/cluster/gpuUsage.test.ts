// GPU utilisation of DRA GPUs end to end against the real apiserver: a simulated dcgm-exporter without pod
// mapping behind a Service, its GPUs matched to the pod by the DRA devices' UUIDs, figures read through the
// apiserver's service proxy on the DRA pod's row and its workload row. Needs resource.k8s.io/v1 (Kubernetes
// 1.34+): on 1.30 before() fails with publishDraPool's message. The exporter's own behaviour (no exporter, a
// missing one, hidden view, permissions) is gpuUsageExporter.test.ts, with device-plugin GPUs, on every version.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ClusterConnection } from '../../src/k8s/connection';
import { ROOT, type GpuTreeNode } from '../../src/core/tree';
import { type ClusterModel } from '../../src/model/clusterModel';
import { GpuUsagePoller } from '../../src/model/gpuUsage';
import { sharedCluster, type TestCluster } from './harness/index';
import { DRA_TAINT, publishDraPool, type DraPool } from './harness/dra';
import { startSimExporter, type SimExporter } from './harness/exporter';
import { apply, scopedModel, waitFor, type Json } from './helpers';

let cluster: TestCluster;
let ns: string;
let pool: DraPool;
let model: ClusterModel;
let exporter: SimExporter | undefined;
let podName = '';

let conn: () => ClusterConnection;

before(async () => {
  cluster = await sharedCluster();
  ns = await cluster.createNamespace('gpu-usage');
  pool = await publishDraPool(cluster);
  ({ conn, model } = await scopedModel(cluster, [ns]));
  await apply(cluster, ns, {
    apiVersion: 'resource.k8s.io/v1',
    kind: 'ResourceClaimTemplate',
    metadata: { name: 'h100x4' },
    spec: {
      spec: {
        devices: { requests: [{ name: 'gpu', exactly: { deviceClassName: 'gpu.nvidia.com', count: 4 } }] },
      },
    },
  });
  await apply(cluster, ns, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'busy-train' },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { annotations: { 'sim.gantry.dev/duration': '600s' } },
        spec: {
          restartPolicy: 'Never',
          tolerations: [{ ...DRA_TAINT, operator: 'Equal' }],
          nodeSelector: { 'kubernetes.io/hostname': pool.nodes[0] },
          resourceClaims: [{ name: 'gpu', resourceClaimTemplateName: 'h100x4' }],
          containers: [{ name: 'main', image: 'trainer:1', resources: { claims: [{ name: 'gpu' }] } }],
        },
      },
    },
  });
  podName = await waitFor(
    'the Job pod bound with 4 DRA GPUs in the model',
    async () => {
      const r = model.gpus?.gpuNode(pool.nodes[0]!)?.resources.find((x) => x.resource === 'gpu.nvidia.com');
      return r?.pods[0]?.name;
    },
    60_000,
  );
  await waitFor('the Job row Running 1/1', async () => jobRow()?.description?.startsWith('Running · 1/1'));
});

after(async () => {
  model?.dispose();
  await exporter?.dispose();
  await cluster?.kubectl(['delete', 'namespace', ns, '--wait=false']);
  await pool?.dispose();
});

const podRow = (): GpuTreeNode | undefined =>
  model.gpus!.children(`n:${pool.nodes[0]}`).find((n) => n.label === `${ns}/${podName}`);
const jobRow = () =>
  model
    .workloads!.children(ROOT)
    .flatMap((g) => model.workloads!.children(g.id))
    .find((x) => x.label === 'busy-train');

test('DRA GPUs: utilisation matched by device UUID (no pod mapping) shows on the pod and workload rows', async () => {
  assert.equal(podRow()?.description, '4× gpu.nvidia.com · Job busy-train');
  assert.doesNotMatch(jobRow()?.description ?? '', /util|idle/);
  exporter = await startSimExporter(cluster, ns);
  // The exporter runs without pod mapping: GPUs are matched to the pod by the DRA devices' UUIDs.
  const claim: Json = JSON.parse(
    (await cluster.kubectl(['get', 'resourceclaims', '-n', ns, '-o', 'json'])).stdout,
  ).items[0];
  const devices: string[] = claim.status.allocation.devices.results.map((r: Json) => r.device);
  assert.equal(devices.length, 4);
  exporter.setGpus(
    devices.map((d, i) => ({
      uuid: pool.uuid(pool.nodes[0]!, d),
      gpu: Number(d.replace('gpu-', '')),
      host: pool.nodes[0]!,
      util: [96, 94, 93, 93][i]!,
      fbUsedMiB: 70000,
      powerW: 600,
    })),
  );

  const messages: string[] = [];
  const poller = new GpuUsagePoller(conn(), model, { intervalMs: 300 });
  poller.onMessage((m) => messages.push(m));
  poller.setVisible(true);
  await waitFor('a poll', async () => poller.polls > 0 || messages.length > 0, 30_000);
  assert.deepEqual(messages, []);
  assert.deepEqual(poller.exporter, { namespace: ns, name: 'dcgm-exporter', port: 'metrics' });
  assert.equal(podRow()?.description, '4× gpu.nvidia.com · Job busy-train · 94% util');
  assert.match(jobRow()?.description ?? '', /4× H100 80GB HBM3 · 94% util/);
  poller.dispose();
});
