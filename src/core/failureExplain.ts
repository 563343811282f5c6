// Why did the training job fail: the last lines of each rank and its container state, read the way an ML
// engineer reads them. Each cause gets plain words, what to do and the line that proves it. Causes that are
// consequences of another rank's death (NCCL watchdog timeouts, ncclRemoteError, connection resets) never win
// over a rank's own error; among a rank's own errors the earliest wins (apiserver timestamps when the lines
// have them, else the container's finishedAt), so "the master ran out of GPU memory, then the workers timed out"
// names the master. Pure and bounded: one pass over at most a few hundred lines per rank.

import { compareLabels, parseTimestamp } from './logMerge';
import { splitRankPrefix } from './trainingProgress';

export type FailureCause =
  | 'cudaOom'
  | 'hostOom'
  | 'oomKiller'
  | 'shm'
  | 'segfault'
  | 'imagePull'
  | 'childFailed'
  | 'traceback'
  | 'exitCode'
  | 'ncclTimeout'
  | 'ncclRemote'
  | 'connectionReset';

/** Consequences: a rank that waited for a dead or hung peer. */
const SECONDARY = new Set<FailureCause>(['ncclTimeout', 'ncclRemote', 'connectionReset']);

/** Most specific first, for ranks whose errors carry no time. */
const SPECIFICITY: FailureCause[] = [
  'cudaOom',
  'hostOom',
  'shm',
  'segfault',
  'oomKiller',
  'imagePull',
  'childFailed',
  'traceback',
  'exitCode',
  'ncclRemote',
  'ncclTimeout',
  'connectionReset',
];

/** One rank (a pod's main container): its log tail and how the container ended or waits. */
export interface RankLog {
  /** The tree's label: `master-0`, `worker-3`. */
  readonly label: string;
  /** The tail, oldest first; lines may start with the apiserver's RFC3339 timestamp (`timestamps=true`). */
  readonly lines: readonly string[];
  /** The container's termination (current, or the last one before a restart). */
  readonly exit?: {
    readonly reason?: string;
    readonly exitCode?: number;
    readonly finishedAt?: string;
    readonly message?: string;
  };
  /** A container that cannot start: ImagePullBackOff, ErrImagePull, CreateContainerConfigError… */
  readonly waiting?: { readonly reason: string; readonly message?: string };
  /** The tail is the previous container's (read after a restart). */
  readonly previous?: boolean;
}

export interface Evidence {
  readonly label: string;
  /** The line as read, without its timestamp; a line Gantry wrote from the container state is in brackets. */
  readonly line: string;
  /** Index in the rank's `lines`, or -1 for a fact from the container state. */
  readonly index: number;
  /** The apiserver's timestamp of the line, when it had one. */
  readonly ts?: string;
}

export interface Finding {
  readonly cause: FailureCause;
  readonly label: string;
  /** The process rank printed in the line (`[rank5]:`, `[Rank 5]`), when there is one. */
  readonly rank?: number;
  /** "CUDA OOM on worker-3: tried to allocate 2.5 GiB, 1.1 GiB free". */
  readonly headline: string;
  /** What happened, in plain words. */
  readonly detail: string;
  /** What to do about it. */
  readonly action: string;
  readonly evidence?: Evidence;
  /** For a Python error: the innermost frame (`train.py:42 in forward`). */
  readonly frame?: string;
  /** Sortable time key (see logMerge parseTimestamp), when known. */
  readonly at?: string;
}

export interface FailureExplanation {
  /** The first failure: what to fix. */
  readonly root: Finding;
  /** What the other ranks reported (often consequences of the root). */
  readonly others: readonly Finding[];
}

// ------------------------------------------------------------------------------------------------- words

const SIZE = '(\\d+(?:\\.\\d+)?\\s*[KMGT]i?B|0 bytes)';

/** "2.50 GiB" -> "2.5 GiB"; "0 bytes" stays. */
export function tidySize(s: string): string {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]i?B)$/.exec(s.trim());
  if (!m) return s.trim();
  return `${Number(m[1])} ${m[2]}`;
}

function who(label: string, rank: number | undefined): string {
  if (rank === undefined || label.endsWith(`-${rank}`)) return label;
  return `${label} (rank ${rank})`;
}

function signalName(code: number): string | undefined {
  const sig = code < 0 ? -code : code > 128 ? code - 128 : undefined;
  return sig === 9
    ? 'SIGKILL'
    : sig === 11
      ? 'SIGSEGV'
      : sig === 7
        ? 'SIGBUS'
        : sig === 6
          ? 'SIGABRT'
          : undefined;
}

const ACTIONS: Record<FailureCause, string> = {
  cudaOom:
    'Lower the per-GPU batch size (keep the global batch with gradient accumulation), turn on gradient (activation) checkpointing, or shard the model and optimizer (FSDP, DeepSpeed ZeRO). When much memory is reserved but unallocated, set PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True.',
  hostOom:
    'Raise the container’s resources.limits.memory, or use less host memory: fewer DataLoader workers, a dataset read lazily or memory-mapped instead of loaded whole.',
  oomKiller:
    'The kernel killed the process for using too much host memory: raise resources.limits.memory or use less (fewer DataLoader workers, a lazily read dataset).',
  shm: 'Mount an emptyDir with medium: Memory at /dev/shm (containers get 64 MiB of shared memory by default; DataLoader workers and NCCL need more), or lower DataLoader num_workers.',
  segfault:
    'A native library crashed. Check that the CUDA, NCCL and PyTorch versions of the image match, try num_workers=0 to rule out DataLoader workers, and run with PYTHONFAULTHANDLER=1 to get the Python stack.',
  imagePull:
    'Check that the image name and tag exist and that the node can pull it: imagePullSecrets for a private registry, the registry reachable from the cluster.',
  childFailed:
    'Fix the error of the rank that failed first (torchrun’s root cause); the other ranks stopped because of it.',
  traceback: 'Fix the error in the innermost frame of the traceback.',
  exitCode: 'Read the last lines of this rank for the error.',
  ncclTimeout:
    'This rank waited for a collective the other ranks never joined: fix the rank that failed or hung first. If none failed, look for a rank stuck in data loading or a checkpoint save, or raise the process group timeout.',
  ncclRemote:
    'A peer rank exited or the network between nodes failed: fix the rank that failed first; if none did, check the nodes’ network (NCCL_DEBUG=INFO names the interface).',
  connectionReset:
    'A peer closed the connection, usually because it died: fix the rank that failed first; if none did, check the network between the nodes.',
};

// ------------------------------------------------------------------------------------------- one rank

interface TraceState {
  frames: string[];
  /** Saw "Traceback (most recent call last):" and at least the header. */
  open: boolean;
}

interface ChildFailed {
  rootRank?: number;
  exitcode?: number;
  host?: string;
  traceback?: string;
  index: number;
  line: string;
  at?: string;
  ts?: string;
}

interface RankScan {
  findings: Finding[];
  childFailed?: ChildFailed;
  /** Time key of the rank's last line (when its lines carry timestamps). */
  lastAt?: string;
}

function finding(
  r: RankLog,
  cause: FailureCause,
  rank: number | undefined,
  headline: string,
  detail: string,
  ev: { line: string; index: number; ts?: string; at?: string } | undefined,
  frame?: string,
): Finding {
  const f: Finding = {
    cause,
    label: r.label,
    headline,
    detail,
    action: ACTIONS[cause],
    ...(rank !== undefined ? { rank } : {}),
    ...(ev
      ? { evidence: { label: r.label, line: ev.line, index: ev.index, ...(ev.ts ? { ts: ev.ts } : {}) } }
      : {}),
    ...(ev?.at ? { at: ev.at } : {}),
    ...(frame ? { frame } : {}),
  };
  return f;
}

const CUDA_OOM = /CUDA out of memory\.?(?: Tried to allocate ([^.(]+?(?:\.\d+)?\s*[KMGT]i?B))?/;
const NCCL_TIMEOUT =
  /Watchdog caught collective operation timeout: WorkNCCL\((?:SeqNum=\d+, )?OpType=(\w+)[^)]*?Timeout\(ms\)=(\d+)\)/;
const NCCL_REMOTE = /ncclRemoteError|remote process exited or there was a network error/;
const CONN_RESET =
  /Connection reset by peer|Connection closed by (?:remote )?peer|Broken pipe|DistNetworkError|Socket Timeout|recvValue failed/i;
const SHM =
  /Bus error|out of shared memory|insufficient shared memory|shared memory limit|Error while creating shared memory segment|No space left on device.*\/dev\/shm/i;
const SEGV = /Segmentation fault|SIGSEGV|Signal 11\b|signal: Segmentation fault/;
// A bare `Killed`, or the shell's report of a killed child: `train.sh: line 18:    36 Killed   python3 …`.
const KILLED = /^\s*Killed\s*$|: line \d+:\s+\d+ Killed\s|killed by signal: Killed|Signal 9 \(SIGKILL\)/;

function scanRank(r: RankLog): RankScan {
  const out: Finding[] = [];
  const seen = new Set<string>();
  const add = (f: Finding) => {
    // The first occurrence of each cause per process rank is the evidence; repeats add nothing.
    const key = `${f.cause}|${f.rank ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(f);
  };
  const traces = new Map<number | undefined, TraceState>();
  let cf: ChildFailed | undefined;
  let cfSection: 'header' | 'failures' | 'root' | undefined;
  let lastAt: string | undefined;

  for (let i = 0; i < r.lines.length; i++) {
    const stamped = parseTimestamp(r.lines[i]!);
    const { rank, text } = splitRankPrefix(stamped.text);
    const at = stamped.key;
    if (at) lastAt = at;
    const ev = { line: stamped.text, index: i, ts: stamped.ts, at };
    const inlineRank = (): number | undefined => {
      const m = /\[(?:PG[^\]]*?)?Rank (\d+)\]/.exec(text);
      return m ? Number(m[1]) : rank;
    };

    // --- torchrun's ChildFailedError summary
    if (/ChildFailedError/.test(text)) {
      cf = { index: i, line: stamped.text, at, ts: stamped.ts };
      cfSection = 'header';
      // The agent's own traceback ends here: it is torchrun's, not the training program's.
      traces.delete(rank);
      continue;
    }
    if (cf && cfSection !== undefined) {
      // The summary block: read the root cause, and nothing in it counts as a rank's own line.
      const tt = text.trim();
      if (/^Failures:/.test(tt)) cfSection = 'failures';
      else if (/^Root Cause/.test(tt)) cfSection = 'root';
      else if (/^={10,}/.test(tt) && cfSection === 'root') cfSection = undefined;
      else if (cfSection === 'root') {
        const kv = /^\s*(time|host|rank|exitcode|traceback)\s*:\s*(.*)$/.exec(text);
        if (kv) {
          const v = kv[2]!.trim();
          if (kv[1] === 'rank') cf.rootRank = Number(/^(\d+)/.exec(v)?.[1]);
          else if (kv[1] === 'exitcode') cf.exitcode = Number(/^(-?\d+)/.exec(v)?.[1]);
          else if (kv[1] === 'host') cf.host = v;
          else if (kv[1] === 'traceback' && !/To enable traceback/.test(v)) cf.traceback = v;
        }
      }
      continue;
    }

    // --- Python tracebacks, one per process rank (interleaved local ranks keep their own)
    let t = traces.get(rank);
    if (/^\s*Traceback \(most recent call last\):/.test(text)) {
      traces.set(rank, (t = { frames: [], open: true }));
      continue;
    }
    if (t?.open) {
      const fm = /^\s+File "([^"]+)", line (\d+), in (.+)$/.exec(text);
      if (fm) {
        t.frames.push(`${fm[1]!.split('/').pop()}:${fm[2]} in ${fm[3]}`);
        continue;
      }
      if (/^\s/.test(text) || text.trim() === '' || /^\s*\^+\s*$/.test(text)) continue;
      // The first unindented line closes the traceback: the exception.
      t.open = false;
      const frame = t.frames.at(-1);
      if (!CUDA_OOM.test(text) && !/ChildFailedError|DistBackendError|ncclRemoteError/.test(text)) {
        const exc = text.trim();
        add(
          finding(
            r,
            'traceback',
            rank,
            `${exc.split(':')[0]} on ${who(r.label, rank)}: ${shorten(exc.slice(exc.indexOf(':') + 1).trim() || exc, 90)}`,
            `The Python program on ${who(r.label, rank)} raised ${shorten(exc, 160)}${frame ? ` in ${frame}` : ''}.`,
            ev,
            frame,
          ),
        );
        continue;
      }
      // An OOM or NCCL error as the exception: handled below, with the frame kept.
      if (CUDA_OOM.test(text)) {
        cudaOom(r, text, rank, ev, frame, add);
        continue;
      }
    }

    if (CUDA_OOM.test(text)) {
      cudaOom(r, text, rank, ev, undefined, add);
      continue;
    }
    const nt = NCCL_TIMEOUT.exec(text);
    if (nt) {
      const rk = inlineRank();
      const secs = Math.round(Number(nt[2]) / 1000);
      add(
        finding(
          r,
          'ncclTimeout',
          rk,
          `NCCL timeout on ${who(r.label, rk)}: ${nt[1]} waited ${formatDuration(secs)}`,
          `NCCL’s watchdog on ${who(r.label, rk)} gave up on a ${nt[1]} after ${formatDuration(secs)}: the other ranks never joined it, usually because one of them died or hung first.`,
          ev,
        ),
      );
      continue;
    }
    if (NCCL_REMOTE.test(text)) {
      add(
        finding(
          r,
          'ncclRemote',
          inlineRank(),
          `NCCL remote error on ${who(r.label, inlineRank())}: a peer exited or the network failed`,
          `NCCL on ${who(r.label, inlineRank())} lost a peer: a remote process exited early or the network between the nodes failed.`,
          ev,
        ),
      );
      continue;
    }
    if (SHM.test(text)) {
      add(
        finding(
          r,
          'shm',
          rank,
          `Out of shared memory on ${who(r.label, rank)} (/dev/shm)`,
          `A process on ${who(r.label, rank)} got a bus error writing shared memory: DataLoader workers (and NCCL) pass data through /dev/shm, which a container gets only 64 MiB of by default.`,
          ev,
        ),
      );
      continue;
    }
    if (SEGV.test(text)) {
      add(
        finding(
          r,
          'segfault',
          rank,
          `Segmentation fault on ${who(r.label, rank)}`,
          `A native library crashed on ${who(r.label, rank)} (segmentation fault).`,
          ev,
        ),
      );
      continue;
    }
    if (KILLED.test(text)) {
      add(
        finding(
          r,
          'oomKiller',
          rank,
          `Killed on ${who(r.label, rank)}: out of host memory`,
          `A process on ${who(r.label, rank)} was killed with SIGKILL, almost always by the kernel’s OOM killer: host memory (RAM), not GPU memory.`,
          ev,
        ),
      );
      continue;
    }
    if (CONN_RESET.test(text)) {
      add(
        finding(
          r,
          'connectionReset',
          inlineRank(),
          `Connection reset on ${who(r.label, inlineRank())}: a peer went away`,
          `A connection between ranks was closed on ${who(r.label, inlineRank())}, usually because the rank at the other end died.`,
          ev,
        ),
      );
      continue;
    }
  }
  return { findings: out, ...(cf ? { childFailed: cf } : {}), ...(lastAt ? { lastAt } : {}) };
}

function cudaOom(
  r: RankLog,
  text: string,
  rank: number | undefined,
  ev: { line: string; index: number; ts?: string; at?: string },
  frame: string | undefined,
  add: (f: Finding) => void,
): void {
  const asked = CUDA_OOM.exec(text)?.[1];
  // PyTorch ≥ 2.1: "GPU 0 has a total capacity of 79.15 GiB of which 1.10 GiB is free"; older: "; 1.10 GiB free;"
  const free =
    new RegExp(`of which ${SIZE} is free`).exec(text)?.[1] ?? new RegExp(`;\\s*${SIZE} free`).exec(text)?.[1];
  const gpu = /GPU (\d+)/.exec(text)?.[1];
  const w = who(r.label, rank);
  const parts: string[] = [];
  if (asked) parts.push(`tried to allocate ${tidySize(asked)}`);
  if (free) parts.push(`${tidySize(free)} free`);
  add(
    finding(
      r,
      'cudaOom',
      rank,
      `CUDA OOM on ${w}${parts.length ? `: ${parts.join(', ')}` : ''}`,
      `GPU ${gpu ?? ''} on ${w} ran out of memory${asked ? `: PyTorch asked for ${tidySize(asked)}` : ''}${free ? ` with ${tidySize(free)} free` : ''}${frame ? `, in ${frame}` : ''}.`.replace(
        'GPU  on',
        'The GPU of',
      ),
      ev,
      frame,
    ),
  );
}

function shorten(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

function formatDuration(s: number): string {
  if (s >= 3600 && s % 3600 === 0) return `${s / 3600} h`;
  if (s >= 60 && s % 60 === 0) return `${s / 60} min`;
  if (s >= 60) return `${Math.round(s / 60)} min`;
  return `${s} s`;
}

/** Sortable key of an RFC3339 time (as parseTimestamp makes from a log line). */
function keyOf(rfc3339: string | undefined): string | undefined {
  if (!rfc3339) return undefined;
  return parseTimestamp(`${rfc3339} x`).key;
}

/** What the container state alone says (no log line needed). */
function stateFindings(r: RankLog): Finding[] {
  const out: Finding[] = [];
  const x = r.exit;
  const at = keyOf(x?.finishedAt);
  const fact = (text: string) => ({ line: `[${r.label} ${text}]`, index: -1, ...(at ? { at } : {}) });
  if (r.waiting && /ImagePull|ErrImage|InvalidImageName/.test(r.waiting.reason)) {
    const msg = r.waiting.message ?? '';
    const image = /image "([^"]+)"/.exec(msg)?.[1];
    out.push(
      finding(
        r,
        'imagePull',
        undefined,
        `Image pull failed on ${r.label}${image ? `: ${image}` : ''} (${r.waiting.reason})`,
        `The node could not pull the container image of ${r.label}${msg ? `: ${shorten(msg, 200)}` : '.'}`,
        { line: `[${r.label} waiting: ${r.waiting.reason}${msg ? `: ${msg}` : ''}]`, index: -1 },
      ),
    );
  }
  if (!x) return out;
  const ended = `ended: ${x.reason ?? 'Error'}, exit code ${x.exitCode ?? '?'}`;
  if (x.reason === 'OOMKilled') {
    out.push(
      finding(
        r,
        'hostOom',
        undefined,
        `Out of host memory on ${r.label} (OOMKilled, exit 137)`,
        `The container of ${r.label} used more memory than its limit and the kernel killed it: host memory (RAM), not GPU memory.`,
        fact(ended),
      ),
    );
  } else if (x.exitCode === 137) {
    out.push(
      finding(
        r,
        'oomKiller',
        undefined,
        `Killed on ${r.label} (exit 137, SIGKILL)`,
        `The process of ${r.label} was killed with SIGKILL: most often the OOM killer (host memory), sometimes an eviction or preemption.`,
        fact(ended),
      ),
    );
  } else if (x.exitCode === 139) {
    out.push(
      finding(
        r,
        'segfault',
        undefined,
        `Segmentation fault on ${r.label} (exit 139)`,
        `The process of ${r.label} crashed in native code (SIGSEGV).`,
        fact(ended),
      ),
    );
  } else if (x.exitCode === 135) {
    out.push(
      finding(
        r,
        'shm',
        undefined,
        `Bus error on ${r.label} (exit 135): likely out of shared memory`,
        `The process of ${r.label} died of SIGBUS, which in a container almost always means /dev/shm was too small.`,
        fact(ended),
      ),
    );
  } else if (x.exitCode !== undefined && x.exitCode !== 0) {
    const sig = signalName(x.exitCode);
    out.push(
      finding(
        r,
        'exitCode',
        undefined,
        `${r.label} exited with code ${x.exitCode}${sig ? ` (${sig})` : ''}`,
        `The main container of ${r.label} ended with exit code ${x.exitCode}${x.message ? `: ${shorten(x.message, 160)}` : '.'}`,
        fact(ended),
      ),
    );
  }
  return out;
}

function better(a: Finding, b: Finding): number {
  // Earlier wins when both have a time; else the more specific cause; then the reading order of the ranks.
  if (a.at && b.at && a.at !== b.at) return a.at < b.at ? -1 : 1;
  const s = SPECIFICITY.indexOf(a.cause) - SPECIFICITY.indexOf(b.cause);
  if (s) return s;
  return compareLabels(a.label, b.label);
}

/**
 * The first failure of a distributed job from its ranks' tails and container states; undefined when nothing
 * explains a failure (every rank clean).
 */
export function explainFailure(ranks: readonly RankLog[]): FailureExplanation | undefined {
  const all: Finding[] = [];
  const scans = new Map<string, RankScan>();
  for (const r of ranks) {
    const scan = scanRank(r);
    scans.set(r.label, scan);
    const fromLogs = scan.findings;
    const fromState = stateFindings(r);
    // The kubelet's OOMKilled is certain; a bare exit code says less than any line of the log (a rank that
    // timed out waiting for a peer exits non-zero too: that is the timeout's consequence, not a cause).
    for (const f of fromState) if (f.cause !== 'exitCode' || fromLogs.length === 0) all.push(f);
    all.push(...fromLogs);
    const cf = scan.childFailed;
    if (cf) {
      // torchrun names the root rank: its own error (from the same pod's lines) is the explanation.
      const mine = fromLogs.filter(
        (f) =>
          !SECONDARY.has(f.cause) &&
          (cf.rootRank === undefined || f.rank === undefined || f.rank === cf.rootRank),
      );
      if (mine.length === 0) {
        const sig = cf.exitcode !== undefined ? signalName(cf.exitcode) : undefined;
        const rk = cf.rootRank;
        const killedBy =
          sig === 'SIGKILL'
            ? ': killed with SIGKILL, most likely the OOM killer (host memory)'
            : sig === 'SIGSEGV'
              ? ': a segmentation fault'
              : sig === 'SIGBUS'
                ? ': a bus error (shared memory)'
                : '';
        all.push(
          finding(
            r,
            sig === 'SIGKILL'
              ? 'oomKiller'
              : sig === 'SIGSEGV'
                ? 'segfault'
                : sig === 'SIGBUS'
                  ? 'shm'
                  : 'childFailed',
            rk,
            `${who(r.label, rk)} failed first (exit ${cf.exitcode ?? '?'})${killedBy}`,
            `torchrun on ${r.label} reports rank ${rk ?? '?'} as the first failure (exit code ${cf.exitcode ?? '?'}${cf.traceback ? `, ${cf.traceback}` : ''}); its own error is not in the lines read.`,
            {
              line: cf.line,
              index: cf.index,
              ...(cf.ts ? { ts: cf.ts } : {}),
              ...(cf.at ? { at: cf.at } : {}),
            },
          ),
        );
      }
    }
  }
  if (all.length === 0) return undefined;
  const primary = all.filter((f) => !SECONDARY.has(f.cause));
  if (primary.length) {
    primary.sort(better);
    const root = primary[0]!;
    return { root, others: all.filter((f) => f !== root).sort(better) };
  }
  // Only consequences: every rank that spoke waited for someone. The rank that died first is the one that
  // did not report waiting: it ended, or its log stops earliest.
  const secondary = [...all].sort(better);
  const waiting = new Set(secondary.map((f) => f.label));
  const silent = ranks
    .filter((r) => !waiting.has(r.label))
    .map((r) => ({ r, last: scans.get(r.label)?.lastAt ?? keyOf(r.exit?.finishedAt) }))
    .sort((a, b) =>
      a.last && b.last && a.last !== b.last
        ? a.last < b.last
          ? -1
          : 1
        : compareLabels(a.r.label, b.r.label),
    );
  const first = secondary[0]!;
  const suspect = silent[0]?.r;
  if (!suspect) return { root: first, others: secondary.slice(1) };
  const root: Finding = {
    ...first,
    headline: `${first.headline}; ${suspect.label} stopped first`,
    detail: `${first.detail} ${suspect.label} reported no timeout${suspect.exit ? ` and ended (exit code ${suspect.exit.exitCode ?? '?'})` : ''}: it is most likely the rank that died or hung first.`,
  };
  return { root, others: secondary.slice(1) };
}

/** "Failed: CUDA OOM on worker-3: tried to allocate 2.5 GiB, 1.1 GiB free" is `${phase}: ${short}`. */
export function explanationShort(e: FailureExplanation): string {
  return e.root.headline;
}

/** Markdown for the tooltip: the headline, plain words, what to do, the evidence, what the others said. */
export function explanationMarkdown(e: FailureExplanation): string[] {
  const esc = (t: string) => t.replace(/([\\`*_[\]<>|])/g, '\\$1');
  const r = e.root;
  const lines = [`**${esc(r.headline)}**`, '', esc(r.detail), '', `*What to do:* ${esc(r.action)}`];
  if (r.evidence) {
    const at = r.evidence.ts ? ` at ${r.evidence.ts}` : '';
    lines.push(
      '',
      `Evidence (${esc(r.evidence.label)}${at}):`,
      '',
      '`' + r.evidence.line.replace(/`/g, "'").slice(0, 300) + '`',
    );
  }
  const others = e.others.filter((o) => o.label !== r.label || o.cause !== r.cause).slice(0, 4);
  if (others.length) {
    lines.push('', 'Then:');
    for (const o of others) lines.push(`- ${esc(o.headline)}`);
  }
  return lines;
}
