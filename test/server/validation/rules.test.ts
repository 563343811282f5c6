// ML rules beyond the example mutations: Argo steps, KFP cycles, Ray head, Job restart policies,
// nprocPerNode, images, and the pod template table itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDocument } from 'yaml';
import { POD_TEMPLATE_TABLE, podSites } from '../../../src/server/rules/podTemplates';
import { dependsNames } from '../../../src/server/rules/graphs';
import { isExtendedResource, isGpuResource } from '../../../src/server/rules/resources';
import { loc, show, validate } from './helpers';

const codes = (text: string, code: string): ReturnType<typeof validate> =>
  validate(text).filter((d) => d.code === code);
const at = (
  text: string,
  word: string,
  nth = 0,
): { start: { line: number; character: number }; end: { line: number; character: number } } => {
  const s = loc(text, word, nth);
  return { start: s, end: { line: s.line, character: s.character + word.length } };
};

test('GANTRY107: Argo steps call an undefined template; entrypoint and onExit checked; templateRef to itself', () => {
  const wf = `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: self}
spec:
  entrypoint: mian
  onExit: cleanup
  templates:
    - name: main
      steps:
        - - name: a
            template: hello
        - - name: b
            template: helo
          - name: c
            templateRef: {name: self, template: nope}
          - name: d
            templateRef: {name: other, template: whatever}
    - name: hello
      container: {image: "alpine:3"}
`;
  const ds = codes(wf, 'GANTRY107');
  assert.deepEqual(
    ds.map((d) => JSON.stringify(d.range)).sort(),
    [at(wf, 'mian'), at(wf, 'cleanup'), at(wf, 'helo'), at(wf, 'nope')].map((r) => JSON.stringify(r)).sort(),
    show(ds),
  );
  assert.match(
    String(ds.find((d) => d.range.start.line === 4)!.message),
    /no template named "mian".*did you mean "main"/,
  );
});

test('GANTRY107: DAG dependencies list and depends expressions with results', () => {
  assert.deepEqual(dependsNames('(A.Succeeded || B-2.Failed) && !C'), [
    { name: 'A', index: 1 },
    { name: 'B-2', index: 16 },
    { name: 'C', index: 32 },
  ]);
  const wf = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: d-}
spec:
  entrypoint: d
  templates:
    - name: d
      dag:
        tasks:
          - {name: A, template: t}
          - {name: B, template: t, dependencies: [A, Z]}
          - {name: C, template: t, depends: "A.Succeeded || Y.Failed"}
    - name: t
      container: {image: "alpine:3"}
`;
  const ds = codes(wf, 'GANTRY107');
  assert.deepEqual(
    ds.map((d) => JSON.stringify(d.range)).sort(),
    [at(wf, 'Z'), at(wf, 'Y.', 0)]
      .map((r) => JSON.stringify({ ...r, end: { ...r.end, character: r.start.character + 1 } }))
      .sort(),
    show(ds),
  );
});

test('GANTRY108: KFP DAG cycle through dependentTasks', () => {
  const ir = `pipelineInfo: {name: p}
root:
  dag:
    tasks:
      a: {componentRef: {name: comp}, dependentTasks: [b], taskInfo: {name: a}}
      b: {componentRef: {name: comp}, dependentTasks: [a], taskInfo: {name: b}}
components:
  comp: {executorLabel: exec}
deploymentSpec:
  executors:
    exec: {container: {image: "python:3.11"}}
`;
  const ds = codes(ir, 'GANTRY108');
  assert.equal(ds.length, 1, show(ds));
  assert.match(String(ds[0].message), /root\.dag\.tasks: tasks form a cycle: a → b → a/);
  const s = loc(ir, '[a]');
  assert.deepEqual(ds[0].range, {
    start: { line: s.line, character: s.character + 1 },
    end: { line: s.line, character: s.character + 2 },
  });
});

test('GANTRY105: a Ray cluster without a head (RayJob rayClusterSpec)', () => {
  const text = `apiVersion: ray.io/v1
kind: RayJob
metadata: {name: r}
spec:
  entrypoint: python main.py
  rayClusterSpec:
    workerGroupSpecs: []
`;
  const ds = validate(text).filter((d) => d.severity === 1);
  assert.equal(ds.length, 1, show(ds));
  assert.equal(ds[0].code, 'GANTRY105');
  assert.deepEqual(ds[0].range, at(text, 'rayClusterSpec'));
});

test('GANTRY105: MPIJob without a Launcher, TFJob with both Chief and Master', () => {
  const mpi = `apiVersion: kubeflow.org/v1
kind: MPIJob
metadata: {name: m}
spec:
  mpiReplicaSpecs:
    Worker:
      template: {spec: {containers: [{name: w, image: "a:1"}]}}
`;
  const ds = codes(mpi, 'GANTRY105');
  assert.equal(ds.length, 1, show(ds));
  assert.deepEqual(ds[0].range, at(mpi, 'mpiReplicaSpecs'));
  const tf = `apiVersion: kubeflow.org/v1
kind: TFJob
metadata: {name: t}
spec:
  tfReplicaSpecs:
    Chief: {template: {spec: {containers: [{name: tensorflow, image: "a:1"}]}}}
    Master: {template: {spec: {containers: [{name: tensorflow, image: "a:1"}]}}}
`;
  assert.match(String(codes(tf, 'GANTRY105')[0].message), /either a Chief or a Master/);
});

test('GANTRY109: batch Job pod template needs restartPolicy OnFailure or Never', () => {
  const job = (rp: string): string => `apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec:
  template:
    spec:
${rp}      containers: [{name: c, image: "a:1"}]
`;
  const missing = codes(job(''), 'GANTRY109');
  assert.equal(missing.length, 1);
  assert.deepEqual(missing[0].range, at(job(''), 'spec', 1));
  const always = job('      restartPolicy: Always\n');
  assert.deepEqual(codes(always, 'GANTRY109')[0].range, at(always, 'Always'));
  assert.equal(codes(job('      restartPolicy: Never\n'), 'GANTRY109').length, 0);
  // Deployments may use Always.
  const dep = `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {}\n  template:\n    spec:\n      restartPolicy: Always\n      containers: [{name: c, image: "a:1"}]\n`;
  assert.equal(codes(dep, 'GANTRY109').length, 0);
});

test('GANTRY112: PyTorchJob nprocPerNode differs from the GPUs per worker; TrainJob numProcPerNode', () => {
  const py = (nproc: string): string => `apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: p}
spec:
  nprocPerNode: "${nproc}"
  pytorchReplicaSpecs:
    Worker:
      replicas: 2
      template:
        spec:
          containers:
            - name: pytorch
              image: a:1
              resources: {limits: {nvidia.com/gpu: 4}}
`;
  const ds = codes(py('8'), 'GANTRY112');
  assert.equal(ds.length, 1, show(ds));
  assert.deepEqual(ds[0].range, at(py('8'), '"8"'));
  assert.match(String(ds[0].message), /8 processes per node but .*gets 4 nvidia\.com\/gpu/);
  assert.equal(codes(py('4'), 'GANTRY112').length, 0);
  assert.equal(codes(py('auto'), 'GANTRY112').length, 0);
  const tj = `apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata: {name: t}
spec:
  runtimeRef: {name: torch-distributed}
  trainer:
    numNodes: 2
    numProcPerNode: 2
    resourcesPerNode:
      limits: {nvidia.com/gpu: 8}
`;
  assert.equal(codes(tj, 'GANTRY112').length, 1, show(validate(tj)));
});

test('GANTRY111: untagged and :latest images are hints; tags, digests and templates are fine', () => {
  const pod = (image: string): string =>
    `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: "${image}"}]\n`;
  for (const bad of ['busybox', 'busybox:latest', 'registry:5000/team/img', 'ghcr.io/a/b:latest']) {
    const ds = codes(pod(bad), 'GANTRY111');
    assert.equal(ds.length, 1, bad);
    assert.equal(ds[0].severity, 4);
  }
  for (const ok of [
    'busybox:1.36',
    'registry:5000/team/img:v2',
    'img@sha256:abc',
    '{{inputs.parameters.image}}',
  ]) {
    assert.equal(codes(pod(ok), 'GANTRY111').length, 0, ok);
  }
});

test('GPU and extended resource names', () => {
  for (const g of ['nvidia.com/gpu', 'nvidia.com/mig-1g.5gb', 'amd.com/gpu', 'example.com/gpu'])
    assert.ok(isGpuResource(g), g);
  for (const n of ['cpu', 'memory', 'nvidia.com/gpu.shared-x']) assert.ok(!isGpuResource(n), n);
  assert.ok(isExtendedResource('nvidia.com/gpu'));
  assert.ok(isExtendedResource('example.com/foo'));
  assert.ok(!isExtendedResource('cpu'));
  assert.ok(!isExtendedResource('hugepages-2Mi'));
  assert.ok(!isExtendedResource('kubernetes.io/foo'));
});

test('pod template table: one row per kind family, and sites found in each', () => {
  const kinds = POD_TEMPLATE_TABLE.flatMap((r) => r.kinds.map((k) => `${r.group}/${k}`));
  for (const k of [
    'kubeflow.org/PyTorchJob',
    'kubeflow.org/TFJob',
    'kubeflow.org/MPIJob',
    'kubeflow.org/XGBoostJob',
    'kubeflow.org/PaddleJob',
    'kubeflow.org/JAXJob',
    'batch/Job',
    'batch/CronJob',
    'jobset.x-k8s.io/JobSet',
    'leaderworkerset.x-k8s.io/LeaderWorkerSet',
    'ray.io/RayCluster',
    'ray.io/RayJob',
    'ray.io/RayService',
    'kubeflow.org/Notebook',
    'batch.volcano.sh/Job',
    'apps/Deployment',
    'apps/StatefulSet',
    '/Pod',
    'trainer.kubeflow.org/TrainJob',
    'serving.kserve.io/InferenceService',
  ])
    assert.ok(kinds.includes(k), k);
  const ray = parseDocument(`spec:
  rayClusterConfig:
    headGroupSpec: {template: {spec: {containers: [{name: h, image: a}]}}}
    workerGroupSpecs:
      - template: {spec: {containers: [{name: w1, image: a}, {name: w2, image: b}], initContainers: [{name: i, image: c}]}}
`).contents!;
  const sites = podSites(ray, 'ray.io/v1', 'RayService');
  assert.deepEqual(
    sites.map((s) => s.path.join('.')),
    [
      'spec.rayClusterConfig.headGroupSpec.template.spec',
      'spec.rayClusterConfig.workerGroupSpecs.0.template.spec',
    ],
  );
  assert.deepEqual(
    sites[1].containers.map((c) => c.init),
    [false, false, true],
  );
  const cron = parseDocument(
    'spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: c}]}}}}}',
  ).contents!;
  assert.equal(podSites(cron, 'batch/v1', 'CronJob')[0].job, true);
  const kserve = parseDocument(
    'spec: {predictor: {model: {modelFormat: {name: sklearn}, resources: {limits: {nvidia.com/gpu: 1}}}}}',
  ).contents!;
  assert.equal(podSites(kserve, 'serving.kserve.io/v1beta1', 'InferenceService')[0].containers.length, 1);
  // Volcano's batch.volcano.sh Job is not batch/v1 Job.
  assert.equal(podSites(cron, 'batch.volcano.sh/v1alpha1', 'CronJob').length, 0);
});

test('GANTRY113: several GPUs in a pod without a memory-backed /dev/shm (information)', () => {
  const pod = (gpus: number, shm: boolean): string => `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: c
      image: a:1
      resources:
        limits:
          nvidia.com/gpu: ${gpus}
${shm ? '      volumeMounts: [{name: dshm, mountPath: /dev/shm}]\n  volumes: [{name: dshm, emptyDir: {medium: Memory}}]\n' : ''}`;
  const ds = codes(pod(4, false), 'GANTRY113');
  assert.equal(ds.length, 1, show(ds));
  assert.equal(ds[0].severity, 3);
  assert.deepEqual(ds[0].range, at(pod(4, false), 'nvidia.com/gpu'));
  assert.equal(codes(pod(4, true), 'GANTRY113').length, 0);
  assert.equal(codes(pod(1, false), 'GANTRY113').length, 0);
});
