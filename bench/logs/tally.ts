// Order, loss, repeats and latency per pod from lines `p=<phase> seq=<n> t=<write ms> ...`.
const RE = /^p=(\S+) seq=(\d+) t=(\d+)/;

interface PodTally {
  seen: Uint8Array;
  unique: number;
  max: number;
  outOfOrder: number;
  repeated: number;
}

export class Tally {
  pods = 8;
  private readonly _byPod = new Map<string, PodTally>();
  /** Latency histogram in 1 ms buckets up to 10 min (bounded memory, unlike one number per line). */
  private readonly _lat = new Uint32Array(600_001);
  private _count = 0;
  private _completed = 0;
  first = 0;
  last = 0;
  /** The write time of the line last given to add(); NaN when it was not one of this phase's. */
  lastWrittenAt = NaN;

  constructor(
    private readonly _phase: string,
    private readonly _expected: number,
  ) {}

  /**
   * Counts one delivered line; true when it completed its pod (every line seen). `latency` false: the caller
   * records the line's latency itself later (`latency()`, with `lastWrittenAt`), e.g. when it reaches the terminal.
   */
  add(pod: string, text: string, now: number, latency = true): boolean {
    // One match per line: the follower's own CPU is measured, and this runs in it for every line.
    const m = RE.exec(text);
    if (!m || m[1] !== this._phase) {
      this.lastWrittenAt = NaN;
      return false;
    }
    const seq = Number(m[2]);
    this.lastWrittenAt = Number(m[3]);
    if (latency) this.latency(now - this.lastWrittenAt);
    this._count++;
    if (!this.first) this.first = now;
    this.last = now;
    let t = this._byPod.get(pod);
    if (!t) {
      t = { seen: new Uint8Array(this._expected), unique: 0, max: -1, outOfOrder: 0, repeated: 0 };
      this._byPod.set(pod, t);
    }
    if (t.seen[seq]) {
      t.repeated++;
      return false;
    }
    t.seen[seq] = 1;
    t.unique++;
    if (seq < t.max) t.outOfOrder++;
    else t.max = seq;
    if (t.unique === this._expected) {
      this._completed++;
      return true;
    }
    return false;
  }

  latency(ms: number): void {
    this._lat[Math.max(0, Math.min(600_000, ms))]!++;
  }

  complete(): boolean {
    return this._completed >= this.pods;
  }

  report(): Record<string, unknown> {
    const q = (p: number) => {
      const want = Math.min(this._count, Math.floor(this._count * p) + 1);
      let acc = 0;
      for (let ms = 0; ms < this._lat.length; ms++) if ((acc += this._lat[ms]!) >= want) return ms;
      return NaN;
    };
    const perPod: Record<string, { delivered: number; lost: number; outOfOrder: number; repeated: number }> =
      {};
    for (const [pod, t] of [...this._byPod].sort(([a], [b]) => a.localeCompare(b)))
      perPod[pod] = {
        delivered: t.unique,
        lost: this._expected - t.unique,
        outOfOrder: t.outOfOrder,
        repeated: t.repeated,
      };
    return {
      delivered: this._count,
      seconds: (this.last - this.first) / 1000,
      linesPerSecond: this._count / Math.max(0.001, (this.last - this.first) / 1000),
      p50: q(0.5),
      p95: q(0.95),
      perPod,
    };
  }
}
