// Schema semantics as the apiserver applies them: YAML 1.1 scalars, unknown fields, int-or-string,
// quantities, nulls, enums, required fields, duplicate keys, unknown kinds, KFP proto JSON mapping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchemaStore, schemaAtPath, KFP_PIPELINE_SPEC } from '../../../src/server/schema/store';
import { splitChunks, Validator } from '../../../src/server/validation/validator';
import { editDistance, suggest } from '../../../src/server/validation/suggest';
import { isQuantity, quantityValue } from '../../../src/core/quantity';
import { bundled, loc, problems, show, validate } from './helpers';

const pod = (spec: string, meta = '  name: p\n'): string =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n${meta}spec:\n${spec}`;
const ctr = (extra: string): string =>
  pod(`  containers:\n    - name: c\n      image: busybox:1.36\n${extra}`);

function one(text: string, code: string): ReturnType<typeof validate>[number] {
  const ds = problems(validate(text));
  assert.equal(ds.length, 1, show(ds));
  assert.equal(ds[0].code, code, show(ds));
  return ds[0];
}

test('YAML 1.1 scalars: yes/on are booleans, 0755 is octal', () => {
  assert.deepEqual(
    problems(
      validate(
        pod('  hostNetwork: yes\n  enableServiceLinks: on\n  containers: [{name: c, image: "a:1"}]\n'),
      ),
    ),
    [],
  );
  const d = one(pod('  containers: [{name: c, image: "a:1"}]\n  hostname: yes\n'), 'wrong-type');
  assert.match(String(d.message), /^spec\.hostname: expected string, got boolean yes$/);
  const vol = pod(
    '  containers: [{name: c, image: "a:1"}]\n  volumes:\n    - name: v\n      configMap:\n        name: cm\n        defaultMode: 0755\n',
  );
  assert.deepEqual(problems(validate(vol)), []);
});

test('wrong type names the path and what is expected, at the value', () => {
  const text = `apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: x}
spec:
  pytorchReplicaSpecs:
    Worker:
      replicas: two
      template:
        spec:
          containers: [{name: pytorch, image: "a:1"}]
`;
  const d = one(text, 'wrong-type');
  assert.equal(d.message, 'spec.pytorchReplicaSpecs.Worker.replicas: expected integer, got string "two"');
  const at = loc(text, 'two');
  assert.deepEqual(d.range, { start: at, end: { line: at.line, character: at.character + 3 } });
  assert.equal(d.source, 'gantry');
  assert.equal(d.severity, 1);
});

test('a number where a string is expected (label value 1.10)', () => {
  const d = one(
    pod('  containers: [{name: c, image: "a:1"}]\n', '  name: p\n  labels:\n    version: 1.10\n'),
    'wrong-type',
  );
  assert.match(String(d.message), /metadata\.labels\.version: expected string, got number 1\.10/);
});

test('unknown fields: error at the key with did-you-mean, also in ObjectMeta and built-in kinds', () => {
  const text = ctr('      imagePullPolicyy: Always\n');
  const d = one(text, 'unknown-field');
  assert.match(
    String(d.message),
    /spec\.containers\[0\]\.imagePullPolicyy: unknown field "imagePullPolicyy"; did you mean "imagePullPolicy"\?/,
  );
  const at = loc(text, 'imagePullPolicyy');
  assert.deepEqual(d.range, { start: at, end: { line: at.line, character: at.character + 16 } });
  // Case-insensitive near miss.
  assert.match(
    String(one(ctr('      ImagePullPolicy: Always\n'), 'unknown-field').message),
    /did you mean "imagePullPolicy"/,
  );
  // Far from every field: no suggestion.
  assert.doesNotMatch(String(one(ctr('      zzzzzzzz: 1\n'), 'unknown-field').message), /did you mean/);
  const meta = one(
    pod('  containers: [{name: c, image: "a:1"}]\n', '  name: p\n  annotation: {}\n'),
    'unknown-field',
  );
  assert.match(
    String(meta.message),
    /metadata\.annotation: unknown field "annotation"; did you mean "annotations"\?/,
  );
});

test('x-kubernetes-preserve-unknown-fields allows anything below it (RayService serveConfigV2 / TrainJob runtime patches)', () => {
  const text = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: x-}
spec:
  entrypoint: main
  templates:
    - name: main
      container: {image: "a:1"}
  arguments:
    parameters: [{name: p, value: v}]
  podMetadata: {labels: {a: b}}
`;
  assert.deepEqual(problems(validate(text)), []);
});

test('null on a non-nullable field is treated as absent; required fields still count', () => {
  assert.deepEqual(
    problems(
      validate(
        pod(
          '  containers: [{name: c, image: "a:1"}]\n  nodeName: null\n',
          '  name: p\n  creationTimestamp: null\n',
        ),
      ),
    ),
    [],
  );
  const d = one(pod('  containers: null\n'), 'missing-field');
  assert.equal(d.message, 'spec: missing required field "containers"');
  const at = loc(pod('  containers: null\n'), 'spec:');
  assert.deepEqual(d.range, { start: at, end: { line: at.line, character: 4 } });
});

test("missing required field inside a list item is reported at the item's first key", () => {
  const text = ctr('').replace('    - name: c\n      image: busybox:1.36\n', '    - image: busybox:1.36\n');
  const d = one(text, 'missing-field');
  assert.equal(d.message, 'spec.containers[0]: missing required field "name"');
  assert.deepEqual(d.range.start, loc(text, 'image: busybox'));
});

test('int-or-string accepts 1 and "25%" but not 1.5 or booleans', () => {
  const dep = (v: string): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  selector: {matchLabels: {a: b}}
  strategy:
    rollingUpdate:
      maxSurge: ${v}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers: [{name: c, image: "a:1"}]
`;
  assert.deepEqual(problems(validate(dep('1'))), []);
  assert.deepEqual(problems(validate(dep('25%'))), []);
  assert.match(
    String(one(dep('1.5'), 'wrong-type').message),
    /maxSurge: expected integer or string, got number 1\.5/,
  );
  assert.match(String(one(dep('true'), 'wrong-type').message), /got boolean true/);
});

test('quantities: resource values are checked for quantity syntax (built-in and CRD)', () => {
  const q = (v: string): string =>
    ctr(`      resources:\n        requests:\n          cpu: ${v}\n          memory: 1Gi\n`);
  for (const ok of ['500m', '2', '1.5', '"0.5"', '1e3', '+1', '.5'])
    assert.deepEqual(problems(validate(q(ok))), [], ok);
  const d = one(q('2x'), 'bad-format');
  assert.match(
    String(d.message),
    /spec\.containers\[0\]\.resources\.requests\.cpu: "2x" is not a valid quantity/,
  );
  assert.equal(one(q('1GB'), 'bad-format').code, 'bad-format');
  const crd = `apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: x}
spec:
  pytorchReplicaSpecs:
    Worker:
      template:
        spec:
          containers:
            - name: pytorch
              image: a:1
              resources: {limits: {memory: 16 GiB}}
`;
  assert.match(String(one(crd, 'bad-format').message), /limits\.memory: "16 GiB" is not a valid quantity/);
  assert.equal(quantityValue('1500m'), 1.5);
  assert.equal(quantityValue('2Ki'), 2048);
  assert.equal(quantityValue('1e3'), 1000);
  assert.equal(isQuantity('1.2.3'), false);
});

test('enums with did-you-mean and a quick fix for the value', () => {
  const text = pod('  restartPolicy: Nevr\n  containers: [{name: c, image: "a:1"}]\n');
  const d = one(text, 'bad-enum');
  assert.match(
    String(d.message),
    /spec\.restartPolicy: unsupported value "Nevr"; expected one of "Always", "OnFailure", "Never"; did you mean "Never"\?/,
  );
  const fix = (d.data as { fixes: { edits: { newText: string }[] }[] }).fixes[0];
  assert.equal(fix.edits[0].newText, 'Never');
});

test('duplicate keys are errors at the repeated key; the document is still checked', () => {
  const text = pod('  containers: [{name: c, image: "a:1"}]\n  hostname: a\n  hostname: b\n  nodeNam: x\n');
  const ds = problems(validate(text));
  const dup = ds.find((d) => d.code === 'duplicate-key')!;
  assert.ok(dup, show(ds));
  const at = loc(text, 'hostname', 1);
  assert.deepEqual(dup.range, { start: at, end: { line: at.line, character: at.character + 8 } });
  assert.match(String(dup.message), /duplicate key "hostname"/);
  assert.ok(
    ds.some((d) => d.code === 'unknown-field'),
    show(ds),
  );
});

test("syntax errors carry the parser's range; other documents are still validated with correct lines", () => {
  const text = `${pod('  containers: [{name: c, image: "a:1"}]\n')}---\nfoo: [1, 2\n---\n${pod('  containers: [{name: c, image: "a:1"}]\n  hostnam: x\n')}`;
  const ds = validate(text);
  const syntax = ds.filter((d) => d.code === 'yaml-syntax');
  assert.ok(syntax.length >= 1);
  assert.ok(
    syntax.every((d) => d.range.start.line >= 7 && d.range.start.line <= 9),
    show(syntax),
  );
  const unk = ds.find((d) => d.code === 'unknown-field')!;
  assert.deepEqual(unk.range.start, loc(text, 'hostnam:'));
});

test('documents without apiVersion/kind, and unknown groups, are left alone', () => {
  assert.deepEqual(validate('foo: bar\nlist: [1, 2]\n'), []);
  assert.deepEqual(validate('apiVersion: example.com/v1\nkind: Widget\nspec: {anything: 1}\n'), []);
  assert.deepEqual(validate('apiVersion: v1\nkind: List\nitems: []\n'), []);
  assert.deepEqual(validate(''), []);
  assert.deepEqual(validate('---\n---\n# only a comment\n'), []);
});

test('unknown kind in a known group: warning on kind with did-you-mean and fixes', () => {
  const text = 'apiVersion: kubeflow.org/v1\nkind: PytorchJob\nmetadata: {name: x}\n';
  const d = one(text, 'unknown-kind');
  assert.equal(d.severity, 2);
  assert.deepEqual(d.range, { start: { line: 1, character: 6 }, end: { line: 1, character: 16 } });
  assert.match(
    String(d.message),
    /kubeflow\.org\/v1 PytorchJob is not a kind Gantry knows; did you mean "PyTorchJob"\?/,
  );
  const v2 = validate('apiVersion: kubeflow.org/v2beta1\nkind: MPIJob\n');
  assert.equal(v2.length, 1);
  assert.equal(v2[0].severity, 3, 'another version of a known kind is information only');
  assert.match(String(v2[0].message), /Gantry has MPIJob as kubeflow\.org\/v1/);
  const core = validate('apiVersion: v1\nkind: Deployment\n')[0];
  assert.equal(core.code, 'unknown-kind');
  assert.match(String(core.message), /Gantry has Deployment as apps\/v1/);
  const fix = (core.data as { fixes: { edits: { newText: string }[] }[] }).fixes[0];
  assert.equal(fix.edits[0].newText, 'apps/v1');
});

test('KFP IR: proto3 JSON names, original snake_case names, int64 as string or number, oneof, enums', () => {
  const ir = (extra: string): string => `pipelineInfo:
  name: p
root:
  dag:
    tasks:
      t:
        componentRef: {name: comp-t}
        taskInfo: {name: t}
${extra}components:
  comp-t:
    executorLabel: exec-t
deploymentSpec:
  executors:
    exec-t:
      container:
        image: python:3.11
        command: [python]
        resources:
          cpuLimit: 2.0
schemaVersion: 2.1.0
sdkVersion: kfp-2.14.3
`;
  assert.deepEqual(problems(validate(ir(''))), []);
  assert.deepEqual(
    problems(validate(ir('  input_definitions:\n    parameters:\n      x: {parameterType: STRING}\n'))),
    [],
  );
  assert.deepEqual(
    problems(validate(ir('  inputDefinitions:\n    parameters:\n      x: {parameterType: 3}\n'))),
    [],
  );
  const badEnum = problems(
    validate(ir('  inputDefinitions:\n    parameters:\n      x: {parameterType: STRNG}\n')),
  );
  assert.equal(badEnum.length, 1, show(badEnum));
  assert.equal(badEnum[0].code, 'bad-enum');
  assert.match(String(badEnum[0].message), /did you mean "STRING"/);
  const both = problems(
    validate(
      ir('  dag:\n    tasks: {}\n').replace(
        '    executorLabel: exec-t\n',
        '    executorLabel: exec-t\n    dag: {tasks: {}}\n',
      ),
    ),
  );
  assert.ok(
    both.some((d) => /only one of "dag", "executorLabel" may be set/.test(String(d.message))),
    show(both),
  );
  const unknown = problems(validate(ir('').replace('sdkVersion', 'sdkVersoin')));
  assert.equal(unknown[0].code, 'unknown-field');
  assert.match(String(unknown[0].message), /did you mean "sdkVersion"/);
});

test('KFP platform spec document follows kubernetes_executor_config.proto', () => {
  const text = `platforms:
  kubernetes:
    deploymentSpec:
      executors:
        exec-comp:
          secretAsEnv:
            - secretName: s
              keyToEnv: [{secretKey: k, envVar: V}]
          activeDeadlineSeconds: "100"
          nodeSelector: {labels: {a: b}}
`;
  assert.deepEqual(problems(validate(text)), []);
  const d = one(text.replace('envVar', 'envVarr'), 'unknown-field');
  assert.match(String(d.message), /did you mean "envVar"/);
  assert.equal(one(text.replace('"100"', 'soon'), 'bad-format').code, 'bad-format');
});

test('schemaAtPath walks properties, map values, list items and proto aliases', () => {
  const store = bundled();
  const job = store.lookup('kubeflow.org/v1', 'PyTorchJob')!;
  const img = schemaAtPath(job, [
    'spec',
    'pytorchReplicaSpecs',
    'Worker',
    'template',
    'spec',
    'containers',
    0,
    'image',
  ]);
  assert.equal(img?.type, 'string');
  assert.match(img?.description ?? '', /[Ii]mage/);
  const meta = schemaAtPath(job, ['metadata', 'labels', 'app']);
  assert.equal(meta?.type, 'string');
  const ir = store.lookup(KFP_PIPELINE_SPEC.apiVersion, KFP_PIPELINE_SPEC.kind)!;
  assert.ok(schemaAtPath(ir, ['pipeline_info', 'name']));
  assert.ok(schemaAtPath(ir, ['deploymentSpec', 'executors', 'e', 'container', 'image']));
  assert.equal(schemaAtPath(job, ['spec', 'nope']), undefined);
});

test('fromOpenApiV3 + overlay: live kinds win, bundled kinds remain', () => {
  const live = SchemaStore.fromOpenApiV3({
    'apis/kubeflow.org/v1': {
      components: {
        schemas: {
          'org.kubeflow.v1.PyTorchJob': {
            type: 'object',
            'x-kubernetes-group-version-kind': [{ group: 'kubeflow.org', version: 'v1', kind: 'PyTorchJob' }],
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              metadata: {
                allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }],
              },
              spec: { type: 'object', properties: { liveOnly: { type: 'integer' } } },
            },
          },
          'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': {
            type: 'object',
            properties: { name: { type: 'string' } },
          },
        },
      },
    },
  });
  const store = bundled().overlay(live);
  assert.ok(store.lookup('kubeflow.org/v1', 'PyTorchJob')!.properties!.spec.properties!.liveOnly);
  assert.ok(store.lookup('apps/v1', 'Deployment'));
  assert.ok(store.kinds().some((k) => k.kind === 'TFJob'));
  const v = new Validator(store);
  const ds = v.validate(
    'apiVersion: kubeflow.org/v1\nkind: PyTorchJob\nmetadata: {name: a, nam: b}\nspec: {liveOnly: x}\n',
  );
  assert.deepEqual(ds.map((d) => d.code).sort(), ['unknown-field', 'wrong-type']);
});

test('Validator reuses results of unchanged documents and shifts lines of moved ones', () => {
  const v = new Validator(bundled());
  const a = pod('  containers: [{name: c, image: "a:1"}]\n  hostnam: x\n');
  const b = pod('  containers: [{name: c, image: "a:1"}]\n  nodeNam: x\n');
  const first = v.validate(`${a}---\n${b}`);
  const parsed = v.stats.chunksValidated;
  const again = v.validate(`${a}---\n${b}`);
  assert.deepEqual(again, first);
  assert.equal(v.stats.chunksValidated, parsed, 'nothing re-validated');
  // Edit the second document only: one chunk re-validated.
  const edited = v.validate(`${a}---\n${b.replace('nodeNam', 'nodeNme')}`);
  assert.equal(v.stats.chunksValidated, parsed + 1);
  assert.equal(edited.length, 2);
  // Insert a line before: the second document's diagnostic moves down one line, without re-validation.
  const moved = v.validate(`# comment\n${a}---\n${b.replace('nodeNam', 'nodeNme')}`);
  assert.equal(v.stats.chunksValidated, parsed + 2); // only the first chunk's text changed
  assert.equal(moved[1].range.start.line, edited[1].range.start.line + 1);
  assert.equal(moved[1].range.start.character, edited[1].range.start.character);
});

test('splitChunks splits at --- lines only, keeping line numbers', () => {
  const chunks = splitChunks('a: 1\n---\nb: "--- not a marker"\n--- # c\nc: 3\n');
  assert.deepEqual(
    chunks.map((c) => c.startLine),
    [0, 1, 3],
  );
  assert.equal(chunks.map((c) => c.text).join(''), 'a: 1\n---\nb: "--- not a marker"\n--- # c\nc: 3\n');
});

test('did-you-mean distance: transpositions count once, case-insensitive matches win', () => {
  assert.equal(editDistance('replcias', 'replicas'), 1);
  assert.equal(editDistance('abc', 'xyz'), 3);
  assert.deepEqual(suggest('Replicas', ['replicas', 'template']), ['replicas']);
  assert.deepEqual(suggest('tmplate', ['replicas', 'template']), ['template']);
  assert.deepEqual(suggest('xy', ['ab', 'cd']), []);
});

test('YAML 1.1 as go-yaml reads it: timestamps and base-60 look-alikes stay strings', () => {
  const text = pod(
    '  containers:\n    - name: c\n      image: "a:1"\n      args: [22:22]\n      env: [{name: D, value: 2024-01-01}]\n',
    '  name: p\n  creationTimestamp: 2024-01-01T00:00:00Z\n',
  );
  assert.deepEqual(problems(validate(text)), []);
});

test('KFP IR is recognised by two of pipelineInfo/root/components/deploymentSpec; other YAML is left alone', () => {
  assert.deepEqual(validate('root: /srv\nfoo: 1\n'), []);
  assert.deepEqual(validate('components: [a, b]\nname: x\n'), []);
  assert.equal(
    problems(validate('pipelineInfo: {name: p}\nroot: {dag: {tasks: {}}}\nfoo: 1\n'))[0].code,
    'unknown-field',
  );
  assert.deepEqual(validate('platforms: [linux]\n'), []);
});

test('YAML 1.1 merge keys: no unknown-field for <<, no guessing of merged required fields', () => {
  const text = pod(
    '  containers:\n    - &base\n      name: a\n      image: x:1\n    - <<: *base\n      image: y:1\n',
  );
  assert.deepEqual(problems(validate(text)), []);
});

test('CRD patterns are enforced, including RE2 inline (?i) (Kueue AdmissionCheck)', () => {
  const ac = (name: string): string =>
    `apiVersion: kueue.x-k8s.io/v1beta2
kind: AdmissionCheck
metadata: {name: a}
spec:
  controllerName: c
  parameters: {apiGroup: g, kind: K, name: params}
`.replace('kind: K,', `kind: ${name},`);
  const ok = problems(validate(ac('Kind1')));
  assert.deepEqual(ok, [], show(ok));
  const d = one(ac('1bad'), 'bad-format');
  assert.match(String(d.message), /"1bad" does not match/);
});

test('map size limits from CRD schemas (ResourceFlavor nodeLabels maxProperties)', () => {
  const rf = (labels: string): string =>
    `apiVersion: kueue.x-k8s.io/v1beta2\nkind: ResourceFlavor\nmetadata: {name: f}\nspec:\n  nodeLabels: {${labels}}\n`;
  assert.deepEqual(problems(validate(rf('a: b'))), []);
  const many = Array.from({ length: 9 }, (_, i) => `k${i}: v`).join(', ');
  const text = rf(many);
  const d = one(text, 'bad-format');
  assert.equal(d.message, 'spec.nodeLabels: expected at most 8 entries, got 9');
  assert.deepEqual(d.range.start, loc(text, '{k0'));
});
