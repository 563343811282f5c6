// KubeRay's RayJob, for the RayJobs the real KubeRay leaves alone (`spec.managedBy`, below): their outcome needs a
// Ray dashboard, which cannot run here. The RayCluster they run on is the real KubeRay's. Shapes read from
// ray-project/kuberay v1.7:
//   ray-operator/controllers/ray/utils/constant.go   label keys (ray.io/cluster, originated-from-*)
//   ray-operator/controllers/ray/utils/util.go       GenerateHeadServiceName (<cluster>-head-svc), GenerateRayClusterName
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
  rand5,
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
function headSvcName(rc: Obj): string {
  return rc.spec?.headGroupSpec?.headService?.metadata?.name || `${rc.metadata.name}-head-svc`;
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
