// What bench:logs measures inside a Node follower process (gantryFollower.ts, floorFollower.ts): CPU from the
// moment every pod said "ready", peak RSS and heap sampled every 100 ms (with a PROGRESS line for the bench), and
// the event loop's delay (how long ready work waited).
import { monitorEventLoopDelay } from 'node:perf_hooks';

export class Meter {
  measuring = false;
  private _cpu0 = process.cpuUsage();
  private _peakRss = 0;
  private _peakHeap = 0;
  private readonly _loop = monitorEventLoopDelay({ resolution: 10 });
  private readonly _sampler: NodeJS.Timeout;

  /** `progress()`: the time of the last delivery, printed every 100 ms while measuring. */
  constructor(progress: () => number) {
    this._sampler = setInterval(() => {
      if (!this.measuring) return;
      this.sample();
      process.stdout.write(`PROGRESS ${progress()}\n`);
    }, 100);
  }

  /** Every pod is followed: measure from now, and tell the bench. */
  start(): void {
    this.measuring = true;
    this._cpu0 = process.cpuUsage();
    this._loop.enable();
    process.stdout.write('READY\n');
  }

  sample(): void {
    const m = process.memoryUsage();
    this._peakRss = Math.max(this._peakRss, m.rss);
    this._peakHeap = Math.max(this._peakHeap, m.heapUsed);
  }

  /** The figures since start(); stops sampling. */
  stop(): Record<string, unknown> {
    const cpu = process.cpuUsage(this._cpu0);
    this.sample();
    clearInterval(this._sampler);
    this._loop.disable();
    return {
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      sysSeconds: cpu.system / 1e6,
      peakRssMB: this._peakRss / 2 ** 20,
      peakHeapMB: this._peakHeap / 2 ** 20,
      loopDelayMs: {
        p50: this._loop.percentile(50) / 1e6,
        p99: this._loop.percentile(99) / 1e6,
        max: this._loop.max / 1e6,
      },
    };
  }
}
