// PyTorchJob failures with the real training-operator v1.9.4, restart policy by restart policy. kwok plays the
// kubelet (test/cluster/kwok/operator-stages.yaml): under OnFailure a failing container is restarted in place
// (the pod stays Running, restartCount and lastState say why); under Never, and under ExitCode (whose pods the
// operator creates with Never), the pod ends Failed and the operator decides. Everything else here, conditions,
// events, pod deletion and re-creation, is the operator's own.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Json, waitFor } from '../helpers';
import { rowText, workloadRows } from '../rows';
import { cond, operatorEnv, type OperatorEnv } from './setup';

let env: OperatorEnv;

before(async () => {
  env = await operatorEnv('op-restarts');
  env.needs('training-operator');
});

after(async () => {
  await env?.close();
});

const LONG = { 'sim.gantry.dev/duration': '600s' };

/** A worker whose container fails with `reason`/`exitCode` 2 s after it starts, `failures` times (default: always). */
function failing(reason: string, exitCode: number, failures?: number): Json {
  return {
    'sim.gantry.dev/outcome': 'fail',
    'sim.gantry.dev/reason': reason,
    'sim.gantry.dev/exit-code': String(exitCode),
    'sim.gantry.dev/duration': '2s',
    ...(failures ? { 'sim.gantry.dev/failures': String(failures) } : {}),
  };
}

/** One master that runs long and one worker with `annotations`, both with `restartPolicy` (CPU pods). */
function pytorchJob(name: string, restartPolicy: string, annotations: Json, runPolicy?: Json): Json {
  const replica = (ann: Json) => ({
    replicas: 1,
    restartPolicy,
    template: {
      metadata: { annotations: ann },
      spec: { containers: [{ name: 'pytorch', image: 'pytorch/pytorch:2.7.1' }] },
    },
  });
  return {
    apiVersion: 'kubeflow.org/v1',
    kind: 'PyTorchJob',
    metadata: { name },
    spec: {
      ...(runPolicy ? { runPolicy } : {}),
      pytorchReplicaSpecs: { Master: replica(LONG), Worker: replica(annotations) },
    },
  };
}

const submit = (body: Json) => env.post('kubeflow.org/v1', 'pytorchjobs', body);
const job = (name: string) => env.get('kubeflow.org/v1', 'pytorchjobs', name);
const pod = (name: string) => env.api.find<Json>(`/api/v1/namespaces/${env.ns}/pods/${name}`);
const reasons = async (name: string) =>
  (await env.events(name)).map((e) => `${e.type} ${e.reason}: ${e.message}`);

describe('PyTorchJob restarts with the real training-operator v1.9.4 (restartPolicy decides)', () => {
  it('OnFailure: an OOMKilled worker is restarted in place, the operator keeps the job Running, the row reads Restarting', async () => {
    await submit(pytorchJob('oom', 'OnFailure', failing('OOMKilled', 137, 1)));
    const first = await waitFor('oom-worker-0', () => pod('oom-worker-0'));
    await env.row('oom', 'Restarting: OOMKilled in worker-0 (restart 1) · 2/2');
    const p = (await pod('oom-worker-0'))!;
    // The same pod (the kubelet restarted its container; nobody deleted it), with the restart's evidence.
    assert.equal(p.metadata.uid, first.metadata.uid);
    assert.equal(p.spec.restartPolicy, 'OnFailure');
    assert.equal(p.status.phase, 'Running');
    const cs = p.status.containerStatuses[0];
    assert.equal(cs.restartCount, 1);
    assert.deepEqual([cs.lastState.terminated.reason, cs.lastState.terminated.exitCode], ['OOMKilled', 137]);
    // sim.gantry.dev/failures: 1 reached, the stage marked it so that the container keeps running.
    assert.equal(p.metadata.labels['sim.gantry.dev/outcome'], 'recovered');
    // The operator sees a Running pod: Running stays, no Restarting (that is only for pods that end Failed).
    const j = await job('oom');
    assert.equal(cond(j, 'Running')?.reason, 'PyTorchJobRunning');
    assert.equal(cond(j, 'Restarting'), undefined);
    assert.equal(cond(j, 'Failed'), undefined);
    assert.deepEqual(j.status.replicaStatuses.Worker.active, 1);
    // The job's own events (PyTorchJobRestarting, PyTorchJobFailed). Not a match on "Failed" anywhere: under
    // load the operator's pod cache can lag its own create, and it then retries and logs
    // `FailedCreatePod: pods "oom-worker-0" already exists`, a harmless event of the operator's bookkeeping.
    const events = await reasons('oom');
    assert.ok(!events.some((r) => /^\S+ PyTorchJob(Restarting|Failed):/.test(r)), events.join('\n'));
  });

  it('OnFailure with backoffLimit 2: the container restarts reach the limit, the operator fails the job and keeps its pods', async () => {
    await submit(pytorchJob('backoff', 'OnFailure', failing('OOMKilled', 137), { backoffLimit: 2 }));
    const failed = await waitFor(
      'backoff Failed',
      async () => {
        const j = await job('backoff');
        return cond(j, 'Failed') ? j : undefined;
      },
      90_000,
      500,
    );
    assert.equal(cond(failed, 'Failed').reason, 'PyTorchJobFailed');
    assert.equal(
      cond(failed, 'Failed').message,
      'Job backoff has failed because it has reached the specified backoff limit',
    );
    // v1.9.4 sets Failed before its cleanup and cleanPodPolicy defaults to None (kubeflow/trainer#3419): the pods
    // stay, the worker still restarting, and the row names the OOM instead of the operator's generic reason.
    await env.row('backoff', 'Failed: OOMKilled in worker-0 · 2/2');
    const ps = await env.pods('training.kubeflow.org/job-name=backoff');
    assert.deepEqual(ps.map((p) => `${p.metadata.name} ${p.status.phase}`).sort(), [
      'backoff-master-0 Running',
      'backoff-worker-0 Running',
    ]);
    const w = ps.find((p) => p.metadata.name === 'backoff-worker-0');
    assert.ok(w.status.containerStatuses[0].restartCount >= 2, JSON.stringify(w.status.containerStatuses[0]));
  });

  it('ExitCode: a retryable exit (137) makes the operator delete and recreate the pod; the row follows its conditions', async () => {
    // Every state of the row the model renders (its change events, not polling: see the end of this test).
    const states: { condition: string; row: string }[] = [];
    const sub = env.model.onDidChangeWorkloads(() => {
      const n = workloadRows(env.model).get('retry');
      if (!n) return;
      const o = n.object as Json;
      const condition = cond(o, 'Failed')
        ? 'Failed'
        : cond(o, 'Restarting')
          ? 'Restarting'
          : cond(o, 'Running')
            ? 'Running'
            : 'none';
      states.push({ condition, row: rowText(n) });
    });
    await submit(pytorchJob('retry', 'ExitCode', failing('Error', 137)));
    const first = await waitFor('retry-worker-0', () => pod('retry-worker-0'));
    // ExitCode is the operator's: the pod itself is created with Never, so it ends Failed.
    assert.equal(first.spec.restartPolicy, 'Never');
    const again = await waitFor('retry-worker-0 recreated', async () => {
      const p = await pod('retry-worker-0');
      return p && p.metadata.uid !== first.metadata.uid ? p : undefined;
    });
    assert.equal(again.spec.restartPolicy, 'Never');
    const seen = await waitFor('the Restarting event', async () => {
      const r = await reasons('retry');
      return r.some((x) => x.startsWith('Warning PyTorchJobRestarting')) ? r : undefined;
    });
    assert.ok(
      seen.includes(
        'Warning PyTorchJobRestarting: PyTorchJob retry is restarting because 1 Worker replica(s) failed.',
      ),
      seen.join('\n'),
    );
    assert.ok(
      seen.includes(`Normal ExitedWithCode: Pod: ${env.ns}.retry-worker-0 exited with code 137`),
      seen.join('\n'),
    );
    assert.equal(cond(await job('retry'), 'Failed'), undefined);
    // The worker fails again 2 s after each re-creation. In the reconcile that deletes the pod the operator sets
    // Restarting, but UpdateJobStatus walks the replica types in Go's map order (the running master may write
    // Running over it) and the next reconcile, triggered by the new pod, writes Running again (or the write
    // conflicts and is dropped): Restarting, when it lands at all, lasts until that reconcile (a 90 s wait for
    // the row `Restarting` polled every 250 ms once never saw it). What holds is the lasting Running and that
    // each row the model renders reads the operator's condition of that moment.
    await waitFor('a second re-creation', async () => {
      const p = await pod('retry-worker-0');
      return p && p.metadata.uid !== again.metadata.uid ? p : undefined;
    });
    sub.dispose();
    assert.ok(states.length > 0);
    for (const s of states) {
      assert.notEqual(s.condition, 'Failed', JSON.stringify(states));
      if (s.condition !== 'none')
        assert.equal(s.row.split(/[:·]/)[0].trim(), s.condition, JSON.stringify(states));
    }
    assert.ok(
      states.some((s) => s.condition === 'Running'),
      JSON.stringify(states),
    );
  });

  it('ExitCode: a permanent exit (1) fails the job, the row names the pod and the exit', async () => {
    await submit(pytorchJob('fatal', 'ExitCode', failing('Error', 1)));
    await env.row('fatal', 'Failed: Error (exit 1) in worker-0 · 1/2');
    const j = await job('fatal');
    assert.equal(cond(j, 'Failed').reason, 'PyTorchJobFailed');
  });

  it('Never: an OOMKilled worker fails the job, the row says OOMKilled in worker-0', async () => {
    await submit(pytorchJob('never', 'Never', failing('OOMKilled', 137)));
    await env.row('never', 'Failed: OOMKilled in worker-0 · 1/2');
    const j = await job('never');
    assert.equal(cond(j, 'Failed').message, 'PyTorchJob never is failed because 1 Worker replica(s) failed.');
    const p = (await pod('never-worker-0'))!;
    assert.equal(p.status.phase, 'Failed');
    assert.equal(p.status.containerStatuses[0].state.terminated.exitCode, 137);
  });
});
