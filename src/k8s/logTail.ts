// The last lines of one container's log, read once (no follow), bounded by tailLines and limitBytes: what the
// failure explanation reads of each rank when a training job fails or a rank restarts.
import { MAX_LINE_CHARS } from '../core/lines';
import { fail, ok, type Result } from './errors';
import { INACTIVE_REASON, readLines } from './lineStream';
import { podLogPath, forbiddenLogMessage, type ContainerRef } from './podLogs';
import type { Timers } from './timing';
import type { KubeTransport } from './transport';

export interface TailOptions {
  readonly tailLines: number;
  /** The apiserver stops after this many bytes (a rank that printed megabytes of one line stays cheap). */
  readonly limitBytes: number;
  /** The previous (terminated) instance of a restarted container. */
  readonly previous?: boolean;
  /** A server that keeps a finished log open is read until it goes quiet this long. */
  readonly quietMs?: number;
  readonly timers?: Timers;
}

/** The tail with the apiserver's timestamps (`timestamps=true`), oldest first. */
export async function readLogTail(
  t: KubeTransport,
  ref: ContainerRef,
  o: TailOptions,
): Promise<Result<string[]>> {
  const res = await t.stream(podLogPath(ref), {
    query: {
      container: ref.container,
      tailLines: o.tailLines,
      limitBytes: o.limitBytes,
      timestamps: true,
      previous: o.previous || undefined,
    },
    headersTimeoutMs: 15_000,
  });
  if (!res.ok) {
    if (res.error.kind === 'forbidden')
      return fail({ ...res.error, message: forbiddenLogMessage(ref.namespace) });
    return res;
  }
  const lines: string[] = [];
  const stream = readLines(
    res.value,
    {
      onLines: (batch) => {
        lines.push(...batch);
        // tailLines bounds what the server sends; this bounds what a server that ignores it could send.
        if (lines.length > o.tailLines) lines.splice(0, lines.length - o.tailLines);
      },
    },
    {
      inactivityMs: o.quietMs ?? 3000,
      maxLineChars: MAX_LINE_CHARS,
      collapseCarriageReturns: true,
      timers: o.timers,
      server: t.server,
    },
  );
  const err = await stream.done;
  if (err && err.reason !== INACTIVE_REASON) return fail(err);
  return ok(lines);
}
