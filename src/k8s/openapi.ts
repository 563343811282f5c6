// The cluster's OpenAPI v3 documents (built-in kinds and installed CRDs) for the language server, cached on disk.
//
// `GET /openapi/v3` lists one document per group-version with a `serverRelativeURL` carrying `?hash=`; a document
// at a given hash never changes, so each is cached as `<cacheDir>/<cluster>/<name>.<hash>.json` and fetched again
// only when the apiserver reports a new hash (a CRD installed or changed). The merged map is also written to
// `<cacheDir>/<cluster>/openapi-v3.json`, the file the server reads (shared/protocol.ts LiveSchemas `{ file }`).
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import type * as k8s from '@kubernetes/client-node';

/** GETs a path of the apiserver and returns the parsed JSON body. Throws on failure. */
export interface JsonGetter {
  getJson(pathAndQuery: string, signal?: AbortSignal): Promise<unknown>;
}

export type OpenApiResult =
  | {
      ok: true;
      /** Key: the index path (`api/v1`, `apis/kubeflow.org/v1`) -> the document. */
      docs: Record<string, unknown>;
      /** JSON file holding `docs`, for the language server. */
      file: string;
      /** Documents downloaded now vs. read from the cache. */
      fetched: number;
      cached: number;
    }
  | { ok: false; message: string };

export interface FetchOpenApiOptions {
  /** Folder of the cache (the extension's globalStorage). */
  cacheDir: string;
  /** Identifies the cluster (e.g. its server URL); hashed into the folder name. */
  clusterKey: string;
  signal?: AbortSignal;
  /** Parallel downloads. */
  concurrency?: number;
}

interface IndexEntry {
  serverRelativeURL?: string;
}

/** A folder name for a cluster that reveals nothing about it and has no path characters. */
export function clusterFolder(cacheDir: string, clusterKey: string): string {
  return path.join(cacheDir, createHash('sha256').update(clusterKey).digest('hex').slice(0, 24));
}

function cacheName(gv: string, hash: string): string {
  return `${gv.replace(/[^A-Za-z0-9.-]+/g, '_')}.${hash.replace(/[^A-Za-z0-9]+/g, '')}.json`;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

/** Reads the index and every group-version document, using and refreshing the on-disk cache. */
export async function fetchOpenApiV3(getter: JsonGetter, opts: FetchOpenApiOptions): Promise<OpenApiResult> {
  let index: { paths?: Record<string, IndexEntry> };
  try {
    index = (await getter.getJson('/openapi/v3', opts.signal)) as typeof index;
  } catch (e) {
    return { ok: false, message: `Cannot read the cluster's OpenAPI v3 index: ${message(e)}` };
  }
  const paths = index?.paths;
  if (!paths || typeof paths !== 'object') {
    return { ok: false, message: 'The cluster does not serve OpenAPI v3 (/openapi/v3 has no paths).' };
  }
  const dir = clusterFolder(opts.cacheDir, opts.clusterKey);
  try {
    return await fetchDocuments(getter, opts, dir, paths);
  } catch (e) {
    // The cache folder went away or is not writable (the extension's storage removed under it, a full disk):
    // the bundled schemas stay in use and the user gets one line, never a rejection nobody handles.
    if (opts.signal?.aborted) return { ok: false, message: "Reading the cluster's schemas was cancelled." };
    return { ok: false, message: `Cannot keep the cluster's schemas in ${dir}: ${message(e)}` };
  }
}

async function fetchDocuments(
  getter: JsonGetter,
  opts: FetchOpenApiOptions,
  dir: string,
  paths: Record<string, IndexEntry>,
): Promise<OpenApiResult> {
  await mkdir(dir, { recursive: true });

  // Only group-version documents hold kinds; `.well-known/...` and version-less group paths do not.
  const wanted = Object.entries(paths).filter(
    ([gv, e]) =>
      typeof e?.serverRelativeURL === 'string' && (gv === 'api/v1' || /^apis\/[^/]+\/[^/]+$/.test(gv)),
  );
  const docs: Record<string, unknown> = {};
  const keep = new Set<string>(['openapi-v3.json', 'openapi-v3.key']);
  let fetched = 0;
  let cached = 0;
  const failures: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < wanted.length) {
      const [gv, entry] = wanted[next++]!;
      const url = entry.serverRelativeURL!;
      const hash = new URL(url, 'http://x').searchParams.get('hash');
      const file = hash ? path.join(dir, cacheName(gv, hash)) : undefined;
      if (file) keep.add(path.basename(file));
      if (file) {
        try {
          docs[gv] = JSON.parse(await readFile(file, 'utf8'));
          cached++;
          continue;
        } catch {
          // Not cached yet (or a torn file): download it.
        }
      }
      try {
        const doc = await getter.getJson(url, opts.signal);
        docs[gv] = doc;
        fetched++;
        if (file) await writeAtomic(file, JSON.stringify(doc));
      } catch (e) {
        if (opts.signal?.aborted) throw e;
        failures.push(`${gv}: ${message(e)}`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
  } catch (e) {
    return { ok: false, message: `Reading the cluster's schemas was cancelled: ${message(e)}` };
  }
  // Stopped meanwhile (the view's scope closed): nothing is written to a cache its owner may be removing.
  if (opts.signal?.aborted) return { ok: false, message: "Reading the cluster's schemas was cancelled." };
  if (Object.keys(docs).length === 0) {
    return {
      ok: false,
      message: `Cannot read any OpenAPI v3 document of the cluster (${failures[0] ?? 'none listed'}).`,
    };
  }
  const bundle = path.join(dir, 'openapi-v3.json');
  // The bundle is rewritten only when the set of documents changed, so its mtime tells the server (which keeps
  // what it parsed per file, size and mtime) that nothing needs to be read again after a reconnect.
  const stamp = path.join(dir, 'openapi-v3.key');
  const key = createHash('sha256')
    .update(JSON.stringify(wanted.filter(([gv]) => gv in docs).map(([gv, e]) => [gv, e.serverRelativeURL])))
    .digest('hex');
  const unchanged =
    failures.length === 0 &&
    !wanted.some(([, e]) => !new URL(e.serverRelativeURL!, 'http://x').searchParams.get('hash')) &&
    (await readFile(stamp, 'utf8').catch(() => '')) === key &&
    (await stat(bundle).then(
      () => true,
      () => false,
    ));
  if (!unchanged) {
    await writeAtomic(bundle, JSON.stringify(docs));
    await writeAtomic(stamp, key);
  }
  // Documents of older hashes are never asked for again.
  for (const name of await readdir(dir)) {
    if (!keep.has(name) && !name.endsWith('.tmp')) await rm(path.join(dir, name), { force: true });
  }
  return { ok: true, docs, file: bundle, fetched, cached };
}

/** A JsonGetter that uses a KubeConfig's current context (TLS, tokens, exec plugins applied by client-node). */
export function kubeConfigGetter(kc: k8s.KubeConfig, timeoutMs = 30_000): JsonGetter {
  return {
    async getJson(pathAndQuery, signal) {
      const cluster = kc.getCurrentCluster();
      if (!cluster) throw new Error('the kubeconfig has no current cluster');
      const opts: https.RequestOptions = {};
      await kc.applyToHTTPSOptions(opts);
      const url = new URL(cluster.server.replace(/\/$/, '') + pathAndQuery);
      const mod = url.protocol === 'http:' ? http : https;
      return new Promise<unknown>((resolve, reject) => {
        const req = mod.request(
          url,
          {
            ...opts,
            method: 'GET',
            headers: { ...opts.headers, Accept: 'application/json' },
            signal,
            timeout: timeoutMs,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', reject);
            res.on('end', () => {
              const body = Buffer.concat(chunks).toString('utf8');
              if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) {
                let detail = `HTTP ${res.statusCode}`;
                try {
                  const status = JSON.parse(body) as { message?: string };
                  if (status.message) detail += `: ${status.message}`;
                } catch {
                  // Not a Status object; the code says enough.
                }
                reject(new Error(detail));
                return;
              }
              try {
                resolve(JSON.parse(body));
              } catch (e) {
                reject(new Error(`invalid JSON from ${url.pathname}: ${message(e)}`));
              }
            });
          },
        );
        req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
        req.on('error', reject);
        req.end();
      });
    },
  };
}
