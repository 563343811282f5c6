// Reads a streaming response (watch events, followed logs) as lines: an inactivity watchdog notices dead
// connections (a half-open TCP connection never errors), abort() ends it from our side, and the outcome is
// one value: undefined for a clean end, else the error. Shared by WatchCache and pod logs.
import type { Readable } from 'node:stream';
import { LineDecoder, type LineDecoderOptions } from '../core/lines';
import { classifyError, type K8sError } from './errors';
import { realTimers, type Timers } from './timing';

/** K8sError.reason of an inactivity abort: the owner renews at once rather than backing off. */
export const INACTIVE_REASON = 'GantryStreamInactive';

export interface LineStreamOptions extends LineDecoderOptions {
  readonly timers?: Timers;
  /** Abort when no byte arrived for this long (ms); 0 or undefined: no watchdog. */
  readonly inactivityMs?: number;
  /** Named in network error messages. */
  readonly server?: string;
  /**
   * Read at most once per this many ms (0 or undefined: once per turn of the event loop). A followed log's
   * lines then wait up to this long, and a flood is read in batches of hundreds of lines instead of a few per
   * turn: what reading costs per batch (decoding, splitting, delivering) is shared by more lines.
   */
  readonly readEveryMs?: number;
}

export interface LineStreamHandlers {
  /** Lines completed by one chunk, in order. Return an error to end the stream with it. */
  onLines(lines: string[]): K8sError | undefined | void;
  /** The first bytes arrived (data flows: the owner may reset its backoff). */
  onFirstData?(): void;
}

export interface LineStream {
  /** Resolves once: undefined on a clean end or abort(), else the error. */
  readonly done: Promise<K8sError | undefined>;
  /** Stops reading and destroys the body; `done` resolves with undefined. */
  abort(): void;
  /** Bytes read so far. */
  readonly bytes: number;
}

export function readLines(body: Readable, h: LineStreamHandlers, o: LineStreamOptions = {}): LineStream {
  const timers = o.timers ?? realTimers;
  const dec = new LineDecoder(o);
  let bytes = 0;
  let finish!: (e: K8sError | undefined) => void;
  const done = new Promise<K8sError | undefined>((resolve) => {
    let ended = false;
    let watchdog: unknown;
    let gotData = false;
    /** When the last bytes arrived (timers.now()). */
    let lastData = 0;
    /** A read is scheduled for this turn of the event loop (see drain). */
    let scheduled = false;
    finish = (e) => {
      if (ended) return;
      ended = true;
      timers.clearTimeout(watchdog);
      body.removeListener('readable', onReadable);
      body.destroy();
      resolve(e);
    };
    const ms = o.inactivityMs ?? 0;
    // One timer for the stream's life, not one per chunk: data only notes the time, and the timer, when it
    // fires, sleeps again for what is left (a log flood arrives in tens of thousands of chunks a second).
    const watch = (wait: number) => {
      watchdog = timers.setTimeout(() => {
        if (ended) return;
        // Bytes waiting for this turn's read count as data.
        const quiet = scheduled ? 0 : timers.now() - lastData;
        if (quiet < ms) return watch(ms - quiet);
        finish({
          kind: 'unreachable',
          reason: INACTIVE_REASON,
          message: `No data from the cluster for ${Math.round(ms / 1000)} s; reconnecting.`,
        });
      }, wait);
    };
    const deliver = (lines: string[]) => {
      if (lines.length === 0 || ended) return;
      const r = h.onLines(lines);
      if (r) finish(r);
    };
    // Paused mode, read once per turn of the event loop: an apiserver flushes a followed log line by line, so a
    // flood arrives as one TLS record per line, each its own 'data' event. Reading in setImmediate, after the
    // poll phase parsed every record that came in, takes them all at once: one pass (decode, split, deliver,
    // emit) for hundreds of lines instead of one per line.
    const drain = () => {
      scheduled = false;
      let chunk: Buffer | string | null;
      while (!ended && (chunk = body.read() as Buffer | string | null) !== null) {
        lastData = timers.now();
        bytes += chunk.length;
        if (!gotData) {
          gotData = true;
          h.onFirstData?.();
        }
        deliver(dec.push(chunk));
      }
    };
    const every = o.readEveryMs ?? 0;
    const onReadable = () => {
      if (scheduled || ended) return;
      scheduled = true;
      if (every > 0) setTimeout(drain, every);
      else setImmediate(drain);
    };
    lastData = timers.now();
    if (ms) watch(ms);
    body.on('readable', onReadable);
    body.on('end', () => {
      deliver(dec.end());
      finish(undefined);
    });
    body.on('error', (e) => finish(ended ? undefined : classifyError(e, o.server)));
    body.on('aborted', () =>
      finish({ kind: 'unreachable', message: 'The connection was closed by the cluster; reconnecting.' }),
    );
    body.on('close', () => {
      // A body destroyed without 'end' or 'error' (the socket went away): not a clean end.
      if (!ended)
        finish({ kind: 'unreachable', message: 'The connection was closed by the cluster; reconnecting.' });
    });
  });
  return {
    done,
    abort: () => finish(undefined),
    get bytes() {
      return bytes;
    },
  };
}
