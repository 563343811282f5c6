// When a crashed language server may be restarted: at most `max` restarts within `windowMs`, then it stays down
// until the user restarts it (no restart loop). Pure so it is tested without an editor.

export class RestartPolicy {
  private _crashes: number[] = [];

  constructor(
    readonly max = 4,
    readonly windowMs = 3 * 60_000,
    private readonly _now: () => number = Date.now,
  ) {}

  /** Records a crash; true when the server may be restarted automatically. */
  crashed(): boolean {
    const now = this._now();
    this._crashes = this._crashes.filter((t) => now - t < this.windowMs);
    this._crashes.push(now);
    return this._crashes.length <= this.max;
  }

  /** A manual restart starts a new window. */
  reset(): void {
    this._crashes = [];
  }
}
