// Follow Logs of a whole JobSet and of a whole LeaderWorkerSet whose pods the REAL JobSet and LWS controllers
// make (src/sessions/logFollow.ts LogSession on the product's pod tracker, src/k8s/workloadPods.ts): lines
// appended to the pods' kwok log files arrive in order per pod, prefixed with the role/rank Gantry derives from
// the labels the controllers (and the Job controller) put on them; a pod the controller recreates joins with
// its "joined" line, and the pods it deleted end with theirs.
//   npm run test:cluster -- --operators=jobset,lws test/cluster/operators/logs.test.ts
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { formatEntry } from '../../../src/core/logMerge';
import { ClusterConnection } from '../../../src/k8s/connection';
import { trackPods } from '../../../src/k8s/workloadPods';
import { LogSession, type LogTarget } from '../../../src/sessions/logFollow';
import { type Json, waitFor } from '../helpers';
import { operatorEnv, type OperatorEnv } from './setup';

let env: OperatorEnv;
const sessions: LogSession[] = [];

before(async () => {
  env = await operatorEnv('op-logs');
});

after(async () => {
  for (const s of sessions) s.dispose();
  await env?.close();
});

async function follow(target: LogTarget): Promise<LogSession> {
  const c = ClusterConnection.create(env.cfg, env.cfg.currentContext!);
  assert.ok(c.ok);
  const conn = c.value;
  const s = new LogSession(`op-logs-${sessions.length + 1}`, target, {
    lease: { connection: conn, dispose: () => conn.dispose() },
    trackPods,
  });
  sessions.push(s);
  await s.start();
  assert.notEqual(s.state, 'failed', s.detail);
  return s;
}

/** What the session showed for one label, in its order: line texts, and event lines as rendered. */
const linesOf = (s: LogSession, label: string): string[] =>
  s.ring
    .toArray()
    .filter((e) => e.source.label === label)
    .map((e) => (e.kind === 'line' ? e.text : formatEntry(e)));

/** waitFor, and on a timeout what the session showed (its detail and every line). */
async function waitShown<T>(
  s: LogSession,
  what: string,
  fn: () => Promise<T | undefined | false>,
  ms = 60_000,
) {
  try {
    return await waitFor(what, fn, ms, 100);
  } catch (e) {
    const shown = s.ring.toArray().map((x) => formatEntry(x));
    throw new Error(`${(e as Error).message}\n${s.state}: ${s.detail}\n${shown.join('\n')}`);
  }
}

const running = (p: Json): boolean => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp;

/** The namespace's Running pods matching `selector`, once there are exactly `count`. */
const runningPods = (selector: string, count: number, what: string): Promise<Json[]> =>
  waitFor(
    what,
    async () => {
      const ps = (await env.pods(selector)).filter(running);
      return ps.length === count ? ps : undefined;
    },
    120_000,
    500,
  );

/** Appends `step` lines to every pod, one pod after the other, in `rounds` rounds. */
async function appendRounds(pods: Map<string, string>, container: string, rounds: number): Promise<void> {
  for (let i = 1; i <= rounds; i++)
    for (const [name] of pods) await env.cluster.appendLog(env.ns, name, container, [`${name} step ${i}`]);
}

/**
 * kwok serves a pod's log by pod name (a namespaced `Logs` object), so a pod the controller recreates under
 * the same name would be served the old pod's file. A kubelet starts the new pod with an empty log: drop the
 * old pod's Logs object first (kwok then serves the new pod its empty default).
 */
const forgetLogs = (pod: string) =>
  env.api.delete(`/apis/kwok.x-k8s.io/v1alpha1/namespaces/${env.ns}/logs/${pod}`);

describe('Follow Logs of a JobSet made by the real JobSet controller', () => {
  before(() => env.needs('jobset'));

  it('every replicated job and index shows under its own prefix, in order; a recreated pod joins', async () => {
    const job = (replicas: number, n: number) => ({
      replicas,
      template: {
        spec: {
          parallelism: n,
          completions: n,
          template: {
            // Job pods otherwise succeed after 3 s here (kwok stages); these run for the whole test.
            metadata: { annotations: { 'sim.gantry.dev/duration': '3600s' } },
            spec: { restartPolicy: 'Never', containers: [{ name: 'trainer', image: 'trainer:1.0' }] },
          },
        },
      },
    });
    await env.post('jobset.x-k8s.io/v1alpha2', 'jobsets', {
      apiVersion: 'jobset.x-k8s.io/v1alpha2',
      kind: 'JobSet',
      metadata: { name: 'train' },
      spec: {
        replicatedJobs: [
          { name: 'driver', ...job(1, 1) },
          { name: 'workers', ...job(2, 2) },
        ],
      },
    });
    const sel = 'jobset.sigs.k8s.io/jobset-name=train';
    const ps = await runningPods(sel, 5, '5 Running pods of JobSet train');
    // The label each pod must show, from the labels the controllers wrote: JobSet's replicated job and job
    // index, the Job controller's completion index (a replicated job of one Job leaves the job index out).
    const labelOf = (p: Json): string => {
      const l = p.metadata.labels;
      const rj = l['jobset.sigs.k8s.io/replicatedjob-name'];
      const ci = l['batch.kubernetes.io/job-completion-index'];
      return rj === 'driver' ? `driver-${ci}` : `${rj}-${l['jobset.sigs.k8s.io/job-index']}-${ci}`;
    };
    const pods = new Map(ps.map((p) => [p.metadata.name as string, labelOf(p)]));
    assert.deepEqual(
      [...pods.values()].sort(),
      ['driver-0', 'workers-0-0', 'workers-0-1', 'workers-1-0', 'workers-1-1'],
      JSON.stringify(ps.map((p) => p.metadata.labels)),
    );
    for (const name of pods.keys()) await env.cluster.appendLog(env.ns, name, 'trainer', [`${name} history`]);

    const s = await follow({
      type: 'workload',
      group: 'jobset.x-k8s.io',
      kind: 'JobSet',
      namespace: env.ns,
      name: 'train',
    });
    const states: string[] = [];
    s.onDidChange(() => states.push(`${s.state}: ${s.detail}`));
    await waitFor('history of every pod', async () =>
      [...pods].every(([name, label]) => linesOf(s, label).includes(`${name} history`)),
    );
    assert.deepEqual(s.labels(), ['driver-0', 'workers-0-0', 'workers-0-1', 'workers-1-0', 'workers-1-1']);

    await appendRounds(pods, 'trainer', 3);
    const last = [...pods.keys()].at(-1)!;
    await waitFor(
      'the last round',
      async () => linesOf(s, pods.get(last)!).includes(`${last} step 3`),
      30_000,
      100,
    );
    for (const label of pods.values())
      await waitFor(`${label}'s lines`, async () => linesOf(s, label).length === 4, 15_000, 100);
    for (const [name, label] of pods)
      assert.deepEqual(linesOf(s, label), [
        `${name} history`,
        `${name} step 1`,
        `${name} step 2`,
        `${name} step 3`,
      ]);
    const shown = s.ring.toArray().map((e) => formatEntry(e));
    for (const [name, label] of pods)
      assert.ok(shown.includes(`[${label}] ${name} step 2`), `${label} step 2`);
    assert.equal(s.state, 'live');

    // Delete workers-1-0's pod: the Job controller counts it failed (backoffLimit 6) and makes a new pod for
    // completion index 0 of Job train-workers-1, under a new name.
    const victim = [...pods].find(([, l]) => l === 'workers-1-0')![0];
    await env.api.delete(`/api/v1/namespaces/${env.ns}/pods/${victim}`);
    const fresh = await waitFor(
      'the replacement of workers-1-0',
      async () =>
        (await env.pods(sel)).find(
          (p) => p.metadata.name !== victim && !pods.has(p.metadata.name) && running(p),
        ),
      120_000,
      500,
    );
    assert.equal(labelOf(fresh), 'workers-1-0');
    await waitShown(
      s,
      'workers-1-0 joined and ended',
      async () => {
        const l = linesOf(s, 'workers-1-0');
        return (
          l.includes(`[workers-1-0] joined (pod ${fresh.metadata.name})`) &&
          l.includes('[workers-1-0] ended: pod deleted')
        );
      },
      60_000,
    );
    // The old pod's lines come first; its end and the new pod's join follow (in the order the watch saw them).
    const l10 = linesOf(s, 'workers-1-0');
    assert.deepEqual(l10.slice(0, 4), [
      `${victim} history`,
      `${victim} step 1`,
      `${victim} step 2`,
      `${victim} step 3`,
    ]);
    assert.deepEqual(
      l10.slice(4).sort(),
      [`[workers-1-0] ended: pod deleted`, `[workers-1-0] joined (pod ${fresh.metadata.name})`].sort(),
    );
    assert.equal(l10.length, 6);
    await waitShown(s, '5 pods followed', async () => s.detail.endsWith(' · 5 pods'));

    // The other pods go on, nothing ended or joined there.
    const other = [...pods].find(([, l]) => l === 'workers-0-1')![0];
    await env.cluster.appendLog(env.ns, other, 'trainer', [`${other} after the replacement`]);
    await waitFor(
      'workers-0-1 goes on',
      async () => linesOf(s, 'workers-0-1').includes(`${other} after the replacement`),
      15_000,
      100,
    );
    for (const label of ['driver-0', 'workers-0-0', 'workers-0-1', 'workers-1-1'])
      assert.ok(
        !linesOf(s, label).some((t) => t.startsWith('[')),
        `${label}: ${linesOf(s, label).join(' | ')}`,
      );
    assert.equal(s.state, 'live');

    // The replacement has printed nothing: kubelet (and kwok) send a log response's headers only with its
    // first byte, so its request stays without headers. Past the follower's 30 s wait for them, the session
    // is still live with 5 pods, never "reconnecting" (which would blame the network).
    await new Promise((r) => setTimeout(r, 35_000));
    assert.equal(s.state, 'live');
    assert.ok(s.detail.endsWith(' · 5 pods'), s.detail);
    assert.deepEqual(
      states.filter((x) => x.startsWith('reconnecting')),
      [],
    );
    s.stop('test done');
  });
});

describe('Follow Logs of a LeaderWorkerSet made by the real LWS controller', () => {
  before(() => env.needs('lws'));

  it('leaders and workers show per group, in order; the group the controller recreates rejoins', async () => {
    await env.post('leaderworkerset.x-k8s.io/v1', 'leaderworkersets', {
      apiVersion: 'leaderworkerset.x-k8s.io/v1',
      kind: 'LeaderWorkerSet',
      metadata: { name: 'serve' },
      spec: {
        replicas: 2,
        leaderWorkerTemplate: {
          size: 2,
          workerTemplate: { spec: { containers: [{ name: 'vllm', image: 'vllm/vllm-openai:v0.9.0' }] } },
        },
      },
    });
    const sel = 'leaderworkerset.sigs.k8s.io/name=serve';
    const ps = await runningPods(sel, 4, '4 Running pods of LeaderWorkerSet serve');
    // LWS's pod webhook writes the group and worker index; worker 0 is the group's leader.
    const labelOf = (p: Json): string => {
      const l = p.metadata.labels;
      const g = l['leaderworkerset.sigs.k8s.io/group-index'];
      const w = l['leaderworkerset.sigs.k8s.io/worker-index'];
      return w === '0' ? `leader-${g}` : `worker-${g}-${w}`;
    };
    const pods = new Map(ps.map((p) => [p.metadata.name as string, labelOf(p)]));
    assert.deepEqual(Object.fromEntries([...pods].sort()), {
      'serve-0': 'leader-0',
      'serve-0-1': 'worker-0-1',
      'serve-1': 'leader-1',
      'serve-1-1': 'worker-1-1',
    });
    for (const name of pods.keys()) await env.cluster.appendLog(env.ns, name, 'vllm', [`${name} history`]);

    const s = await follow({
      type: 'workload',
      group: 'leaderworkerset.x-k8s.io',
      kind: 'LeaderWorkerSet',
      namespace: env.ns,
      name: 'serve',
    });
    await waitFor('history of every pod', async () =>
      [...pods].every(([name, label]) => linesOf(s, label).includes(`${name} history`)),
    );
    assert.deepEqual(s.labels(), ['leader-0', 'leader-1', 'worker-0-1', 'worker-1-1']);

    await appendRounds(pods, 'vllm', 3);
    for (const [, label] of pods)
      await waitFor(`${label}'s lines`, async () => linesOf(s, label).length === 4, 30_000, 100);
    for (const [name, label] of pods)
      assert.deepEqual(linesOf(s, label), [
        `${name} history`,
        `${name} step 1`,
        `${name} step 2`,
        `${name} step 3`,
      ]);
    const shown = s.ring.toArray().map((e) => formatEntry(e));
    assert.ok(shown.includes('[leader-1] serve-1 step 3'));
    assert.ok(shown.includes('[worker-0-1] serve-0-1 step 1'));

    // Delete group 1's worker. Under LWS's default RecreateGroupOnPodRestart the controller deletes the group's
    // leader (foreground, taking the worker StatefulSet with it) and the whole group comes back under the same
    // names with new uids.
    const before1 = new Map(ps.map((p) => [p.metadata.name as string, p.metadata.uid as string]));
    await forgetLogs('serve-1');
    await forgetLogs('serve-1-1');
    await env.api.delete(`/api/v1/namespaces/${env.ns}/pods/serve-1-1`);
    const group1 = await waitFor(
      'group 1 recreated',
      async () => {
        const now = (await env.pods(sel)).filter(running);
        const g = now.filter((p) => ['serve-1', 'serve-1-1'].includes(p.metadata.name));
        return g.length === 2 && g.every((p) => p.metadata.uid !== before1.get(p.metadata.name))
          ? g
          : undefined;
      },
      120_000,
      500,
    );
    assert.deepEqual(group1.map(labelOf).sort(), ['leader-1', 'worker-1-1']);
    // Each pod that went away ended and each new one joined. While the leader's foreground deletion runs, the
    // old worker StatefulSet may still make a serve-1-1 that the garbage collector then deletes: one more
    // joined/ended pair before the final pod (seen here), so the pairs are counted rather than listed.
    const events = (label: string) => linesOf(s, label).slice(4);
    const settled = (label: string, name: string) => {
      const e = events(label);
      const joined = e.filter((t) => t === `[${label}] joined (pod ${name})`).length;
      const ended = e.filter((t) => t === `[${label}] ended: pod deleted`).length;
      return joined >= 1 && ended === joined && joined + ended === e.length;
    };
    await waitShown(
      s,
      'group 1 rejoined, every gone pod ended',
      async () =>
        settled('leader-1', 'serve-1') &&
        settled('worker-1-1', 'serve-1-1') &&
        s.detail.endsWith(' · 4 pods'),
      60_000,
    );
    for (const [name, label] of [
      ['serve-1', 'leader-1'],
      ['serve-1-1', 'worker-1-1'],
    ]) {
      assert.deepEqual(linesOf(s, label).slice(0, 4), [
        `${name} history`,
        `${name} step 1`,
        `${name} step 2`,
        `${name} step 3`,
      ]);
    }

    // Group 0 was not touched: no event lines, and it goes on.
    await env.cluster.appendLog(env.ns, 'serve-0', 'vllm', ['serve-0 after group 1 came back']);
    await waitFor(
      'leader-0 goes on',
      async () => linesOf(s, 'leader-0').includes('serve-0 after group 1 came back'),
      15_000,
      100,
    );
    for (const label of ['leader-0', 'worker-0-1'])
      assert.ok(
        !linesOf(s, label).some((t) => t.startsWith('[')),
        `${label}: ${linesOf(s, label).join(' | ')}`,
      );
    assert.equal(s.state, 'live');
    s.stop('test done');
  });
});
