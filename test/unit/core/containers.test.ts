import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerPhase, containersToFollow, mainContainer } from '../../../src/core/containers';
import type { KubeObject } from '../../../src/core/kube';

const pod = (
  containers: string[],
  extra: Partial<KubeObject['metadata']> = {},
  init: string[] = [],
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'ns', ...extra },
  spec: { containers: containers.map((name) => ({ name })), initContainers: init.map((name) => ({ name })) },
});

test('the main container: kubectl annotation, then the operator-named one, the notebook own, else the first', () => {
  assert.equal(mainContainer(pod(['istio-proxy', 'pytorch'])), 'pytorch');
  assert.equal(mainContainer(pod(['sidecar', 'ray-head'])), 'ray-head');
  assert.equal(mainContainer(pod(['queue-proxy', 'kserve-container'])), 'kserve-container');
  assert.equal(mainContainer(pod(['tensorflow'])), 'tensorflow');
  assert.equal(mainContainer(pod(['proxy', 'my-nb'], { labels: { 'notebook-name': 'my-nb' } })), 'my-nb');
  assert.equal(
    mainContainer(pod(['pytorch', 'x'], { annotations: { 'kubectl.kubernetes.io/default-container': 'x' } })),
    'x',
  );
  assert.equal(mainContainer(pod(['app', 'logger'])), 'app');
  assert.equal(mainContainer(pod([])), undefined);
});

test('containers to follow: main by default, all on request, init containers first on request', () => {
  const p = pod(['sidecar', 'pytorch'], {}, ['init-data']);
  assert.deepEqual(containersToFollow(p), [{ name: 'pytorch', init: false }]);
  assert.deepEqual(containersToFollow(p, { allContainers: true, initContainers: true }), [
    { name: 'init-data', init: true },
    { name: 'sidecar', init: false },
    { name: 'pytorch', init: false },
  ]);
});

test('container phase: waiting, running, terminated final or not by restart policy and pod phase', () => {
  const p = (policy: string, phase: string, state: object, restarts = 0): KubeObject => ({
    ...pod(['main']),
    spec: { restartPolicy: policy, containers: [{ name: 'main' }] },
    status: { phase, containerStatuses: [{ name: 'main', restartCount: restarts, state }] },
  });
  assert.deepEqual(containerPhase({ ...pod(['main']), status: { phase: 'Pending' } }, 'main'), {
    kind: 'waiting',
    reason: 'Pending',
    restarts: 0,
  });
  assert.deepEqual(containerPhase(pod(['main']), 'other'), { kind: 'missing' });
  assert.deepEqual(containerPhase(p('Always', 'Running', { running: {} }, 2), 'main'), {
    kind: 'running',
    restarts: 2,
  });
  const oom = { terminated: { reason: 'OOMKilled', exitCode: 137 } };
  assert.equal((containerPhase(p('Always', 'Running', oom), 'main') as { final: boolean }).final, false);
  assert.equal((containerPhase(p('OnFailure', 'Running', oom), 'main') as { final: boolean }).final, false);
  assert.deepEqual(containerPhase(p('Never', 'Failed', oom, 1), 'main'), {
    kind: 'terminated',
    reason: 'OOMKilled',
    exitCode: 137,
    restarts: 1,
    final: true,
  });
  const done = { terminated: { reason: 'Completed', exitCode: 0 } };
  assert.equal((containerPhase(p('OnFailure', 'Running', done), 'main') as { final: boolean }).final, true);
  assert.deepEqual(
    containerPhase(p('Always', 'Running', { waiting: { reason: 'CrashLoopBackOff' } }, 3), 'main'),
    {
      kind: 'waiting',
      reason: 'CrashLoopBackOff',
      restarts: 3,
    },
  );
});
