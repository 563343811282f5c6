import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { LogEntry, LogSource } from '../../../src/core/logMerge';
import { LogRing } from '../../../src/sessions/logsRing';

const w0: LogSource = { label: 'worker-0', rank: 0 };
const m0: LogSource = { label: 'master-0', rank: 1 };
const line = (source: LogSource, text: string, ts?: string): LogEntry =>
  ts === undefined ? { source, kind: 'line', text } : { source, kind: 'line', text, ts };

test('the log ring gives back each entry as pushed: source, kind, timestamp or none, any text', () => {
  const r = new LogRing(10);
  const entries: LogEntry[] = [
    line(w0, 'step 1 loss=0.91', '2026-12-06T10:00:00.123456789Z'),
    line(m0, 'no timestamp'),
    line(w0, '', '2026-12-06T10:00:01Z'),
    line(m0, 'ünïcödé 日本語 😀 \uFFFD end'),
    { source: w0, kind: 'ended', text: 'ended: OOMKilled, exit code 137' },
    { source: m0, kind: 'joined', text: 'joined (pod bert-master-0)' },
    { source: w0, kind: 'restarted', text: 'restarted (2)' },
    { source: m0, kind: 'info', text: 'info' },
  ];
  for (const e of entries) r.push(e);
  assert.deepEqual(r.toArray(), entries);
  assert.equal(r.at(0)!.source, w0, 'the same source object, so filters by label and colour slots hold');
  assert.equal(r.at(8), undefined);
  assert.equal(r.at(-1), undefined);
  assert.equal(
    r.bytes,
    entries.reduce((n, e) => n + Buffer.byteLength(e.text) + Buffer.byteLength(e.ts ?? ''), 0),
  );
});

test('the log ring keeps the last N lines in order and counts what it dropped', () => {
  const r = new LogRing(3);
  for (let i = 1; i <= 7; i++) r.push(line(w0, `l${i}`));
  assert.deepEqual(
    r.toArray().map((e) => e.text),
    ['l5', 'l6', 'l7'],
  );
  assert.equal(r.dropped, 4);
  r.resize(2);
  assert.deepEqual(
    r.toArray().map((e) => e.text),
    ['l6', 'l7'],
  );
  assert.equal(r.dropped, 5);
  r.resize(5);
  r.push(line(w0, 'l8'));
  assert.deepEqual(
    r.toArray().map((e) => e.text),
    ['l6', 'l7', 'l8'],
  );
  r.clear();
  assert.equal(r.size, 0);
  assert.equal(r.bytes, 0);
  r.push(line(m0, 'after clear'));
  assert.deepEqual(r.toArray(), [line(m0, 'after clear')]);
});

test('the log ring is bounded in bytes: 64 KiB lines keep only what fits, the newest, in order', () => {
  const max = 1024 * 1024;
  const r = new LogRing(50_000, max);
  const big = (i: number) => `${i} `.padEnd(64 * 1024, 'x');
  for (let i = 0; i < 1000; i++) {
    r.push(line(w0, big(i), '2026-12-06T10:00:00Z'));
    assert.ok(r.bytes <= max, `bytes ${r.bytes} at ${i}`);
  }
  assert.equal(r.maxBytes, max, 'the buffer never grows');
  const kept = r.toArray().map((e) => Number(e.text.split(' ')[0]));
  // 1 MiB holds 15 lines of 64 KiB + 20 bytes of timestamp; a wrap may leave one line's room unused.
  assert.ok(kept.length >= 14 && kept.length <= 15, `kept ${kept.length}`);
  assert.deepEqual(
    kept,
    Array.from({ length: kept.length }, (_, i) => 1000 - kept.length + i),
  );
  assert.equal(r.at(kept.length - 1)!.text, big(999));
  assert.equal(r.dropped, 1000 - kept.length);
});

test('the log ring: mixed sizes wrapping many times keep a contiguous newest suffix within both bounds', () => {
  // A fixed pseudo-random sequence of line lengths from 0 to 40,000 characters, some multi-byte.
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const max = 1024 * 1024;
  const r = new LogRing(200, max);
  const pushed: LogEntry[] = [];
  let largest = 0;
  for (let i = 0; i < 5000; i++) {
    const len = rand() < 0.9 ? Math.floor(rand() * 200) : Math.floor(rand() * 40_000);
    const e = line(i % 2 ? w0 : m0, `${i}:${(i % 7 === 0 ? 'é' : 'a').repeat(len)}`, `t${i}`);
    pushed.push(e);
    r.push(e);
    largest = Math.max(largest, Buffer.byteLength(e.text) + e.ts!.length);
    assert.ok(r.size <= 200);
    assert.ok(r.bytes <= max);
    if (i % 500 === 499) {
      const kept = r.toArray();
      assert.deepEqual(kept, pushed.slice(pushed.length - kept.length), `suffix at ${i}`);
      // Nothing dropped that both bounds had room for: either the line bound is reached or the bytes kept
      // plus the room a wrap can leave unused (under one line) and the room of the next line fill the buffer.
      assert.ok(kept.length === 200 || r.bytes + 2 * largest >= max, `kept ${kept.length}, ${r.bytes} bytes`);
    }
  }
});

test('the log ring holds 50,000 lines of a flood in its buffer, not as objects on the heap', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  const r = new LogRing(50_000);
  const heap0 = process.memoryUsage().heapUsed;
  for (let i = 0; i < 200_000; i++)
    r.push(line(w0, `p=1 seq=${i} t=1765055220123 loss=0.${i % 1000} epoch 3 step ${i}`, `ts${i}`));
  assert.equal(r.size, 50_000);
  assert.equal(r.at(0)!.text, 'p=1 seq=150000 t=1765055220123 loss=0.0 epoch 3 step 150000');
  assert.equal(r.at(49_999)!.ts, 'ts199999');
  gc();
  // Strings and entry objects of 50,000 such lines take 13 MB of heap; the ring keeps a buffer and typed arrays.
  const grew = process.memoryUsage().heapUsed - heap0;
  assert.ok(grew < 2 * 1024 * 1024, `heap grew ${grew} bytes`);
  // Still in use after the measure (else the collector could free the ring itself and the test prove nothing).
  assert.equal(r.at(49_999)!.text, 'p=1 seq=199999 t=1765055220123 loss=0.999 epoch 3 step 199999');
});

test('the log ring buffer grows with what is kept, never past the bound, and shrinks on clear', () => {
  const r = new LogRing(50_000);
  assert.equal(r.maxBytes, 32 * 1024 * 1024);
  assert.equal(r.bufferBytes, 1024 * 1024, 'a new session starts small');
  const text = (i: number) => `p=1 seq=${i} t=1765055220123 `.padEnd(100, 'x');
  for (let i = 0; i < 250_000; i++) r.push(line(w0, text(i)));
  const grown = r.bufferBytes;
  // It grows while what is kept fills more than half of it: at most 4x what is kept (5 MB here), not 32 MiB.
  assert.ok(grown >= 2 * r.bytes && grown <= 4 * r.bytes, `buffer ${grown} for ${r.bytes} bytes kept`);
  // The line bound holds the bytes steady: the buffer is reused, not grown.
  for (let i = 250_000; i < 450_000; i++) r.push(line(w0, text(i)));
  assert.equal(r.bufferBytes, grown);
  assert.equal(r.at(0)!.text, text(400_000));
  assert.equal(r.at(49_999)!.text, text(449_999));
  // Long lines fill it up to the bound and no further.
  for (let i = 0; i < 1000; i++) r.push(line(m0, `${i} `.padEnd(60_000, 'y')));
  assert.equal(r.bufferBytes, r.maxBytes);
  assert.ok(r.bytes <= r.maxBytes && r.bytes > r.maxBytes - 2 * 60_000, `${r.bytes} bytes kept`);
  assert.equal(r.at(r.size - 1)!.text, '999 '.padEnd(60_000, 'y'));
  r.clear();
  assert.equal(r.bufferBytes, 1024 * 1024);
});
