// Gantry's actions against the real operators: Submit (the command's path in src/model/submitter.ts: plan, dry
// run, fit check, server-side apply, the tree row it shows) of the shared example manifests, whose pods the real
// training-operator and JobSet controller create; and Open Ray Dashboard's forward (src/sessions/portForward.ts)
// to a head pod made by the real KubeRay, followed to the head pod KubeRay makes when that one is deleted. The
// "dashboard" is a loopback HTTP server behind a kwok PortForward rule, as in test/cluster/forwardTargets.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { endpointFor } from '../../../src/core/endpoints';
import { findKindDef } from '../../../src/core/kinds';
import type { KubeObject } from '../../../src/core/kube';
import {
  discover,
  fitPlan,
  planSubmit,
  reportText,
  submitPlan,
  treeIdOf,
} from '../../../src/model/submitter';
import { ForwardsBackend } from '../../../src/sessions/forwards';
import { SessionManager } from '../../../src/sessions/manager';
import type { ForwardSession } from '../../../src/sessions/portForward';
import { sharedCrdsDir } from '../harness/paths';
import { httpGet, type Json, waitFor, whoServer } from '../helpers';
import { rowText } from '../rows';
import { cond, operatorEnv, type OperatorEnv } from './setup';

let env: OperatorEnv;

before(async () => {
  env = await operatorEnv('op-actions');
});

after(async () => {
  await env?.close();
});

/** An example manifest of ../shared/crds/examples, its `namespace:` line dropped (it goes to the chosen one). */
function example(path: string): string {
  const text = readFileSync(join(sharedCrdsDir, 'examples', path), 'utf8');
  return text.replace(/^ {2}namespace: .*\n/m, '');
}

/** Submit as the command does: dry run, fit check, apply; the tree row id it reveals. */
async function submit(text: string): Promise<{ id: string; label: string }> {
  const namespaces = { chosen: env.ns };
  const plan = planSubmit(text);
  assert.deepEqual(plan.problems, []);
  assert.equal(plan.objects.length, 1);
  const kinds = await discover(env.conn);
  assert.ok(typeof kinds !== 'string', String(kinds));
  const dry = await submitPlan(env.conn, kinds, plan, { namespaces, dryRun: true });
  assert.equal(dry.failed, undefined, reportText(dry));
  assert.deepEqual(
    fitPlan(plan, env.model.source, namespaces).map((v) => v.outcome.fit),
    ['now'],
  );
  const report = await submitPlan(env.conn, kinds, plan, { namespaces });
  assert.equal(report.failed, undefined, reportText(report));
  const id = treeIdOf(report.applied[0]);
  assert.ok(id, `no tree row for ${report.applied[0].label}`);
  return { id, label: report.applied[0].label };
}

/** The row the command reveals (Show in Tree), once the model has it. */
const revealed = (id: string) =>
  waitFor(`tree row ${id}`, async () => env.model.workloads!.node(id), 30_000, 100);

describe('Submit of the shared examples to the real operators', () => {
  it('PyTorchJob pytorch-simple: the real training-operator makes master-0 and worker-0, the row runs to Succeeded', async () => {
    env.needs('training-operator');
    const { id, label } = await submit(example('kubeflow-training-operator/pytorch-simple.yaml'));
    assert.equal(label, `PyTorchJob ${env.ns}/pytorch-simple`);
    const n = await revealed(id);
    assert.equal(n.type === 'workload' && n.label, 'pytorch-simple');
    assert.deepEqual(await env.podLabels('kubeflow.org', 'PyTorchJob', 'pytorch-simple', 2), [
      'master-0',
      'worker-0',
    ]);
    const ps = await env.pods('training.kubeflow.org/job-name=pytorch-simple');
    assert.deepEqual(
      ps.map((p) => `${p.metadata.name} ${p.metadata.labels['training.kubeflow.org/replica-type']}`).sort(),
      ['pytorch-simple-master-0 master', 'pytorch-simple-worker-0 worker'],
    );
    // The operator's env for torch: the master's address is its own Service.
    const env0 = (p: Json) =>
      Object.fromEntries(p.spec.containers[0].env.map((e: Json) => [e.name, e.value]));
    const worker = ps.find((p) => p.metadata.name === 'pytorch-simple-worker-0');
    assert.equal(env0(worker).MASTER_ADDR, 'pytorch-simple-master-0');
    assert.equal(env0(worker).RANK, '1');
    // No annotations in the example: kwok ends each pod after its default 3 s.
    await env.row('pytorch-simple', 'Succeeded: PyTorchJobSucceeded · 0/2');
    const j = await env.get('kubeflow.org/v1', 'pytorchjobs', 'pytorch-simple');
    assert.equal(cond(j, 'Succeeded')?.reason, 'PyTorchJobSucceeded');
  });

  it('JobSet pytorch (4 indexed workers): the real JobSet controller makes workers-0..3, the row runs to Succeeded', async () => {
    env.needs('jobset');
    const { id, label } = await submit(example('jobset/pytorch-cnn-mnist.yaml'));
    assert.equal(label, `JobSet ${env.ns}/pytorch`);
    await revealed(id);
    assert.deepEqual(await env.podLabels('jobset.x-k8s.io', 'JobSet', 'pytorch', 4), [
      'workers-0',
      'workers-1',
      'workers-2',
      'workers-3',
    ]);
    const ps = await env.pods('jobset.sigs.k8s.io/jobset-name=pytorch');
    // The example's RANK comes from the completion index the Job controller writes (JobSet made the Job Indexed).
    assert.deepEqual(
      ps.map((p) => p.metadata.annotations['batch.kubernetes.io/job-completion-index']).sort(),
      ['0', '1', '2', '3'],
    );
    const js = await env.get('jobset.x-k8s.io/v1alpha2', 'jobsets', 'pytorch');
    assert.equal(js.spec.replicatedJobs[0].template.spec.completionMode, 'Indexed');
    await env.row('pytorch', 'Succeeded: AllJobsCompleted · 0/4');
  });
});

describe('Open Ray Dashboard on a head pod of the real KubeRay', () => {
  const sessions = new SessionManager();
  const cleanups: (() => Promise<unknown>)[] = [];
  let s: ForwardSession | undefined;
  after(async () => {
    s?.stop('test over');
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  const heads = async () =>
    (await env.pods('ray.io/cluster=dash,ray.io/node-type=head')).filter(
      (p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp,
    );

  it("reaches the head's 8265, and the head pod KubeRay makes after the first is deleted", async () => {
    env.needs('kuberay');
    const image = 'rayproject/ray:2.52.0';
    await env.post('ray.io/v1', 'rayclusters', {
      apiVersion: 'ray.io/v1',
      kind: 'RayCluster',
      metadata: { name: 'dash' },
      spec: {
        headGroupSpec: {
          rayStartParams: {},
          template: {
            spec: {
              containers: [{ name: 'ray-head', image, ports: [{ name: 'dashboard', containerPort: 8265 }] }],
            },
          },
        },
        workerGroupSpecs: [
          {
            groupName: 'cpu',
            replicas: 1,
            rayStartParams: {},
            template: { spec: { containers: [{ name: 'ray-worker', image }] } },
          },
        ],
      },
    });
    const n = await env.row('dash', 'Ready · 2/2');
    const [head] = await waitFor('the head pod', async () =>
      (await heads()).length === 1 ? heads() : undefined,
    );
    const worker = (await env.pods('ray.io/cluster=dash,ray.io/node-type=worker'))[0];
    const h1 = await whoServer('head-1');
    const w = await whoServer('worker');
    cleanups.push(h1.close, w.close);
    for (const [pod, port] of [
      [head.metadata.name, h1.port],
      [worker.metadata.name, w.port],
    ] as const) {
      const rule = await env.cluster.forwardPodPort(env.ns, pod, 8265, port);
      cleanups.push(() => rule.dispose());
    }

    // As the command: the endpoint from the live object, a session following the workload's pods.
    const def = findKindDef('ray.io', 'RayCluster')!;
    const obj = await env.get('ray.io/v1', 'rayclusters', 'dash');
    const r = endpointFor(def.family, obj as KubeObject);
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.deepEqual([r.endpoint.port, r.endpoint.role], [8265, 'head']);
    s = new ForwardsBackend(sessions).create({
      context: env.conn.context.name,
      target: r.endpoint.title,
      lease: { connection: env.conn, dispose: () => undefined },
      pods: {
        type: 'workload',
        target: { type: 'workload', group: 'ray.io', kind: 'RayCluster', namespace: env.ns, name: 'dash' },
      },
      endpoint: r.endpoint,
    });
    const st = await s.start();
    assert.ok(st.ok, st.ok ? '' : st.error.message);
    await waitFor('forward live', async () => s!.state === 'live', 90_000, 50);
    assert.equal(s.pod?.metadata.name, head.metadata.name);
    assert.deepEqual(await httpGet(st.url), { status: 200, body: 'head-1 /' });
    assert.equal(rowText(n), 'Ready · 2/2');

    // KubeRay replaces a deleted head pod (a new name); the same local URL reaches the new one.
    await env.api.delete(`/api/v1/namespaces/${env.ns}/pods/${head.metadata.name}`);
    const [head2] = await waitFor(
      'a new head pod',
      async () => {
        const l = await heads();
        return l.length === 1 && l[0].metadata.name !== head.metadata.name ? l : undefined;
      },
      90_000,
    );
    const h2 = await whoServer('head-2');
    cleanups.push(h2.close);
    const rule2 = await env.cluster.forwardPodPort(env.ns, head2.metadata.name, 8265, h2.port);
    cleanups.push(() => rule2.dispose());
    await waitFor(
      'forward on the new head',
      async () => s!.state === 'live' && s!.pod?.metadata.name === head2.metadata.name,
      90_000,
      50,
    );
    assert.deepEqual(await httpGet(st.url), { status: 200, body: 'head-2 /' });
  });
});
