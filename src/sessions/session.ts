// A user session: something long-lived the user started (a log stream, a port-forward). It holds a lease on
// its context's connection, is listed in the Sessions view, and ends only when the user stops it, its panel
// closes, the context is switched (with the reason shown) or the extension deactivates. Never on a namespace
// change, a Refresh, a trust grant or a settings change. No vscode import: cluster tests drive sessions as-is.
import { DisposableStore, Emitter, type Disposable } from '../core/lifecycle';

export type SessionKind = 'logs' | 'portForward';

/** starting -> live <-> waiting | reconnecting -> ended | failed. */
export type SessionState = 'starting' | 'live' | 'waiting' | 'reconnecting' | 'ended' | 'failed';

export interface SessionInfo {
  readonly id: string;
  readonly kind: SessionKind;
  /** Kubeconfig context the session runs against. */
  readonly context: string;
  /** What it targets, for the Sessions view: "PyTorchJob team-a/bert", "pod team-a/nb-0:8888". */
  readonly target: string;
  readonly state: SessionState;
  /** One short line: "12,345 lines", "http://127.0.0.1:40123/notebook/…", "waiting for a Ready pod". */
  readonly detail: string;
  /** Why it ended or failed, when it did. */
  readonly endReason?: string;
}

export interface UserSession extends SessionInfo, Disposable {
  readonly onDidChange: (listener: (s: UserSession) => void) => Disposable;
  /** A local URL the session serves (port-forwards): the Sessions view offers Open and Copy URL. */
  readonly url?: string;
  /** Brings the session's panel forward (log streams); set by the editor layer that created the panel. */
  show?(): void;
  /** Ends the session with a reason the user sees ("stopped", "context switched to prod"). Idempotent. */
  stop(reason: string): void;
}

/** Shared plumbing: state, detail, change events, a store that is disposed when the session ends. */
export abstract class BaseSession implements UserSession {
  protected readonly store = new DisposableStore();
  private readonly _onDidChange = new Emitter<UserSession>();
  readonly onDidChange = this._onDidChange.event;
  private _state: SessionState = 'starting';
  private _detail = '';
  private _endReason: string | undefined;

  constructor(
    readonly id: string,
    readonly kind: SessionKind,
    readonly context: string,
    readonly target: string,
  ) {}

  get state(): SessionState {
    return this._state;
  }
  get detail(): string {
    return this._detail;
  }
  get endReason(): string | undefined {
    return this._endReason;
  }
  get isEnded(): boolean {
    return this._state === 'ended' || this._state === 'failed';
  }

  protected setState(state: SessionState, detail?: string): void {
    if (this.isEnded) return;
    const d = detail ?? this._detail;
    if (state === this._state && d === this._detail) return;
    this._state = state;
    this._detail = d;
    this._onDidChange.fire(this);
  }

  protected setDetail(detail: string): void {
    this.setState(this._state, detail);
  }

  /** Ends the session: releases everything in `store` (the connection lease among it) and tells listeners. */
  protected end(state: 'ended' | 'failed', reason: string): void {
    if (this.isEnded) return;
    this._endReason = reason;
    this._state = state;
    try {
      this.store.dispose();
    } finally {
      this._onDidChange.fire(this);
    }
  }

  stop(reason: string): void {
    this.end('ended', reason);
  }

  dispose(): void {
    this.stop('stopped');
    this._onDidChange.dispose();
  }
}
