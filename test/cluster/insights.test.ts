// Reading training logs against the real apiserver and kwok's kubelet API, with the real training-operator
// making the pods: a job whose worker prints an NCCL timeout after the master's CUDA OOM is explained as the
// master's failure (each rank's tail read once), and a running job printing a tqdm bar shows its step in its
// tree row from Gantry's own follow of the main rank, which stops when the job leaves the view.
//
// The pods run a `sidecar` first and the operator's `pytorch` container second: Gantry reads `pytorch`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROOT, type WorkloadNode } from '../../src/core/tree';
import { ClusterConnection } from '../../src/k8s/connection';
import { loadKubeconfig, type MergedKubeconfig } from '../../src/k8s/kubeconfig';
import { ClusterModelSource } from '../../src/k8s/modelSource';
import { ClusterModel } from '../../src/model/clusterModel';
import { TrainingInsights } from '../../src/model/insights';
import { sharedCluster, type TestCluster } from './harness/index';
import { waitFor } from './helpers';

// The sim.gantry.dev/* knobs go on the pod template: the real operator does not copy the job's annotations.
function replica(replicas: number, restartPolicy: string, annotations: Record<string, string>): unknown {
  return {
    replicas,
    restartPolicy,
    template: {
      metadata: { annotations },
      spec: {
        tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
        containers: [
          { name: 'sidecar', image: 'busybox:1.36' },
          { name: 'pytorch', image: 'trainer:1.0', resources: { limits: { 'nvidia.com/gpu': 1 } } },
        ],
      },
    },
  };
}

describe('training insights through the real apiserver', () => {
  let cluster: TestCluster;
  let cfg: MergedKubeconfig;
  let ns: string;
  let model: ClusterModel;
  let conn: ClusterConnection;
  let insights: TrainingInsights;

  const row = (name: string): WorkloadNode | undefined => {
    const t = model.workloads;
    if (!t) return undefined;
    return t
      .children(ROOT)
      .flatMap((g) => t.children(g.id))
      .find((x) => x.label === name) as WorkloadNode | undefined;
  };

  const submit = async (name: string, annotations: Record<string, string>, restartPolicy = 'Never') => {
    // kwok serves a container's log file only if it was registered before the pod's first log request.
    for (const pod of [`${name}-master-0`, `${name}-worker-0`])
      await cluster.appendLog(ns, pod, 'pytorch', ['starting']);
    const job = {
      apiVersion: 'kubeflow.org/v1',
      kind: 'PyTorchJob',
      metadata: { name, namespace: ns },
      spec: {
        pytorchReplicaSpecs: {
          Master: replica(1, restartPolicy, annotations),
          Worker: replica(1, restartPolicy, annotations),
        },
      },
    };
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(job) });
    assert.equal(r.code, 0, r.stderr);
    await waitFor(
      `${name} Running with 2/2 ready`,
      async () => {
        const n = row(name);
        return n && n.summary.phase === 'Running' && n.summary.ready === 2;
      },
      90_000,
    );
  };

  before(async () => {
    cluster = await sharedCluster();
    const loaded = loadKubeconfig({ explicitPath: cluster.kubeconfigPath });
    assert.equal(loaded.kind, 'ok');
    cfg = loaded as MergedKubeconfig;
    ns = await cluster.createNamespace('insights');
    const c = ClusterConnection.create(cfg, cfg.currentContext!);
    assert.ok(c.ok);
    conn = c.value;
    model = new ClusterModel(new ClusterModelSource(conn, { scope: { kind: 'some', namespaces: [ns] } }));
    insights = new TrainingInsights(model, conn, { followProgress: true, settleMs: 500 });
    assert.equal((await model.start()).state, 'connected');
  });

  after(async () => {
    insights?.dispose();
    model?.dispose();
    conn?.dispose();
    await cluster?.kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  it('the worker’s NCCL timeout after the master’s CUDA OOM: the master is named as the first failure', async () => {
    await submit('oom', {
      'sim.gantry.dev/outcome': 'fail',
      'sim.gantry.dev/exit-code': '1',
      'sim.gantry.dev/duration': '30s',
    });
    await cluster.appendLog(ns, 'oom-master-0', 'pytorch', [
      'epoch 1 step 120/1000 loss=2.31',
      'Traceback (most recent call last):',
      '  File "/workspace/train.py", line 88, in <module>',
      '    loss = model(batch).loss',
      '  File "/workspace/model.py", line 41, in forward',
      '    h = self.mlp(x)',
      'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.50 GiB. GPU 0 has a total capacity of 79.15 GiB of which 1.10 GiB is free. Including non-PyTorch memory, this process has 78.04 GiB memory in use.',
    ]);
    // The worker notices only when its collective times out, later.
    await new Promise((r) => setTimeout(r, 1100));
    await cluster.appendLog(ns, 'oom-worker-0', 'pytorch', [
      'epoch 1 step 120/1000',
      '[rank1]:[E1206 10:10:01.000000000 ProcessGroupNCCL.cpp:607] [Rank 1] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=910, OpType=ALLREDUCE, NumelIn=1, NumelOut=1, Timeout(ms)=600000) ran for 600013 milliseconds before timing out.',
    ]);

    const failed = await waitFor(
      'the failed row to say why',
      async () => {
        const n = row('oom');
        return n?.summary.phase === 'Failed' && n.description?.includes('CUDA OOM') ? n : undefined;
      },
      120_000,
      250,
    );
    assert.match(
      failed.description!,
      /^Failed: CUDA OOM on master-0: tried to allocate 2\.5 GiB, 1\.1 GiB free · /,
    );
    assert.match(failed.tooltip!, /\*What to do:\* Lower the per-GPU batch size/);
    assert.match(failed.tooltip!, /NCCL timeout on worker-0 \(rank 1\): ALLREDUCE waited 10 min/);

    const ev = insights.evidenceOf(failed.id)!;
    assert.equal(ev.failure.root.cause, 'cudaOom');
    assert.equal(ev.failure.root.label, 'master-0');
    assert.equal(ev.failure.root.frame, 'model.py:41 in forward');
    assert.ok(ev.failure.root.evidence!.ts, 'the evidence line carries the apiserver timestamp');
    assert.match(ev.lines[ev.failure.root.evidence!.index]!, /CUDA out of memory/);
    assert.ok(ev.failure.others.some((o) => o.cause === 'ncclTimeout' && o.label === 'worker-0'));

    // One tail per rank for this failure, and no more reads while nothing changes.
    const reads = insights.tailReads;
    assert.ok(reads >= 2 && reads <= 4, `tail reads: ${reads}`);
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal(insights.tailReads, reads);
  });

  // A kubelet serves the previous container's log after a restart; kwok keeps none and answers 400, so this
  // also covers the fallback to the current log.
  it('a rank restarted in place: its last lines explain the restart', async () => {
    await submit(
      'retry',
      {
        'sim.gantry.dev/outcome': 'fail',
        'sim.gantry.dev/exit-code': '1',
        'sim.gantry.dev/duration': '25s',
        'sim.gantry.dev/failures': '1',
      },
      'OnFailure',
    );
    await cluster.appendLog(ns, 'retry-master-0', 'pytorch', [
      'epoch 1 step 40/1000 loss=2.9',
      "RuntimeError: DataLoader worker (pid 4242) is killed by signal: Bus error. It is possible that dataloader's workers are out of shared memory. Please try to raise your shared memory limit.",
    ]);
    const restarting = await waitFor(
      'the restarting row to say why',
      async () => {
        const n = row('retry');
        return n?.description?.includes('shared memory') ? n : undefined;
      },
      120_000,
      250,
    );
    assert.equal(restarting.summary.phase, 'Restarting');
    assert.match(restarting.description!, /^Restarting: Out of shared memory on master-0 \(\/dev\/shm\) · /);
    assert.match(restarting.tooltip!, /Mount an emptyDir with medium: Memory at \/dev\/shm/);
  });

  it('a running job printing a tqdm bar shows its step in the tree; the follow stops when the job goes', async () => {
    await submit('prog', { 'sim.gantry.dev/duration': '600s' });
    const bar = (i: number, loss: number) =>
      `Epoch 2/5:  ${String(Math.round((i / 1000) * 100)).padStart(3)}%|████      | ${i}/1000 [01:00<01:30,  6.67it/s, loss=${loss.toFixed(3)}]`;
    // Redrawn with `\r` (one log line holds several states) and printed by the master; the worker's bar is its own.
    await cluster.appendLog(
      ns,
      'prog-master-0',
      'pytorch',
      [`\r${bar(398, 0.53)}\r${bar(399, 0.52)}\r${bar(400, 0.512)}`],
      'stderr',
    );
    await cluster.appendLog(ns, 'prog-worker-0', 'pytorch', [bar(999, 9.9)], 'stderr');

    const running = await waitFor(
      'the row to show the master’s step',
      async () => {
        const n = row('prog');
        return n?.description?.includes('step 400/1000') ? n : undefined;
      },
      60_000,
      250,
    );
    assert.match(
      running.description!,
      /^Running · 2\/2 · .*epoch 2\/5 · step 400\/1000 · loss 0\.512 · 6\.67 it\/s · /,
    );
    assert.match(running.tooltip!, /Read from a tqdm bar of master-0\./);
    // One follow per running training job (the restarted one above runs too), the master's only.
    assert.ok(insights.follows.includes(running.id));
    assert.equal(new Set(insights.follows).size, insights.follows.length);

    await cluster.appendLog(ns, 'prog-master-0', 'pytorch', [bar(450, 0.48)], 'stderr');
    await waitFor(
      'the step to move',
      async () => row('prog')?.description?.includes('step 450/1000'),
      30_000,
      250,
    );

    const r = await cluster.kubectl(['delete', 'pytorchjob', 'prog', '-n', ns, '--wait=false']);
    assert.equal(r.code, 0, r.stderr);
    await waitFor('the follow to stop', async () => !insights.follows.includes(running.id), 60_000, 250);
  });
});
