// The forward commands' targets against the real apiserver, the real KubeRay and the simulated Notebook and
// KServe controllers: the palette's quick picks (Open Notebook / Open Ray Dashboard / Open Endpoint / Port
// Forward…) at the model level, a stopped Kubeflow notebook started by the patch the command sends, and forwards
// to a RayCluster's head dashboard (8265) and to KServe predictors (8080, /v1/models/<name> or /v2/models/<name>
// by protocol), each following the workload through the workload index as the commands do. The "pods" behind
// them are loopback HTTP servers (kwok port-forward rules) that answer with who they are and the path asked for.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { endpointFor, notebookStartPatch, type Endpoint } from '../../src/core/endpoints';
import { podOrServiceChoices, workloadChoices, workloadPath } from '../../src/core/forwardChoices';
import { findKindDef } from '../../src/core/kinds';
import type { KubeObject } from '../../src/core/kube';
import { ClusterConnection } from '../../src/k8s/connection';
import { loadKubeconfig, type MergedKubeconfig } from '../../src/k8s/kubeconfig';
import { ClusterModelSource } from '../../src/k8s/modelSource';
import { ClusterModel } from '../../src/model/clusterModel';
import { ForwardsBackend } from '../../src/sessions/forwards';
import { SessionManager } from '../../src/sessions/manager';
import type { ForwardSession } from '../../src/sessions/portForward';
import { sharedCluster, type TestCluster } from './harness/index';
import type { Rest } from './harness/rest';
import { httpGet, rest, waitFor, whoServer, type Json } from './helpers';

const RAY_IMAGE = 'rayproject/ray:2.41.0';

describe('forward targets: quick picks, a stopped notebook, Ray dashboard and KServe endpoints', () => {
  let cluster: TestCluster;
  let api: Rest;
  let conn: ClusterConnection;
  let model: ClusterModel;
  let ns: string;
  const sessions = new SessionManager();
  const backend = new ForwardsBackend(sessions);
  const started: ForwardSession[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  const post = (path: string, body: Json) => api.post(`${path.replace('NS', ns)}`, body);

  /** The pods of the namespace whose labels include `labels`, once there are `n` Running. */
  async function runningPods(labels: Record<string, string>, n = 1): Promise<KubeObject[]> {
    const sel = Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    let pods: KubeObject[] = [];
    await waitFor(
      `${n} Running pod(s) with ${sel}`,
      async () => {
        const l = await api.get<{ items: KubeObject[] }>(
          `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(sel)}`,
        );
        pods = l.items.filter((p) => p.status?.phase === 'Running');
        return pods.length >= n;
      },
      90_000,
    );
    return pods;
  }

  /** A forward of the workload as the command starts it: endpointFor + the workload's pods. */
  async function forwardTo(
    kind: string,
    group: string,
    name: string,
  ): Promise<{ s: ForwardSession; url: string; e: Endpoint }> {
    const def = findKindDef(group, kind)!;
    const obj = await api.get<KubeObject>(
      workloadPath(def, {
        apiVersion: `${group}/${def.versions[0]}`,
        kind,
        metadata: { name, namespace: ns },
      }),
    );
    const r = endpointFor(def.family, obj);
    assert.ok(r.ok, r.ok ? '' : r.reason);
    const s = backend.create({
      context: conn.context.name,
      target: r.endpoint.title,
      lease: { connection: conn, dispose: () => undefined },
      pods: { type: 'workload', target: { type: 'workload', group, kind, namespace: ns, name } },
      endpoint: r.endpoint,
    });
    started.push(s);
    const st = await s.start();
    assert.ok(st.ok, st.ok ? '' : st.error.message);
    await waitFor(`${r.endpoint.title} live`, async () => s.state === 'live', 90_000, 50);
    return { s, url: st.url, e: r.endpoint };
  }

  before(async () => {
    cluster = await sharedCluster();
    api = await rest(cluster);
    const loaded = loadKubeconfig({ explicitPath: cluster.kubeconfigPath });
    assert.equal(loaded.kind, 'ok');
    const cfg = loaded as MergedKubeconfig;
    const c = ClusterConnection.create(cfg, cfg.currentContext!);
    assert.ok(c.ok);
    conn = c.value;
    ns = await cluster.createNamespace('fwd-targets');
    const nb = (name: string, annotations: Record<string, string> = {}) =>
      post(`/apis/kubeflow.org/v1/namespaces/NS/notebooks`, {
        apiVersion: 'kubeflow.org/v1',
        kind: 'Notebook',
        metadata: { name, annotations },
        spec: {
          template: { spec: { containers: [{ name, image: 'kubeflownotebookswg/jupyter-scipy:v1.10.0' }] } },
        },
      });
    await nb('nb-a');
    await nb('nb-stopped', { 'kubeflow-resource-stopped': '2026-12-06T00:00:00Z' });
    await post(`/apis/ray.io/v1/namespaces/NS/rayclusters`, {
      apiVersion: 'ray.io/v1',
      kind: 'RayCluster',
      metadata: { name: 'rc' },
      spec: {
        headGroupSpec: {
          rayStartParams: {},
          template: { spec: { containers: [{ name: 'ray-head', image: RAY_IMAGE }] } },
        },
        workerGroupSpecs: [
          {
            groupName: 'cpu',
            replicas: 1,
            rayStartParams: {},
            template: { spec: { containers: [{ name: 'ray-worker', image: RAY_IMAGE }] } },
          },
        ],
      },
    });
    const isvc = (name: string, protocolVersion?: string) =>
      post(`/apis/serving.kserve.io/v1beta1/namespaces/NS/inferenceservices`, {
        apiVersion: 'serving.kserve.io/v1beta1',
        kind: 'InferenceService',
        metadata: { name },
        spec: {
          predictor: {
            model: {
              modelFormat: { name: 'sklearn' },
              ...(protocolVersion ? { protocolVersion } : {}),
              storageUri: 'gs://kfserving-examples/models/sklearn/1.0/model',
            },
          },
        },
      });
    await isvc('iris');
    await isvc('iris-v2', 'v2');
    await post(`/api/v1/namespaces/NS/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: { app: 'nb-a' }, ports: [{ name: 'http', port: 80, targetPort: 8888 }] },
    });
    // A Service without a selector (endpoints managed by hand) cannot be forwarded: not offered.
    await post(`/api/v1/namespaces/NS/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'manual' },
      spec: { ports: [{ port: 80 }] },
    });
    model = new ClusterModel(new ClusterModelSource(conn, { scope: { kind: 'some', namespaces: [ns] } }));
    assert.equal((await model.start()).state, 'connected');
  });

  after(async () => {
    for (const s of started) s.stop('test over');
    for (const c of cleanups) await c().catch(() => undefined);
    model?.dispose();
    conn?.dispose();
    await api?.delete(`/api/v1/namespaces/${ns}`).catch(() => undefined);
    api?.close();
    await cluster?.stop();
  });

  it("the palette's quick picks offer exactly the workloads each action applies to", async () => {
    const source = model.source;
    const picks = (a: 'notebook' | 'rayDashboard' | 'inference') =>
      workloadChoices(a, source).map((c) => `${c.label} · ${c.description}`);
    await waitFor(
      'the model holds every workload',
      async () =>
        picks('notebook').length === 2 &&
        picks('rayDashboard').length === 1 &&
        picks('inference').length === 2,
      30_000,
    );
    assert.deepEqual(picks('notebook'), [`nb-a · Notebook · ${ns}`, `nb-stopped · Notebook · ${ns}`]);
    assert.deepEqual(picks('rayDashboard'), [`rc · RayCluster · ${ns}`]);
    assert.deepEqual(picks('inference'), [
      `iris · InferenceService · ${ns}`,
      `iris-v2 · InferenceService · ${ns}`,
    ]);

    // Port Forward…: Services with a selector, then Running pods, from the lists the command reads.
    const pods = await runningPods({ 'ray.io/cluster': 'rc' }, 2);
    await runningPods({ 'notebook-name': 'nb-a' });
    const svcs = await api.get<{ items: KubeObject[] }>(`/api/v1/namespaces/${ns}/services`);
    const running = await api.get<{ items: KubeObject[] }>(
      `/api/v1/namespaces/${ns}/pods?fieldSelector=status.phase%3DRunning`,
    );
    const choices = podOrServiceChoices(svcs.items, running.items);
    const services = choices.filter((c) => c.what === 'service').map((c) => c.label);
    const podLabels = choices.filter((c) => c.what === 'pod').map((c) => c.label.replace('$(vm) ', ''));
    assert.ok(services.includes('$(globe) web'), `offered: ${services.join(', ')}`);
    assert.ok(!services.includes('$(globe) manual'), 'a Service without a selector is not offered');
    assert.ok(podLabels.includes('nb-a-0'), `pods offered: ${podLabels.join(', ')}`);
    for (const p of pods) assert.ok(podLabels.includes(p.metadata.name), `${p.metadata.name} offered`);
    assert.ok(!podLabels.some((n) => n.startsWith('nb-stopped')), 'the stopped notebook has no pod');
  });

  it('a stopped notebook says so, and the start patch brings its pod up behind the same forward', async () => {
    const def = findKindDef('kubeflow.org', 'Notebook')!;
    const obj = await api.get<KubeObject>(`/apis/kubeflow.org/v1/namespaces/${ns}/notebooks/nb-stopped`);
    const r = endpointFor(def.family, obj);
    assert.ok(r.ok);
    assert.match(r.endpoint.stopped ?? '', /nb-stopped is stopped/);
    assert.equal(r.endpoint.path, `/notebook/${ns}/nb-stopped/`);
    // Its StatefulSet has no replicas: no pod.
    const sts = await api.get<Json>(`/apis/apps/v1/namespaces/${ns}/statefulsets/nb-stopped`);
    assert.equal(sts.spec.replicas, 0);
    const who = await whoServer('nb-stopped');
    cleanups.push(who.close);
    const rule = await cluster.forwardPodPort(ns, 'nb-stopped-0', 8888, who.port, { keepAcrossPods: true });
    cleanups.push(() => rule.dispose());
    // The command's "Start Notebook" answer: a merge patch removing the annotation, at the workload's path.
    assert.equal(workloadPath(def, obj), `/apis/kubeflow.org/v1/namespaces/${ns}/notebooks/nb-stopped`);
    const p = await conn.transport.request('PATCH', workloadPath(def, obj), {
      body: notebookStartPatch(),
      contentType: 'application/merge-patch+json',
    });
    assert.ok(p.ok, p.ok ? '' : p.error.message);
    const after = await api.get<KubeObject>(workloadPath(def, obj));
    assert.equal(after.metadata.annotations?.['kubeflow-resource-stopped'], undefined);
    const started = endpointFor(def.family, after);
    assert.ok(started.ok && started.endpoint.stopped === undefined, 'no longer stopped');
    const { url } = await forwardTo('Notebook', 'kubeflow.org', 'nb-stopped');
    assert.equal(url.replace(/^http:\/\/127\.0\.0\.1:\d+/, ''), `/notebook/${ns}/nb-stopped/`);
    assert.deepEqual(await httpGet(url), { status: 200, body: `nb-stopped /notebook/${ns}/nb-stopped/` });
  });

  it("Open Ray Dashboard reaches the head's 8265, not a worker's", async () => {
    const [head] = await runningPods({ 'ray.io/cluster': 'rc', 'ray.io/node-type': 'head' });
    const [worker] = await runningPods({ 'ray.io/cluster': 'rc', 'ray.io/node-type': 'worker' });
    const h = await whoServer('head');
    const w = await whoServer('worker');
    cleanups.push(h.close, w.close);
    const r1 = await cluster.forwardPodPort(ns, head.metadata.name, 8265, h.port);
    const r2 = await cluster.forwardPodPort(ns, worker.metadata.name, 8265, w.port);
    cleanups.push(
      () => r1.dispose(),
      () => r2.dispose(),
    );
    const { s, url, e } = await forwardTo('RayCluster', 'ray.io', 'rc');
    assert.equal(e.port, 8265);
    assert.equal(e.role, 'head');
    assert.equal(s.pod?.metadata.name, head.metadata.name);
    assert.deepEqual(await httpGet(url), { status: 200, body: 'head /' });
  });

  it("Open Endpoint reaches the predictor's 8080 at /v1/models/<name>, or /v2/models/<name> for protocol v2", async () => {
    for (const [name, path] of [
      ['iris', '/v1/models/iris'],
      ['iris-v2', '/v2/models/iris-v2'],
    ] as const) {
      const [pod] = await runningPods({ 'serving.kserve.io/inferenceservice': name });
      const who = await whoServer(name);
      cleanups.push(who.close);
      const rule = await cluster.forwardPodPort(ns, pod.metadata.name, 8080, who.port);
      cleanups.push(() => rule.dispose());
      const { url, e } = await forwardTo('InferenceService', 'serving.kserve.io', name);
      assert.equal(e.port, 8080);
      assert.equal(url.replace(/^http:\/\/127\.0\.0\.1:\d+/, ''), path);
      assert.deepEqual(await httpGet(url), { status: 200, body: `${name} ${path}` });
    }
  });
});
