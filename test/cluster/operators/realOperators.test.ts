// The real ML operators (test/cluster/harness/operators.ts), end to end: objects written by the operators
// themselves (labels, conditions, reasons, events) go through Gantry's model to the ML Workloads rows and the pod
// tracker's role/rank labels. Runs in the default cluster tier (`npm run test:cluster` starts the operators),
// or on `npm run cluster:up -- --operators --name ops`.
// A block whose operator is not running in that cluster fails with that message (never a silent skip).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WorkloadNode } from '../../../src/core/tree';
import { explainWorkload } from '../../../src/model/why';
import { whyMarkdown } from '../../../src/core/whyNotRunning';
import { type Json, waitFor } from '../helpers';
import { cond, operatorEnv, type OperatorEnv } from './setup';

let env: OperatorEnv;

before(async () => {
  env = await operatorEnv('operators');
});

after(async () => {
  await env?.close();
});

const needs = (name: string): void => env.needs(name);
const row = (name: string, want: string, timeoutMs?: number): Promise<WorkloadNode> =>
  env.row(name, want, timeoutMs);
const post = (apiVersion: string, plural: string, body: Json) => env.post(apiVersion, plural, body);
const get = (apiVersion: string, plural: string, name: string) => env.get(apiVersion, plural, name);
const pods = (selector: string): Promise<Json[]> => env.pods(selector);
const podLabels = (group: string, kind: string, name: string, count: number): Promise<string[]> =>
  env.podLabels(group, kind, name, count);

const NOWHERE = { nodeSelector: { 'gantry.dev/pool': 'nowhere' }, tolerations: [{ operator: 'Exists' }] };
const FAIL = { 'sim.gantry.dev/outcome': 'fail', 'sim.gantry.dev/duration': '2s' };
const unschedulable = 'no node has gantry.dev/pool=nowhere';

function jobSet(name: string, annotations: Json, pod: Json = {}): Json {
  return {
    apiVersion: 'jobset.x-k8s.io/v1alpha2',
    kind: 'JobSet',
    metadata: { name },
    spec: {
      replicatedJobs: [
        {
          name: 'workers',
          replicas: 2,
          template: {
            spec: {
              parallelism: 1,
              completions: 1,
              backoffLimit: 0,
              template: {
                metadata: { annotations },
                spec: { restartPolicy: 'Never', ...pod, containers: [{ name: 'w', image: 'busybox:1.36' }] },
              },
            },
          },
        },
      ],
    },
  };
}

describe('JobSet v0.12 (real controller, webhooks through the apiserver)', () => {
  before(() => needs('jobset'));

  it('the defaulting webhook fills the spec, pods carry the controller labels, the row reads Succeeded', async () => {
    await post('jobset.x-k8s.io/v1alpha2', 'jobsets', jobSet('js-ok', { 'sim.gantry.dev/duration': '4s' }));
    const js = await get('jobset.x-k8s.io/v1alpha2', 'jobsets', 'js-ok');
    // Set by the mutating webhook only (the controller dereferences them without nil checks).
    assert.equal(js.spec.successPolicy.operator, 'All');
    assert.equal(js.spec.network.enableDNSHostnames, true);
    assert.deepEqual(await podLabels('jobset.x-k8s.io', 'JobSet', 'js-ok', 2), [
      'workers-0-0',
      'workers-1-0',
    ]);
    const ps = await pods('jobset.sigs.k8s.io/jobset-name=js-ok');
    assert.deepEqual(ps.map((p) => p.metadata.labels['jobset.sigs.k8s.io/job-index']).sort(), ['0', '1']);
    // The pod webhook's label: proof that the pod create went through JobSet's webhook server.
    assert.ok(ps.every((p) => p.metadata.labels['jobset.sigs.k8s.io/priority'] === '0'));
    await row('js-ok', 'Succeeded: AllJobsCompleted · 0/2');
    const done = await get('jobset.x-k8s.io/v1alpha2', 'jobsets', 'js-ok');
    assert.equal(done.status.terminalState, 'Completed');
    assert.equal(cond(done, 'Completed').message, 'jobset completed successfully');
  });

  it('a failed child Job fails it (FailedJobs); unschedulable pods keep it Pending with the reason', async () => {
    await post('jobset.x-k8s.io/v1alpha2', 'jobsets', jobSet('js-fail', FAIL));
    await post('jobset.x-k8s.io/v1alpha2', 'jobsets', jobSet('js-pending', {}, NOWHERE));
    await row('js-fail', 'Failed: FailedJobs · 0/2');
    await row('js-pending', `Pending: ${unschedulable} · 0/2`);
    const failed = await get('jobset.x-k8s.io/v1alpha2', 'jobsets', 'js-fail');
    assert.equal(failed.status.terminalState, 'Failed');
  });

  it('the validating webhook refuses an invalid JobSet through the apiserver', async () => {
    const bad = jobSet('js-bad', {});
    // Only the webhook checks this (the CRD schema cannot cross-reference names).
    bad.spec.successPolicy = { operator: 'All', targetReplicatedJobs: ['nope'] };
    await assert.rejects(post('jobset.x-k8s.io/v1alpha2', 'jobsets', bad), (e: Error) => {
      assert.match(e.message, /admission webhook \W*vjobset\.kb\.io\W* denied the request/);
      assert.match(e.message, /invalid replicatedJob name 'nope' does not appear in \.spec\.ReplicatedJobs/);
      return true;
    });
  });
});

function lws(name: string, pod: Json = {}): Json {
  return {
    apiVersion: 'leaderworkerset.x-k8s.io/v1',
    kind: 'LeaderWorkerSet',
    metadata: { name },
    spec: {
      replicas: 2,
      leaderWorkerTemplate: {
        size: 2,
        workerTemplate: {
          spec: { ...pod, containers: [{ name: 'vllm', image: 'vllm/vllm-openai:v0.9.0' }] },
        },
      },
    },
  };
}

describe('LeaderWorkerSet v0.9 (real controller; group labels come from its pod webhook)', () => {
  before(() => needs('lws'));

  it('groups get leader and worker pods with group/worker indexes; the row reads Ready', async () => {
    await post('leaderworkerset.x-k8s.io/v1', 'leaderworkersets', lws('lws-ok'));
    const ps = await waitFor('4 pods of lws-ok', async () => {
      const l = await pods('leaderworkerset.sigs.k8s.io/name=lws-ok');
      return l.length === 4 ? l : undefined;
    });
    const idx = ps
      .map((p) => {
        const l = p.metadata.labels;
        return `${p.metadata.name}:${l['leaderworkerset.sigs.k8s.io/group-index']}/${l['leaderworkerset.sigs.k8s.io/worker-index']}`;
      })
      .sort();
    assert.deepEqual(idx, ['lws-ok-0-1:0/1', 'lws-ok-0:0/0', 'lws-ok-1-1:1/1', 'lws-ok-1:1/0']);
    assert.deepEqual(await podLabels('leaderworkerset.x-k8s.io', 'LeaderWorkerSet', 'lws-ok', 4), [
      'leader-0',
      'leader-1',
      'worker-0-1',
      'worker-1-1',
    ]);
    // Ready groups of replicas (status.readyReplicas counts groups, not pods).
    await row('lws-ok', 'Ready · 2/2');
    const o = await get('leaderworkerset.x-k8s.io/v1', 'leaderworkersets', 'lws-ok');
    assert.equal(cond(o, 'Available').reason, 'AllGroupsReady');
  });

  it('a group no node accepts is shown with the scheduler reason', async () => {
    await post('leaderworkerset.x-k8s.io/v1', 'leaderworkersets', lws('lws-pending', NOWHERE));
    await row('lws-pending', `NotReady: ${unschedulable} · 0/2`);
  });
});

/** A training-operator replica of `replicas` CPU pods (the node pool is shared by the blocks of this file). */
function replica(replicas: number, restartPolicy: string, annotations: Json): Json {
  return {
    replicas,
    restartPolicy,
    template: {
      metadata: { annotations },
      spec: { containers: [{ name: 'pytorch', image: 'pytorch/pytorch:2.7.1' }] },
    },
  };
}

function pytorchJob(name: string, master: Json, worker: Json): Json {
  return {
    apiVersion: 'kubeflow.org/v1',
    kind: 'PyTorchJob',
    metadata: { name },
    spec: { pytorchReplicaSpecs: { Master: master, Worker: worker } },
  };
}

describe('PyTorchJob (real training-operator v1.9)', () => {
  before(() => needs('training-operator'));
  const long = { 'sim.gantry.dev/duration': '600s' };
  const short = { 'sim.gantry.dev/duration': '3s' };

  it('pods carry the operator labels, the operator writes Running, the tree and the pod tracker read them', async () => {
    await post(
      'kubeflow.org/v1',
      'pytorchjobs',
      pytorchJob('pt-run', replica(1, 'OnFailure', long), replica(2, 'OnFailure', long)),
    );
    await row('pt-run', 'Running · 3/3');
    const j = await get('kubeflow.org/v1', 'pytorchjobs', 'pt-run');
    assert.equal(cond(j, 'Running').reason, 'PyTorchJobRunning');
    const ps = await pods('training.kubeflow.org/job-name=pt-run');
    const byName = Object.fromEntries(ps.map((p) => [p.metadata.name, p.metadata.labels]));
    assert.equal(byName['pt-run-master-0']['training.kubeflow.org/replica-type'], 'master');
    assert.equal(byName['pt-run-master-0']['training.kubeflow.org/job-role'], 'master');
    assert.equal(byName['pt-run-worker-1']['training.kubeflow.org/replica-index'], '1');
    assert.deepEqual(await podLabels('kubeflow.org', 'PyTorchJob', 'pt-run', 3), [
      'master-0',
      'worker-0',
      'worker-1',
    ]);
  });

  it('pods that finish make it Succeeded', async () => {
    await post(
      'kubeflow.org/v1',
      'pytorchjobs',
      pytorchJob('pt-ok', replica(1, 'OnFailure', short), replica(1, 'OnFailure', short)),
    );
    await row('pt-ok', 'Succeeded: PyTorchJobSucceeded · 0/2');
  });

  it('restartPolicy Never: a failed worker fails the job, the row names the pod and the exit', async () => {
    await post(
      'kubeflow.org/v1',
      'pytorchjobs',
      pytorchJob(
        'pt-fail',
        replica(1, 'Never', long),
        replica(1, 'Never', { ...FAIL, 'sim.gantry.dev/exit-code': '3' }),
      ),
    );
    await row('pt-fail', 'Failed: Error (exit 3) in worker-0 · 1/2');
    const j = await get('kubeflow.org/v1', 'pytorchjobs', 'pt-fail');
    assert.equal(cond(j, 'Failed').reason, 'PyTorchJobFailed');
  });
});

function rayCluster(name: string, worker: Json = {}): Json {
  const image = 'rayproject/ray:2.52.0';
  return {
    apiVersion: 'ray.io/v1',
    kind: 'RayCluster',
    metadata: { name },
    spec: {
      headGroupSpec: {
        rayStartParams: {},
        template: { spec: { containers: [{ name: 'ray-head', image }] } },
      },
      workerGroupSpecs: [
        {
          groupName: 'cpu',
          replicas: 1,
          rayStartParams: {},
          template: { spec: { ...worker, containers: [{ name: 'ray-worker', image }] } },
        },
      ],
    },
  };
}

describe('RayCluster (real KubeRay)', () => {
  before(() => needs('kuberay'));

  it('head and worker pods with the ray.io labels; the operator marks it ready; the row reads Ready', async () => {
    await post('ray.io/v1', 'rayclusters', rayCluster('rc-ok'));
    await row('rc-ok', 'Ready · 2/2');
    const rc = await get('ray.io/v1', 'rayclusters', 'rc-ok');
    assert.equal(rc.status.state, 'ready');
    assert.ok(cond(rc, 'HeadPodReady'));
    const ps = await pods('ray.io/cluster=rc-ok');
    assert.deepEqual(ps.map((p) => p.metadata.labels['ray.io/node-type']).sort(), ['head', 'worker']);
    // KubeRay 1.6 numbers workers (ray.io/worker-group-replica-index); Gantry used to show the name's random suffix.
    assert.deepEqual(
      ps.find((p) => p.metadata.labels['ray.io/node-type'] === 'worker').metadata.labels[
        'ray.io/worker-group-replica-index'
      ],
      '0',
    );
    assert.deepEqual(await podLabels('ray.io', 'RayCluster', 'rc-ok', 2), ['head', 'cpu-0']);
  });

  it('a worker no node accepts shows the reason', async () => {
    await post('ray.io/v1', 'rayclusters', rayCluster('rc-pending', NOWHERE));
    await row('rc-pending', `NotReady: ${unschedulable} · 1/2`);
  });
});

/** A torch ClusterTrainingRuntime (as manifests/base/runtimes/torch_distributed.yaml, trimmed). */
function runtime(name: string, annotations: Json = {}, pod: Json = {}): Json {
  return {
    apiVersion: 'trainer.kubeflow.org/v1alpha1',
    kind: 'ClusterTrainingRuntime',
    metadata: { name, labels: { 'trainer.kubeflow.org/framework': 'torch' } },
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
                  backoffLimit: 0,
                  template: {
                    metadata: { annotations },
                    spec: {
                      restartPolicy: 'Never',
                      ...pod,
                      containers: [{ name: 'node', image: 'pytorch/pytorch:2.7.1' }],
                    },
                  },
                },
              },
            },
          ],
        },
      },
    },
  };
}

describe('TrainJob (real Trainer v2.3 on the real JobSet controller)', () => {
  const rts: string[] = [];
  const rt = (suffix: string) => `op-${suffix}-${env.ns}`;
  before(async () => {
    needs('trainer');
    needs('jobset');
    for (const [s, ann, pod] of [
      ['ok', { 'sim.gantry.dev/duration': '4s' }, {}],
      ['fail', FAIL, {}],
      ['nowhere', {}, NOWHERE],
    ] as const) {
      await env.api.post(
        '/apis/trainer.kubeflow.org/v1alpha1/clustertrainingruntimes',
        runtime(rt(s), ann, pod),
      );
      rts.push(rt(s));
    }
  });
  after(async () => {
    for (const r of rts)
      await env.api.delete(`/apis/trainer.kubeflow.org/v1alpha1/clustertrainingruntimes/${r}`);
  });
  const trainJob = (name: string, runtimeName: string): Json => ({
    apiVersion: 'trainer.kubeflow.org/v1alpha1',
    kind: 'TrainJob',
    metadata: { name },
    spec: { runtimeRef: { name: runtimeName }, trainer: { numNodes: 2 } },
  });

  it('the trainer makes a JobSet, node pods get the torch env and JobSet labels; the row reads Succeeded', async () => {
    await post('trainer.kubeflow.org/v1alpha1', 'trainjobs', trainJob('tj-ok', rt('ok')));
    const js = await waitFor('the JobSet of tj-ok', () =>
      env.api.find<Json>(`/apis/jobset.x-k8s.io/v1alpha2/namespaces/${env.ns}/jobsets/tj-ok`),
    );
    assert.equal(js.metadata.ownerReferences[0].kind, 'TrainJob');
    const ps = await waitFor('2 node pods', async () => {
      const l = await pods('jobset.sigs.k8s.io/jobset-name=tj-ok');
      return l.length === 2 ? l : undefined;
    });
    const names = ps[0].spec.containers[0].env.map((e: Json) => e.name);
    assert.ok(names.includes('PET_NNODES') && names.includes('PET_NODE_RANK'), names.join(','));
    await row('tj-ok', 'Succeeded: AllJobsCompleted · 0/2');
  });

  it('a failed node Job fails it; unschedulable node pods keep it Pending with the reason', async () => {
    await post('trainer.kubeflow.org/v1alpha1', 'trainjobs', trainJob('tj-fail', rt('fail')));
    await post('trainer.kubeflow.org/v1alpha1', 'trainjobs', trainJob('tj-pending', rt('nowhere')));
    await row('tj-fail', 'Failed: FailedJobs · 0/2');
    await row('tj-pending', `Pending: ${unschedulable} · 0/2`);
  });
});

describe('Kueue v0.19 (real controller; webhooks, conversion and the visibility API through the apiserver)', () => {
  const K = '/apis/kueue.x-k8s.io/v1beta2';
  const flavor = (g: string) => `${g}-${env.ns}`;
  const cq = () => `cq-${env.ns}`;
  before(async () => {
    needs('kueue');
    for (const [g, product] of [
      ['h100', 'NVIDIA-H100-80GB-HBM3'],
      ['a100', 'NVIDIA-A100-PCIE-40GB'],
    ])
      await env.api.post(`${K}/resourceflavors`, {
        apiVersion: 'kueue.x-k8s.io/v1beta2',
        kind: 'ResourceFlavor',
        metadata: { name: flavor(g) },
        spec: { nodeLabels: { 'nvidia.com/gpu.product': product } },
      });
    const res = (gpus: number) => [
      { name: 'cpu', nominalQuota: '64' },
      { name: 'nvidia.com/gpu', nominalQuota: String(gpus) },
    ];
    await env.api.post(`${K}/clusterqueues`, {
      apiVersion: 'kueue.x-k8s.io/v1beta2',
      kind: 'ClusterQueue',
      metadata: { name: cq() },
      spec: {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': env.ns } },
        resourceGroups: [
          {
            coveredResources: ['cpu', 'nvidia.com/gpu'],
            flavors: [
              { name: flavor('h100'), resources: res(2) },
              { name: flavor('a100'), resources: res(1) },
            ],
          },
        ],
      },
    });
    await post('kueue.x-k8s.io/v1beta2', 'localqueues', {
      apiVersion: 'kueue.x-k8s.io/v1beta2',
      kind: 'LocalQueue',
      metadata: { name: 'team-a' },
      spec: { clusterQueue: cq() },
    });
  });
  after(async () => {
    await env.api.delete(`${K}/clusterqueues/${cq()}`);
    for (const g of ['h100', 'a100']) await env.api.delete(`${K}/resourceflavors/${flavor(g)}`);
  });

  const gpuJob = (name: string, duration: string): Json => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: { 'kueue.x-k8s.io/queue-name': 'team-a' } },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { annotations: { 'sim.gantry.dev/duration': duration } },
        spec: {
          restartPolicy: 'Never',
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
          containers: [
            {
              name: 'main',
              image: 'pytorch/pytorch:2.7.1',
              resources: { requests: { cpu: '1' }, limits: { 'nvidia.com/gpu': '2' } },
            },
          ],
        },
      },
    },
  });
  const workloadOf = (job: string) =>
    waitFor(`the Workload of ${job}`, async () => {
      const l = await env.api.get<{ items: Json[] }>(`${K}/namespaces/${env.ns}/workloads`);
      return l.items.find((w) => w.metadata.ownerReferences?.some((o: Json) => o.name === job));
    });

  it('a queued job is suspended, shown as queued with its position, and runs when quota frees up', async () => {
    await env.api.post(`/apis/batch/v1/namespaces/${env.ns}/jobs`, gpuJob('first', '40s'));
    const w1 = await workloadOf('first');
    const admitted = await waitFor('first admitted', async () => {
      const w = await env.api.get<Json>(`${K}/namespaces/${env.ns}/workloads/${w1.metadata.name}`);
      return cond(w, 'Admitted') ? w : undefined;
    });
    assert.equal(admitted.status.admission.clusterQueue, cq());
    assert.equal(admitted.status.admission.podSetAssignments[0].flavors['nvidia.com/gpu'], flavor('h100'));
    await row('first', 'Running · 1/1 · 2× H100 80GB HBM3');

    // The H100 quota (2) is in use and the A100 flavor has 1: Kueue's webhook suspends the second at create.
    const second = await env.api.post<Json>(
      `/apis/batch/v1/namespaces/${env.ns}/jobs`,
      gpuJob('second', '3s'),
    );
    assert.equal(second.spec.suspend, true);
    const w2 = await workloadOf('second');
    const h100 = flavor('h100');
    // The tree: no visibility API and ResourceFlavors not watched, so the flavor by name and the GPU model unknown
    // (Kueue injects the flavor's node selector only at admission).
    const n = await row(
      'second',
      `Queued in team-a (Kueue): ${cq()} has 2 of 2 ${h100} in use · 0/1 · 2× gpu`,
    );
    // Why Not Running: the position from Kueue's visibility API through the aggregator, the flavors' GPU models.
    const r = await explainWorkload(env.model.workloads!, env.conn.transport, n.id);
    assert.ok(r);
    assert.equal(r.why.headline, `Queued: 1st in team-a; ${cq()} has 2 of 2 H100 80GB in use`);
    const md = whyMarkdown(r.workload, r.why, r.events);
    assert.match(md, new RegExp(`1st in the ClusterQueue ${cq()}`));
    assert.match(
      md,
      new RegExp(`quota: ${cq()} uses 0 of 1 A100 40GB \\(flavor ${flavor('a100')}, nvidia.com/gpu\\)`),
    );
    // Kueue's own words on the Workload, as Gantry quotes them.
    const pending = await env.api.get<Json>(`${K}/namespaces/${env.ns}/workloads/${w2.metadata.name}`);
    const qr = (pending.status.conditions as Json[]).find((c) => c.type === 'QuotaReserved');
    assert.equal(qr.status, 'False');
    assert.match(
      qr.message,
      new RegExp(`insufficient unused quota for nvidia.com/gpu in flavor ${h100}, 2 more needed`),
    );

    // The first finishes (40 s): quota frees up, Kueue admits the second, which runs to completion.
    await waitFor(
      'second admitted',
      async () =>
        cond(await env.api.get<Json>(`${K}/namespaces/${env.ns}/workloads/${w2.metadata.name}`), 'Admitted'),
      120_000,
      500,
    );
    // The Job controller gives the Complete condition the reason CompletionsReached from Kubernetes 1.31 (the
    // JobSuccessPolicy feature, on by default there); on 1.30 the condition has no reason, and the row none.
    const minor = Number(/^v?1\.(\d+)\./.exec(env.cluster.version)?.[1]);
    assert.ok(minor > 0, `a Kubernetes version: ${env.cluster.version}`);
    const done2 = minor >= 31 ? 'Succeeded: CompletionsReached' : 'Succeeded';
    await row('second', `${done2} · 0/1 · 2× H100 80GB HBM3`, 60_000);
    const done = await env.api.get<Json>(`${K}/namespaces/${env.ns}/workloads/${w1.metadata.name}`);
    assert.ok(cond(done, 'Finished'));
  });
});
