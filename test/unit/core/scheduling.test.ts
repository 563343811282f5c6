import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  affinityMatches,
  isGpuResource,
  isRoutineTaint,
  placementOf,
  type SchedNode,
  schedNode,
  selectNodes,
  shortfall,
  tolerates,
  untoleratedTaint,
} from '../../../src/core/scheduling';
import { isGpuResource as viaResources } from '../../../src/core/resources';
import { isGpuResource as viaServerRules } from '../../../src/server/rules/resources';
import { fixtureNodes } from './builders';

const node = (name: string, labels: Record<string, string>, extra: Partial<SchedNode> = {}): SchedNode => ({
  name,
  labels,
  allocatable: {},
  taints: [],
  ...extra,
});

describe('isGpuResource: one rule for the GPUs view, the server rules and the fit check', () => {
  const table: [string, boolean][] = [
    ['nvidia.com/gpu', true],
    ['amd.com/gpu', true],
    ['example.com/gpu', true],
    ['nvidia.com/mig-1g.5gb', true],
    ['nvidia.com/shared-gpu', true],
    ['gpu.intel.com/xe', true],
    ['example.com/notgpu', false],
    ['example.com/NOTGPU', false],
    ['nvidia.com/gpu.shared-x', false],
    ['cpu', false],
    ['gpu', false],
  ];
  for (const [name, want] of table)
    it(`${name} -> ${want} everywhere`, () => {
      assert.equal(isGpuResource(name), want);
      assert.equal(viaResources(name), want, 'core/resources');
      assert.equal(viaServerRules(name), want, 'server/rules/resources');
    });
});

describe('node selection', () => {
  const pool = [
    node('h1', { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3', zone: 'a', cores: '64' }),
    node('h2', { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3', zone: 'b', cores: '32' }),
    node('a1', { 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB', zone: 'a' }),
    node('cordoned', { 'nvidia.com/gpu.product': 'NVIDIA-B200' }, { unschedulable: true }),
  ];

  it('nodeSelector narrows, and names the key no node has with that value', () => {
    const ok = selectNodes(pool, { nodeSelector: { zone: 'a' } });
    assert.deepEqual(
      ok.candidates.map((n) => n.name),
      ['h1', 'a1'],
    );
    assert.equal(ok.narrowed, true);
    const bad = selectNodes(pool, { nodeSelector: { zone: 'a', 'nvidia.com/gpu.product': 'NVIDIA-B200' } });
    assert.deepEqual(bad.candidates, []);
    assert.deepEqual(bad.failure, {
      by: 'nodeSelector',
      key: 'nvidia.com/gpu.product',
      value: 'NVIDIA-B200',
      seen: ['NVIDIA-A100-SXM4-80GB', 'NVIDIA-H100-80GB-HBM3'],
    });
  });

  it('required affinity: terms are ORed, expressions ANDed; an empty term matches nothing', () => {
    const terms = [
      { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] },
      {
        matchExpressions: [
          { key: 'zone', operator: 'In', values: ['a'] },
          { key: 'cores', operator: 'Gt', values: ['48'] },
        ],
      },
    ];
    assert.deepEqual(
      selectNodes(pool, { requiredTerms: terms }).candidates.map((n) => n.name),
      ['h1', 'h2'],
    );
    assert.equal(affinityMatches(pool[0], [{}]), false);
    assert.equal(affinityMatches(pool[0], []), true);
    const byName = [{ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['h1'] }] }];
    assert.deepEqual(
      selectNodes(pool, { requiredTerms: byName }).candidates.map((n) => n.name),
      ['h2', 'a1'],
    );
    const none = selectNodes(pool, {
      nodeSelector: { zone: 'b' },
      requiredTerms: [{ matchExpressions: [{ key: 'cores', operator: 'Lt', values: ['8'] }] }],
    });
    assert.deepEqual(none.failure, { by: 'affinity', afterSelector: true });
  });

  it('DoesNotExist / NotIn match nodes without the label', () => {
    const t = [{ matchExpressions: [{ key: 'cores', operator: 'DoesNotExist' }] }];
    assert.deepEqual(
      selectNodes(pool, { requiredTerms: t }).candidates.map((n) => n.name),
      ['a1'],
    );
    const t2 = [{ matchExpressions: [{ key: 'cores', operator: 'NotIn', values: ['64'] }] }];
    assert.deepEqual(
      selectNodes(pool, { requiredTerms: t2 }).candidates.map((n) => n.name),
      ['h2', 'a1'],
    );
  });
});

describe('taints and tolerations', () => {
  const gpuTaint = { key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' };
  it('Exists with a key, Exists without a key, Equal needs the value, effects must agree', () => {
    assert.equal(tolerates({ key: 'nvidia.com/gpu', operator: 'Exists' }, gpuTaint), true);
    assert.equal(tolerates({ operator: 'Exists' }, gpuTaint), true);
    assert.equal(tolerates({ key: 'nvidia.com/gpu', value: 'present' }, gpuTaint), true);
    assert.equal(tolerates({ key: 'nvidia.com/gpu', value: 'absent' }, gpuTaint), false);
    assert.equal(
      tolerates({ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoExecute' }, gpuTaint),
      false,
    );
  });
  it('PreferNoSchedule never blocks; the first blocking taint is reported', () => {
    const n = node(
      'n',
      {},
      {
        taints: [{ key: 'soft', effect: 'PreferNoSchedule' }, gpuTaint, { key: 'team', effect: 'NoExecute' }],
      },
    );
    assert.deepEqual(untoleratedTaint(n, []), gpuTaint);
    assert.deepEqual(untoleratedTaint(n, [{ key: 'nvidia.com/gpu', operator: 'Exists' }]), {
      key: 'team',
      effect: 'NoExecute',
    });
    assert.equal(untoleratedTaint(n, [{ operator: 'Exists' }]), undefined);
  });
  it('GPU-dedication and cordon taints are routine for the GPUs view; others are not', () => {
    assert.equal(isRoutineTaint(gpuTaint), true);
    assert.equal(isRoutineTaint({ key: 'node.kubernetes.io/unschedulable' }), true);
    assert.equal(isRoutineTaint({ key: 'example.com/notgpu' }), false);
  });
});

describe('plain values from API JSON', () => {
  it('schedNode reads labels, allocatable, taints and cordon from a node object', () => {
    const h100 = fixtureNodes().find((n) => n.metadata.labels?.['nvidia.com/gpu.product']?.includes('H100'))!;
    const s = schedNode(h100);
    assert.equal(s.name, h100.metadata.name);
    assert.equal(s.allocatable['nvidia.com/gpu'], '8');
    assert.deepEqual(s.taints, [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }]);
  });
  it('placementOf stringifies values as the API decodes them', () => {
    const p = placementOf({
      nodeSelector: { cores: 64 },
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'cores', operator: 'In', values: [64] }] }],
          },
        },
      },
      tolerations: [{ key: 'a', operator: 'Exists' }],
    });
    assert.deepEqual(p.nodeSelector, { cores: '64' });
    assert.deepEqual(p.requiredTerms, [
      { matchExpressions: [{ key: 'cores', operator: 'In', values: ['64'] }], matchFields: [] },
    ]);
    assert.deepEqual(p.tolerations, [{ key: 'a', operator: 'Exists' }]);
  });
});

describe('shortfall', () => {
  it('lists only resources asked beyond what is there', () => {
    const have: Record<string, number> = { 'nvidia.com/gpu': 8, cpu: 96 };
    const s = shortfall({ 'nvidia.com/gpu': 16, cpu: 8, memory: 0 }, (r) => have[r] ?? 0);
    assert.deepEqual([...s], [['nvidia.com/gpu', [16, 8]]]);
  });
});
