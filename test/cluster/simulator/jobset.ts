// JobSet (jobset.x-k8s.io/v1alpha2) and Kubeflow Trainer v2 TrainJob (trainer.kubeflow.org/v1alpha1).
// The JobSet part creates batch/v1 Jobs; kube-controller-manager's real Job controller makes their pods.
// Shapes read from kubernetes-sigs/jobset (v0.12 line):
//   api/jobset/v1alpha2/jobset_types.go        label/annotation keys, condition types, ReplicatedJobStatus
//   pkg/controllers/jobset_controller.go       constructJob, labelAndAnnotateObject, createHeadlessSvcIfNecessary,
//                                              calculateReplicatedJobStatuses, completed/failed conditions
//   pkg/util/placement/placement.go            GenJobName <jobset>-<replicatedJob>-<index>
//   pkg/constants/constants.go                 restart-attempt key, AllJobsCompleted / FailedJobs reasons
// and kubeflow/trainer v2.3:
//   pkg/runtime/framework/plugins/jobset/jobset.go   Build (JobSet named after the TrainJob, owner ref), Status
//   pkg/runtime/framework/plugins/jobset/builder.go  Trainer(): node container image/command/args/env
//   pkg/apis/trainer/v1alpha1/trainjob_types.go      Complete/Failed/Suspended conditions, jobsStatus
//   pkg/constants/constants.go                       trainer.kubeflow.org/trainjob-ancestor-step, "node"
import { createHash } from 'node:crypto';
import { isNotFound } from '../harness/rest';
import {
  type Ctx,
  type Json,
  type Obj,
  clone,
  controllerRef,
  createIfMissing,
  hasCondition,
  isTerminating,
  jobFinished,
  nsPath,
  ownedBy,
  patchStatus,
  setCondition,
  simAnnotations,
} from './util';

const K = {
  name: 'jobset.sigs.k8s.io/jobset-name',
  uid: 'jobset.sigs.k8s.io/jobset-uid',
  rjob: 'jobset.sigs.k8s.io/replicatedjob-name',
  rjobReplicas: 'jobset.sigs.k8s.io/replicatedjob-replicas',
  globalReplicas: 'jobset.sigs.k8s.io/global-replicas',
  jobIndex: 'jobset.sigs.k8s.io/job-index',
  globalIndex: 'jobset.sigs.k8s.io/job-global-index',
  jobKey: 'jobset.sigs.k8s.io/job-key',
  restarts: 'jobset.sigs.k8s.io/restart-attempt',
  groupName: 'jobset.sigs.k8s.io/group-name',
  groupReplicas: 'jobset.sigs.k8s.io/group-replicas',
  groupIndex: 'jobset.sigs.k8s.io/job-group-index',
};
const CONTROLLER = 'jobset-controller';

function rjobsOf(js: Obj): Json[] {
  return js.spec?.replicatedJobs ?? [];
}

function jobLabels(js: Obj, rjob: Json, idx: number): Record<string, string> {
  const ns = js.metadata.namespace ?? 'default';
  const rjobs = rjobsOf(js);
  const replicas = (r: Json): number => r.replicas ?? 1;
  const group: string = rjob.groupName ?? 'default';
  let before = 0;
  for (const r of rjobs) {
    if (r.name === rjob.name) break;
    before += replicas(r);
  }
  let groupBefore = 0;
  for (const r of rjobs.filter((x) => (x.groupName ?? 'default') === group)) {
    if (r.name === rjob.name) break;
    groupBefore += replicas(r);
  }
  const jobName = `${js.metadata.name}-${rjob.name}-${idx}`;
  return {
    [K.name]: js.metadata.name,
    [K.uid]: js.metadata.uid ?? '',
    [K.rjob]: rjob.name,
    [K.restarts]: String(js.status?.restarts ?? 0),
    [K.rjobReplicas]: String(replicas(rjob)),
    [K.globalReplicas]: String(rjobs.reduce((n, r) => n + replicas(r), 0)),
    [K.jobIndex]: String(idx),
    [K.jobKey]: createHash('sha1').update(`${ns}/${jobName}`).digest('hex'),
    [K.globalIndex]: String(before + idx),
    [K.groupName]: group,
    [K.groupReplicas]: String(
      rjobs.filter((x) => (x.groupName ?? 'default') === group).reduce((n, r) => n + replicas(r), 0),
    ),
    [K.groupIndex]: String(groupBefore + idx),
  };
}

export async function reconcileJobSet(ctx: Ctx, js: Obj): Promise<void> {
  if (isTerminating(js)) return;
  const ns = js.metadata.namespace ?? 'default';
  const name = js.metadata.name;
  const status: Json = clone(js.status ?? {});
  status.restarts ??= 0;
  const terminal = hasCondition(status.conditions, 'Completed') || hasCondition(status.conditions, 'Failed');
  const suspended = js.spec?.suspend === true;
  // Webhook defaults: DNS hostnames on, subdomain = JobSet name.
  const dns = js.spec?.network?.enableDNSHostnames ?? true;
  const subdomain: string = js.spec?.network?.subdomain || name;
  if (dns && !terminal) {
    await createIfMissing(ctx, nsPath('v1', 'services', ns), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: subdomain, namespace: ns, ownerReferences: [controllerRef(js)] },
      spec: {
        clusterIP: 'None',
        selector: { [K.name]: name },
        publishNotReadyAddresses: js.spec?.network?.publishNotReadyAddresses ?? true,
      },
    });
  }
  const jobs = ctx.snap.jobs.filter((j) => j.metadata.namespace === ns && ownedBy(j, js));
  if (!terminal) {
    for (const rjob of rjobsOf(js)) {
      for (let idx = 0; idx < (rjob.replicas ?? 1); idx++) {
        const jname = `${name}-${rjob.name}-${idx}`;
        if (jobs.some((j) => j.metadata.name === jname)) continue;
        const labels = jobLabels(js, rjob, idx);
        const tmpl: Json = clone(rjob.template ?? {});
        const spec: Json = tmpl.spec ?? {};
        spec.completionMode ??= 'Indexed';
        spec.template ??= {};
        spec.template.metadata = {
          ...(spec.template.metadata ?? {}),
          labels: { ...(spec.template.metadata?.labels ?? {}), ...labels },
          annotations: { ...(spec.template.metadata?.annotations ?? {}), ...labels, ...simAnnotations(js) },
        };
        spec.template.spec ??= { containers: [] };
        spec.template.spec.restartPolicy ??= 'OnFailure';
        if (dns) spec.template.spec.subdomain = subdomain;
        spec.suspend = suspended;
        const job: Obj = {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: {
            name: jname,
            namespace: ns,
            labels: { ...(tmpl.metadata?.labels ?? {}), ...labels },
            annotations: { ...(tmpl.metadata?.annotations ?? {}), ...labels },
            ownerReferences: [controllerRef(js)],
          },
          spec,
        };
        await createIfMissing(ctx, nsPath('batch/v1', 'jobs', ns), job);
      }
    }
  }
  // Status (calculateReplicatedJobStatuses).
  const rjStatus: Json[] = [];
  for (const rjob of rjobsOf(js)) {
    const s = { name: rjob.name, ready: 0, succeeded: 0, failed: 0, active: 0, suspended: 0 };
    for (const j of jobs.filter((x) => x.metadata.labels?.[K.rjob] === rjob.name)) {
      const fin = jobFinished(j);
      if (fin === 'Complete') s.succeeded++;
      else if (fin === 'Failed') s.failed++;
      else {
        const par: number = Math.min(j.spec?.parallelism ?? 1, j.spec?.completions ?? Infinity);
        if ((j.status?.succeeded ?? 0) + (j.status?.ready ?? 0) >= par) s.ready++;
        if ((j.status?.active ?? 0) > 0) s.active++;
        if (j.spec?.suspend) s.suspended++;
      }
    }
    rjStatus.push(s);
  }
  status.replicatedJobsStatus = rjStatus;
  if (!terminal) {
    const anyFailed = rjStatus.some((s) => s.failed > 0);
    const policy = js.spec?.successPolicy ?? {};
    const targets: string[] = policy.targetReplicatedJobs?.length
      ? policy.targetReplicatedJobs
      : rjobsOf(js).map((r) => r.name);
    const tgt = rjobsOf(js).filter((r) => targets.includes(r.name));
    const succeeded = tgt.reduce((n, r) => n + (rjStatus.find((s) => s.name === r.name)?.succeeded ?? 0), 0);
    const expected = policy.operator === 'Any' ? 1 : tgt.reduce((n, r) => n + (r.replicas ?? 1), 0);
    if (anyFailed) {
      status.conditions = setCondition(status.conditions, {
        type: 'Failed',
        status: 'True',
        reason: 'FailedJobs',
        message: 'jobset failed due to one or more job failures',
      });
      status.terminalState = 'Failed';
      await ctx.event(
        js,
        'Warning',
        'FailedJobs',
        'jobset failed due to one or more job failures',
        CONTROLLER,
      );
    } else if (tgt.length > 0 && succeeded >= expected) {
      status.conditions = setCondition(status.conditions, {
        type: 'Completed',
        status: 'True',
        reason: 'AllJobsCompleted',
        message: 'jobset completed successfully',
      });
      status.terminalState = 'Completed';
      await ctx.event(js, 'Normal', 'AllJobsCompleted', 'jobset completed successfully', CONTROLLER);
    }
  }
  await patchStatus(ctx, js, 'jobsets', status);
}

const TRAINER = 'trainer.kubeflow.org';

export async function reconcileTrainJob(ctx: Ctx, tj: Obj): Promise<void> {
  if (isTerminating(tj)) return;
  const ns = tj.metadata.namespace ?? 'default';
  const ref: Json = tj.spec?.runtimeRef ?? {};
  const kind: string = ref.kind ?? 'ClusterTrainingRuntime';
  const status: Json = clone(tj.status ?? {});
  if (kind !== 'ClusterTrainingRuntime' && kind !== 'TrainingRuntime') {
    status.conditions = setCondition(status.conditions, {
      type: 'Failed',
      status: 'True',
      reason: 'TrainingRuntimeNotSupported',
      message: `unsupported runtime: ${kind}.${ref.apiGroup ?? TRAINER}`,
    });
    await patchStatus(ctx, tj, 'trainjobs', status);
    return;
  }
  const jsPath = nsPath('jobset.x-k8s.io/v1alpha2', 'jobsets', ns, tj.metadata.name);
  let js = await ctx.rest.find<Obj>(jsPath);
  if (!js) {
    const rtPath =
      kind === 'ClusterTrainingRuntime'
        ? `/apis/${TRAINER}/v1alpha1/clustertrainingruntimes/${ref.name}`
        : nsPath(`${TRAINER}/v1alpha1`, 'trainingruntimes', ns, ref.name);
    let runtime: Obj | undefined;
    try {
      runtime = await ctx.rest.find<Obj>(rtPath);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (!runtime) {
      ctx.log(`TrainJob ${ns}/${tj.metadata.name}: runtime ${kind} ${ref.name} not found`);
      return;
    }
    const spec: Json = clone(runtime.spec?.template?.spec ?? { replicatedJobs: [] });
    const trainer: Json = tj.spec?.trainer ?? {};
    const numNodes: number = trainer.numNodes ?? runtime.spec?.mlPolicy?.numNodes ?? 1;
    for (const rj of spec.replicatedJobs ?? []) {
      rj.replicas ??= 1;
      const ancestor = rj.template?.metadata?.labels?.[`${TRAINER}/trainjob-ancestor-step`];
      if (ancestor !== 'trainer' && rj.name !== 'node') continue;
      rj.replicas = 1;
      rj.template.spec ??= {};
      rj.template.spec.parallelism = numNodes;
      rj.template.spec.completions = numNodes;
      for (const c of rj.template.spec.template?.spec?.containers ?? []) {
        if (c.name !== 'node') continue;
        if (trainer.image) c.image = trainer.image;
        if (trainer.command) c.command = trainer.command;
        if (trainer.args) c.args = trainer.args;
        if (trainer.env)
          c.env = [
            ...(c.env ?? []).filter((e: Json) => !trainer.env.some((t: Json) => t.name === e.name)),
            ...trainer.env,
          ];
        if (trainer.resourcesPerNode) c.resources = trainer.resourcesPerNode;
      }
    }
    if (tj.spec?.suspend !== undefined) spec.suspend = tj.spec.suspend;
    js = {
      apiVersion: 'jobset.x-k8s.io/v1alpha2',
      kind: 'JobSet',
      metadata: {
        name: tj.metadata.name,
        namespace: ns,
        labels: { ...(runtime.spec?.template?.metadata?.labels ?? {}), ...(tj.spec?.labels ?? {}) },
        annotations: {
          ...(runtime.spec?.template?.metadata?.annotations ?? {}),
          ...(tj.spec?.annotations ?? {}),
          ...simAnnotations(tj),
        },
        ownerReferences: [controllerRef(tj)],
      },
      spec,
    };
    await createIfMissing(ctx, nsPath('jobset.x-k8s.io/v1alpha2', 'jobsets', ns), js);
    return; // status follows on the next pass, from the stored JobSet
  }
  if (tj.spec?.suspend === true) {
    status.conditions = setCondition(status.conditions, {
      type: 'Suspended',
      status: 'True',
      reason: 'Suspended',
      message: 'TrainJob is suspended',
    });
  } else if (hasCondition(status.conditions, 'Suspended')) {
    status.conditions = setCondition(status.conditions, {
      type: 'Suspended',
      status: 'False',
      reason: 'Resumed',
      message: 'TrainJob is resumed',
    });
  }
  for (const [from, to] of [
    ['Completed', 'Complete'],
    ['Failed', 'Failed'],
  ]) {
    const c = (js.status?.conditions ?? []).find((x: Json) => x.type === from && x.status === 'True');
    if (c)
      status.conditions = setCondition(status.conditions, {
        type: to,
        status: 'True',
        reason: c.reason,
        message: c.message,
      });
  }
  status.jobsStatus = (js.status?.replicatedJobsStatus ?? []).map((s: Json) => ({
    name: s.name,
    ready: s.ready,
    succeeded: s.succeeded,
    failed: s.failed,
    active: s.active,
    suspended: s.suspended,
  }));
  await patchStatus(ctx, tj, 'trainjobs', status);
}
