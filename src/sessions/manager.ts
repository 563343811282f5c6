// Lives as long as the extension: every user session is added here, listed by the Sessions view, and stopped
// explicitly: by the user, on a context switch (with the reason) and on deactivate.
import { Emitter, type Disposable } from '../core/lifecycle';
import type { UserSession } from './session';

export class SessionManager implements Disposable {
  private readonly _sessions = new Map<string, { session: UserSession; sub: Disposable }>();
  private readonly _onDidChange = new Emitter<void>();
  private _seq = 0;
  /** Fires when a session is added, changes state or detail, or is removed. */
  readonly onDidChange = this._onDidChange.event;

  /** A fresh id for a new session ("logs-3"). */
  nextId(prefix: string): string {
    return `${prefix}-${++this._seq}`;
  }

  /** Takes ownership of `s`; ended sessions stay listed (with their reason) until removed or cleared. */
  add<T extends UserSession>(s: T): T {
    const sub = s.onDidChange(() => this._onDidChange.fire());
    this._sessions.set(s.id, { session: s, sub });
    this._onDidChange.fire();
    return s;
  }

  get(id: string): UserSession | undefined {
    return this._sessions.get(id)?.session;
  }

  list(): UserSession[] {
    return [...this._sessions.values()].map((e) => e.session);
  }

  /** Stops one session (it stays listed as ended). */
  stop(id: string, reason = 'stopped'): void {
    this._sessions.get(id)?.session.stop(reason);
  }

  /** Stops and forgets one session. */
  remove(id: string): void {
    const e = this._sessions.get(id);
    if (!e) return;
    this._sessions.delete(id);
    e.sub.dispose();
    e.session.dispose();
    this._onDidChange.fire();
  }

  /** Forgets the sessions that have ended. */
  clearEnded(): void {
    for (const [id, e] of [...this._sessions]) {
      if (e.session.state === 'ended' || e.session.state === 'failed') {
        this._sessions.delete(id);
        e.sub.dispose();
        e.session.dispose();
      }
    }
    this._onDidChange.fire();
  }

  /** Stops every running session whose context is not `keep` (a context switch), with the reason. */
  stopOtherContexts(keep: string | undefined, reason: string): number {
    let n = 0;
    for (const { session } of this._sessions.values()) {
      if (session.context === keep || session.state === 'ended' || session.state === 'failed') continue;
      session.stop(reason);
      n++;
    }
    return n;
  }

  stopAll(reason: string): void {
    for (const { session } of this._sessions.values()) session.stop(reason);
  }

  dispose(): void {
    this.stopAll('Gantry stopped');
    for (const e of this._sessions.values()) {
      e.sub.dispose();
      e.session.dispose();
    }
    this._sessions.clear();
    this._onDidChange.dispose();
  }
}
