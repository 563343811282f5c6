import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareLabels,
  events,
  formatEntry,
  lastCarriageState,
  makeFilter,
  parseTimestamp,
  rankColour,
  ResumeCursor,
  Ring,
  sanitizeForTerminal,
  sinceTimeOf,
  stripAnsi,
  type LogEntry,
  type LogSource,
} from '../../../src/core/logMerge';

const w2: LogSource = { label: 'worker-2', rank: 2 };
const m0: LogSource = { label: 'master-0', rank: 0 };
const line = (source: LogSource, text: string): LogEntry => ({ source, kind: 'line', text });

test('prefix with role and rank, a colour per rank, reset after the prefix', () => {
  assert.equal(formatEntry(line(w2, 'loss=0.3')), '[worker-2] loss=0.3');
  assert.equal(
    formatEntry(line(w2, 'loss=0.3'), { colour: true }),
    `${rankColour(2)}[worker-2]\x1b[0m loss=0.3`,
  );
  const colours = new Set(Array.from({ length: 12 }, (_, r) => rankColour(r)));
  assert.equal(colours.size, 12, 'ranks 0..11 get distinct colours');
  assert.equal(rankColour(12), rankColour(0));
  assert.notEqual(rankColour(0), rankColour(1));
  assert.ok(formatEntry(line(m0, 'x'), { colour: true }).startsWith('\x1b[36m[master-0]'));
});

test('timestamps are shown only when asked', () => {
  const e: LogEntry = { source: w2, kind: 'line', text: 'step 1', ts: '2026-12-06T10:00:00.123456789Z' };
  assert.equal(formatEntry(e), '[worker-2] step 1');
  assert.equal(formatEntry(e, { timestamps: true }), '[worker-2] 2026-12-06T10:00:00.123456789Z step 1');
});

test('joined, ended and restarted lines say how', () => {
  assert.equal(formatEntry(events.joined(w2, 'pod bert-worker-2')), '[worker-2] joined (pod bert-worker-2)');
  assert.equal(
    formatEntry(events.ended(w2, { reason: 'OOMKilled', exitCode: 137 })),
    '[worker-2] ended: OOMKilled, exit code 137',
  );
  assert.equal(
    formatEntry(events.ended(w2, { reason: 'Completed', exitCode: 0 })),
    '[worker-2] ended: Completed, exit code 0',
  );
  assert.equal(formatEntry(events.ended(w2, { message: 'pod deleted' })), '[worker-2] ended: pod deleted');
  assert.equal(formatEntry(events.restarted(w2, 2)), '[worker-2] restarted (2)');
  // events are dim in colour
  assert.ok(formatEntry(events.restarted(w2, 2), { colour: true }).endsWith('\x1b[2mrestarted (2)\x1b[0m'));
});

test('\\r progress bars keep only their last state; CRLF loses its \\r', () => {
  assert.equal(lastCarriageState('plain'), 'plain');
  assert.equal(lastCarriageState('  0%|   |\r 50%|█  |\r100%|███|'), '100%|███|');
  assert.equal(lastCarriageState('done\r'), 'done');
  assert.equal(lastCarriageState('a\r\r'), 'a');
  assert.equal(lastCarriageState('\r'), '');
});

test('terminal safety: colours stay, cursor moves, clears, titles and controls go', () => {
  assert.equal(sanitizeForTerminal('\x1b[31mred\x1b[0m'), '\x1b[31mred\x1b[0m');
  assert.equal(sanitizeForTerminal('a\x1b[2Jb\x1b[1;1Hc'), 'abc');
  assert.equal(sanitizeForTerminal('\x1b]0;title\x07x'), 'x');
  assert.equal(sanitizeForTerminal('bell\x07 tab\tok\x00'), 'bell tab\tok');
  assert.equal(sanitizeForTerminal('del\x7f cr\r esc\x1bM'), 'del cr esc');
  assert.equal(sanitizeForTerminal('plain ünïcode ✓ text'), 'plain ünïcode ✓ text');
  assert.equal(stripAnsi('\x1b[1;32mok\x1b[0m'), 'ok');
  // an unterminated colour is reset at the end of the line
  assert.ok(formatEntry(line(w2, '\x1b[31mred'), { colour: true }).endsWith('red\x1b[0m'));
  assert.equal(formatEntry(line(w2, '\x1b[31mred\x1b[0m')), '[worker-2] red', 'plain text has no escapes');
});

test('the ring keeps the last N and counts what it dropped', () => {
  const r = new Ring<number>(3);
  for (let i = 1; i <= 7; i++) r.push(i);
  assert.deepEqual(r.toArray(), [5, 6, 7]);
  assert.equal(r.size, 3);
  assert.equal(r.dropped, 4);
  assert.equal(r.at(0), 5);
  assert.equal(r.at(3), undefined);
  r.resize(2);
  assert.deepEqual(r.toArray(), [6, 7]);
  r.resize(5);
  r.push(8);
  assert.deepEqual(r.toArray(), [6, 7, 8]);
  r.clear();
  assert.deepEqual(r.toArray(), []);
  const big = new Ring<string>(50_000);
  for (let i = 0; i < 120_000; i++) big.push(`l${i}`);
  assert.equal(big.size, 50_000);
  assert.equal(big.at(0), 'l70000');
  assert.equal(big.at(49_999), 'l119999');
});

test('timestamps: RFC3339Nano of any fraction width and zone, sortable keys, sinceTime in seconds', () => {
  const a = parseTimestamp('2026-12-06T10:00:00.5Z hello world');
  assert.equal(a.text, 'hello world');
  assert.equal(a.ts, '2026-12-06T10:00:00.5Z');
  const b = parseTimestamp('2026-12-06T10:00:00.123456789Z x');
  const c = parseTimestamp('2026-12-06T11:00:00.123456790+01:00 y');
  const d = parseTimestamp('2026-12-06T10:00:01Z z');
  assert.ok(b.key! < c.key!, 'same instant in another zone, one ns later');
  assert.ok(b.key! < a.key!);
  assert.ok(a.key! < d.key!);
  assert.equal(parseTimestamp('2026-12-06T10:00:00.123456789Z x').key, b.key);
  assert.deepEqual(parseTimestamp('no timestamp here'), {
    key: undefined,
    ts: undefined,
    text: 'no timestamp here',
  });
  assert.equal(sinceTimeOf(b.key!), '2026-12-06T10:00:00Z');
  assert.equal(parseTimestamp('2026-12-06T10:00:00Z ').text, '');
});

test('timestamps: lines in the second of the previous line read the same as any line (every width, zone, malformed)', () => {
  // The reading before lines of the same second were read by hand: one regular expression and Date.parse.
  const reference = (line: string) => {
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d) /.exec(line);
    const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
    if (!m || Number.isNaN(ms)) return { key: undefined, ts: undefined, text: line };
    const frac = (m[2] ?? '').padEnd(9, '0');
    const key = String(ms + Number(frac.slice(0, 3))).padStart(15, '0') + frac.slice(3);
    return { key, ts: m[0].slice(0, -1), text: line.slice(m[0].length) };
  };
  const sec = '2026-12-06T10:00:00';
  const lines = [
    `${sec}.5Z a`,
    `${sec}.123456789Z b`,
    `${sec}Z c`,
    `${sec}.000000001Z d`,
    `${sec}.999999999Z e`,
    `${sec}.1234567890Z ten digits`,
    `${sec}.Z no digits`,
    `${sec}.12Zx no space`,
    `${sec}.12 no zone`,
    `${sec}.12+01:00 other zone`,
    `${sec}.12+01:00 same zone again`,
    `${sec}.12-01:00 another`,
    `${sec}.12+0100 bad zone`,
    `${sec}.12Z`,
    `${sec}.12Z `,
    `${sec}.4Z \r progress`,
    '2026-12-06T10:00:01.3Z next second',
    `${sec}.7Z back a second`,
    '2026-02-30T10:00:00.1Z no such day',
    '2026-02-30T10:00:00.2Z no such day again',
    `${sec}.1Z after it`,
    `${sec}`,
    '',
    'plain text',
  ];
  for (const l of lines) assert.deepEqual(parseTimestamp(l), reference(l), JSON.stringify(l));
});

test('resume: lines before the last timestamp and those delivered at it are dropped, new ones kept', () => {
  const c = new ResumeCursor();
  const k = (s: number, ns = 0) =>
    parseTimestamp(`2026-12-06T10:00:0${s}.${String(ns).padStart(9, '0')}Z _`).key;
  assert.equal(c.sinceTime, undefined);
  for (const [key, t] of [
    [k(0, 1), 'a'],
    [k(1, 5), 'b'],
    [k(1, 5), 'c'],
  ] as const)
    assert.equal(c.accept(key, t), true);
  assert.equal(c.sinceTime, '2026-12-06T10:00:01Z');
  c.resume();
  // The server sends again from 10:00:01 (seconds): b, c at the boundary, then the new d (same ts), e.
  const replay = [
    [k(1, 1), 'older in the same second'],
    [k(1, 5), 'b'],
    [k(1, 5), 'c'],
    [k(1, 5), 'd'],
    [k(2, 0), 'e'],
  ] as const;
  const got = replay.filter(([key, t]) => c.accept(key, t)).map(([, t]) => t);
  assert.deepEqual(got, ['d', 'e']);
  assert.equal(c.dropped, 3);
  // A second drop right after: the boundary now holds b, c, d at 10:00:01.5 is replaced by e at :02.
  c.resume();
  assert.deepEqual(
    (
      [
        [k(2, 0), 'e'],
        [k(2, 0), 'f'],
      ] as const
    )
      .filter(([key, t]) => c.accept(key, t))
      .map(([, t]) => t),
    ['f'],
  );
});

test('resume keeps a repeated text that is new (same timestamp, more lines than delivered)', () => {
  const c = new ResumeCursor();
  const key = parseTimestamp('2026-12-06T10:00:00.000000001Z _').key;
  c.accept(key, 'tick');
  c.resume();
  assert.equal(c.accept(key, 'tick'), false, 'the one delivered');
  assert.equal(c.accept(key, 'tick'), true, 'a second identical line is new');
});

test('filter by text, by regex and by rank; invalid regex is a message; events stay under a text filter', () => {
  const all = [
    line(m0, 'epoch 1 loss=0.9'),
    line(w2, 'epoch 1 LOSS=0.8'),
    line(w2, 'NCCL INFO ring'),
    events.restarted(w2, 1),
  ];
  const run = (spec: Parameters<typeof makeFilter>[0]) => {
    const f = makeFilter(spec);
    assert.ok(f.ok);
    return all.filter(f.filter).map((e) => formatEntry(e));
  };
  assert.equal(run({}).length, 4);
  assert.deepEqual(run({ text: 'loss' }), [
    '[master-0] epoch 1 loss=0.9',
    '[worker-2] epoch 1 LOSS=0.8',
    '[worker-2] restarted (1)',
  ]);
  assert.deepEqual(run({ text: 'loss', caseSensitive: true }), [
    '[master-0] epoch 1 loss=0.9',
    '[worker-2] restarted (1)',
  ]);
  assert.deepEqual(run({ text: '^NCCL', regex: true }), [
    '[worker-2] NCCL INFO ring',
    '[worker-2] restarted (1)',
  ]);
  assert.deepEqual(run({ labels: ['master-0'] }), ['[master-0] epoch 1 loss=0.9']);
  const bad = makeFilter({ text: '(', regex: true });
  assert.equal(bad.ok, false);
  assert.match((bad as { message: string }).message, /^Invalid regular expression/);
});

test('labels sort master/chief/head first, then by role and numeric rank', () => {
  const labels = ['worker-10', 'worker-2', 'master-0', 'ps-0', 'head', 'gpu-workers-1', 'worker-1'];
  assert.deepEqual(labels.sort(compareLabels), [
    'head',
    'master-0',
    'gpu-workers-1',
    'ps-0',
    'worker-1',
    'worker-2',
    'worker-10',
  ]);
});
