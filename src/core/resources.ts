// Resource arithmetic the way kube-scheduler does it: quantities, GPU resource names and a pod's effective request.

/* eslint-disable @typescript-eslint/no-explicit-any -- pod specs are plain API JSON */

import { quantityValue } from './quantity';
import { isGpuResource } from './scheduling';

/** Parses a Kubernetes quantity ("8", "500m", "16Gi", "1e3") to a number; NaN when malformed. */
export function parseQuantity(q: string | number | undefined | null): number {
  if (q === undefined || q === null) return 0;
  return quantityValue(typeof q === 'string' ? q.trim() : q) ?? NaN;
}

/** The one GPU rule lives in scheduling.ts; re-exported for the callers of this module. */
export { isGpuResource };

/** `nvidia.com/mig-1g.5gb` -> `1g.5gb`; undefined for other resources. */
export function migProfile(resource: string): string | undefined {
  return resource.startsWith('nvidia.com/mig-') ? resource.slice('nvidia.com/mig-'.length) : undefined;
}

export type ResourceList = Record<string, number>;

function addInto(into: ResourceList, add: ResourceList): void {
  for (const [k, v] of Object.entries(add)) into[k] = (into[k] ?? 0) + v;
}

function maxInto(into: ResourceList, other: ResourceList): void {
  for (const [k, v] of Object.entries(other)) if (v > (into[k] ?? 0)) into[k] = v;
}

/**
 * A container's requests. When only limits are given the API server defaults requests to the limits
 * (extended resources such as GPUs must have requests == limits), so limits fill the gaps here.
 */
export function containerRequests(container: any): ResourceList {
  const out: ResourceList = {};
  const limits = container?.resources?.limits ?? {};
  const requests = container?.resources?.requests ?? {};
  for (const [k, v] of Object.entries(limits)) out[k] = parseQuantity(v as string);
  for (const [k, v] of Object.entries(requests)) out[k] = parseQuantity(v as string);
  return out;
}

/**
 * The pod's effective request, as the scheduler's `PodRequests` computes it (k8s.io/component-helpers
 * resource/helpers.go): the sum of app containers plus restartable ("sidecar", restartPolicy: Always) init
 * containers, against the max of each classic init container (which runs alongside the sidecars started
 * before it), plus spec.overhead.
 */
export function podRequests(podSpec: any): ResourceList {
  const reqs: ResourceList = {};
  for (const c of podSpec?.containers ?? []) addInto(reqs, containerRequests(c));
  const restartable: ResourceList = {};
  const initMax: ResourceList = {};
  for (const ic of podSpec?.initContainers ?? []) {
    const r = containerRequests(ic);
    if (ic?.restartPolicy === 'Always') {
      addInto(reqs, r);
      addInto(restartable, r);
      maxInto(initMax, restartable);
    } else {
      const withSidecars = { ...r };
      addInto(withSidecars, restartable);
      maxInto(initMax, withSidecars);
    }
  }
  maxInto(reqs, initMax);
  if (podSpec?.overhead) {
    const oh: ResourceList = {};
    for (const [k, v] of Object.entries(podSpec.overhead)) oh[k] = parseQuantity(v as string);
    addInto(reqs, oh);
  }
  return reqs;
}

/** Only the GPU entries of a pod's effective request (count > 0). */
export function podGpuRequests(podSpec: any): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(podRequests(podSpec))) if (isGpuResource(k) && v > 0) out[k] = v;
  return out;
}

/** GPU model a pod template pins itself to: nodeSelector, else a required node-affinity `In` term. */
export function pinnedGpuModel(podSpec: any): string | undefined {
  const keys = ['nvidia.com/gpu.product', 'amd.com/gpu.product-name', 'beta.amd.com/gpu.product-name'];
  for (const k of keys) {
    const v = podSpec?.nodeSelector?.[k];
    if (typeof v === 'string' && v) return displayGpuProduct(k, v);
  }
  const terms =
    podSpec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const t of terms) {
    for (const e of t?.matchExpressions ?? []) {
      if (keys.includes(e?.key) && e?.operator === 'In' && e.values?.length)
        return displayGpuProduct(e.key, e.values[0]);
    }
  }
  return undefined;
}

/**
 * Display name of a product label value. GFD writes `nvidia.com/gpu.product` with spaces turned into '-'
 * (NVIDIA-H100-80GB-HBM3); the AMD node labeller writes `amd.com/gpu.product-name` with '_' (AMD_Instinct_MI300X_OAM).
 */
export function displayGpuProduct(labelKey: string, value: string): string {
  if (labelKey.startsWith('nvidia.com/')) {
    const mig = /^(.*)-MIG-(\d+g\.\d+gb)$/.exec(value);
    if (mig) return `${mig[1].replace(/-/g, ' ')} MIG ${mig[2]}`;
    return value.replace(/-/g, ' ');
  }
  return value.replace(/_/g, ' ');
}
