import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { INACTIVE_REASON, readLines } from '../../../src/k8s/lineStream';
import { ManualTimers, tick } from './fakes';

test('lines split across chunks arrive whole and in order; a clean end resolves undefined', async () => {
  const body = new PassThrough();
  const got: string[][] = [];
  let first = 0;
  const s = readLines(body, { onLines: (l) => void got.push(l), onFirstData: () => first++ });
  // Each piece read on its own (a tick between them), so lines do span chunks.
  body.write('a\nb');
  await tick();
  body.write('c\nd\n');
  await tick();
  body.end('tail');
  assert.equal(await s.done, undefined);
  assert.deepEqual(got, [['a'], ['bc', 'd'], ['tail']]);
  assert.equal(first, 1);
  assert.equal(s.bytes, 11);
});

test('chunks that arrived together are read as one batch, in order (a flood of one-line chunks)', async () => {
  const body = new PassThrough({ highWaterMark: 1 << 20 });
  const got: string[][] = [];
  const s = readLines(body, { onLines: (l) => void got.push(l) });
  // What an apiserver sends for a followed log: one HTTP chunk per line, many of them per socket read.
  for (let i = 0; i < 1000; i++) body.write(`line ${i}\n`);
  await tick();
  body.end();
  assert.equal(await s.done, undefined);
  assert.deepEqual(
    got.flat(),
    Array.from({ length: 1000 }, (_, i) => `line ${i}`),
  );
  assert.ok(got.length <= 2, `1000 buffered chunks were handled in ${got.length} passes`);
  assert.equal(s.bytes, got.flat().join('\n').length + 1);
});

test('lines that came in separate I/O callbacks of one turn of the event loop are read in one pass', async () => {
  const body = new PassThrough({ highWaterMark: 1 << 20 });
  const got: string[][] = [];
  const s = readLines(body, { onLines: (l) => void got.push(l) });
  // One TLS record per line, each its own callback (and its own 'readable'), all due in the same turn.
  await new Promise<void>((resolve) => {
    for (let i = 0; i < 50; i++) setTimeout(() => body.write(`line ${i}\n`), 1);
    setTimeout(resolve, 1);
  });
  await tick();
  body.end();
  await s.done;
  assert.deepEqual(
    got.flat(),
    Array.from({ length: 50 }, (_, i) => `line ${i}`),
  );
  assert.ok(got.length <= 3, `50 callbacks' lines were handled in ${got.length} passes`);
});

test('with readEveryMs, lines arriving over many turns of the event loop wait and are read together', async () => {
  const read = async (readEveryMs: number) => {
    const body = new PassThrough({ highWaterMark: 1 << 20 });
    const got: string[][] = [];
    const s = readLines(body, { onLines: (l) => void got.push(l) }, { readEveryMs });
    // A trickle: one line per turn of the event loop for 40 turns (the apiserver flushes line by line).
    for (let i = 0; i < 40; i++) {
      body.write(`line ${i}\n`);
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, readEveryMs + 20));
    body.end();
    await s.done;
    assert.deepEqual(
      got.flat(),
      Array.from({ length: 40 }, (_, i) => `line ${i}`),
    );
    return got.length;
  };
  // Every turn: a pass per line (or close to it).
  assert.ok((await read(0)) >= 20);
  // Once per 200 ms: the 40 turns take far less than 200 ms, so one pass holds them (a second at most, if the
  // machine stalled past the interval).
  const passes = await read(200);
  assert.ok(passes <= 2, `40 lines over 40 turns were handled in ${passes} passes`);
});

test('a handler error ends the stream with that error and destroys the body', async () => {
  const body = new PassThrough();
  const s = readLines(body, {
    onLines: (l) => (l.includes('stop') ? { kind: 'server', message: 'stop' } : undefined),
  });
  body.write('go\nstop\nnever\n');
  assert.deepEqual(await s.done, { kind: 'server', message: 'stop' });
  assert.equal(body.destroyed, true);
});

test('the inactivity watchdog aborts a silent stream; data re-arms it', async () => {
  const timers = new ManualTimers();
  const body = new PassThrough();
  const s = readLines(body, { onLines: () => undefined }, { timers, inactivityMs: 1000 });
  timers.advance(900);
  body.write('x\n');
  await tick();
  timers.advance(900);
  let settled = false;
  void s.done.then(() => (settled = true));
  await tick();
  assert.equal(settled, false, 'data arrived 900 ms ago: not inactive yet');
  timers.advance(200);
  const e = await s.done;
  assert.equal(e?.reason, INACTIVE_REASON);
  assert.equal(body.destroyed, true);
});

test("the watchdog counts bytes waiting for this turn's read as data", async () => {
  const timers = new ManualTimers();
  const body = new PassThrough();
  const got: string[] = [];
  const s = readLines(body, { onLines: (l) => void got.push(...l) }, { timers, inactivityMs: 1000 });
  timers.advance(900);
  body.write('late\n');
  // 'readable' has fired (its read is scheduled for setImmediate) when the watchdog's time comes.
  await new Promise((r) => process.nextTick(r));
  timers.advance(200);
  await tick();
  assert.deepEqual(got, ['late'], 'the line was read, not dropped by an inactivity abort');
  let settled = false;
  void s.done.then(() => (settled = true));
  await tick();
  assert.equal(settled, false);
  timers.advance(1000);
  assert.equal((await s.done)?.reason, INACTIVE_REASON);
});

test('abort() resolves undefined; a socket error is classified', async () => {
  const a = new PassThrough();
  const s1 = readLines(a, { onLines: () => undefined });
  s1.abort();
  assert.equal(await s1.done, undefined);
  const b = new PassThrough();
  const s2 = readLines(b, { onLines: () => undefined }, { server: 'https://x:6443' });
  b.destroy(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
  const e = await s2.done;
  assert.equal(e?.kind, 'unreachable');
  assert.match(e!.message, /x:6443/);
});

test('invalid UTF-8 becomes U+FFFD and a character split across chunks decodes whole', async () => {
  const body = new PassThrough();
  const got: string[] = [];
  const s = readLines(body, { onLines: (l) => void got.push(...l) });
  const euro = Buffer.from('€\n'); // e2 82 ac 0a
  body.write(euro.subarray(0, 1));
  await tick();
  body.write(euro.subarray(1));
  body.write(Buffer.from([0x61, 0xff, 0x62, 0x0a]));
  body.end();
  await s.done;
  assert.deepEqual(got, ['€', 'a\uFFFDb']);
});
