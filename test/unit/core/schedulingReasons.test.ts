import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { parseSchedulingMessage, type SchedulingReason } from '../../../src/core/schedulingReasons';

interface Fixture {
  name: string;
  source: string;
  version: string;
  message: string;
  headline?: string;
  want: [string, number?, string?][];
  preemption?: [string, number?][];
  postFilter?: string[];
}

const fixtures = parse(
  readFileSync(join(import.meta.dirname, '../../fixtures/scheduler/messages.yaml'), 'utf8'),
) as Fixture[];

function shape(r: SchedulingReason): [string, number?, string?] {
  const detail = r.resource ?? (r.taint ? `${r.taint.key}=${r.taint.value}` : r.claim);
  const out: [string, number?, string?] = [r.kind];
  if (r.nodes !== undefined || detail !== undefined) out.push(r.nodes ?? (null as unknown as number));
  if (detail !== undefined) out.push(detail);
  return out;
}

describe('parseSchedulingMessage over real scheduler messages', () => {
  it('has at least 20 distinct messages from 1.30 to 1.36, each citing its source', () => {
    assert.ok(new Set(fixtures.map((f) => f.message)).size >= 20);
    for (const v of ['v1.30.14', 'v1.33.5', 'v1.36.3'])
      assert.ok(
        fixtures.some((f) => f.version === v),
        v,
      );
    for (const f of fixtures) assert.ok(f.source.length > 10, f.name);
  });
  for (const f of fixtures) {
    it(`${f.name} (${f.version})`, () => {
      const p = parseSchedulingMessage(f.message);
      assert.deepEqual(p.reasons.map(shape), f.want);
      assert.deepEqual((p.preemption ?? []).map(shape), f.preemption ?? []);
      assert.deepEqual(p.postFilter, f.postFilter ?? []);
      if (f.headline) assert.equal(p.headline, f.headline);
      // never cut mid-sentence: the headline is the message's first sentence, whole
      assert.ok(f.message.startsWith(p.headline), p.headline);
      const next = f.message.slice(p.headline.length);
      assert.ok(
        next === '' || /^\.(\s|$)/.test(next),
        `headline ends at a sentence end: ${next.slice(0, 10)}`,
      );
      assert.ok(!/preemption|deallocate/.test(p.headline));
      const m = /^0\/(\d+)/.exec(f.message);
      assert.equal(p.totalNodes, m ? Number(m[1]) : undefined);
    });
  }
});
