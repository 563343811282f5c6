// The language server and DRA kinds: the bundled schemas (Kubernetes 1.30) have no resource.k8s.io/v1, so
// offline a ResourceClaimTemplate or DeviceClass gets no schema diagnostics at all (an unknown group is not an
// error); connected to a cluster that serves DRA, the live OpenAPI v3 documents make them fully validated.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { fetchOpenApiV3, kubeConfigGetter } from '../../src/k8s/openapi';
import { SchemaStore } from '../../src/server/schema/store';
import { validateText } from '../../src/server/validation/api';
import { sharedCluster, type TestCluster } from './harness/index';

const TEMPLATE = `apiVersion: resource.k8s.io/v1
kind: ResourceClaimTemplate
metadata:
  name: h100x4
spec:
  spec:
    devices:
      requests:
      - name: gpu
        exactly:
          deviceClassName: gpu.nvidia.com
          count: 4
          allocationMod: ExactCount
`;

const DEVICE_CLASS = `apiVersion: resource.k8s.io/v1
kind: DeviceClass
metadata:
  name: gpu.nvidia.com
spec:
  selectors:
  - cel:
      expression: "device.driver == 'gpu.nvidia.com'"
`;

describe('ResourceClaimTemplate and DeviceClass in the language server', () => {
  let cluster: TestCluster;
  let cacheDir: string;
  let live: SchemaStore;
  const bundled = SchemaStore.fromBundled(path.join(import.meta.dirname, '../../schemas'));

  before(async () => {
    cluster = await sharedCluster();
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    cacheDir = await mkdtemp(path.join(tmpdir(), 'gantry-dra-openapi-'));
    const res = await fetchOpenApiV3(kubeConfigGetter(kc), { cacheDir, clusterKey: cluster.server });
    assert.ok(res.ok, res.ok ? '' : res.message);
    assert.ok('apis/resource.k8s.io/v1' in res.docs, 'the cluster serves resource.k8s.io/v1');
    live = bundled.overlay(SchemaStore.fromOpenApiV3(res.docs));
  });
  after(async () => {
    await rm(cacheDir, { recursive: true, force: true });
    await cluster.stop();
  });

  it('offline (bundled 1.30 schemas): no DRA v1 schema, so no diagnostics either way', () => {
    assert.equal(bundled.lookup('resource.k8s.io/v1', 'ResourceClaimTemplate'), undefined);
    assert.deepEqual(validateText(TEMPLATE, { store: bundled }), []);
  });

  it('connected: the live schema finds a misspelt field of a ResourceClaimTemplate request', () => {
    assert.ok(live.lookup('resource.k8s.io/v1', 'ResourceClaimTemplate'));
    const ds = validateText(TEMPLATE, { store: live });
    assert.deepEqual(
      ds.map((d) => [d.code, d.range.start.line]),
      [['unknown-field', 12]],
    );
  });

  it('connected: a DeviceClass with a CEL selector is valid, a wrong type is not', () => {
    assert.deepEqual(validateText(DEVICE_CLASS, { store: live }), []);
    const bad = DEVICE_CLASS.replace('  selectors:\n  - cel:', '  selectors:\n    cel:');
    assert.ok(validateText(bad, { store: live }).length > 0, 'selectors must be a list');
  });
});
