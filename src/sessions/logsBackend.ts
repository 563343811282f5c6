// Starts log sessions: the half of Follow Logs that needs the Kubernetes client, so it lives in the lazily
// loaded services bundle (the command and the panel stay in the activation bundle and import this as a type).
import type { KindRef } from '../core/kube';
import type { ConnectionLease } from '../k8s/connections';
import { LogSession, type LogOptions, type LogTarget, type TrackPods } from './logFollow';
import type { SessionManager } from './manager';

export class LogsBackend {
  constructor(
    private readonly _sessions: SessionManager,
    private readonly _trackPods: TrackPods,
  ) {}

  /** A started session, listed in the Sessions view; it owns `lease` and releases it when it ends. */
  start(
    lease: ConnectionLease,
    target: LogTarget,
    options: LogOptions,
    o: { maxLines?: number; kinds?: readonly KindRef[] } = {},
  ): LogSession {
    const s = new LogSession(
      this._sessions.nextId('logs'),
      target,
      { lease, trackPods: this._trackPods, maxLines: o.maxLines, kinds: o.kinds },
      options,
    );
    this._sessions.add(s);
    void s.start();
    return s;
  }
}
