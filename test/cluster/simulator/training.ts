// Kubeflow Training Operator v1 (kubeflow.org/v1 PyTorchJob, TFJob, MPIJob): pods, headless services and status
// shaped like the real operator's. Shapes read from kubeflow/training-operator v1.9.0 (also kubeflow/trainer v1.9.x):
//   pkg/apis/kubeflow.org/v1/common_types.go   label keys, JobCondition, ReplicaStatus
//   pkg/controller.v1/common/pod.go             createNewPod: labels, name <job>-<rtype lowercase>-<index>, job-role
//   pkg/controller.v1/common/service.go         CreateNewService: headless service per replica, same name/labels
//   pkg/controller.v1/common/job_controller.go  GenLabels (operator-name, job-name), GenOwnerReference
//   pkg/controller.v1/pytorch/pytorchjob_controller.go  UpdateJobStatus (Running/Succeeded/Failed, "<Kind><Reason>")
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

  if (!done && pods.length > 0) {
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
        // Failed pods are final here (kwok does not restart containers), whatever the restart policy.
        const msg = `${k.kind} ${name} is failed because ${failed} ${rtype} replica(s) failed.`;
        status.completionTime ??= now();
        setJobCondition(status, 'Failed', `${k.kind}Failed`, msg);
        await ctx.event(job, 'Normal', `${k.kind}Failed`, msg, k.controllerName);
        break;
      }
    }
  }
  await patchStatus(ctx, job, k.plural, status);
}
