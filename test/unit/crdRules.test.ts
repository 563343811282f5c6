// The cluster harness's fallback for CRDs an older apiserver refuses (test/cluster/harness/crdRules.ts): the
// CRD names come from kubectl's error, and only the rules the server named are removed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dropRejectedRules, rejectedCrdNames } from '../cluster/harness/crdRules';

// What kubectl 1.30 printed for JobSet 0.12's CRD (2026-12-07), cut to its parts.
const RULE = 'self.templates.all(t, !has(t.metadata.namespace) || size(t.metadata.namespace) == 0)';
const ERROR =
  'The CustomResourceDefinition "jobsets.jobset.x-k8s.io" is invalid: spec.validation.openAPIV3Schema.' +
  'properties[spec].properties[volumeClaimPolicies].items.x-kubernetes-validations[0].rule: Invalid value: ' +
  `apiextensions.ValidationRule{Rule:"${RULE}", Message:"namespace cannot be set"}: compilation failed: ` +
  "ERROR: <input>:1:27: undefined field 'namespace'\n" +
  'Error from server: CustomResourceDefinition.apiextensions.k8s.io "trainingruntimes.trainer.kubeflow.org" is invalid: ...';

test('names every CRD the server refused', () => {
  assert.deepEqual(rejectedCrdNames(ERROR), [
    'jobsets.jobset.x-k8s.io',
    'trainingruntimes.trainer.kubeflow.org',
  ]);
  assert.deepEqual(rejectedCrdNames('error: the server could not find the requested resource'), []);
});

test('removes only the rules the server named, wherever they are, and keeps the others', () => {
  const other = { rule: 'self.size() <= 10', message: 'at most 10' };
  const crd = {
    spec: {
      versions: [
        {
          schema: {
            openAPIV3Schema: {
              properties: {
                spec: {
                  properties: {
                    volumeClaimPolicies: { items: { 'x-kubernetes-validations': [{ rule: RULE }, other] } },
                    replicatedJobs: { 'x-kubernetes-validations': [other] },
                    network: { 'x-kubernetes-validations': [{ rule: RULE }] },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
  const removed: string[] = [];
  dropRejectedRules(crd, ERROR, removed);
  assert.deepEqual(removed, [RULE, RULE]);
  const props = crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec.properties;
  assert.deepEqual(props.volumeClaimPolicies.items['x-kubernetes-validations'], [other]);
  assert.deepEqual(props.replicatedJobs['x-kubernetes-validations'], [other]);
  assert.ok(!('x-kubernetes-validations' in props.network), 'an emptied list is removed');
});
