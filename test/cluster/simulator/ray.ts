// KubeRay (ray.io/v1 RayCluster, RayJob). Shapes read from ray-project/kuberay v1.7:
//   ray-operator/controllers/ray/utils/constant.go   label keys (ray.io/cluster, node-type, group, identifier,
//                                                    is-ray-node, originated-from-*), default ports
//   ray-operator/controllers/ray/common/pod.go       labelPod (non-overridable cluster/node-type/group labels)
//   ray-operator/controllers/ray/utils/util.go       PodName (<cluster>-head-xxxxx, <cluster>-<group>-worker-xxxxx),
//                                                    GenerateHeadServiceName (<cluster>-head-svc), GenerateRayClusterName
//   ray-operator/apis/ray/v1/raycluster_types.go     status (state, conditions HeadPodReady/RayClusterProvisioned, ...)
//   ray-operator/apis/ray/v1/rayjob_types.go         JobStatus / JobDeploymentStatus values, status fields
//   ray-operator/controllers/ray/rayjob_controller.go constructRayClusterForRayJob, createNewK8sJob (submitter Job
//                                                    named after the RayJob, backoffLimit 2)
import {
  type Ctx,
  type Json,
  type Obj,
  clone,
  controllerRef,
  createIfMissing,
  isTerminating,
  jobFinished,
  now,
  nsPath,
  ownedBy,
  patchStatus,
  phase,
  podReady,
  podResource,
  podsOf,
  rand5,
  setCondition,
  simAnnotations,
} from './util';

const R = {
  cluster: 'ray.io/cluster',
  nodeType: 'ray.io/node-type',
  group: 'ray.io/group',
  isNode: 'ray.io/is-ray-node',
  id: 'ray.io/identifier',
  fromName: 'ray.io/originated-from-cr-name',
  fromCrd: 'ray.io/originated-from-crd',
  submission: 'ray.io/job-submission-mode',
};
const PORTS = { client: 10001, 'gcs-server': 6379, dashboard: 8265, metrics: 8080 };

function labelPod(
  type: 'head' | 'worker',
  cluster: string,
  group: string,
  override: Record<string, string> | undefined,
): Record<string, string> {
  const labels: Record<string, string> = {
    [R.isNode]: 'yes',
    [R.cluster]: cluster,
    [R.nodeType]: type,
    [R.group]: group,
    [R.id]: `${cluster}-${type}`,
    'app.kubernetes.io/name': 'kuberay',
    'app.kubernetes.io/created-by': 'kuberay-operator',
  };
  for (const [k, v] of Object.entries(override ?? {})) {
    if (k === R.nodeType || k === R.group || k === R.cluster) continue;
    labels[k] = v;
  }
  return labels;
}

function headSvcName(rc: Obj): string {
  return rc.spec?.headGroupSpec?.headService?.metadata?.name || `${rc.metadata.name}-head-svc`;
}

function desiredWorkers(g: Json): number {
  if (g.suspend) return 0;
  const min: number = g.minReplicas ?? 0;
  const max: number = g.maxReplicas ?? 2 ** 31 - 1;
  const r: number = g.replicas ?? min;
  return Math.max(min, Math.min(max, r)) * (g.numOfHosts ?? 1);
}

function rayPod(rc: Obj, type: 'head' | 'worker', group: string, tmpl: Json, name: string): Obj {
  const t: Json = clone(tmpl ?? {});
  const spec: Json = t.spec ?? { containers: [] };
  const ns = rc.metadata.namespace ?? 'default';
  const fqdn = `${headSvcName(rc)}.${ns}.svc.cluster.local`;
  const c0 = spec.containers?.[0];
  if (c0) {
    c0.env = [
      ...(c0.env ?? []),
      { name: 'RAY_CLUSTER_NAME', value: rc.metadata.name },
      { name: 'RAY_CLUSTER_NAMESPACE', value: ns },
      ...(type === 'worker'
        ? [
            { name: 'FQ_RAY_IP', value: fqdn },
            { name: 'RAY_IP', value: headSvcName(rc) },
          ]
        : []),
      { name: 'RAY_PORT', value: '6379' },
      { name: 'RAY_ADDRESS', value: type === 'head' ? '127.0.0.1:6379' : `${fqdn}:6379` },
      { name: 'RAY_USAGE_STATS_KUBERAY_IN_USE', value: '1' },
    ];
  }
  spec.restartPolicy ??= 'Always';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns,
      labels: labelPod(type, rc.metadata.name, group, t.metadata?.labels),
      annotations: { ...(t.metadata?.annotations ?? {}), 'ray.io/ft-enabled': 'false' },
      ownerReferences: [controllerRef(rc)],
    },
    spec,
  };
}

/** Counts pods created but not yet visible in the snapshot, so generated names are not created twice. */
function pendingFor(ctx: Ctx, key: string, visible: Obj[]): string[] {
  const list = (ctx.pending.get(key) ?? []).filter(
    (p) => Date.now() - p.at < 30_000 && !visible.some((v) => v.metadata.name === p.name),
  );
  ctx.pending.set(key, list);
  return list.map((p) => p.name);
}

export async function reconcileRayCluster(ctx: Ctx, rc: Obj): Promise<void> {
  if (isTerminating(rc)) return;
  const ns = rc.metadata.namespace ?? 'default';
  const name = rc.metadata.name;
  const suspended = rc.spec?.suspend === true;
  let pods = podsOf(ctx, rc).filter((p) => !isTerminating(p));
  // KubeRay replaces Ray pods that reached a terminal phase.
  for (const p of pods.filter((x) => ['Succeeded', 'Failed'].includes(phase(x)))) {
    await ctx.rest.delete(nsPath('v1', 'pods', ns, p.metadata.name));
    await ctx.event(rc, 'Normal', 'Deleted', `Deleted pod ${ns}/${p.metadata.name}`, 'raycluster-controller');
  }
  pods = pods.filter((x) => !['Succeeded', 'Failed'].includes(phase(x)));

  await createIfMissing(ctx, nsPath('v1', 'services', ns), {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: headSvcName(rc),
      namespace: ns,
      labels: {
        [R.cluster]: name,
        [R.nodeType]: 'head',
        [R.id]: `${name}-head`,
        'app.kubernetes.io/name': 'kuberay',
        'app.kubernetes.io/created-by': 'kuberay-operator',
      },
      ownerReferences: [controllerRef(rc)],
    },
    spec: {
      clusterIP: 'None',
      selector: { [R.cluster]: name, [R.nodeType]: 'head' },
      ports: Object.entries(PORTS).map(([n, p]) => ({
        name: n,
        port: p,
        targetPort: p,
        protocol: 'TCP',
        appProtocol: 'tcp',
      })),
      publishNotReadyAddresses: true,
    },
  });

  // Head pod.
  const heads = pods.filter((p) => p.metadata.labels?.[R.nodeType] === 'head');
  const headKey = `${ns}/${name}/head`;
  if (!suspended && heads.length === 0 && pendingFor(ctx, headKey, heads).length === 0) {
    const pname = `${name.slice(0, 50)}-head-${rand5()}`.toLowerCase();
    ctx.pending.set(headKey, [{ name: pname, at: Date.now() }]);
    await ctx.rest.post(
      nsPath('v1', 'pods', ns),
      rayPod(rc, 'head', 'headgroup', rc.spec?.headGroupSpec?.template, pname),
    );
    await ctx.event(
      rc,
      'Normal',
      'CreatedHeadPod',
      `Created head Pod ${ns}/${pname}`,
      'raycluster-controller',
    );
  }
  // Worker groups.
  let desiredTotal = 0;
  let minTotal = 0;
  let maxTotal = 0;
  const groups: Json[] = rc.spec?.workerGroupSpecs ?? [];
  let cpu = podResource(rc.spec?.headGroupSpec?.template?.spec, 'cpu');
  let mem = podResource(rc.spec?.headGroupSpec?.template?.spec, 'memory');
  let gpu =
    podResource(rc.spec?.headGroupSpec?.template?.spec, 'nvidia.com/gpu') +
    podResource(rc.spec?.headGroupSpec?.template?.spec, 'amd.com/gpu');
  for (const g of groups) {
    const want = suspended ? 0 : desiredWorkers(g);
    desiredTotal += want;
    minTotal += (g.minReplicas ?? 0) * (g.numOfHosts ?? 1);
    maxTotal += (g.maxReplicas ?? 2 ** 31 - 1) * (g.numOfHosts ?? 1);
    cpu += want * podResource(g.template?.spec, 'cpu');
    mem += want * podResource(g.template?.spec, 'memory');
    gpu +=
      want * (podResource(g.template?.spec, 'nvidia.com/gpu') + podResource(g.template?.spec, 'amd.com/gpu'));
    const have = pods.filter(
      (p) => p.metadata.labels?.[R.nodeType] === 'worker' && p.metadata.labels?.[R.group] === g.groupName,
    );
    const key = `${ns}/${name}/${g.groupName}`;
    const inflight = pendingFor(ctx, key, have);
    const count = have.length + inflight.length;
    for (let i = count; i < want; i++) {
      const pname = `${name.slice(0, 50)}-${g.groupName}-worker-${rand5()}`.toLowerCase();
      ctx.pending.set(key, [...(ctx.pending.get(key) ?? []), { name: pname, at: Date.now() }]);
      await ctx.rest.post(nsPath('v1', 'pods', ns), rayPod(rc, 'worker', g.groupName, g.template, pname));
      await ctx.event(
        rc,
        'Normal',
        'CreatedWorkerPod',
        `Created worker Pod ${ns}/${pname}`,
        'raycluster-controller',
      );
    }
    for (const p of have.slice(want)) {
      await ctx.rest.delete(nsPath('v1', 'pods', ns, p.metadata.name));
      await ctx.event(
        rc,
        'Normal',
        'DeletedWorkerPod',
        `Deleted worker Pod ${ns}/${p.metadata.name}`,
        'raycluster-controller',
      );
    }
  }
  if (suspended) {
    for (const p of pods) await ctx.rest.delete(nsPath('v1', 'pods', ns, p.metadata.name));
  }

  const head = heads[0];
  const workers = pods.filter((p) => p.metadata.labels?.[R.nodeType] === 'worker');
  const readyWorkers = workers.filter(podReady).length;
  const headReady = !!head && podReady(head);
  const status: Json = clone(rc.status ?? {});
  status.desiredWorkerReplicas = desiredTotal;
  status.minWorkerReplicas = minTotal;
  status.maxWorkerReplicas = maxTotal;
  status.availableWorkerReplicas = readyWorkers;
  status.readyWorkerReplicas = readyWorkers;
  status.desiredCPU = String(Math.round(cpu * 1000) / 1000);
  status.desiredMemory =
    mem >= 1024 ** 3 && mem % 1024 ** 3 === 0 ? `${mem / 1024 ** 3}Gi` : String(Math.round(mem));
  status.desiredGPU = String(gpu);
  status.desiredTPU = '0';
  status.endpoints = Object.fromEntries(Object.entries(PORTS).map(([k, v]) => [k, String(v)]));
  status.head = {
    podName: head?.metadata.name,
    podIP: head?.status?.podIP,
    serviceName: headSvcName(rc),
    serviceIP: head?.status?.podIP,
  };
  status.observedGeneration = rc.metadata.generation;
  status.conditions = setCondition(
    status.conditions,
    headReady
      ? { type: 'HeadPodReady', status: 'True', reason: 'HeadPodRunningAndReady', message: '' }
      : {
          type: 'HeadPodReady',
          status: 'False',
          reason: head ? 'HeadPodNotReady' : 'HeadPodNotFound',
          message: head ? 'Head Pod is not ready' : 'Head Pod not found',
        },
  );
  const allReady = headReady && readyWorkers >= desiredTotal;
  const provisioned = (status.conditions as Json[]).find((c) => c.type === 'RayClusterProvisioned');
  if (!provisioned || provisioned.status !== 'True') {
    status.conditions = setCondition(
      status.conditions,
      allReady
        ? {
            type: 'RayClusterProvisioned',
            status: 'True',
            reason: 'AllPodRunningAndReadyFirstTime',
            message: 'All Ray Pods are ready for the first time',
          }
        : {
            type: 'RayClusterProvisioned',
            status: 'False',
            reason: 'RayClusterPodsProvisioning',
            message: 'RayCluster Pods are being provisioned for first time',
          },
    );
  }
  const state = suspended ? 'suspended' : allReady ? 'ready' : status.state;
  if (state && state !== status.state) {
    status.state = state;
    status.stateTransitionTimes = { ...(status.stateTransitionTimes ?? {}), [state]: now() };
  }
  delete status.lastUpdateTime;
  await patchStatus(ctx, rc, 'rayclusters', status, { lastUpdateTime: now() });
}

/**
 * Where the real KubeRay runs, the simulator plays only RayJobs handed to "another controller" through
 * `spec.managedBy` (KubeRay 1.6 skips those, rayjob_controller.go ManagedByExternalController; MultiKueue's value
 * is the only other one its CRD accepts). They are the RayJobs whose outcome needs a Ray dashboard.
 */
export const SIM_RAYJOB_MANAGED_BY = 'kueue.x-k8s.io/multikueue';

export async function reconcileRayJob(ctx: Ctx, rj: Obj): Promise<void> {
  if (isTerminating(rj)) return;
  const ns = rj.metadata.namespace ?? 'default';
  const name = rj.metadata.name;
  const status: Json = clone(rj.status ?? {});
  const terminal = ['Complete', 'Failed'].includes(status.jobDeploymentStatus);
  if (!status.jobDeploymentStatus) {
    status.jobId = rj.spec?.jobId || `${name}-${rand5()}`;
    status.rayClusterName = rj.spec?.clusterSelector?.[R.cluster] ?? `${name}-${rand5()}`;
    status.jobDeploymentStatus = 'Initializing';
    status.jobStatus = '';
    status.startTime = now();
    status.failed = 0;
    status.succeeded = 0;
    await patchStatus(ctx, rj, 'rayjobs', status);
    return;
  }
  const clusterName: string = status.rayClusterName;
  const mode: string = rj.spec?.submissionMode ?? 'K8sJobMode';
  const rcPath = nsPath('ray.io/v1', 'rayclusters', ns, clusterName);
  let rc = await ctx.rest.find<Obj>(rcPath);
  if (!rc && !terminal && !rj.spec?.clusterSelector && rj.spec?.rayClusterSpec) {
    rc = {
      apiVersion: 'ray.io/v1',
      kind: 'RayCluster',
      metadata: {
        name: clusterName,
        namespace: ns,
        labels: {
          ...(rj.metadata.labels ?? {}),
          [R.fromName]: name,
          [R.fromCrd]: 'RayJob',
          [R.submission]: mode,
        },
        annotations: { ...(rj.metadata.annotations ?? {}) },
        ownerReferences: [controllerRef(rj)],
      },
      spec: clone(rj.spec.rayClusterSpec),
    };
    await createIfMissing(ctx, nsPath('ray.io/v1', 'rayclusters', ns), rc);
    return;
  }
  if (rc?.status) status.rayClusterStatus = rc.status;
  const headSvc = rc ? headSvcName(rc) : `${clusterName}-head-svc`;
  status.dashboardURL = `${headSvc}.${ns}.svc.cluster.local:8265`;
  if (!terminal && rc?.status?.state === 'ready' && mode === 'K8sJobMode') {
    const job = ctx.snap.jobs.find(
      (j) => j.metadata.namespace === ns && j.metadata.name === name && ownedBy(j, rj),
    );
    if (!job) {
      const headImage: string =
        rc.spec?.headGroupSpec?.template?.spec?.containers?.[0]?.image ?? 'rayproject/ray:2.52.0';
      const tmpl: Json = clone(
        rj.spec?.submitterPodTemplate ?? {
          spec: {
            restartPolicy: 'Never',
            containers: [
              {
                name: 'ray-job-submitter',
                image: headImage,
                command: [
                  'ray',
                  'job',
                  'submit',
                  '--address',
                  `http://${headSvc}.${ns}.svc.cluster.local:8265`,
                  '--submission-id',
                  status.jobId,
                  '--',
                  ...String(rj.spec?.entrypoint ?? '')
                    .split(' ')
                    .filter(Boolean),
                ],
                resources: {
                  limits: { cpu: '1', memory: '1Gi' },
                  requests: { cpu: '500m', memory: '200Mi' },
                },
              },
            ],
          },
        },
      );
      // getSubmitterTemplate (v1.7.0 rayjob_controller.go): the submitter pods carry the same origin labels as the Job.
      tmpl.metadata = {
        ...(tmpl.metadata ?? {}),
        labels: {
          ...(tmpl.metadata?.labels ?? {}),
          [R.fromName]: name,
          [R.fromCrd]: 'RayJob',
          'app.kubernetes.io/created-by': 'kuberay-operator',
        },
        annotations: { ...(tmpl.metadata?.annotations ?? {}), ...simAnnotations(rj) },
      };
      tmpl.spec.restartPolicy ??= 'Never';
      await createIfMissing(ctx, nsPath('batch/v1', 'jobs', ns), {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          name,
          namespace: ns,
          labels: {
            [R.fromName]: name,
            [R.fromCrd]: 'RayJob',
            'app.kubernetes.io/created-by': 'kuberay-operator',
          },
          ownerReferences: [controllerRef(rj)],
        },
        spec: { backoffLimit: rj.spec?.submitterConfig?.backoffLimit ?? 2, template: tmpl },
      });
      status.jobDeploymentStatus = 'Running';
      status.jobStatus = 'PENDING';
    } else {
      const fin = jobFinished(job);
      const submitterRunning = (job.status?.active ?? 0) > 0 && (job.status?.ready ?? 0) > 0;
      if (fin === 'Complete') {
        status.jobStatus = 'SUCCEEDED';
        status.jobDeploymentStatus = 'Complete';
        status.endTime = now();
        status.succeeded = 1;
        status.message = 'Job finished successfully.';
      } else if (fin === 'Failed') {
        status.jobStatus = 'FAILED';
        status.jobDeploymentStatus = 'Failed';
        status.reason = 'AppFailed';
        status.message = `Job ${status.jobId} failed: the Ray job's entrypoint exited with a non-zero code`;
        status.endTime = now();
        status.failed = 1;
      } else if (submitterRunning) {
        status.jobStatus = 'RUNNING';
        status.jobDeploymentStatus = 'Running';
      }
    }
  }
  await patchStatus(ctx, rj, 'rayjobs', status);
  if (
    ['Complete', 'Failed'].includes(status.jobDeploymentStatus) &&
    rj.spec?.shutdownAfterJobFinishes &&
    rc &&
    !isTerminating(rc)
  ) {
    await ctx.rest.delete(rcPath);
  }
}
