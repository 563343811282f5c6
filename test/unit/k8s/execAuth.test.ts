import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as https from 'node:https';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type * as k8s from '@kubernetes/client-node';
import { ExecPluginError } from '../../../src/k8s/errors';
import {
  CachingExecAuth,
  checkExecPlugin,
  EXEC_PROVIDER,
  findOnPath,
  missingPluginMessage,
  parseExecCredential,
  TOKEN_FILE_PROVIDER,
} from '../../../src/k8s/execAuth';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'gantry-exec-'));
}

/** A fake credential plugin: counts its runs in a file and prints an ExecCredential. */
function plugin(dir: string, name: string, body: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, `#!/bin/sh\necho run >> "${dir}/runs"\n${body}\n`, { mode: 0o755 });
  return p;
}

const runs = (dir: string) =>
  fs.existsSync(path.join(dir, 'runs'))
    ? fs.readFileSync(path.join(dir, 'runs'), 'utf8').split('\n').length - 1
    : 0;

const user = (command: string, name = 'u'): k8s.User =>
  ({
    name,
    authProvider: {
      name: EXEC_PROVIDER,
      config: { gantryExec: { command, apiVersion: 'client.authentication.k8s.io/v1beta1' } },
    },
  }) as unknown as k8s.User;

test('findOnPath finds executables on PATH and takes commands with a slash as paths', () => {
  const d = tmp();
  const bin = path.join(d, 'bin');
  fs.mkdirSync(bin);
  const p = plugin(bin, 'kubelogin', 'true');
  fs.writeFileSync(path.join(bin, 'not-exec'), 'x', { mode: 0o644 });
  assert.equal(findOnPath('kubelogin', { PATH: `/nonexistent:${bin}` }, 'linux'), p);
  assert.equal(findOnPath('not-exec', { PATH: bin }, 'linux'), undefined);
  assert.equal(findOnPath('kubelogin', { PATH: '/nonexistent' }, 'linux'), undefined);
  assert.equal(findOnPath(p, { PATH: '' }, 'linux'), p);
  assert.equal(findOnPath(path.join(d, 'nope'), { PATH: bin }, 'linux'), undefined);
});

test('the missing-plugin message names the binary and the PATH searched, with an install hint', () => {
  const m = missingPluginMessage('gke-gcloud-auth-plugin', { PATH: '/usr/bin:/opt/tools' }, 'gke-user');
  assert.match(m, /"gke-gcloud-auth-plugin"/);
  assert.match(m, /gke-user/);
  assert.match(m, /searched: \/usr\/bin:\/opt\/tools/);
  assert.match(m, /gcloud components install gke-gcloud-auth-plugin/);
  assert.match(missingPluginMessage('aws', { PATH: '' }), /\(PATH is empty\).*AWS CLI/);
  assert.match(
    missingPluginMessage('/opt/x/kubelogin', { PATH: '/usr/bin' }),
    /\/opt\/x\/kubelogin.*does not exist/,
  );
  assert.equal(checkExecPlugin({ command: 'sh' }, { PATH: process.env.PATH }), undefined);
  assert.match(
    checkExecPlugin({ command: 'kubelogin' }, { PATH: '/nonexistent' })!,
    /kubelogin.*\/nonexistent/,
  );
  assert.equal(checkExecPlugin(undefined, { PATH: '' }), undefined);
});

test('a credential with expirationTimestamp is cached until shortly before it expires', async () => {
  const d = tmp();
  const exp = new Date(Date.now() + 3600_000).toISOString();
  const p = plugin(
    d,
    'get-token',
    `echo '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"tok-1","expirationTimestamp":"${exp}"}}'`,
  );
  let now = Date.now();
  const auth = new CachingExecAuth({ env: { PATH: '/usr/bin:/bin' }, now: () => now });
  const u = user(p);
  assert.equal(auth.isAuthProvider(u), true);
  const opts: https.RequestOptions = {};
  await auth.applyAuthentication(u, opts);
  assert.equal((opts.headers as Record<string, string>).Authorization, 'Bearer tok-1');
  await Promise.all([auth.applyAuthentication(u, {}), auth.applyAuthentication(u, {})]);
  assert.equal(runs(d), 1);
  now += 3600_000 - 5_000; // within the renewal margin
  await auth.applyAuthentication(u, {});
  assert.equal(runs(d), 2);
});

test('a credential without expirationTimestamp is cached until invalidated (after a 401)', async () => {
  const d = tmp();
  const p = plugin(
    d,
    'get-token',
    `echo '{"kind":"ExecCredential","status":{"token":"t","clientCertificateData":"C","clientKeyData":"K"}}'`,
  );
  const auth = new CachingExecAuth({ env: { PATH: '/usr/bin:/bin' } });
  const opts: https.RequestOptions = {};
  for (let i = 0; i < 5; i++) await auth.applyAuthentication(user(p), opts);
  assert.equal(runs(d), 1);
  assert.equal(opts.cert, 'C');
  assert.equal(opts.key, 'K');
  auth.invalidate();
  await auth.applyAuthentication(user(p), {});
  assert.equal(runs(d), 2);
  assert.equal(auth.runs, 2);
});

test('the plugin gets KUBERNETES_EXEC_INFO and the env entries from the kubeconfig', async () => {
  const d = tmp();
  const p = plugin(
    d,
    'env-token',
    `printf '{"status":{"token":"%s|%s"}}' "$MY_VAR" "$(echo "$KUBERNETES_EXEC_INFO" | tr -d '"{}:,' )"`,
  );
  const auth = new CachingExecAuth({ env: { PATH: '/usr/bin:/bin' } });
  const u = {
    name: 'e',
    authProvider: {
      name: EXEC_PROVIDER,
      config: { gantryExec: { command: p, env: [{ name: 'MY_VAR', value: 'v1' }] } },
    },
  } as unknown as k8s.User;
  const opts: https.RequestOptions = {};
  await auth.applyAuthentication(u, opts);
  const h = (opts.headers as Record<string, string>).Authorization!;
  assert.match(h, /^Bearer v1\|/);
  assert.match(h, /ExecCredential/);
  assert.match(h, /interactivefalse/);
});

test('a missing plugin is an execPluginMissing error naming the binary and PATH', async () => {
  const auth = new CachingExecAuth({ env: { PATH: '/nonexistent-a:/nonexistent-b' } });
  await assert.rejects(auth.applyAuthentication(user('gke-gcloud-auth-plugin'), {}), (e: unknown) => {
    assert.ok(e instanceof ExecPluginError);
    assert.equal(e.kind, 'execPluginMissing');
    assert.match(e.message, /gke-gcloud-auth-plugin.*searched: \/nonexistent-a:\/nonexistent-b/);
    return true;
  });
});

test('ENOENT from spawn is mapped to execPluginMissing too', async () => {
  const auth = new CachingExecAuth({
    env: { PATH: '/usr/bin:/bin' },
    spawn: () => {
      throw Object.assign(new Error('spawn kubelogin ENOENT'), { code: 'ENOENT' });
    },
  });
  // findOnPath finds `sh`, then spawning reports ENOENT (e.g. removed in between), thrown or emitted
  await assert.rejects(
    auth.applyAuthentication(user('sh'), {}),
    (e: unknown) => e instanceof ExecPluginError && e.kind === 'execPluginMissing',
  );
  const auth2 = new CachingExecAuth({
    env: { PATH: '/usr/bin:/bin' },
    spawn: () => {
      const child = new EventEmitter() as unknown as ChildProcess;
      setImmediate(() =>
        child.emit('error', Object.assign(new Error('spawn sh ENOENT'), { code: 'ENOENT' })),
      );
      return child;
    },
  });
  await assert.rejects(
    auth2.applyAuthentication(user('sh'), {}),
    (e: unknown) => e instanceof ExecPluginError && e.kind === 'execPluginMissing',
  );
});

test('a failing plugin is execPluginFailed with its first stderr line, secrets removed', async () => {
  const d = tmp();
  const p = plugin(
    d,
    'fail',
    `echo "error: token abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV expired; run az login" >&2\necho more >&2\nexit 3`,
  );
  const auth = new CachingExecAuth({ env: { PATH: '/usr/bin:/bin' } });
  await assert.rejects(auth.applyAuthentication(user(p), {}), (e: unknown) => {
    assert.ok(e instanceof ExecPluginError);
    assert.equal(e.kind, 'execPluginFailed');
    assert.match(e.message, /^The credential plugin fail failed: error: token \*\*\*/);
    assert.equal(e.message.includes('abcdefghijklmnop'), false);
    assert.equal(e.message.includes('more'), false);
    return true;
  });
  const garbage = plugin(d, 'garbage', 'echo not-json');
  await assert.rejects(auth.applyAuthentication(user(garbage, 'g'), {}), /not an ExecCredential/);
});

test('token files are read, trimmed and re-read after a minute', async () => {
  const d = tmp();
  const f = path.join(d, 'token');
  fs.writeFileSync(f, 'one\n');
  let now = 0;
  const auth = new CachingExecAuth({ now: () => now });
  const u = {
    name: 't',
    authProvider: { name: TOKEN_FILE_PROVIDER, config: { gantryTokenFile: f } },
  } as unknown as k8s.User;
  const o1: https.RequestOptions = {};
  await auth.applyAuthentication(u, o1);
  assert.equal((o1.headers as Record<string, string>).Authorization, 'Bearer one');
  fs.writeFileSync(f, 'two\n');
  now = 30_000;
  const o2: https.RequestOptions = {};
  await auth.applyAuthentication(u, o2);
  assert.equal((o2.headers as Record<string, string>).Authorization, 'Bearer one');
  now = 61_000;
  const o3: https.RequestOptions = {};
  await auth.applyAuthentication(u, o3);
  assert.equal((o3.headers as Record<string, string>).Authorization, 'Bearer two');
});

test('parseExecCredential reads token, cert and expiry', () => {
  const c = parseExecCredential('{"status":{"token":"x","expirationTimestamp":"2030-01-01T00:00:00Z"}}', 0);
  assert.equal(c.token, 'x');
  assert.equal(c.expiresAt, Date.parse('2030-01-01T00:00:00Z'));
  assert.throws(() => parseExecCredential('{"status":{}}', 0));
});

test('with allowExec false no plugin runs (Restricted Mode)', async () => {
  const d = tmp();
  const p = plugin(d, 'get-token', `echo '{"status":{"token":"t"}}'`);
  const auth = new CachingExecAuth({ env: { PATH: '/usr/bin:/bin' }, allowExec: false });
  await assert.rejects(auth.applyAuthentication(user(p), {}), /Restricted Mode/);
  assert.equal(runs(d), 0);
});
