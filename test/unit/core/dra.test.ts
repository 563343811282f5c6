import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { draCounts, draState, podDraGpus, readClaims, readSlices } from '../../../src/core/dra';
import { type KubeObject } from '../../../src/core/kube';
import { isGpuDriver } from '../../../src/core/scheduling';
import { buildGpuTree } from '../../../src/core/tree';
import { fixtureNodes, pod } from './builders';

const H100 = 'NVIDIA H100 80GB HBM3';

function gpuDev(i: number, extra: Record<string, unknown> = {}) {
  return {
    name: `gpu-${i}`,
    attributes: {
      type: { string: 'gpu' },
      productName: { string: H100 },
      uuid: { string: `GPU-h100-${i}` },
      index: { int: i },
    },
    capacity: { memory: { value: '80Gi' } },
    ...extra,
  };
}

function slice(
  name: string,
  node: string,
  devices: unknown[],
  o: {
    driver?: string;
    generation?: number;
    count?: number;
    sharedCounters?: unknown[];
    version?: string;
  } = {},
): KubeObject {
  const spec: Record<string, unknown> = {
    driver: o.driver ?? 'gpu.nvidia.com',
    nodeName: node,
    pool: { name: node, generation: o.generation ?? 1, resourceSliceCount: o.count ?? 1 },
  };
  if (o.sharedCounters) spec.sharedCounters = o.sharedCounters;
  else spec.devices = devices;
  return {
    apiVersion: `resource.k8s.io/${o.version ?? 'v1'}`,
    kind: 'ResourceSlice',
    metadata: { name, uid: `uid-${name}` },
    spec,
  };
}

function claim(
  name: string,
  devices: { pool: string; device: string; driver?: string }[],
  pods: string[],
  ns = 'ml',
): KubeObject {
  return {
    apiVersion: 'resource.k8s.io/v1',
    kind: 'ResourceClaim',
    metadata: { name, namespace: ns, uid: `uid-${name}` },
    spec: { devices: { requests: [{ name: 'gpu', exactly: { deviceClassName: 'gpu.nvidia.com' } }] } },
    status: {
      allocation: {
        devices: {
          results: devices.map((d) => ({
            request: 'gpu',
            driver: d.driver ?? 'gpu.nvidia.com',
            pool: d.pool,
            device: d.device,
          })),
        },
      },
      reservedFor: pods.map((p) => ({ resource: 'pods', name: p, uid: `uid-pod-${p}` })),
    },
  };
}

const eight = (node: string) =>
  slice(
    `${node}-gpus`,
    node,
    [0, 1, 2, 3, 4, 5, 6, 7].map((i) => gpuDev(i)),
  );

describe('isGpuDriver', () => {
  const table: [string, boolean][] = [
    ['gpu.nvidia.com', true],
    ['gpu.amd.com', true],
    ['gpu.intel.com', true],
    ['compute-domain.nvidia.com', false],
    ['dra.net', false],
    ['sriovnetwork.openshift.io', false],
  ];
  for (const [d, want] of table) it(`${d} -> ${want}`, () => assert.equal(isGpuDriver(d), want));
});

describe('DRA slices and claims', () => {
  it('counts devices per node with their attributes (v1)', () => {
    const inv = readSlices([eight('dra-0')]);
    assert.equal(inv.devices.length, 8);
    const d = inv.devices[3]!;
    assert.deepEqual(
      { node: d.node, type: d.type, model: d.model, uuid: d.uuid, memory: d.memory },
      { node: 'dra-0', type: 'gpu', model: H100, uuid: 'GPU-h100-3', memory: '80Gi' },
    );
    const counts = draCounts(inv, readClaims([claim('c1', [{ pool: 'dra-0', device: 'gpu-0' }], ['p1'])]));
    const r = counts.get('dra-0')!;
    assert.equal(r.length, 1);
    assert.deepEqual(
      { resource: r[0]!.resource, total: r[0]!.total, allocated: r[0]!.allocated, free: r[0]!.free },
      { resource: 'gpu.nvidia.com', total: 8, allocated: 1, free: 7 },
    );
  });

  it('reads v1beta1 devices (fields under basic) and keeps only the newest pool generation', () => {
    const old = slice(
      'old',
      'n1',
      [0, 1].map((i) => ({ name: `gpu-${i}`, basic: gpuDev(i) })),
      {
        generation: 1,
        version: 'v1beta1',
      },
    );
    const cur = slice('cur', 'n1', [{ name: 'gpu-0', basic: gpuDev(0) }], {
      generation: 2,
      version: 'v1beta1',
    });
    const inv = readSlices([old, cur]);
    assert.equal(inv.devices.length, 1);
    assert.equal(inv.devices[0]!.model, H100);
    assert.equal(inv.devices[0]!.uuid, 'GPU-h100-0');
  });

  it('leaves out devices of drivers that are not GPU drivers', () => {
    const nic = slice('nic', 'n1', [{ name: 'eth1', attributes: {} }], { driver: 'dra.net' });
    assert.equal(readSlices([nic, eight('n1')]).devices.length, 8);
  });

  it('counts a shared device once: one claim reserved for two pods, and two claims on one device', () => {
    const s = draState(
      [eight('dra-0')],
      [
        claim('shared', [{ pool: 'dra-0', device: 'gpu-0' }], ['a', 'b']),
        claim('other', [{ pool: 'dra-0', device: 'gpu-0' }], ['c']),
      ],
    );
    const r = s.byNode.get('dra-0')![0]!;
    assert.equal(r.allocated, 1);
    assert.equal(r.free, 7);
    const use = r.devices.find((d) => d.device.name === 'gpu-0')!;
    assert.deepEqual(use.claims, ['ml/shared', 'ml/other']);
    assert.deepEqual(
      use.pods.map((p) => p.name),
      ['a', 'b', 'c'],
    );
  });

  it('partitionable devices: a MIG slice in use takes its whole GPU out of free without allocating it', () => {
    const counters = slice('ctr', 'dra-1', [], {
      count: 2,
      sharedCounters: [
        { name: 'gpu-0-counters', counters: { memory: { value: '80Gi' }, slices: { value: '7' } } },
      ],
    });
    const whole = gpuDev(0, {
      consumesCounters: [
        { counterSet: 'gpu-0-counters', counters: { memory: { value: '80Gi' }, slices: { value: '7' } } },
      ],
    });
    const migs = [0, 1, 2, 3, 4, 5, 6].map((i) => ({
      name: `gpu-0-mig-1g10gb-${i}`,
      attributes: {
        type: { string: 'mig' },
        productName: { string: H100 },
        profile: { string: '1g.10gb' },
        uuid: { string: `MIG-${i}` },
        parentUUID: { string: 'GPU-h100-0' },
      },
      capacity: { memory: { value: '10Gi' } },
      consumesCounters: [
        { counterSet: 'gpu-0-counters', counters: { memory: { value: '10Gi' }, slices: { value: '1' } } },
      ],
    }));
    const devs = slice('devs', 'dra-1', [whole, ...migs], { count: 2 });

    const before = draState([counters, devs], []).byNode.get('dra-1')!;
    const g0 = before.find((r) => r.resource === 'gpu.nvidia.com')!;
    const m0 = before.find((r) => r.resource === 'gpu.nvidia.com/mig-1g.10gb')!;
    assert.deepEqual([g0.total, g0.allocated, g0.free], [1, 0, 1]);
    assert.deepEqual([m0.total, m0.allocated, m0.free, m0.model], [7, 0, 7, `${H100} MIG 1g.10gb`]);
    assert.equal(m0.devices[0]!.device.parentUuid, 'GPU-h100-0');

    // One slice allocated: the whole GPU no longer fits its counters; six slices still do.
    const one = draState(
      [counters, devs],
      [claim('m', [{ pool: 'dra-1', device: 'gpu-0-mig-1g10gb-0' }], ['p'])],
    ).byNode.get('dra-1')!;
    const g1 = one.find((r) => r.resource === 'gpu.nvidia.com')!;
    const m1 = one.find((r) => r.resource === 'gpu.nvidia.com/mig-1g.10gb')!;
    assert.deepEqual([g1.total, g1.allocated, g1.free], [1, 0, 0]);
    assert.deepEqual([m1.total, m1.allocated, m1.free], [7, 1, 6]);

    // The whole GPU allocated: no MIG slice is free.
    const full = draState(
      [counters, devs],
      [claim('w', [{ pool: 'dra-1', device: 'gpu-0' }], ['q'])],
    ).byNode.get('dra-1')!;
    assert.deepEqual(
      full.map((r) => [r.resource, r.allocated, r.free]),
      [
        ['gpu.nvidia.com', 1, 0],
        ['gpu.nvidia.com/mig-1g.10gb', 0, 0],
      ],
    );
  });

  it("maps a pod to its claims' devices (generated claim names from status.resourceClaimStatuses)", () => {
    const s = draState(
      [eight('dra-0')],
      [
        claim(
          'trainer-gpu-x1',
          [0, 1, 2].map((i) => ({ pool: 'dra-0', device: `gpu-${i}` })),
          ['trainer'],
        ),
      ],
    );
    const p = pod('trainer', { node: 'dra-0' });
    p.spec!.resourceClaims = [{ name: 'gpu', resourceClaimTemplateName: 'h100x3' }];
    p.status!.resourceClaimStatuses = [{ name: 'gpu', resourceClaimName: 'trainer-gpu-x1' }];
    const g = podDraGpus(p, s.allocation, s.devices);
    assert.deepEqual(g, [
      {
        model: H100,
        resource: 'gpu.nvidia.com',
        count: 3,
        uuids: ['GPU-h100-0', 'GPU-h100-1', 'GPU-h100-2'],
      },
    ]);
    const other = pod('other', { node: 'dra-0' });
    assert.deepEqual(podDraGpus(other, s.allocation, s.devices), []);
  });
});

describe('GPU tree with DRA and device-plugin nodes', () => {
  it('groups DRA H100s with device-plugin H100s under one model, with the pod under its node', () => {
    const nodes = fixtureNodes();
    const draNode: KubeObject = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'dra-h100-0', uid: 'uid-dra-h100-0', labels: { type: 'kwok' } },
      spec: {},
      status: {
        capacity: { cpu: '96' },
        allocatable: { cpu: '96' },
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    };
    const trainer = pod('trainer', { node: 'dra-h100-0' });
    trainer.status!.resourceClaimStatuses = [{ name: 'gpu', resourceClaimName: 'trainer-gpu' }];
    const plugin = pod('plugin', { node: 'h100-node-0', gpus: 2 });
    const tree = buildGpuTree({
      nodes: [...nodes, draNode],
      pods: [trainer, plugin],
      resourceSlices: [eight('dra-h100-0')],
      resourceClaims: [
        claim(
          'trainer-gpu',
          [0, 1, 2, 3].map((i) => ({ pool: 'dra-h100-0', device: `gpu-${i}` })),
          ['trainer'],
        ),
      ],
    });
    const pluginH100 = nodes.filter(
      (n) => n.metadata.labels?.['nvidia.com/gpu.product'] === 'NVIDIA-H100-80GB-HBM3',
    );
    assert.ok(pluginH100.length > 0, 'fixture has device-plugin H100 nodes');
    const pluginTotal = pluginH100.length * 8;
    const model = tree.children().find((n) => n.label === H100)!;
    assert.ok(model, 'H100 model row');
    assert.match(
      model.description ?? '',
      new RegExp(`^${pluginTotal + 8 - 6}/${pluginTotal + 8} free · 6 allocated`),
    );
    const kids = tree.children(model.id).map((n) => n.label);
    assert.ok(kids.includes('dra-h100-0'));
    const draRow = tree.children(model.id).find((n) => n.label === 'dra-h100-0')!;
    assert.equal(draRow.description, 'gpu.nvidia.com 4/8 free');
    const pods = tree.children(draRow.id);
    assert.deepEqual(
      pods.map((p) => [p.label, p.description]),
      [['ml/trainer', '4× gpu.nvidia.com']],
    );
    assert.deepEqual(
      tree.podDraGpus(trainer).map((g) => g.count),
      [4],
    );
  });

  it('applies claim changes: allocation and release move the counts', () => {
    const draNode: KubeObject = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'dra-h100-0', uid: 'u' },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    };
    const tree = buildGpuTree({ nodes: [draNode], pods: [], resourceSlices: [eight('dra-h100-0')] });
    assert.equal(tree.pools()[0]!.free, 8);
    const c = claim('c', [{ pool: 'dra-h100-0', device: 'gpu-5' }], []);
    const ids = tree.apply({ type: 'added', object: c });
    assert.ok(ids.length > 0);
    assert.deepEqual([tree.pools()[0]!.allocated, tree.pools()[0]!.free], [1, 7]);
    tree.apply({ type: 'deleted', object: c });
    assert.deepEqual([tree.pools()[0]!.allocated, tree.pools()[0]!.free], [0, 8]);
  });

  it('a batch of claim changes refreshes only the nodes whose devices they hold', () => {
    const mk = (name: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, uid: name },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
    const tree = buildGpuTree({
      nodes: [mk('dra-a'), mk('dra-b'), mk('dra-c')],
      pods: [],
      resourceSlices: [eight('dra-a'), eight('dra-b'), eight('dra-c')],
    });
    const ids = tree.applyDra([
      { type: 'added', object: claim('c1', [{ pool: 'dra-a', device: 'gpu-0' }], []) },
      { type: 'added', object: claim('c2', [{ pool: 'dra-b', device: 'gpu-1' }], []) },
    ]);
    assert.deepEqual(ids.sort(), [`m:${H100}`, 'n:dra-a', 'n:dra-b']);
    assert.equal(tree.gpuNode('dra-c')!.resources[0]!.free, 8);
    // Released: the node it was on is refreshed although the deleted claim no longer names it.
    const again = tree.applyDra([{ type: 'deleted', object: claim('c1', [], []) }]);
    assert.deepEqual(again.sort(), [`m:${H100}`, 'n:dra-a']);
    assert.equal(tree.gpuNode('dra-a')!.resources[0]!.free, 8);
  });
});
