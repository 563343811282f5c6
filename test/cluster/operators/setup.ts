// What every real-operator test file sets up: the shared cluster (test:cluster starts the operators), a
// namespace of its own, Gantry's model scoped to it, and small REST helpers. A file asks for the operators it
// needs with needs(): one that is not running in this cluster fails with that message (never a silent skip).
import assert from 'node:assert/strict';
import { ClusterConnection } from '../../../src/k8s/connection';
import { loadKubeconfig, type MergedKubeconfig } from '../../../src/k8s/kubeconfig';
import { ClusterModelSource } from '../../../src/k8s/modelSource';
import { trackPods, type WorkloadPods } from '../../../src/k8s/workloadPods';
import type { WorkloadNode } from '../../../src/core/tree';
import { ClusterModel } from '../../../src/model/clusterModel';
import { readState, sharedCluster, type TestCluster } from '../harness/index';
import type { Rest } from '../harness/rest';
import { type Json, rest, waitFor } from '../helpers';
import { waitForRow } from '../rows';

export interface OperatorEnv {
  cluster: TestCluster;
  api: Rest;
  ns: string;
  cfg: MergedKubeconfig;
  conn: ClusterConnection;
  model: ClusterModel;
  /** Fails unless the named operator runs in this cluster. */
  needs(name: string): void;
  /** Waits until the named row reads exactly `want` (without the age). */
  row(name: string, want: string, timeoutMs?: number): Promise<WorkloadNode>;
  post(apiVersion: string, plural: string, body: Json): Promise<Json>;
  get(apiVersion: string, plural: string, name: string): Promise<Json>;
  /** The namespace's pods matching a label selector. */
  pods(selector: string): Promise<Json[]>;
  /** The namespace's events about the named object, oldest first. */
  events(name: string): Promise<Json[]>;
  /** The pod tracker's role/rank labels for a workload, once it has `count` pods. */
  podLabels(group: string, kind: string, name: string, count: number): Promise<string[]>;
  close(): Promise<void>;
}

/** The condition of that type when it is True. */
export const cond = (o: Json, type: string): Json | undefined =>
  (o.status?.conditions ?? []).find((c: Json) => c.type === type && c.status === 'True');

export async function operatorEnv(prefix: string): Promise<OperatorEnv> {
  const cluster = await sharedCluster();
  const running = new Set(Object.keys(readState(process.env.GANTRY_CLUSTER_STATE!).operators ?? {}));
  const api = await rest(cluster);
  const loaded = loadKubeconfig({ explicitPath: cluster.kubeconfigPath });
  assert.equal(loaded.kind, 'ok');
  const cfg = loaded as MergedKubeconfig;
  const ns = await cluster.createNamespace(prefix);
  const c = ClusterConnection.create(cfg, cfg.currentContext!);
  assert.ok(c.ok);
  const conn = c.value;
  const model = new ClusterModel(new ClusterModelSource(conn, { scope: { kind: 'some', namespaces: [ns] } }));
  assert.equal((await model.start()).state, 'connected');
  const env: OperatorEnv = {
    cluster,
    api,
    ns,
    cfg,
    conn,
    model,
    needs: (name) =>
      assert.ok(
        running.has(name),
        `operator ${name} is not running in this cluster (running: ${[...running].join(', ') || 'none'}); ` +
          '`npm run test:cluster` starts every operator unless --operators/GANTRY_OPERATORS names fewer ' +
          '(`cluster:up` needs --operators)',
      ),
    row: (name, want, timeoutMs = 90_000) => waitForRow(model, name, want, timeoutMs),
    post: (apiVersion, plural, body) =>
      api.post<Json>(`/apis/${apiVersion}/namespaces/${ns}/${plural}`, body),
    get: (apiVersion, plural, name) =>
      api.get<Json>(`/apis/${apiVersion}/namespaces/${ns}/${plural}/${name}`),
    pods: async (selector) =>
      (
        await api.get<{ items: Json[] }>(
          `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`,
        )
      ).items,
    events: async (name) =>
      (
        await api.get<{ items: Json[] }>(
          `/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`,
        )
      ).items,
    podLabels: async (group, kind, name, count) => {
      let w: WorkloadPods | undefined;
      try {
        w = trackPods(conn, { type: 'workload', group, kind, namespace: ns, name });
        const ready = await w.ready();
        assert.ok(ready.ok, JSON.stringify(ready));
        return await waitFor(`${count} pods of ${kind} ${name}`, async () => {
          const l = w!.current().map((p) => p.label);
          return l.length === count ? l : undefined;
        });
      } finally {
        w?.dispose();
      }
    },
    close: async () => {
      model.dispose();
      conn.dispose();
      await api.delete(`/api/v1/namespaces/${ns}`);
      api.close();
    },
  };
  return env;
}
