import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ApplyClient,
  applyErrorOf,
  applyObject,
  reportText,
  resolveKind,
  submitObjects,
} from '../../../src/k8s/apply';
import { DiscoveredKinds } from '../../../src/k8s/discovery';
import { fail, type K8sError, ok, type Result } from '../../../src/k8s/errors';
import type { RequestOptions } from '../../../src/k8s/transport';
import { type KindRef, type KubeObject } from '../../../src/core/kube';

const JOB: KindRef = { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true };
const CM: KindRef = { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };
const NS: KindRef = { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false };
const kinds = new DiscoveredKinds([JOB, CM, NS]);

interface Sent {
  method: string;
  path: string;
  o: RequestOptions;
}

/** Answers each request with the first matching rule; echoes the body by default. */
function client(rules: ((s: Sent) => Result<unknown> | undefined)[] = []): ApplyClient & { sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    request<T>(method: string, path: string, o: RequestOptions = {}): Promise<Result<T>> {
      const s = { method, path, o };
      sent.push(s);
      for (const r of rules) {
        const res = r(s);
        if (res) return Promise.resolve(res as Result<T>);
      }
      const body = typeof o.body === 'string' ? JSON.parse(o.body) : o.body;
      if (method === 'POST') body.metadata.name = `${body.metadata.generateName}abcde`;
      return Promise.resolve(ok(body as T));
    },
  };
}

const obj = (apiVersion: string, kind: string, metadata: Record<string, unknown>): KubeObject =>
  ({ apiVersion, kind, metadata, spec: {} }) as unknown as KubeObject;

const err = (e: Partial<K8sError> & Pick<K8sError, 'kind' | 'message'>): Result<never> => fail(e as K8sError);

describe('resolveKind', () => {
  it('names the missing CRD of an ML kind', () => {
    const r = resolveKind(kinds, 'kubeflow.org/v1', 'PyTorchJob');
    assert.equal(r.ok, false);
    assert.equal(
      !r.ok && r.error.message,
      'The cluster has no PyTorchJob in kubeflow.org: the CustomResourceDefinition pytorchjobs.kubeflow.org is not installed.',
    );
  });
  it('names the versions served when the version is wrong', () => {
    const r = resolveKind(kinds, 'batch/v2', 'Job');
    assert.equal(
      !r.ok && r.error.message,
      'The cluster serves Job (batch) as v1, not v2: change apiVersion.',
    );
    assert.deepEqual(resolveKind(kinds, 'batch/v1', 'Job'), { ok: true, value: JOB });
  });
});

describe('applyObject', () => {
  it('server-side apply: PATCH apply-patch+yaml, field manager gantry, strict, the chosen namespace', async () => {
    const c = client();
    const r = await applyObject(
      c,
      JOB,
      { docIndex: 0, object: obj('batch/v1', 'Job', { name: 'j' }) },
      'team-a',
      {
        dryRun: true,
        force: true,
      },
    );
    assert.equal(r.ok, true);
    const s = c.sent[0];
    assert.equal(s.method, 'PATCH');
    assert.equal(s.path, '/apis/batch/v1/namespaces/team-a/jobs/j');
    assert.equal(s.o.contentType, 'application/apply-patch+yaml');
    assert.deepEqual(s.o.query, {
      fieldManager: 'gantry',
      fieldValidation: 'Strict',
      dryRun: 'All',
      force: true,
    });
    assert.equal(JSON.parse(s.o.body as string).metadata.namespace, 'team-a');
  });
  it('generateName: POST to the collection; cluster-scoped objects carry no namespace', async () => {
    const c = client();
    const r = await applyObject(
      c,
      JOB,
      { docIndex: 0, object: obj('batch/v1', 'Job', { generateName: 'train-' }) },
      'ml',
    );
    assert.equal(c.sent[0].method, 'POST');
    assert.equal(c.sent[0].path, '/apis/batch/v1/namespaces/ml/jobs');
    assert.equal(r.ok && r.value.metadata.name, 'train-abcde');
    await applyObject(
      c,
      NS,
      { docIndex: 0, object: obj('v1', 'Namespace', { name: 'x', namespace: 'y' }) },
      undefined,
    );
    assert.equal(c.sent[1].path, '/api/v1/namespaces/x');
    assert.equal(JSON.parse(c.sent[1].o.body as string).metadata.namespace, undefined);
  });
});

describe('applyErrorOf', () => {
  const ctx = { verb: 'patch', kind: JOB, namespace: 'ml', label: 'Job ml/j' };
  it('an SSA conflict names the field and the manager that owns it', () => {
    const e = applyErrorOf(
      {
        kind: 'conflict',
        status: 409,
        message:
          'Apply failed with 1 conflict: conflict with "kubectl-edit" using batch/v1: .spec.parallelism',
        details: {
          causes: [
            {
              reason: 'FieldManagerConflict',
              message: 'conflict with "kubectl-edit" using batch/v1',
              field: '.spec.parallelism',
            },
          ],
        },
      },
      3,
      ctx,
    );
    assert.deepEqual(e.kind === 'conflict' && e.conflicts, [
      { fieldPath: 'spec.parallelism', manager: 'kubectl-edit' },
    ]);
    assert.match(e.message, /spec\.parallelism \(owned by kubectl-edit\)\. Force takes them over\.$/);
  });
  it('an immutable field offers delete and resubmit', () => {
    const e = applyErrorOf(
      {
        kind: 'invalid',
        status: 422,
        message: 'Job.batch "j" is invalid: spec.template: Invalid value: ...: field is immutable',
        details: {
          causes: [
            {
              reason: 'FieldValueInvalid',
              message: 'Invalid value: ...: field is immutable',
              field: 'spec.template',
            },
          ],
        },
      },
      2,
      ctx,
    );
    assert.equal(e.kind, 'immutable');
    assert.deepEqual(e.kind === 'immutable' && e.causes, [
      { docIndex: 2, fieldPath: 'spec.template', message: 'Invalid value: ...: field is immutable' },
    ]);
    assert.match(e.message, /Delete and resubmit/);
  });
  it('invalid causes keep their document and field; strict decoding errors become causes', () => {
    const e = applyErrorOf(
      {
        kind: 'invalid',
        status: 422,
        message: 'x',
        details: {
          causes: [
            {
              reason: 'FieldValueRequired',
              message: 'Required value',
              field: 'spec.template.spec.containers[0].image',
            },
          ],
        },
      },
      1,
      ctx,
    );
    assert.deepEqual(e.kind === 'invalid' && e.causes, [
      { docIndex: 1, fieldPath: 'spec.template.spec.containers[0].image', message: 'Required value' },
    ]);
    const strict = applyErrorOf(
      { kind: 'invalid', status: 400, message: 'strict decoding error: unknown field "spec.paralelism"' },
      0,
      ctx,
    );
    assert.deepEqual(strict.kind === 'invalid' && strict.causes, [
      { docIndex: 0, fieldPath: 'spec.paralelism', message: 'unknown field "spec.paralelism"' },
    ]);
  });
  it('server-side apply of a field outside the schema (500 typed patch) is a cause too', () => {
    const e = applyErrorOf(
      {
        kind: 'server',
        status: 500,
        message:
          'The apiserver answered 500: failed to create typed patch object (ml/j; batch/v1, Kind=Job): .spec.paralelism: field not declared in schema',
      },
      4,
      ctx,
    );
    assert.deepEqual(e.kind === 'invalid' && e.causes, [
      { docIndex: 4, fieldPath: 'spec.paralelism', message: 'unknown field (not in the schema)' },
    ]);
  });
  it('forbidden names the verb and the resource', () => {
    const e = applyErrorOf({ kind: 'forbidden', status: 403, message: 'Forbidden: ...' }, 0, {
      ...ctx,
      verb: 'create',
    });
    assert.deepEqual(e.kind === 'forbidden' && [e.verb, e.resource, e.namespace], [
      'create',
      'jobs.batch',
      'ml',
    ]);
    assert.equal(
      e.message,
      'You may not create jobs.batch in namespace ml (RBAC forbids it): ask for the "create" verb on jobs.batch.',
    );
  });
});

describe('submitObjects', () => {
  const file = [
    { docIndex: 0, object: obj('batch/v1', 'Job', { name: 'train' }) },
    { docIndex: 1, object: obj('v1', 'ConfigMap', { name: 'cfg' }) },
    { docIndex: 2, object: obj('v1', 'Namespace', { name: 'team-new' }) },
  ];
  it('applies in dependency order into the default namespace', async () => {
    const c = client();
    const r = await submitObjects(c, kinds, file, { namespaces: { chosen: 'ml' } });
    assert.deepEqual(
      c.sent.map((s) => s.path),
      [
        '/api/v1/namespaces/team-new',
        '/api/v1/namespaces/ml/configmaps/cfg',
        '/apis/batch/v1/namespaces/ml/jobs/train',
      ],
    );
    assert.equal(r.failed, undefined);
    assert.equal(reportText(r), 'Applied: Namespace team-new, ConfigMap ml/cfg, Job ml/train.');
  });
  it('a failure in the middle: what was applied, what failed, what was not sent', async () => {
    const c = client([
      (s) =>
        s.path.includes('configmaps') ? err({ kind: 'forbidden', status: 403, message: 'no' }) : undefined,
    ]);
    const r = await submitObjects(c, kinds, file, { namespaces: { chosen: 'ml' } });
    assert.deepEqual(
      r.applied.map((a) => a.label),
      ['Namespace team-new'],
    );
    assert.equal(r.failed?.docIndex, 1);
    assert.deepEqual(r.notApplied, [{ docIndex: 0, label: 'Job train' }]);
    assert.equal(c.sent.length, 2);
    assert.equal(
      reportText(r),
      'Applied: Namespace team-new. Failed: You may not patch configmaps in namespace ml (RBAC forbids it): ask for the "patch" verb on configmaps. Not applied: Job train.',
    );
  });
  it('a dry run defers objects whose namespace the file creates', async () => {
    const inNew = [
      file[2],
      { docIndex: 3, object: obj('v1', 'ConfigMap', { name: 'c2', namespace: 'team-new' }) },
    ];
    const c = client([
      (s) =>
        s.path.includes('team-new/')
          ? err({ kind: 'notFound', status: 404, message: 'namespaces "team-new" not found' })
          : undefined,
    ]);
    const r = await submitObjects(c, kinds, inNew, { namespaces: {}, dryRun: true });
    assert.equal(r.failed, undefined);
    assert.deepEqual(r.deferred, [
      { docIndex: 3, label: 'ConfigMap team-new/c2', reason: 'namespace team-new is created by this file' },
    ]);
  });
  it('an unknown kind stops before anything of that kind is sent; cancellation stops between objects', async () => {
    const c = client();
    const r = await submitObjects(
      c,
      kinds,
      [{ docIndex: 0, object: obj('kubeflow.org/v1', 'PyTorchJob', { name: 'p' }) }],
      {
        namespaces: {},
      },
    );
    assert.equal(r.failed?.error.kind, 'unknownKind');
    assert.equal(c.sent.length, 0);
    const ac = new AbortController();
    const c2 = client();
    const r2 = await submitObjects(c2, kinds, file, {
      namespaces: {},
      signal: ac.signal,
      onObject: (_l, i) => {
        if (i === 1) ac.abort();
      },
    });
    assert.equal(r2.cancelled, true);
    assert.deepEqual(
      r2.applied.map((a) => a.label),
      ['Namespace team-new', 'ConfigMap default/cfg'],
    );
    assert.deepEqual(r2.notApplied, [{ docIndex: 0, label: 'Job train' }]);
  });
});
