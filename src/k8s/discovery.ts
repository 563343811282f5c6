// Which kinds the cluster serves. One aggregated-discovery request per root (/api, /apis; GA in 1.30),
// falling back to the classic per-group-version documents on older servers.
import type { KindRef } from '../core/kube';
import { kindKey } from '../core/kube';
import { fail, ok, type Result } from './errors';
import type { KubeTransport } from './transport';

const AGGREGATED =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,' +
  'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

interface AggregatedList {
  kind?: string;
  items?: {
    metadata?: { name?: string };
    versions?: {
      version: string;
      resources?: {
        resource: string;
        responseKind?: { kind?: string };
        scope?: 'Namespaced' | 'Cluster';
        verbs?: string[];
      }[];
    }[];
  }[];
}

interface GroupList {
  groups?: { name: string; preferredVersion?: { version: string }; versions?: { version: string }[] }[];
}

interface ResourceList {
  resources?: { name: string; kind: string; namespaced: boolean; verbs?: string[] }[];
}

/** What discovery found: every listable and watchable kind, at its group's preferred version. */
export class DiscoveredKinds {
  private readonly _byKey = new Map<string, KindRef>();
  private readonly _all: KindRef[];

  constructor(kinds: Iterable<KindRef>) {
    this._all = [...kinds];
    for (const k of this._all) {
      const key = kindKey(k);
      if (!this._byKey.has(key)) this._byKey.set(key, k); // first = preferred version
    }
  }

  get size(): number {
    return this._byKey.size;
  }

  get(group: string, kind: string): KindRef | undefined {
    return this._byKey.get(kindKey({ group, kind }));
  }

  /** One entry per kind, at its preferred version. */
  preferred(): KindRef[] {
    return [...this._byKey.values()];
  }

  /** Every served group-version of every kind (for choosing among versions). */
  allVersions(): readonly KindRef[] {
    return this._all;
  }

  /** The wanted kinds that are served, in the order asked for. */
  pick(wanted: readonly { group: string; kind: string }[]): KindRef[] {
    const out: KindRef[] = [];
    for (const w of wanted) {
      const k = this.get(w.group, w.kind);
      if (k) out.push(k);
    }
    return out;
  }

  /** A stable description for change detection. */
  signature(): string {
    return this._all
      .map((k) => `${kindKey(k)}/${k.version}`)
      .sort()
      .join(',');
  }
}

function listWatchable(verbs: string[] | undefined): boolean {
  return !verbs || (verbs.includes('list') && verbs.includes('watch'));
}

function fromAggregated(list: AggregatedList): KindRef[] {
  const out: KindRef[] = [];
  for (const g of list.items ?? []) {
    const group = g.metadata?.name ?? '';
    for (const v of g.versions ?? []) {
      for (const r of v.resources ?? []) {
        const kind = r.responseKind?.kind;
        if (!kind || r.resource.includes('/') || !listWatchable(r.verbs)) continue;
        out.push({ group, version: v.version, kind, plural: r.resource, namespaced: r.scope !== 'Cluster' });
      }
    }
  }
  return out;
}

/** Runs discovery. */
export async function discover(t: KubeTransport, signal?: AbortSignal): Promise<Result<DiscoveredKinds>> {
  const [core, apis] = await Promise.all([
    t.get<AggregatedList & { versions?: string[] }>('/api', { accept: AGGREGATED, signal }),
    t.get<AggregatedList & GroupList>('/apis', { accept: AGGREGATED, signal }),
  ]);
  if (!core.ok) return core;
  if (!apis.ok) return apis;
  if (core.value.kind === 'APIGroupDiscoveryList' && apis.value.kind === 'APIGroupDiscoveryList') {
    return ok(new DiscoveredKinds([...fromAggregated(core.value), ...fromAggregated(apis.value)]));
  }
  // Classic discovery: one request per group at its preferred version.
  const targets: { group: string; version: string; path: string }[] = [
    { group: '', version: 'v1', path: '/api/v1' },
  ];
  for (const g of apis.value.groups ?? []) {
    const version = g.preferredVersion?.version ?? g.versions?.[0]?.version;
    if (version) targets.push({ group: g.name, version, path: `/apis/${g.name}/${version}` });
  }
  const lists = await Promise.all(targets.map((x) => t.get<ResourceList>(x.path, { signal })));
  const out: KindRef[] = [];
  for (let i = 0; i < targets.length; i++) {
    const res = lists[i]!;
    const { group, version } = targets[i]!;
    if (!res.ok) {
      if (i === 0) return fail(res.error);
      continue; // an unavailable aggregated API (metrics-server down) must not hide the rest
    }
    for (const r of res.value.resources ?? []) {
      if (r.name.includes('/') || !listWatchable(r.verbs)) continue;
      out.push({ group, version, kind: r.kind, plural: r.name, namespaced: r.namespaced });
    }
  }
  return ok(new DiscoveredKinds(out));
}
