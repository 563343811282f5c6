import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApiStatusError,
  classifyError,
  ExecPluginError,
  parseRetryAfter,
  redact,
  statusError,
} from '../../../src/k8s/errors';

const net = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.1:6443`), { code });

test('network failures are unreachable, naming the server and the cause', () => {
  for (const [code, why] of [
    ['ECONNREFUSED', /refused/],
    ['ETIMEDOUT', /timed out/],
    ['ENOTFOUND', /DNS/],
    ['EAI_AGAIN', /DNS/],
    ['ECONNRESET', /closed/],
    ['EHOSTUNREACH', /no route/],
  ] as const) {
    const e = classifyError(net(code), 'https://api.example:6443');
    assert.equal(e.kind, 'unreachable', code);
    assert.match(e.message, why);
    assert.match(e.message, /https:\/\/api\.example:6443/);
    assert.equal(e.message.includes('\n'), false);
  }
  // node-fetch and undici wrap the socket error in `cause`
  assert.equal(
    classifyError(Object.assign(new Error('fetch failed'), { cause: net('ECONNREFUSED') })).kind,
    'unreachable',
  );
});

test('TLS failures are tls', () => {
  for (const code of [
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'CERT_HAS_EXPIRED',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'ERR_SSL_WRONG_VERSION_NUMBER',
  ]) {
    const e = classifyError(net(code));
    assert.equal(e.kind, 'tls', code);
    assert.match(e.message, /certificate authority/);
  }
  assert.equal(classifyError(new Error('self signed certificate in certificate chain')).kind, 'tls');
});

test('HTTP statuses map to kinds with one-line messages', () => {
  assert.equal(classifyError(new ApiStatusError(401, 'Unauthorized', 'Unauthorized')).kind, 'unauthorized');
  const f = classifyError(
    new ApiStatusError(
      403,
      'Forbidden',
      'pods is forbidden: User "system:serviceaccount:a:b" cannot list resource "pods" in API group "" at the cluster scope',
    ),
  );
  assert.equal(f.kind, 'forbidden');
  assert.equal(f.status, 403);
  assert.match(f.message, /^Forbidden: pods is forbidden: User .* cannot list resource "pods"/);
  assert.equal(statusError(404, 'NotFound', 'pods "x" not found').kind, 'notFound');
  assert.equal(statusError(410, 'Expired', 'too old').kind, 'gone');
  assert.equal(statusError(409, 'Conflict', 'c').kind, 'conflict');
  assert.equal(statusError(422, 'Invalid', 'bad').kind, 'invalid');
  assert.equal(statusError(503, undefined, undefined).kind, 'server');
  assert.equal(classifyError({ statusCode: 403 }).kind, 'forbidden');
});

test('exec plugin errors keep their kind and message', () => {
  const e = classifyError(new ExecPluginError('execPluginMissing', 'not found on PATH'));
  assert.deepEqual(e, { kind: 'execPluginMissing', message: 'not found on PATH' });
  assert.equal(classifyError(new ExecPluginError('execPluginFailed', 'x')).kind, 'execPluginFailed');
});

test('cancellation is its own kind', () => {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  assert.equal(classifyError(e).kind, 'cancelled');
});

test('messages never carry tokens or certificate data', () => {
  const jwt = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJl';
  const cert =
    'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFW';
  const text = `error: Authorization: Bearer abc.def-123 token=${jwt} password: hunter2 data ${cert}\nsecond line`;
  const r = redact(text);
  for (const secret of ['abc.def-123', jwt, 'hunter2', cert, 'second line'])
    assert.equal(r.includes(secret), false, secret);
  const e = classifyError(new ApiStatusError(500, undefined, `boom Bearer ${jwt}`));
  assert.equal(e.message.includes(jwt), false);
  assert.equal(classifyError(new Error(`weird ${jwt}`)).message.includes(jwt), false);
});

test('Retry-After is read as seconds or as an HTTP date, and ignored when unreadable', () => {
  const now = Date.parse('2026-12-06T18:00:00Z');
  assert.equal(parseRetryAfter('1', now), 1000);
  assert.equal(parseRetryAfter(' 12 ', now), 12_000);
  assert.equal(parseRetryAfter(['3', '9'], now), 3000);
  assert.equal(parseRetryAfter('Sun, 06 Dec 2026 18:00:05 GMT', now), 5000);
  assert.equal(parseRetryAfter('Sun, 06 Dec 2026 17:59:00 GMT', now), 0, 'a date passed: at once');
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
});
