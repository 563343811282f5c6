// The schema generator: deterministic, equal to the committed schemas/, and structurally sound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { generateSchemas } from '../../../scripts/schemas/generate';
import { jsonName, parseProto, protoToDefs } from '../../../scripts/schemas/proto';
import { normalizeNode, QUANTITY_PATTERN } from '../../../src/server/schema/normalize';
import { CRDS, listFiles, REPO } from './helpers';

const SCHEMAS = join(REPO, 'schemas');
const first = generateSchemas(CRDS);

test('the generator is deterministic: two runs give identical output', () => {
  const second = generateSchemas(CRDS);
  assert.deepEqual(Object.keys(second).sort(), Object.keys(first).sort());
  for (const [k, v] of Object.entries(first)) assert.equal(second[k], v, k);
});

test('the committed schemas/ equal the generator output (run `npm run schemas`)', () => {
  const onDisk = listFiles(SCHEMAS).map((f) => relative(SCHEMAS, f));
  assert.deepEqual(onDisk.sort(), Object.keys(first).sort());
  for (const [k, v] of Object.entries(first)) assert.equal(readFileSync(join(SCHEMAS, k), 'utf8'), v, k);
});

const index = JSON.parse(first['index.json']) as {
  kinds: { apiVersion: string; kind: string; file: string }[];
};
const defs = JSON.parse(first['defs.json']) as Record<string, Record<string, unknown>>;
const has = (apiVersion: string, kind: string): boolean =>
  index.kinds.some((k) => k.apiVersion === apiVersion && k.kind === kind);

test('every expected kind and version is bundled', () => {
  const want: [string, string][] = [
    ['v1', 'Pod'],
    ['v1', 'Service'],
    ['v1', 'ConfigMap'],
    ['batch/v1', 'Job'],
    ['batch/v1', 'CronJob'],
    ['apps/v1', 'Deployment'],
    ['apps/v1', 'StatefulSet'],
    ['kubeflow.org/v1', 'PyTorchJob'],
    ['kubeflow.org/v1', 'TFJob'],
    ['kubeflow.org/v1', 'MPIJob'],
    ['kubeflow.org/v1', 'XGBoostJob'],
    ['kubeflow.org/v1', 'PaddleJob'],
    ['kubeflow.org/v1', 'JAXJob'],
    ['kubeflow.org/v1', 'Notebook'],
    ['kubeflow.org/v1beta1', 'Notebook'],
    ['trainer.kubeflow.org/v1alpha1', 'TrainJob'],
    ['trainer.kubeflow.org/v1alpha1', 'ClusterTrainingRuntime'],
    ['ray.io/v1', 'RayCluster'],
    ['ray.io/v1', 'RayJob'],
    ['ray.io/v1', 'RayService'],
    ['kueue.x-k8s.io/v1beta2', 'LocalQueue'],
    ['kueue.x-k8s.io/v1beta1', 'ClusterQueue'],
    ['jobset.x-k8s.io/v1alpha2', 'JobSet'],
    ['leaderworkerset.x-k8s.io/v1', 'LeaderWorkerSet'],
    ['serving.kserve.io/v1beta1', 'InferenceService'],
    ['serving.kserve.io/v1alpha1', 'ServingRuntime'],
    ['argoproj.io/v1alpha1', 'Workflow'],
    ['argoproj.io/v1alpha1', 'CronWorkflow'],
    ['batch.volcano.sh/v1alpha1', 'Job'],
    ['scheduling.volcano.sh/v1beta1', 'PodGroup'],
    ['pipelines.kubeflow.org/v2beta1', 'Pipeline'],
    ['pipelines.kubeflow.org/ir', 'PipelineSpec'],
    ['pipelines.kubeflow.org/ir', 'PlatformSpec'],
  ];
  for (const [v, k] of want) assert.ok(has(v, k), `${v} ${k}`);
});

test('every $ref resolves and shared subtrees are stored once (PodTemplateSpec across CRDs)', () => {
  const refs = (n: unknown, out: Set<string>): Set<string> => {
    if (Array.isArray(n)) n.forEach((x) => refs(x, out));
    else if (n && typeof n === 'object') {
      for (const [k, v] of Object.entries(n)) {
        if (k === '$ref') out.add(v as string);
        else refs(v, out);
      }
    }
    return out;
  };
  const all = refs(defs, new Set());
  for (const k of index.kinds) refs(JSON.parse(first[k.file]), all);
  for (const r of all) assert.ok(defs[r], `unresolved ${r}`);
  const closure = (file: string): Set<string> => {
    const seen = new Set<string>();
    const todo = [...refs(JSON.parse(first[file]), new Set())];
    while (todo.length) {
      const r = todo.pop()!;
      if (seen.has(r)) continue;
      seen.add(r);
      todo.push(...refs(defs[r], new Set()));
    }
    return seen;
  };
  const file = (v: string, k: string): string =>
    index.kinds.find((x) => x.apiVersion === v && x.kind === k)!.file;
  const py = closure(file('kubeflow.org/v1', 'PyTorchJob'));
  const tf = closure(file('kubeflow.org/v1', 'TFJob'));
  const shared = [...py].filter((r) => r.startsWith('h:') && tf.has(r));
  assert.ok(shared.length > 0, 'PyTorchJob and TFJob share no deduplicated definitions');
  // Descriptions are kept for hover.
  assert.ok(first['defs.json'].includes('Number of desired pods'));
});

test('bundle size stays compact (< 2 MiB for all kinds with descriptions)', () => {
  const total = Object.values(first).reduce((s, c) => s + Buffer.byteLength(c), 0);
  assert.ok(total < 2 * 1024 * 1024, `${total} bytes`);
});

test('CRD metadata becomes ObjectMeta; inlined containers get the apiserver enums', () => {
  const py = JSON.parse(first[index.kinds.find((k) => k.kind === 'PyTorchJob')!.file]);
  assert.deepEqual(py.properties.metadata, { $ref: 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' });
  assert.match(
    first['defs.json'],
    /"imagePullPolicy":\{"description":"Image pull policy[^}]*"enum":\["Always","Never","IfNotPresent"\]/,
  );
});

test('normalizeNode: structural CRD semantics', () => {
  assert.deepEqual(normalizeNode({ type: 'object' }, true), { type: 'object', additionalProperties: false });
  assert.deepEqual(normalizeNode({ type: 'object' }, false), { type: 'object' });
  assert.deepEqual(normalizeNode({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, true), {
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
  });
  assert.deepEqual(
    normalizeNode(
      {
        anyOf: [{ type: 'integer' }, { type: 'string' }],
        pattern: QUANTITY_PATTERN,
        'x-kubernetes-int-or-string': true,
      },
      true,
    ),
    { 'x-kubernetes-int-or-string': true, format: 'quantity' },
  );
  assert.deepEqual(
    normalizeNode({ allOf: [{ $ref: '#/components/schemas/X' }], default: {}, description: 'd' }, false),
    { $ref: 'X', description: 'd' },
  );
});

test('proto parser: nested messages and enums, oneof, map, repeated, scoping and the JSON mapping', () => {
  const file = parseProto(`syntax = "proto3";
package p;
import "google/protobuf/struct.proto";
// A thing.
message Thing {
  // Its name.
  string display_name = 1;  // trailing comment, not a doc
  map<string, Value> values = 2;
  repeated Inner inners = 3 [deprecated = true];
  message Inner { int64 big_count = 1; Kind kind = 2; }
  enum Kind { KIND_UNSPECIFIED = 0; BIG = 1; }
  oneof impl { string a_b = 4; Inner c = 5; }
  google.protobuf.Struct meta = 6;
  reserved 7, 8;
}
message Value { oneof v { string s = 1; double d = 2; } }
`);
  assert.deepEqual(
    file.messages.map((m) => m.fullName),
    ['p.Thing', 'p.Thing.Inner', 'p.Value'],
  );
  const defs = protoToDefs([file]) as Record<string, Record<string, never>>;
  const thing = defs['proto:p.Thing'] as unknown as {
    description: string;
    properties: Record<string, Record<string, unknown>>;
    'x-gantry-aliases': Record<string, string>;
    'x-gantry-oneof': string[][];
  };
  assert.equal(thing.description, 'A thing.');
  assert.equal(thing.properties.displayName.description, 'Its name.');
  assert.deepEqual(thing.properties.values, {
    type: 'object',
    additionalProperties: { $ref: 'proto:p.Value' },
  });
  assert.deepEqual(thing.properties.inners, { type: 'array', items: { $ref: 'proto:p.Thing.Inner' } });
  assert.equal(thing.properties.meta['x-kubernetes-preserve-unknown-fields'], true);
  assert.deepEqual(thing['x-gantry-aliases'], { display_name: 'displayName', a_b: 'aB' });
  assert.deepEqual(thing['x-gantry-oneof'], [['aB', 'c']]);
  const inner = defs['proto:p.Thing.Inner'] as unknown as {
    properties: Record<string, Record<string, unknown>>;
  };
  assert.equal(inner.properties.bigCount['x-kubernetes-int-or-string'], true);
  assert.deepEqual(inner.properties.kind, { $ref: 'proto:p.Thing.Kind' });
  assert.deepEqual((defs['proto:p.Thing.Kind'] as unknown as { enum: unknown[] }).enum, [
    'KIND_UNSPECIFIED',
    'BIG',
    0,
    1,
  ]);
  assert.equal(jsonName('pipeline_info'), 'pipelineInfo');
});
