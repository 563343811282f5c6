import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sharedCluster, type TestCluster } from './harness/index';
import type { Rest } from './harness/rest';
import { type Json, rest, waitFor } from './helpers';

const GPU_TOLERATION = [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }];

function container(name: string, gpus = 0): Json {
  return {
    name,
    image: 'docker.io/kubeflowkatib/pytorch-mnist:v1beta1-45c5727',
    ...(gpus ? { resources: { limits: { 'nvidia.com/gpu': gpus } } } : {}),
  };
}

describe('workload simulator (operators played for tests and the demo)', () => {
  let cluster: TestCluster;
  let api: Rest;
  let ns: string;

  const pods = async (selector: string): Promise<Json[]> =>
    (
      await api.get<{ items: Json[] }>(
        `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`,
      )
    ).items;
  const get = (path: string): Promise<Json> => api.get(path);
  const cond = (o: Json, type: string): Json =>
    (o.status?.conditions ?? []).find((c: Json) => c.type === type && c.status === 'True');

  before(async () => {
    cluster = await sharedCluster();
    api = await rest(cluster);
    ns = await cluster.createNamespace('sim');
  });
  after(async () => {
    await api.delete(`/api/v1/namespaces/${ns}`);
    api.close();
    await cluster.stop();
  });

  it('PyTorchJob: master and worker pods with operator labels, owner refs and services; Running then Succeeded', async () => {
    const job = await api.post<Json>(`/apis/kubeflow.org/v1/namespaces/${ns}/pytorchjobs`, {
      apiVersion: 'kubeflow.org/v1',
      kind: 'PyTorchJob',
      metadata: {
        name: 'mnist',
        annotations: { 'sim.gantry.dev/outcome': 'succeed', 'sim.gantry.dev/duration': '4s' },
      },
      spec: {
        pytorchReplicaSpecs: {
          Master: {
            replicas: 1,
            restartPolicy: 'OnFailure',
            template: { spec: { tolerations: GPU_TOLERATION, containers: [container('pytorch', 1)] } },
          },
          Worker: {
            replicas: 2,
            restartPolicy: 'OnFailure',
            template: { spec: { tolerations: GPU_TOLERATION, containers: [container('pytorch', 1)] } },
          },
        },
      },
    });
    const all = await waitFor('3 pods', async () => {
      const p = await pods('training.kubeflow.org/job-name=mnist');
      return p.length === 3 ? p : undefined;
    });
    const byName = new Map(all.map((p) => [p.metadata.name, p]));
    assert.deepEqual([...byName.keys()].sort(), ['mnist-master-0', 'mnist-worker-0', 'mnist-worker-1']);
    const master = byName.get('mnist-master-0');
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(master.metadata.labels).filter(([k]) => k.startsWith('training.kubeflow.org/')),
      ),
      {
        'training.kubeflow.org/job-name': 'mnist',
        'training.kubeflow.org/operator-name': 'pytorchjob-controller',
        'training.kubeflow.org/replica-type': 'master',
        'training.kubeflow.org/replica-index': '0',
        'training.kubeflow.org/job-role': 'master',
      },
    );
    assert.equal(
      byName.get('mnist-worker-1').metadata.labels['training.kubeflow.org/replica-type'],
      'worker',
    );
    assert.equal(byName.get('mnist-worker-1').metadata.labels['training.kubeflow.org/job-role'], undefined);
    assert.deepEqual(master.metadata.ownerReferences, [
      {
        apiVersion: 'kubeflow.org/v1',
        kind: 'PyTorchJob',
        name: 'mnist',
        uid: job.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    const env = Object.fromEntries(
      byName.get('mnist-worker-1').spec.containers[0].env.map((e: Json) => [e.name, e.value]),
    );
    assert.equal(env.MASTER_ADDR, 'mnist-master-0');
    assert.equal(env.WORLD_SIZE, '3');
    assert.equal(env.RANK, '2');
    const svc = await get(`/api/v1/namespaces/${ns}/services/mnist-master-0`);
    assert.equal(svc.spec.clusterIP, 'None');

    const running = await waitFor('Running condition', async () => {
      const j = await get(`/apis/kubeflow.org/v1/namespaces/${ns}/pytorchjobs/mnist`);
      return cond(j, 'Running') ? j : undefined;
    });
    assert.equal(cond(running, 'Running').reason, 'PyTorchJobRunning');
    assert.ok(cond(running, 'Created'));
    assert.equal(running.status.replicaStatuses.Master.active, 1);
    assert.ok(running.status.startTime);
    const done = await waitFor(
      'Succeeded condition',
      async () => {
        const j = await get(`/apis/kubeflow.org/v1/namespaces/${ns}/pytorchjobs/mnist`);
        return cond(j, 'Succeeded') ? j : undefined;
      },
      30_000,
    );
    assert.equal(cond(done, 'Succeeded').reason, 'PyTorchJobSucceeded');
    assert.equal(done.status.replicaStatuses.Master.succeeded, 1);
    assert.ok(done.status.completionTime);
    assert.equal(done.status.conditions.find((c: Json) => c.type === 'Running').status, 'False');
  });

  it('PyTorchJob whose master fails ends Failed', async () => {
    await api.post(`/apis/kubeflow.org/v1/namespaces/${ns}/pytorchjobs`, {
      apiVersion: 'kubeflow.org/v1',
      kind: 'PyTorchJob',
      metadata: {
        name: 'crash',
        annotations: { 'sim.gantry.dev/outcome': 'fail', 'sim.gantry.dev/duration': '1s' },
      },
      spec: {
        pytorchReplicaSpecs: {
          Master: {
            replicas: 1,
            restartPolicy: 'Never',
            template: { spec: { containers: [container('pytorch')] } },
          },
        },
      },
    });
    const j = await waitFor('Failed', async () => {
      const x = await get(`/apis/kubeflow.org/v1/namespaces/${ns}/pytorchjobs/crash`);
      return cond(x, 'Failed') ? x : undefined;
    });
    assert.equal(cond(j, 'Failed').reason, 'PyTorchJobFailed');
  });

  it('TFJob and MPIJob get their replica pods', async () => {
    await api.post(`/apis/kubeflow.org/v1/namespaces/${ns}/tfjobs`, {
      apiVersion: 'kubeflow.org/v1',
      kind: 'TFJob',
      metadata: { name: 'dist' },
      spec: {
        tfReplicaSpecs: {
          PS: { replicas: 1, template: { spec: { containers: [container('tensorflow')] } } },
          Worker: { replicas: 2, template: { spec: { containers: [container('tensorflow')] } } },
        },
      },
    });
    await api.post(`/apis/kubeflow.org/v1/namespaces/${ns}/mpijobs`, {
      apiVersion: 'kubeflow.org/v1',
      kind: 'MPIJob',
      metadata: { name: 'hvd' },
      spec: {
        mpiReplicaSpecs: {
          Launcher: { replicas: 1, template: { spec: { containers: [container('mpi')] } } },
          Worker: { replicas: 2, template: { spec: { containers: [container('mpi')] } } },
        },
      },
    });
    const tf = await waitFor('tf pods', async () =>
      (await pods('training.kubeflow.org/job-name=dist')).length === 3
        ? pods('training.kubeflow.org/job-name=dist')
        : undefined,
    );
    assert.deepEqual(tf.map((p) => p.metadata.name).sort(), ['dist-ps-0', 'dist-worker-0', 'dist-worker-1']);
    const w0 = tf.find((p) => p.metadata.name === 'dist-worker-0');
    assert.equal(
      w0.metadata.labels['training.kubeflow.org/job-role'],
      'master',
      'worker-0 is master without a chief',
    );
    const tfConfig = JSON.parse(w0.spec.containers[0].env.find((e: Json) => e.name === 'TF_CONFIG').value);
    assert.deepEqual(tfConfig.task, { type: 'worker', index: 0 });
    const mpi = await waitFor('mpi pods', async () =>
      (await pods('training.kubeflow.org/job-name=hvd')).length === 3
        ? pods('training.kubeflow.org/job-name=hvd')
        : undefined,
    );
    assert.deepEqual(mpi.map((p) => p.metadata.name).sort(), [
      'hvd-launcher',
      'hvd-worker-0',
      'hvd-worker-1',
    ]);
    const launcher = mpi.find((p) => p.metadata.name === 'hvd-launcher');
    assert.equal(launcher.metadata.labels['training.kubeflow.org/job-role'], 'master');
    assert.equal(launcher.metadata.labels['training.kubeflow.org/replica-type'], 'launcher');
    assert.equal(launcher.metadata.labels['training.kubeflow.org/operator-name'], 'mpijob-controller');
  });

  it('JobSet: child Jobs (real Job controller makes the pods) with JobSet labels; Completed', async () => {
    const js = await api.post<Json>(`/apis/jobset.x-k8s.io/v1alpha2/namespaces/${ns}/jobsets`, {
      apiVersion: 'jobset.x-k8s.io/v1alpha2',
      kind: 'JobSet',
      metadata: { name: 'pt', annotations: { 'sim.gantry.dev/duration': '2s' } },
      spec: {
        replicatedJobs: [
          {
            name: 'workers',
            replicas: 2,
            template: {
              spec: {
                parallelism: 2,
                completions: 2,
                backoffLimit: 0,
                template: { spec: { restartPolicy: 'Never', containers: [container('pytorch')] } },
              },
            },
          },
        ],
      },
    });
    const jobs = await waitFor('2 jobs', async () => {
      const l = await api.get<{ items: Json[] }>(
        `/apis/batch/v1/namespaces/${ns}/jobs?labelSelector=jobset.sigs.k8s.io/jobset-name=pt`,
      );
      return l.items.length === 2 ? l.items : undefined;
    });
    assert.deepEqual(jobs.map((j) => j.metadata.name).sort(), ['pt-workers-0', 'pt-workers-1']);
    assert.equal(jobs[0].metadata.ownerReferences[0].kind, 'JobSet');
    assert.equal(jobs[0].metadata.ownerReferences[0].uid, js.metadata.uid);
    const ps = await waitFor('4 pods', async () =>
      (await pods('jobset.sigs.k8s.io/jobset-name=pt')).length === 4
        ? pods('jobset.sigs.k8s.io/jobset-name=pt')
        : undefined,
    );
    const p = ps.find((x) => x.metadata.labels['jobset.sigs.k8s.io/job-index'] === '1');
    assert.equal(p.metadata.labels['jobset.sigs.k8s.io/replicatedjob-name'], 'workers');
    assert.equal(p.metadata.labels['jobset.sigs.k8s.io/job-global-index'], '1');
    assert.equal(p.metadata.labels['batch.kubernetes.io/job-name'], 'pt-workers-1');
    assert.ok(p.metadata.labels['batch.kubernetes.io/job-completion-index'] !== undefined, 'Indexed Job');
    assert.equal(p.spec.subdomain, 'pt');
    assert.equal((await get(`/api/v1/namespaces/${ns}/services/pt`)).spec.clusterIP, 'None');
    const done = await waitFor(
      'Completed',
      async () => {
        const x = await get(`/apis/jobset.x-k8s.io/v1alpha2/namespaces/${ns}/jobsets/pt`);
        return cond(x, 'Completed') ? x : undefined;
      },
      40_000,
    );
    assert.equal(done.status.terminalState, 'Completed');
    assert.deepEqual(done.status.replicatedJobsStatus, [
      { name: 'workers', ready: 0, succeeded: 2, failed: 0, active: 0, suspended: 0 },
    ]);
  });

  it('TrainJob: a JobSet from the runtime, owned by the TrainJob; Complete', async () => {
    await api.post('/apis/trainer.kubeflow.org/v1alpha1/clustertrainingruntimes', {
      apiVersion: 'trainer.kubeflow.org/v1alpha1',
      kind: 'ClusterTrainingRuntime',
      metadata: { name: `torch-${ns}`, labels: { 'trainer.kubeflow.org/framework': 'torch' } },
      spec: {
        mlPolicy: { numNodes: 1, torch: {} },
        template: {
          spec: {
            replicatedJobs: [
              {
                name: 'node',
                template: {
                  metadata: { labels: { 'trainer.kubeflow.org/trainjob-ancestor-step': 'trainer' } },
                  spec: {
                    template: {
                      spec: {
                        tolerations: GPU_TOLERATION,
                        containers: [
                          { name: 'node', image: 'pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime' },
                        ],
                      },
                    },
                  },
                },
              },
            ],
          },
        },
      },
    });
    try {
      const tj = await api.post<Json>(`/apis/trainer.kubeflow.org/v1alpha1/namespaces/${ns}/trainjobs`, {
        apiVersion: 'trainer.kubeflow.org/v1alpha1',
        kind: 'TrainJob',
        metadata: { name: 'llm', annotations: { 'sim.gantry.dev/duration': '2s' } },
        spec: {
          runtimeRef: { name: `torch-${ns}` },
          trainer: { numNodes: 2, resourcesPerNode: { limits: { 'nvidia.com/gpu': 4 } } },
        },
      });
      const js = await waitFor('JobSet', () =>
        api.find<Json>(`/apis/jobset.x-k8s.io/v1alpha2/namespaces/${ns}/jobsets/llm`),
      );
      assert.equal(js.metadata.ownerReferences[0].kind, 'TrainJob');
      assert.equal(js.metadata.ownerReferences[0].uid, tj.metadata.uid);
      assert.equal(js.spec.replicatedJobs[0].template.spec.parallelism, 2);
      const ps = await waitFor('2 node pods', async () =>
        (await pods('jobset.sigs.k8s.io/jobset-name=llm')).length === 2
          ? pods('jobset.sigs.k8s.io/jobset-name=llm')
          : undefined,
      );
      assert.equal(ps[0].metadata.labels['jobset.sigs.k8s.io/replicatedjob-name'], 'node');
      // The runtime puts the ancestor label on the replicated Job template, so the Job (not the pod) carries it.
      const job = await get(`/apis/batch/v1/namespaces/${ns}/jobs/llm-node-0`);
      assert.equal(job.metadata.labels['trainer.kubeflow.org/trainjob-ancestor-step'], 'trainer');
      assert.equal(ps[0].spec.containers[0].resources.limits['nvidia.com/gpu'], '4');
      const done = await waitFor(
        'Complete',
        async () => {
          const x = await get(`/apis/trainer.kubeflow.org/v1alpha1/namespaces/${ns}/trainjobs/llm`);
          return cond(x, 'Complete') ? x : undefined;
        },
        40_000,
      );
      assert.equal(cond(done, 'Complete').reason, 'AllJobsCompleted');
      assert.equal(done.status.jobsStatus[0].name, 'node');
    } finally {
      await api.delete(`/apis/trainer.kubeflow.org/v1alpha1/clustertrainingruntimes/torch-${ns}`);
    }
  });

  it('RayCluster: head and worker pods with KubeRay labels, head service, state ready', async () => {
    await api.post(`/apis/ray.io/v1/namespaces/${ns}/rayclusters`, {
      apiVersion: 'ray.io/v1',
      kind: 'RayCluster',
      metadata: { name: 'raycluster' },
      spec: {
        headGroupSpec: {
          rayStartParams: {},
          template: {
            spec: {
              containers: [
                {
                  name: 'ray-head',
                  image: 'rayproject/ray:2.52.0',
                  resources: { limits: { cpu: '2', memory: '8Gi' } },
                },
              ],
            },
          },
        },
        workerGroupSpecs: [
          {
            groupName: 'gpu',
            replicas: 2,
            minReplicas: 1,
            maxReplicas: 4,
            rayStartParams: {},
            template: {
              spec: {
                tolerations: GPU_TOLERATION,
                containers: [
                  {
                    name: 'ray-worker',
                    image: 'rayproject/ray:2.52.0-gpu',
                    resources: { limits: { cpu: '8', memory: '32Gi', 'nvidia.com/gpu': '1' } },
                  },
                ],
              },
            },
          },
        ],
      },
    });
    const rc = await waitFor('ready', async () => {
      const x = await get(`/apis/ray.io/v1/namespaces/${ns}/rayclusters/raycluster`);
      return x.status?.state === 'ready' ? x : undefined;
    });
    assert.equal(rc.status.readyWorkerReplicas, 2);
    assert.equal(rc.status.desiredGPU, '2');
    assert.ok(cond(rc, 'HeadPodReady'));
    assert.ok(cond(rc, 'RayClusterProvisioned'));
    const head = (await pods('ray.io/cluster=raycluster,ray.io/node-type=head'))[0];
    assert.match(head.metadata.name, /^raycluster-head-[a-z0-9]{5}$/);
    assert.equal(head.metadata.labels['ray.io/group'], 'headgroup');
    assert.equal(head.metadata.labels['ray.io/identifier'], 'raycluster-head');
    assert.equal(rc.status.head.podName, head.metadata.name);
    const workers = await pods('ray.io/cluster=raycluster,ray.io/node-type=worker');
    assert.equal(workers.length, 2);
    assert.match(workers[0].metadata.name, /^raycluster-gpu-worker-[a-z0-9]{5}$/);
    assert.equal(workers[0].metadata.labels['ray.io/group'], 'gpu');
    assert.equal(workers[0].metadata.ownerReferences[0].kind, 'RayCluster');
    assert.ok(await api.find(`/api/v1/namespaces/${ns}/services/raycluster-head-svc`));
  });

  it('RayJob: creates its RayCluster and submitter Job, then SUCCEEDED / Complete', async () => {
    await api.post(`/apis/ray.io/v1/namespaces/${ns}/rayjobs`, {
      apiVersion: 'ray.io/v1',
      kind: 'RayJob',
      metadata: { name: 'rayjob', annotations: { 'sim.gantry.dev/duration': '2s' } },
      spec: {
        entrypoint: 'python /home/ray/samples/sample_code.py',
        rayClusterSpec: {
          headGroupSpec: {
            rayStartParams: {},
            template: { spec: { containers: [{ name: 'ray-head', image: 'rayproject/ray:2.52.0' }] } },
          },
          workerGroupSpecs: [
            {
              groupName: 'small',
              replicas: 1,
              rayStartParams: {},
              template: { spec: { containers: [{ name: 'ray-worker', image: 'rayproject/ray:2.52.0' }] } },
            },
          ],
        },
      },
    });
    const done = await waitFor(
      'Complete',
      async () => {
        const x = await get(`/apis/ray.io/v1/namespaces/${ns}/rayjobs/rayjob`);
        return x.status?.jobDeploymentStatus === 'Complete' ? x : undefined;
      },
      45_000,
    );
    assert.equal(done.status.jobStatus, 'SUCCEEDED');
    assert.match(done.status.rayClusterName, /^rayjob-[a-z0-9]{5}$/);
    assert.match(done.status.jobId, /^rayjob-[a-z0-9]{5}$/);
    const rc = await get(`/apis/ray.io/v1/namespaces/${ns}/rayclusters/${done.status.rayClusterName}`);
    assert.equal(rc.metadata.labels['ray.io/originated-from-crd'], 'RayJob');
    assert.equal(rc.metadata.labels['ray.io/originated-from-cr-name'], 'rayjob');
    const submitter = await get(`/apis/batch/v1/namespaces/${ns}/jobs/rayjob`);
    assert.equal(submitter.metadata.ownerReferences[0].kind, 'RayJob');
    // KubeRay v1.7 getSubmitterTemplate: the submitter pods carry the origin labels too.
    const origin = {
      'ray.io/originated-from-cr-name': 'rayjob',
      'ray.io/originated-from-crd': 'RayJob',
      'app.kubernetes.io/created-by': 'kuberay-operator',
    };
    const pick = (labels: Record<string, string>) =>
      Object.fromEntries(Object.keys(origin).map((k) => [k, labels?.[k]]));
    assert.deepEqual(pick(submitter.spec.template.metadata.labels), origin);
    const submitterPods = await pods('batch.kubernetes.io/job-name=rayjob');
    assert.ok(submitterPods.length >= 1, 'a submitter pod');
    for (const p of submitterPods) assert.deepEqual(pick(p.metadata.labels), origin);
  });

  it('Notebook: StatefulSet, Service and a Running pod; status mirrors the pod', async () => {
    await api.post(`/apis/kubeflow.org/v1/namespaces/${ns}/notebooks`, {
      apiVersion: 'kubeflow.org/v1',
      kind: 'Notebook',
      metadata: { name: 'jupyter' },
      spec: {
        template: {
          spec: { containers: [{ name: 'jupyter', image: 'kubeflownotebookswg/jupyter-scipy:v1.9.0' }] },
        },
      },
    });
    const nb = await waitFor(
      'readyReplicas 1',
      async () => {
        const x = await get(`/apis/kubeflow.org/v1/namespaces/${ns}/notebooks/jupyter`);
        return x.status?.readyReplicas === 1 ? x : undefined;
      },
      30_000,
    );
    assert.ok(nb.status.containerState.running);
    assert.ok(nb.status.conditions.some((c: Json) => c.type === 'Ready' && c.status === 'True'));
    const pod = await get(`/api/v1/namespaces/${ns}/pods/jupyter-0`);
    assert.equal(pod.metadata.labels['notebook-name'], 'jupyter');
    assert.equal(pod.metadata.labels.statefulset, 'jupyter');
    const svc = await get(`/api/v1/namespaces/${ns}/services/jupyter`);
    assert.deepEqual(
      svc.spec.ports.map((p: Json) => [p.name, p.port, p.targetPort]),
      [['http-jupyter', 80, 8888]],
    );
    const sts = await get(`/apis/apps/v1/namespaces/${ns}/statefulsets/jupyter`);
    assert.equal(sts.metadata.ownerReferences[0].kind, 'Notebook');
  });

  it('InferenceService: predictor Deployment and Service (Standard mode), Ready', async () => {
    await api.post(`/apis/serving.kserve.io/v1beta1/namespaces/${ns}/inferenceservices`, {
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 'sklearn-iris' },
      spec: {
        predictor: {
          model: {
            modelFormat: { name: 'sklearn' },
            storageUri: 'gs://kfserving-examples/models/sklearn/1.0/model',
          },
        },
      },
    });
    const isvc = await waitFor(
      'Ready',
      async () => {
        const x = await get(
          `/apis/serving.kserve.io/v1beta1/namespaces/${ns}/inferenceservices/sklearn-iris`,
        );
        return cond(x, 'Ready') ? x : undefined;
      },
      30_000,
    );
    assert.ok(cond(isvc, 'PredictorReady'));
    assert.equal(isvc.status.modelStatus.states.activeModelState, 'Loaded');
    const ps = await pods('serving.kserve.io/inferenceservice=sklearn-iris');
    assert.equal(ps.length, 1);
    assert.equal(ps[0].metadata.labels.component, 'predictor');
    assert.equal(ps[0].metadata.labels.app, 'isvc.sklearn-iris-predictor');
    const dep = await get(`/apis/apps/v1/namespaces/${ns}/deployments/sklearn-iris-predictor`);
    assert.equal(dep.metadata.ownerReferences[0].kind, 'InferenceService');
  });
});
