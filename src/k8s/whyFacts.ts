// What "Why Not Running?" reads from the API besides the watched caches: Kueue's queues, flavors and the
// workload's Workload, its position from Kueue's visibility API (served version discovered: v1beta2 from
// Kueue 0.15, v1beta1 before), TrainJob runtimes, gang PodGroups, and fresh events of the workload and its pods.
// Every read is optional context: a missing API or a forbidden list leaves that part out.

/* eslint-disable @typescript-eslint/no-explicit-any -- Kueue and visibility JSON */

import { type KubeObject } from '../core/kube';
import { KUEUE_QUEUE_NAME, findKindDef, groupOf } from '../core/kinds';
import { type KueueFacts, type QueuePosition, type WhyInput } from '../core/whyNotRunning';
import { type Result, fail, ok } from './errors';
import { type RequestOptions } from './transport';

/** The part of KubeTransport these reads need (tests pass a scripted one). */
export interface ApiReader {
  get<T>(path: string, o?: RequestOptions): Promise<Result<T>>;
}

const KUEUE = 'kueue.x-k8s.io';
const VISIBILITY = 'visibility.kueue.x-k8s.io';

interface ApiGroup {
  versions?: { version: string }[];
  preferredVersion?: { version: string };
}

/** The served versions of an API group, preferred first; [] when the group is not served. */
async function groupVersions(api: ApiReader, group: string, signal?: AbortSignal): Promise<string[]> {
  const r = await api.get<ApiGroup>(`/apis/${group}`, { signal, timeoutMs: 10_000 });
  if (!r.ok) return [];
  const all = (r.value.versions ?? []).map((v) => v.version);
  const pref = r.value.preferredVersion?.version;
  return pref ? [pref, ...all.filter((v) => v !== pref)] : all;
}

/** v1beta2 (Kueue 0.15+) when served, else v1beta1; undefined when the visibility API is not served. */
export async function visibilityVersion(api: ApiReader, signal?: AbortSignal): Promise<string | undefined> {
  const vs = await groupVersions(api, VISIBILITY, signal);
  return ['v1beta2', 'v1beta1'].find((v) => vs.includes(v)) ?? vs[0];
}

interface PendingWorkload {
  metadata?: { name?: string; namespace?: string };
  localQueueName?: string;
  positionInClusterQueue?: number;
  positionInLocalQueue?: number;
  priority?: number;
}

/**
 * The Workload's place in its LocalQueue from `.../localqueues/{lq}/pendingworkloads` (Kueue numbers positions
 * from 0: pkg/visibility/api/v1beta2/utils.go newPendingWorkload; here they count from 1).
 */
export async function queuePosition(
  api: ApiReader,
  namespace: string,
  localQueue: string,
  workloadName: string,
  opts: { version?: string; clusterQueue?: string; signal?: AbortSignal } = {},
): Promise<Result<QueuePosition | undefined>> {
  const version = opts.version ?? (await visibilityVersion(api, opts.signal));
  if (!version) return fail({ kind: 'notFound', message: 'Kueue visibility API is not served' });
  const path = `/apis/${VISIBILITY}/${version}/namespaces/${encodeURIComponent(namespace)}/localqueues/${encodeURIComponent(localQueue)}/pendingworkloads`;
  const r = await api.get<{ items?: PendingWorkload[] }>(path, {
    query: { limit: 1000 },
    signal: opts.signal,
    timeoutMs: 10_000,
  });
  if (!r.ok) return r;
  const items = r.value.items ?? [];
  const me = items.find((i) => i.metadata?.name === workloadName);
  if (!me) return ok(undefined);
  const out: QueuePosition = { localQueue, pendingInLocalQueue: items.length };
  if (opts.clusterQueue) out.clusterQueue = opts.clusterQueue;
  if (typeof me.positionInLocalQueue === 'number') out.positionInLocalQueue = me.positionInLocalQueue + 1;
  if (typeof me.positionInClusterQueue === 'number')
    out.positionInClusterQueue = me.positionInClusterQueue + 1;
  return ok(out);
}

async function list(api: ApiReader, path: string, signal?: AbortSignal): Promise<KubeObject[] | undefined> {
  const r = await api.get<{ items?: KubeObject[] }>(path, { signal, timeoutMs: 15_000 });
  return r.ok ? (r.value.items ?? []) : undefined;
}

/** Kueue's objects for one workload: its Workload (owned by it), the queues, flavors and its position. */
export async function readKueueFacts(
  api: ApiReader,
  workload: KubeObject,
  known: KueueFacts = {},
  signal?: AbortSignal,
): Promise<KueueFacts> {
  const [version] = await groupVersions(api, KUEUE, signal);
  if (!version) return known;
  const ns = workload.metadata.namespace ?? 'default';
  const base = `/apis/${KUEUE}/${version}`;
  const [cqs, lqs, rfs, wls] = await Promise.all([
    known.clusterQueues
      ? Promise.resolve([...known.clusterQueues])
      : list(api, `${base}/clusterqueues`, signal),
    known.localQueues
      ? Promise.resolve([...known.localQueues])
      : list(api, `${base}/namespaces/${encodeURIComponent(ns)}/localqueues`, signal),
    known.resourceFlavors
      ? Promise.resolve([...known.resourceFlavors])
      : list(api, `${base}/resourceflavors`, signal),
    known.workload
      ? Promise.resolve(undefined)
      : list(api, `${base}/namespaces/${encodeURIComponent(ns)}/workloads`, signal),
  ]);
  const facts: KueueFacts = { ...known };
  if (cqs) facts.clusterQueues = cqs;
  if (lqs) facts.localQueues = lqs;
  if (rfs) facts.resourceFlavors = rfs;
  if (!facts.workload && wls) {
    const uid = workload.metadata.uid;
    const mine = wls.filter((w) => (w.metadata.ownerReferences ?? []).some((o) => o.uid === uid));
    const w =
      mine.find(
        (x) => !(x.status?.conditions ?? []).some((c: any) => c.type === 'Finished' && c.status === 'True'),
      ) ?? mine[0];
    if (w) facts.workload = w;
  }
  const kw = facts.workload;
  const lq: string | undefined = kw?.spec?.queueName ?? workload.metadata.labels?.[KUEUE_QUEUE_NAME];
  const pending =
    kw && !(kw.status?.conditions ?? []).some((c: any) => c.type === 'QuotaReserved' && c.status === 'True');
  if (kw && lq && pending && !facts.position) {
    const cq = facts.localQueues?.find((q) => q.metadata.name === lq)?.spec?.clusterQueue;
    const pos = await queuePosition(api, ns, lq, kw.metadata.name, { clusterQueue: cq, signal });
    if (pos.ok && pos.value) facts.position = pos.value;
  }
  return facts;
}

/** TrainJob runtimes and gang PodGroups, when those APIs are served. */
export async function readRelated(
  api: ApiReader,
  workload: KubeObject,
  signal?: AbortSignal,
): Promise<{ related: KubeObject[]; runtimesListed: boolean }> {
  const related: KubeObject[] = [];
  let runtimesListed = false;
  const ns = encodeURIComponent(workload.metadata.namespace ?? 'default');
  const d = findKindDef(groupOf(workload.apiVersion), workload.kind);
  if (d?.family === 'trainJob') {
    const [v] = await groupVersions(api, 'trainer.kubeflow.org', signal);
    if (v) {
      const [c, n] = await Promise.all([
        list(api, `/apis/trainer.kubeflow.org/${v}/clustertrainingruntimes`, signal),
        list(api, `/apis/trainer.kubeflow.org/${v}/namespaces/${ns}/trainingruntimes`, signal),
      ]);
      // Only two complete lists prove a runtime missing.
      if (c && n) {
        runtimesListed = true;
        for (const o of c) related.push({ ...o, kind: 'ClusterTrainingRuntime' });
        for (const o of n) related.push({ ...o, kind: 'TrainingRuntime' });
      }
    }
  }
  const pgGroups = ['scheduling.volcano.sh', 'scheduling.x-k8s.io'];
  for (const g of pgGroups) {
    const [v] = await groupVersions(api, g, signal);
    if (!v) continue;
    const pgs = await list(api, `/apis/${g}/${v}/namespaces/${ns}/podgroups`, signal);
    const uid = workload.metadata.uid;
    for (const pg of pgs ?? []) {
      const owned = (pg.metadata.ownerReferences ?? []).some((o) => o.uid === uid);
      if (owned) related.push({ ...pg, kind: 'PodGroup' });
    }
  }
  return { related, runtimesListed };
}

/** Events of the workload and its pods, straight from the API (the tree keeps only warnings). */
export async function readEvents(
  api: ApiReader,
  workload: KubeObject,
  pods: readonly KubeObject[],
  signal?: AbortSignal,
): Promise<KubeObject[]> {
  const ns = workload.metadata.namespace;
  if (!ns) return [];
  const all = await list(api, `/api/v1/namespaces/${encodeURIComponent(ns)}/events`, signal);
  if (!all) return [];
  const names = new Set([
    `${workload.kind}/${workload.metadata.name}`,
    ...pods.map((p) => `Pod/${p.metadata.name}`),
  ]);
  return all.filter((e: any) => {
    const io = e.involvedObject ?? e.regarding;
    return io && names.has(`${io.kind}/${io.name}`);
  });
}

/** The tree's input completed with what only the API knows. */
export async function completeWhyInput(
  api: ApiReader,
  input: WhyInput,
  signal?: AbortSignal,
): Promise<{ input: WhyInput; events: KubeObject[] }> {
  const [kueue, rel, events] = await Promise.all([
    readKueueFacts(api, input.workload, input.kueue ?? {}, signal),
    readRelated(api, input.workload, signal),
    readEvents(api, input.workload, input.pods, signal),
  ]);
  const related = [...(input.related ?? []), ...rel.related];
  const out: WhyInput = { ...input, kueue, related, runtimesListed: rel.runtimesListed };
  const seen = new Set((input.events ?? []).map((e) => e.metadata.uid ?? e.metadata.name));
  const merged = [
    ...(input.events ?? []),
    ...events.filter((e) => !seen.has(e.metadata.uid ?? e.metadata.name)),
  ];
  out.events = merged;
  return { input: out, events: merged };
}
