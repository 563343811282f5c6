// Where is training and how fast is it going, read from the main rank's log lines the way an ML engineer reads
// them: tqdm bars (`\r` states), Hugging Face Trainer dicts and its run header, PyTorch Lightning bars (tqdm and
// rich), DeepSpeed's `[Rank 0] step=…` and throughput timer, Megatron's iteration lines, torchrun's agent lines
// and plain `epoch N/M step S loss L` logs. Incremental and bounded: one pass per line, a few regular
// expressions only for lines that look like progress, a fixed-size loss series. Pure: no vscode, no client.
// A TrainJob's own `status.trainerStatus` (Kubeflow Trainer v2, alpha) wins over the logs when present.

/* eslint-disable @typescript-eslint/no-explicit-any -- status blocks are plain API JSON */

import type { KubeObject } from './kube';
import { stripAnsi } from './logMerge';

export type ProgressSource =
  'tqdm' | 'huggingface' | 'lightning' | 'deepspeed' | 'megatron' | 'torchrun' | 'plain' | 'trainerStatus';

export interface Throughput {
  readonly value: number;
  /** `samples/s`, `tokens/s`, `it/s`, `s/it`. */
  readonly unit: string;
}

export interface TrainingProgress {
  /** What the step or loss was last read from. */
  source: ProgressSource;
  epoch?: number;
  epochs?: number;
  step?: number;
  steps?: number;
  /** 0..100 (a bar's percentage or trainerStatus.progressPercentage). */
  percent?: number;
  loss?: number;
  /** Recent training loss values, oldest first, at most LOSS_POINTS (one per step seen). */
  losses: number[];
  throughput?: Throughput;
  /** Time left as the bar or the operator estimates it ("01:40", "1h05m"). */
  eta?: string;
  /** torchrun's agent: "rendezvous", "workers started", "finished", "a worker failed". */
  stage?: string;
  /** The line the latest numbers come from (tooltip evidence). */
  evidence?: string;
}

/** Points kept for the loss sparkline and trend. */
export const LOSS_POINTS = 64;
/** An unfinished line (a bar redrawn with `\r` and no `\n`) is bounded by this many characters. */
const MAX_PARTIAL = 64 * 1024;

// ----------------------------------------------------------------------------------------------- prefixes

// `[rank3]:` (PyTorch ≥ 2.2 prefixes distributed errors, as `[rank3]: Traceback …`, `[rank3]:   File …` or
// `[rank3]:[E1206 …`), torchrun's `--tee`/`-t` `[default0]:`, and the `0: ` rank prefixes of
// `torchrun --log-line-prefix-template`/srun `--label`. The one space after the colon belongs to the prefix,
// so a traceback's exception line is not taken for one of its indented lines.
const RANK_PREFIX = /^\s*(?:\[(?:rank|default)(\d+)\]: ?|(\d{1,4}): )/;

/** The line without a leading per-process rank prefix, and that rank. */
export function splitRankPrefix(line: string): { rank?: number; text: string } {
  const m = RANK_PREFIX.exec(line);
  if (!m) return { text: line };
  return { rank: Number(m[1] ?? m[2]), text: line.slice(m[0].length) };
}

// ------------------------------------------------------------------------------------------------ numbers

const NUM = '[-+]?(?:\\d[\\d,]*\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?';
// `epoch 3/10 step 450 loss 0.41` lines. Built once: plain() runs for every progress-like line of the main rank
// (tens of thousands a second in a flood).
const PLAIN_EPOCH = new RegExp(`\\bepoch\\b[\\s:=\\[]*(\\d+)(?:\\s*(?:/|of)\\s*(\\d+))?`, 'i');
const PLAIN_STEP = new RegExp(
  `\\b(?:global[_ ]step|step|iter(?:ation)?)\\b[\\s:=\\[]*(\\d+)(?:\\s*(?:/|of)\\s*(\\d+))?`,
  'i',
);
const PLAIN_LOSS = new RegExp(
  `(?:^|[\\s,|{(\\[])(?:train(?:ing)?[_/ ]?)?loss['"]?\\]?\\s*[:=]?\\s*(${NUM})`,
  'i',
);
const PLAIN_TP_NAMED = new RegExp(
  `\\b(tokens|samples|images|tps)(?:/s|/sec|_per_sec(?:ond)?)?\\s*[:=]\\s*(${NUM})`,
  'i',
);
const PLAIN_TP_UNIT = new RegExp(
  `(?:^|[\\s(|])(${NUM})\\s*(tokens|tok|samples|images|img|seqs?)\\s*/\\s*s(?:ec)?\\b`,
  'i',
);

function num(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const v = Number(s.replace(/,/g, ''));
  return Number.isFinite(v) ? v : undefined;
}

/** Postfix `k=v` pairs of a tqdm bar (`loss=0.123, v_num=0`) or rich bar (`v_num: 0 train_loss: 0.123`). */
function pairs(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([A-Za-z_][\w/.-]*)\s*[=:]\s*([^,\s\]]+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.set(m[1]!, m[2]!);
  return out;
}

const LOSS_KEYS = [
  'loss',
  'train_loss',
  'train/loss',
  'reduced_train_loss',
  'lm_loss',
  'loss_step',
  'train_loss_step',
  'training_loss',
];

function lossOf(kv: Map<string, string>): number | undefined {
  for (const k of LOSS_KEYS) {
    const v = num(kv.get(k));
    if (v !== undefined) return v;
  }
  for (const [k, v] of kv)
    if (/(^|[_/])loss$/i.test(k) && !/^(eval|val|valid|validation|test)[_/]/i.test(k)) return num(v);
  return undefined;
}

// ------------------------------------------------------------------------------------------------- parser

// tqdm's default format: `{desc}: {percentage:3.0f}%|{bar}| {n}/{total} [{elapsed}<{remaining}, {rate}{postfix}]`
// Where tqdm cannot size a bar (Colab, some log files) it prints `93% 1586/1702 [...]` without one.
const TQDM =
  /(?:^|\s|\r)(?:(.*?):\s*)?(\d{1,3})%(?:\|[^|]*\||\s)\s*(\d[\d.]*[kMG]?)\/(\d[\d.]*[kMG]?)\s*\[([^\]<]*)(?:<([^,\]]*))?,?\s*([^,\]]*)([^\]]*)\]/;
// Lightning's RichProgressBar: `Epoch 3/9  ━━━━━━━━━━━━━━━━━━━ 450/1000 0:01:23 • 0:01:40 5.43it/s v_num: 0 …`,
// drawn with `-` in consoles without box-drawing glyphs.
const RICH =
  /Epoch (\d+)(?:\/(\d+))?\s+[━╸╺─\-\s]+\s(\d+)\/(\d+)\s+[\d:]+\s+•\s+([\d:-]+)\s+([\d.]+)(it\/s|s\/it)(.*)$/;
const HF_DICT = /^\s*\{'[\w/.-]+':/;
const DS_STEP = /\[Rank (\d+)\] step=(\d+), skipped=(\d+)/;
const DS_TIMER = /(?:epoch=(\d+)\/micro_step=\d+\/global_step=(\d+), )?RunningAvgSamplesPerSec=([\d.]+)/;
const DS_TIMER_OLD = /\] (\d+)\/(\d+), SamplesPerSec=([\d.]+)/;
const MEGATRON = /iteration\s+(\d+)\s*\/\s*(\d+)\s*\|/;
// timm's train.py: `Train: 72 [1400/5004 ( 28%)]  Loss: 2.802 (2.69)  Time: 0.114s, 2249.52/s  …`
const TIMM =
  /^Train: (\d+) \[\s*(\d+)\/(\d+) \(\s*(\d+)%\)\]\s+Loss:\s*([-+\d.eE]+)(?:.*?Time:\s*[\d.]+s,\s*([\d.]+)\/s)?/;
// Bare, or after the transformers logger's `[INFO|trainer.py:2050] 2024-04-29 18:45:03,231 >>` prefix.
const HF_EPOCHS = /(?:^|>>)\s*Num Epochs = ([\d,]+)/;
const HF_STEPS = /(?:^|>>)\s*Total optimization steps = ([\d,]+)/;
const TORCHRUN_FAILED = /failed \(exitcode: (-?\d+)\) local_rank: (\d+)/;
// Cheap gate: a line that matches none of these is not read further.
const MAYBE =
  /%\||\d% \d|\{'|step|epoch|iteration|SamplesPerSec|samples\/sec|worker group|Rendezvous|Num Epochs|optimization steps|exitcode|loss|tokens?\/s/i;
// Bars that are not the training loop.
const NOT_TRAINING =
  /load|download|shard|map|token|extract|convert|upload|eval|valid|test|predict|sanity|generat|filter|saving|checkpoint/i;

/** Incremental progress of one rank's log. Feed lines in order with push(), or raw chunks with pushChunk(). */
export class ProgressParser {
  private _p: TrainingProgress | undefined;
  private _partial = '';
  /** Total of the bar being followed (a bar of another total, e.g. evaluation, does not replace it). */
  private _barTotal: number | undefined;
  private _lastLossStep: number | undefined;
  /** Lines read (tests, the bound). */
  lines = 0;

  progress(): TrainingProgress | undefined {
    return this._p;
  }

  /** Forgets everything (the rank restarted from scratch, or the stream was reconfigured). */
  reset(): void {
    this._p = undefined;
    this._partial = '';
    this._barTotal = undefined;
    this._lastLossStep = undefined;
  }

  /**
   * A raw chunk of the log: lines may be split across chunks; a bar redrawn with `\r` and no `\n` is read at
   * each complete `\r` state, so progress moves before the line ends.
   */
  pushChunk(chunk: string): void {
    let text = this._partial + chunk;
    let nl = text.indexOf('\n');
    while (nl >= 0) {
      this.push(text.slice(0, nl));
      text = text.slice(nl + 1);
      nl = text.indexOf('\n');
    }
    const cr = text.lastIndexOf('\r');
    if (cr >= 0) {
      // Every state before the last `\r` is complete: read now, each once (the loss series keeps every step).
      for (const state of text.slice(0, cr).split('\r')) if (state.trim() !== '') this.pushState(state);
      text = text.slice(cr);
    }
    this._partial = text.length > MAX_PARTIAL ? text.slice(-MAX_PARTIAL) : text;
  }

  /** One complete line (its `\r` states are read oldest first). */
  push(line: string): void {
    this.lines++;
    if (!line.includes('\r')) {
      this.pushState(line);
      return;
    }
    // A bar's redraws, oldest first (the line is bounded at 64 KiB upstream, so are they).
    for (const state of line.split('\r')) if (state.trim() !== '') this.pushState(state);
  }

  private pushState(raw: string): void {
    if (!MAYBE.test(raw)) return;
    const text = splitRankPrefix(raw.includes('\x1b') ? stripAnsi(raw) : raw).text;
    if (this.tqdm(text)) return;
    if (this.rich(text)) return;
    if (HF_DICT.test(text)) return this.hfDict(text);
    if (this.deepspeed(text)) return;
    if (this.megatron(text)) return;
    if (this.timm(text)) return;
    if (this.hfHeader(text)) return;
    if (this.torchrun(text)) return;
    this.plain(text);
  }

  private get p(): TrainingProgress {
    return (this._p ??= { source: 'plain', losses: [] });
  }

  private addLoss(loss: number, step: number | undefined): void {
    const p = this.p;
    p.loss = loss;
    // One point per step: a bar redrawn at the same step updates its point, it does not add one.
    if (step !== undefined && step === this._lastLossStep && p.losses.length)
      p.losses[p.losses.length - 1] = loss;
    else {
      p.losses.push(loss);
      if (p.losses.length > LOSS_POINTS) p.losses.splice(0, p.losses.length - LOSS_POINTS);
    }
    this._lastLossStep = step;
  }

  private tqdm(text: string): boolean {
    const m = TQDM.exec(text);
    if (!m) return false;
    const desc = (m[1] ?? '').trim();
    const n = num(m[3]);
    const total = num(m[4]);
    if (n === undefined || total === undefined || total <= 0) return true;
    const epochM = /\bEpoch\s+(\d+)(?:\s*\/\s*(\d+))?/i.exec(desc);
    if (!epochM && desc && NOT_TRAINING.test(desc)) return true;
    // An untitled bar of another total (Hugging Face's evaluation loop) does not replace the training bar.
    if (!epochM && this._barTotal !== undefined && total !== this._barTotal && total < this._barTotal)
      return true;
    this._barTotal = total;
    const p = this.p;
    const kv = pairs(m[8] ?? '');
    p.source = epochM && !epochM[2] && kv.has('v_num') ? 'lightning' : 'tqdm';
    if (epochM) {
      p.epoch = Number(epochM[1]);
      if (epochM[2]) p.epochs = Number(epochM[2]);
    }
    // Inside an epoch (Lightning, the demo's `Epoch 1/3`), the bar counts batches of that epoch.
    p.step = n;
    p.steps = total;
    p.percent = Math.min(100, Math.round((n / total) * 100));
    const remaining = (m[6] ?? '').trim();
    if (remaining && remaining !== '?') p.eta = remaining;
    const rate = /^([\d.]+)\s*([a-zA-Z]*\/s|s\/[a-zA-Z]+)$/.exec((m[7] ?? '').trim());
    if (rate) p.throughput = { value: Number(rate[1]), unit: rate[2]! };
    const loss = lossOf(kv);
    if (loss !== undefined) this.addLoss(loss, n + (p.epoch ?? 0) * total);
    p.evidence = text.slice(0, m.index + m[0].length).trim();
    // A program that prints right after the bar's last state (no newline) continues on the same line.
    const rest = text.slice(m.index + m[0].length);
    if (rest.trim()) this.pushState(rest);
    return true;
  }

  private rich(text: string): boolean {
    const m = RICH.exec(text);
    if (!m) return false;
    const p = this.p;
    p.source = 'lightning';
    p.epoch = Number(m[1]);
    if (m[2]) p.epochs = Number(m[2]);
    p.step = Number(m[3]);
    p.steps = Number(m[4]);
    p.percent = p.steps ? Math.round((p.step / p.steps) * 100) : undefined;
    if (m[5] && m[5] !== '-:--:--') p.eta = m[5];
    p.throughput = { value: Number(m[6]), unit: m[7]! };
    const loss = lossOf(pairs(m[8] ?? ''));
    if (loss !== undefined) this.addLoss(loss, p.step + p.epoch * (p.steps ?? 0));
    p.evidence = text.trim();
    return true;
  }

  private hfDict(text: string): void {
    const kv = new Map<string, string>();
    const re = /'([\w/.-]+)':\s*([^,}]+)/g;
    for (let m = re.exec(text); m; m = re.exec(text)) kv.set(m[1]!, m[2]!.trim());
    const p = this.p;
    const epoch = num(kv.get('epoch'));
    // An evaluation dict carries eval_* only: it does not move the training loss.
    const loss = num(kv.get('loss'));
    const final = num(kv.get('train_loss'));
    if (loss === undefined && final === undefined && epoch === undefined && !kv.has('train_runtime')) return;
    p.source = 'huggingface';
    if (epoch !== undefined) p.epoch = epoch;
    if (loss !== undefined) this.addLoss(loss, p.step);
    else if (final !== undefined) p.loss = final;
    const sps = num(kv.get('train_samples_per_second'));
    if (sps !== undefined) p.throughput = { value: sps, unit: 'samples/s' };
    if (kv.has('train_runtime')) {
      p.stage = 'finished';
      if (p.steps !== undefined) p.step = p.steps;
      p.percent = 100;
    }
    p.evidence = text.trim();
  }

  private hfHeader(text: string): boolean {
    const e = HF_EPOCHS.exec(text);
    if (e) {
      this.p.epochs = num(e[1]);
      return true;
    }
    const s = HF_STEPS.exec(text);
    if (s) {
      this.p.steps = num(s[1]);
      this._barTotal ??= this.p.steps;
      return true;
    }
    return false;
  }

  private deepspeed(text: string): boolean {
    const s = DS_STEP.exec(text);
    if (s) {
      const p = this.p;
      p.source = 'deepspeed';
      p.step = Number(s[2]);
      p.evidence = text.trim();
      return true;
    }
    const t = DS_TIMER.exec(text) ?? DS_TIMER_OLD.exec(text);
    if (t) {
      const p = this.p;
      p.source = 'deepspeed';
      // DeepSpeed counts epochs from 0: `epoch=0/micro_step=34/global_step=34`, `0/40, SamplesPerSec=…`.
      if (t[1] !== undefined) p.epoch = Number(t[1]);
      if (t[2] !== undefined) p.step = Number(t[2]);
      p.throughput = { value: Number(t[3]), unit: 'samples/s' };
      return true;
    }
    return false;
  }

  private megatron(text: string): boolean {
    const m = MEGATRON.exec(text);
    if (!m) return false;
    const p = this.p;
    p.source = 'megatron';
    p.step = Number(m[1]);
    p.steps = Number(m[2]);
    p.percent = p.steps ? Math.round((p.step / p.steps) * 100) : undefined;
    const loss = num(/\blm[ _]loss:\s*([-+\d.eE]+)/.exec(text)?.[1]);
    if (loss !== undefined) this.addLoss(loss, p.step);
    const sps = num(/samples\/sec:\s*([\d.]+)/.exec(text)?.[1]);
    if (sps !== undefined) p.throughput = { value: sps, unit: 'samples/s' };
    const tps = num(/tokens(?:\/sec| per second)[^:]*:\s*([\d.]+)/.exec(text)?.[1]);
    if (tps !== undefined) p.throughput = { value: tps, unit: 'tokens/s' };
    p.evidence = text.trim();
    return true;
  }

  private timm(text: string): boolean {
    const m = TIMM.exec(text.trim());
    if (!m) return false;
    const p = this.p;
    p.source = 'plain';
    p.epoch = Number(m[1]);
    p.step = Number(m[2]);
    p.steps = Number(m[3]);
    p.percent = Number(m[4]);
    this.addLoss(Number(m[5]), p.step + p.epoch * p.steps);
    if (m[6]) p.throughput = { value: Number(m[6]), unit: 'samples/s' };
    p.evidence = text.trim();
    return true;
  }

  private torchrun(text: string): boolean {
    let stage: string | undefined;
    if (/Rendezvous'ing worker group|Starting elastic_operator/.test(text)) stage = 'rendezvous';
    else if (/Rendezvous complete for workers|\[default\] Starting worker group/.test(text))
      stage = 'workers started';
    else if (/worker group successfully finished/.test(text)) stage = 'finished';
    else if (TORCHRUN_FAILED.test(text)) stage = 'a worker failed';
    if (!stage) return false;
    const p = this.p;
    p.stage = stage;
    if (p.step === undefined && p.loss === undefined) p.source = 'torchrun';
    return true;
  }

  private plain(text: string): void {
    const epochM = PLAIN_EPOCH.exec(text);
    const stepM = PLAIN_STEP.exec(text);
    const lossM = PLAIN_LOSS.exec(text);
    if (!epochM && !stepM) return;
    // A step without a loss or a total is any log's "step 3 of setup": not training progress.
    if (!lossM && !stepM?.[2] && !epochM?.[2]) return;
    const p = this.p;
    p.source = 'plain';
    if (epochM) {
      p.epoch = Number(epochM[1]);
      if (epochM[2]) p.epochs = Number(epochM[2]);
    }
    if (stepM) {
      p.step = Number(stepM[1]);
      if (stepM[2]) {
        p.steps = Number(stepM[2]);
        p.percent = Math.round((p.step / p.steps) * 100);
      }
    }
    // The PyTorch examples' `Train Epoch: 1 [2560/84843 (3%)]`: samples seen of the epoch, as a percentage.
    const seen = /\[\s*\d+\s*\/\s*\d+\s*\(\s*(\d{1,3})%\)\]/.exec(text);
    if (seen && !stepM?.[2]) p.percent = Number(seen[1]);
    const loss = num(lossM?.[1]);
    if (loss !== undefined) this.addLoss(loss, p.step);
    // `tokens/s=86,000` first: in `grad_norm=0.9 tokens/s=86,000` the number before the unit is another value's.
    // torchtitan's `tps: 193,831` is tokens per second.
    const tp = PLAIN_TP_NAMED.exec(text) ?? PLAIN_TP_UNIT.exec(text);
    if (tp) {
      const first = /^\d|^[-+.]/.test(tp[1]!);
      const value = num(first ? tp[1] : tp[2]);
      const what = (first ? tp[2] : tp[1])!.toLowerCase();
      const unit = what.startsWith('tok') || what === 'tps' ? 'tokens/s' : 'samples/s';
      if (value !== undefined) p.throughput = { value, unit };
    }
    p.evidence = text.trim();
  }
}

// -------------------------------------------------------------------------------------------- TrainJob

function metric(metrics: any[], re: RegExp): number | undefined {
  for (const m of metrics) if (typeof m?.name === 'string' && re.test(m.name)) return num(String(m.value));
  return undefined;
}

/**
 * Progress from a TrainJob's `status.trainerStatus` (Kubeflow Trainer v2.2+, alpha behind the TrainJobStatus
 * feature gate): percentage, remaining seconds and named metrics. Undefined when the field is absent.
 */
export function progressFromTrainerStatus(trainJob: KubeObject): TrainingProgress | undefined {
  const ts = trainJob.status?.trainerStatus;
  if (!ts || typeof ts !== 'object') return undefined;
  const metrics: any[] = Array.isArray(ts.metrics) ? ts.metrics : [];
  const p: TrainingProgress = { source: 'trainerStatus', losses: [] };
  if (typeof ts.progressPercentage === 'number') p.percent = ts.progressPercentage;
  if (typeof ts.estimatedRemainingSeconds === 'number') p.eta = formatSeconds(ts.estimatedRemainingSeconds);
  const loss = metric(metrics, /^(train[_/]?)?loss$/i);
  if (loss !== undefined) {
    p.loss = loss;
    p.losses.push(loss);
  }
  const epoch = metric(metrics, /^epoch$/i);
  if (epoch !== undefined) p.epoch = epoch;
  const step = metric(metrics, /^(global_)?step$/i);
  if (step !== undefined) p.step = step;
  const tps = metric(metrics, /tokens?_?(per_second|\/s|_per_sec)/i);
  const sps = metric(metrics, /samples?_?(per_second|\/s|_per_sec)/i);
  if (tps !== undefined) p.throughput = { value: tps, unit: 'tokens/s' };
  else if (sps !== undefined) p.throughput = { value: sps, unit: 'samples/s' };
  if (p.percent === undefined && loss === undefined && step === undefined) return undefined;
  return p;
}

function formatSeconds(s: number): string {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s)}s`;
}

// ----------------------------------------------------------------------------------------------- display

const BLOCKS = '▁▂▃▄▅▆▇█';

/** The last `width` values as block characters, lowest ▁ to highest █ (flat series: ▄). */
export function sparkline(values: readonly number[], width = 16): string {
  const v = values.slice(-width).filter((x) => Number.isFinite(x));
  if (v.length === 0) return '';
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  if (hi - lo < 1e-12) return BLOCKS[3]!.repeat(v.length);
  return v.map((x) => BLOCKS[Math.round(((x - lo) / (hi - lo)) * (BLOCKS.length - 1))]!).join('');
}

/** ↓ falling, ↑ rising, → flat (within 2 %), '' too few points: the first and last thirds compared. */
export function lossTrend(values: readonly number[]): '↓' | '↑' | '→' | '' {
  if (values.length < 4) return '';
  const third = Math.max(1, Math.floor(values.length / 3));
  const mean = (a: readonly number[]) => a.reduce((s, x) => s + x, 0) / a.length;
  const a = mean(values.slice(0, third));
  const b = mean(values.slice(-third));
  const scale = Math.max(Math.abs(a), 1e-9);
  if ((b - a) / scale < -0.02) return '↓';
  if ((b - a) / scale > 0.02) return '↑';
  return '→';
}

function compact(v: number): string {
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toFixed(v >= 1e7 ? 0 : 1)}M`;
  if (Math.abs(v) >= 1e5) return `${Math.round(v / 1e3)}k`;
  if (Math.abs(v) >= 1e4) return `${Number((v / 1e3).toFixed(1))}k`;
  if (Math.abs(v) >= 100) return String(Math.round(v));
  return String(Number(v.toPrecision(3)));
}

function lossText(v: number): string {
  return Math.abs(v) >= 100 || Math.abs(v) < 0.001 ? v.toExponential(2) : String(Number(v.toPrecision(3)));
}

/** "epoch 2/3 · step 450/1000 · loss 0.412↓ · 86k tokens/s": the tree row's part. */
export function progressShort(p: TrainingProgress): string {
  const parts: string[] = [];
  if (p.epoch !== undefined)
    parts.push(`epoch ${Number(p.epoch.toFixed(2))}${p.epochs !== undefined ? `/${p.epochs}` : ''}`);
  if (p.step !== undefined) parts.push(`step ${p.step}${p.steps !== undefined ? `/${p.steps}` : ''}`);
  else if (p.percent !== undefined) parts.push(`${p.percent}%`);
  if (p.loss !== undefined) parts.push(`loss ${lossText(p.loss)}${lossTrend(p.losses)}`);
  if (p.throughput) parts.push(`${compact(p.throughput.value)} ${p.throughput.unit}`);
  if (!parts.length && p.stage) parts.push(`torchrun: ${p.stage}`);
  return parts.join(' · ');
}

const SOURCE_NAMES: Record<ProgressSource, string> = {
  tqdm: 'a tqdm bar',
  huggingface: 'Hugging Face Trainer logs',
  lightning: 'PyTorch Lightning’s progress bar',
  deepspeed: 'DeepSpeed’s step log',
  megatron: 'Megatron’s iteration log',
  torchrun: 'torchrun’s agent',
  plain: 'the training log',
  trainerStatus: 'the TrainJob’s status.trainerStatus',
};

/** Markdown lines for the tooltip: where the numbers come from, the loss sparkline, the evidence. */
export function progressMarkdown(p: TrainingProgress, from?: string): string[] {
  const esc = (t: string) => t.replace(/([\\`*_[\]<>|])/g, '\\$1');
  const head = progressShort(p) || p.stage || 'started';
  const lines = [`**Training:** ${esc(head)}`];
  const facts: string[] = [];
  if (p.percent !== undefined && p.step !== undefined) facts.push(`${p.percent}%`);
  if (p.eta) facts.push(`${esc(p.eta)} left`);
  if (p.losses.length > 1) facts.push(`loss ${sparkline(p.losses, 24)} (${p.losses.length} points)`);
  if (p.stage && progressShort(p)) facts.push(`torchrun: ${p.stage}`);
  if (facts.length) lines.push('', facts.join(' · '));
  const src =
    p.source === 'trainerStatus'
      ? 'From the TrainJob’s status.trainerStatus (preferred over the logs).'
      : `Read from ${SOURCE_NAMES[p.source]}${from ? ` of ${esc(from)}` : ''}.`;
  lines.push('', src);
  if (p.evidence) lines.push('', '`' + p.evidence.replace(/`/g, "'").slice(0, 200) + '`');
  return lines;
}

/** The log panel's title suffix: the loss sparkline and where training is ("▇▅▃▂▁ loss 0.41 · step 450/1000"). */
export function progressTitle(p: TrainingProgress): string {
  const parts: string[] = [];
  const spark = p.losses.length > 1 ? sparkline(p.losses, 12) : '';
  if (p.loss !== undefined) parts.push(`${spark ? `${spark} ` : ''}loss ${lossText(p.loss)}`);
  if (p.step !== undefined) parts.push(`step ${p.step}${p.steps !== undefined ? `/${p.steps}` : ''}`);
  else if (p.epoch !== undefined) parts.push(`epoch ${Number(p.epoch.toFixed(2))}`);
  else if (p.percent !== undefined) parts.push(`${p.percent}%`);
  return parts.join(' · ');
}
