// src/k8s/openapi.ts with a fake apiserver: documents are cached by hash and re-read only when the hash changes.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { clusterFolder, fetchOpenApiV3, type JsonGetter } from '../../src/k8s/openapi';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function fakeServer(
  index: Record<string, string>,
  docs: Record<string, unknown>,
): JsonGetter & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async getJson(p) {
      calls.push(p);
      if (p === '/openapi/v3') {
        return {
          paths: Object.fromEntries(
            Object.entries(index).map(([k, h]) => [k, { serverRelativeURL: `/openapi/v3/${k}?hash=${h}` }]),
          ),
        };
      }
      const gv = p.replace(/^\/openapi\/v3\//, '').replace(/\?.*$/, '');
      if (!(gv in docs)) throw new Error('HTTP 404');
      return docs[gv];
    },
  };
}

test('downloads every group-version once, then serves unchanged hashes from the cache', async () => {
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'gantry-openapi-'));
  dirs.push(cacheDir);
  const docs = {
    'api/v1': { components: { schemas: { a: 1 } } },
    'apis/kubeflow.org/v1': { components: { schemas: { b: 2 } } },
  };
  const index = {
    'api/v1': 'AAA',
    'apis/kubeflow.org/v1': 'BBB',
    apis: 'CCC',
    '.well-known/openid-configuration': 'D',
  };
  const first = fakeServer(index, docs);
  const r1 = await fetchOpenApiV3(first, { cacheDir, clusterKey: 'https://127.0.0.1:6443' });
  assert.ok(r1.ok);
  assert.equal(r1.fetched, 2);
  assert.deepEqual(r1.docs, docs);
  assert.deepEqual(JSON.parse(await readFile(r1.file, 'utf8')), docs);
  assert.ok(!first.calls.some((c) => c.includes('well-known')), 'only group-version documents are read');

  // Same hashes: only the index is read. A new hash for one group-version: only that one is downloaded.
  const second = fakeServer(index, docs);
  const mtime = (await stat(r1.file)).mtimeMs;
  await new Promise((r) => setTimeout(r, 20));
  const r2 = await fetchOpenApiV3(second, { cacheDir, clusterKey: 'https://127.0.0.1:6443' });
  assert.ok(r2.ok);
  assert.deepEqual([r2.fetched, r2.cached], [0, 2]);
  assert.deepEqual(second.calls, ['/openapi/v3']);
  assert.equal((await stat(r2.file)).mtimeMs, mtime, 'an unchanged bundle is not rewritten');

  const changed = { ...docs, 'apis/kubeflow.org/v1': { components: { schemas: { b: 3 } } } };
  const third = fakeServer({ ...index, 'apis/kubeflow.org/v1': 'BBB2' }, changed);
  const r3 = await fetchOpenApiV3(third, { cacheDir, clusterKey: 'https://127.0.0.1:6443' });
  assert.ok(r3.ok);
  assert.deepEqual([r3.fetched, r3.cached], [1, 1]);
  assert.deepEqual(r3.docs['apis/kubeflow.org/v1'], changed['apis/kubeflow.org/v1']);
  assert.deepEqual(JSON.parse(await readFile(r3.file, 'utf8')), changed, 'a changed bundle is rewritten');
  const files = await readdir(clusterFolder(cacheDir, 'https://127.0.0.1:6443'));
  assert.ok(!files.some((f) => f.includes('BBB.')), `stale hash removed: ${files.join(', ')}`);
});

test('an unreachable cluster is a value with one message', async () => {
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'gantry-openapi-'));
  dirs.push(cacheDir);
  const r = await fetchOpenApiV3(
    {
      getJson: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:1');
      },
    },
    { cacheDir, clusterKey: 'x' },
  );
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.message, /OpenAPI v3 index: connect ECONNREFUSED/);
});

test('a cache folder that cannot be written is a value with one message, not a rejection', async () => {
  const base = await mkdtemp(path.join(tmpdir(), 'gantry-openapi-'));
  dirs.push(base);
  // A file where the cache folder should be: mkdir fails with ENOTDIR.
  const cacheDir = path.join(base, 'not-a-folder');
  await writeFile(cacheDir, 'x');
  const r = await fetchOpenApiV3(fakeServer({ 'api/v1': 'A' }, { 'api/v1': {} }), {
    cacheDir,
    clusterKey: 'https://127.0.0.1:6443',
  });
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.message, /^Cannot keep the cluster's schemas in .*not-a-folder.*ENOTDIR/);
});

test('the cache folder removed while documents download: a value, not a rejection', async () => {
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'gantry-openapi-'));
  dirs.push(cacheDir);
  const server = fakeServer(
    { 'api/v1': 'A', 'apis/kubeflow.org/v1': 'B' },
    { 'api/v1': {}, 'apis/kubeflow.org/v1': {} },
  );
  const getJson = server.getJson.bind(server);
  server.getJson = async (p, signal) => {
    // The extension's storage is removed under the download (a test's cleanup did this after its scope closed).
    if (p !== '/openapi/v3') await rm(cacheDir, { recursive: true, force: true });
    return getJson(p, signal);
  };
  const r = await fetchOpenApiV3(server, { cacheDir, clusterKey: 'https://127.0.0.1:6443', concurrency: 1 });
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.message, /^Cannot keep the cluster's schemas in .*ENOENT/);
});

test('stopped while documents download: nothing is written, and the answer says it was cancelled', async () => {
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'gantry-openapi-'));
  dirs.push(cacheDir);
  const stop = new AbortController();
  const server = fakeServer({ 'api/v1': 'A' }, { 'api/v1': { components: {} } });
  const getJson = server.getJson.bind(server);
  server.getJson = async (p, signal) => {
    const doc = await getJson(p, signal);
    // The scope closes just as the last document arrives (the fake ignores the signal, as a finished request would).
    if (p !== '/openapi/v3') stop.abort();
    return doc;
  };
  const r = await fetchOpenApiV3(server, {
    cacheDir,
    clusterKey: 'https://127.0.0.1:6443',
    signal: stop.signal,
  });
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.message, /cancelled/);
  const files = await readdir(clusterFolder(cacheDir, 'https://127.0.0.1:6443'));
  assert.ok(!files.includes('openapi-v3.json') && !files.includes('openapi-v3.key'), files.join(', '));
});
