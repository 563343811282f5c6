// GPU utilisation end to end against the real apiserver, device-plugin GPUs (nvidia.com/gpu, no DRA: this file
// runs on every Kubernetes version, 1.30 included): without an exporter one message and nothing else changes;
// with a simulated dcgm-exporter (pod mapping on, as the helm chart ships it) behind a Service, figures read
// through the apiserver's service proxy reach the pod's GPU row and its workload row, and polling stops when
// the view is hidden. DRA GPUs, matched by device UUID, are gpuUsage.test.ts.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ClusterConnection } from '../../src/k8s/connection';
import { type MergedKubeconfig } from '../../src/k8s/kubeconfig';
import { ROOT, type GpuTreeNode } from '../../src/core/tree';
import { type ClusterModel } from '../../src/model/clusterModel';
import { GpuUsagePoller } from '../../src/model/gpuUsage';
import { sharedCluster, type TestCluster } from './harness/index';
import { startSimExporter, type SimExporter } from './harness/exporter';
import { apply, scopedModel, waitFor, type Json } from './helpers';

let cluster: TestCluster;
let cfg: MergedKubeconfig;
let ns: string;
let model: ClusterModel;
let exporter: SimExporter | undefined;
let podName = '';
let nodeName = '';

let conn: () => ClusterConnection;

before(async () => {
  cluster = await sharedCluster();
  ns = await cluster.createNamespace('gpu-usage-dp');
  ({ cfg, conn, model } = await scopedModel(cluster, [ns]));
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
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
          nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' },
          containers: [{ name: 'main', image: 'trainer:1', resources: { limits: { 'nvidia.com/gpu': 4 } } }],
        },
      },
    },
  });
  // The scheduler picks the H100 node; the model's GPU node then lists the pod with its 4 device-plugin GPUs.
  [podName, nodeName] = await waitFor(
    'the Job pod bound to an H100 node with 4 nvidia.com/gpu in the model',
    async () => {
      const pods: Json[] = JSON.parse(
        (await cluster.kubectl(['get', 'pods', '-n', ns, '-l', 'job-name=busy-train', '-o', 'json'])).stdout,
      ).items;
      const node: string | undefined = pods[0]?.spec?.nodeName;
      if (!node) return undefined;
      const r = model.gpus?.gpuNode(node)?.resources.find((x) => x.resource === 'nvidia.com/gpu');
      const p = r?.pods.find((x) => x.namespace === ns);
      return p && p.count === 4 ? ([p.name, node] as [string, string]) : undefined;
    },
    60_000,
  );
  await waitFor('the Job row Running 1/1', async () => jobRow()?.description?.startsWith('Running · 1/1'));
});

after(async () => {
  model?.dispose();
  await exporter?.dispose();
  await cluster?.kubectl(['delete', 'namespace', ns, '--wait=false']);
});

const podRow = (): GpuTreeNode | undefined =>
  model.gpus!.children(`n:${nodeName}`).find((n) => n.label === `${ns}/${podName}`);
const jobRow = () =>
  model
    .workloads!.children(ROOT)
    .flatMap((g) => model.workloads!.children(g.id))
    .find((x) => x.label === 'busy-train');

test('no exporter in the cluster: one message, and the rows stay as they were', async () => {
  // The row's age moves on by itself; compare without it.
  const noAge = (d: string | undefined) => d?.replace(/ · [^·]+$/, '');
  const beforePod = podRow()?.description;
  const beforeJob = noAge(jobRow()?.description);
  assert.equal(beforePod, '4× nvidia.com/gpu · Job busy-train');
  const messages: string[] = [];
  const poller = new GpuUsagePoller(conn(), model, { intervalMs: 200 });
  poller.onMessage((m) => messages.push(m));
  poller.setVisible(true);
  await waitFor('the message', async () => messages.length > 0);
  await new Promise((r) => setTimeout(r, 800)); // several intervals: no second message, no poll
  await poller.settled();
  assert.deepEqual(messages, [
    'Utilisation: no GPU metrics exporter found (setting gantry.gpus.metricsExporter).',
  ]);
  assert.equal(poller.polls, 0);
  assert.equal(podRow()?.description, beforePod);
  assert.equal(noAge(jobRow()?.description), beforeJob);
  assert.doesNotMatch(jobRow()?.description ?? '', /util|idle/);
  poller.dispose();
});

test('a named exporter that does not exist: one message naming it', async () => {
  const messages: string[] = [];
  const poller = new GpuUsagePoller(conn(), model, { intervalMs: 200, exporter: `${ns}/nope:9400` });
  poller.onMessage((m) => messages.push(m));
  poller.setVisible(true);
  await waitFor('the message', async () => messages.length > 0);
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(messages.length, 1);
  assert.match(messages[0]!, new RegExp(`${ns}/nope`));
  poller.dispose();
});

test('utilisation from the exporter (pod mapping) through the service proxy shows on rows, and stops when hidden', async () => {
  exporter = await startSimExporter(cluster, ns);
  // dcgm-exporter with pod mapping labels each GPU with the pod holding it; UUIDs are the node's own.
  exporter.setGpus(
    [96, 94, 93, 93].map((util, gpu) => ({
      uuid: `GPU-${nodeName}-${gpu}`,
      gpu,
      host: nodeName,
      util,
      fbUsedMiB: 70000,
      powerW: 600,
      pod: { namespace: ns, name: podName, container: 'main' },
    })),
  );

  const messages: string[] = [];
  const poller = new GpuUsagePoller(conn(), model, { intervalMs: 300 });
  poller.onMessage((m) => messages.push(m));
  poller.setVisible(true);
  await waitFor('a poll', async () => poller.polls > 0 || messages.length > 0, 30_000);
  assert.deepEqual(messages, []);
  assert.deepEqual(poller.exporter, { namespace: ns, name: 'dcgm-exporter', port: 'metrics' });
  assert.equal(podRow()?.description, '4× nvidia.com/gpu · Job busy-train · 94% util');
  assert.match(jobRow()?.description ?? '', /4× H100 80GB HBM3 · 94% util/);

  poller.setVisible(false);
  await poller.settled();
  const scrapes = exporter.scrapes;
  const polls = poller.polls;
  await new Promise((r) => setTimeout(r, 1200)); // four intervals
  assert.equal(exporter.scrapes, scrapes, 'no scrape while hidden');
  assert.equal(poller.polls, polls);
  assert.equal(podRow()?.description, '4× nvidia.com/gpu · Job busy-train', 'figures removed while hidden');

  poller.setVisible(true);
  await waitFor('polling again when visible', async () => exporter!.scrapes > scrapes, 30_000);
  poller.dispose();
});

test('without permission: one message naming what is missing, and the rows stay as they were', async () => {
  // The same kubeconfig, impersonating the namespace's default ServiceAccount (no RBAC rights).
  const users = new Map(cfg.users);
  const ctx = cfg.contexts.find((c) => c.name === cfg.currentContext)!;
  users.set(ctx.user, { ...users.get(ctx.user)!, as: `system:serviceaccount:${ns}:default` });
  const weakConn = () => {
    const c = ClusterConnection.create({ ...cfg, users }, cfg.currentContext!);
    assert.ok(c.ok);
    return c.value;
  };
  const before = podRow()?.description;
  const run = async (exporterSetting?: string) => {
    const messages: string[] = [];
    const poller = new GpuUsagePoller(weakConn(), model, {
      intervalMs: 200,
      ...(exporterSetting ? { exporter: exporterSetting } : {}),
    });
    poller.onMessage((m) => messages.push(m));
    poller.setVisible(true);
    await waitFor('the message', async () => messages.length > 0);
    await new Promise((r) => setTimeout(r, 600));
    await poller.settled();
    assert.equal(poller.polls, 0);
    poller.dispose();
    return messages;
  };
  assert.deepEqual(await run(), [
    'Listing services across namespaces is forbidden, so the GPU metrics exporter cannot be found; name it in gantry.gpus.metricsExporter.',
  ]);
  assert.deepEqual(await run(`${ns}/dcgm-exporter:metrics`), [
    `Reading GPU metrics from ${ns}/dcgm-exporter is forbidden: it needs "get services/proxy" in ${ns}.`,
  ]);
  assert.equal(podRow()?.description, before);
});
