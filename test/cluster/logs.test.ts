// Log sessions against the real apiserver and kwok's kubelet API: lines appended after the follow started
// arrive in order per pod with their rank, a pod created later joins, a deleted pod ends, an apiserver restart
// mid-stream loses and repeats nothing, a forbidden pods/log names the permission, and the ring bound holds.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { formatEntry } from '../../src/core/logMerge';
import { ClusterConnection } from '../../src/k8s/connection';
import type { ConnectionLease } from '../../src/k8s/connections';
import { loadKubeconfig, type MergedKubeconfig } from '../../src/k8s/kubeconfig';
import { LogSession, type LogTarget } from '../../src/sessions/logFollow';
import type { SessionState } from '../../src/sessions/session';
import { sharedCluster, type TestCluster } from './harness/index';
import type { Rest } from './harness/rest';
import { rest, waitFor } from './helpers';
import { labelTracker } from './logTracker';

const JOB = 'training.kubeflow.org/job-name';
const TYPE = 'training.kubeflow.org/replica-type';
const INDEX = 'training.kubeflow.org/replica-index';

function trainingPod(name: string, role: string, index: number): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { [JOB]: 'bert', [TYPE]: role, [INDEX]: String(index) } },
    spec: {
      restartPolicy: 'Never',
      tolerations: [
        { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'amd.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
      ],
      containers: [{ name: 'pytorch', image: 'trainer:1.0' }],
    },
  };
}

describe('log sessions through the real apiserver (kwok kubelet API)', () => {
  let cluster: TestCluster;
  let api: Rest;
  let ns: string;
  let cfg: MergedKubeconfig;
  const sessions: LogSession[] = [];
  const conns: ClusterConnection[] = [];

  const lease = (c: MergedKubeconfig, context: string): ConnectionLease => {
    const conn = ClusterConnection.create(c, context);
    assert.ok(conn.ok);
    conns.push(conn.value);
    return { connection: conn.value, dispose: () => conn.value.dispose() };
  };

  const start = async (target: LogTarget, maxLines?: number, c = cfg): Promise<LogSession> => {
    const s = new LogSession(`logs-${sessions.length + 1}`, target, {
      lease: lease(c, c.currentContext!),
      trackPods: labelTracker,
      maxLines,
    });
    sessions.push(s);
    await s.start();
    return s;
  };

  const createPod = async (name: string, role: string, index: number) => {
    await api.post(`/api/v1/namespaces/${ns}/pods`, trainingPod(name, role, index));
    await waitFor(
      `${name} Running`,
      async () =>
        (await api.get<{ status: { phase: string } }>(`/api/v1/namespaces/${ns}/pods/${name}`)).status
          .phase === 'Running',
    );
  };

  /** The texts of one label's lines, in the order the session delivered them. */
  const linesOf = (s: LogSession, label: string) =>
    s.ring
      .toArray()
      .filter((e) => e.source.label === label)
      .map((e) => (e.kind === 'line' ? e.text : formatEntry(e)));

  before(async () => {
    cluster = await sharedCluster();
    api = await rest(cluster);
    const loaded = loadKubeconfig({ explicitPath: cluster.kubeconfigPath });
    assert.equal(loaded.kind, 'ok');
    cfg = loaded as MergedKubeconfig;
    ns = await cluster.createNamespace('logs');
    await createPod('bert-master-0', 'master', 0);
    await createPod('bert-worker-1', 'worker', 1);
    await cluster.appendLog(ns, 'bert-master-0', 'pytorch', ['m history 1', 'm history 2']);
    await cluster.appendLog(ns, 'bert-worker-1', 'pytorch', ['w history 1']);
  });

  after(async () => {
    for (const s of sessions) s.dispose();
    for (const c of conns) c.dispose();
    await api.delete(`/api/v1/namespaces/${ns}`).catch(() => undefined);
    api.close();
    await cluster.stop();
  });

  it('lines appended after the follow started arrive in order per pod, prefixed with role and rank', async () => {
    const s = await start({
      type: 'workload',
      group: 'kubeflow.org',
      kind: 'PyTorchJob',
      namespace: ns,
      name: 'bert',
    });
    await waitFor(
      'history',
      async () => linesOf(s, 'worker-1').includes('w history 1') && linesOf(s, 'master-0').length === 2,
    );
    for (let i = 1; i <= 5; i++) {
      await cluster.appendLog(ns, 'bert-master-0', 'pytorch', [`m step ${i}`]);
      await cluster.appendLog(ns, 'bert-worker-1', 'pytorch', [`w step ${i}`, `w step ${i} done`]);
    }
    await waitFor('appended lines', async () => linesOf(s, 'worker-1').includes('w step 5 done'), 15_000, 50);
    await waitFor('appended lines', async () => linesOf(s, 'master-0').includes('m step 5'), 15_000, 50);
    assert.deepEqual(linesOf(s, 'master-0'), [
      'm history 1',
      'm history 2',
      'm step 1',
      'm step 2',
      'm step 3',
      'm step 4',
      'm step 5',
    ]);
    assert.deepEqual(linesOf(s, 'worker-1'), [
      'w history 1',
      ...[1, 2, 3, 4, 5].flatMap((i) => [`w step ${i}`, `w step ${i} done`]),
    ]);
    const shown = s.ring.toArray().map((e) => formatEntry(e));
    assert.ok(shown.includes('[master-0] m step 3'));
    assert.ok(shown.includes('[worker-1] w step 3 done'));
    assert.equal(s.state, 'live');
    assert.equal(s.lines, 7 + 11);

    // A pod created later joins with a line, and its lines follow. (kwok serves a pod's log file only if it
    // was registered before the pod's stream opened: the first line is written before the pod exists.)
    await cluster.appendLog(ns, 'bert-worker-2', 'pytorch', ['rank 2 booting']);
    await createPod('bert-worker-2', 'worker', 2);
    await waitFor('worker-2 joined', async () =>
      linesOf(s, 'worker-2').includes('[worker-2] joined (pod bert-worker-2)'),
    );
    await cluster.appendLog(ns, 'bert-worker-2', 'pytorch', ['hello from rank 2']);
    await waitFor(
      'worker-2 lines',
      async () => linesOf(s, 'worker-2').includes('hello from rank 2'),
      15_000,
      50,
    );

    // A deleted pod ends its part with a line; the others go on.
    await api.delete(`/api/v1/namespaces/${ns}/pods/bert-worker-2`);
    await waitFor(
      'worker-2 ended',
      async () => linesOf(s, 'worker-2').includes('[worker-2] ended: pod deleted'),
      60_000,
    );
    assert.deepEqual(linesOf(s, 'worker-2'), [
      '[worker-2] joined (pod bert-worker-2)',
      'rank 2 booting',
      'hello from rank 2',
      '[worker-2] ended: pod deleted',
    ]);
    await cluster.appendLog(ns, 'bert-master-0', 'pytorch', ['m after delete']);
    await waitFor(
      'master goes on',
      async () => linesOf(s, 'master-0').includes('m after delete'),
      15_000,
      50,
    );
    assert.equal(s.state, 'live');
    s.stop('test done');
  });

  it('an apiserver restart mid-stream loses and repeats nothing, and the state shows reconnecting', async () => {
    const s = await start({ type: 'pod', namespace: ns, name: 'bert-worker-1' });
    const states: SessionState[] = [];
    s.onDidChange(() => states.push(s.state));
    await waitFor('following', async () => s.state === 'live');
    let writing = true;
    let n = 0;
    // One line every 50 ms, through the restart (appendLog writes kwok's file; no apiserver needed).
    const writer = (async () => {
      while (writing) {
        await cluster.appendLog(ns, 'bert-worker-1', 'pytorch', [`seq ${n++}`]);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await waitFor(
      'some lines before the restart',
      async () => linesOf(s, 'worker-1').some((l) => l === 'seq 5'),
      15_000,
      50,
    );
    await cluster.stopApiserver();
    await new Promise((r) => setTimeout(r, 1500));
    await cluster.startApiserver();
    await waitFor('the apiserver is back', () => api.get('/version'), 60_000);
    await waitFor('reconnected', async () => states.includes('reconnecting') && s.state === 'live', 60_000);
    await new Promise((r) => setTimeout(r, 500));
    writing = false;
    await writer;
    const last = n - 1;
    await waitFor(`line ${last}`, async () => linesOf(s, 'worker-1').includes(`seq ${last}`), 30_000, 50);
    const seq = linesOf(s, 'worker-1').filter((l) => l.startsWith('seq '));
    assert.deepEqual(
      seq,
      Array.from({ length: n }, (_, i) => `seq ${i}`),
      'every line once, in order',
    );
    assert.ok(states.includes('reconnecting'), `states seen: ${states.join(' ')}`);
    s.stop('test done');
  });

  it('a forbidden pods/log ends the session with the permission that is missing', async () => {
    // A ServiceAccount that may read pods but not their logs.
    await api.post(`/api/v1/namespaces/${ns}/serviceaccounts`, { metadata: { name: 'nolog' } });
    await api.post(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      metadata: { name: 'pods-only' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
    });
    await api.post(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      metadata: { name: 'nolog-pods' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pods-only' },
      subjects: [{ kind: 'ServiceAccount', name: 'nolog', namespace: ns }],
    });
    const tr = await api.post<{ status: { token: string } }>(
      `/api/v1/namespaces/${ns}/serviceaccounts/nolog/token`,
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } },
    );
    const raw = parse(readFileSync(cluster.kubeconfigPath, 'utf8'));
    raw.users = [{ name: 'nolog', user: { token: tr.status.token } }];
    raw.contexts = [
      { name: 'nolog', context: { cluster: raw.clusters[0].name, user: 'nolog', namespace: ns } },
    ];
    raw['current-context'] = 'nolog';
    const file = join(mkdtempSync(join(tmpdir(), 'gantry-logs-')), 'config');
    writeFileSync(file, stringify(raw), { mode: 0o600 });
    const loaded = loadKubeconfig({ explicitPath: file });
    assert.equal(loaded.kind, 'ok');
    const s = await start(
      { type: 'pod', namespace: ns, name: 'bert-master-0' },
      undefined,
      loaded as MergedKubeconfig,
    );
    await waitFor('failed', async () => s.isEnded, 15_000, 50);
    assert.equal(s.state, 'failed');
    assert.equal(
      s.endReason,
      `Not allowed to read logs: your account lacks "get pods/log" in namespace ${ns}.`,
    );
  });

  it('the ring keeps the last maxLines however many arrive', async () => {
    const s = await start({ type: 'pod', namespace: ns, name: 'bert-master-0' }, 1000);
    // The history (tail) first, up to a marker written now.
    await cluster.appendLog(ns, 'bert-master-0', 'pytorch', ['ring start']);
    await waitFor('history', async () => linesOf(s, 'master-0').includes('ring start'), 15_000, 50);
    const before = s.lines;
    const lines = Array.from({ length: 3000 }, (_, i) => `r ${i}`);
    await cluster.appendLog(ns, 'bert-master-0', 'pytorch', lines);
    await waitFor('3000 lines', async () => s.lines >= before + 3000, 30_000, 50);
    assert.equal(s.lines, before + 3000);
    assert.equal(s.ring.size, 1000);
    assert.equal(s.ring.capacity, 1000);
    const kept = s.ring.toArray().map((e) => e.text);
    assert.deepEqual(kept, lines.slice(2000));
    s.stop('test done');
  });
});
