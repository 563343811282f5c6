// Kubeflow Training Operator v1 (kubeflow.org/v1 PyTorchJob, TFJob, MPIJob): pods, headless services and status
// shaped like the real operator's. Shapes read from kubeflow/training-operator v1.9.0 (also kubeflow/trainer v1.9.x):
//   pkg/apis/kubeflow.org/v1/common_types.go   label keys, JobCondition, ReplicaStatus
//   pkg/controller.v1/common/pod.go             createNewPod: labels, name <job>-<rtype lowercase>-<index>, job-role
//   pkg/controller.v1/common/service.go         CreateNewService: headless service per replica, same name/labels
//   pkg/controller.v1/common/job_controller.go  GenLabels (operator-name, job-name), GenOwnerReference
//   pkg/controller.v1/pytorch/pytorchjob_controller.go  UpdateJobStatus (Running/Restarting/Succeeded/Failed)
//   pkg/controller.v1/common/pod.go ReconcilePods  a Failed pod under OnFailure/Always (or ExitCode with a retryable
//                                               code >= 128) is deleted and recreated, the job set Restarting;
//                                               ExitCode with a non-retryable code fails the job
//   pkg/controller.v1/common/job.go, pkg/core/job.go  PastBackoffLimit: container restarts of Running pods reach
//                                               runPolicy.backoffLimit -> every pod and service deleted, job Failed
//   pkg/apis/kubeflow.org/v1/pytorch_defaults.go  restartPolicy defaults to OnFailure
//   pkg/controller.v1/mpi/mpijob.go, mpijob_controller.go  <job>-launcher / <job>-worker-<i>, launcher is master
//   pkg/util/status.go                          condition reasons and setCondition semantics
//   pkg/core/status.go                          UpdateJobReplicaStatuses (active/succeeded/failed from pod phase)
import {
  type Ctx,
  type Json,
  type Obj,
  clone,
  controllerRef,
  createIfMissing,
  formatSelector,
  isTerminating,
  nsPath,
  now,
  patchStatus,
  phase,
  podsOf,
  SIM_PREFIX,
  simAnnotations,
} from './util';

export interface TrainingKind {
  kind: string;
  plural: string;
  specKey: string;
  controllerName: string;
  defaultContainer: string;
  portName: string;
  port: number;
  /** Replica types in the order the operator reports them. */
  masterTypes: string[];
  services: boolean;
}

export const trainingKinds: TrainingKind[] = [
  {
    kind: 'PyTorchJob',
    plural: 'pytorchjobs',
    specKey: 'pytorchReplicaSpecs',
    controllerName: 'pytorchjob-controller',
    defaultContainer: 'pytorch',
    portName: 'pytorchjob-port',
    port: 23456,
    masterTypes: ['Master'],
    services: true,
  },
  {
    kind: 'TFJob',
    plural: 'tfjobs',
    specKey: 'tfReplicaSpecs',
    controllerName: 'tfjob-controller',
    defaultContainer: 'tensorflow',
    portName: 'tfjob-port',
    port: 2222,
    masterTypes: ['Chief', 'Master'],
    services: true,
  },
  {
    kind: 'MPIJob',
    plural: 'mpijobs',
    specKey: 'mpiReplicaSpecs',
    controllerName: 'mpijob-controller',
    defaultContainer: 'mpi',
    portName: 'mpijob-port',
    port: 9999,
    masterTypes: ['Launcher'],
    services: false,
  },
];

const L = {
  jobName: 'training.kubeflow.org/job-name',
  operator: 'training.kubeflow.org/operator-name',
  rtype: 'training.kubeflow.org/replica-type',
  rindex: 'training.kubeflow.org/replica-index',
  role: 'training.kubeflow.org/job-role',
};

function podName(k: TrainingKind, job: string, rtype: string, index: number): string {
  if (k.kind === 'MPIJob') return rtype === 'Launcher' ? `${job}-launcher` : `${job}-worker-${index}`;
  return `${job}-${rtype.toLowerCase()}-${index}`.replace(/\//g, '-');
}

/** v1 JobCondition semantics (pkg/util/status.go setCondition/filterOutCondition). */
function setJobCondition(status: Json, type: string, reason: string, message: string): void {
  const conds: Json[] = status.conditions ?? [];
  if (conds.some((c) => c.type === 'Failed' && c.status === 'True')) return;
  const cur = conds.find((c) => c.type === type);
  if (cur && cur.status === 'True' && cur.reason === reason) return;
  const t = now();
  const next: Json[] = [];
  for (const c of conds) {
    if (c.type === type) continue;
    if ((type === 'Restarting' && c.type === 'Running') || (type === 'Running' && c.type === 'Restarting'))
      continue;
    if ((type === 'Failed' || type === 'Succeeded') && c.type === 'Running')
      next.push({ ...c, status: 'False' });
    else next.push(c);
  }
  next.push({
    type,
    status: 'True',
    reason,
    message,
    lastUpdateTime: t,
    lastTransitionTime: cur?.status === 'True' ? cur.lastTransitionTime : t,
  });
  status.conditions = next;
}

/** The replica spec's restart policy, defaulted as the operator does (MPIJob v1 here defaults to Never). */
function restartPolicyOf(k: TrainingKind, rspec: Json): string {
  return (rspec?.restartPolicy as string | undefined) ?? (k.kind === 'MPIJob' ? 'Never' : 'OnFailure');
}

/** pkg/util/train/train_util.go IsRetryableExitCode. */
const retryable = (exitCode: number) => exitCode >= 128;

/**
 * The kubelet's part, which kwok does not play: under restartPolicy OnFailure/Always a container that exits
 * non-zero is restarted in place (restartCount + 1, lastState keeps the termination) and the pod stays Running.
 * kwok's pod-fail stage marks the whole pod Failed instead; this turns that back into an in-place restart.
 * The count lives in an annotation because kwok's stage writes restartCount 0. After `sim.gantry.dev/failures`
 * restarts (job or pod annotation; default: fail forever, like a real OOM loop) the container keeps running.
 */
async function restartInPlace(ctx: Ctx, job: Obj, p: Obj): Promise<void> {
  const ann = p.metadata.annotations ?? {};
  const restarts = Number(ann[`${SIM_PREFIX}restarts`] ?? 0) + 1;
  const maxFailures = Number(
    ann[`${SIM_PREFIX}failures`] ?? job.metadata.annotations?.[`${SIM_PREFIX}failures`],
  );
  const ns = p.metadata.namespace ?? 'default';
  const path = nsPath('v1', 'pods', ns, p.metadata.name);
  const meta: Json = { annotations: { [`${SIM_PREFIX}restarts`]: String(restarts) } };
  if (Number.isFinite(maxFailures) && restarts >= maxFailures) {
    meta.annotations[`${SIM_PREFIX}outcome`] = 'none';
    if (p.metadata.labels?.[`${SIM_PREFIX}outcome`]) meta.labels = { [`${SIM_PREFIX}outcome`]: 'none' };
  }
  // Metadata first, so kwok does not fail the restarted container again before the count is stored.
  await ctx.rest.patch(path, { metadata: meta }, 'merge');
  const t = now();
  const containerStatuses = (p.status?.containerStatuses ?? []).map((cs: Json) => {
    const term = cs.state?.terminated;
    if (!term || (term.exitCode === 0 && term.reason !== 'OOMKilled')) return cs;
    return {
      ...cs,
      ready: true,
      started: true,
      restartCount: restarts,
      state: { running: { startedAt: t } },
      lastState: { terminated: { ...term, finishedAt: term.finishedAt ?? t } },
    };
  });
  const status: Json = {
    phase: 'Running',
    conditions: (p.status?.conditions ?? []).map((c: Json) =>
      c.type === 'Ready' || c.type === 'ContainersReady' || c.type === 'PodReadyToStartContainers'
        ? { type: c.type, status: 'True', lastTransitionTime: t }
        : c,
    ),
    containerStatuses,
  };
  await ctx.rest.patch(`${path}/status`, { status }, 'merge');
  p.metadata.annotations = { ...ann, ...meta.annotations };
  p.status = { ...p.status, ...status };
}

function finished(status: Json): boolean {
  return (status?.conditions ?? []).some(
    (c: Json) => (c.type === 'Succeeded' || c.type === 'Failed') && c.status === 'True',
  );
}

export async function reconcileTraining(ctx: Ctx, k: TrainingKind, job: Obj): Promise<void> {
  if (isTerminating(job)) return;
  const name = job.metadata.name;
  const ns = job.metadata.namespace ?? 'default';
  const specs: Record<string, Json> = job.spec?.[k.specKey] ?? {};
  const status: Json = clone(job.status ?? {});
  status.conditions ??= [];
  if (!status.conditions.some((c: Json) => c.type === 'Created')) {
    setJobCondition(status, 'Created', `${k.kind}Created`, `${k.kind} ${name} is created.`);
  }
  const done = finished(status);
  const pods = podsOf(ctx, job);
  // runPolicy.suspend (common/job.go ReconcileJobs, v1.9): no pods while suspended, JobSuspended condition
  // "<Kind>Suspended", Running set False.
  if (!done && job.spec?.runPolicy?.suspend === true) {
    const msg = `${k.kind} ${name} is suspended.`;
    for (const p of pods) {
      if (!isTerminating(p))
        await ctx.rest.delete(nsPath('v1', 'pods', ns, p.metadata.name)).catch(() => undefined);
    }
    for (const c of status.conditions as Json[])
      if (c.type === 'Running' && c.status === 'True')
        Object.assign(c, { status: 'False', reason: `${k.kind}Suspended`, message: msg });
    setJobCondition(status, 'Suspended', `${k.kind}Suspended`, msg);
    status.replicaStatuses = Object.fromEntries(Object.keys(specs).map((t) => [t, { active: 0 }]));
    await patchStatus(ctx, job, k.plural, status);
    return;
  }
  const hasMaster = k.masterTypes.some((t) => t in specs);
  const worldSize = Object.values(specs).reduce((n, s: Json) => n + (s?.replicas ?? 1), 0);

  // Create missing pods and services (not once the job has finished, like the operator).
  if (!done) {
    let rank = 0;
    for (const [rtype, rspec] of Object.entries(specs)) {
      const replicas: number = rspec?.replicas ?? 1;
      const count = k.kind === 'MPIJob' && rtype === 'Launcher' ? 1 : replicas;
      for (let i = 0; i < count; i++, rank++) {
        const pname = podName(k, name, rtype, i);
        if (pods.some((p) => p.metadata.name === pname)) continue;
        const labels: Record<string, string> = {
          [L.operator]: k.controllerName,
          [L.jobName]: name.replace(/\//g, '-'),
          [L.rtype]: rtype.toLowerCase(),
        };
        if (!(k.kind === 'MPIJob' && rtype === 'Launcher')) labels[L.rindex] = String(i);
        const isMaster =
          k.masterTypes.includes(rtype) ||
          (!hasMaster && rtype === 'Worker' && i === 0 && k.kind !== 'MPIJob');
        if (isMaster) labels[L.role] = 'master';
        const tmpl: Json = clone(rspec?.template ?? {});
        const spec: Json = tmpl.spec ?? { containers: [] };
        const rp = rspec?.restartPolicy as string | undefined;
        spec.restartPolicy =
          rp === 'ExitCode' ? 'Never' : (rp ?? (k.kind === 'MPIJob' ? 'Never' : 'OnFailure'));
        for (const c of spec.containers ?? []) {
          if (c.name !== k.defaultContainer) continue;
          c.env ??= [];
          const env = (n: string, v: string): void => {
            if (!c.env.some((e: Json) => e.name === n)) c.env.push({ name: n, value: v });
          };
          if (k.kind === 'PyTorchJob') {
            const master = hasMaster ? `${name}-master-0` : `${name}-worker-0`;
            env('PYTHONUNBUFFERED', '1');
            env('MASTER_PORT', String(k.port));
            env('MASTER_ADDR', master);
            env('WORLD_SIZE', String(worldSize));
            env('RANK', String(rtype === 'Master' ? 0 : hasMaster ? i + 1 : i));
            env('PET_MASTER_ADDR', master);
            env('PET_MASTER_PORT', String(k.port));
          } else if (k.kind === 'TFJob') {
            const cluster: Record<string, string[]> = {};
            for (const [rt, rs] of Object.entries(specs)) {
              cluster[rt.toLowerCase()] = Array.from(
                { length: (rs as Json)?.replicas ?? 1 },
                (_, j) => `${name}-${rt.toLowerCase()}-${j}.${ns}.svc:${k.port}`,
              );
            }
            env(
              'TF_CONFIG',
              JSON.stringify({
                cluster,
                task: { type: rtype.toLowerCase(), index: i },
                environment: 'cloud',
              }),
            );
          }
          if (!(c.ports ?? []).some((p: Json) => p.name === k.portName) && k.services) {
            c.ports = [...(c.ports ?? []), { name: k.portName, containerPort: k.port, protocol: 'TCP' }];
          }
        }
        const pod: Obj = {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: pname,
            namespace: ns,
            labels: { ...(tmpl.metadata?.labels ?? {}), ...labels },
            annotations: { ...(tmpl.metadata?.annotations ?? {}), ...simAnnotations(job) },
            ownerReferences: [controllerRef(job)],
          },
          spec,
        };
        if (await createIfMissing(ctx, nsPath('v1', 'pods', ns), pod)) {
          await ctx.event(job, 'Normal', 'SuccessfulCreatePod', `Created pod: ${pname}`, k.controllerName);
        }
        if (k.services) {
          const svcLabels = { ...labels };
          delete svcLabels[L.role];
          const svc: Obj = {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: {
              name: pname,
              namespace: ns,
              labels: svcLabels,
              ownerReferences: [controllerRef(job)],
            },
            spec: { clusterIP: 'None', selector: svcLabels, ports: [{ name: k.portName, port: k.port }] },
          };
          if (await createIfMissing(ctx, nsPath('v1', 'services', ns), svc)) {
            await ctx.event(
              job,
              'Normal',
              'SuccessfulCreateService',
              `Created service: ${pname}`,
              k.controllerName,
            );
          }
        }
      }
    }
  }

  // Failed pods (pkg/controller.v1/common/pod.go ReconcilePods). Under OnFailure/Always a container failure is
  // the kubelet's to restart; a pod that still ends Failed (evicted, or ExitCode's pod-level Never) is the
  // operator's: deleted and recreated when retryable, else the job fails.
  const rtypeOf = (p: Obj) =>
    Object.keys(specs).find((t) => t.toLowerCase() === p.metadata.labels?.[L.rtype]) ?? 'Worker';
  const deleted = new Set<string>();
  if (!done) {
    for (const p of pods) {
      if (phase(p) !== 'Failed' || isTerminating(p)) continue;
      const rtype = rtypeOf(p);
      const rp = restartPolicyOf(k, specs[rtype]);
      const podRp = p.spec?.restartPolicy as string | undefined;
      if ((podRp === 'OnFailure' || podRp === 'Always') && !p.status?.reason) {
        await restartInPlace(ctx, job, p);
        continue;
      }
      let exitCode = 0xbeef;
      for (const cs of p.status?.containerStatuses ?? [])
        if (cs.name === k.defaultContainer && cs.state?.terminated) exitCode = cs.state.terminated.exitCode;
      if ((rp === 'ExitCode' && retryable(exitCode)) || rp === 'OnFailure' || rp === 'Always') {
        await ctx.rest.delete(nsPath('v1', 'pods', ns, p.metadata.name));
        deleted.add(p.metadata.name);
        const msg = `job ${name} is restarting because ${rtype} replica(s) failed.`;
        await ctx.event(job, 'Warning', `${k.kind}Restarting`, msg, k.controllerName);
        setJobCondition(status, 'Restarting', `${k.kind}Restarting`, msg);
      } else if (rp === 'ExitCode') {
        const msg = `job "${name}" is failing because "${rtype}" replica(s) failed.`;
        status.completionTime ??= now();
        await ctx.event(job, 'Warning', `${k.kind}Failed`, msg, k.controllerName);
        setJobCondition(status, 'Failed', `${k.kind}Failed`, msg);
      }
    }
  }

  // Backoff limit (pkg/core/job.go PastBackoffLimit): container restarts of Running pods whose replica type
  // restarts (OnFailure, Always, ExitCode). Reached: every pod and service deleted, then the job Failed.
  const backoffLimit = job.spec?.runPolicy?.backoffLimit as number | undefined;
  if (!finished(status) && backoffLimit !== undefined) {
    let restarts = 0;
    for (const p of pods) {
      if (phase(p) !== 'Running' || deleted.has(p.metadata.name)) continue;
      if (restartPolicyOf(k, specs[rtypeOf(p)]) === 'Never') continue;
      for (const cs of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])])
        restarts += cs.restartCount ?? 0;
    }
    if (backoffLimit === 0 ? restarts > 0 : restarts >= backoffLimit) {
      for (const p of pods) {
        await ctx.rest.delete(nsPath('v1', 'pods', ns, p.metadata.name));
        if (k.services) await ctx.rest.delete(nsPath('v1', 'services', ns, p.metadata.name));
        deleted.add(p.metadata.name);
      }
      const msg = `Job ${name} has failed because it has reached the specified backoff limit`;
      status.completionTime ??= now();
      await ctx.event(job, 'Normal', `${k.kind}Failed`, msg, k.controllerName);
      setJobCondition(status, 'Failed', `${k.kind}Failed`, msg);
    }
  }

  // Replica statuses from pod phases (pkg/core/status.go).
  const replicaStatuses: Record<string, Json> = {};
  for (const rtype of Object.keys(specs)) {
    const sel = { [L.jobName]: name, [L.operator]: k.controllerName, [L.rtype]: rtype.toLowerCase() };
    const rs: Json = { selector: formatSelector(sel), labelSelector: { matchLabels: sel } };
    for (const p of pods.filter((x) => x.metadata.labels?.[L.rtype] === rtype.toLowerCase())) {
      const ph = phase(p);
      const key =
        ph === 'Running'
          ? isTerminating(p)
            ? 'failed'
            : 'active'
          : ph === 'Succeeded'
            ? 'succeeded'
            : ph === 'Failed'
              ? 'failed'
              : undefined;
      if (key) rs[key] = (rs[key] ?? 0) + 1;
    }
    replicaStatuses[rtype] = rs;
  }
  status.replicaStatuses = replicaStatuses;

  if (!finished(status) && pods.length > 0) {
    status.startTime ??= now();
    const completionTypes = hasMaster ? k.masterTypes.filter((t) => t in specs) : ['Worker'];
    for (const rtype of Object.keys(specs)) {
      const rs = replicaStatuses[rtype];
      const replicas: number =
        k.kind === 'MPIJob' && rtype === 'Launcher' ? 1 : (specs[rtype]?.replicas ?? 1);
      const succeeded: number = rs.succeeded ?? 0;
      const running: number = rs.active ?? 0;
      const failed: number = rs.failed ?? 0;
      if (completionTypes.includes(rtype)) {
        if (running > 0)
          setJobCondition(status, 'Running', `${k.kind}Running`, `${k.kind} ${name} is running.`);
        if (replicas - succeeded === 0) {
          const msg = `${k.kind} ${name} is successfully completed.`;
          status.completionTime ??= now();
          setJobCondition(status, 'Succeeded', `${k.kind}Succeeded`, msg);
          await ctx.event(job, 'Normal', `${k.kind}Succeeded`, msg, k.controllerName);
          break;
        }
      }
      if (failed > 0 && replicas > succeeded + running) {
        if (restartPolicyOf(k, specs[rtype]) !== 'Never') {
          const msg = `${k.kind} ${name} is restarting because ${failed} ${rtype} replica(s) failed.`;
          setJobCondition(status, 'Restarting', `${k.kind}Restarting`, msg);
          await ctx.event(job, 'Warning', `${k.kind}Restarting`, msg, k.controllerName);
        } else {
          const msg = `${k.kind} ${name} is failed because ${failed} ${rtype} replica(s) failed.`;
          status.completionTime ??= now();
          setJobCondition(status, 'Failed', `${k.kind}Failed`, msg);
          await ctx.event(job, 'Normal', `${k.kind}Failed`, msg, k.controllerName);
          break;
        }
      }
    }
  }
  await patchStatus(ctx, job, k.plural, status);
}
