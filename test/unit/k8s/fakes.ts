// Test doubles for the k8s layer: a manual clock and a scripted transport.
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { fail, ok, type K8sError, type Result } from '../../../src/k8s/errors';
import type { Timers } from '../../../src/k8s/timing';
import type { KubeTransport, RequestOptions } from '../../../src/k8s/transport';

export class ManualTimers implements Timers {
  private _now = 1_000_000;
  private _seq = 0;
  private readonly _timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this._now;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this._seq;
    this._timers.set(id, { at: this._now + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this._timers.delete(h as number);
  }
  get pending(): number {
    return this._timers.size;
  }
  /** Moves the clock, running due timers in order. */
  advance(ms: number): void {
    const end = this._now + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this._timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this._timers.delete(next[0]);
      this._now = next[1].at;
      next[1].fn();
    }
    this._now = end;
  }
}

export const tick = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

export interface Call {
  path: string;
  query: RequestOptions['query'];
  /** Streams: how the response is to be read (RequestOptions.multiplex, readBuffer). */
  multiplex?: boolean;
  readBuffer?: number;
}

/** A watch stream the test writes events into. */
export class FakeWatch {
  readonly body = new PassThrough();
  constructor(readonly call: Call) {}
  send(type: string, object: unknown): void {
    this.body.write(JSON.stringify({ type, object }) + '\n');
  }
  end(): void {
    this.body.end();
  }
  fail(code = 'ECONNRESET'): void {
    this.body.destroy(Object.assign(new Error('socket hang up'), { code }));
  }
}

/** Scripted answers for lists; watches become FakeWatch objects the test drives. */
export class FakeTransport {
  readonly server = 'https://fake:6443';
  readonly lists: Call[] = [];
  readonly watches: FakeWatch[] = [];
  /** A promise holds that list back (a slow kind) until the test resolves it. */
  listAnswer: (call: Call) => Result<unknown> | Promise<Result<unknown>> = () =>
    ok({ metadata: { resourceVersion: '1' }, items: [] });
  watchAnswer: (call: Call) => K8sError | undefined = () => undefined;

  async get<T>(path: string, o: RequestOptions = {}): Promise<Result<T>> {
    const call = { path, query: o.query };
    this.lists.push(call);
    return (await this.listAnswer(call)) as Result<T>;
  }

  /**
   * Watch lists (sendInitialEvents): 'serve' answers them like a recent apiserver, with listAnswer's items as
   * ADDED events and the bookmark that ends the initial state (the call counts in `lists` too); 'refuse' like one
   * with the feature off (422).
   */
  watchList: 'serve' | 'refuse' = 'serve';

  async stream(path: string, o: RequestOptions = {}): Promise<Result<IncomingMessage>> {
    const call: Call = { path, query: o.query, multiplex: o.multiplex, readBuffer: o.readBuffer };
    const err = this.watchAnswer(call);
    if (err) return fail(err);
    if (o.query?.sendInitialEvents) {
      if (this.watchList === 'refuse')
        return fail({
          kind: 'invalid',
          status: 422,
          message: 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled',
        });
      this.lists.push(call);
      const a = (await this.listAnswer(call)) as Result<{
        metadata?: { resourceVersion?: string };
        items?: unknown[];
      }>;
      if (!a.ok) return a;
      const w = new FakeWatch(call);
      this.watches.push(w);
      for (const item of a.value.items ?? []) w.send('ADDED', item);
      w.send('BOOKMARK', {
        metadata: {
          resourceVersion: a.value.metadata?.resourceVersion ?? '1',
          annotations: { 'k8s.io/initial-events-end': 'true' },
        },
      });
      return ok(w.body as unknown as IncomingMessage);
    }
    const w = new FakeWatch(call);
    this.watches.push(w);
    return ok(w.body as unknown as IncomingMessage);
  }

  readonly config = { exec: undefined };
  /** Answers SelfSubjectAccessReviews: namespace '' = all namespaces. */
  canI: (verb: string, resource: string, namespace: string) => boolean = () => true;
  readonly posts: { path: string; body: unknown }[] = [];

  async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<Result<T>> {
    if (method === 'GET') return this.get<T>(path, o);
    this.posts.push({ path, body: o.body });
    if (path.endsWith('/selfsubjectaccessreviews')) {
      const a = (
        o.body as { spec: { resourceAttributes: { verb: string; resource: string; namespace?: string } } }
      ).spec.resourceAttributes;
      return ok({ status: { allowed: this.canI(a.verb, a.resource, a.namespace ?? '') } } as T);
    }
    return ok({} as T);
  }

  dispose(): void {}

  asTransport(): KubeTransport {
    return this as unknown as KubeTransport;
  }
}

export function pod(name: string, uid: string, rv: string, phase = 'Running'): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ns',
      uid,
      resourceVersion: rv,
      managedFields: [{ manager: 'kubectl' }],
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":true}' },
    },
    status: { phase },
  };
}
