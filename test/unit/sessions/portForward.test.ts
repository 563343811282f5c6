// ForwardSession against a stand-in apiserver that bridges pods/portforward to local HTTP servers (one per
// "pod"), and a scripted pod list: the forward follows the workload's current Ready pod.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { notebookEndpoint } from '../../../src/core/endpoints';
import { podRole } from '../../../src/core/kinds';
import type { KubeObject } from '../../../src/core/kube';
import { Emitter, type Disposable } from '../../../src/core/lifecycle';
import { ClusterConnection } from '../../../src/k8s/connection';
import { ok, type Result } from '../../../src/k8s/errors';
import type { MergedKubeconfig } from '../../../src/k8s/kubeconfig';
import { ForwardSession, type PodTracker, type TrackedPodLike } from '../../../src/sessions/portForward';
import { obj, pod } from '../core/builders';
import { startFakePortForwardApiserver, type PortForwardRoute } from '../helpers/wsFrames';

/** A scripted pod list: the test adds, readies and removes pods. */
class ScriptedPods implements PodTracker {
  private _pods: TrackedPodLike[] = [];
  private readonly _change = new Emitter<void>();
  private readonly _end = new Emitter<unknown>();
  disposed = false;
  ready(): Promise<Result<void>> {
    return Promise.resolve(ok(undefined));
  }
  current(): readonly TrackedPodLike[] {
    return this._pods;
  }
  set(pods: KubeObject[]): void {
    this._pods = pods.map((p) => ({ pod: p, ...podRole(p) }));
    this._change.fire();
  }
  end(reason: string): void {
    this._end.fire(reason);
  }
  onDidChange(l: () => void): Disposable {
    return this._change.event(l);
  }
  onDidEnd(l: (reason?: unknown) => void): Disposable {
    return this._end.event(l);
  }
  dispose(): void {
    this.disposed = true;
  }
}

const nbPod = (uid: string, ready = true) =>
  pod('nb-0', { ns: 'team-a', uid, labels: { 'notebook-name': 'nb' }, ready });
const nb = obj('kubeflow.org/v1', 'Notebook', 'nb', { template: { spec: { containers: [{}] } } }, undefined, {
  namespace: 'team-a',
});

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, timeout: 10_000 }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject)
      .on('timeout', function (this: http.ClientRequest) {
        this.destroy(new Error('timeout'));
      });
  });
}

async function until(what: string, fn: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('sessions/ForwardSession', () => {
  const backends = new Map<string, number>(); // pod uid -> loopback port of its "container"
  const servers: http.Server[] = [];
  let route: (ns: string, pod: string, port: number) => PortForwardRoute;
  let currentUid = 'uid-a';
  let api: Awaited<ReturnType<typeof startFakePortForwardApiserver>>;
  let conn: ClusterConnection;
  let leases = 0;

  async function backend(uid: string): Promise<http.Server> {
    const s = http.createServer((req, res) => res.end(`${uid} ${req.url}`));
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    backends.set(uid, (s.address() as net.AddressInfo).port);
    servers.push(s);
    return s;
  }

  before(async () => {
    await backend('uid-a');
    await backend('uid-b');
    route = (_ns, _pod, port) => (port === 8888 ? backends.get(currentUid) : undefined);
    api = await startFakePortForwardApiserver((ns, p, port) => route(ns, p, port));
    const cfg: MergedKubeconfig = {
      kind: 'ok',
      files: [],
      contexts: [{ name: 't', cluster: 'c', user: 'u', file: '' }],
      clusters: new Map([['c', { server: api.url, 'insecure-skip-tls-verify': true }]]),
      users: new Map([['u', { token: 't' }]]),
      issues: [],
    };
    const c = ClusterConnection.create(cfg, 't');
    assert.ok(c.ok);
    conn = c.value;
  });

  after(async () => {
    conn.dispose();
    await api.close();
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  const logged: string[] = [];

  function session(pods: ScriptedPods, extra: { localPort?: number; waitTimeoutMs?: number } = {}) {
    const e = notebookEndpoint(nb);
    assert.ok(e.ok);
    leases++;
    return new ForwardSession({
      id: `pf-${leases}`,
      context: 't',
      target: 'Notebook team-a/nb',
      lease: { connection: conn, dispose: () => leases-- },
      pods,
      endpoint: e.endpoint,
      log: (line) => logged.push(line),
      ...extra,
    });
  }

  it('serves the notebook path on 127.0.0.1, follows a replaced pod, and frees everything on stop', async () => {
    currentUid = 'uid-a';
    const pods = new ScriptedPods();
    pods.set([nbPod('uid-a')]);
    const s = session(pods);
    const states: string[] = [];
    s.onDidChange(() => states.push(s.state));
    const started = await s.start();
    assert.ok(started.ok);
    assert.match(started.url, /^http:\/\/127\.0\.0\.1:\d+\/notebook\/team-a\/nb\/$/);
    assert.equal(s.url, started.url);
    await until('live', () => s.state === 'live');
    assert.equal(s.detail, `${s.url} → nb-0`);
    assert.deepEqual(await get(`${s.url}api`), { status: 200, body: 'uid-a /notebook/team-a/nb/api' });
    // This apiserver does not tunnel SPDY (it answers 400, as one without PortForwardWebsockets does): the
    // forward falls back to one v4.channel WebSocket per connection and says so in the log.
    assert.equal(s.mode, 'v4-websocket');
    assert.deepEqual(
      logged.filter((l) => l.startsWith(`forward ${s.id}:`)),
      [
        `forward ${s.id}: the apiserver does not tunnel SPDY (query parameter "port" is required); one v4.channel.k8s.io WebSocket per connection`,
      ],
    );

    // A kept-alive client connection to the old pod, then the pod is deleted.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const first = await new Promise<net.Socket>((resolve, reject) => {
      http
        .get(`${s.url}x`, { agent }, (res) => {
          const sock = res.socket;
          res.resume();
          res.on('end', () => resolve(sock));
        })
        .on('error', reject);
    });
    const oldClosed = new Promise((r) => first.once('close', r));
    currentUid = 'uid-b';
    pods.set([]);
    await oldClosed; // the old pod's connections end
    assert.equal(s.state, 'reconnecting');
    assert.match(s.detail, /pod gone, waiting for a Ready notebook pod/);
    // A request made while no pod is Ready waits and goes to the replacement once it is Ready.
    const pending = get(`${s.url}lab`);
    await new Promise((r) => setTimeout(r, 50));
    pods.set([nbPod('uid-b', false)]);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.state, 'reconnecting', 'a pod that is not Ready is not used');
    pods.set([nbPod('uid-b')]);
    assert.deepEqual(await pending, { status: 200, body: 'uid-b /notebook/team-a/nb/lab' });
    assert.equal(s.state, 'live');
    assert.deepEqual(
      states.filter((x, i) => states[i - 1] !== x),
      ['starting', 'live', 'reconnecting', 'live'],
    );
    agent.destroy();
    assert.equal(s.stats.podsUsed, 2);
    // The same pod Ready again after a moment without: still two pods used (a fresh-clone cluster run counted 3).
    pods.set([nbPod('uid-b', false)]);
    pods.set([nbPod('uid-b')]);
    await until('live again', () => s.state === 'live');
    assert.equal(s.stats.podsUsed, 2);

    const port = s.localPort;
    s.stop('stopped');
    assert.equal(s.state, 'ended');
    assert.equal(pods.disposed, true);
    assert.equal(leases, 0, 'the connection lease is released');
    await assert.rejects(get(`http://127.0.0.1:${port}/`), /ECONNREFUSED/);
  });

  it('offers a free port when the chosen one is in use', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const taken = (busy.address() as net.AddressInfo).port;
    try {
      const before = leases;
      const pods = new ScriptedPods();
      const s = session(pods, { localPort: taken });
      const r = await s.start();
      assert.equal(r.ok, false);
      assert.ok(!r.ok && r.error.kind === 'portInUse');
      assert.equal(r.error.port, taken);
      assert.notEqual(r.error.freePort, taken);
      assert.equal(
        r.error.message,
        `Port ${taken} on 127.0.0.1 is already in use. Port ${r.error.freePort} is free.`,
      );
      assert.equal(s.state, 'failed');
      assert.equal(leases, before);
      // The offered port works.
      const again = session(new ScriptedPods(), { localPort: r.error.freePort });
      const ok2 = await again.start();
      assert.ok(ok2.ok);
      assert.equal(again.localPort, r.error.freePort);
      again.stop('stopped');
    } finally {
      busy.close();
    }
  });

  it('waits for a Ready pod and gives up after the timeout, closing held connections', async () => {
    const pods = new ScriptedPods();
    pods.set([nbPod('uid-a', false)]);
    const s = session(pods, { waitTimeoutMs: 300 });
    assert.ok((await s.start()).ok);
    await until('waiting', () => s.state === 'waiting');
    assert.match(s.detail, /waiting for a Ready notebook pod$/);
    const held = assert.rejects(get(s.url!)); // rejected once the session gives up
    await until('failed', () => s.state === 'failed', 3000);
    assert.equal(s.endReason, 'No Ready pod of Notebook team-a/nb within 0 s.');
    await held;
  });

  it('fails with the missing permission on a 403', async () => {
    route = () => 'forbidden';
    try {
      const pods = new ScriptedPods();
      pods.set([nbPod('uid-a')]);
      const s = session(pods);
      assert.ok((await s.start()).ok);
      await until('live', () => s.state === 'live');
      await assert.rejects(get(s.url!));
      await until('failed', () => s.state === 'failed');
      assert.equal(
        s.endReason,
        'Port-forward is not allowed: your account may not create pods/portforward in namespace team-a. Ask for a Role granting "create" on "pods/portforward" there.',
      );
    } finally {
      route = (_ns, _pod, port) => (port === 8888 ? backends.get(currentUid) : undefined);
    }
  });

  it('ends when the workload is gone', async () => {
    const pods = new ScriptedPods();
    pods.set([nbPod('uid-a')]);
    const s = session(pods);
    assert.ok((await s.start()).ok);
    pods.end('Notebook team-a/nb was deleted');
    assert.equal(s.state, 'ended');
    assert.equal(s.endReason, 'Notebook team-a/nb was deleted');
  });
});
