// GPU utilisation from a metrics exporter's Prometheus text (NVIDIA dcgm-exporter, AMD device-metrics-exporter),
// mapped to the pods holding the GPUs, and idle detection over time. Pure: the k8s layer fetches the text.

import { type KubeObject } from './kube';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Unescapes a label value of the text format (\\, \", \n). */
function unescape(v: string): string {
  return v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/**
 * Parses the Prometheus text exposition format (0.0.4): `name{l="v",...} value [timestamp]`; comments and
 * blank lines skipped, malformed lines ignored (an exporter upgrade must not break the view).
 */
export function parsePrometheusText(text: string, wanted?: ReadonlySet<string>): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const name = m[1]!;
    if (wanted && !wanted.has(name)) continue;
    const labels: Record<string, string> = {};
    if (m[2]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g;
      for (let lm = re.exec(m[2]); lm; lm = re.exec(m[2])) labels[lm[1]!] = unescape(lm[2]!);
    }
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    out.push({ name, labels, value });
  }
  return out;
}

/** One GPU's figures from the exporter. */
export interface GpuReading {
  /** Hostname label (dcgm-exporter: the node's name or the exporter pod's) and the GPU index. */
  host: string;
  gpu: string;
  uuid?: string;
  model?: string;
  /** 0..100 */
  util?: number;
  memUsedMiB?: number;
  powerW?: number;
  /** The pod the exporter says uses this GPU (dcgm-exporter's Kubernetes mapping). */
  pod?: { namespace: string; name: string; container?: string };
}

// dcgm-exporter field names; AMD device-metrics-exporter's (docs/configuration/metricslist.md, lower-cased on
// the wire) gpu_gfx_activity (%), gpu_used_vram (MB), gpu_package_power (MI3xx) / gpu_power_usage (W), with the
// labels gpu_id, gpu_uuid, card_model, hostname, pod, namespace, container.
const UTIL = new Set(['DCGM_FI_DEV_GPU_UTIL', 'gpu_gfx_activity']);
const MEM = new Set(['DCGM_FI_DEV_FB_USED', 'gpu_used_vram']);
const POWER = new Set(['DCGM_FI_DEV_POWER_USAGE', 'gpu_power_usage', 'gpu_package_power']);
export const GPU_METRIC_NAMES: ReadonlySet<string> = new Set([...UTIL, ...MEM, ...POWER]);

/** Per-GPU readings from the exporter's samples (one per host + gpu index, or UUID). */
export function gpuReadings(samples: readonly Sample[]): GpuReading[] {
  const byKey = new Map<string, GpuReading>();
  for (const s of samples) {
    const l = s.labels;
    const host = l.Hostname ?? l.hostname ?? l.node ?? '';
    const gpu = l.gpu ?? l.gpu_id ?? '';
    const uuid = l.UUID ?? l.uuid ?? l.gpu_uuid;
    const key = uuid || `${host}/${gpu}`;
    let r = byKey.get(key);
    if (!r) {
      r = { host, gpu };
      if (uuid) r.uuid = uuid;
      const model = l.modelName ?? l.card_model ?? l.card_series;
      if (model) r.model = model;
      const ns = l.namespace ?? l.pod_namespace;
      const pod = l.pod ?? l.pod_name;
      if (pod && ns)
        r.pod = l.container
          ? { namespace: ns, name: pod, container: l.container }
          : { namespace: ns, name: pod };
      byKey.set(key, r);
    }
    if (UTIL.has(s.name)) r.util = s.value;
    else if (MEM.has(s.name))
      r.memUsedMiB = s.value; // both MiB (AMD documents MB)
    else if (POWER.has(s.name)) r.powerW = s.value;
  }
  return [...byKey.values()];
}

export interface PodUsage {
  namespace: string;
  name: string;
  gpus: GpuReading[];
  /** Mean utilisation of the pod's GPUs with a reading. */
  util?: number;
  memUsedMiB: number;
  powerW: number;
}

/**
 * Readings per pod ("ns/name"): by the exporter's pod labels, else by GPU UUID through `uuidOwner` (DRA devices
 * publish their UUID; a claim names the pod).
 */
export function usageByPod(
  readings: readonly GpuReading[],
  uuidOwner: (uuid: string) => { namespace: string; name: string } | undefined = () => undefined,
): Map<string, PodUsage> {
  const out = new Map<string, PodUsage>();
  for (const r of readings) {
    const owner = r.pod ?? (r.uuid ? uuidOwner(r.uuid) : undefined);
    if (!owner) continue;
    const k = `${owner.namespace}/${owner.name}`;
    let u = out.get(k);
    if (!u)
      out.set(k, (u = { namespace: owner.namespace, name: owner.name, gpus: [], memUsedMiB: 0, powerW: 0 }));
    u.gpus.push(r);
  }
  for (const u of out.values()) {
    const utils = u.gpus.map((g) => g.util).filter((x): x is number => x !== undefined);
    if (utils.length) u.util = utils.reduce((a, b) => a + b, 0) / utils.length;
    u.memUsedMiB = u.gpus.reduce((a, g) => a + (g.memUsedMiB ?? 0), 0);
    u.powerW = u.gpus.reduce((a, g) => a + (g.powerW ?? 0), 0);
  }
  return out;
}

/** Mean utilisation over several pods' GPUs (a workload's), weighting each GPU once. */
export function meanUtil(usages: readonly PodUsage[]): number | undefined {
  const utils = usages.flatMap((u) => u.gpus.map((g) => g.util).filter((x): x is number => x !== undefined));
  return utils.length ? utils.reduce((a, b) => a + b, 0) / utils.length : undefined;
}

export function utilText(util: number): string {
  return `${Math.round(util)}% util`;
}

/** What the trees read of the latest utilisation: per pod ("ns/name") and whether it is idle. */
export interface GpuUsageView {
  readonly byPod: ReadonlyMap<string, PodUsage>;
  /** Idle since (ms) for a pod whose GPUs stayed under the threshold for the period. */
  idleSince(podKey: string): number | undefined;
  readonly now: number;
}

// --- Idle detection ------------------------------------------------------------------------------------------

export interface IdleOptions {
  /** Utilisation (%) under which a GPU counts as idle (default 10). */
  thresholdPct: number;
  /** How long every reading must stay under the threshold (ms; default 30 min). */
  periodMs: number;
}

export const DEFAULT_IDLE: IdleOptions = { thresholdPct: 10, periodMs: 30 * 60_000 };

interface IdleState {
  /** Since when every reading stayed under the threshold (undefined: the last reading was busy). */
  lowSince?: number;
  lastSeen: number;
}

/**
 * Per key (a workload or pod): whether its GPUs stayed under the threshold for the whole period. A busy reading
 * resets the clock; a key not seen for two periods is forgotten (its pods went away); a gap in readings does not
 * count as idle time unless readings before and after it are low (polling stops while the view is hidden, so the
 * first reading after a pause keeps the earlier low run only if the pause was shorter than the period).
 */
export class IdleTracker {
  private readonly _state = new Map<string, IdleState>();

  constructor(private _opts: IdleOptions = DEFAULT_IDLE) {}

  setOptions(o: IdleOptions): void {
    this._opts = o;
  }

  /** One poll's readings: key -> the utilisation of each of its GPUs. Keys absent from this poll are kept. */
  record(now: number, utilByKey: ReadonlyMap<string, readonly number[]>): void {
    for (const [key, utils] of utilByKey) {
      if (!utils.length) continue;
      const low = utils.every((u) => u < this._opts.thresholdPct);
      const s = this._state.get(key);
      if (!low) {
        this._state.set(key, { lastSeen: now });
        continue;
      }
      const continues = s?.lowSince !== undefined && now - s.lastSeen <= this._opts.periodMs;
      this._state.set(key, { lowSince: continues ? s!.lowSince : now, lastSeen: now });
    }
    for (const [key, s] of this._state)
      if (now - s.lastSeen > 2 * this._opts.periodMs) this._state.delete(key);
  }

  /** Idle since when (ms), or undefined when not idle for the full period yet. */
  idleSince(key: string, now: number): number | undefined {
    const s = this._state.get(key);
    if (s?.lowSince === undefined) return undefined;
    return now - s.lowSince >= this._opts.periodMs ? s.lowSince : undefined;
  }

  /** Keys idle for the full period. */
  idleKeys(now: number): string[] {
    return [...this._state.keys()].filter((k) => this.idleSince(k, now) !== undefined);
  }
}

/** "idle 45m" / "idle 2h 5m": how long a workload's GPUs have been under the threshold. */
export function idleText(since: number, now: number): string {
  const min = Math.max(0, Math.floor((now - since) / 60_000));
  if (min < 60) return `idle ${min}m`;
  const h = Math.floor(min / 60);
  return `idle ${h}h${min % 60 ? ` ${min % 60}m` : ''}`;
}

/**
 * The exporter's Services by their usual labels: dcgm-exporter's helm chart and the GPU operator (exact), and
 * AMD device-metrics-exporter's helm chart, whose `app` label carries the release name
 * (`<release>-amdgpu-metrics-exporter`, `<release>-amd-device-metrics-exporter`: matched by suffix).
 */
export const EXPORTER_SELECTORS: readonly {
  label: string;
  value: string;
  match: 'exact' | 'suffix';
  vendor: 'nvidia' | 'amd';
}[] = [
  { label: 'app.kubernetes.io/name', value: 'dcgm-exporter', match: 'exact', vendor: 'nvidia' },
  { label: 'app', value: 'nvidia-dcgm-exporter', match: 'exact', vendor: 'nvidia' },
  { label: 'app', value: 'amdgpu-metrics-exporter', match: 'suffix', vendor: 'amd' },
  { label: 'app', value: 'amd-device-metrics-exporter', match: 'suffix', vendor: 'amd' },
];

/** The label selector that lists candidates for `sel` (suffix matches list every Service with the label). */
export function exporterQuery(sel: (typeof EXPORTER_SELECTORS)[number]): string {
  return sel.match === 'exact' ? `${sel.label}=${sel.value}` : sel.label;
}

function matches(sel: (typeof EXPORTER_SELECTORS)[number], v: string | undefined): boolean {
  if (v === undefined) return false;
  return sel.match === 'exact' ? v === sel.value : v === sel.value || v.endsWith(`-${sel.value}`);
}

/** The first Service matching the exporter labels, with its metrics port (a port named like "metrics", else the first). */
export function pickExporterService(
  services: readonly KubeObject[],
): { namespace: string; name: string; port: number | string } | undefined {
  for (const sel of EXPORTER_SELECTORS) {
    const svc = services.find((s) => matches(sel, s.metadata.labels?.[sel.label]));
    if (!svc) continue;
    /* eslint-disable-next-line @typescript-eslint/no-explicit-any -- Service JSON */
    const ports = ((svc.spec as any)?.ports ?? []) as { name?: string; port: number }[];
    const p = ports.find((x) => /metrics/.test(x.name ?? '')) ?? ports[0];
    if (!p) continue;
    return {
      namespace: svc.metadata.namespace ?? 'default',
      name: svc.metadata.name,
      port: p.name || p.port,
    };
  }
  return undefined;
}
