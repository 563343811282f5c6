// Reconnect backoff, jitter and change batching: small pieces with an injectable clock so unit tests run
// without waiting.

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // Timers of watches must not keep the extension host (or a test process) alive.
    (t as { unref?: () => void }).unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface BackoffOptions {
  /** First delay (ms). */
  readonly initialMs?: number;
  /** Upper bound of the delay before jitter (ms). */
  readonly maxMs?: number;
  readonly factor?: number;
  /** Fraction of the delay that is random: delay * (1 - jitter/2 + random * jitter). */
  readonly jitter?: number;
  readonly random?: () => number;
}

/** Exponential backoff with jitter: 0.5 s, 1 s, 2 s ... capped at 30 s, each +/- 25 %, reset on success. */
export class Backoff {
  private _attempt = 0;
  private readonly _initial: number;
  private readonly _max: number;
  private readonly _factor: number;
  private readonly _jitter: number;
  private readonly _random: () => number;

  constructor(o: BackoffOptions = {}) {
    this._initial = o.initialMs ?? 500;
    this._max = o.maxMs ?? 30_000;
    this._factor = o.factor ?? 2;
    this._jitter = o.jitter ?? 0.5;
    this._random = o.random ?? Math.random;
  }

  get attempt(): number {
    return this._attempt;
  }

  /** The delay before the next attempt; each call moves one step up. */
  next(): number {
    const base = Math.min(this._max, this._initial * Math.pow(this._factor, this._attempt));
    this._attempt++;
    return Math.round(base * (1 - this._jitter / 2 + this._random() * this._jitter));
  }

  reset(): void {
    this._attempt = 0;
  }
}

/** `base` seconds plus a random share of up to `fraction` of it (spreads watch timeouts over clients). */
export function jittered(base: number, fraction: number, random: () => number = Math.random): number {
  return Math.round(base + base * fraction * random());
}

export interface ChangeSet<T> {
  readonly added: ReadonlyMap<string, T>;
  readonly modified: ReadonlyMap<string, T>;
  /** Deleted objects, last known state. */
  readonly deleted: ReadonlyMap<string, T>;
}

export function isEmptyChangeSet<T>(c: ChangeSet<T>): boolean {
  return c.added.size === 0 && c.modified.size === 0 && c.deleted.size === 0;
}

/**
 * Coalesces per-object changes (keyed by uid) within a window and flushes one change set.
 * Sequences collapse: added+modified = added, added+deleted = nothing, deleted+added = modified,
 * modified+deleted = deleted.
 */
export class ChangeBatcher<T> {
  private _added = new Map<string, T>();
  private _modified = new Map<string, T>();
  private _deleted = new Map<string, T>();
  private _timer: unknown;

  constructor(
    private readonly _flush: (c: ChangeSet<T>) => void,
    private readonly _windowMs: number = 50,
    private readonly _timers: Timers = realTimers,
  ) {}

  added(key: string, obj: T): void {
    if (this._deleted.delete(key)) this._modified.set(key, obj);
    else this._added.set(key, obj);
    this.schedule();
  }

  modified(key: string, obj: T): void {
    if (this._added.has(key)) this._added.set(key, obj);
    else this._modified.set(key, obj);
    this.schedule();
  }

  deleted(key: string, obj: T): void {
    if (this._added.delete(key)) {
      this.schedule();
      return;
    }
    this._modified.delete(key);
    this._deleted.set(key, obj);
    this.schedule();
  }

  get pending(): boolean {
    return this._added.size + this._modified.size + this._deleted.size > 0;
  }

  private schedule(): void {
    if (this._timer === undefined) {
      this._timer = this._timers.setTimeout(() => {
        this._timer = undefined;
        this.flush();
      }, this._windowMs);
    }
  }

  /** Emits what is pending now (also used when a relist completes, so the view sees it at once). */
  flush(): void {
    if (this._timer !== undefined) {
      this._timers.clearTimeout(this._timer);
      this._timer = undefined;
    }
    const c: ChangeSet<T> = { added: this._added, modified: this._modified, deleted: this._deleted };
    this._added = new Map();
    this._modified = new Map();
    this._deleted = new Map();
    if (!isEmptyChangeSet(c)) this._flush(c);
  }

  dispose(): void {
    if (this._timer !== undefined) this._timers.clearTimeout(this._timer);
    this._timer = undefined;
    this._added.clear();
    this._modified.clear();
    this._deleted.clear();
  }
}
