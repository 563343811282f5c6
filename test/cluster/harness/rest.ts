// A small JSON REST client over the admin kubeconfig (credentials via @kubernetes/client-node), for the
// harness and the simulator: status subresources, merge/strategic/apply patches and raw paths in one shape.
import * as k8s from '@kubernetes/client-node';
import * as https from 'node:https';

export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${status} ${body.slice(0, 500)}`);
  }
}

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';
const patchContentType: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

export class Rest {
  private readonly agent: https.Agent;

  private constructor(
    readonly kc: k8s.KubeConfig,
    readonly server: URL,
    private readonly tls: https.RequestOptions,
  ) {
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 16 });
  }

  static async fromKubeconfig(path: string): Promise<Rest> {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(path);
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error(`no current cluster in ${path}`);
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    return new Rest(kc, new URL(cluster.server), opts);
  }

  close(): void {
    this.agent.destroy();
  }

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> {
    const text = await this.raw(method, path, body, contentType);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  raw(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    timeoutMs = 30_000,
  ): Promise<string> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const url = new URL(path, this.server);
      const req = https.request(
        url,
        {
          ...this.tls,
          agent: this.agent,
          method,
          timeout: timeoutMs,
          headers: {
            Accept: 'application/json',
            ...(payload !== undefined
              ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) }
              : {}),
          },
        },
        (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (data += c));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(data);
            else reject(new RestError(status, data, `${method} ${path}`));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** GET that resolves undefined on 404. */
  async find<T = unknown>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (e) {
      if (e instanceof RestError && e.status === 404) return undefined;
      throw e;
    }
  }

  post<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  put<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  patch<T = unknown>(
    path: string,
    body: unknown,
    type: PatchType = 'merge',
    fieldManager?: string,
  ): Promise<T> {
    let p = path;
    if (type === 'apply')
      p += `${p.includes('?') ? '&' : '?'}fieldManager=${encodeURIComponent(fieldManager ?? 'gantry-test')}&force=true`;
    return this.request<T>('PATCH', p, body, patchContentType[type]);
  }

  async delete(path: string): Promise<void> {
    try {
      await this.request('DELETE', path);
    } catch (e) {
      if (e instanceof RestError && e.status === 404) return;
      throw e;
    }
  }
}

export function isConflict(e: unknown): boolean {
  return e instanceof RestError && e.status === 409;
}

export function isNotFound(e: unknown): boolean {
  return e instanceof RestError && e.status === 404;
}
