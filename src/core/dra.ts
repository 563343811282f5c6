// Dynamic Resource Allocation (resource.k8s.io v1 / v1beta2 / v1beta1) for GPUs: devices a driver publishes in
// ResourceSlices, the devices ResourceClaims were allocated, and what is left free, per node and model. The same
// arithmetic as the scheduler's structured-parameters allocator where it matters for counting: only the newest
// generation of a pool counts, a device is allocated once however many claims share it, and a partitionable
// device (shared counters, e.g. a MIG slice and its whole GPU) is free only while its counters still fit.
// Attribute names are NVIDIA's DRA driver's (k8s-dra-driver-gpu cmd/gpu-kubelet-plugin deviceinfo.go, mig.go):
// type gpu|mig, uuid, productName, profile and parentUUID for MIG devices, capacity memory.

import { type KubeObject } from './kube';
import { parseQuantity } from './resources';
import { isGpuDriver } from './scheduling';

/* eslint-disable @typescript-eslint/no-explicit-any -- ResourceSlice / ResourceClaim JSON of three versions */

export interface DraPodRef {
  namespace: string;
  name: string;
  uid?: string;
}

export interface DraDevice {
  driver: string;
  pool: string;
  name: string;
  /** The node whose pool this is (spec.nodeName of the slice, or the device's own nodeName). */
  node?: string;
  /** 'mig' for a MIG partition (NVIDIA `type: mig` or a `profile` attribute), else a whole GPU. */
  type: 'gpu' | 'mig';
  /** Display model: "NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-40GB MIG 1g.5gb". */
  model: string;
  migProfile?: string;
  uuid?: string;
  parentUuid?: string;
  /** Device memory as the driver published it ("80Gi"). */
  memory?: string;
  consumes: { counterSet: string; counters: Record<string, number> }[];
}

export interface DraDeviceUse {
  device: DraDevice;
  /** Claims this device is allocated to ("ns/name"); more than one when the device allows shared allocation. */
  claims: string[];
  /** Pods the claims are reserved for. */
  pods: DraPodRef[];
}

/** One node's DRA GPUs as the GPUs view counts them: per resource ("gpu.nvidia.com", "gpu.nvidia.com/mig-1g.10gb"). */
export interface DraResourceCount {
  resource: string;
  model: string;
  migProfile?: string;
  total: number;
  allocated: number;
  /** Neither allocated nor blocked by a partition of the same physical device. */
  free: number;
  devices: DraDeviceUse[];
}

export const deviceKey = (driver: string, pool: string, device: string) => `${driver}/${pool}/${device}`;

/** An attribute value of any of the typed forms ({string}, {int}, {bool}, {version}). */
function attrValue(v: any): string | number | boolean | undefined {
  if (!v || typeof v !== 'object') return undefined;
  return v.string ?? v.int ?? v.bool ?? v.version;
}

/** Attributes are keyed by plain name (the driver's domain implied) or by a qualified `domain/name`. */
function attr(attrs: Record<string, any> | undefined, driver: string, name: string): string | undefined {
  if (!attrs) return undefined;
  const v = attrValue(attrs[name] ?? attrs[`${driver}/${name}`]);
  return v === undefined ? undefined : String(v);
}

function capacityOf(cap: Record<string, any> | undefined, name: string): string | undefined {
  const v = cap?.[name];
  if (v === undefined || v === null) return undefined;
  return typeof v === 'object' ? (v.value as string | undefined) : String(v);
}

function counterValues(c: Record<string, any> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(c ?? {})) out[k] = parseQuantity((v as any)?.value ?? v);
  return out;
}

/** The model shown for a device: productName, with the MIG profile appended for partitions. */
function modelOf(driver: string, productName: string | undefined, profile: string | undefined): string {
  const base = productName?.trim() || driver;
  return profile ? `${base} MIG ${profile}` : base;
}

export interface DraInventory {
  devices: DraDevice[];
  /** Shared counter sets by `driver/pool/counterSet`: their capacity. */
  counterSets: Map<string, Record<string, number>>;
}

/**
 * GPU devices of the newest generation of each pool. Reads v1 and v1beta2 (fields on the device) and v1beta1
 * (fields under `basic`). Devices of drivers that are not GPU drivers are left out.
 */
export function readSlices(slices: Iterable<KubeObject>): DraInventory {
  const newest = new Map<string, number>();
  const list = [...slices];
  for (const s of list) {
    const sp = s.spec as any;
    if (!sp?.driver || !sp.pool?.name) continue;
    const k = `${sp.driver}/${sp.pool.name}`;
    const g = Number(sp.pool.generation ?? 0);
    if (g > (newest.get(k) ?? -1)) newest.set(k, g);
  }
  const devices: DraDevice[] = [];
  const counterSets = new Map<string, Record<string, number>>();
  for (const s of list) {
    const sp = s.spec as any;
    if (!sp?.driver || !sp.pool?.name || !isGpuDriver(sp.driver)) continue;
    const driver: string = sp.driver;
    const pool: string = sp.pool.name;
    if (Number(sp.pool.generation ?? 0) !== newest.get(`${driver}/${pool}`)) continue;
    for (const cs of (sp.sharedCounters ?? []) as any[]) {
      if (cs?.name) counterSets.set(`${driver}/${pool}/${cs.name}`, counterValues(cs.counters));
    }
    for (const d of (sp.devices ?? []) as any[]) {
      if (!d?.name) continue;
      const b = d.basic ?? d; // v1beta1 nests the fields under `basic`
      const attrs = b.attributes as Record<string, any> | undefined;
      const type = attr(attrs, driver, 'type');
      const profile = attr(attrs, driver, 'profile') ?? attr(attrs, driver, 'migProfile');
      const isMig = type === 'mig' || (!!profile && type !== 'gpu');
      const dev: DraDevice = {
        driver,
        pool,
        name: d.name,
        type: isMig ? 'mig' : 'gpu',
        model: modelOf(
          driver,
          attr(attrs, driver, 'productName') ??
            attr(attrs, driver, 'product') ??
            attr(attrs, driver, 'model'),
          isMig ? profile : undefined,
        ),
        consumes: ((b.consumesCounters ?? []) as any[])
          .filter((c) => c?.counterSet)
          .map((c) => ({ counterSet: c.counterSet as string, counters: counterValues(c.counters) })),
      };
      const node = (sp.nodeName as string | undefined) ?? (b.nodeName as string | undefined);
      if (node) dev.node = node;
      if (isMig && profile) dev.migProfile = profile;
      const uuid = attr(attrs, driver, 'uuid');
      if (uuid) dev.uuid = uuid;
      const parent = attr(attrs, driver, 'parentUUID') ?? attr(attrs, driver, 'parentUuid');
      if (parent) dev.parentUuid = parent;
      const mem = capacityOf(b.capacity, 'memory');
      if (mem) dev.memory = mem;
      devices.push(dev);
    }
  }
  return { devices, counterSets };
}

export interface DraAllocationIndex {
  /** deviceKey -> claims ("ns/name") and the pods they are reserved for. */
  byDevice: Map<string, { claims: string[]; pods: DraPodRef[] }>;
  /** "ns/claimName" -> allocated device keys. */
  byClaim: Map<string, string[]>;
}

/** Which devices the claims hold (status.allocation.devices.results) and for which pods (status.reservedFor). */
export function readClaims(claims: Iterable<KubeObject>): DraAllocationIndex {
  const byDevice = new Map<string, { claims: string[]; pods: DraPodRef[] }>();
  const byClaim = new Map<string, string[]>();
  for (const c of claims) {
    const st = c.status as any;
    const results = (st?.allocation?.devices?.results ?? []) as any[];
    if (!results.length) continue;
    const ns = c.metadata.namespace ?? '';
    const ck = `${ns}/${c.metadata.name}`;
    const pods: DraPodRef[] = ((st.reservedFor ?? []) as any[])
      .filter((r) => r?.resource === 'pods' && r.name)
      .map((r) => (r.uid ? { namespace: ns, name: r.name, uid: r.uid } : { namespace: ns, name: r.name }));
    const keys: string[] = [];
    for (const r of results) {
      if (!r?.driver || !r.pool || !r.device) continue;
      const k = deviceKey(r.driver, r.pool, r.device);
      if (keys.includes(k)) continue;
      keys.push(k);
      let u = byDevice.get(k);
      if (!u) byDevice.set(k, (u = { claims: [], pods: [] }));
      u.claims.push(ck);
      for (const p of pods)
        if (!u.pods.some((q) => q.namespace === p.namespace && q.name === p.name)) u.pods.push(p);
    }
    byClaim.set(ck, keys);
  }
  return { byDevice, byClaim };
}

/** Resource name the GPUs view counts a device under: its driver, or driver/mig-<profile> for a MIG slice. */
export function draResourceName(d: DraDevice): string {
  return d.migProfile ? `${d.driver}/mig-${d.migProfile}` : d.driver;
}

/**
 * Per node and resource: total, allocated and free devices. A device is free when no claim holds it and every
 * shared counter it consumes still has room after the allocated devices' consumption (so allocating one MIG
 * slice takes its whole GPU out of "free" without counting it as allocated).
 */
export function draCounts(inv: DraInventory, alloc: DraAllocationIndex): Map<string, DraResourceCount[]> {
  const used = new Map<string, Record<string, number>>();
  for (const d of inv.devices) {
    if (!alloc.byDevice.has(deviceKey(d.driver, d.pool, d.name))) continue;
    for (const c of d.consumes) {
      const k = `${d.driver}/${d.pool}/${c.counterSet}`;
      const u = used.get(k) ?? {};
      for (const [n, v] of Object.entries(c.counters)) u[n] = (u[n] ?? 0) + v;
      used.set(k, u);
    }
  }
  const fits = (d: DraDevice) =>
    d.consumes.every((c) => {
      const k = `${d.driver}/${d.pool}/${c.counterSet}`;
      const cap = inv.counterSets.get(k);
      if (!cap) return true; // counters the driver did not publish: nothing to check against
      const u = used.get(k) ?? {};
      return Object.entries(c.counters).every(([n, v]) => (u[n] ?? 0) + v <= (cap[n] ?? 0));
    });
  const out = new Map<string, DraResourceCount[]>();
  for (const d of inv.devices) {
    if (!d.node) continue;
    let list = out.get(d.node);
    if (!list) out.set(d.node, (list = []));
    const resource = draResourceName(d);
    let r = list.find((x) => x.resource === resource && x.model === d.model);
    if (!r) {
      r = { resource, model: d.model, total: 0, allocated: 0, free: 0, devices: [] };
      if (d.migProfile) r.migProfile = d.migProfile;
      list.push(r);
    }
    const u = alloc.byDevice.get(deviceKey(d.driver, d.pool, d.name));
    r.total++;
    if (u) r.allocated++;
    else if (fits(d)) r.free++;
    r.devices.push({ device: d, claims: u?.claims ?? [], pods: u?.pods ?? [] });
  }
  for (const list of out.values()) list.sort((a, b) => a.resource.localeCompare(b.resource));
  return out;
}

/** The claim names a pod uses: status.resourceClaimStatuses (generated from templates) or spec.resourceClaimName. */
export function podClaimNames(pod: KubeObject): string[] {
  const out = new Set<string>();
  for (const s of ((pod.status as any)?.resourceClaimStatuses ?? []) as any[])
    if (s?.resourceClaimName) out.add(s.resourceClaimName);
  for (const c of ((pod.spec as any)?.resourceClaims ?? []) as any[])
    if (c?.resourceClaimName) out.add(c.resourceClaimName);
  return [...out];
}

export interface PodDraGpu {
  model: string;
  resource: string;
  count: number;
  uuids: string[];
}

/** The DRA GPUs a pod holds through its claims, by model. */
export function podDraGpus(
  pod: KubeObject,
  alloc: DraAllocationIndex,
  devices: ReadonlyMap<string, DraDevice>,
): PodDraGpu[] {
  const ns = pod.metadata.namespace ?? '';
  const acc = new Map<string, PodDraGpu>();
  const seen = new Set<string>();
  for (const name of podClaimNames(pod)) {
    for (const k of alloc.byClaim.get(`${ns}/${name}`) ?? []) {
      const d = devices.get(k);
      if (!d || seen.has(k)) continue;
      seen.add(k);
      const resource = draResourceName(d);
      let g = acc.get(`${resource}\0${d.model}`);
      if (!g) acc.set(`${resource}\0${d.model}`, (g = { model: d.model, resource, count: 0, uuids: [] }));
      g.count++;
      if (d.uuid) g.uuids.push(d.uuid);
    }
  }
  return [...acc.values()];
}

/** Devices by deviceKey. */
export function deviceIndex(inv: DraInventory): Map<string, DraDevice> {
  return new Map(inv.devices.map((d) => [deviceKey(d.driver, d.pool, d.name), d]));
}

/** Everything the GPUs view needs from DRA, computed once per change of slices or claims. */
export interface DraState {
  inventory: DraInventory;
  allocation: DraAllocationIndex;
  devices: Map<string, DraDevice>;
  byNode: Map<string, DraResourceCount[]>;
}

export function draState(slices: Iterable<KubeObject>, claims: Iterable<KubeObject>): DraState {
  const inventory = readSlices(slices);
  const allocation = readClaims(claims);
  return {
    inventory,
    allocation,
    devices: deviceIndex(inventory),
    byNode: draCounts(inventory, allocation),
  };
}
