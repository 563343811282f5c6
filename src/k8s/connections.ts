// One ClusterConnection per kubeconfig context, leased. The views' scope holds a lease on the current
// context's connection; every user session (log stream, port-forward) holds its own. A connection is disposed
// when its last lease is released, so narrowing namespaces, a Refresh or a settings change (which rebuild the
// views' scope) never cut a session's connection. When the kubeconfig or the trust state changes, `reset()`
// makes the next lease build a new connection, while sessions keep the one they hold until they end.
import type { Disposable } from '../core/lifecycle';
import { ClusterConnection, type ConnectionOptions } from './connection';
import type { Result } from './errors';
import type { MergedKubeconfig } from './kubeconfig';

export interface ConnectionLease extends Disposable {
  readonly connection: ClusterConnection;
}

interface Entry {
  readonly connection: ClusterConnection;
  leases: number;
  /** Replaced by a newer connection for the same context: disposed when its last lease goes. */
  retired: boolean;
}

export class ConnectionPool implements Disposable {
  private readonly _current = new Map<string, Entry>();
  private readonly _all = new Set<Entry>();
  private _disposed = false;

  /**
   * A lease on the connection of `contextName`, creating it from `cfg` when none is live. `cfg` and `opts`
   * are used only when a connection is created.
   */
  lease(cfg: MergedKubeconfig, contextName: string, opts: ConnectionOptions = {}): Result<ConnectionLease> {
    if (this._disposed) throw new Error('connection pool disposed');
    let entry = this._current.get(contextName);
    if (!entry || entry.connection.isDisposed) {
      const created = ClusterConnection.create(cfg, contextName, opts);
      if (!created.ok) return created;
      entry = { connection: created.value, leases: 0, retired: false };
      this._current.set(contextName, entry);
      this._all.add(entry);
    }
    return { ok: true, value: this.leaseOf(entry) };
  }

  /** Another lease on a connection this pool already handed out (a session started from the views' lease). */
  share(connection: ClusterConnection): ConnectionLease | undefined {
    for (const e of this._all)
      if (e.connection === connection && !connection.isDisposed) return this.leaseOf(e);
    return undefined;
  }

  private leaseOf(e: Entry): ConnectionLease {
    e.leases++;
    let released = false;
    return {
      connection: e.connection,
      dispose: () => {
        if (released) return;
        released = true;
        if (--e.leases === 0) this.close(e);
      },
    };
  }

  /** How many leases are held on the context's current connection (tests and the log). */
  leases(contextName: string): number {
    return this._current.get(contextName)?.leases ?? 0;
  }

  /** Live connections, retired ones still held by sessions included. */
  get size(): number {
    return this._all.size;
  }

  /**
   * The kubeconfig, settings or trust changed: the next lease of `contextName` (every context when omitted)
   * builds a new connection. Held leases keep theirs.
   */
  reset(contextName?: string): void {
    for (const [name, e] of [...this._current]) {
      if (contextName !== undefined && name !== contextName) continue;
      this._current.delete(name);
      e.retired = true;
      if (e.leases === 0) this.close(e);
    }
  }

  private close(e: Entry): void {
    // A current connection with no lease stays cached only if someone leases it again soon; keeping it
    // alive without a holder would keep watches open, so it closes now and the next lease reconnects.
    this._all.delete(e);
    for (const [name, cur] of this._current) if (cur === e) this._current.delete(name);
    e.connection.dispose();
  }

  dispose(): void {
    this._disposed = true;
    for (const e of [...this._all]) e.connection.dispose();
    this._all.clear();
    this._current.clear();
  }
}
