import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineBatcher } from '../../../src/core/logsBatch';
import { ManualTimers } from '../k8s/fakes';

function setup(keep: number, o: { maxPendingChars?: number } = {}) {
  const timers = new ManualTimers();
  const writes: { text: string; lines: number }[] = [];
  const b = new LineBatcher((text, lines) => writes.push({ text, lines }), {
    keepLines: () => keep,
    flushMs: 40,
    timers,
    ...o,
  });
  return { timers, writes, b };
}

test('log batcher: lines within one interval go out in one write, in order, after the interval', () => {
  const { timers, writes, b } = setup(1000);
  b.push('a\r\n');
  b.push('b\r\n');
  timers.advance(39);
  assert.deepEqual(writes, [], 'nothing before the interval');
  b.push('c\r\n');
  timers.advance(1);
  assert.deepEqual(writes, [{ text: 'a\r\nb\r\nc\r\n', lines: 3 }]);
  assert.equal(timers.pending, 0, 'no timer while nothing is pending');
  b.push('d\r\n');
  timers.advance(40);
  assert.deepEqual(writes.at(-1), { text: 'd\r\n', lines: 1 });
  assert.equal(b.written, 4);
  assert.equal(b.skipped, 0);
});

test('log batcher: a flood writes per interval only the lines the terminal keeps, the newest, in order', () => {
  const { timers, writes, b } = setup(100);
  for (let i = 0; i < 10_000; i++) b.push(`line ${i}\r\n`);
  assert.equal(b.pending, 100, 'what waits is bounded by the terminal');
  timers.advance(40);
  assert.equal(writes.length, 1);
  const lines = writes[0]!.text.split('\r\n').slice(0, -1);
  assert.deepEqual(
    lines,
    Array.from({ length: 100 }, (_, i) => `line ${9900 + i}`),
  );
  assert.equal(writes[0]!.lines, 100);
  assert.equal(b.skipped, 9900);
  // The next interval starts empty: the kept lines of one batch are never dropped by the next (it waits longer:
  // the batch before overflowed).
  b.push('next\r\n');
  timers.advance(80);
  assert.equal(writes[1]!.text, 'next\r\n');
});

test('log batcher: in a flood the interval doubles up to the flood interval, and returns once a batch fits', () => {
  const timers = new ManualTimers();
  const at: number[] = [];
  let now = 0;
  const b = new LineBatcher(() => at.push(now), {
    keepLines: () => 10,
    flushMs: 40,
    floodFlushMs: 160,
    timers,
  });
  const advance = (ms: number) => {
    for (let i = 0; i < ms; i++) {
      now++;
      timers.advance(1);
    }
  };
  // 100 lines per 10 ms: every batch overflows the 10 lines the terminal keeps.
  const flood = (ms: number) => {
    for (let t = 0; t < ms; t += 10) {
      for (let i = 0; i < 100; i++) b.push(`x\r\n`);
      advance(10);
    }
  };
  flood(1000);
  const gaps = at.slice(1).map((t, i) => t - at[i]!);
  assert.deepEqual(gaps.slice(0, 3), [80, 160, 160], 'stretched: 40, then 80, then capped at 160');
  assert.ok(gaps.every((g) => g <= 160));
  // The flood ends: a batch that fits is written, and the one after it waits the short interval again.
  advance(200);
  const before = at.length;
  b.push('a\r\n');
  advance(200);
  b.push('b\r\n');
  const pushedAt = now;
  advance(200);
  assert.equal(at.length, before + 2);
  assert.equal(at.at(-1)! - pushedAt, 40, 'back to 40 ms once a batch fit');
});

test('log batcher: huge lines are bounded by characters too, always keeping the newest line', () => {
  const { timers, writes, b } = setup(1000, { maxPendingChars: 100 });
  const l = (c: string) => c.repeat(38) + '\r\n';
  for (const c of ['a', 'b', 'c', 'd']) b.push(l(c));
  timers.advance(40);
  assert.equal(writes[0]!.text, l('c') + l('d'));
  b.push('x'.repeat(500) + '\r\n');
  b.flush();
  assert.equal(writes[1]!.text, 'x'.repeat(500) + '\r\n', 'a line over the cap alone is still written');
});

test('log batcher: flush writes at once, reset forgets what waits and cancels the timer', () => {
  const { timers, writes, b } = setup(10);
  b.push('a\r\n');
  b.flush();
  assert.deepEqual(writes, [{ text: 'a\r\n', lines: 1 }]);
  assert.equal(timers.pending, 0);
  b.flush();
  assert.equal(writes.length, 1, 'an empty flush writes nothing');
  b.push('b\r\n');
  b.reset();
  assert.equal(timers.pending, 0);
  timers.advance(100);
  assert.equal(writes.length, 1);
});

test('log batcher: queued items are formatted only when written, not the ones a flood pushed out', () => {
  const timers = new ManualTimers();
  const writes: string[] = [];
  let formatted = 0;
  const b = new LineBatcher<{ n: number }>((text) => writes.push(text), {
    keepLines: () => 100,
    flushMs: 40,
    timers,
    format: (x) => {
      formatted++;
      return `line ${x.n}\r\n`;
    },
    chars: () => 10,
  });
  for (let n = 0; n < 10_000; n++) b.push({ n });
  assert.equal(formatted, 0, 'nothing is formatted before the write');
  timers.advance(40);
  assert.equal(formatted, 100);
  assert.equal(writes.length, 1);
  assert.equal(writes[0], Array.from({ length: 100 }, (_, i) => `line ${9900 + i}\r\n`).join(''));
  assert.equal(b.skipped, 9900);
});

test('log batcher: the character bound of unformatted items uses their size', () => {
  const timers = new ManualTimers();
  const writes: string[] = [];
  const b = new LineBatcher<string>((text) => writes.push(text), {
    keepLines: () => 1000,
    maxPendingChars: 100,
    flushMs: 40,
    timers,
    format: (x) => `${x}\r\n`,
    chars: (x) => x.length,
  });
  for (const c of ['a', 'b', 'c', 'd']) b.push(c.repeat(40));
  timers.advance(40);
  assert.equal(writes[0], `${'c'.repeat(40)}\r\n${'d'.repeat(40)}\r\n`);
});
