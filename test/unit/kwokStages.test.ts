// The cluster harness's node heartbeat setting (test/cluster/harness/cluster.ts withNodeHeartbeat): the sidebar
// bench's large scenes slow kwok's node status heartbeat to a kubelet's cadence by rewriting one stage of
// test/cluster/kwok/stages.yaml; every other stage must stay as written. A longer node lease also sets the
// controller-manager's node grace period (controllerManagerNodeArgs).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { controllerManagerNodeArgs, withNodeHeartbeat } from '../cluster/harness/cluster';
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

test("the controller-manager's node grace period follows a lease longer than a kubelet's", () => {
  // A kubelet's lease (40 s) and the test tier's (10 s) keep the default grace period.
  assert.deepEqual(controllerManagerNodeArgs(undefined), []);
  assert.deepEqual(controllerManagerNodeArgs(10), []);
  assert.deepEqual(controllerManagerNodeArgs(40), []);
  // The bench's --kubelet-cadence lease (renewed every 300 s): nodes must not go NotReady in between.
  assert.deepEqual(controllerManagerNodeArgs(1200), ['--node-monitor-grace-period=1200s']);
});
