// Every upstream example in shared/crds/examples validates without errors or warnings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { examples, problems, show, validate } from './helpers';

const list = examples();

test('there are upstream examples to check', () => {
  assert.ok(list.length >= 24, `only ${list.length} example files`);
});

for (const ex of list) {
  test(`example ${ex.name} has no errors or warnings`, () => {
    const ds = validate(ex.text);
    assert.deepEqual(show(problems(ds)), '');
    // Only GANTRY111 hints (images without a tag or with :latest) remain.
    for (const d of ds) assert.equal(d.code, 'GANTRY111', show([d]));
  });
}

test('argo-compiled/flip_coin.yaml: status nulls on non-nullable fields are treated as absent', () => {
  const ex = list.find((e) => e.name === 'kubeflow-pipelines/argo-compiled/flip_coin.yaml')!;
  assert.match(ex.text, /startedAt: null/);
  assert.deepEqual(problems(validate(ex.text)), []);
});

test('KFP IR with go-yaml/PyYAML-style quoted continuation lines parses (pipeline_with_secret_as_env)', () => {
  const ex = list.find((e) => e.name === 'kubeflow-pipelines/ir/pipeline_with_secret_as_env.yaml')!;
  assert.deepEqual(validate(ex.text), []);
});
