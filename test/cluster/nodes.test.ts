import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sharedCluster, type TestCluster } from './harness/index';
import { type Json, rest } from './helpers';
import type { Rest } from './harness/rest';

describe('GPU node pool', () => {
  let cluster: TestCluster;
  let api: Rest;
  let nodes: Map<string, Json>;

  before(async () => {
    cluster = await sharedCluster();
    api = await rest(cluster);
    const list = await api.get<{ items: Json[] }>('/api/v1/nodes');
    nodes = new Map(list.items.map((n) => [n.metadata.name, n]));
  });
  after(async () => {
    api.close();
    await cluster.stop();
  });

  const ready = (n: Json): boolean =>
    n.status.conditions.some((c: Json) => c.type === 'Ready' && c.status === 'True');

  it('has 7 Ready nodes reporting the cluster version', () => {
    assert.deepEqual([...nodes.keys()].sort(), [
      'a100-mig-node-0',
      'a100-node-0',
      'cpu-node-0',
      'cpu-node-1',
      'h100-node-0',
      'h100-node-1',
      'mi300x-node-0',
    ]);
    for (const n of nodes.values()) {
      assert.ok(ready(n), `${n.metadata.name} Ready`);
      assert.equal(n.status.nodeInfo.kubeletVersion, cluster.version);
      assert.ok(n.status.addresses.some((a: Json) => a.type === 'InternalIP' && a.address === '127.0.0.1'));
    }
  });

  it('H100 nodes: 8 GPUs allocatable, GFD labels, NoSchedule taint', () => {
    for (const name of ['h100-node-0', 'h100-node-1']) {
      const n = nodes.get(name);
      assert.equal(n.status.allocatable['nvidia.com/gpu'], '8');
      assert.equal(n.status.capacity['nvidia.com/gpu'], '8');
      assert.equal(n.metadata.labels['nvidia.com/gpu.product'], 'NVIDIA-H100-80GB-HBM3');
      assert.equal(n.metadata.labels['nvidia.com/gpu.count'], '8');
      assert.equal(n.metadata.labels['nvidia.com/gpu.memory'], '81559');
      assert.equal(n.metadata.labels['nvidia.com/gpu.present'], 'true');
      assert.deepEqual(n.spec.taints, [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }]);
    }
  });

  it('A100 nodes: one whole, one MIG mixed strategy with slices', () => {
    const whole = nodes.get('a100-node-0');
    assert.equal(whole.status.allocatable['nvidia.com/gpu'], '4');
    assert.equal(whole.metadata.labels['nvidia.com/gpu.product'], 'NVIDIA-A100-PCIE-40GB');
    const mig = nodes.get('a100-mig-node-0');
    assert.equal(mig.metadata.labels['nvidia.com/mig.strategy'], 'mixed');
    assert.equal(mig.status.allocatable['nvidia.com/mig-1g.5gb'], '14');
    assert.equal(mig.status.allocatable['nvidia.com/mig-3g.20gb'], '2');
    assert.equal(mig.status.allocatable['nvidia.com/gpu'], '1');
    assert.equal(mig.metadata.labels['nvidia.com/mig-1g.5gb.count'], '14');
    assert.equal(mig.metadata.labels['nvidia.com/mig-3g.20gb.count'], '2');
    assert.equal(mig.metadata.labels['nvidia.com/mig-1g.5gb.product'], 'NVIDIA-A100-PCIE-40GB-MIG-1g.5gb');
  });

  it('MI300X node: amd.com/gpu with node labeller labels and taint', () => {
    const n = nodes.get('mi300x-node-0');
    assert.equal(n.status.allocatable['amd.com/gpu'], '8');
    assert.equal(n.metadata.labels['amd.com/gpu.device-id'], '74a1');
    assert.equal(n.metadata.labels['amd.com/gpu.family'], 'AI');
    assert.equal(n.metadata.labels['amd.com/gpu.vram'], '191G');
    assert.deepEqual(n.spec.taints, [{ key: 'amd.com/gpu', value: 'present', effect: 'NoSchedule' }]);
  });

  it('CPU nodes have no accelerators and no taints', () => {
    for (const name of ['cpu-node-0', 'cpu-node-1']) {
      const n = nodes.get(name);
      assert.equal(n.spec.taints, undefined);
      assert.ok(!Object.keys(n.status.allocatable).some((k) => k.includes('gpu')));
      assert.equal(n.status.allocatable.cpu, '63500m');
    }
  });
});
