// The training-log reader against a corpus of real log excerpts (test/fixtures/logs/*.yaml, each citing its
// public issue thread or saying "constructed"): progress per framework, failures explained per cause, lines split
// across chunks, interleaved ranks, and the TrainJob status preferred over the logs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import {
  explainFailure,
  explanationMarkdown,
  tidySize,
  type RankLog,
} from '../../../src/core/failureExplain';
import {
  lossTrend,
  progressFromTrainerStatus,
  progressMarkdown,
  ProgressParser,
  progressShort,
  sparkline,
  type TrainingProgress,
} from '../../../src/core/trainingProgress';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'logs');

interface ProgressCase {
  name: string;
  source: string;
  crJoin?: boolean;
  text: string;
  expected:
    | (Partial<Omit<TrainingProgress, 'losses'>> & { losses?: number[]; trend?: string; short?: string })
    | null;
}

interface FailureCase {
  name: string;
  source: string;
  ranks: {
    label: string;
    text: string;
    exit?: RankLog['exit'];
    waiting?: RankLog['waiting'];
  }[];
  expected: {
    cause: string;
    label: string;
    rank?: number;
    headline?: string;
    evidence?: string;
    frame?: string;
    others?: number;
    othersInclude?: string;
    actionIncludes?: string;
  };
}

const progressCases = parse(readFileSync(join(FIXTURES, 'progress.yaml'), 'utf8')) as ProgressCase[];
const failureCases = parse(readFileSync(join(FIXTURES, 'failures.yaml'), 'utf8')) as FailureCase[];

function linesOf(text: string): string[] {
  return text.replace(/\n$/, '').split('\n');
}

function checkProgress(p: TrainingProgress | undefined, c: ProgressCase): void {
  if (c.expected === null) {
    assert.equal(p, undefined, `${c.name}: no progress expected`);
    return;
  }
  assert.ok(p, `${c.name}: progress expected`);
  const { losses, trend, short, ...fields } = c.expected;
  for (const [k, v] of Object.entries(fields))
    assert.deepEqual((p as unknown as Record<string, unknown>)[k], v, `${c.name}: ${k}`);
  if (losses) assert.deepEqual(p.losses, losses, `${c.name}: losses`);
  if (trend !== undefined) assert.equal(lossTrend(p.losses), trend, `${c.name}: trend`);
  if (short !== undefined) assert.equal(progressShort(p), short, `${c.name}: short`);
}

describe('training progress: the corpus', () => {
  test('every case cites a public issue thread or says it is constructed', () => {
    for (const c of [...progressCases, ...failureCases])
      assert.match(
        c.source,
        /^(https:\/\/github\.com\/[^/]+\/[^/]+\/(issues|pull)\/\d+|constructed\b)/,
        c.name,
      );
    assert.ok(progressCases.length >= 12 && failureCases.length >= 14);
  });

  for (const c of progressCases) {
    const lines = c.crJoin ? [linesOf(c.text).join('\r')] : linesOf(c.text);
    test(`${c.name} (${c.source}): line by line`, () => {
      const parser = new ProgressParser();
      for (const l of lines) parser.push(l);
      checkProgress(parser.progress(), c);
    });
    test(`${c.name}: the same text in chunks split anywhere`, () => {
      const whole = lines.join('\n') + '\n';
      for (const size of [1, 7, 64]) {
        const parser = new ProgressParser();
        for (let i = 0; i < whole.length; i += size) parser.pushChunk(whole.slice(i, i + size));
        checkProgress(parser.progress(), c);
      }
    });
  }
});

describe('training progress: behaviour', () => {
  test('a bar redrawn with \\r and no newline moves before the line ends', () => {
    const parser = new ProgressParser();
    parser.pushChunk('Epoch 1/3:  10%|█         | 20/200 [00:40<06:00,  2.00s/it, loss=1.900]\r');
    assert.equal(parser.progress()?.step, 20);
    parser.pushChunk(
      'Epoch 1/3:  15%|█▌        | 30/200 [01:00<05:40,  2.00s/it, loss=1.800]\rEpoch 1/3:  2',
    );
    assert.equal(parser.progress()?.step, 30);
    assert.deepEqual(parser.progress()?.losses, [1.9, 1.8]);
    assert.equal(parser.progress()?.epochs, 3);
  });

  test('an unfinished line stays bounded whatever arrives without a newline', () => {
    const parser = new ProgressParser();
    for (let i = 0; i < 200; i++) parser.pushChunk('x'.repeat(1000));
    parser.pushChunk('\nstep 5/10 loss=0.5\n');
    assert.equal(parser.progress()?.step, 5);
    assert.ok(parser.lines <= 2);
  });

  test('the loss series keeps the last 64 points, one per step', () => {
    const parser = new ProgressParser();
    for (let s = 1; s <= 100; s++) {
      parser.push(`epoch 1 step ${s}/100 loss=${(10 / s).toFixed(4)}`);
      parser.push(`epoch 1 step ${s}/100 loss=${(10 / s).toFixed(4)}`);
    }
    const p = parser.progress()!;
    assert.equal(p.losses.length, 64);
    assert.equal(p.losses.at(-1), 0.1);
    assert.equal(p.losses[0], Number((10 / 37).toFixed(4)));
    assert.equal(lossTrend(p.losses), '↓');
  });

  test('rank prefixes are read through: [rank0]: and torchrun -t [default0]:', () => {
    const parser = new ProgressParser();
    parser.push('[default0]:epoch 2/5 step 40/100 loss=0.75');
    assert.equal(progressShort(parser.progress()!), 'epoch 2/5 · step 40/100 · loss 0.75');
  });

  test('a rich bar reads the same drawn with box-drawing glyphs as with `-`', () => {
    // The corpus's line (pytorch-lightning#12720) as a Unicode console draws it.
    const ascii = 'Epoch 4    --------------- ---- 232/291 0:00:33 • 0:00:09 7.00it/s loss: 0.398';
    const glyphs = ascii.replace('--------------- ----', '━━━━━━━━━━━━━━━╺━━━');
    const read = (line: string) => {
      const parser = new ProgressParser();
      parser.push(line);
      return parser.progress();
    };
    assert.equal(read(glyphs)?.source, 'lightning');
    assert.deepEqual({ ...read(glyphs), evidence: '' }, { ...read(ascii), evidence: '' });
  });

  test('sparkline and trend', () => {
    assert.equal(sparkline([3, 2, 1]), '█▅▁');
    assert.equal(sparkline([1, 1, 1]), '▄▄▄');
    assert.equal(sparkline([]), '');
    assert.equal(sparkline([1, 2, 3, 4, 5], 3), '▁▅█');
    assert.equal(lossTrend([1, 1, 1, 1, 1, 1]), '→');
    assert.equal(lossTrend([1, 1.1, 1.2, 1.3, 1.4, 1.5]), '↑');
    assert.equal(lossTrend([1, 2]), '');
  });

  test('a TrainJob with status.trainerStatus: its numbers, said to come from the status', () => {
    const tj = {
      apiVersion: 'trainer.kubeflow.org/v1alpha1',
      kind: 'TrainJob',
      metadata: { name: 'llama', namespace: 'team-a' },
      status: {
        trainerStatus: {
          progressPercentage: 42,
          estimatedRemainingSeconds: 3900,
          lastUpdatedTime: '2026-12-06T10:00:00Z',
          metrics: [
            { name: 'loss', value: '1.234' },
            { name: 'step', value: '420' },
            { name: 'tokens_per_second', value: '91000' },
          ],
        },
      },
    };
    const p = progressFromTrainerStatus(tj)!;
    assert.equal(p.source, 'trainerStatus');
    assert.equal(p.percent, 42);
    assert.equal(p.eta, '1h05m');
    assert.equal(progressShort(p), 'step 420 · loss 1.23 · 91k tokens/s');
    assert.match(progressMarkdown(p).join('\n'), /status\.trainerStatus \(preferred over the logs\)/);
    assert.equal(progressFromTrainerStatus({ ...tj, status: {} }), undefined);
  });
});

describe('failure explanations: the corpus', () => {
  for (const c of failureCases) {
    test(`${c.name} (${c.source})`, () => {
      const ranks: RankLog[] = c.ranks.map((r) => ({
        label: r.label,
        lines: r.text ? linesOf(r.text) : [],
        ...(r.exit ? { exit: r.exit } : {}),
        ...(r.waiting ? { waiting: r.waiting } : {}),
      }));
      const e = explainFailure(ranks);
      assert.ok(e, 'an explanation');
      const x = c.expected;
      assert.equal(e.root.cause, x.cause, `cause (${e.root.headline})`);
      assert.equal(e.root.label, x.label);
      if (x.rank !== undefined) assert.equal(e.root.rank, x.rank);
      if (x.headline !== undefined) assert.equal(e.root.headline, x.headline);
      if (x.evidence !== undefined)
        assert.ok(e.root.evidence?.line.includes(x.evidence), e.root.evidence?.line);
      if (x.frame !== undefined) assert.equal(e.root.frame, x.frame);
      if (x.others !== undefined) assert.equal(e.others.length, x.others);
      if (x.othersInclude !== undefined)
        assert.ok(
          e.others.some((o) => o.cause === x.othersInclude),
          e.others.map((o) => o.cause).join(','),
        );
      if (x.actionIncludes !== undefined) assert.ok(e.root.action.includes(x.actionIncludes));
      // Every explanation says what to do and shows where it comes from.
      assert.ok(e.root.action.length > 20);
      const md = explanationMarkdown(e).join('\n');
      assert.match(md, /\*What to do:\*/);
      if (e.root.evidence) {
        assert.match(md, /Evidence/);
        // The evidence is the rank's own line (or a container fact), never a line of another rank.
        const rank = ranks.find((r) => r.label === e.root.evidence!.label)!;
        if (e.root.evidence.index >= 0)
          assert.ok(rank.lines[e.root.evidence.index]!.endsWith(e.root.evidence.line));
      }
    });
  }
});

describe('failure explanations: behaviour', () => {
  test('interleaved tracebacks of two local ranks are kept apart; the earliest error wins', () => {
    const lines = [
      '2026-12-06T10:00:00.000000000Z [rank1]:Traceback (most recent call last):',
      '2026-12-06T10:00:00.000000000Z [rank0]:Traceback (most recent call last):',
      '2026-12-06T10:00:00.000000000Z [rank1]:  File "train.py", line 88, in <module>',
      '2026-12-06T10:00:00.000000000Z [rank0]:  File "train.py", line 88, in <module>',
      '2026-12-06T10:00:00.000000000Z [rank1]:  File "model.py", line 12, in forward',
      '2026-12-06T10:00:00.000000000Z [rank0]:  File "data.py", line 40, in __getitem__',
      "2026-12-06T10:00:01.000000000Z [rank0]:KeyError: 'label'",
      '2026-12-06T10:00:02.000000000Z [rank1]:RuntimeError: shape mismatch',
    ];
    const e = explainFailure([{ label: 'master-0', lines }])!;
    assert.equal(e.root.cause, 'traceback');
    assert.equal(e.root.rank, 0);
    assert.equal(e.root.frame, 'data.py:40 in __getitem__');
    assert.equal(e.root.headline, "KeyError on master-0: 'label'");
    assert.equal(e.others[0]!.frame, 'model.py:12 in forward');
    assert.equal(e.others[0]!.headline, 'RuntimeError on master-0 (rank 1): shape mismatch');
  });

  test('without timestamps, a rank’s own error still beats the others’ timeouts', () => {
    const e = explainFailure([
      {
        label: 'worker-1',
        lines: [
          '[E ProcessGroupNCCL.cpp:737] [Rank 1] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=1, OpType=ALLREDUCE, Timeout(ms)=600000) ran for 600100 milliseconds before timing out.',
        ],
      },
      { label: 'worker-2', lines: ['Killed'] },
    ])!;
    assert.equal(e.root.cause, 'oomKiller');
    assert.equal(e.root.label, 'worker-2');
  });

  test('nothing to explain: clean tails and clean exits', () => {
    assert.equal(
      explainFailure([
        { label: 'master-0', lines: ['epoch 1 step 3/3 loss=0.1', 'done'], exit: { exitCode: 0 } },
      ]),
      undefined,
    );
  });

  test('a bare exit code explains only when the log says nothing', () => {
    const e = explainFailure([{ label: 'worker-0', lines: [], exit: { reason: 'Error', exitCode: 2 } }])!;
    assert.equal(e.root.headline, 'worker-0 exited with code 2');
  });

  test('sizes are tidied the way people say them', () => {
    assert.equal(tidySize('2.50 GiB'), '2.5 GiB');
    assert.equal(tidySize('22.00 MiB'), '22 MiB');
    assert.equal(tidySize('0 bytes'), '0 bytes');
  });
});
