// The GPUs tree: GPU models -> nodes -> pods holding GPUs, with an incremental apply().

import { type DraState, draState, podDraGpus, type PodDraGpu } from '../dra';
import { type GpuUsageView, idleText, utilText } from '../gpuMetrics';
import { type KubeObject } from '../kube';
import {
  type GpuNode,
  type GpuPoolSummary,
  type WorkloadResolver,
  holdsResources,
  nodeGpuInfo,
  nodeGpuModel,
  poolLine,
  summarizePools,
  workloadRefFromPod,
} from '../gpu';
import {
  type ClusterSnapshot,
  ContextValue,
  type GpuIdleNode,
  type GpuNodeNode,
  type GpuPodNode,
  type GpuTreeNode,
  ROOT,
  type WatchChange,
  gpuModelId,
  gpuNodeId,
  podId,
} from './nodes';

/** The GPUs tree: models -> nodes -> pods holding GPUs. */
export class GpuTreeModel {
  private readonly _nodes = new Map<string, KubeObject>();
  private readonly _podsByNode = new Map<string, Map<string, KubeObject>>();
  private readonly _podNode = new Map<string, string>();
  private readonly _info = new Map<string, GpuNode>();
  private readonly _slices = new Map<string, KubeObject>();
  private readonly _claims = new Map<string, KubeObject>();
  private _dra: DraState;
  private _usage?: GpuUsageView;
  /** pool() until the next change of a node or an allocation. */
  private _pool?: { nodes: KubeObject[]; gpuNodes: GpuNode[] };

  constructor(
    nodes: readonly KubeObject[],
    pods: readonly KubeObject[],
    private readonly _resolve: WorkloadResolver = workloadRefFromPod,
    dra: { slices?: readonly KubeObject[]; claims?: readonly KubeObject[] } = {},
  ) {
    for (const n of nodes) this._nodes.set(n.metadata.name, n);
    for (const p of pods) this._indexPod(p);
    for (const s of dra.slices ?? []) this._slices.set(s.metadata.name, s);
    for (const c of dra.claims ?? []) this._claims.set(objKeyOf(c), c);
    this._dra = draState(this._slices.values(), this._claims.values());
    for (const n of this._nodes.keys()) this._recompute(n);
  }

  /** DRA devices, allocations and counts per node (empty when the cluster serves no resource.k8s.io). */
  get dra(): DraState {
    return this._dra;
  }

  /** New utilisation figures (undefined: none, e.g. the view is hidden or no exporter). Refresh the whole tree. */
  setUsage(u: GpuUsageView | undefined): void {
    this._usage = u;
  }

  get usage(): GpuUsageView | undefined {
    return this._usage;
  }

  /** The DRA GPUs a pod holds through its ResourceClaims. */
  podDraGpus(pod: KubeObject): PodDraGpu[] {
    return podDraGpus(pod, this._dra.allocation, this._dra.devices);
  }

  /** Cluster totals per resource + model. */
  pools(): GpuPoolSummary[] {
    return summarizePools([...this._info.values()]);
  }

  /** "NVIDIA H100 80GB HBM3: 16 total, 12 allocated, 4 free" per pool. */
  summaryLines(): string[] {
    return this.pools().map(poolLine);
  }

  gpuNode(name: string): GpuNode | undefined {
    return this._info.get(name);
  }

  /**
   * Every node object (GPU or not) and the GPU nodes with their allocation: the pool a pending pod faces. The
   * same arrays until a node or an allocation changes: every waiting workload reads it on each pool change, and
   * copying thousands of nodes per workload made that cost grow with nodes × workloads.
   */
  pool(): { nodes: KubeObject[]; gpuNodes: GpuNode[] } {
    return (this._pool ??= { nodes: [...this._nodes.values()], gpuNodes: [...this._info.values()] });
  }

  children(id: string = ROOT): GpuTreeNode[] {
    if (id === IDLE_ID) return this._idlePods();
    if (id === ROOT) {
      const idle = this._idlePods();
      const idleGroup: GpuIdleNode[] = idle.length
        ? [
            {
              type: 'gpuIdle',
              id: IDLE_ID,
              parent: ROOT,
              label: 'Allocated but idle',
              description: `${idle.reduce((a, p) => a + p.count, 0)} GPUs · ${idle.length} pod${idle.length === 1 ? '' : 's'}`,
              tooltip:
                'Pods holding GPUs whose utilisation stayed under the idle threshold for the idle period.',
              contextValue: ContextValue.gpuIdle,
              collapsible: 'expanded',
              gpus: idle.reduce((a, p) => a + p.count, 0),
            },
          ]
        : [];
      return [...idleGroup, ...this._modelNodes()];
    }
    return this._below(id);
  }

  /** Pods holding GPUs that the usage view reports idle, as rows under "Allocated but idle". */
  private _idlePods(): GpuPodNode[] {
    const u = this._usage;
    if (!u) return [];
    const out: GpuPodNode[] = [];
    for (const n of [...this._info.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      for (const row of this._below(gpuNodeId(n.name)) as GpuPodNode[]) {
        if (u.idleSince(`${row.namespace ?? ''}/${row.name}`) === undefined) continue;
        out.push({ ...row, id: `${IDLE_ID}|${row.id}`, parent: IDLE_ID });
      }
    }
    return out;
  }

  private _modelNodes(): GpuTreeNode[] {
    const byModel = new Map<string, GpuNode[]>();
    for (const n of this._info.values()) {
      const m = this._modelOf(n);
      let l = byModel.get(m);
      if (!l) byModel.set(m, (l = []));
      l.push(n);
    }
    return [...byModel.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([model, list]) => {
        const pools = summarizePools(list);
        const whole = pools.filter((p) => !isMigResource(p.resource));
        const total = whole.reduce((a, p) => a + p.total, 0);
        const alloc = whole.reduce((a, p) => a + p.allocated, 0);
        const free = whole.reduce((a, p) => a + p.free, 0);
        const mig = pools.filter((p) => isMigResource(p.resource));
        const migText = mig
          .map((p) => ` · ${p.resource.slice(p.resource.indexOf('/mig-') + 5)} ${p.free}/${p.total} free`)
          .join('');
        return {
          type: 'gpuModel',
          id: gpuModelId(model),
          parent: ROOT,
          label: model,
          description: `${free}/${total} free · ${alloc} allocated · ${list.length} node${list.length === 1 ? '' : 's'}${migText}`,
          tooltip: pools.map((p) => `- ${poolLine(p)}`).join('\n'),
          contextValue: ContextValue.gpuModel,
          collapsible: 'expanded',
          model,
          pools,
        };
      });
  }

  private _below(id: string): GpuTreeNode[] {
    if (id.startsWith('m:')) {
      const model = id.slice(2);
      return [...this._info.values()]
        .filter((n) => this._modelOf(n) === model)
        .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }))
        .map((n) => this._nodeNode(n, id));
    }
    if (id.startsWith('n:')) {
      const n = this._info.get(id.slice(2));
      if (!n) return [];
      const out: GpuPodNode[] = [];
      for (const r of n.resources) {
        for (const p of r.pods) {
          const w = p.workload;
          out.push({
            type: 'gpuPod',
            id: `${id}|${r.resource}|${p.namespace ?? ''}/${p.name}`,
            parent: id,
            label: `${p.namespace ? `${p.namespace}/` : ''}${p.name}`,
            description: `${p.count}× ${r.resource}${w ? ` · ${w.kind} ${w.name}` : ''}${p.phase !== 'Running' ? ` · ${p.phase}` : ''}${this._usageText(p.namespace, p.name)}`,
            ...this._usageTooltip(p.namespace, p.name),
            contextValue: ContextValue.gpuPod,
            collapsible: 'none',
            namespace: p.namespace,
            name: p.name,
            node: n.name,
            resource: r.resource,
            count: p.count,
            ...(w ? { workload: w } : {}),
          });
        }
      }
      return out;
    }
    return [];
  }

  /** " · 94% util" / " · 3% util · idle 45m" for a pod with readings, else ''. */
  private _usageText(ns: string | undefined, name: string): string {
    const u = this._usage;
    const k = `${ns ?? ''}/${name}`;
    const pu = u?.byPod.get(k);
    if (!u || pu?.util === undefined) return '';
    const since = u.idleSince(k);
    return ` · ${utilText(pu.util)}${since !== undefined ? ` · ${idleText(since, u.now)}` : ''}`;
  }

  /** Per GPU of the pod: utilisation, memory used and power, as the exporter reports them. */
  private _usageTooltip(ns: string | undefined, name: string): { tooltip?: string } {
    const pu = this._usage?.byPod.get(`${ns ?? ''}/${name}`);
    if (!pu) return {};
    const lines = pu.gpus.map((g) => {
      const parts = [
        g.util !== undefined ? `${Math.round(g.util)}% util` : undefined,
        g.memUsedMiB !== undefined ? `${Math.round(g.memUsedMiB)} MiB used` : undefined,
        g.powerW !== undefined ? `${Math.round(g.powerW)} W` : undefined,
      ].filter(Boolean);
      return `- GPU ${g.gpu}${g.uuid ? ` (${g.uuid})` : ''}: ${parts.join(', ')}`;
    });
    return { tooltip: [`**${ns ? `${ns}/` : ''}${name}**`, '', ...lines].join('\n') };
  }

  apply(change: WatchChange): string[] {
    const o = change.object;
    const changed = new Set<string>();
    const touch = (nodeName: string | undefined) => this._touch(nodeName, changed);
    if (o.kind === 'Node') {
      if (change.type === 'deleted') this._nodes.delete(o.metadata.name);
      else this._nodes.set(o.metadata.name, o);
      touch(o.metadata.name);
    } else if (o.kind === 'ResourceSlice' || o.kind === 'ResourceClaim') {
      return this.applyDra([change]);
    } else if (o.kind === 'Pod') {
      const key = podId(o);
      const oldNode = this._podNode.get(key);
      this._unindexPod(key);
      if (change.type !== 'deleted') this._indexPod(o);
      const newNode = this._podNode.get(key);
      touch(oldNode);
      if (newNode !== oldNode) touch(newNode);
    }
    return [...changed];
  }

  /** Recomputes one node; adds the ids to refresh (ROOT when its model changed). */
  private _touch(nodeName: string | undefined, changed: Set<string>): void {
    if (!nodeName) return;
    const before = this._info.get(nodeName);
    const beforeModel = before ? this._modelOf(before) : undefined;
    const beforeJson = before ? JSON.stringify(before) : undefined;
    this._recompute(nodeName);
    const after = this._info.get(nodeName);
    const afterModel = after ? this._modelOf(after) : undefined;
    if (beforeModel !== afterModel) {
      changed.add(ROOT);
      return;
    }
    if (after && JSON.stringify(after) !== beforeJson) {
      changed.add(gpuNodeId(nodeName));
      changed.add(gpuModelId(afterModel!));
    }
  }

  /**
   * ResourceSlice / ResourceClaim changes of one batch: the DRA state is computed once, and only the nodes whose
   * devices the changed slices publish or the changed claims held (before or after) are recomputed.
   */
  applyDra(changes: readonly WatchChange[]): string[] {
    const affected = new Set<string>();
    const nodesOfSlice = (sl: KubeObject | undefined) => {
      /* eslint-disable-next-line @typescript-eslint/no-explicit-any -- ResourceSlice JSON */
      const sp = sl?.spec as any;
      if (sp?.nodeName) affected.add(sp.nodeName);
      for (const d of (sp?.devices ?? []) as { nodeName?: string; basic?: { nodeName?: string } }[]) {
        const n = d?.nodeName ?? d?.basic?.nodeName;
        if (n) affected.add(n);
      }
    };
    const nodesOfClaim = (key: string) => {
      for (const k of this._dra.allocation.byClaim.get(key) ?? []) {
        const n = this._dra.devices.get(k)?.node;
        if (n) affected.add(n);
      }
    };
    const claimKeys: string[] = [];
    for (const { type, object: o } of changes) {
      if (o.kind === 'ResourceSlice') {
        nodesOfSlice(this._slices.get(o.metadata.name));
        nodesOfSlice(o);
        if (type === 'deleted') this._slices.delete(o.metadata.name);
        else this._slices.set(o.metadata.name, o);
      } else if (o.kind === 'ResourceClaim') {
        const key = objKeyOf(o);
        nodesOfClaim(key);
        claimKeys.push(key);
        if (type === 'deleted') this._claims.delete(key);
        else this._claims.set(key, o);
      }
    }
    this._dra = draState(this._slices.values(), this._claims.values());
    for (const key of claimKeys) nodesOfClaim(key);
    const changed = new Set<string>();
    for (const n of affected) this._touch(n, changed);
    return [...changed];
  }

  private _modelOf(n: GpuNode): string {
    return n.model || n.resources[0]?.model || 'Unknown GPU';
  }

  private _nodeNode(n: GpuNode, parent: string): GpuNodeNode {
    const res = n.resources.map((r) => {
      const name = r.migProfile ? r.migProfile : r.resource.slice(r.resource.indexOf('/') + 1);
      return `${name} ${r.free}/${r.allocatable} free`;
    });
    const state = n.state === 'Ready' ? '' : ` · ${n.state}`;
    const tip = [`**${n.name}** ${n.model}`, ''];
    for (const r of n.resources)
      tip.push(
        `- ${r.resource} (${r.model}): ${r.allocatable} allocatable, ${r.allocated} allocated, ${r.free} free`,
      );
    if (n.stateReason) tip.push('', `${n.state}: ${n.stateReason}`);
    return {
      type: 'gpuNode',
      id: gpuNodeId(n.name),
      parent,
      label: n.name,
      description: `${res.join(' · ')}${state}`,
      tooltip: tip.join('\n'),
      contextValue: `${ContextValue.gpuNode}.${n.state}`,
      collapsible: n.resources.some((r) => r.pods.length) ? 'collapsed' : 'none',
      node: n,
    };
  }

  private _indexPod(p: KubeObject): void {
    const nn = p.spec?.nodeName;
    if (!nn || !holdsResources(p)) return;
    const key = podId(p);
    let m = this._podsByNode.get(nn);
    if (!m) this._podsByNode.set(nn, (m = new Map()));
    m.set(key, p);
    this._podNode.set(key, nn);
  }

  private _unindexPod(key: string): void {
    const nn = this._podNode.get(key);
    if (!nn) return;
    this._podsByNode.get(nn)?.delete(key);
    this._podNode.delete(key);
  }

  private _recompute(nodeName: string): void {
    this._pool = undefined;
    const node = this._nodes.get(nodeName);
    if (!node) {
      this._info.delete(nodeName);
      return;
    }
    const info = nodeGpuInfo(
      node,
      this._podsByNode.get(nodeName)?.values() ?? [],
      this._resolve,
      this._dra.byNode.get(nodeName),
    );
    if (info.resources.length || nodeGpuModel(node)) this._info.set(nodeName, info);
    else this._info.delete(nodeName);
  }
}

const IDLE_ID = 'idle';
const objKeyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** `nvidia.com/mig-1g.5gb` (device plugin) or `gpu.nvidia.com/mig-1g.10gb` (a DRA MIG device). */
export function isMigResource(resource: string): boolean {
  return resource.startsWith('nvidia.com/mig-') || resource.includes('/mig-');
}

export function buildGpuTree(
  snapshot: Pick<ClusterSnapshot, 'nodes' | 'pods' | 'resourceSlices' | 'resourceClaims'>,
  resolve?: WorkloadResolver,
): GpuTreeModel {
  return new GpuTreeModel(snapshot.nodes ?? [], snapshot.pods, resolve, {
    slices: snapshot.resourceSlices ?? [],
    claims: snapshot.resourceClaims ?? [],
  });
}
