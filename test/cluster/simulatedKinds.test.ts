// Every kind the workload simulator plays, end to end: objects written by the simulator (shaped like the real
// operators', see test/cluster/simulator/*) go through Gantry's model (src/model/clusterModel.ts) to the exact
// row text of the ML Workloads view. The age at the end of a row is checked for its shape only (it moves).
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
import { type Json, h100Replica, rest, waitFor } from './helpers';
import { NOWHERE, cases, runtime } from './simulatedKindsCases';

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

const post = (plural: string, apiVersion: string, body: Json) =>
  api.post<Json>(`/apis/${apiVersion}/namespaces/${ns}/${plural}`, body);

/** A worker replica whose pods fail with `reason`/`exitCode` after 2 s, `failures` times (default: always). */
function failingWorker(
  replicas: number,
  restartPolicy: string,
  reason: string,
  exitCode: number,
  failures?: number,
) {
  const r = h100Replica(replicas, 1);
  r.restartPolicy = restartPolicy;
  r.template.metadata = {
    annotations: {
      'sim.gantry.dev/outcome': 'fail',
      'sim.gantry.dev/reason': reason,
      'sim.gantry.dev/exit-code': String(exitCode),
      'sim.gantry.dev/duration': '2s',
      ...(failures ? { 'sim.gantry.dev/failures': String(failures) } : {}),
    },
  };
  return r;
}

function pytorchJob(name: string, worker: Json, runPolicy?: Json): Json {
  return {
    apiVersion: 'kubeflow.org/v1',
    kind: 'PyTorchJob',
    metadata: { name },
    spec: {
      ...(runPolicy ? { runPolicy } : {}),
      pytorchReplicaSpecs: { Master: h100Replica(1, 1), Worker: worker },
    },
  };
}

const getJob = (name: string) => api.get<Json>(`/apis/kubeflow.org/v1/namespaces/${ns}/pytorchjobs/${name}`);
const isTrue = (o: Json, type: string) =>
  (o.status?.conditions ?? []).some((c: Json) => c.type === type && c.status === 'True');

describe('PyTorchJob failures follow training-operator v1.9 (restartPolicy decides)', () => {
  it('OnFailure (the default): an OOMKilled worker is restarted, the job is Restarting, not Failed', async () => {
    await post(
      'pytorchjobs',
      'kubeflow.org/v1',
      pytorchJob('oom', failingWorker(1, 'OnFailure', 'OOMKilled', 137, 1)),
    );
    await row('oom', 'Restarting: OOMKilled in worker-0 (restart 1) · 2/2 · 2× H100 80GB HBM3');
    const j = await getJob('oom');
    assert.ok(isTrue(j, 'Running'), 'the operator keeps the job Running');
    assert.ok(!isTrue(j, 'Failed'));
    const p = await api.get<Json>(`/api/v1/namespaces/${ns}/pods/oom-worker-0`);
    assert.equal(p.status.phase, 'Running');
    assert.equal(p.status.containerStatuses[0].restartCount, 1);
    assert.equal(p.status.containerStatuses[0].lastState.terminated.reason, 'OOMKilled');
  });

  it('Never: the failed worker fails the job', async () => {
    await post(
      'pytorchjobs',
      'kubeflow.org/v1',
      pytorchJob('never', failingWorker(1, 'Never', 'OOMKilled', 137)),
    );
    await row('never', 'Failed: OOMKilled in worker-0 · 1/2 · 2× H100 80GB HBM3');
    const j = await getJob('never');
    assert.equal(
      j.status.conditions.find((c: Json) => c.type === 'Failed').message,
      'PyTorchJob never is failed because 1 Worker replica(s) failed.',
    );
  });

  it('ExitCode: a retryable code (137) deletes and recreates the pod and sets Restarting; exit 1 fails the job', async () => {
    await post(
      'pytorchjobs',
      'kubeflow.org/v1',
      pytorchJob('retry', failingWorker(1, 'ExitCode', 'Error', 137)),
    );
    const first = await waitFor('retry-worker-0', () =>
      api.find<Json>(`/api/v1/namespaces/${ns}/pods/retry-worker-0`),
    );
    const events = await waitFor('a PyTorchJobRestarting event', async () => {
      const l = await api.get<{ items: Json[] }>(
        `/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.name%3Dretry`,
      );
      const e = l.items.filter((x) => x.reason === 'PyTorchJobRestarting');
      return e.length ? e : undefined;
    });
    // Both upstream writers: pod.go when it deletes the pod, UpdateJobStatus from the replica counts.
    const seen = await waitFor('both Restarting messages', async () => {
      const l = await api.get<{ items: Json[] }>(
        `/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.name%3Dretry`,
      );
      const m = new Set(l.items.filter((x) => x.reason === 'PyTorchJobRestarting').map((x) => x.message));
      return m.size === 2 ? m : undefined;
    });
    assert.deepEqual([...seen].sort(), [
      'PyTorchJob retry is restarting because 1 Worker replica(s) failed.',
      'job retry is restarting because Worker replica(s) failed.',
    ]);
    assert.ok(events.every((e) => e.type === 'Warning'));
    const again = await waitFor('retry-worker-0 recreated', async () => {
      const p = await api.find<Json>(`/api/v1/namespaces/${ns}/pods/retry-worker-0`);
      return p && p.metadata.uid !== first.metadata.uid ? p : undefined;
    });
    assert.equal(again.spec.restartPolicy, 'Never');
    assert.ok(!isTrue(await getJob('retry'), 'Failed'));

    await post(
      'pytorchjobs',
      'kubeflow.org/v1',
      pytorchJob('fatal', failingWorker(1, 'ExitCode', 'Error', 1)),
    );
    await row('fatal', 'Failed: Error (exit 1) in worker-0 · 1/2 · 2× H100 80GB HBM3');
    const j = await getJob('fatal');
    assert.equal(
      j.status.conditions.find((c: Json) => c.type === 'Failed').message,
      'job "fatal" is failing because "Worker" replica(s) failed.',
    );
  });

  it('OnFailure with backoffLimit 2: restarts reach the limit, every pod is deleted and the job Failed', async () => {
    await post(
      'pytorchjobs',
      'kubeflow.org/v1',
      pytorchJob('backoff', failingWorker(1, 'OnFailure', 'OOMKilled', 137), { backoffLimit: 2 }),
    );
    await row('backoff', 'Failed: PyTorchJobFailed · 0/2 · 2× H100 80GB HBM3', 90_000);
    const j = await getJob('backoff');
    assert.equal(
      j.status.conditions.find((c: Json) => c.type === 'Failed').message,
      'Job backoff has failed because it has reached the specified backoff limit',
    );
  });
});

describe('every other simulated kind: a healthy, a failed and an unschedulable object, row by row', () => {
  const rt = () => `kinds-rt-${ns}`;
  const rtNowhere = () => `kinds-rt-nowhere-${ns}`;
  before(async () => {
    await api.post('/apis/trainer.kubeflow.org/v1alpha1/clustertrainingruntimes', runtime(rt()));
    await api.post(
      '/apis/trainer.kubeflow.org/v1alpha1/clustertrainingruntimes',
      runtime(rtNowhere(), NOWHERE),
    );
    for (const c of cases(rt(), rtNowhere())) await api.post(c.path(ns), c.body);
  });
  after(async () => {
    await api.delete(`/apis/trainer.kubeflow.org/v1alpha1/clustertrainingruntimes/${rt()}`);
    await api.delete(`/apis/trainer.kubeflow.org/v1alpha1/clustertrainingruntimes/${rtNowhere()}`);
  });
  /**
   * Why Not Running's sentence when the scheduler says no node matches the selector (every taint tolerated):
   * the selector restated against the node pool, not the scheduler's raw count.
   */
  const unschedulable = () => 'no node has gantry.dev/pool=nowhere';

  it('RayCluster: Ready with head and worker; a worker no node accepts shows the reason', async () => {
    await row('rc-ok', 'Ready · 2/2');
    await row('rc-pending', `NotReady: ${unschedulable()} · 1/2`);
  });

  it('RayJob: Succeeded; the entrypoint failing fails it (AppFailed); an unschedulable head keeps it Pending with the reason', async () => {
    await row('rj-ok', 'Succeeded · 2/2');
    await row('rj-fail', 'Failed: AppFailed · 2/2');
    await row('rj-pending', `Pending: ${unschedulable()} · 1/2`);
  });

  it('JobSet: Completed; a failed child Job fails it; unschedulable pods keep it Pending with the reason', async () => {
    await row('js-ok', 'Succeeded: AllJobsCompleted · 0/2');
    await row('js-fail', 'Failed: FailedJobs · 0/2');
    await row('js-pending', `Pending: ${unschedulable()} · 0/2`);
  });

  it('TrainJob: Complete; a failed node Job fails it; unschedulable node pods keep it Pending with the reason', async () => {
    await row('tj-ok', 'Succeeded: AllJobsCompleted · 0/2');
    await row('tj-fail', 'Failed: FailedJobs · 0/2');
    await row('tj-pending', `Pending: ${unschedulable()} · 0/2`);
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
