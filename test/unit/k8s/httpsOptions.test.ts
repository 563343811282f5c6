// The first rows' options builder (src/k8s/httpsOptions.ts, no client-node) against client-node's own
// KubeConfig.applyToHTTPSOptions on a table of kubeconfigs: every option and header must come out the same, and
// every TLS setting client-node puts in its agent must be in the options (the transport makes the agents from
// them), so a divergence of the light path fails here. Delegated contexts keep client-node's agent class.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { CachingExecAuth } from '../../../src/k8s/execAuth';
import {
  applyLight,
  HttpsOptions,
  needsKubeClient,
  type ContextSettings,
} from '../../../src/k8s/httpsOptions';
import { loadKubeconfig, type MergedKubeconfig } from '../../../src/k8s/kubeconfig';
import { kubeConfigOf } from '../../../src/k8s/kubeClient';
import { contextConfig } from '../../../src/k8s/transport';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-https-'));
fs.mkdirSync(path.join(dir, 'certs'));
fs.writeFileSync(path.join(dir, 'certs/ca.crt'), 'CA FROM FILE');
fs.writeFileSync(path.join(dir, 'certs/client.crt'), 'CERT FROM FILE');
fs.writeFileSync(path.join(dir, 'certs/client.key'), 'KEY FROM FILE');
fs.writeFileSync(path.join(dir, 'token'), 'token-from-file\n');
const b64 = (s: string) => Buffer.from(s).toString('base64');
/** An exec plugin: node printing an ExecCredential (token, or client cert and key). */
const plugin = (status: object) =>
  JSON.stringify({
    command: process.execPath,
    args: [
      '-e',
      `process.stdout.write(JSON.stringify({apiVersion:'client.authentication.k8s.io/v1',kind:'ExecCredential',status:${JSON.stringify(status)}}))`,
    ],
    apiVersion: 'client.authentication.k8s.io/v1',
  });

/** One kubeconfig per row: a cluster entry and a user entry (flow YAML). */
const TABLE: { name: string; cluster: string; user: string }[] = [
  {
    name: 'client cert and key data, CA data',
    cluster: `{server: "https://k:6443", certificate-authority-data: ${b64('CA')}}`,
    user: `{client-certificate-data: ${b64('CERT')}, client-key-data: ${b64('KEY')}}`,
  },
  {
    name: 'cert, key and CA files (relative paths)',
    cluster: `{server: "https://k:6443", certificate-authority: certs/ca.crt}`,
    user: `{client-certificate: certs/client.crt, client-key: certs/client.key}`,
  },
  { name: 'bearer token', cluster: `{server: "https://k:6443"}`, user: `{token: abc}` },
  { name: 'tokenFile', cluster: `{server: "https://k:6443"}`, user: `{tokenFile: token}` },
  {
    name: 'token and tokenFile: the token wins',
    cluster: `{server: "https://k:6443"}`,
    user: `{token: t, tokenFile: token}`,
  },
  { name: 'basic auth', cluster: `{server: "https://k:6443"}`, user: `{username: admin, password: secret}` },
  { name: 'username without password', cluster: `{server: "https://k:6443"}`, user: `{username: admin}` },
  {
    name: 'insecure-skip-tls-verify and tls-server-name',
    cluster: `{server: "https://10.0.0.1:6443", insecure-skip-tls-verify: true, tls-server-name: api.internal}`,
    user: `{token: abc}`,
  },
  {
    name: 'insecure-skip-tls-verify false, CA data',
    cluster: `{server: "https://k:6443", insecure-skip-tls-verify: false, certificate-authority-data: ${b64('CA')}}`,
    user: `{token: abc}`,
  },
  { name: 'impersonation', cluster: `{server: "https://k:6443"}`, user: `{token: abc, as: alice}` },
  { name: 'no credentials', cluster: `{server: "https://k:6443"}`, user: `{}` },
  {
    name: 'plain http with skip-tls',
    cluster: `{server: "http://k:8080", insecure-skip-tls-verify: true}`,
    user: `{}`,
  },
  {
    name: 'plain http without skip-tls (refused)',
    cluster: `{server: "http://k:8080"}`,
    user: `{token: abc}`,
  },
  {
    name: 'exec plugin token',
    cluster: `{server: "https://k:6443"}`,
    user: `{exec: ${plugin({ token: 'from-exec' })}}`,
  },
  {
    name: 'exec plugin client cert, CA data',
    cluster: `{server: "https://k:6443", certificate-authority-data: ${b64('CA')}}`,
    user: `{exec: ${plugin({ clientCertificateData: 'EXEC CERT', clientKeyData: 'EXEC KEY' })}}`,
  },
  {
    name: 'exec plugin and a token: the token wins',
    cluster: `{server: "https://k:6443"}`,
    user: `{token: static, exec: ${plugin({ token: 'from-exec' })}}`,
  },
  {
    name: 'exec plugin, impersonation and cert data',
    cluster: `{server: "https://k:6443", tls-server-name: api.internal}`,
    user: `{as: bob, client-certificate-data: ${b64('CERT')}, client-key-data: ${b64('KEY')}, exec: ${plugin({ token: 'x' })}}`,
  },
];

function settingsOf(row: { cluster: string; user: string }, extra = ''): ContextSettings {
  const file = path.join(dir, `kc-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster: ${row.cluster}\n` +
      `users:\n- name: u\n  user: ${row.user}\n${extra}contexts:\n- name: c\n  context: {cluster: k, user: u, namespace: ns}\n`,
  );
  const cfg = loadKubeconfig({ explicitPath: file }) as MergedKubeconfig;
  assert.equal(cfg.kind, 'ok', JSON.stringify(cfg.issues));
  const r = contextConfig(cfg, 'c');
  assert.ok(r.ok);
  return r.value.settings;
}

type Outcome =
  { opts: Record<string, unknown>; agent?: { cls: string; options: unknown } } | { error: string };

async function outcome(f: (opts: https.RequestOptions) => Promise<void>): Promise<Outcome> {
  const opts: https.RequestOptions = {};
  try {
    await f(opts);
  } catch (e) {
    return { error: (e as Error).message };
  }
  const { agent, ...rest } = opts;
  if (!agent) return { opts: rest };
  const a = agent as https.Agent & { options: Record<string, unknown>; proxy?: URL };
  (agent as https.Agent).destroy();
  return { opts: rest, agent: { cls: a.constructor.name, options: a.options } };
}

for (const row of TABLE) {
  test(`light options = client-node's applyToHTTPSOptions: ${row.name}`, async () => {
    const s = settingsOf(row);
    assert.equal(needsKubeClient(s), false, 'a common form must not load client-node');
    const light = await outcome((o) => applyLight(s, new CachingExecAuth(), o));
    const viaClient = await outcome((o) => kubeConfigOf(s, new CachingExecAuth()).applyToHTTPSOptions(o));
    if ('error' in viaClient) {
      assert.deepEqual(light, viaClient);
      return;
    }
    assert.ok(!('error' in light), JSON.stringify(light));
    assert.deepEqual(light.opts, viaClient.opts);
    // No agent made only to be destroyed: the transport builds its keep-alive agents from these options, so
    // every TLS setting client-node put in its agent must be in them.
    assert.equal(light.agent, undefined);
    assert.ok(viaClient.agent, JSON.stringify(viaClient));
    const inAgent = viaClient.agent.options as Record<string, unknown>;
    for (const k of ['ca', 'cert', 'key', 'pfx', 'passphrase', 'servername', 'rejectUnauthorized'])
      if (inAgent[k] !== undefined) assert.deepEqual(light.opts[k], inAgent[k], k);
  });
}

test('the table covers what matters: a few rows spelled out', async () => {
  const basic = await outcome((o) =>
    applyLight(settingsOf(TABLE.find((r) => r.name === 'basic auth')!), new CachingExecAuth(), o),
  );
  assert.ok(!('error' in basic));
  assert.equal(basic.opts.auth, 'admin:secret');
  const exec = await outcome((o) =>
    applyLight(settingsOf(TABLE.find((r) => r.name === 'exec plugin token')!), new CachingExecAuth(), o),
  );
  assert.ok(!('error' in exec));
  assert.deepEqual(exec.opts.headers, { Authorization: 'Bearer from-exec' });
  const tls = await outcome((o) =>
    applyLight(
      settingsOf(TABLE.find((r) => r.name === 'insecure-skip-tls-verify and tls-server-name')!),
      new CachingExecAuth(),
      o,
    ),
  );
  assert.ok(!('error' in tls));
  assert.equal(tls.opts.rejectUnauthorized, false);
  assert.equal(tls.opts.servername, 'api.internal');
  assert.equal(tls.agent, undefined);
  const files = await outcome((o) =>
    applyLight(
      settingsOf(TABLE.find((r) => r.name.startsWith('cert, key and CA files'))!),
      new CachingExecAuth(),
      o,
    ),
  );
  assert.ok(!('error' in files));
  assert.equal(String(files.opts.ca), 'CA FROM FILE');
  const http = await outcome((o) =>
    applyLight(
      settingsOf(TABLE.find((r) => r.name.startsWith('plain http without'))!),
      new CachingExecAuth(),
      o,
    ),
  );
  assert.ok('error' in http && /HTTP protocol is not allowed/.test(http.error));
});

// What the light path does not build goes to client-node itself, loaded then (dist/kubeClient.js).
const DELEGATED: { name: string; cluster: string; user: string; cls: RegExp }[] = [
  {
    name: 'https proxy-url',
    cluster: `{server: "https://k:6443", proxy-url: "http://proxy:3128"}`,
    user: `{token: abc}`,
    cls: /^HttpsProxyAgent$/,
  },
  {
    name: 'socks proxy-url',
    cluster: `{server: "https://k:6443", proxy-url: "socks5://proxy:1080"}`,
    user: `{token: abc}`,
    cls: /^SocksProxyAgent$/,
  },
  {
    name: 'an auth-provider client-node knows (oidc with an id-token)',
    cluster: `{server: "https://k:6443"}`,
    user: `{auth-provider: {name: oidc, config: {id-token: ${fakeJwt()}, client-id: x, idp-issuer-url: "https://idp"}}}`,
    cls: /^Agent$/,
  },
];

function fakeJwt(): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none' })}.${part({ exp: Math.floor(Date.now() / 1000) + 3600 })}.sig`;
}

for (const row of DELEGATED) {
  test(`delegated to client-node: ${row.name}`, async () => {
    const s = settingsOf(row);
    assert.equal(needsKubeClient(s), true);
    await assert.rejects(applyLight(s, new CachingExecAuth(), {}), /needs client-node/);
    const options = new HttpsOptions(s, new CachingExecAuth());
    const got = await outcome((o) => options.apply(o));
    const viaClient = await outcome((o) => kubeConfigOf(s, new CachingExecAuth()).applyToHTTPSOptions(o));
    assert.ok(!('error' in got), JSON.stringify(got));
    assert.match(got.agent?.cls ?? '', row.cls);
    assert.deepEqual(got.opts, (viaClient as { opts: unknown }).opts);
    assert.equal(got.agent?.cls, (viaClient as { agent: { cls: string } }).agent.cls);
  });
}

test('the common forms go the light way through HttpsOptions too', async () => {
  const s = settingsOf(TABLE[0]!);
  const got = await outcome((o) => new HttpsOptions(s, new CachingExecAuth()).apply(o));
  const light = await outcome((o) => applyLight(s, new CachingExecAuth(), o));
  assert.deepEqual(got, light);
});
