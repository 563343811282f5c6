import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allocatedByNode, checkFit } from '../../../src/core/fit';
import { buildGpuInventory } from '../../../src/core/gpu';
import { type KubeObject } from '../../../src/core/kube';
import { fixtureNodes, pod } from './builders';

const nodes = fixtureNodes();
const TOLERATE = [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }];

function pytorch(
  workers: number,
  gpus: number,
  o: {
    tolerations?: unknown[];
    nodeSelector?: Record<string, string>;
    cpu?: string;
    labels?: Record<string, string>;
  } = {},
): KubeObject {
  const limits: Record<string, string> = { 'nvidia.com/gpu': String(gpus) };
  if (o.cpu) limits.cpu = o.cpu;
  return {
    apiVersion: 'kubeflow.org/v1',
    kind: 'PyTorchJob',
    metadata: { name: 'train', namespace: 'ml', labels: o.labels },
    spec: {
      pytorchReplicaSpecs: {
        Worker: {
          replicas: workers,
          template: {
            spec: {
              tolerations: o.tolerations ?? TOLERATE,
              ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
              containers: [{ name: 'pytorch', image: 'pytorch:2', resources: { limits } }],
            },
          },
        },
      },
    },
  };
}

/** A running pod holding `gpus` H100s on h100-node-0. */
const busy = (gpus: number, phase: 'Running' | 'Succeeded' = 'Running') =>
  pod('other', { node: 'h100-node-0', gpus, phase });

describe('checkFit: no node can ever hold a pod', () => {
  it('more GPUs per pod than the largest node of that model has', () => {
    assert.deepEqual(checkFit(pytorch(2, 16), { nodes, pods: [] }), {
      fit: 'never',
      role: 'worker',
      reason: 'a worker asks for 16 nvidia.com/gpu; the largest NVIDIA H100 80GB HBM3 node has 8',
    });
  });
  it('more CPU than any node has, in the pool its selector allows', () => {
    const r = checkFit(
      pytorch(1, 1, { cpu: '200', nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-A100-PCIE-40GB' } }),
      { nodes, pods: [] },
    );
    assert.deepEqual(r, {
      fit: 'never',
      role: 'worker',
      reason: 'the worker asks for 200 cpu; the largest node it may run on has 127.5',
    });
  });
  it('a product no node has', () => {
    const r = checkFit(pytorch(1, 8, { nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-B200' } }), {
      nodes,
      pods: [],
    });
    assert.equal(r.fit, 'never');
    assert.match(
      (r as { reason: string }).reason,
      /^the worker selects nvidia\.com\/gpu\.product=NVIDIA-B200, which no node has \(nodes have nvidia\.com\/gpu\.product=NVIDIA-A100-PCIE-40GB, NVIDIA-H100-80GB-HBM3\)$/,
    );
  });
  it('every node big enough is tainted and the pod tolerates none of it', () => {
    const r = checkFit(pytorch(1, 8, { tolerations: [] }), { nodes, pods: [] });
    assert.deepEqual(r, {
      fit: 'never',
      role: 'worker',
      reason:
        'every node big enough for the worker is tainted (nvidia.com/gpu=present:NoSchedule) and it has no matching toleration',
    });
  });
});

describe('checkFit: fits only when other pods finish, or Kueue admits it', () => {
  it('two 8-GPU workers while another pod holds one H100 node', () => {
    const r = checkFit(pytorch(2, 8), { nodes, pods: [busy(8)] });
    assert.deepEqual(r, {
      fit: 'wait',
      reason:
        'it needs 16 nvidia.com/gpu at once (2 workers x 8); 8 are free now on the nodes it may use; it will wait until other pods finish',
    });
  });
  it('fragmentation: 3 GPUs used on each H100 node leaves 10 free but no node with 8', () => {
    const pods = [busy(3), pod('other-2', { node: 'h100-node-1', gpus: 3 })];
    const r = checkFit(pytorch(1, 8), { nodes, pods });
    assert.equal(r.fit, 'wait');
    assert.match((r as { reason: string }).reason, /needs 8 nvidia\.com\/gpu at once .*; 10 are free now/);
  });
  it('with a Kueue queue label, says Kueue admits it', () => {
    const r = checkFit(pytorch(2, 8, { labels: { 'kueue.x-k8s.io/queue-name': 'gpu-queue' } }), {
      nodes,
      pods: [busy(8)],
    });
    assert.equal(r.fit, 'wait');
    assert.match(
      (r as { reason: string }).reason,
      /Kueue admits it from LocalQueue gpu-queue when quota and nodes allow$/,
    );
  });
});

describe('checkFit: fits now', () => {
  it('two 8-GPU workers on the two free H100 nodes', () => {
    assert.deepEqual(checkFit(pytorch(2, 8), { nodes, pods: [] }), { fit: 'now' });
  });
  it('four 4-GPU workers pack two per H100 node (best fit)', () => {
    assert.deepEqual(checkFit(pytorch(4, 4), { nodes, pods: [busy(0)] }), { fit: 'now' });
  });
  it('a finished pod holds nothing, as in the GPUs view', () => {
    assert.deepEqual(checkFit(pytorch(2, 8), { nodes, pods: [busy(8, 'Succeeded')] }), { fit: 'now' });
  });
  it('with a Kueue label, notes that Kueue admits it first', () => {
    const r = checkFit(pytorch(1, 8, { labels: { 'kueue.x-k8s.io/queue-name': 'q' } }), { nodes, pods: [] });
    assert.deepEqual(r, { fit: 'now', note: 'Kueue admits it from LocalQueue q first' });
  });
  it('a TrainJob is not judged on tolerations (its runtime supplies them)', () => {
    const tj: KubeObject = {
      apiVersion: 'trainer.kubeflow.org/v1alpha1',
      kind: 'TrainJob',
      metadata: { name: 't', namespace: 'ml' },
      spec: { trainer: { numNodes: 2, resourcesPerNode: { limits: { 'nvidia.com/gpu': 8 } } } },
    };
    assert.deepEqual(checkFit(tj, { nodes, pods: [] }), { fit: 'now' });
    const big = {
      ...tj,
      spec: { trainer: { numNodes: 1, resourcesPerNode: { limits: { 'nvidia.com/gpu': 9 } } } },
    };
    assert.equal(checkFit(big, { nodes, pods: [] }).fit, 'never');
  });
  it('objects without pods fit trivially; no nodes known is unknown', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } } as KubeObject;
    assert.deepEqual(checkFit(cm, { nodes, pods: [] }), { fit: 'now' });
    assert.equal(checkFit(pytorch(1, 1), { nodes: [], pods: [] }).fit, 'unknown');
  });
});

describe('the fit check uses the GPUs view arithmetic', () => {
  it('allocated GPUs per node equal the GPU inventory (init containers, sidecars, terminated pods)', () => {
    const pods = [
      busy(3),
      pod('done', { node: 'h100-node-0', gpus: 8, phase: 'Succeeded' }),
      pod('side', {
        node: 'h100-node-1',
        gpus: 2,
        spec: {
          initContainers: [
            { name: 's', restartPolicy: 'Always', resources: { limits: { 'nvidia.com/gpu': '1' } } },
            { name: 'i', resources: { limits: { 'nvidia.com/gpu': '4' } } },
          ],
        },
      }),
    ];
    const byNode = allocatedByNode(pods);
    const inv = buildGpuInventory(nodes, pods);
    for (const n of inv.nodes)
      for (const r of n.resources)
        assert.equal(byNode.get(n.name)?.[r.resource] ?? 0, r.allocated, `${n.name} ${r.resource}`);
    assert.equal(byNode.get('h100-node-1')?.['nvidia.com/gpu'], 5);
  });
});
