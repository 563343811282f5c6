// The Gantry language server over real LSP messages (in-memory streams): diagnostics on open and change,
// multi-document files, completion, hover, outline, quick fixes and live cluster schemas.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type {
  CodeAction,
  CompletionItem,
  CompletionList,
  Diagnostic,
  DocumentSymbol,
  Hover,
  MarkupContent,
  TextEdit,
} from 'vscode-languageserver-protocol';
import { clusterApplied, clusterChanged } from '../../src/shared/protocol';
import { inProcess, type TestClient } from './helpers/lsp';

/** Applies LSP edits to a text (edits must not overlap). */
function applyEdits(text: string, edits: TextEdit[]): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }): number =>
    lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  let out = text;
  for (const e of [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start))) {
    out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  }
  return out;
}

const pytorchJob = (replicasKey: string): string => `apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: mnist
  namespace: team-a
spec:
  pytorchReplicaSpecs:
    Master:
      ${replicasKey}: 1
      restartPolicy: OnFailure
      template:
        spec:
          containers:
            - name: pytorch
              image: docker.io/kubeflowkatib/pytorch-mnist@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
`;

const codes = (ds: Diagnostic[]): string[] => ds.map((d) => String(d.code)).sort();

/** Cluster facts with the LocalQueues of namespace team-a and nothing else. */
function queueFacts(queues: string[]) {
  return {
    nodes: [],
    localQueues: queues.map((name) => ({ namespace: 'team-a', name })),
    defaultNamespace: 'default',
  };
}

/** A live-schemas file with no documents (the bundled schemas stay in use); remove `dir` afterwards. */
async function emptyLiveSchemas(): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gantry-facts-'));
  const file = path.join(dir, 'openapi-v3.json');
  await writeFile(file, JSON.stringify({}));
  return { dir, file };
}

describe('gantry language server over LSP', () => {
  let c: TestClient;
  before(async () => {
    c = inProcess();
    const init = await c.initialize();
    assert.equal(init.capabilities.hoverProvider, true);
    assert.ok(init.capabilities.completionProvider);
    assert.ok(init.capabilities.documentSymbolProvider);
    assert.ok(init.capabilities.codeActionProvider);
  });
  after(async () => c.close());

  test('didOpen with a misspelt key publishes it with its exact range; didChange fixing it clears it', async () => {
    const uri = 'file:///w/job.yaml';
    const ds = await c.open(uri, pytorchJob('replcas'));
    const typo = ds.filter((d) => d.code === 'unknown-field');
    assert.equal(typo.length, 1, JSON.stringify(ds, null, 1));
    assert.deepEqual(typo[0]!.range, { start: { line: 8, character: 6 }, end: { line: 8, character: 13 } });
    assert.match(String(typo[0]!.message), /replcas/);

    // Near-miss quick fix: rename to the suggestion.
    const actions = await c.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: typo[0]!.range,
      context: { diagnostics: [typo[0]] },
    });
    const rename = actions.find((a) => /replicas/.test(a.title));
    assert.ok(rename, JSON.stringify(actions));
    assert.deepEqual(rename.edit?.changes?.[uri], [{ range: typo[0]!.range, newText: 'replicas' }]);

    const after = await c.change(uri, [{ range: typo[0]!.range, text: 'replicas' }]);
    assert.deepEqual(after, []);
  });

  test('a multi-document file reports broken YAML in one document and a schema error in the next', async () => {
    const uri = 'file:///w/multi.yaml';
    const text = `apiVersion: v1
kind: ConfigMap
metadata:
  name: broken
data: {a: [1, 2
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: fine
dataa:
  k: v
`;
    const ds = await c.open(uri, text);
    // Document 1 is lines 0-5 (its unclosed flow collection runs to the `---`).
    const first = ds.filter((d) => d.range.start.line <= 5);
    const second = ds.filter((d) => d.range.start.line >= 6);
    assert.ok(first.length >= 1, `syntax error in document 1: ${JSON.stringify(ds)}`);
    assert.ok(
      first.every((d) => d.code === 'yaml-syntax'),
      JSON.stringify(first),
    );
    assert.deepEqual(codes(second), ['unknown-field']);
    assert.deepEqual(second[0]!.range, {
      start: { line: 10, character: 0 },
      end: { line: 10, character: 5 },
    });
  });

  test('completion offers required keys first, from the schema at the cursor', async () => {
    const uri = 'file:///w/complete.yaml';
    const text = `apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: c
spec:
  pytorchReplicaSpecs:
    Worker:
      template:
        spec:
          containers:
            - 
`;
    await c.open(uri, text);
    const list = await c.request<CompletionList>('textDocument/completion', {
      textDocument: { uri },
      position: { line: 10, character: 14 },
    });
    const sorted = [...list.items].sort((a, b) =>
      (a.sortText ?? a.label).localeCompare(b.sortText ?? b.label),
    );
    assert.equal(sorted[0]!.label, 'name', 'the one required key of a container comes first');
    assert.match(sorted[0]!.detail ?? '', /required/);
    const labels = list.items.map((i) => i.label);
    for (const k of ['image', 'command', 'resources', 'env']) assert.ok(labels.includes(k), k);

    // Under `spec:` of the PyTorchJob, on an empty line, partially typed.
    const spec = await c.request<CompletionList>('textDocument/completion', {
      textDocument: { uri },
      position: { line: 5, character: 2 },
    });
    const first = [...spec.items].sort((a, b) => a.sortText!.localeCompare(b.sortText!))[0]!;
    assert.equal(first.label, 'pytorchReplicaSpecs');
  });

  test('completion of apiVersion/kind values and of enum values', async () => {
    const uri = 'file:///w/enum.yaml';
    const text = `apiVersion: ray.io/v1
kind: RayJob
metadata:
  name: e
spec:
  deletionStrategy:
    onFailure:
      policy: 
`;
    await c.open(uri, text);
    const values = await c.request<CompletionList>('textDocument/completion', {
      textDocument: { uri },
      position: { line: 7, character: 14 },
    });
    assert.deepEqual(values.items.map((i) => i.label).sort(), [
      'DeleteCluster',
      'DeleteNone',
      'DeleteSelf',
      'DeleteWorkers',
    ]);
    const h = await c.request<Hover>('textDocument/hover', {
      textDocument: { uri },
      position: { line: 7, character: 8 },
    });
    assert.match(
      (h.contents as MarkupContent).value,
      /Allowed: `DeleteCluster`, `DeleteWorkers`, `DeleteSelf`, `DeleteNone`/,
    );
    const kinds = await c.request<CompletionList>('textDocument/completion', {
      textDocument: { uri },
      position: { line: 1, character: 6 },
    });
    const labels = kinds.items.map((i: CompletionItem) => i.label);
    assert.ok(labels.includes('RayJob') && labels.includes('RayCluster'), labels.join(','));
    assert.ok(!labels.includes('PyTorchJob'), 'kinds are filtered by the apiVersion present');
  });

  test('completion inside a flow mapping and in a KFP pipeline document', async () => {
    const uri = 'file:///w/flow.yaml';
    await c.open(uri, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, lab\n');
    const list = await c.request<CompletionList>('textDocument/completion', {
      textDocument: { uri },
      position: { line: 2, character: 23 },
    });
    const labels = list.items.map((i) => i.label);
    assert.ok(labels.includes('labels') && labels.includes('namespace'), labels.join(','));
    assert.ok(!labels.includes('name'), 'keys already in the flow mapping are not offered');
    const labelsItem = list.items.find((i) => i.label === 'labels')!;
    assert.deepEqual(labelsItem.textEdit, {
      range: { start: { line: 2, character: 20 }, end: { line: 2, character: 23 } },
      newText: 'labels: $0',
    });

    const kfp = 'file:///w/pipeline.yaml';
    await c.open(kfp, 'pipelineInfo:\n  name: flip\nschemaVersion: 2.1.0\n');
    const h = await c.request<Hover | null>('textDocument/hover', {
      textDocument: { uri: kfp },
      position: { line: 1, character: 3 },
    });
    assert.match((h?.contents as MarkupContent | undefined)?.value ?? '', /pipelineInfo\.name/);
  });

  test('hover shows path, type and the schema description', async () => {
    const uri = 'file:///w/hover.yaml';
    await c.open(uri, pytorchJob('replicas'));
    const h = await c.request<Hover>('textDocument/hover', {
      textDocument: { uri },
      position: { line: 8, character: 8 },
    });
    const value = (h.contents as MarkupContent).value;
    assert.match(value, /spec\.pytorchReplicaSpecs\.Master\.replicas/);
    assert.match(value, /integer/);
    assert.match(value, /desired number of replicas/);
    assert.deepEqual(h.range, { start: { line: 8, character: 6 }, end: { line: 8, character: 14 } });
  });

  test('documentSymbol gives one Kind/name symbol per document with nested keys', async () => {
    const uri = 'file:///w/symbols.yaml';
    await c.open(
      uri,
      `${pytorchJob('replicas')}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n`,
    );
    const syms = await c.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
    assert.deepEqual(
      syms.map((s) => s.name),
      ['PyTorchJob/mnist', 'ConfigMap/cfg'],
    );
    const spec = syms[0]!.children!.find((s) => s.name === 'spec')!;
    const master = spec.children![0]!.children![0]!;
    assert.equal(master.name, 'Master');
    assert.deepEqual(
      master.children!.map((s) => s.name),
      ['replicas', 'restartPolicy', 'template'],
    );
    assert.equal(syms[1]!.range.start.line, 16);
  });

  test('GANTRY102 quick fix sets the limit equal to the request', async () => {
    const uri = 'file:///w/gpu.yaml';
    const text = `apiVersion: batch/v1
kind: Job
metadata:
  name: train
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: t
          image: busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
          resources:
            requests:
              nvidia.com/gpu: 2
            limits:
              nvidia.com/gpu: 1
`;
    const ds = await c.open(uri, text);
    const d = ds.find((x) => x.code === 'GANTRY102');
    assert.ok(d, JSON.stringify(ds));
    assert.deepEqual(d.range, { start: { line: 15, character: 30 }, end: { line: 15, character: 31 } });
    const actions = await c.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: d.range,
      context: { diagnostics: [d], only: ['quickfix'] },
    });
    assert.equal(actions.length, 1, JSON.stringify(actions));
    assert.equal(actions[0]!.kind, 'quickfix');
    const fixed = applyEdits(text, actions[0]!.edit!.changes![uri]!);
    assert.match(fixed, /limits:\n {14}nvidia\.com\/gpu: 2\n/);
    assert.deepEqual(
      (await c.change(uri, [{ text: fixed }])).filter((x) => x.code === 'GANTRY102'),
      [],
    );
  });

  test('live schemas of a cluster validate a CRD the bundle lacks; switching clusters revalidates', async () => {
    const uri = 'file:///w/widget.yaml';
    const text = `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
  size: 3
  colour: red
`;
    // Offline the kind is unknown, so the misspelt `colour` cannot be reported.
    const offline = await c.open(uri, text);
    assert.ok(!offline.some((d) => d.code === 'unknown-field'), JSON.stringify(offline));

    const docs = {
      'apis/example.com/v1': {
        openapi: '3.0.0',
        components: {
          schemas: {
            'com.example.v1.Widget': {
              type: 'object',
              'x-kubernetes-group-version-kind': [{ group: 'example.com', version: 'v1', kind: 'Widget' }],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: {
                  type: 'object',
                  required: ['size'],
                  properties: { size: { type: 'integer' }, color: { type: 'string', enum: ['red', 'blue'] } },
                },
              },
            },
          },
        },
      },
    };
    let next = c.diagnostics(uri);
    let applied = c.notification(clusterApplied);
    await c.conn.sendNotification(clusterChanged, { clusterId: 'kind-a', schemas: { docs } });
    assert.equal((await applied).live, true);
    const live = (await next).diagnostics;
    assert.deepEqual(codes(live), ['unknown-field'], JSON.stringify(live));
    assert.deepEqual(live[0]!.range.start, { line: 6, character: 2 });

    // Another cluster without these schemas: the bundled ones again.
    next = c.diagnostics(uri);
    applied = c.notification(clusterApplied);
    await c.conn.sendNotification(clusterChanged, { clusterId: null });
    assert.equal((await applied).live, false);
    assert.ok(!(await next).diagnostics.some((d) => d.code === 'unknown-field'));

    // Back to the first cluster: its schemas were kept, none need to be sent again.
    next = c.diagnostics(uri);
    await c.conn.sendNotification(clusterChanged, { clusterId: 'kind-a' });
    assert.deepEqual(codes((await next).diagnostics), ['unknown-field']);
    await c.conn.sendNotification(clusterChanged, { clusterId: null });
  });

  test('cluster facts: a queue that exists only after the facts change stops being reported', async () => {
    const uri = 'file:///w/queued.yaml';
    const text = `apiVersion: batch/v1
kind: Job
metadata:
  name: q
  namespace: team-a
  labels:
    kueue.x-k8s.io/queue-name: gpu-queue
spec:
  template:
    spec:
      restartPolicy: Never
      containers: []
`;
    const { dir, file } = await emptyLiveSchemas();
    try {
      assert.ok(!(await c.open(uri, text)).some((d) => d.code === 'GANTRY106'), 'offline: no queue check');
      let next = c.diagnostics(uri);
      await c.conn.sendNotification(clusterChanged, {
        clusterId: 'q',
        schemas: { file },
        facts: queueFacts(['cpu-queue']),
      });
      const missing = (await next).diagnostics.filter((d) => d.code === 'GANTRY106');
      assert.deepEqual(
        missing.map((d) => d.range.start),
        [{ line: 6, character: 31 }],
      );
      // Same schema file, new facts (what the client sends when a LocalQueue appears).
      next = c.diagnostics(uri);
      await c.conn.sendNotification(clusterChanged, {
        clusterId: 'q',
        schemas: { file },
        facts: queueFacts(['cpu-queue', 'gpu-queue']),
      });
      assert.deepEqual(
        (await next).diagnostics.filter((d) => d.code === 'GANTRY106'),
        [],
      );
    } finally {
      await c.conn.sendNotification(clusterChanged, { clusterId: null });
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("cluster facts that leave a document's findings as they were publish nothing for it again", async () => {
    // A is not queued: no facts change its findings. B names a queue: the facts below change its findings, and
    // its publish (after A's in the revalidation order) shows the revalidation ran.
    const a = 'file:///w/steady.yaml';
    const b = 'file:///w/queued-b.yaml';
    const job = (name: string, queue?: string) => `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
  namespace: team-a
${queue ? `  labels:\n    kueue.x-k8s.io/queue-name: ${queue}\n` : ''}spec:
  parallelizm: 2
  template:
    spec:
      restartPolicy: Never
      containers: []
`;
    const { dir, file } = await emptyLiveSchemas();
    try {
      const first = await c.open(a, job('steady'));
      assert.ok(
        first.some((d) => d.code === 'unknown-field'),
        'A has a finding to keep',
      );
      await c.open(b, job('queued', 'gpu-queue'));
      const before = c.published(a).length;
      for (const queues of [['cpu-queue'], ['cpu-queue', 'gpu-queue'], ['cpu-queue']]) {
        const next = c.diagnostics(b);
        await c.conn.sendNotification(clusterChanged, {
          clusterId: 'q',
          schemas: { file },
          facts: queueFacts(queues),
        });
        await next;
      }
      assert.equal(c.published(a).length, before, 'A was not published again');
      assert.deepEqual(
        c.published(b).map((p) => p.diagnostics.some((d) => d.code === 'GANTRY106')),
        [false, true, false, true],
        "B's findings changed with each of the facts, and each change was published",
      );
      // A new version of A is published even when its findings are the same (the version is new).
      const edited = await c.change(a, [{ text: job('steady') + '\n' }]);
      assert.ok(edited.some((d) => d.code === 'unknown-field'));
      assert.equal(c.published(a).length, before + 1);
    } finally {
      await c.conn.sendNotification(clusterChanged, { clusterId: null });
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a document that is not YAML is left alone', async () => {
    const uri = 'file:///w/readme.md';
    await c.conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'markdown', version: 1, text: 'kind: [' },
    });
    // A YAML document opened afterwards is answered; the markdown one never is.
    await c.open('file:///w/after.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n');
    assert.deepEqual(c.published(uri), []);
  });
});
