import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildGpuInventory } from '../../../src/core/gpu';
import { gpuSummaryText, poolShortLine, queueQuotaLines } from '../../../src/core/gpuSummary';
import { cond, fixtureNodes, obj, pod } from './builders';

const cq = (name: string, flavor: string, nominal: number, used: number, borrowed = 0) =>
  obj(
    'kueue.x-k8s.io/v1beta2',
    'ClusterQueue',
    name,
    {
      resourceGroups: [
        {
          coveredResources: ['cpu', 'nvidia.com/gpu'],
          flavors: [
            {
              name: flavor,
              resources: [
                { name: 'cpu', nominalQuota: '64' },
                { name: 'nvidia.com/gpu', nominalQuota: nominal },
              ],
            },
          ],
        },
      ],
    },
    {
      conditions: [cond('Active', 'True', 'Ready')],
      flavorsUsage: [
        {
          name: flavor,
          resources: [
            { name: 'cpu', total: '12' },
            { name: 'nvidia.com/gpu', total: String(used), borrowed: String(borrowed) },
          ],
        },
      ],
    },
    { namespace: undefined },
  );

describe('GPU summary at a glance', () => {
  const pods = [
    pod('train-0', { node: 'h100-node-0', gpus: 8 }),
    pod('train-1', { node: 'h100-node-1', gpus: 4 }),
  ];
  const inv = buildGpuInventory(fixtureNodes(), pods);

  it('one compact line per model', () => {
    // biggest pools first; MIG slices keep their profile
    assert.deepEqual(inv.pools.map(poolShortLine), [
      'H100 80GB: 4 free of 16',
      'A100 40GB MIG 1g.5gb: 14 free of 14',
      'MI300X: 8 free of 8',
      'A100 40GB: 5 free of 5',
      'A100 40GB MIG 3g.20gb: 2 free of 2',
    ]);
  });

  it('per-queue GPU quota and usage when Kueue is present; CPU quota left out', () => {
    assert.deepEqual(
      queueQuotaLines([cq('team-b-cq', 'h100', 16, 32, 16), cq('team-a-cq', 'h100', 32, 24)]),
      ['team-a-cq: 24/32 h100', 'team-b-cq: 32/16 h100 (16 borrowed)'],
    );
    // The view's message: one sentence (VS Code collapses its line breaks); the models are the view's rows.
    assert.equal(
      gpuSummaryText([cq('team-b-cq', 'h100', 16, 32, 16), cq('team-a-cq', 'h100', 32, 24)]),
      'Kueue quota (used/nominal): team-a-cq 24/32 h100; team-b-cq 32/16 h100 (16 borrowed)',
    );
    assert.equal(gpuSummaryText([]), '');
  });
});
