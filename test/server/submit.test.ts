// Submit support over real LSP messages: the CodeLenses above workload documents and the dry-run causes
// mapped to ranges (gantry/dryRunDiagnostics).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CodeLens, Diagnostic } from 'vscode-languageserver-protocol';
import { parseFieldPath } from '../../src/server/applyCauses';
import { dryRunDiagnostics, type DryRunDiagnosticsParams } from '../../src/shared/protocol';
import { inProcess, type TestClient } from './helpers/lsp';

const FILE = `apiVersion: v1
kind: Namespace
metadata:
  name: team-a
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  namespace: team-a
data:
  a: b
---
# the job
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: train
  namespace: team-a
  labels:
    app.kubernetes.io/name: train
spec:
  pytorchReplicaSpecs:
    Worker:
      replicas: 2
      template:
        spec:
          containers:
            - name: pytorch
              image: pytorch/pytorch:2.4.0
            - name: sidecar
`;

const lineOf = (needle: string): number => FILE.split('\n').findIndex((l) => l.includes(needle));

describe('submit over LSP', () => {
  let c: TestClient;
  before(async () => {
    c = inProcess({ debounceMs: 0 });
    const init = await c.initialize();
    assert.deepEqual(init.capabilities.codeLensProvider, { resolveProvider: false });
  });
  after(async () => c.close());

  test('Submit and Submit All above each workload document only', async () => {
    const uri = 'file:///w/multi.yaml';
    await c.open(uri, FILE);
    const lenses = await c.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
    assert.deepEqual(
      lenses.map((l) => [l.range.start.line, l.command?.title, l.command?.command, l.command?.arguments]),
      [
        [lineOf('kubeflow.org/v1'), 'Submit', 'gantry.submit', [uri, 2]],
        [lineOf('kubeflow.org/v1'), 'Submit All', 'gantry.submitAll', [uri]],
      ],
    );
  });

  test('a single-document workload file gets Submit only; a file of ConfigMaps gets none', async () => {
    const one = 'file:///w/one.yaml';
    await c.open(one, FILE.split('---\n')[2]);
    const l1 = await c.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: one } });
    assert.deepEqual(
      l1.map((l) => [l.range.start.line, l.command?.title]),
      [[1, 'Submit']],
    );
    const cm = 'file:///w/cm.yaml';
    await c.open(cm, FILE.split('---\n')[1]);
    assert.deepEqual(await c.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: cm } }), []);
  });

  test('dry-run causes land on the field they name, in the document they came from', async () => {
    const uri = 'file:///w/multi.yaml';
    const params: DryRunDiagnosticsParams = {
      uri,
      causes: [
        {
          docIndex: 2,
          fieldPath: 'spec.pytorchReplicaSpecs.Worker.replicas',
          message: 'Invalid value: 2: must be 1',
        },
        { docIndex: 2, fieldPath: 'metadata.labels[app.kubernetes.io/name]', message: 'bad label' },
        {
          docIndex: 2,
          fieldPath: 'spec.pytorchReplicaSpecs.Worker.template.spec.containers[1].image',
          message: 'Required value',
        },
        { docIndex: 1, fieldPath: 'data', message: 'too big' },
        { docIndex: 7, fieldPath: 'spec', message: 'no such document' },
      ],
    };
    const ds = await c.request<Diagnostic[]>(dryRunDiagnostics.method, params);
    assert.deepEqual(
      ds.map((d) => [d.range.start.line, d.range.start.character, d.code, d.severity, d.message]),
      [
        [
          lineOf('replicas: 2'),
          6,
          'dry-run',
          1,
          'spec.pytorchReplicaSpecs.Worker.replicas: Invalid value: 2: must be 1',
        ],
        [
          lineOf('app.kubernetes.io/name'),
          4,
          'dry-run',
          1,
          'metadata.labels[app.kubernetes.io/name]: bad label',
        ],
        [
          lineOf('- name: sidecar'),
          14,
          'dry-run',
          1,
          'spec.pytorchReplicaSpecs.Worker.template.spec.containers[1].image (not in the file): Required value',
        ],
        [FILE.split('\n').indexOf('data:'), 0, 'dry-run', 1, 'data: too big'],
      ],
    );
  });

  test('the text can come with the request when the file is not open', async () => {
    const ds = await c.request<Diagnostic[]>(dryRunDiagnostics.method, {
      uri: 'file:///w/closed.yaml',
      text: FILE,
      causes: [{ docIndex: 0, fieldPath: 'metadata.name', message: 'taken' }],
    } satisfies DryRunDiagnosticsParams);
    assert.deepEqual(
      ds.map((d) => [d.range.start.line, d.range.end.character]),
      [[3, 6]],
    );
  });
});

test('field paths: dots, list indexes and bracketed map keys', () => {
  assert.deepEqual(parseFieldPath('.spec.template.spec.containers[0].image'), [
    'spec',
    'template',
    'spec',
    'containers',
    0,
    'image',
  ]);
  assert.deepEqual(parseFieldPath('metadata.annotations[sim.gantry.dev/outcome]'), [
    'metadata',
    'annotations',
    'sim.gantry.dev/outcome',
  ]);
});
