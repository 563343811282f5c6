// The live rules, the GPUs view and the submit fit check share core/scheduling. These cases failed while the
// server had its own GPU name rule (`endsWith('gpu')`) and its own pod arithmetic (init max, no sidecars).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { nodeGpuInfo } from '../../../src/core/gpu';
import { type KubeObject } from '../../../src/core/kube';
import { podGpuRequests } from '../../../src/core/resources';
import type { ClusterFacts } from '../../../src/server/validation/api';
import { fixtureFacts, validate } from './helpers';

const facts = fixtureFacts();

const job = (resources: string, extraPod = ''): string => `apiVersion: batch/v1
kind: Job
metadata:
  name: j
spec:
  template:
    spec:
      restartPolicy: Never
      tolerations:
        - key: nvidia.com/gpu
          operator: Exists
          effect: NoSchedule
${extraPod}      containers:
        - name: main
          image: trainer:1.0
          resources:
            limits:
${resources}`;

const live = (text: string, f: ClusterFacts = facts): string[] =>
  validate(text, f)
    .filter((d) => ['GANTRY103', 'GANTRY104', 'GANTRY110'].includes(String(d.code)))
    .map((d) => `${d.code} ${d.message}`);

test('example.com/notgpu is no GPU for the server rules, as for the GPUs view', () => {
  // A node that offers 4 of it: the GPUs view does not list the resource.
  const node: KubeObject = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'odd', labels: {} },
    status: { allocatable: { 'example.com/notgpu': '4', 'nvidia.com/gpu': '8' } },
  };
  assert.deepEqual(
    nodeGpuInfo(node, []).resources.map((r) => r.resource),
    ['nvidia.com/gpu'],
  );
  // 64 of them in a pod is not "more GPUs than any node has" (the old server rule said it was).
  assert.deepEqual(live(job('              example.com/notgpu: 64\n')), []);
  // ...while 64 nvidia.com/gpu is, so the rule itself is live here.
  assert.equal(live(job('              nvidia.com/gpu: 64\n')).length, 1);
});

test("a sidecar's GPUs add to the app containers' in both the rule and the GPUs view arithmetic", () => {
  const sidecar = `      initContainers:
        - name: side
          image: helper:1.0
          restartPolicy: Always
          resources:
            limits:
              nvidia.com/gpu: 4
`;
  const text = job('              nvidia.com/gpu: 8\n', sidecar);
  const spec = (parse(text) as { spec: { template: { spec: unknown } } }).spec.template.spec;
  assert.deepEqual(podGpuRequests(spec), { 'nvidia.com/gpu': 12 });
  const ds = live(text);
  assert.equal(ds.length, 1, ds.join('\n'));
  assert.match(
    ds[0],
    /^GANTRY103 .*needs 12 nvidia\.com\/gpu but the most any of the nodes of the cluster has is 8/,
  );
});

test('numeric selector values match string labels, as the API decodes them', () => {
  const withLabel: ClusterFacts = {
    ...facts,
    nodes: facts.nodes.map((n) => ({ ...n, labels: { ...n.labels, 'example.com/rack': '7' } })),
  };
  const sel = '      nodeSelector:\n        example.com/rack: 7\n';
  assert.deepEqual(live(job('              nvidia.com/gpu: 8\n', sel), withLabel), []);
  const other = '      nodeSelector:\n        example.com/rack: 8\n';
  const ds = live(job('              nvidia.com/gpu: 8\n', other), withLabel);
  assert.equal(ds.length, 1);
  assert.match(ds[0], /^GANTRY104 .*example\.com\/rack=8 \(nodes have example\.com\/rack=7\)/);
});
