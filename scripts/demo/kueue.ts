// Demo only: a small stand-in for Kueue's batch/Job integration, so the demo's queues have one admitted and one
// queued workload without running Kueue (real Kueue in the test cluster is another issue). It writes the objects
// Kueue writes, with the fields Gantry reads:
//   - kubernetes-sigs/kueue pkg/controller/jobframework/reconciler.go: a Job labelled kueue.x-k8s.io/queue-name gets
//     a Workload owned by it (controller reference) with spec.queueName and one pod set `main` (count =
//     parallelism, the Job's pod template); admission unsuspends the Job and injects the flavor's nodeLabels
//     and tolerations into the pod template (podset.Merge); a finished Job marks its Workload Finished.
//   - pkg/controller/jobframework/workload_names.go: the Workload is named `job-<job name>-<5 hex of a hash>`.
//   - pkg/workload/admissionchecks.go + pkg/scheduler/scheduler.go: an admitted Workload has status.admission
//     {clusterQueue, podSetAssignments[{name, flavors, resourceUsage, count}]} and conditions QuotaReserved=True
//     (reason QuotaReserved, "Quota reserved in ClusterQueue <cq>") and Admitted=True (reason Admitted, "The
//     workload is admitted"); one that does not fit has QuotaReserved=False, reason Pending, with the flavor
//     assigner's message "couldn't assign flavors to pod set main: insufficient unused quota for <resource> in
//     flavor <flavor>, <n> more needed" (pkg/scheduler/flavorassigner/flavorassigner.go).
//   - pkg/controller/core/{clusterqueue,localqueue}_controller.go: pending/reserving/admitted counts, flavors
//     usage, and the Active condition ("Can admit new workloads" / "Can submit new workloads to localQueue").
// Only batch Jobs, one resource group and one flavor per ClusterQueue, BestEffortFIFO by creation time, no
// preemption, no cohorts: enough for the demo's scene, and it says so instead of pretending to be Kueue.
import { createHash } from 'node:crypto';
import { type Rest, isConflict, isNotFound } from '../../test/cluster/harness/rest';
import {
  type Json,
  type Obj,
  clone,
  jobFinished,
  listItems,
  nsPath,
  parseQuantity,
  setCondition,
} from '../../test/cluster/simulator/util';

const KUEUE = 'kueue.x-k8s.io/v1beta2';
const QUEUE_LABEL = 'kueue.x-k8s.io/queue-name';

function workloadName(job: Obj): string {
  const h = createHash('sha256')
    .update(`${job.metadata.name}/${job.metadata.uid ?? ''}/batch/Job`)
    .digest('hex')
    .slice(0, 5);
  return `job-${job.metadata.name}-${h}`;
}

/** Per-pod requests (else limits) of the covered resources, times the pod count. */
function usageOf(template: Json, count: number, covered: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of covered) {
    let per = 0;
    for (const c of template?.spec?.containers ?? []) {
      const v = c.resources?.requests?.[r] ?? c.resources?.limits?.[r];
      if (v !== undefined) per += parseQuantity(String(v));
    }
    if (per > 0) out[r] = per * count;
  }
  return out;
}

/** Kueue prints quantities the Kubernetes way: "4", "128Gi". */
function fmt(resource: string, n: number): string {
  if (resource === 'memory') {
    for (const [u, m] of [
      ['Ti', 1024 ** 4],
      ['Gi', 1024 ** 3],
      ['Mi', 1024 ** 2],
    ] as const)
      if (n >= m && n % m === 0) return `${n / m}${u}`;
  }
  return String(Math.round(n * 1000) / 1000);
}

function condTrue(o: Obj, type: string): boolean {
  return (o.status?.conditions ?? []).some((c: Json) => c.type === type && c.status === 'True');
}

async function patchStatus(rest: Rest, path: string, status: Json): Promise<void> {
  try {
    await rest.patch(`${path}/status`, { status }, 'merge');
  } catch (e) {
    if (!isNotFound(e) && !isConflict(e)) throw e;
  }
}

export interface Queues {
  dispose(): Promise<void>;
}

export function startKueue(rest: Rest, log: (m: string) => void, periodMs = 2000): Queues {
  let stopped = false;
  let busy: Promise<void> | undefined;

  async function pass(): Promise<void> {
    const [cqs, lqs, flavors, jobs, wls] = await Promise.all([
      listItems({ rest }, `/apis/${KUEUE}/clusterqueues`),
      listItems({ rest }, `/apis/${KUEUE}/localqueues`),
      listItems({ rest }, `/apis/${KUEUE}/resourceflavors`),
      listItems({ rest }, '/apis/batch/v1/jobs'),
      listItems({ rest }, `/apis/${KUEUE}/workloads`),
    ]);
    if (!cqs || !lqs || !flavors || !jobs || !wls) return; // Kueue CRDs not installed
    const queued = jobs
      .filter((j) => j.metadata.labels?.[QUEUE_LABEL] && !j.metadata.deletionTimestamp)
      .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));

    // Workloads for queued Jobs (Kueue's webhook suspends such a Job at creation; this can only do it after).
    const wlOf = new Map<string, Obj>();
    for (const j of queued) {
      const ns = j.metadata.namespace ?? 'default';
      let wl = wls.find(
        (w) =>
          w.metadata.namespace === ns &&
          w.metadata.ownerReferences?.some((r) => r.controller && r.uid === j.metadata.uid),
      );
      if (!wl) {
        if (j.spec?.suspend !== true && !j.status?.startTime) {
          await rest.patch(
            nsPath('batch/v1', 'jobs', ns, j.metadata.name),
            { spec: { suspend: true } },
            'merge',
          );
        }
        const body: Obj = {
          apiVersion: KUEUE,
          kind: 'Workload',
          metadata: {
            name: workloadName(j),
            namespace: ns,
            labels: { 'kueue.x-k8s.io/job-uid': j.metadata.uid ?? '' },
            ownerReferences: [
              {
                apiVersion: 'batch/v1',
                kind: 'Job',
                name: j.metadata.name,
                uid: j.metadata.uid ?? '',
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          spec: {
            queueName: j.metadata.labels?.[QUEUE_LABEL],
            priority: 0,
            active: true,
            podSets: [{ name: 'main', count: j.spec?.parallelism ?? 1, template: clone(j.spec?.template) }],
          },
        };
        try {
          wl = await rest.post<Obj>(nsPath(KUEUE, 'workloads', ns), body);
          log(`kueue: created Workload ${ns}/${body.metadata.name} for Job ${j.metadata.name}`);
        } catch (e) {
          if (!isConflict(e)) throw e;
          continue;
        }
      }
      wlOf.set(j.metadata.uid ?? '', wl);
    }

    // Usage per ClusterQueue from admitted, unfinished workloads.
    interface CqInfo {
      cq: Obj;
      covered: string[];
      flavor: string;
      quota: Record<string, number>;
      used: Record<string, number>;
      pending: number;
      admitted: number;
    }
    const info = new Map<string, CqInfo>();
    for (const cq of cqs) {
      const rg = cq.spec?.resourceGroups?.[0];
      const fl = rg?.flavors?.[0];
      if (!rg || !fl) continue;
      const quota: Record<string, number> = {};
      for (const r of fl.resources ?? []) quota[r.name] = parseQuantity(String(r.nominalQuota));
      info.set(cq.metadata.name, {
        cq,
        covered: rg.coveredResources ?? [],
        flavor: fl.name,
        quota,
        used: {},
        pending: 0,
        admitted: 0,
      });
    }
    const lqPath = (ns: string, name: string) => `${ns}/${name}`;
    const lqByName = new Map(lqs.map((q) => [lqPath(q.metadata.namespace ?? '', q.metadata.name), q]));
    const lqCounts = new Map<string, { pending: number; admitted: number; used: Record<string, number> }>();
    const lqc = (k: string) => {
      let c = lqCounts.get(k);
      if (!c) lqCounts.set(k, (c = { pending: 0, admitted: 0, used: {} }));
      return c;
    };
    const add = (into: Record<string, number>, u: Record<string, number>) => {
      for (const [r, n] of Object.entries(u)) into[r] = (into[r] ?? 0) + n;
    };

    const undecided: { job: Obj; wl: Obj; lq: Obj | undefined }[] = [];
    for (const j of queued) {
      const wl = wlOf.get(j.metadata.uid ?? '');
      if (!wl) continue;
      const ns = j.metadata.namespace ?? 'default';
      const wlPath = nsPath(KUEUE, 'workloads', ns, wl.metadata.name);
      const lq = lqByName.get(lqPath(ns, wl.spec?.queueName ?? ''));
      const fin = jobFinished(j);
      if (fin) {
        if (!condTrue(wl, 'Finished')) {
          const conditions = setCondition(wl.status?.conditions, {
            type: 'Finished',
            status: 'True',
            reason: fin === 'Complete' ? 'Succeeded' : 'Failed',
            message: fin === 'Complete' ? 'Job finished successfully' : 'Job failed',
          });
          await patchStatus(rest, wlPath, { conditions });
          log(`kueue: Workload ${ns}/${wl.metadata.name} finished (${fin})`);
        }
        continue;
      }
      const cqi = lq ? info.get(lq.spec?.clusterQueue ?? '') : undefined;
      if (condTrue(wl, 'Admitted') && cqi) {
        const u = usageOf(wl.spec?.podSets?.[0]?.template, wl.spec?.podSets?.[0]?.count ?? 1, cqi.covered);
        add(cqi.used, u);
        cqi.admitted++;
        const c = lqc(lqPath(ns, lq!.metadata.name));
        c.admitted++;
        add(c.used, u);
        continue;
      }
      undecided.push({ job: j, wl, lq });
    }

    // Admit in creation order what fits; the rest waits with the flavor assigner's reason.
    for (const { job, wl, lq } of undecided) {
      const ns = job.metadata.namespace ?? 'default';
      const wlPath = nsPath(KUEUE, 'workloads', ns, wl.metadata.name);
      const cqi = lq ? info.get(lq.spec?.clusterQueue ?? '') : undefined;
      if (!lq || !cqi) {
        const message = !lq
          ? `LocalQueue ${wl.spec?.queueName} doesn't exist`
          : `ClusterQueue ${lq.spec?.clusterQueue} doesn't exist`;
        const conditions = setCondition(wl.status?.conditions, {
          type: 'QuotaReserved',
          status: 'False',
          reason: 'Inadmissible',
          message,
        });
        await patchStatus(rest, wlPath, { conditions });
        continue;
      }
      const podSet = wl.spec?.podSets?.[0] ?? {};
      const count: number = podSet.count ?? 1;
      const need = usageOf(podSet.template, count, cqi.covered);
      const short = Object.entries(need)
        .map(([r, n]) => [r, (cqi.used[r] ?? 0) + n - (cqi.quota[r] ?? 0)] as const)
        .find(([, over]) => over > 0);
      const c = lqc(lqPath(ns, lq.metadata.name));
      if (short) {
        cqi.pending++;
        c.pending++;
        const message = `couldn't assign flavors to pod set main: insufficient unused quota for ${short[0]} in flavor ${cqi.flavor}, ${fmt(short[0], short[1])} more needed`;
        const cur = (wl.status?.conditions ?? []).find((x: Json) => x.type === 'QuotaReserved');
        if (cur?.message !== message) {
          const conditions = setCondition(wl.status?.conditions, {
            type: 'QuotaReserved',
            status: 'False',
            reason: 'Pending',
            message,
          });
          await patchStatus(rest, wlPath, { conditions });
          log(`kueue: Workload ${ns}/${wl.metadata.name} pending: ${message}`);
        }
        continue;
      }
      add(cqi.used, need);
      add(c.used, need);
      cqi.admitted++;
      c.admitted++;
      const cqName = cqi.cq.metadata.name;
      let conditions = setCondition(wl.status?.conditions, {
        type: 'QuotaReserved',
        status: 'True',
        reason: 'QuotaReserved',
        message: `Quota reserved in ClusterQueue ${cqName}`,
      });
      conditions = setCondition(conditions, {
        type: 'Admitted',
        status: 'True',
        reason: 'Admitted',
        message: 'The workload is admitted',
      });
      const flavorsOf = Object.fromEntries(Object.keys(need).map((r) => [r, cqi.flavor]));
      const resourceUsage = Object.fromEntries(Object.entries(need).map(([r, n]) => [r, fmt(r, n)]));
      await patchStatus(rest, wlPath, {
        admission: {
          clusterQueue: cqName,
          podSetAssignments: [{ name: 'main', flavors: flavorsOf, resourceUsage, count }],
        },
        conditions,
      });
      // Start the Job on the flavor's nodes, as Kueue's podset.Merge does.
      const flavor = flavors.find((f) => f.metadata.name === cqi.flavor);
      const tmplSpec: Json = job.spec?.template?.spec ?? {};
      await rest.patch(
        nsPath('batch/v1', 'jobs', ns, job.metadata.name),
        {
          spec: {
            suspend: false,
            template: {
              spec: {
                nodeSelector: { ...(tmplSpec.nodeSelector ?? {}), ...(flavor?.spec?.nodeLabels ?? {}) },
                tolerations: [...(tmplSpec.tolerations ?? []), ...(flavor?.spec?.tolerations ?? [])],
              },
            },
          },
        },
        'merge',
      );
      log(`kueue: admitted Workload ${ns}/${wl.metadata.name} in ${cqName}`);
    }

    const usage = (flavor: string, covered: string[], used: Record<string, number>) => [
      {
        name: flavor,
        resources: covered.map((r) => ({ name: r, total: fmt(r, used[r] ?? 0), borrowed: '0' })),
      },
    ];
    for (const cqi of info.values()) {
      const u = usage(cqi.flavor, cqi.covered, cqi.used);
      await patchStatus(rest, `/apis/${KUEUE}/clusterqueues/${cqi.cq.metadata.name}`, {
        pendingWorkloads: cqi.pending,
        reservingWorkloads: cqi.admitted,
        admittedWorkloads: cqi.admitted,
        flavorsReservation: u,
        flavorsUsage: u,
        conditions: setCondition(cqi.cq.status?.conditions, {
          type: 'Active',
          status: 'True',
          reason: 'Ready',
          message: 'Can admit new workloads',
        }),
      });
    }
    for (const lq of lqs) {
      const ns = lq.metadata.namespace ?? 'default';
      const c = lqc(lqPath(ns, lq.metadata.name));
      const cqi = info.get(lq.spec?.clusterQueue ?? '');
      const u = cqi ? usage(cqi.flavor, cqi.covered, c.used) : [];
      await patchStatus(rest, nsPath(KUEUE, 'localqueues', ns, lq.metadata.name), {
        pendingWorkloads: c.pending,
        reservingWorkloads: c.admitted,
        admittedWorkloads: c.admitted,
        flavorsReservation: u,
        flavorsUsage: u,
        conditions: setCondition(lq.status?.conditions, {
          type: 'Active',
          status: cqi ? 'True' : 'False',
          reason: cqi ? 'Ready' : 'ClusterQueueDoesNotExist',
          message: cqi
            ? 'Can submit new workloads to localQueue'
            : "Can't submit new workloads to clusterQueue",
        }),
      });
    }
  }

  const timer = setInterval(() => {
    if (stopped || busy) return;
    busy = pass()
      .catch((e: unknown) => log(`kueue: ${(e as Error).message}`))
      .finally(() => (busy = undefined));
  }, periodMs);
  return {
    dispose: async () => {
      stopped = true;
      clearInterval(timer);
      await busy;
    },
  };
}
