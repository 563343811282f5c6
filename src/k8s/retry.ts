// The reconnect loop shared by watch caches and log follows: run an attempt, and after it renew at once (a
// clean end, an inactivity abort), retry quietly (a few 429s), wait long (forbidden) or back off with jitter
// (anything else), reporting health on the way. Sleeping is cancellable: retryNow() and dispose() wake it.
import { Emitter, type Disposable } from '../core/lifecycle';
import type { K8sError } from './errors';
import { INACTIVE_REASON } from './lineStream';
import { Backoff, realTimers, type Timers } from './timing';

export type Health =
  | { readonly state: 'connecting' }
  | { readonly state: 'connected'; readonly since: number }
  | {
      readonly state: 'reconnecting';
      readonly since: number;
      readonly lastError: K8sError;
      readonly attempt: number;
    }
  | { readonly state: 'forbidden'; readonly error: K8sError }
  | { readonly state: 'stopped' };

/** What the owner makes of an error before the default handling. */
export type ErrorVerdict = 'again' | 'stop' | 'default';

export interface RetryOptions {
  readonly timers?: Timers;
  readonly backoff?: Backoff;
  readonly random?: () => number;
  /** Delay before trying a forbidden resource again (ms). */
  readonly forbiddenRetryMs?: number;
  /** Quiet one-second retries of 429 before it counts as a failure. */
  readonly tooManyRequestsRetries?: number;
  /**
   * Called for each error that is not an inactivity abort or a quiet 429 retry: 'again' retries at once,
   * 'stop' ends the loop, 'default' waits (forbidden) or backs off.
   */
  readonly onError?: (e: K8sError) => ErrorVerdict;
}

export class RetryLoop implements Disposable {
  private readonly _onDidChangeHealth = new Emitter<Health>();
  readonly onDidChangeHealth = this._onDidChangeHealth.event;
  private readonly _timers: Timers;
  readonly backoff: Backoff;
  private _health: Health = { state: 'connecting' };
  private _tooManyRequests = 0;
  private _disposed = false;
  private _sleep?: { timer: unknown; resolve: () => void };

  constructor(private readonly _opts: RetryOptions = {}) {
    this._timers = _opts.timers ?? realTimers;
    this.backoff = _opts.backoff ?? new Backoff({ random: _opts.random });
  }

  get health(): Health {
    return this._health;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /**
   * Runs `attempt` until disposed or an error is judged 'stop'. An attempt resolves with undefined to be
   * renewed at once, or an error; it may throw only after dispose().
   */
  async run(attempt: () => Promise<K8sError | undefined>): Promise<void> {
    while (!this._disposed) {
      let err: K8sError | undefined;
      try {
        err = await attempt();
      } catch (e) {
        if (this._disposed) return;
        throw e;
      }
      if (this._disposed) return;
      if (!err || err.reason === INACTIVE_REASON) {
        // A clean end (e.g. the watch timeout) or a quiet stream: renew at once. If the connection is dead
        // the next request fails and that failure is reported.
        continue;
      }
      // The apiserver said how long to wait (API Priority and Fairness sends Retry-After with every 429).
      const asked = err.status === 429 ? (err.retryAfterMs ?? 1000) : (err.retryAfterMs ?? 0);
      if (err.status === 429 && this._tooManyRequests < (this._opts.tooManyRequestsRetries ?? 5)) {
        // "storage is (re)initializing" and other throttling: quiet retries before reporting it.
        this._tooManyRequests++;
        await this.sleep(asked);
        continue;
      }
      const verdict = this._opts.onError?.(err) ?? 'default';
      if (verdict === 'again') continue;
      if (verdict === 'stop') return;
      if (err.kind === 'forbidden') {
        this.setHealth({ state: 'forbidden', error: err });
        await this.sleep(this._opts.forbiddenRetryMs ?? 5 * 60_000);
        continue;
      }
      const prev = this._health;
      // Never sooner than the server asked.
      const delay = Math.max(this.backoff.next(), asked);
      this.setHealth({
        state: 'reconnecting',
        since: prev.state === 'reconnecting' ? prev.since : this._timers.now(),
        lastError: err,
        attempt: this.backoff.attempt,
      });
      await this.sleep(delay);
    }
  }

  /** The server answered: health is connected and later 429s are quiet again. */
  connected(): void {
    this._tooManyRequests = 0;
    this.setHealth({ state: 'connected', since: this._timers.now() });
  }

  /** Data flows again: the next failure starts from the shortest backoff. */
  dataFlows(): void {
    this.backoff.reset();
  }

  /** Skip the remaining wait and try now (e.g. the user pressed Retry). */
  retryNow(): void {
    const s = this._sleep;
    if (s) {
      this._timers.clearTimeout(s.timer);
      this._sleep = undefined;
      s.resolve();
    }
  }

  sleep(ms: number): Promise<void> {
    if (this._disposed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this._timers.setTimeout(() => {
        this._sleep = undefined;
        resolve();
      }, ms);
      this._sleep = { timer, resolve };
    });
  }

  private setHealth(h: Health): void {
    const prev = this._health;
    if (prev.state === h.state && h.state !== 'reconnecting') return;
    this._health = h;
    this._onDidChangeHealth.fire(h);
  }

  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    this.retryNow();
    this.setHealth({ state: 'stopped' });
    this._onDidChangeHealth.dispose();
  }
}
