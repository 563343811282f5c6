// "Why Not Running?" against the real apiserver and kube-scheduler with the fixture GPU pool: each waiting
// workload gives its sentence in the tree model (status line and tooltip) and in the panel (the markdown the
// command shows), from the scheduler's real FailedScheduling verdicts.
//
// Kueue runs in this cluster (the real controller, its webhooks and its visibility API through the aggregator):
// the queued case gets its Workload, quota figures and queue position from Kueue itself.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROOT, type WorkloadNode } from '../../src/core/tree';
import { whyMarkdown } from '../../src/core/whyNotRunning';
import { parseSchedulingMessage } from '../../src/core/schedulingReasons';
import { ClusterConnection } from '../../src/k8s/connection';
import { loadKubeconfig, type MergedKubeconfig } from '../../src/k8s/kubeconfig';
import { ClusterModelSource } from '../../src/k8s/modelSource';
import { type ApiReader } from '../../src/k8s/whyFacts';
import { ClusterModel } from '../../src/model/clusterModel';
import { explainWorkload } from '../../src/model/why';
import { sharedCluster, type TestCluster } from './harness/index';
import type { Rest } from './harness/rest';
import { type Json, rest, waitFor } from './helpers';

let cluster: TestCluster;
let api: Rest;
let conn: ClusterConnection;
let ns: string;
let model: ClusterModel;
const clusterScoped: string[] = [];

const NV_TOL = [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }];

before(async () => {
  cluster = await sharedCluster();
  api = await rest(cluster);
  const loaded = loadKubeconfig({ explicitPath: cluster.kubeconfigPath });
  assert.equal(loaded.kind, 'ok');
  const cfg = loaded as MergedKubeconfig;
  ns = await cluster.createNamespace('why');
  const c = ClusterConnection.create(cfg, cfg.currentContext!);
  assert.ok(c.ok);
  conn = c.value;
  model = new ClusterModel(new ClusterModelSource(conn, { scope: { kind: 'some', namespaces: [ns] } }));
  assert.equal((await model.start()).state, 'connected');
});

after(async () => {
  model?.dispose();
  conn?.dispose();
  for (const p of clusterScoped) await api.delete(p).catch(() => undefined);
  await api?.delete(`/api/v1/namespaces/${ns}`);
  api?.close();
});

function job(
  name: string,
  podSpec: Json,
  extra: { labels?: Record<string, string>; suspend?: boolean } = {},
): Json {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: ns, ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: {
      backoffLimit: 0,
      ...(extra.suspend ? { suspend: true } : {}),
      template: { spec: { restartPolicy: 'Never', ...podSpec } },
    },
  };
}

const gpuContainer = (resource: string, n: number) => [
  { name: 'main', image: 'trainer:1', resources: { limits: { [resource]: String(n) } } },
];

function rows(): WorkloadNode[] {
  const t = model.workloads!;
  return t.children(ROOT).flatMap((g) => t.children(g.id)) as WorkloadNode[];
}

/** The workload's row once its status line starts with `prefix`. */
async function row(name: string, prefix: string): Promise<WorkloadNode> {
  let last: string | undefined;
  try {
    return await waitFor(
      `${name}: "${prefix}…"`,
      async () => {
        const n = rows().find((x) => x.label === name);
        last = n?.description;
        return n?.description?.startsWith(prefix) ? n : undefined;
      },
      60_000,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; last seen: ${last ?? 'no row'}`);
  }
}

async function panel(
  n: WorkloadNode,
  reader: ApiReader = conn.transport,
): Promise<{ md: string; headline: string }> {
  const r = await explainWorkload(model.workloads!, reader, n.id);
  assert.ok(r, 'the workload is explained');
  return { md: whyMarkdown(r.workload, r.why, r.events), headline: r.why.headline };
}

describe('Why Not Running? on the real scheduler and the fixture GPU pool', () => {
  it('a Job asking for 16 GPUs in one pod', async () => {
    await api.post(
      `/apis/batch/v1/namespaces/${ns}/jobs`,
      job('sixteen', { tolerations: NV_TOL, containers: gpuContainer('nvidia.com/gpu', 16) }),
    );
    const sentence = 'Pending: needs 16 GPUs in one pod, nodes have at most 8';
    const n = await row('sixteen', sentence);
    assert.equal((n.tooltip ?? '').split('\n')[0], `**${sentence}**`);
    assert.match(n.contextValue, /^gantry\.workload\.batch\.Pending$/);
    const p = await panel(n);
    assert.equal(p.headline, sentence);
    assert.match(p.md, /a pod asks for 16 nvidia.com\/gpu; the largest node has 8 \(H100 80GB\)/);
    assert.match(p.md, /Ask for 8 nvidia.com\/gpu per pod \(the node size\)/);
    // the scheduler's own words (this cluster's kube-scheduler), parsed whole
    const raw = /`sixteen-[a-z0-9]+`: (0\/7 nodes are available: [^\n]+)/.exec(p.md);
    assert.ok(raw, p.md);
    const parsed = parseSchedulingMessage(raw[1].replace(/\\(.)/g, '$1'));
    assert.deepEqual(
      parsed.reasons.map((r) => [r.kind, r.nodes, r.resource]),
      [
        ['taint', 1, undefined],
        ['insufficient', 6, 'nvidia.com/gpu'],
      ],
    );
    assert.ok(parsed.preemption?.every((r) => r.kind === 'preemptionNotHelpful'));
    // The scheduler's own words: kube-scheduler 1.34+ says "untolerated taint(s)", 1.30-1.33 name the taint
    // ("untolerated taint {amd.com/gpu: present}", seen on 1.30.14), which Gantry then reads too.
    assert.match(
      parsed.headline,
      /^0\/7 nodes are available: 1 node\(s\) had untolerated taint(\(s\)| \{amd\.com\/gpu: present\}), 6 Insufficient nvidia\.com\/gpu$/,
    );
    const taint = parsed.reasons.find((r) => r.kind === 'taint');
    if (parsed.headline.includes('{'))
      assert.deepEqual(taint?.taint, { key: 'amd.com/gpu', value: 'present' });
  });

  it('a pod without the toleration for the AMD node', async () => {
    await api.post(
      `/apis/batch/v1/namespaces/${ns}/jobs`,
      job('rocm', { containers: gpuContainer('amd.com/gpu', 1) }),
    );
    const sentence = 'Pending: the MI300X node is tainted amd.com/gpu; the pod does not tolerate it';
    const n = await row('rocm', sentence);
    const p = await panel(n);
    assert.equal(p.headline, sentence);
    assert.match(
      p.md,
      /the MI300X node is tainted amd.com\/gpu=present:NoSchedule and the pod does not tolerate it/,
    );
    assert.match(p.md, /Add the toleration amd.com\/gpu=present:NoSchedule/);
  });

  it('GPUs free but spread over nodes', async () => {
    // one A100 taken on a100-node-0 leaves 3 there and 1 on a100-mig-node-0: 4 free, none with 4 on one node
    await api.post(`/apis/batch/v1/namespaces/${ns}/jobs`, {
      ...job('filler', {
        tolerations: NV_TOL,
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a100-node-0'] }] },
              ],
            },
          },
        },
        containers: gpuContainer('nvidia.com/gpu', 1),
      }),
    });
    await row('filler', 'Running');
    await api.post(
      `/apis/batch/v1/namespaces/${ns}/jobs`,
      job('spread', {
        tolerations: NV_TOL,
        nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-A100-PCIE-40GB' },
        containers: gpuContainer('nvidia.com/gpu', 4),
      }),
    );
    const sentence = 'Pending: needs 4 GPUs on one node; 4 free but spread 1+3';
    const n = await row('spread', sentence);
    const p = await panel(n);
    assert.equal(p.headline, sentence);
    assert.match(p.md, /4 A100 40GB are free but spread over 2 nodes \(1\+3\); the pod needs 4 on one node/);
  });

  it('a node selector no node matches', async () => {
    await api.post(
      `/apis/batch/v1/namespaces/${ns}/jobs`,
      job('h200', {
        tolerations: NV_TOL,
        nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-H200' },
        containers: gpuContainer('nvidia.com/gpu', 1),
      }),
    );
    const sentence = 'Pending: no node has nvidia.com/gpu.product=NVIDIA-H200';
    const n = await row('h200', sentence);
    const p = await panel(n);
    assert.equal(p.headline, sentence);
    assert.match(p.md, /matches no node \(nodes have NVIDIA-A100-PCIE-40GB, NVIDIA-H100-80GB-HBM3\)/);
  });

  it('a suspended PyTorchJob (real training-operator)', async () => {
    await api.post(`/apis/kubeflow.org/v1/namespaces/${ns}/pytorchjobs`, {
      apiVersion: 'kubeflow.org/v1',
      kind: 'PyTorchJob',
      metadata: { name: 'paused', namespace: ns },
      spec: {
        runPolicy: { suspend: true },
        pytorchReplicaSpecs: {
          Master: {
            replicas: 1,
            restartPolicy: 'OnFailure',
            template: {
              spec: {
                tolerations: NV_TOL,
                containers: [
                  { name: 'pytorch', image: 'trainer:1', resources: { limits: { 'nvidia.com/gpu': '8' } } },
                ],
              },
            },
          },
        },
      },
    });
    const sentence = 'Suspended: suspended (runPolicy.suspend: true)';
    const n = await row('paused', sentence);
    const p = await panel(n);
    assert.equal(p.headline, sentence);
    assert.match(p.md, /Resume: set runPolicy.suspend to false/);
  });

  it('a Kueue-queued Job with its position in the queue, behind quota another queue borrowed', async () => {
    const cqA = `${ns}-team-a`;
    const cqB = `${ns}-team-b`;
    const flavor = `${ns}-h100`;
    const K = '/apis/kueue.x-k8s.io/v1beta2';
    await api.post(`${K}/resourceflavors`, {
      apiVersion: 'kueue.x-k8s.io/v1beta2',
      kind: 'ResourceFlavor',
      metadata: { name: flavor },
      spec: { nodeLabels: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' } },
    });
    clusterScoped.push(`${K}/resourceflavors/${flavor}`);
    // Two queues of one cohort: A holds 32 H100 of quota, B 16 and may borrow A's unused quota.
    for (const [name, nominal] of [
      [cqA, 32],
      [cqB, 16],
    ] as const) {
      await api.post(`${K}/clusterqueues`, {
        apiVersion: 'kueue.x-k8s.io/v1beta2',
        kind: 'ClusterQueue',
        metadata: { name },
        spec: {
          cohortName: `${ns}-pool`,
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
          resourceGroups: [
            {
              coveredResources: ['nvidia.com/gpu'],
              flavors: [{ name: flavor, resources: [{ name: 'nvidia.com/gpu', nominalQuota: nominal }] }],
            },
          ],
        },
      });
      clusterScoped.push(`${K}/clusterqueues/${name}`);
    }
    for (const [lq, cq] of [
      ['team-a-queue', cqA],
      ['team-b-queue', cqB],
    ])
      await api.post(`${K}/namespaces/${ns}/localqueues`, {
        apiVersion: 'kueue.x-k8s.io/v1beta2',
        kind: 'LocalQueue',
        metadata: { name: lq, namespace: ns },
        spec: { clusterQueue: cq },
      });
    // Kueue's quota is bookkeeping: the admitted pods need not run, so they wait on a selector no node has and
    // hold none of the pool's real GPUs.
    const queuedJob = (name: string, queue: string, pods: number) => {
      const j = job(
        name,
        {
          nodeSelector: { 'gantry.dev/pool': 'nowhere' },
          tolerations: NV_TOL,
          containers: gpuContainer('nvidia.com/gpu', 8),
        },
        { labels: { 'kueue.x-k8s.io/queue-name': queue } },
      );
      j.spec.parallelism = pods;
      j.spec.completions = pods;
      return j;
    };
    const wlOf = (name: string) =>
      waitFor(`the Workload of ${name}`, async () => {
        const l = await api.get<{ items: Json[] }>(`${K}/namespaces/${ns}/workloads`);
        return l.items.find((w) => w.metadata.ownerReferences?.some((o: Json) => o.name === name));
      });
    const admitted = (w: Json) =>
      waitFor(`${w.metadata.name} admitted`, async () => {
        const x = await api.get<Json>(`${K}/namespaces/${ns}/workloads/${w.metadata.name}`);
        return (x.status?.conditions ?? []).some((c: Json) => c.type === 'Admitted' && c.status === 'True');
      });
    // A uses 16 of its 32; B runs 32, 16 of them borrowed from A.
    await api.post(`/apis/batch/v1/namespaces/${ns}/jobs`, queuedJob('a-run', 'team-a-queue', 2));
    await admitted(await wlOf('a-run'));
    await api.post(`/apis/batch/v1/namespaces/${ns}/jobs`, queuedJob('b-run', 'team-b-queue', 4));
    await admitted(await wlOf('b-run'));
    // Kueue's webhook suspends the labelled Job at create; nothing is left in the cohort for its 16.
    const j = await api.post<Json>(
      `/apis/batch/v1/namespaces/${ns}/jobs`,
      queuedJob('queued', 'team-a-queue', 2),
    );
    assert.equal(j.spec.suspend, true);
    const wl = await wlOf('queued');
    const qr = await waitFor('Kueue’s verdict on the Workload', async () => {
      const x = await api.get<Json>(`${K}/namespaces/${ns}/workloads/${wl.metadata.name}`);
      return (x.status?.conditions ?? []).find(
        (c: Json) => c.type === 'QuotaReserved' && c.status === 'False',
      );
    });
    assert.match(
      qr.message,
      new RegExp(`insufficient unused quota for nvidia.com/gpu in flavor ${flavor}, 16 more needed`),
    );

    // the tree (no visibility API, ResourceFlavors not watched): the quota story, by flavor name
    const inTree = `Queued in team-a-queue (Kueue): 16 of 32 ${flavor} borrowed by ${cqB}`;
    const n = await row('queued', inTree);
    assert.equal((n.tooltip ?? '').split('\n')[0], `**Queued: 16 of 32 ${flavor} borrowed by ${cqB}**`);

    // the panel: the position from Kueue's visibility API through the aggregator, the flavor's GPU model
    const p = await panel(n);
    assert.equal(p.headline, `Queued: 1st in team-a-queue; 16 of 32 H100 80GB borrowed by ${cqB}`);
    assert.match(p.md, new RegExp(`1st in the ClusterQueue ${cqA}`));
    assert.match(p.md, new RegExp(`quota: ${cqA} uses 16 of 32 H100 80GB`));
  });
});
