// When to validate which document: debounced per document, newest version only, stale runs abandoned.
//
// Validation itself is synchronous (validateText), so "never blocks typing" means: nothing runs while the user is
// still typing (debounce), a run that finds a newer version when it resumes gives up, and a huge file is validated in
// chunks with the event loop free in between (see server.ts), so keystrokes and requests for other documents are
// served between chunks.
import type { Diagnostic } from 'vscode-languageserver';

export interface Versioned {
  uri: string;
  version: number;
}

export interface ValidationQueueHost<D extends Versioned> {
  /** The newest version of an open document, or undefined once closed. */
  current(uri: string): D | undefined;
  /** Validates; returns undefined when it gave up because `isStale()` became true. */
  validate(doc: D, isStale: () => boolean): Promise<Diagnostic[] | undefined>;
  publish(uri: string, version: number, diagnostics: Diagnostic[]): void;
  onError(uri: string, e: unknown): void;
}

interface State {
  timer?: NodeJS.Timeout;
  immediate?: NodeJS.Immediate;
  /** Bumped by every schedule(); a run compares it to know it has been superseded. */
  generation: number;
}

export class ValidationQueue<D extends Versioned> {
  private readonly _state = new Map<string, State>();
  private _queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly _host: ValidationQueueHost<D>,
    readonly debounceMs: number,
  ) {}

  schedule(uri: string, delayMs = this.debounceMs): void {
    let s = this._state.get(uri);
    if (!s) {
      s = { generation: 0 };
      this._state.set(uri, s);
    }
    this._clear(s);
    const generation = ++s.generation;
    const state = s;
    const fire = (): void => {
      state.timer = undefined;
      state.immediate = undefined;
      // Runs are serialised so two chunked validations don't interleave their CPU use.
      this._queue = this._queue.then(() => this._run(uri, state, generation));
    };
    // setTimeout(0) waits at least 1 ms; an opened document is validated on the next turn instead.
    if (delayMs <= 0) state.immediate = setImmediate(fire);
    else state.timer = setTimeout(fire, delayMs);
  }

  private _clear(s: State): void {
    if (s.timer) clearTimeout(s.timer);
    if (s.immediate) clearImmediate(s.immediate);
    s.timer = undefined;
    s.immediate = undefined;
  }

  forget(uri: string): void {
    const s = this._state.get(uri);
    if (s) {
      this._clear(s);
      s.generation++;
    }
    this._state.delete(uri);
  }

  dispose(): void {
    for (const uri of [...this._state.keys()]) this.forget(uri);
  }

  private async _run(uri: string, state: State, generation: number): Promise<void> {
    const doc = this._host.current(uri);
    if (!doc || state.generation !== generation) return;
    const version = doc.version;
    const isStale = (): boolean =>
      state.generation !== generation || this._host.current(uri)?.version !== version;
    try {
      const diagnostics = await this._host.validate(doc, isStale);
      if (diagnostics && !isStale()) this._host.publish(uri, version, diagnostics);
    } catch (e) {
      this._host.onError(uri, e);
    }
  }
}
