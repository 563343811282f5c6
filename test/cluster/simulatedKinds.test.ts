// Every kind the workload simulator still plays in the test cluster (what cannot run here: RayJob outcomes that
// need a Ray dashboard, InferenceService, Notebook), end to end: objects written by the simulator (shaped like
// the real controllers', see test/cluster/simulator/*) go through Gantry's model (src/model/clusterModel.ts) to
// the exact row text of the ML Workloads view. The age at the end of a row is checked for its shape only. The
// kinds real operators serve are tested against them under test/cluster/operators/.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClusterConnection } from '../../src/k8s/connection';
import { loadKubeconfig, type MergedKubeconfig } from '../../src/k8s/kubeconfig';
import { ClusterModelSource } from '../../src/k8s/modelSource';
import type { WorkloadNode } from '../../src/core/tree';
import { ClusterModel } from '../../src/model/clusterModel';
import { waitForRow } from './rows';
import { sharedCluster, type TestCluster } from './harness/index';
import type { Rest } from './harness/rest';
import { rest } from './helpers';
import { cases } from './simulatedKindsCases';

let cluster: TestCluster;
let api: Rest;
let ns: string;
let model: ClusterModel;

before(async () => {
  cluster = await sharedCluster();
  api = await rest(cluster);
  const loaded = loadKubeconfig({ explicitPath: cluster.kubeconfigPath });
  assert.equal(loaded.kind, 'ok');
  const cfg = loaded as MergedKubeconfig;
  ns = await cluster.createNamespace('kinds');
  const conn = ClusterConnection.create(cfg, cfg.currentContext!);
  assert.ok(conn.ok);
  model = new ClusterModel(new ClusterModelSource(conn.value, { scope: { kind: 'some', namespaces: [ns] } }));
  assert.equal((await model.start()).state, 'connected');
});

after(async () => {
  model?.dispose();
  await api?.delete(`/api/v1/namespaces/${ns}`);
  api?.close();
});

/** Waits until the named row reads exactly `want` (without the age). */
const row = (name: string, want: string, timeoutMs = 60_000): Promise<WorkloadNode> =>
  waitForRow(model, name, want, timeoutMs);

describe('every simulated kind: a healthy, a failed and an unschedulable object, row by row', () => {
  before(async () => {
    for (const c of cases()) await api.post(c.path(ns), c.body);
  });
  /**
   * Why Not Running's sentence when the scheduler says no node matches the selector (every taint tolerated):
   * the selector restated against the node pool, not the scheduler's raw count.
   */
  const unschedulable = () => 'no node has gantry.dev/pool=nowhere';

  it('RayJob: Succeeded; the entrypoint failing fails it (AppFailed); an unschedulable head keeps it Pending with the reason', async () => {
    await row('rj-ok', 'Succeeded · 2/2');
    await row('rj-fail', 'Failed: AppFailed · 2/2');
    await row('rj-pending', `Pending: ${unschedulable()} · 1/2`);
  });

  it('InferenceService: Ready; a predictor no node accepts is NotReady with the reason', async () => {
    await row('isvc-ok', 'Ready · 1/1');
    await row('isvc-pending', `NotReady: ${unschedulable()} · 0/1`);
  });

  it('Notebook: Ready; a notebook pod no node accepts is NotReady with the reason', async () => {
    await row('nb-ok', 'Ready · 1/1');
    await row('nb-pending', `NotReady: ${unschedulable()} · 0/1`);
  });
});
