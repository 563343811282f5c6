import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { readState } from './harness/cluster';
import { sharedCluster, type TestCluster } from './harness/index';
import type { Rest } from './harness/rest';
import { gpuPod, rest, waitFor } from './helpers';

describe('logs and port-forward through the real apiserver (kwok kubelet API)', () => {
  let cluster: TestCluster;
  let api: Rest;
  let ns: string;
  let kc: k8s.KubeConfig;

  before(async () => {
    cluster = await sharedCluster();
    api = await rest(cluster);
    kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    ns = await cluster.createNamespace('streams');
    await api.post(
      `/api/v1/namespaces/${ns}/pods`,
      gpuPod('trainer', { gpus: 1, product: 'NVIDIA-H100-80GB-HBM3' }),
    );
    await waitFor(
      'pod Running',
      async () =>
        (await api.get<{ status: { phase: string } }>(`/api/v1/namespaces/${ns}/pods/trainer`)).status
          .phase === 'Running',
    );
  });
  after(async () => {
    await api.delete(`/api/v1/namespaces/${ns}`);
    api.close();
    await cluster.stop();
  });

  it('kubectl logs -f sees lines appended after it started', async () => {
    await cluster.appendLog(ns, 'trainer', 'main', ['epoch 1 loss=0.9']);
    const state = readState(process.env.GANTRY_CLUSTER_STATE ?? '');
    const child = spawn(state.kubectl, [
      '--kubeconfig',
      cluster.kubeconfigPath,
      `--cache-dir=${state.runDir}/kubectl-cache`,
      '-n',
      ns,
      'logs',
      '-f',
      'trainer',
      '-c',
      'main',
    ]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await waitFor('first line', async () => out.includes('epoch 1 loss=0.9'), 15_000, 50);
      await cluster.appendLog(ns, 'trainer', 'main', ['epoch 2 loss=0.5', 'epoch 3 loss=0.2']);
      await waitFor('appended lines', async () => out.includes('epoch 3 loss=0.2'), 15_000, 50);
      assert.deepEqual(out.trim().split('\n'), ['epoch 1 loss=0.9', 'epoch 2 loss=0.5', 'epoch 3 loss=0.2']);
      assert.equal(child.exitCode, null, `kubectl logs -f still following (stderr: ${err})`);
    } finally {
      child.kill();
    }
  });

  it('a client-node Log follow sees appended lines, stderr stream included', async () => {
    await cluster.appendLog(ns, 'trainer', 'main', ['before follow']);
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        out += chunk.toString();
        cb();
      },
    });
    const ac = await new k8s.Log(kc).log(ns, 'trainer', 'main', sink, { follow: true, tailLines: 1 });
    try {
      await waitFor('tail line', async () => out.includes('before follow'), 15_000, 50);
      await cluster.appendLog(ns, 'trainer', 'main', ['CUDA error: out of memory'], 'stderr');
      await cluster.appendLog(ns, 'trainer', 'main', ['after follow']);
      await waitFor('appended lines', async () => out.includes('after follow'), 15_000, 50);
      assert.deepEqual(out.trim().split('\n'), [
        'before follow',
        'CUDA error: out of memory',
        'after follow',
      ]);
    } finally {
      ac.abort();
    }
  });

  it('routes a client-node PortForward connection to the loopback server', async () => {
    const server = http.createServer((req, res) => res.end(`hello from ${req.url}`));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const target = (server.address() as net.AddressInfo).port;
    const fwd = await cluster.forwardPodPort(ns, 'trainer', 8888, target);
    // A local listener that tunnels each connection through the apiserver, as an editor would.
    const pf = new k8s.PortForward(kc);
    const local = net.createServer((sock) => {
      const errs = new PassThrough();
      void pf.portForward(ns, 'trainer', [8888], sock, errs, sock);
    });
    await new Promise<void>((r) => local.listen(0, '127.0.0.1', () => r()));
    const localPort = (local.address() as net.AddressInfo).port;
    try {
      const body = await waitFor(
        'HTTP through the port-forward',
        () =>
          new Promise<string>((resolve, reject) => {
            const req = http.get(
              { host: '127.0.0.1', port: localPort, path: '/lab?token=x', agent: false, timeout: 5000 },
              (res) => {
                let b = '';
                res.on('data', (c: Buffer) => (b += c.toString()));
                res.on('end', () => resolve(b));
              },
            );
            req.on('error', reject);
            req.on('timeout', () => req.destroy(new Error('timeout')));
          }),
        20_000,
        500,
      );
      assert.equal(body, 'hello from /lab?token=x');
    } finally {
      await new Promise((r) => local.close(r));
      await fwd.dispose();
      await new Promise((r) => server.close(r));
    }
  });

  it('kubectl port-forward reaches the loopback server too', async () => {
    const server = http.createServer((_req, res) => res.end('via kubectl'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const target = (server.address() as net.AddressInfo).port;
    const fwd = await cluster.forwardPodPort(ns, 'trainer', 6006, target);
    const state = readState(process.env.GANTRY_CLUSTER_STATE ?? '');
    const child = spawn(state.kubectl, [
      '--kubeconfig',
      cluster.kubeconfigPath,
      `--cache-dir=${state.runDir}/kubectl-cache`,
      '-n',
      ns,
      'port-forward',
      'pod/trainer',
      ':6006',
      '--address',
      '127.0.0.1',
    ]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const port = await waitFor(
        'kubectl port-forward listening',
        async () => /127\.0\.0\.1:(\d+) ->/.exec(out)?.[1],
        15_000,
        50,
      );
      const body = await new Promise<string>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: Number(port), path: '/', agent: false }, (res) => {
            let b = '';
            res.on('data', (c: Buffer) => (b += c.toString()));
            res.on('end', () => resolve(b));
          })
          .on('error', reject);
      });
      assert.equal(body, 'via kubectl');
    } finally {
      child.kill();
      await fwd.dispose();
      await new Promise((r) => server.close(r));
    }
  });
});
