// RayJob with the real KubeRay v1.6.2 (K8sJobMode). KubeRay makes the RayCluster, waits until it is ready, then
// runs the submitter Job (`ray job submit` against the head's dashboard) and asks the dashboard for the Ray
// job's status at http://<head-svc>.<ns>.svc.cluster.local:8265. That name does not resolve from the operator's
// host process and no Ray runs here, so: while the submitter runs, the RayJob stays Running with the status it
// had at submission; once the submitter Job ends, KubeRay gives up on the dashboard after 30 s and fails the
// RayJob (JobDeploymentStatusTransitionGracePeriodExceeded). A submitter that fails is the operator's own
// verdict (SubmissionFailed) and needs no dashboard.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Json, waitFor } from '../helpers';
import { operatorEnv, type OperatorEnv } from './setup';

let env: OperatorEnv;

before(async () => {
  env = await operatorEnv('op-rayjob');
  env.needs('kuberay');
});

after(async () => {
  await env?.close();
});

const IMAGE = 'rayproject/ray:2.52.0';

/** A RayJob whose submitter pod carries `annotations` (the kwok knobs: how long it runs, how it ends). */
function rayJob(name: string, annotations: Json): Json {
  return {
    apiVersion: 'ray.io/v1',
    kind: 'RayJob',
    metadata: { name },
    spec: {
      entrypoint: 'python -c "print(1)"',
      rayClusterSpec: {
        headGroupSpec: {
          rayStartParams: {},
          template: { spec: { containers: [{ name: 'ray-head', image: IMAGE }] } },
        },
        workerGroupSpecs: [
          {
            groupName: 'cpu',
            replicas: 1,
            rayStartParams: {},
            template: { spec: { containers: [{ name: 'ray-worker', image: IMAGE }] } },
          },
        ],
      },
      submitterPodTemplate: {
        metadata: { annotations },
        spec: { restartPolicy: 'Never', containers: [{ name: 'ray-job-submitter', image: IMAGE }] },
      },
    },
  };
}

const getJob = (name: string) => env.get('ray.io/v1', 'rayjobs', name);
const status = (name: string, want: (s: Json) => boolean, timeoutMs = 120_000) =>
  waitFor(
    `RayJob ${name} status`,
    async () => {
      const s = (await getJob(name)).status ?? {};
      return want(s) ? s : undefined;
    },
    timeoutMs,
    500,
  );

describe('RayJob (real KubeRay; no Ray dashboard reachable)', () => {
  // The two that end take a minute each (submitter retries; KubeRay's 30 s wait): both start first.
  before(async () => {
    await env.post(
      'ray.io/v1',
      'rayjobs',
      rayJob('rj-subfail', { 'sim.gantry.dev/outcome': 'fail', 'sim.gantry.dev/duration': '2s' }),
    );
    await env.post('ray.io/v1', 'rayjobs', rayJob('rj-done', { 'sim.gantry.dev/duration': '2s' }));
  });

  it('KubeRay makes the RayCluster and the submitter Job; while the submitter runs the row reads Running', async () => {
    await env.post('ray.io/v1', 'rayjobs', rayJob('rj-run', { 'sim.gantry.dev/duration': '600s' }));
    const s = await status('rj-run', (x) => x.jobDeploymentStatus === 'Running');
    assert.match(s.jobId, /^rj-run-/);
    assert.equal(s.dashboardURL, `${s.rayClusterName}-head-svc.${env.ns}.svc.cluster.local:8265`);
    const rc = await env.get('ray.io/v1', 'rayclusters', s.rayClusterName);
    assert.equal(rc.metadata.ownerReferences[0].kind, 'RayJob');
    assert.equal(rc.status.state, 'ready');
    // The submitter: a batch Job named after the RayJob, owned by it, whose pod runs `ray job submit`.
    const job = await env.api.get<Json>(`/apis/batch/v1/namespaces/${env.ns}/jobs/rj-run`);
    assert.equal(job.metadata.ownerReferences[0].kind, 'RayJob');
    const [pod] = await waitFor('the submitter pod', async () => {
      const l = (await env.pods('job-name=rj-run')).filter((p) => p.status?.phase === 'Running');
      return l.length === 1 ? l : undefined;
    });
    const c = pod.spec.containers[0];
    assert.deepEqual(c.command, ['/bin/bash', '-ce', '--']);
    assert.match(c.args[0], /ray job submit --address http:\/\/\S+-head-svc\.\S+\.svc\.cluster\.local:8265/);
    assert.equal(c.env.find((e: Json) => e.name === 'RAY_DASHBOARD_ADDRESS')?.value, s.dashboardURL);
    // KubeRay 1.6 leaves the submitter pod without the RayJob's labels: Gantry knows it by its job id env, and
    // does not count it among the Ray cluster's replicas (it showed `Running · 3/2` and the pod's random name).
    assert.equal(pod.metadata.labels['ray.io/originated-from-crd'], undefined);
    await env.row('rj-run', 'Running · 2/2');
    assert.deepEqual(await env.podLabels('ray.io', 'RayJob', 'rj-run', 3), ['head', 'submitter', 'cpu-0']);
  });

  it('a failed submitter Job fails the RayJob (SubmissionFailed), without the dashboard', async () => {
    const s = await status('rj-subfail', (x) => x.jobDeploymentStatus === 'Failed', 180_000);
    assert.equal(s.reason, 'SubmissionFailed');
    assert.match(s.message, /^Job submission has failed\. Reason: BackoffLimitExceeded\./);
    await env.row('rj-subfail', 'Failed: SubmissionFailed · 2/2');
  });

  it('a submitter that succeeds: KubeRay cannot read the Ray job from the dashboard and fails the RayJob 30 s later', async () => {
    const s = await status('rj-done', (x) => x.jobDeploymentStatus === 'Failed', 180_000);
    assert.equal(s.reason, 'JobDeploymentStatusTransitionGracePeriodExceeded');
    assert.match(
      s.message,
      /^The RayJob submitter finished at .* but the ray job did not reach terminal state within 30s$/,
    );
    assert.equal(s.jobStatus, 'FAILED');
    const job = await env.api.get<Json>(`/apis/batch/v1/namespaces/${env.ns}/jobs/rj-done`);
    assert.ok(job.status.conditions.some((c: Json) => c.type === 'Complete' && c.status === 'True'));
    await env.row('rj-done', 'Failed: JobDeploymentStatusTransitionGracePeriodExceeded · 2/2');
  });
});
