import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  kubeconfigFiles,
  loadKubeconfig,
  pickContext,
  type MergedKubeconfig,
} from '../../../src/k8s/kubeconfig';
import { contextConfig } from '../../../src/k8s/transport';
import { CachingExecAuth } from '../../../src/k8s/execAuth';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-kc-'));
}

function write(dir: string, rel: string, text: string): string {
  const p = path.join(dir, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

const A = `apiVersion: v1
kind: Config
current-context: ctx-a
clusters:
- name: shared
  cluster: {server: "https://a.example:6443", certificate-authority: certs/ca.crt}
- name: only-a
  cluster: {server: "https://only-a:6443"}
users:
- name: u
  user:
    client-certificate: certs/client.crt
    client-key: /abs/client.key
    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: ./bin/get-token, args: [x]}
contexts:
- name: ctx-a
  context: {cluster: shared, user: u, namespace: team-a}
- name: dup
  context: {cluster: only-a, user: u}
`;

const B = `apiVersion: v1
kind: Config
current-context: ctx-b
clusters:
- name: shared
  cluster: {server: "https://b.example:6443"}
users:
- name: u
  user: {token: from-b}
- name: ub
  user:
    exec: {command: gke-gcloud-auth-plugin}
contexts:
- name: ctx-b
  context: {cluster: shared, user: ub}
- name: dup
  context: {cluster: shared, user: ub, namespace: from-b}
`;

test('KUBECONFIG with several files: first file to set a name wins, no throw on duplicates', () => {
  const d = tmp();
  const a = write(d, 'one/a.yaml', A);
  const b = write(d, 'two/b.yaml', B);
  const r = loadKubeconfig({ env: { KUBECONFIG: [a, b].join(path.delimiter) }, home: d });
  assert.equal(r.kind, 'ok');
  const cfg = r as MergedKubeconfig;
  assert.deepEqual(cfg.files, [a, b]);
  assert.deepEqual(
    cfg.contexts.map((c) => c.name),
    ['ctx-a', 'dup', 'ctx-b'],
  );
  assert.equal(cfg.clusters.get('shared')!.server, 'https://a.example:6443');
  assert.equal(cfg.users.get('u')!.token, undefined, 'user u comes from the first file');
  const dup = cfg.contexts.find((c) => c.name === 'dup')!;
  assert.equal(dup.cluster, 'only-a');
  assert.equal(dup.namespace, undefined);
  assert.equal(dup.file, a);
  // ctx-b uses cluster "shared", which the first file defined
  assert.equal(cfg.contexts.find((c) => c.name === 'ctx-b')!.server, 'https://a.example:6443');
});

test('current-context comes from the first file that sets it', () => {
  const d = tmp();
  const none = write(d, 'none.yaml', 'apiVersion: v1\nkind: Config\nclusters: []\n');
  const a = write(d, 'a.yaml', A);
  const b = write(d, 'b.yaml', B);
  const r1 = loadKubeconfig({ env: { KUBECONFIG: [none, b, a].join(path.delimiter) } }) as MergedKubeconfig;
  assert.equal(r1.currentContext, 'ctx-b');
  const r2 = loadKubeconfig({ env: { KUBECONFIG: [a, b].join(path.delimiter) } }) as MergedKubeconfig;
  assert.equal(r2.currentContext, 'ctx-a');
  assert.equal(pickContext(r2)?.name, 'ctx-a');
  assert.equal(pickContext(r2, 'ctx-b')?.name, 'ctx-b');
  assert.equal(pickContext(r2, 'nope'), undefined);
});

test('relative paths are resolved against the directory of the file that holds them', () => {
  const d = tmp();
  const a = write(d, 'one/a.yaml', A);
  const b = write(d, 'two/b.yaml', B);
  const cfg = loadKubeconfig({ env: { KUBECONFIG: [a, b].join(path.delimiter) } }) as MergedKubeconfig;
  assert.equal(cfg.clusters.get('shared')!['certificate-authority'], path.join(d, 'one/certs/ca.crt'));
  const u = cfg.users.get('u')!;
  assert.equal(u['client-certificate'], path.join(d, 'one/certs/client.crt'));
  assert.equal(u['client-key'], '/abs/client.key');
  assert.equal(u.exec.command, path.join(d, 'one/bin/get-token'), 'exec command with a / is a file path');
  assert.deepEqual(u.exec.args, ['x']);
  assert.equal(
    cfg.users.get('ub')!.exec.command,
    'gke-gcloud-auth-plugin',
    'bare command stays a PATH lookup',
  );
});

test('missing files in KUBECONFIG are skipped; all missing = none with the searched list', () => {
  const d = tmp();
  const a = write(d, 'a.yaml', A);
  const missing = path.join(d, 'missing.yaml');
  const r = loadKubeconfig({ env: { KUBECONFIG: [missing, a].join(path.delimiter) } });
  assert.equal(r.kind, 'ok');
  assert.deepEqual((r as MergedKubeconfig).files, [a]);
  assert.deepEqual((r as MergedKubeconfig).issues, []);
  const none = loadKubeconfig({ env: { KUBECONFIG: missing } });
  assert.equal(none.kind, 'none');
  assert.deepEqual(none.kind === 'none' && none.searched, [missing]);
});

test('no KUBECONFIG: ~/.kube/config; nothing there = none naming that path', () => {
  const d = tmp();
  const r = loadKubeconfig({ env: {}, home: d });
  assert.equal(r.kind, 'none');
  assert.deepEqual(r.kind === 'none' && r.searched, [path.join(d, '.kube', 'config')]);
  write(d, '.kube/config', A);
  const r2 = loadKubeconfig({ env: {}, home: d });
  assert.equal(r2.kind, 'ok');
  assert.equal((r2 as MergedKubeconfig).currentContext, 'ctx-a');
});

test('a file without contexts is none; an empty file is fine', () => {
  const d = tmp();
  const f = write(
    d,
    'c.yaml',
    'apiVersion: v1\nkind: Config\nclusters:\n- name: x\n  cluster: {server: "https://x"}\n',
  );
  const e = write(d, 'empty.yaml', '');
  const r = loadKubeconfig({ env: { KUBECONFIG: [e, f].join(path.delimiter) } });
  assert.equal(r.kind, 'none');
  assert.deepEqual(r.issues, []);
});

test('the path setting overrides KUBECONFIG; a missing setting file is an error value', () => {
  const d = tmp();
  const a = write(d, 'a.yaml', A);
  const b = write(d, 'b.yaml', B);
  const r = loadKubeconfig({ explicitPath: b, env: { KUBECONFIG: a } }) as MergedKubeconfig;
  assert.equal(r.currentContext, 'ctx-b');
  const missing = path.join(d, 'nope.yaml');
  const r2 = loadKubeconfig({ explicitPath: missing, env: { KUBECONFIG: a } });
  assert.equal(r2.kind, 'error');
  assert.equal(r2.issues[0]!.file, missing);
  assert.match(r2.issues[0]!.message, /does not exist/);
  assert.deepEqual(kubeconfigFiles({ explicitPath: '~/k.yaml', home: '/h' }), {
    files: ['/h/k.yaml'],
    mustExist: true,
  });
});

test('parse errors name the file and keep the other files', () => {
  const d = tmp();
  const bad = write(d, 'bad.yaml', 'clusters: [\n  - {name: x\n');
  const a = write(d, 'a.yaml', A);
  const r = loadKubeconfig({ env: { KUBECONFIG: [bad, a].join(path.delimiter) } });
  assert.equal(r.kind, 'ok');
  assert.equal(r.issues.length, 1);
  assert.equal(r.issues[0]!.file, bad);
  assert.match(r.issues[0]!.message, /^Cannot parse .*bad\.yaml: \S/);
  const only = loadKubeconfig({ env: { KUBECONFIG: bad } });
  assert.equal(only.kind, 'error');
  const notMap = write(d, 'list.yaml', '- a\n- b\n');
  assert.match(loadKubeconfig({ env: { KUBECONFIG: notMap } }).issues[0]!.message, /not a kubeconfig/);
});

test('loading never writes the files', () => {
  const d = tmp();
  const a = write(d, 'a.yaml', A);
  const before = fs.statSync(a).mtimeMs;
  const text = fs.readFileSync(a, 'utf8');
  const cfg = loadKubeconfig({ env: { KUBECONFIG: a } }) as MergedKubeconfig;
  contextConfig(cfg, 'ctx-a');
  assert.equal(fs.statSync(a).mtimeMs, before);
  assert.equal(fs.readFileSync(a, 'utf8'), text);
  assert.deepEqual(fs.readdirSync(d), ['a.yaml']);
});

test('contextConfig: the chosen context alone, its cluster and user, exec routed to the caching authenticator', () => {
  const d = tmp();
  const a = write(d, 'one/a.yaml', A);
  const b = write(d, 'two/b.yaml', B);
  const cfg = loadKubeconfig({ env: { KUBECONFIG: [a, b].join(path.delimiter) } }) as MergedKubeconfig;
  const auth = new CachingExecAuth();
  const r = contextConfig(cfg, 'ctx-b');
  assert.ok(r.ok);
  const { settings, server, exec, context } = r.value;
  assert.equal(server, 'https://a.example:6443');
  assert.equal(context.name, 'ctx-b');
  assert.equal(settings.contextName, 'ctx-b');
  assert.equal(settings.cluster.name, 'shared');
  assert.equal(settings.cluster.caFile, path.join(d, 'one/certs/ca.crt'));
  const user = settings.user;
  assert.equal(user.name, 'ub');
  assert.equal(user.exec, undefined, "client-node's own ExecAuth must not run it");
  assert.equal(auth.isAuthProvider(user), true);
  assert.equal(exec!.command, 'gke-gcloud-auth-plugin');
  const r2 = contextConfig(cfg, 'ctx-a');
  assert.ok(r2.ok);
  assert.notEqual(r2.value.settings, settings, 'settings of their own per context');
  assert.equal(r2.value.settings.namespace, 'team-a');
  const missing = contextConfig(cfg, 'nope');
  assert.equal(!missing.ok && missing.error.kind, 'config');
});
