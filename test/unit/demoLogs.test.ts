// The demo's training logs (test/cluster/simulator/demoLogs.ts): what Follow Logs shows in `npm run demo`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { linesFor, tqdmBar } from '../../test/cluster/simulator/demoLogs';
import type { Obj } from '../../test/cluster/simulator/util';

const pod = (rank: number, duration = '900s'): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: rank === 0 ? 'llama-master-0' : `llama-worker-${rank - 1}`,
    namespace: 'llm-team',
    labels: { 'training.kubeflow.org/job-name': 'llama' },
    annotations: { 'sim.gantry.dev/duration': duration },
  },
  spec: {
    containers: [
      {
        name: 'pytorch',
        env: [
          { name: 'RANK', value: String(rank) },
          { name: 'WORLD_SIZE', value: '4' },
        ],
      },
    ],
  },
});

test('tqdm bars look like tqdm', () => {
  assert.equal(
    tqdmBar('Epoch 1/3', 74, 200, 111, 'loss=1.832'),
    'Epoch 1/3:  37%|███▋      | 74/200 [01:51<03:09,  1.50s/it, loss=1.832]',
  );
  assert.equal(
    tqdmBar('Epoch 3/3', 200, 200, 300, 'loss=0.9'),
    'Epoch 3/3: 100%|██████████| 200/200 [05:00<00:00,  1.50s/it, loss=0.9]',
  );
});

test('every rank starts with its NCCL init; rank 0 also loads the model and describes the run', () => {
  const w = linesFor(pod(2), 0).flatMap((c) => c.lines);
  assert.ok(
    w.some((l) => l.includes('[rank2]: torch.distributed initialized: backend=nccl world_size=4 rank=2')),
  );
  assert.ok(!w.some((l) => l.includes('Running training')));
  const m = linesFor(pod(0), 0);
  assert.ok(
    m.some((c) => c.stream === 'stderr' && c.lines.some((l) => l.startsWith('Loading checkpoint shards'))),
  );
  assert.ok(m.some((c) => c.lines.some((l) => /Running training: 3 epochs, \d+ steps/.test(l))));
});

test('each tick every rank redraws its bar with \\r on stderr; rank 0 logs epoch, step, loss and tokens/s', () => {
  const t = linesFor(pod(3), 5);
  assert.equal(t.length, 1);
  assert.equal(t[0]!.stream, 'stderr');
  assert.match(t[0]!.lines[0]!, /^\rEpoch 1\/3: +\d+%\|.*\| 9\/\d+ .*\rEpoch 1\/3: +\d+%\|.*\| 10\/\d+ /);
  const m = linesFor(pod(0), 5).flatMap((c) => c.lines);
  assert.ok(
    m.some((l) => /^epoch 1 step 10\/\d+ loss=\d\.\d{4} lr=\S+ grad_norm=\S+ tokens\/s=[\d,]+ /.test(l)),
    m.join('\n'),
  );
});

test('the bar reaches 100% of the last epoch as the pod duration runs out', () => {
  // 900 s at one tick every 3 s, less the 2 ticks the pod spends starting: 297 ticks of 2 steps.
  const last = linesFor(pod(0), 297).flatMap((c) => c.lines);
  assert.ok(
    last.some((l) => /Epoch 3\/3: 100%/.test(l)),
    last.join('\n'),
  );
  assert.ok(last.some((l) => /^epoch 3 done: train_loss=/.test(l)));
  assert.deepEqual(linesFor(pod(0), 298), [], 'nothing after the end');
  const mid = linesFor(pod(0), 150).flatMap((c) => c.lines);
  assert.ok(mid.some((l) => /Epoch 2\/3/.test(l)));
});
