import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CUT_MARKER, LineDecoder } from '../../../src/core/lines';

const bytes = (...b: number[]) => Uint8Array.from(b);

test('splits on \\n across chunks and returns the unterminated tail at the end', () => {
  const d = new LineDecoder();
  assert.deepEqual(d.push('ab'), []);
  assert.deepEqual(d.push('c\n\nd'), ['abc', '']);
  assert.deepEqual(d.end(), ['d']);
  assert.deepEqual(d.end(), []);
});

test('UTF-8: a 4-byte character split over three chunks decodes whole; invalid bytes become U+FFFD', () => {
  const d = new LineDecoder();
  const smile = new TextEncoder().encode('😀\n'); // f0 9f 98 80 0a
  assert.deepEqual(d.push(smile.subarray(0, 1)), []);
  assert.deepEqual(d.push(smile.subarray(1, 3)), []);
  assert.deepEqual(d.push(smile.subarray(3)), ['😀']);
  // a lone continuation byte, an overlong encoding of '/', a truncated sequence before '\n'
  assert.deepEqual(d.push(bytes(0x80, 0x41, 0x0a, 0xc0, 0xaf, 0x0a, 0xe2, 0x82, 0x0a)), [
    '\uFFFDA',
    '\uFFFD\uFFFD',
    '\uFFFD',
  ]);
  // a truncated sequence at the very end of the body
  assert.deepEqual(d.push(bytes(0x7a, 0xe2)), []);
  assert.deepEqual(d.end(), ['z\uFFFD']);
});

test('a line over the limit is cut with the marker and the rest of it dropped, across chunks', () => {
  const d = new LineDecoder({ maxLineChars: 8 });
  assert.deepEqual(d.push('0123456'), []);
  assert.deepEqual(d.push('789abc'), []);
  assert.equal(d.pending, 8 + CUT_MARKER.length, 'bounded while the line goes on');
  assert.deepEqual(d.push('defgh\nok\n'), ['01234567' + CUT_MARKER, 'ok']);
  assert.deepEqual(d.push('x'.repeat(8) + '\n'), ['x'.repeat(8)], 'exactly the limit is kept');
});

test('the cut never splits a surrogate pair', () => {
  const d = new LineDecoder({ maxLineChars: 4 });
  assert.deepEqual(d.push('abc😀def\n'), ['abc' + CUT_MARKER]);
});

test('collapsing \\r keeps a never-ending progress bar bounded and its latest state', () => {
  const d = new LineDecoder({ maxLineChars: 40, collapseCarriageReturns: true });
  for (let i = 0; i <= 100; i++) d.push(`\rtrain ${String(i).padStart(3)}%|`);
  assert.ok(d.pending <= 40);
  const [line] = d.push('\n');
  assert.ok(!line!.includes(CUT_MARKER), 'collapsed, not cut');
  assert.equal(line!.split('\r').at(-1), 'train 100%|');
  assert.ok(line!.length <= 40);
});
