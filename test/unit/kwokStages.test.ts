// The cluster harness's node heartbeat setting (test/cluster/harness/cluster.ts withNodeHeartbeat): the sidebar
// bench's large scenes slow kwok's node status heartbeat to a kubelet's cadence by rewriting one stage of
// test/cluster/kwok/stages.yaml; every other stage must stay as written.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { withNodeHeartbeat } from '../cluster/harness/cluster';
import { kwokStagesFile } from '../cluster/harness/paths';

type Stage = { metadata: { name: string }; spec: { delay?: Record<string, number> } };
const stagesOf = (text: string): Stage[] => parseAllDocuments(text).map((d) => d.toJS() as Stage);

test('sets the node-heartbeat delay and leaves every other stage as written', () => {
  const text = readFileSync(kwokStagesFile, 'utf8');
  const before = stagesOf(text);
  const after = stagesOf(withNodeHeartbeat(text, 300));
  assert.equal(after.length, before.length);
  for (const [i, s] of after.entries()) {
    if (s.metadata.name === 'node-heartbeat')
      assert.deepEqual(s.spec.delay, { durationMilliseconds: 300_000, jitterDurationMilliseconds: 375_000 });
    else assert.deepEqual(s, before[i], s.metadata.name);
  }
  assert.ok(after.some((s) => s.metadata.name === 'node-heartbeat'));
});

test('refuses stages without a node-heartbeat stage', () => {
  assert.throws(
    () => withNodeHeartbeat('kind: Stage\nmetadata:\n  name: pod-running\n', 300),
    /node-heartbeat/,
  );
});
