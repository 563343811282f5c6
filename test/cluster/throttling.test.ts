// The apiserver under stress: a proxy in front of the real kube-apiserver answers some requests 429 Too Many
// Requests with a Retry-After header (what API Priority and Fairness sends when a priority level is full) and
// delays every answer. Gantry's views must still end up exactly right, and each throttled request must be sent
// again no sooner than its Retry-After said: the watch caches, the one-shot reads and the writes alike.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ClusterConnection } from '../../src/k8s/connection';
import { loadKubeconfig, type MergedKubeconfig } from '../../src/k8s/kubeconfig';
import { ClusterModelSource } from '../../src/k8s/modelSource';
import type { WorkloadNode } from '../../src/core/tree';
import { workloadRows } from './rows';
import { ClusterModel } from '../../src/model/clusterModel';
import { sharedCluster, type TestCluster } from './harness/index';
import type { Rest } from './harness/rest';
import { h100Replica, rest, waitFor } from './helpers';

interface Seen {
  at: number;
  method: string;
  path: string;
  watch: boolean;
  /** A watch list: a watch asked for the whole state first (sendInitialEvents). */
  initial: boolean;
  /** The apiserver's status code, for requests it answered. */
  status?: number;
  /** Seconds asked in Retry-After when this request was throttled. */
  throttled?: number;
  /** A write's body: concurrent writes to one path (access reviews) are told apart by it. */
  body: string;
}

/** An authenticating HTTP proxy to the apiserver that throttles as `rule` says and delays every answer. */
class ThrottlingProxy {
  readonly seen: Seen[] = [];
  private readonly server: http.Server;
  private readonly agent: https.Agent;
  port = 0;

  constructor(
    private readonly target: URL,
    tls: { ca: Buffer; cert: Buffer; key: Buffer },
    private readonly rule: (s: Seen, earlier: Seen[]) => number | undefined,
    private readonly delayMs: number,
  ) {
    this.agent = new https.Agent({ ...tls, keepAlive: true });
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const at = Date.now();
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const s: Seen = {
      at,
      method: req.method ?? 'GET',
      path: url.pathname,
      watch: url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1',
      initial: url.searchParams.get('sendInitialEvents') === 'true',
      body: Buffer.concat(chunks).toString(),
    };
    const earlier = this.seen.filter((e) => sameRequest(e, s));
    this.seen.push(s);
    await new Promise((r) => setTimeout(r, this.delayMs));
    const wait = this.rule(s, earlier);
    if (wait !== undefined) {
      s.throttled = wait;
      res.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': String(wait) });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          reason: 'TooManyRequests',
          code: 429,
          message: 'Too many requests, please try again later.',
        }),
      );
      return;
    }
    const up = https.request(
      new URL(req.url ?? '/', this.target),
      { method: req.method, headers: { ...req.headers, host: this.target.host }, agent: this.agent },
      (r) => {
        s.status = r.statusCode;
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    up.end(s.body);
  }

  close(): void {
    this.server.closeAllConnections();
    this.server.close();
    this.agent.destroy();
  }
}

/** The same request again: method, path, watch or not, and for writes the same body. */
const sameRequest = (a: Seen, b: Seen): boolean =>
  a.method === b.method &&
  a.path === b.path &&
  a.watch === b.watch &&
  a.initial === b.initial &&
  (a.method === 'GET' || a.body === b.body);

// On the pod templates: the real training-operator does not copy the job's annotations onto its pods.
const long = { 'sim.gantry.dev/duration': '600s' };
let cluster: TestCluster;
let api: Rest;
let ns: string;
let proxy: ThrottlingProxy;
let cfg: MergedKubeconfig;

before(async () => {
  cluster = await sharedCluster();
  api = await rest(cluster);
  ns = await cluster.createNamespace('throttle');
  await api.post(`/apis/kubeflow.org/v1/namespaces/${ns}/pytorchjobs`, {
    apiVersion: 'kubeflow.org/v1',
    kind: 'PyTorchJob',
    metadata: { name: 'busy', namespace: ns },
    spec: { pytorchReplicaSpecs: { Master: h100Replica(1, 1, long), Worker: h100Replica(2, 1, long) } },
  });
  const real = loadKubeconfig({ explicitPath: cluster.kubeconfigPath }) as MergedKubeconfig;
  const ctx = real.contexts.find((c) => c.name === real.currentContext)!;
  const clusterEntry = real.clusters.get(ctx.cluster)!;
  const userEntry = real.users.get(ctx.user)!;
  const file = (p: unknown) => readFileSync(String(p));
  proxy = new ThrottlingProxy(
    new URL(String(clusterEntry.server)),
    {
      ca: file(clusterEntry['certificate-authority']),
      cert: file(userEntry['client-certificate']),
      key: file(userEntry['client-key']),
    },
    // Throttled: the first two reads of all pods (2 s: lists, or watch lists where the apiserver serves them), the
    // first watch of each resource (1 s), the first read of a single object (1 s) and the first write (2 s).
    // Every other request goes through, 150 ms late.
    (s, earlier) => {
      const single = /\/namespaces\/[^/]+\/[^/]+\/[^/]+$/.test(s.path);
      if (s.method === 'GET' && (!s.watch || s.initial) && s.path.endsWith('/pods') && earlier.length < 2)
        return 2;
      if (s.watch && earlier.length === 0) return 1;
      if (s.method === 'GET' && single && earlier.length === 0) return 1;
      if (s.method === 'POST' && earlier.length === 0) return 2;
      return undefined;
    },
    150,
  );
  await proxy.listen();
  const dir = mkdtempSync(join(tmpdir(), 'gantry-throttle-'));
  const path = join(dir, 'kubeconfig');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      // client-node refuses a plain-HTTP server unless TLS checks are off (kubectl proxy kubeconfigs say the same).
      `- name: throttled\n  cluster:\n    server: http://127.0.0.1:${proxy.port}\n    insecure-skip-tls-verify: true`,
      'users:',
      '- name: nobody\n  user: {}',
      'contexts:',
      `- name: throttled\n  context:\n    cluster: throttled\n    user: nobody\n    namespace: ${ns}`,
      'current-context: throttled',
      '',
    ].join('\n'),
  );
  cfg = loadKubeconfig({ explicitPath: path }) as MergedKubeconfig;
  assert.equal(cfg.kind, 'ok');
});

after(async () => {
  proxy?.close();
  await api?.delete(`/api/v1/namespaces/${ns}`);
  api?.close();
});

/** Every throttled request, and the next one to the same path: not sooner than Retry-After. */
function retriesHonoured(): { checked: number; early: string[] } {
  const early: string[] = [];
  let checked = 0;
  proxy.seen.forEach((s, i) => {
    if (s.throttled === undefined) return;
    const next = proxy.seen.slice(i + 1).find((n) => sameRequest(n, s));
    if (!next) return;
    checked++;
    // The proxy stamps arrivals; the 429 left after the same delay as the next request's stamp is taken.
    if (next.at - s.at < s.throttled * 1000)
      early.push(`${s.method} ${s.path}${s.watch ? ' (watch)' : ''}: again after ${next.at - s.at} ms`);
  });
  return { checked, early };
}

test('through 429s with Retry-After and slow answers, the views end up exactly right', async () => {
  const conn = ClusterConnection.create(cfg, cfg.currentContext!);
  assert.ok(conn.ok);
  const model = new ClusterModel(
    new ClusterModelSource(conn.value, { scope: { kind: 'some', namespaces: [ns] } }),
  );
  try {
    const started = await model.start();
    assert.equal(started.state, 'connected', JSON.stringify(started));
    const rows = (): Map<string, WorkloadNode> => workloadRows(model);
    await waitFor('busy Running with its 3 pods', async () =>
      /^Running · 3\/3 /.test(rows().get('busy')?.description ?? ''),
    );
    // Later changes arrive through the (once throttled) watches.
    await api.post(`/apis/batch/v1/namespaces/${ns}/jobs`, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'later', namespace: ns },
      spec: {
        template: {
          spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
        },
      },
    });
    await waitFor('the later Job in the tree', async () => rows().has('later'));

    // A one-shot read and a write through the same transport are throttled once each and succeed.
    const t = conn.value.transport;
    const read = await t.get<{ metadata: { name: string } }>(`/apis/batch/v1/namespaces/${ns}/jobs/later`);
    assert.ok(read.ok, JSON.stringify(!read.ok && read.error));
    assert.equal(read.value.metadata.name, 'later');
    const made = await t.request<{ metadata: { name: string } }>(
      'POST',
      `/api/v1/namespaces/${ns}/configmaps`,
      {
        body: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'made-through-429' },
          data: { a: '1' },
        },
      },
    );
    assert.ok(made.ok, JSON.stringify(!made.ok && made.error));
    assert.equal(
      (await api.get<{ metadata: { name: string } }>(`/api/v1/namespaces/${ns}/configmaps/made-through-429`))
        .metadata.name,
      'made-through-429',
    );

    const throttled = proxy.seen.filter((s) => s.throttled !== undefined);
    const kinds = new Set<string>(
      throttled.map((s) =>
        s.initial
          ? 'watch list'
          : s.watch
            ? 'watch'
            : s.method === 'POST'
              ? 'write'
              : /\/[^/]+\/[^/]+$/.test(s.path) && !s.path.endsWith('/pods')
                ? 'read'
                : 'list',
      ),
    );
    assert.ok(throttled.length >= 5, `only ${throttled.length} requests were throttled`);
    // The caches read their first state by watch list where the apiserver serves one (1.36), else by list and
    // then watch (1.30 refuses watch lists with 422); either way that first read and a watch were throttled.
    const watchLists = proxy.seen.some((s) => s.initial && s.status === 200);
    for (const k of [...(watchLists ? ['watch list'] : ['list', 'watch']), 'read', 'write'])
      assert.ok(kinds.has(k), `no ${k} was throttled: ${[...kinds]}`);
    // A throttled watch is opened again on its own schedule (Retry-After, then the watch's backoff): the last one
    // may still be waiting when the reads above are done (seen under load: 33 of 34), so wait for it, naming any
    // that never comes.
    const unsent = () =>
      throttled
        .filter((s) => !proxy.seen.slice(proxy.seen.indexOf(s) + 1).some((n) => sameRequest(n, s)))
        .map((s) => `${s.method} ${s.path}${s.watch ? ' (watch)' : ''}`);
    await waitFor('every throttled request sent again', async () => unsent().length === 0, 30_000).catch(() =>
      assert.deepEqual(unsent(), [], 'every throttled request was sent again'),
    );
    const { checked, early } = retriesHonoured();
    assert.equal(checked, throttled.length, 'every throttled request was sent again');
    assert.deepEqual(early, []);
    console.log(
      `throttling: ${proxy.seen.length} requests through the proxy, ${throttled.length} answered 429, each sent again after its Retry-After`,
    );
  } finally {
    model.dispose();
    conn.value.dispose();
  }
});
