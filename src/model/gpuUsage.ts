// Polls the GPU metrics exporter while the GPUs view is visible and hands the figures to the trees. Without an
// exporter, or without permission, it says so once and stops: the views stay exactly as they were.
import {
  DEFAULT_IDLE,
  GPU_METRIC_NAMES,
  IdleTracker,
  gpuReadings,
  parsePrometheusText,
  usageByPod,
  type GpuUsageView,
  type IdleOptions,
  type PodUsage,
} from '../core/gpuMetrics';
import { deviceKey } from '../core/dra';
import { Emitter, type Disposable } from '../core/lifecycle';
import type { ClusterConnection } from '../k8s/connection';
import type { K8sError } from '../k8s/errors';
import { discoverExporter, parseExporterSetting, scrapeExporter, type ExporterRef } from '../k8s/gpuMetrics';
import type { LiveTreesHost } from './clusterModel';

export interface GpuUsageOptions {
  /** Poll interval (ms). */
  readonly intervalMs: number;
  /** "namespace/service[:port]" from the setting; empty: discover by labels. */
  readonly exporter?: string;
  readonly idle?: IdleOptions;
  readonly now?: () => number;
}

export class GpuUsagePoller implements Disposable {
  private readonly _onMessage = new Emitter<string>();
  private readonly _onDidPoll = new Emitter<number>();
  private readonly _idle: IdleTracker;
  private readonly _now: () => number;
  private _timer: ReturnType<typeof setTimeout> | undefined;
  private _visible = false;
  private _stopped = false;
  private _ref?: ExporterRef;
  private _message?: string;
  private _byPod: Map<string, PodUsage> = new Map();
  private _polls = 0;
  /** Consecutive failed scrapes of a found exporter (a restart or a slow pod): given up after MAX_FAILURES. */
  private _failures = 0;
  private _inFlight?: Promise<void>;
  private _abort?: AbortController;

  /** Fires once, with the one sentence the view shows, when metrics cannot be read at all. */
  readonly onMessage = this._onMessage.event;
  /** Fires after each successful poll with the number of polls so far. */
  readonly onDidPoll = this._onDidPoll.event;

  constructor(
    private readonly _conn: ClusterConnection,
    private readonly _trees: LiveTreesHost,
    private readonly _opts: GpuUsageOptions,
  ) {
    this._idle = new IdleTracker(_opts.idle ?? DEFAULT_IDLE);
    this._now = _opts.now ?? Date.now;
  }

  get message(): string | undefined {
    return this._message;
  }

  get polls(): number {
    return this._polls;
  }

  get exporter(): ExporterRef | undefined {
    return this._ref;
  }

  /** The GPUs view became visible (poll now and every interval) or hidden (stop; figures are removed). */
  setVisible(v: boolean): void {
    if (v === this._visible) return;
    this._visible = v;
    if (v) this._schedule(0);
    else {
      this._clear();
      this._abort?.abort();
      this._trees.setUsage(undefined);
    }
  }

  private _clear(): void {
    if (this._timer !== undefined) clearTimeout(this._timer);
    this._timer = undefined;
  }

  private _schedule(ms: number): void {
    this._clear();
    if (!this._visible || this._stopped) return;
    this._timer = setTimeout(() => {
      this._timer = undefined;
      this._inFlight = this.poll().finally(() => {
        this._inFlight = undefined;
        this._schedule(this._opts.intervalMs);
      });
    }, ms);
  }

  /** Waits for a poll in flight (tests). */
  async settled(): Promise<void> {
    await this._inFlight;
  }

  private _giveUp(message: string): void {
    this._stopped = true;
    this._clear();
    if (this._message) return;
    this._message = message;
    this._onMessage.fire(message);
  }

  /** One poll: find the exporter (once), scrape it, map to pods, update idle state and the trees. */
  async poll(): Promise<void> {
    if (this._stopped) return;
    this._abort = new AbortController();
    const signal = this._abort.signal;
    if (!this._ref) {
      if (this._opts.exporter) {
        const r = parseExporterSetting(this._opts.exporter);
        if (!r)
          return this._giveUp(
            `gantry.gpus.metricsExporter "${this._opts.exporter}" is not "namespace/service[:port]".`,
          );
        this._ref = r;
      } else {
        const d = await discoverExporter(this._conn, signal);
        if (signal.aborted) return;
        if (!d.ok) return this._giveUp(discoveryMessage(d.error));
        if (!d.value)
          return this._giveUp(
            'Utilisation: no GPU metrics exporter found (setting gantry.gpus.metricsExporter).',
          );
        this._ref = d.value;
      }
    }
    const ref = this._ref;
    const text = await scrapeExporter(this._conn, ref, signal);
    if (signal.aborted || !this._visible) return;
    if (!text.ok) {
      const permanent = text.error.kind === 'forbidden' || text.error.kind === 'notFound';
      if (permanent || ++this._failures >= MAX_FAILURES) return this._giveUp(scrapeMessage(ref, text.error));
      return;
    }
    this._failures = 0;
    const readings = gpuReadings(parsePrometheusText(text.value, GPU_METRIC_NAMES));
    const gpus = this._trees.gpus;
    // DRA devices by UUID once per poll (thousands of GPUs: no search per reading).
    const dra = gpus?.dra;
    const byUuid = new Map((dra?.inventory.devices ?? []).filter((d) => d.uuid).map((d) => [d.uuid!, d]));
    const owner = (uuid: string) => {
      const d = byUuid.get(uuid);
      const p = d ? dra!.allocation.byDevice.get(deviceKey(d.driver, d.pool, d.name))?.pods[0] : undefined;
      return p ? { namespace: p.namespace, name: p.name } : undefined;
    };
    this._byPod = usageByPod(readings, owner);
    const now = this._now();
    this._idle.record(
      now,
      new Map(
        [...this._byPod].map(([k, u]) => [
          k,
          u.gpus.map((g) => g.util).filter((x): x is number => x !== undefined),
        ]),
      ),
    );
    const idle = this._idle;
    const view: GpuUsageView = { byPod: this._byPod, idleSince: (k) => idle.idleSince(k, now), now };
    this._trees.setUsage(view);
    this._polls++;
    this._onDidPoll.fire(this._polls);
  }

  dispose(): void {
    this._stopped = true;
    this._clear();
    this._abort?.abort();
    this._onMessage.dispose();
    this._onDidPoll.dispose();
  }
}

const MAX_FAILURES = 3;

function discoveryMessage(e: K8sError): string {
  if (e.kind === 'forbidden')
    return 'Listing services across namespaces is forbidden, so the GPU metrics exporter cannot be found; name it in gantry.gpus.metricsExporter.';
  return `GPU utilisation is not shown: ${e.message}`;
}

function scrapeMessage(ref: ExporterRef, e: K8sError): string {
  const svc = `${ref.namespace}/${ref.name}`;
  if (e.kind === 'forbidden')
    return `Reading GPU metrics from ${svc} is forbidden: it needs "get services/proxy" in ${ref.namespace}.`;
  if (e.kind === 'notFound') return `The GPU metrics exporter service ${svc} was not found.`;
  return `GPU utilisation is not shown: the exporter ${svc} could not be read (${e.message}).`;
}
