// Port-forwards through the real apiserver (pods/portforward -> kwok -> loopback servers) to a simulated
// Kubeflow Notebook: HTTP and WebSocket round trips, 32 concurrent requests, the pod deleted and recreated by
// its StatefulSet behind the same local URL, a port in use, a ServiceAccount without pods/portforward, and a
// real JupyterLab under the Kubeflow base URL whose kernel runs code over REST + WebSocket.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { notebookEndpoint, type Endpoint } from '../../src/core/endpoints';
import { NOTEBOOK_NAME } from '../../src/core/kinds';
import { ClusterConnection } from '../../src/k8s/connection';
import { loadKubeconfig, type MergedKubeconfig } from '../../src/k8s/kubeconfig';
import { trackSelectedPods } from '../../src/k8s/selectorPods';
import { trackPods } from '../../src/k8s/workloadPods';
import { ForwardSession } from '../../src/sessions/portForward';
import { connectWebSocket, startEchoServer } from '../unit/helpers/wsFrames';
import { startJupyter, type JupyterServer } from './harness/jupyter';
import { sharedCluster, type TestCluster } from './harness/index';
import type { Rest } from './harness/rest';
import { rest, waitFor, type Json } from './helpers';

const ECHO_PORT = 9000;

/** What the forward sessions last failed on (the kubelet's error text), added to a failed request's error. */
let sessionErrors: () => string = () => '';

function request(
  url: string,
  opts: { method?: string; body?: Buffer; agent?: http.Agent | false; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: opts.method ?? 'GET', agent: opts.agent ?? false, timeout: 30_000, headers: opts.headers },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts), headers: res.headers }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => {
      const why = sessionErrors();
      reject(why ? Object.assign(new Error(`${e.message} (the forward: ${why})`), { code: e.code }) : e);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.end(opts.body);
  });
}

describe('port-forward sessions through the real apiserver', () => {
  let cluster: TestCluster;
  let api: Rest;
  let cfg: MergedKubeconfig;
  let conn: ClusterConnection;
  let ns: string;
  let jupyter: JupyterServer;
  let echo: Awaited<ReturnType<typeof startEchoServer>>;
  const rules: { dispose(): Promise<void> }[] = [];
  const sessions: ForwardSession[] = [];
  let seq = 0;

  const nbName = 'nb';
  const podPath = () => `/api/v1/namespaces/${ns}/pods/${nbName}-0`;

  function forward(
    endpoint: Endpoint,
    o: { connection?: ClusterConnection; localPort?: number; byWorkload?: boolean } = {},
  ) {
    const c = o.connection ?? conn;
    // The Notebook's pods through the workload index (trackPods), or its pod label (selectorPods).
    const pods = o.byWorkload
      ? trackPods(c, {
          type: 'workload',
          group: 'kubeflow.org',
          kind: 'Notebook',
          namespace: ns,
          name: nbName,
        })
      : trackSelectedPods(c, ns, { labels: { [NOTEBOOK_NAME]: nbName } });
    const s = new ForwardSession({
      id: `pf-${++seq}`,
      context: c.context.name,
      target: endpoint.title,
      lease: { connection: c, dispose: () => undefined },
      pods,
      endpoint,
      localPort: o.localPort,
      waitTimeoutMs: 120_000,
    });
    sessions.push(s);
    return s;
  }

  const echoEndpoint = (): Endpoint => ({
    action: 'port',
    namespace: ns,
    title: `pod ${ns}/${nbName}-0:${ECHO_PORT}`,
    role: 'notebook',
    port: ECHO_PORT,
    path: '/',
    scheme: 'http',
  });

  async function live(s: ForwardSession): Promise<string> {
    const r = await s.start();
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    await waitFor('the forward live', async () => s.state === 'live', 60_000, 50);
    return r.url;
  }

  before(async () => {
    sessionErrors = () =>
      sessions
        .map((s) => s.lastError)
        .filter(Boolean)
        .join('; ');
    cluster = await sharedCluster();
    api = await rest(cluster);
    const loaded = loadKubeconfig({ explicitPath: cluster.kubeconfigPath });
    assert.equal(loaded.kind, 'ok');
    cfg = loaded as MergedKubeconfig;
    const c = ClusterConnection.create(cfg, cfg.currentContext!);
    assert.ok(c.ok);
    conn = c.value;
    ns = await cluster.createNamespace('forward');
    jupyter = await startJupyter({ namespace: ns, name: nbName, token: 'gantry-test-token' });
    echo = await startEchoServer();
    // The rules name the pod, not its uid, so they serve the StatefulSet's replacement pod too.
    rules.push(await cluster.forwardPodPort(ns, `${nbName}-0`, 8888, jupyter.port, { keepAcrossPods: true }));
    rules.push(
      await cluster.forwardPodPort(ns, `${nbName}-0`, ECHO_PORT, echo.port, { keepAcrossPods: true }),
    );
    await api.post(`/apis/kubeflow.org/v1/namespaces/${ns}/notebooks`, {
      apiVersion: 'kubeflow.org/v1',
      kind: 'Notebook',
      metadata: { name: nbName, namespace: ns },
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: nbName,
                image: 'kubeflownotebookswg/jupyter-scipy:v1.10.0',
                resources: { requests: { cpu: '100m', memory: '256Mi' } },
              },
            ],
          },
        },
      },
    });
    await waitFor(
      'the notebook pod Running',
      async () => (await api.find<Json>(podPath()))?.status?.phase === 'Running',
      90_000,
    );
  });

  after(async () => {
    for (const s of sessions) s.stop('test over');
    for (const r of rules) await r.dispose().catch(() => undefined);
    await jupyter?.stop();
    await echo?.close();
    conn?.dispose();
    await api?.delete(`/api/v1/namespaces/${ns}`).catch(() => undefined);
    api?.close();
    await cluster?.stop();
  });

  it('an HTTP round trip and a WebSocket echo go through the forward', async () => {
    const s = forward(echoEndpoint());
    const url = await live(s);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(s.detail, `${url} → ${nbName}-0`);
    const body = randomBytes(200_000);
    const r = await request(`${url}upload`, { method: 'POST', body });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-path'], '/upload');
    assert.ok(r.body.equals(body), 'the 200 kB body came back intact');
    // Kubernetes 1.36 tunnels SPDY over the WebSocket (PortForwardWebsockets), so that is what the forward uses.
    assert.equal(s.mode, 'spdy-tunnel');
    const ws = await connectWebSocket(`${url.replace(/\/$/, '')}/ws`);
    try {
      ws.send('hello through the apiserver');
      assert.equal(await ws.next(), 'echo: hello through the apiserver');
      ws.send('twice');
      assert.equal(await ws.next(), 'echo: twice');
    } finally {
      ws.close();
    }
    s.stop('stopped');
    await assert.rejects(request(url), /ECONNREFUSED/);
  });

  it('serves 32 concurrent requests on 32 connections', async () => {
    const s = forward(echoEndpoint());
    const url = await live(s);
    const rs = await Promise.all(Array.from({ length: 32 }, (_, i) => request(`${url}r/${i}`)));
    assert.deepEqual(
      rs.map((r) => r.body.toString()),
      Array.from({ length: 32 }, (_, i) => `echo /r/${i}`),
    );
    assert.ok(s.stats.connections >= 32, `32 connections forwarded (saw ${s.stats.connections})`);
    assert.equal(s.stats.tunnels, 1, 'all of them as streams on one tunnel to the pod');
    s.stop('stopped');
  });

  it('keeps the same local URL working when the pod is deleted and its StatefulSet recreates it', async () => {
    const s = forward(echoEndpoint(), { byWorkload: true });
    const url = await live(s);
    const before = await api.get<Json>(podPath());
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const kept = await new Promise<net.Socket>((resolve, reject) => {
      http
        .get(`${url}kept`, { agent }, (res) => {
          const sock = res.socket;
          res.resume();
          res.on('end', () => resolve(sock));
        })
        .on('error', reject);
    });
    const keptClosed = new Promise<void>((r) => kept.once('close', () => r()));
    await api.delete(podPath());
    await keptClosed; // the old pod's connection ends with it
    const after = await waitFor(
      'the replacement pod Ready',
      async () => {
        const p = await api.find<Json>(podPath());
        return p && p.metadata.uid !== before.metadata.uid && s.state === 'live' ? p : undefined;
      },
      120_000,
      100,
    );
    assert.notEqual(after.metadata.uid, before.metadata.uid);
    assert.equal((s.pod as Json).metadata.uid, after.metadata.uid);
    const r = await request(`${url}after`);
    assert.equal(r.body.toString(), 'echo /after');
    // Whether "reconnecting" is seen depends on how fast the replacement is Ready (one watch batch may hold
    // both); the unit test pins the state sequence. Here: two pods used, in order.
    assert.equal(s.stats.podsUsed, 2);
    assert.equal(s.state, 'live');
    agent.destroy();
    s.stop('stopped');
  });

  it('says when the chosen port is in use and offers a free one', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const taken = (busy.address() as net.AddressInfo).port;
    try {
      const s = forward(echoEndpoint(), { localPort: taken });
      const r = await s.start();
      assert.ok(!r.ok && r.error.kind === 'portInUse', 'port in use');
      assert.equal(
        r.error.message,
        `Port ${taken} on 127.0.0.1 is already in use. Port ${r.error.freePort} is free.`,
      );
      const again = forward(echoEndpoint(), { localPort: r.error.freePort });
      const url = await live(again);
      assert.equal(url, `http://127.0.0.1:${r.error.freePort}/`);
      assert.equal((await request(`${url}x`)).body.toString(), 'echo /x');
      again.stop('stopped');
    } finally {
      busy.close();
    }
  });

  it('a ServiceAccount without pods/portforward gets the missing permission named', async () => {
    await api.post(`/api/v1/namespaces/${ns}/serviceaccounts`, { metadata: { name: 'viewer' } });
    await api.post(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      metadata: { name: 'pod-reader' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
    });
    await api.post(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      metadata: { name: 'viewer-reads-pods' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace: ns }],
    });
    const tr = await api.post<Json>(`/api/v1/namespaces/${ns}/serviceaccounts/viewer/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 600 },
    });
    const admin = cfg.contexts.find((x) => x.name === cfg.currentContext)!;
    const viewerCfg: MergedKubeconfig = {
      ...cfg,
      contexts: [{ name: 'viewer', cluster: admin.cluster, user: 'viewer', file: '' }],
      currentContext: 'viewer',
      users: new Map([['viewer', { token: tr.status.token }]]),
    };
    const vc = ClusterConnection.create(viewerCfg, 'viewer');
    assert.ok(vc.ok);
    try {
      const s = forward(echoEndpoint(), { connection: vc.value });
      const url = await live(s); // it may list and watch the pods
      await assert.rejects(request(url));
      await waitFor('the session failed', async () => s.state === 'failed', 15_000, 50);
      assert.equal(
        s.endReason,
        `Port-forward is not allowed: your account may not create or get pods/portforward in namespace ${ns}. ` +
          'Ask for a Role granting "create" and "get" on "pods/portforward" there.',
      );
    } finally {
      vc.value.dispose();
    }
  });

  it('reaches the real JupyterLab under the Kubeflow base URL, and a kernel runs code over REST + WebSocket', async () => {
    const e = notebookEndpoint(
      await api.get<Json>(`/apis/kubeflow.org/v1/namespaces/${ns}/notebooks/${nbName}`),
    );
    assert.ok(e.ok);
    assert.equal(e.endpoint.stopped, undefined);
    const s = forward(e.endpoint, { byWorkload: true });
    const url = await live(s);
    assert.equal(url, `${url.slice(0, url.indexOf('/notebook/'))}/notebook/${ns}/${nbName}/`);
    const auth = { Authorization: `token ${jupyter.token}` };
    const apiInfo = await request(`${url}api`);
    assert.equal(apiInfo.status, 200);
    assert.match(JSON.parse(apiInfo.body.toString()).version, /^\d+\.\d+/);
    const lab = await request(`${url}lab?token=${jupyter.token}`);
    assert.equal(lab.status, 200);
    assert.match(lab.body.toString(), /<title>JupyterLab<\/title>/);
    const kr = await request(`${url}api/kernels`, {
      method: 'POST',
      body: Buffer.from('{"name":"python3"}'),
      headers: { ...auth, 'Content-Type': 'application/json' },
    });
    assert.equal(kr.status, 201, kr.body.toString());
    const kernel = JSON.parse(kr.body.toString()) as { id: string };
    const ws = await connectWebSocket(
      `${url.replace('http:', 'http:')}api/kernels/${kernel.id}/channels?token=${jupyter.token}`,
    );
    try {
      const session = randomUUID();
      const msgId = randomUUID();
      ws.send(
        JSON.stringify({
          header: {
            msg_id: msgId,
            msg_type: 'execute_request',
            username: 'gantry',
            session,
            version: '5.3',
            date: new Date().toISOString(),
          },
          parent_header: {},
          metadata: {},
          content: {
            code: '6 * 7',
            silent: false,
            store_history: false,
            user_expressions: {},
            allow_stdin: false,
          },
          channel: 'shell',
        }),
      );
      let result: string | undefined;
      const deadline = Date.now() + 60_000;
      while (!result && Date.now() < deadline) {
        const m = JSON.parse(await ws.next(60_000)) as Json;
        if (m.parent_header?.msg_id === msgId && m.msg_type === 'execute_result')
          result = m.content.data['text/plain'];
      }
      assert.equal(result, '42');
    } finally {
      ws.close();
      await request(`${url}api/kernels/${kernel.id}`, { method: 'DELETE', headers: auth });
    }
    s.stop('stopped');
  });
});
