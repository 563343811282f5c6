// The cursor path on half-typed YAML: block mappings, sequences (indented and compact), flow, multi-document.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cursorContext,
  documentType,
  documentSpanAt,
  formatPath,
  keyAt,
  splitLines,
} from '../../src/server/yamlPath';

/** `§` in the text marks the cursor. */
function at(src: string): ReturnType<typeof cursorContext> {
  const lines = splitLines(src);
  const line = lines.findIndex((l) => l.includes('§'));
  const character = lines[line]!.indexOf('§');
  lines[line] = lines[line]!.replace('§', '');
  return cursorContext(lines, line, character);
}

const job = `apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: x
spec:
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      template:
        spec:
          containers:
            - name: pytorch
              image: img
              §
`;

test('empty line under a sequence item mapping', () => {
  const c = at(job);
  assert.equal(c.kind, 'key');
  if (c.kind !== 'key') return;
  assert.deepEqual(c.path, ['spec', 'pytorchReplicaSpecs', 'Master', 'template', 'spec', 'containers', 0]);
  assert.deepEqual(c.existing.sort(), ['image', 'name']);
  assert.equal(c.prefix, '');
});

test('partially typed key in a compact sequence, second item', () => {
  const c = at(`spec:
  containers:
  - name: a
    image: b
  - name: c
    imagePu§
  volumes: []
`);
  assert.equal(c.kind, 'key');
  if (c.kind !== 'key') return;
  assert.deepEqual(c.path, ['spec', 'containers', 1]);
  assert.equal(c.prefix, 'imagePu');
  assert.equal(c.start, 4);
  assert.deepEqual(c.existing, ['name']);
});

test('new sequence item on the cursor line', () => {
  const c = at(`spec:
  containers:
    - name: a
    - §
`);
  assert.equal(c.kind, 'key');
  if (c.kind !== 'key') return;
  assert.deepEqual(c.path, ['spec', 'containers', 1]);
  assert.deepEqual(c.existing, []);
});

test('sibling keys after a compact sequence are still siblings', () => {
  const c = at(`spec:
  §
  containers:
  - name: a
  volumes: []
`);
  assert.equal(c.kind, 'key');
  if (c.kind !== 'key') return;
  assert.deepEqual(c.path, ['spec']);
  assert.deepEqual(c.existing.sort(), ['containers', 'volumes']);
});

test('value after a key, and a partially typed value', () => {
  const c = at(`spec:
  template:
    spec:
      restartPolicy: Ne§
`);
  assert.equal(c.kind, 'value');
  if (c.kind !== 'value') return;
  assert.deepEqual(c.path, ['spec', 'template', 'spec', 'restartPolicy']);
  assert.equal(c.prefix, 'Ne');
  assert.equal(c.start, 21);
});

test('flow mapping: key and value positions', () => {
  const k = at(`spec:
  resources: {limits: {cpu: 1, mem§`);
  assert.equal(k.kind, 'key');
  if (k.kind === 'key') {
    assert.deepEqual(k.path, ['spec', 'resources', 'limits']);
    assert.equal(k.prefix, 'mem');
    assert.deepEqual(k.existing, ['cpu']);
    assert.equal(k.flow, true);
  }
  const v = at(`spec:
  ports: [{protocol: §`);
  assert.equal(v.kind, 'value');
  if (v.kind === 'value') assert.deepEqual(v.path, ['spec', 'ports', 0, 'protocol']);
});

test('nested sequences and item indexes', () => {
  const c = at(`a:
  - x: 1
  - - b: 1
    - c: 2
      §
`);
  assert.equal(c.kind, 'key');
  if (c.kind === 'key') assert.deepEqual(c.path, ['a', 1, 1]);
});

test('root of the second document of a stream', () => {
  const src = `kind: A
---
apiVersion: v1
kind: ConfigMap
§`;
  const c = at(src);
  assert.equal(c.kind, 'key');
  if (c.kind !== 'key') return;
  assert.deepEqual(c.path, []);
  assert.deepEqual(c.existing.sort(), ['apiVersion', 'kind']);
  const lines = splitLines(src.replace('§', ''));
  assert.deepEqual(documentType(lines, documentSpanAt(lines, 4)), {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    topKeys: ['apiVersion', 'kind'],
  });
});

test('comments, quoted keys and block scalars', () => {
  const c = at(`metadata:
  # a comment
  "app.kubernetes.io/name": x
  labels:
    §
`);
  assert.equal(c.kind, 'key');
  if (c.kind === 'key') assert.deepEqual(c.path, ['metadata', 'labels']);
  assert.equal(at(`spec:\n  script: |\n    ec§\n`).kind, 'none');
});

test('keyAt gives the full path of the key under the cursor', () => {
  const lines = splitLines(job);
  const k = keyAt(lines, 12, 16);
  assert.deepEqual(k?.path, [
    'spec',
    'pytorchReplicaSpecs',
    'Master',
    'template',
    'spec',
    'containers',
    0,
    'image',
  ]);
  assert.equal(formatPath(k!.path), 'spec.pytorchReplicaSpecs.Master.template.spec.containers[0].image');
  assert.equal(keyAt(lines, 3, 0), undefined);
});
