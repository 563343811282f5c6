// Disposables without vscode: the k8s/ and core/ layers own long-lived things through these.

export interface Disposable {
  dispose(): void;
}

/** Owns disposables and disposes them in reverse order, once. */
export class DisposableStore implements Disposable {
  private readonly _items: Disposable[] = [];
  private _disposed = false;

  get isDisposed(): boolean {
    return this._disposed;
  }

  add<T extends Disposable>(item: T): T {
    if (this._disposed) {
      item.dispose();
    } else {
      this._items.push(item);
    }
    return item;
  }

  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    const errors: unknown[] = [];
    for (const item of this._items.splice(0).reverse()) {
      try {
        item.dispose();
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'several disposables failed');
  }
}

export function toDisposable(fn: () => void): Disposable {
  let done = false;
  return {
    dispose() {
      if (!done) {
        done = true;
        fn();
      }
    },
  };
}

/** A minimal typed event emitter, shaped like vscode.EventEmitter so views can forward it. */
export class Emitter<T> implements Disposable {
  private _listeners = new Set<(e: T) => void>();

  readonly event = (listener: (e: T) => void): Disposable => {
    this._listeners.add(listener);
    return toDisposable(() => this._listeners.delete(listener));
  };

  fire(e: T): void {
    for (const l of [...this._listeners]) l(e);
  }

  dispose(): void {
    this._listeners.clear();
  }
}
