// TFJob and MPIJob on the real training-operator v1.9 (the same controller manager as PyTorchJob): the replica
// pods it makes, their labels and TF_CONFIG, as Gantry's pod tracker reads them. These kinds were played by the
// workload simulator before; the operator now serves them in the default cluster.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Json, waitFor } from '../helpers';
import { operatorEnv, type OperatorEnv } from './setup';

let env: OperatorEnv;

before(async () => {
  env = await operatorEnv('tkinds');
  env.needs('training-operator');
});

after(async () => {
  await env?.close();
});

/** A replica whose pods keep running (the knob on the pod template: the operator does not copy the job's). */
function replica(replicas: number, container: string): Json {
  return {
    replicas,
    template: {
      metadata: { annotations: { 'sim.gantry.dev/duration': '600s' } },
      spec: {
        containers: [{ name: container, image: 'docker.io/kubeflowkatib/pytorch-mnist:v1beta1-45c5727' }],
      },
    },
  };
}

const names = async (job: string, count: number): Promise<Json[]> =>
  waitFor(`${count} pods of ${job}`, async () => {
    const p = await env.pods(`training.kubeflow.org/job-name=${job}`);
    return p.length === count ? p.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)) : undefined;
  });

describe('TFJob and MPIJob (real training-operator v1.9)', () => {
  it('TFJob: PS and worker pods with the operator labels and TF_CONFIG; worker-0 is the master without a chief', async () => {
    await env.post('kubeflow.org/v1', 'tfjobs', {
      apiVersion: 'kubeflow.org/v1',
      kind: 'TFJob',
      metadata: { name: 'dist' },
      spec: { tfReplicaSpecs: { PS: replica(1, 'tensorflow'), Worker: replica(2, 'tensorflow') } },
    });
    const tf = await names('dist', 3);
    assert.deepEqual(
      tf.map((p) => p.metadata.name),
      ['dist-ps-0', 'dist-worker-0', 'dist-worker-1'],
    );
    const w0 = tf.find((p) => p.metadata.name === 'dist-worker-0');
    assert.equal(w0.metadata.labels['training.kubeflow.org/job-role'], 'master');
    assert.equal(w0.metadata.labels['training.kubeflow.org/replica-type'], 'worker');
    assert.equal(w0.metadata.labels['training.kubeflow.org/operator-name'], 'tfjob-controller');
    const tfConfig = JSON.parse(w0.spec.containers[0].env.find((e: Json) => e.name === 'TF_CONFIG').value);
    assert.deepEqual(tfConfig.task, { type: 'worker', index: 0 });
    assert.deepEqual(await env.podLabels('kubeflow.org', 'TFJob', 'dist', 3), [
      'ps-0',
      'worker-0',
      'worker-1',
    ]);
  });

  it('MPIJob: the launcher and worker pods with the operator labels', async () => {
    await env.post('kubeflow.org/v1', 'mpijobs', {
      apiVersion: 'kubeflow.org/v1',
      kind: 'MPIJob',
      metadata: { name: 'hvd' },
      spec: { mpiReplicaSpecs: { Launcher: replica(1, 'mpi'), Worker: replica(2, 'mpi') } },
    });
    const mpi = await names('hvd', 3);
    assert.deepEqual(
      mpi.map((p) => p.metadata.name),
      ['hvd-launcher', 'hvd-worker-0', 'hvd-worker-1'],
    );
    const launcher = mpi.find((p) => p.metadata.name === 'hvd-launcher');
    assert.equal(launcher.metadata.labels['training.kubeflow.org/job-role'], 'master');
    assert.equal(launcher.metadata.labels['training.kubeflow.org/replica-type'], 'launcher');
    assert.equal(launcher.metadata.labels['training.kubeflow.org/operator-name'], 'mpijob-controller');
    assert.deepEqual(await env.podLabels('kubeflow.org', 'MPIJob', 'hvd', 3), [
      'launcher',
      'worker-0',
      'worker-1',
    ]);
  });
});
