import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyMode,
  applyOrder,
  applyRank,
  describeObject,
  isWorkload,
  podTemplatesOf,
  splitManifests,
  targetNamespace,
} from '../../../src/core/manifests';
import { type KubeObject } from '../../../src/core/kube';

const FILE = `# leading comment
apiVersion: batch/v1
kind: Job
metadata:
  name: train
spec:
  template:
    spec:
      containers: [{ name: main, image: busybox }]
---
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data: { a: b }
---
apiVersion: v1
kind: Namespace
metadata:
  name: team-a
`;

const k = (
  apiVersion: string,
  kind: string,
  metadata: Record<string, unknown> = { name: 'x' },
  spec?: unknown,
) => ({ apiVersion, kind, metadata, spec }) as unknown as KubeObject;

describe('splitManifests', () => {
  it('objects with their document index (empty documents count), lines (from the --- marker) and first content line', () => {
    const f = splitManifests(FILE);
    assert.deepEqual(f.problems, []);
    assert.deepEqual(
      f.objects.map((o) => [o.docIndex, o.object.kind, o.firstLine, o.lines.start, o.lines.end]),
      [
        [0, 'Job', 1, 1, 8],
        [2, 'ConfigMap', 11, 10, 15],
        [3, 'Namespace', 17, 16, 20],
      ],
    );
  });

  it('says which documents are not Kubernetes objects or do not parse', () => {
    const f = splitManifests('name: just-config\nitems: [1, 2]\n---\napiVersion: v1\nkind: [\n');
    assert.deepEqual(f.objects, []);
    assert.equal(f.problems.length, 2);
    assert.deepEqual(
      f.problems.map((p) => [p.docIndex, p.line]),
      [
        [0, 0],
        [1, 4],
      ],
    );
    assert.match(f.problems[0].message, /not a Kubernetes object/);
    assert.match(f.problems[1].message, /^YAML syntax error/);
  });

  it('an empty file has no objects and no problems', () => {
    assert.deepEqual(splitManifests(''), { objects: [], problems: [] });
    assert.deepEqual(splitManifests('# only a comment\n'), { objects: [], problems: [] });
  });
});

describe('applyOrder', () => {
  it('Namespaces, CRDs, then config/identity/storage/queues, then the rest, then workloads; stable', () => {
    const items = [
      k('kubeflow.org/v1', 'PyTorchJob', { name: 'p' }),
      k('v1', 'Service', { name: 's' }),
      k('batch/v1', 'Job', { name: 'j' }),
      k('v1', 'PersistentVolumeClaim', { name: 'pvc' }),
      k('apiextensions.k8s.io/v1', 'CustomResourceDefinition', { name: 'crd' }),
      k('v1', 'ConfigMap', { name: 'cm' }),
      k('kueue.x-k8s.io/v1beta1', 'LocalQueue', { name: 'lq' }),
      k('v1', 'Namespace', { name: 'ns' }),
      k('v1', 'Secret', { name: 'sec' }),
      k('v1', 'ServiceAccount', { name: 'sa' }),
    ].map((object) => ({ object }));
    assert.deepEqual(
      applyOrder(items).map((i) => i.object.metadata.name),
      ['ns', 'crd', 'pvc', 'cm', 'lq', 'sec', 'sa', 's', 'p', 'j'],
    );
  });
  it('a kind named like a core kind in another group is not that kind', () => {
    assert.equal(applyRank(k('example.com/v1', 'Namespace')), 3);
    assert.equal(applyRank(k('v1', 'Namespace')), 0);
  });
});

describe('namespaces and names', () => {
  const job = (ns?: string) => k('batch/v1', 'Job', ns ? { name: 'j', namespace: ns } : { name: 'j' });
  it("the document's, else the chosen, else the context's, else default", () => {
    assert.equal(targetNamespace(job('doc'), { chosen: 'ch', context: 'ctx' }), 'doc');
    assert.equal(targetNamespace(job(), { chosen: 'ch', context: 'ctx' }), 'ch');
    assert.equal(targetNamespace(job(), { context: 'ctx' }), 'ctx');
    assert.equal(targetNamespace(job(), {}), 'default');
  });
  it('cluster-scoped kinds have none; discovery can override the default guess', () => {
    assert.equal(targetNamespace(k('v1', 'Namespace', { name: 'n' }), { chosen: 'ch' }), undefined);
    assert.equal(targetNamespace(k('example.com/v1', 'Widget'), { chosen: 'ch' }, false), undefined);
  });
  it('generateName documents are created; a document with no name at all is an error', () => {
    assert.equal(applyMode(job()), 'apply');
    assert.equal(applyMode(k('batch/v1', 'Job', { generateName: 'train-' })), 'create');
    assert.deepEqual(applyMode(k('batch/v1', 'Job', {})), {
      error: 'Job has neither metadata.name nor metadata.generateName',
    });
    assert.equal(describeObject(k('batch/v1', 'Job', { generateName: 'train-' }), 'ml'), 'Job ml/train-…');
  });
});

describe('podTemplatesOf: the pods every ML kind asks for', () => {
  const gpuPod = (n: number) => ({
    containers: [{ name: 'c', resources: { limits: { 'nvidia.com/gpu': n } } }],
  });
  const roles = (o: KubeObject) => podTemplatesOf(o).map((t) => [t.role, t.replicas]);

  it('PyTorchJob replica specs', () => {
    const o = k(
      'kubeflow.org/v1',
      'PyTorchJob',
      { name: 'p' },
      {
        pytorchReplicaSpecs: {
          Master: { replicas: 1, template: { spec: gpuPod(8) } },
          Worker: { replicas: 3, template: { spec: gpuPod(8) } },
        },
      },
    );
    assert.deepEqual(roles(o), [
      ['master', 1],
      ['worker', 3],
    ]);
    assert.equal(isWorkload(o), true);
  });
  it('TrainJob: numNodes x resourcesPerNode', () => {
    const o = k(
      'trainer.kubeflow.org/v1alpha1',
      'TrainJob',
      { name: 't' },
      {
        trainer: { numNodes: 4, resourcesPerNode: { limits: { 'nvidia.com/gpu': 8 } } },
      },
    );
    assert.deepEqual(roles(o), [['node', 4]]);
    assert.deepEqual(podTemplatesOf(o)[0].podSpec.containers[0].resources, {
      limits: { 'nvidia.com/gpu': 8 },
    });
  });
  it('RayJob and RayCluster: head and worker groups (replicas x numOfHosts)', () => {
    const cluster = {
      headGroupSpec: { template: { spec: gpuPod(0) } },
      workerGroupSpecs: [{ replicas: 2, numOfHosts: 2, template: { spec: gpuPod(4) } }],
    };
    assert.deepEqual(roles(k('ray.io/v1', 'RayJob', { name: 'r' }, { rayClusterSpec: cluster })), [
      ['head', 1],
      ['worker', 4],
    ]);
    assert.deepEqual(roles(k('ray.io/v1', 'RayCluster', { name: 'r' }, cluster)), [
      ['head', 1],
      ['worker', 4],
    ]);
  });
  it('JobSet replicatedJobs, LeaderWorkerSet, Job parallelism, Pod and Deployment', () => {
    const js = k(
      'jobset.x-k8s.io/v1alpha2',
      'JobSet',
      { name: 'js' },
      {
        replicatedJobs: [
          {
            name: 'workers',
            replicas: 2,
            template: { spec: { parallelism: 4, template: { spec: gpuPod(8) } } },
          },
        ],
      },
    );
    assert.deepEqual(roles(js), [['workers', 8]]);
    const lws = k(
      'leaderworkerset.x-k8s.io/v1',
      'LeaderWorkerSet',
      { name: 'l' },
      {
        replicas: 2,
        leaderWorkerTemplate: {
          size: 3,
          leaderTemplate: { spec: gpuPod(8) },
          workerTemplate: { spec: gpuPod(8) },
        },
      },
    );
    assert.deepEqual(roles(lws), [
      ['leader', 2],
      ['worker', 4],
    ]);
    assert.deepEqual(
      roles(k('batch/v1', 'Job', { name: 'j' }, { parallelism: 3, template: { spec: gpuPod(1) } })),
      [['pod', 3]],
    );
    assert.deepEqual(roles(k('v1', 'Pod', { name: 'p' }, gpuPod(1))), [['pod', 1]]);
    assert.deepEqual(
      roles(k('apps/v1', 'Deployment', { name: 'd' }, { replicas: 2, template: { spec: gpuPod(1) } })),
      [['pod', 2]],
    );
  });
  it('objects without pods have no templates', () => {
    assert.deepEqual(roles(k('v1', 'ConfigMap')), []);
    assert.deepEqual(roles(k('kueue.x-k8s.io/v1beta1', 'LocalQueue')), []);
    assert.equal(isWorkload(k('v1', 'ConfigMap')), false);
  });
});
