// Live rules (GANTRY103, 104, 106, 110) against the fixture node pool in test/fixtures/nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '../../../src/server/validation/validator';
import { bundled, example, fixtureFacts, loc, show, validate } from './helpers';

const facts = fixtureFacts([
  { namespace: 'team-a', name: 'gpu-queue' },
  { namespace: 'default', name: 'default-queue' },
]);

test('the fixture pool has the expected GPU nodes', () => {
  const gpus = (r: string): number[] =>
    facts.nodes.map((n) => Number(n.allocatable[r] ?? 0)).filter((x) => x > 0);
  assert.deepEqual(gpus('nvidia.com/gpu').sort(), ['1', '4', '8', '8'].map(Number));
  assert.deepEqual(gpus('amd.com/gpu'), [8]);
  assert.deepEqual(gpus('nvidia.com/mig-3g.20gb'), [2]);
  assert.equal(
    facts.nodes.filter((n) => Object.keys(n.allocatable).every((k) => !k.includes('gpu'))).length >= 2,
    true,
  );
});

function pytorch(opts: {
  gpus?: string;
  resource?: string;
  selector?: string;
  tolerate?: boolean;
  affinity?: string;
  labels?: string;
  namespace?: string;
}): string {
  const r = opts.resource ?? 'nvidia.com/gpu';
  return `apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: train
${opts.namespace ? `  namespace: ${opts.namespace}\n` : ''}${opts.labels ? `  labels:\n${opts.labels}` : ''}spec:
  pytorchReplicaSpecs:
    Worker:
      replicas: 4
      template:
        spec:
${opts.selector ? `          nodeSelector:\n${opts.selector}` : ''}${opts.affinity ?? ''}${
    opts.tolerate
      ? `          tolerations:\n            - key: ${r.startsWith('amd') ? 'amd.com/gpu' : 'nvidia.com/gpu'}\n              operator: Exists\n              effect: NoSchedule\n`
      : ''
  }          containers:
            - name: pytorch
              image: pytorch/pytorch:2.4.0
              resources:
                limits:
                  ${r}: ${opts.gpus ?? '8'}
`;
}

const codes = (text: string, code: string): ReturnType<typeof validate> =>
  validate(text, facts).filter((d) => d.code === code);

test('a tolerated 8-GPU pod fits the H100 nodes: no live diagnostics', () => {
  const ds = validate(pytorch({ tolerate: true }), facts).filter((d) => d.severity! <= 2);
  assert.deepEqual(show(ds), '');
});

test('GANTRY103: 16 GPUs per pod exceed every node (per pod, not per job)', () => {
  const text = pytorch({ gpus: '16', tolerate: true });
  const ds = codes(text, 'GANTRY103');
  assert.equal(ds.length, 1, show(ds));
  const at = loc(text, '16');
  assert.deepEqual(ds[0].range, { start: at, end: { line: at.line, character: at.character + 2 } });
  assert.match(
    String(ds[0].message),
    /needs 16 nvidia\.com\/gpu but the most any of the nodes of the cluster has is 8/,
  );
  // 4 replicas x 8 GPUs is fine: the rule is per pod.
  assert.equal(codes(pytorch({ gpus: '8', tolerate: true }), 'GANTRY103').length, 0);
});

test('GANTRY103: MIG slices beyond the MIG node, and the selected pool only', () => {
  const mig = pytorch({ resource: 'nvidia.com/mig-3g.20gb', gpus: '3', tolerate: true });
  assert.equal(codes(mig, 'GANTRY103').length, 1);
  assert.equal(
    codes(pytorch({ resource: 'nvidia.com/mig-3g.20gb', gpus: '2', tolerate: true }), 'GANTRY103').length,
    0,
  );
  const a100 = pytorch({
    gpus: '8',
    tolerate: true,
    selector: '            nvidia.com/gpu.product: NVIDIA-A100-PCIE-40GB\n',
  });
  const ds = codes(a100, 'GANTRY103');
  assert.equal(ds.length, 1, show(ds));
  assert.match(String(ds[0].message), /matching its node selection has is 4/);
});

test('GANTRY104: a GPU product no node has, at the selector value', () => {
  const text = pytorch({
    tolerate: true,
    selector: '            nvidia.com/gpu.product: NVIDIA-A100-SXM4-80GB\n',
  });
  const ds = codes(text, 'GANTRY104');
  assert.equal(ds.length, 1, show(ds));
  const at = loc(text, 'NVIDIA-A100-SXM4-80GB');
  assert.deepEqual(ds[0].range, {
    start: at,
    end: { line: at.line, character: at.character + 'NVIDIA-A100-SXM4-80GB'.length },
  });
  assert.match(String(ds[0].message), /NVIDIA-A100-PCIE-40GB, NVIDIA-H100-80GB-HBM3/);
  assert.equal(
    codes(
      pytorch({ tolerate: true, selector: '            nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3\n' }),
      'GANTRY104',
    ).length,
    0,
  );
});

test('GANTRY104: required node affinity no node satisfies', () => {
  const affinity = (values: string): string => `          affinity:
            nodeAffinity:
              requiredDuringSchedulingIgnoredDuringExecution:
                nodeSelectorTerms:
                  - matchExpressions:
                      - key: nvidia.com/gpu.product
                        operator: In
                        values: [${values}]
`;
  const bad = pytorch({ tolerate: true, affinity: affinity('NVIDIA-B200') });
  const ds = codes(bad, 'GANTRY104');
  assert.equal(ds.length, 1, show(ds));
  assert.equal(ds[0].range.start.line, loc(bad, 'nodeSelectorTerms').line + 1);
  assert.equal(
    codes(pytorch({ tolerate: true, affinity: affinity('NVIDIA-B200, NVIDIA-H100-80GB-HBM3') }), 'GANTRY104')
      .length,
    0,
  );
});

test('GANTRY110: GPU pod without a toleration for the GPU taint, at the resource key', () => {
  const text = pytorch({});
  const ds = codes(text, 'GANTRY110');
  assert.equal(ds.length, 1, show(ds));
  const at = loc(text, 'nvidia.com/gpu: 8');
  assert.deepEqual(ds[0].range, {
    start: at,
    end: { line: at.line, character: at.character + 'nvidia.com/gpu'.length },
  });
  assert.match(String(ds[0].message), /nvidia\.com\/gpu=present:NoSchedule/);
  assert.equal(codes(pytorch({ tolerate: true }), 'GANTRY110').length, 0);
  assert.equal(codes(pytorch({ resource: 'amd.com/gpu' }), 'GANTRY110').length, 1);
  assert.equal(codes(pytorch({ resource: 'amd.com/gpu', tolerate: true }), 'GANTRY110').length, 0);
});

test('GANTRY106: queue-name label naming no LocalQueue in the namespace', () => {
  const labels = (q: string): string => `    kueue.x-k8s.io/queue-name: ${q}\n`;
  const text = pytorch({ tolerate: true, namespace: 'team-a', labels: labels('gpu-queu') });
  const ds = codes(text, 'GANTRY106');
  assert.equal(ds.length, 1, show(ds));
  const at = loc(text, 'gpu-queu');
  assert.deepEqual(ds[0].range, { start: at, end: { line: at.line, character: at.character + 8 } });
  assert.match(
    String(ds[0].message),
    /no LocalQueue "gpu-queu" in namespace team-a.*did you mean "gpu-queue"/,
  );
  assert.equal(
    codes(pytorch({ tolerate: true, namespace: 'team-a', labels: labels('gpu-queue') }), 'GANTRY106').length,
    0,
  );
  // Without metadata.namespace the default namespace of the facts applies.
  assert.equal(codes(pytorch({ tolerate: true, labels: labels('default-queue') }), 'GANTRY106').length, 0);
  assert.equal(codes(pytorch({ tolerate: true, labels: labels('gpu-queue') }), 'GANTRY106').length, 1);
});

test('offline (no facts): live rules are skipped', () => {
  const text = pytorch({ gpus: '16', selector: '            nvidia.com/gpu.product: nope\n' });
  const ds = validate(text);
  assert.deepEqual(
    ds.filter((d) => ['GANTRY103', 'GANTRY104', 'GANTRY106', 'GANTRY110'].includes(String(d.code))),
    [],
  );
});

test('a Validator drops live diagnostics when facts go away and recomputes them when they change', () => {
  const v = new Validator(bundled(), facts);
  const text = pytorch({ gpus: '16', tolerate: true });
  assert.equal(v.validate(text).filter((d) => d.code === 'GANTRY103').length, 1);
  v.setFacts(undefined);
  assert.equal(v.validate(text).filter((d) => d.code === 'GANTRY103').length, 0);
  const big = {
    ...facts,
    nodes: [...facts.nodes, { name: 'big', labels: {}, allocatable: { 'nvidia.com/gpu': '16' }, taints: [] }],
  };
  v.setFacts(big);
  assert.equal(v.validate(text).filter((d) => d.code === 'GANTRY103').length, 0);
});

test('pod-level rules cover the pod template table: JobSet, RayCluster workers, LWS, Volcano, Deployment', () => {
  const gpuPod = (indent: string): string =>
    `${indent}containers:\n${indent}  - name: c\n${indent}    image: x:1\n${indent}    resources:\n${indent}      limits:\n${indent}        nvidia.com/gpu: 16\n`;
  const docs = [
    `apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata: {name: a}\nspec:\n  replicatedJobs:\n    - name: w\n      template:\n        spec:\n          template:\n            spec:\n              restartPolicy: Never\n${gpuPod('              ')}`,
    `apiVersion: ray.io/v1\nkind: RayCluster\nmetadata: {name: a}\nspec:\n  headGroupSpec:\n    rayStartParams: {}\n    template:\n      spec:\n        containers: [{name: h, image: "r:1"}]\n  workerGroupSpecs:\n    - groupName: g\n      rayStartParams: {}\n      template:\n        spec:\n${gpuPod('          ')}`,
    `apiVersion: leaderworkerset.x-k8s.io/v1\nkind: LeaderWorkerSet\nmetadata: {name: a}\nspec:\n  leaderWorkerTemplate:\n    workerTemplate:\n      spec:\n${gpuPod('        ')}`,
    `apiVersion: batch.volcano.sh/v1alpha1\nkind: Job\nmetadata: {name: a}\nspec:\n  tasks:\n    - name: t\n      template:\n        spec:\n${gpuPod('          ')}`,
    `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  selector: {}\n  template:\n    spec:\n${gpuPod('      ')}`,
  ];
  for (const d of docs) {
    const ds = validate(d, facts).filter((x) => x.code === 'GANTRY103');
    assert.equal(ds.length, 1, `${d.split('\n')[1]}: ${show(validate(d, facts))}`);
  }
});

// ---- Live rules on the upstream examples. ----

test('kueue/sample-pytorchjob.yaml: GANTRY106 when user-queue is missing from the namespace, none when present', () => {
  const text = example('kueue/sample-pytorchjob.yaml');
  const without = validate(text, fixtureFacts([{ namespace: 'other', name: 'user-queue' }])).filter(
    (d) => d.code === 'GANTRY106',
  );
  assert.equal(without.length, 1, show(without));
  const at = loc(text, 'user-queue');
  assert.deepEqual(without[0].range, { start: at, end: { line: at.line, character: at.character + 10 } });
  assert.match(String(without[0].message), /namespace default \(it has no LocalQueues\)/);
  const withQ = validate(text, fixtureFacts([{ namespace: 'default', name: 'user-queue' }]));
  assert.deepEqual(
    withQ.filter((d) => d.severity! <= 2),
    [],
  );
});

test('lws/vllm-gpu-lws.yaml: GANTRY110 on both templates (no toleration for the GPU taint)', () => {
  const text = example('lws/vllm-gpu-lws.yaml');
  const ds = validate(text, facts).filter((d) => d.code === 'GANTRY110');
  assert.equal(ds.length, 2, show(ds));
  const a = loc(text, 'nvidia.com/gpu: "8"', 0);
  const b = loc(text, 'nvidia.com/gpu: "8"', 1);
  assert.deepEqual(
    ds.map((d) => d.range.start),
    [a, b],
  );
  assert.equal(validate(text).filter((d) => d.code === 'GANTRY110').length, 0, 'offline: skipped');
});

test('lws/vllm-gpu-lws.yaml: GANTRY103 with 16 GPUs per pod, GANTRY104 with an unknown GPU product', () => {
  const orig = example('lws/vllm-gpu-lws.yaml');
  const text = orig.replace('nvidia.com/gpu: "8"', 'nvidia.com/gpu: "16"');
  const ds = validate(text, facts).filter((d) => d.code === 'GANTRY103');
  assert.equal(ds.length, 1, show(ds));
  const at = loc(text, '"16"');
  assert.deepEqual(ds[0].range, { start: at, end: { line: at.line, character: at.character + 4 } });
  const sel = orig.replace(
    /( *)containers:/,
    (_m, ind: string) => `${ind}nodeSelector:\n${ind}  nvidia.com/gpu.product: Tesla-T4\n${ind}containers:`,
  );
  const ds4 = validate(sel, facts).filter((d) => d.code === 'GANTRY104');
  assert.equal(ds4.length, 1, show(ds4));
  const at4 = loc(sel, 'Tesla-T4');
  assert.deepEqual(ds4[0].range, { start: at4, end: { line: at4.line, character: at4.character + 8 } });
});

test('Argo: workflow-level tolerations and nodeSelector apply to every template', () => {
  const wf = (wfLevel: string): string => `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: g-}
spec:
  entrypoint: train
${wfLevel}  templates:
    - name: train
      container:
        image: pytorch/pytorch:2.4.0
        resources:
          limits:
            nvidia.com/gpu: 8
`;
  assert.equal(validate(wf(''), facts).filter((d) => d.code === 'GANTRY110').length, 1);
  const tolerated = wf('  tolerations:\n    - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}\n');
  assert.deepEqual(
    validate(tolerated, facts).filter((d) => d.severity! <= 2),
    [],
  );
  const selected = wf('  nodeSelector:\n    nvidia.com/gpu.product: NVIDIA-B200\n');
  const ds = validate(selected, facts).filter((d) => d.code === 'GANTRY104');
  assert.equal(ds.length, 1, show(ds));
  assert.deepEqual(ds[0].range.start, loc(selected, 'NVIDIA-B200'));
});

test('TrainJob: GANTRY103 from resourcesPerNode; no GANTRY110 (tolerations live in the runtime)', () => {
  const tj = (gpus: number): string => `apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata: {name: t}
spec:
  runtimeRef: {name: torch-distributed}
  trainer:
    image: pytorch/pytorch:2.4.0
    numNodes: 2
    resourcesPerNode:
      limits:
        nvidia.com/gpu: ${gpus}
`;
  assert.deepEqual(
    validate(tj(8), facts).filter((d) => d.severity! <= 2),
    [],
  );
  assert.equal(validate(tj(9), facts).filter((d) => d.code === 'GANTRY103').length, 1);
});
