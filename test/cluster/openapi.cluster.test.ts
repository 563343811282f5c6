// src/k8s/openapi.ts against the real kube-apiserver: reads /openapi/v3 (built-ins and the installed ML CRDs),
// caches by hash, notices a newly installed CRD, and the language server validates with what it read.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { fetchOpenApiV3, kubeConfigGetter, type JsonGetter } from '../../src/k8s/openapi';
import { SchemaStore } from '../../src/server/schema/store';
import { validateText } from '../../src/server/validation/api';
import { clusterApplied, clusterChanged } from '../../src/shared/protocol';
import { inProcess } from '../server/helpers/lsp';
import { sharedCluster, type TestCluster } from './harness/index';
import { waitFor } from './helpers';

const GROUP = 'gantry-openapi.example.com';
const gadgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `gadgets.${GROUP}` },
  spec: {
    group: GROUP,
    scope: 'Namespaced',
    names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['gpus'],
                properties: {
                  gpus: { type: 'integer', description: 'GPUs per gadget.' },
                  mode: { type: 'string', enum: ['fast', 'slow'] },
                },
              },
            },
          },
        },
      },
    ],
  },
};

describe('OpenAPI v3 of the real apiserver for the language server', () => {
  let cluster: TestCluster;
  let getter: JsonGetter;
  let cacheDir: string;

  before(async () => {
    cluster = await sharedCluster();
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    getter = kubeConfigGetter(kc);
    cacheDir = await mkdtemp(path.join(tmpdir(), 'gantry-openapi-cluster-'));
  });
  after(async () => {
    await cluster.kubectl(['delete', 'crd', `gadgets.${GROUP}`, '--ignore-not-found', '--wait=false']);
    await rm(cacheDir, { recursive: true, force: true });
    await cluster.stop();
  });

  it('reads built-ins and every installed CRD, then serves unchanged documents from the cache', async () => {
    // CRDs established for a while before the read (the apiserver publishes a new one about 1 s later; other
    // tests may be adding CRDs right now).
    const crds = JSON.parse((await cluster.kubectl(['get', 'crd', '-o', 'json'])).stdout) as {
      items: {
        spec: { group: string; versions: { name: string; served: boolean }[] };
        status?: { conditions?: { type: string; status: string; lastTransitionTime?: string }[] };
      }[];
    };
    const settled = crds.items.filter((c) =>
      c.status?.conditions?.some(
        (x) =>
          x.type === 'Established' &&
          x.status === 'True' &&
          Date.now() - Date.parse(x.lastTransitionTime ?? '') > 10_000,
      ),
    );
    // The index the first read saw, to know later which documents it cached.
    const firstUrls = new Set<string>();
    const indexRecorder: JsonGetter = {
      getJson: async (p, signal) => {
        const body = await getter.getJson(p, signal);
        if (p === '/openapi/v3') {
          for (const e of Object.values(
            (body as { paths: Record<string, { serverRelativeURL: string }> }).paths,
          )) {
            firstUrls.add(e.serverRelativeURL);
          }
        }
        return body;
      },
    };
    const first = await fetchOpenApiV3(indexRecorder, { cacheDir, clusterKey: cluster.server });
    assert.ok(first.ok, first.ok ? '' : first.message);
    for (const gv of ['api/v1', 'apis/batch/v1', 'apis/apps/v1']) assert.ok(gv in first.docs, `${gv} read`);
    // Every served version of every settled CRD has its document.
    assert.ok(settled.length > 0, 'the cluster has CRDs installed');
    for (const crd of settled) {
      for (const v of crd.spec.versions.filter((x) => x.served)) {
        assert.ok(`apis/${crd.spec.group}/${v.name}` in first.docs, `apis/${crd.spec.group}/${v.name} read`);
      }
    }
    assert.ok(first.fetched >= 3);

    const store = SchemaStore.fromOpenApiV3(first.docs);
    assert.ok(store.lookup('batch/v1', 'Job'), 'Job from the live documents');
    const ds = validateText(
      'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  parallelizm: 2\n  template:\n    spec:\n      restartPolicy: Never\n      containers: []\n',
      { store },
    );
    assert.deepEqual(
      ds.filter((d) => d.code === 'unknown-field').map((d) => d.range.start),
      [{ line: 5, character: 2 }],
    );

    // Again: only documents whose hash changed meanwhile (other tests may change CRDs) are downloaded.
    const requested: string[] = [];
    const recording: JsonGetter = {
      getJson: (p, signal) => {
        requested.push(p);
        return getter.getJson(p, signal);
      },
    };
    const second = await fetchOpenApiV3(recording, { cacheDir, clusterKey: cluster.server });
    assert.ok(second.ok);
    const downloaded = requested.filter((p) => p !== '/openapi/v3');
    assert.equal(second.fetched, downloaded.length);
    assert.ok(
      downloaded.every((p) => !firstUrls.has(p)),
      `only changed hashes were downloaded again: ${downloaded.join(', ')}`,
    );
    assert.equal(second.cached + second.fetched, Object.keys(second.docs).length);
  });

  it('picks up a CRD installed later, and the server validates it after clusterChanged', async () => {
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(gadgetCrd) });
    assert.equal(r.code, 0, r.stderr);
    await cluster.kubectl(['wait', '--for=condition=Established', `crd/gadgets.${GROUP}`, '--timeout=60s']);
    const live = await waitFor('the Gadget group-version in /openapi/v3', async () => {
      const res = await fetchOpenApiV3(getter, { cacheDir, clusterKey: cluster.server });
      return res.ok && `apis/${GROUP}/v1` in res.docs ? res : undefined;
    });
    assert.ok(live.ok);
    // The new group-version was downloaded; the rest (unless another test changed it meanwhile) came from the cache.
    assert.ok(
      live.fetched >= 1 && live.cached > live.fetched,
      `fetched ${live.fetched}, cached ${live.cached}`,
    );

    const c = inProcess();
    try {
      await c.initialize();
      const uri = 'file:///w/gadget.yaml';
      const text = `apiVersion: ${GROUP}/v1\nkind: Gadget\nmetadata:\n  name: g\nspec:\n  gpus: 2\n  mode: medium\n`;
      const offline = await c.open(uri, text);
      assert.ok(!offline.some((d) => d.code === 'bad-enum'), 'the bundle does not know Gadget');
      const next = c.diagnostics(uri);
      const applied = c.notification(clusterApplied);
      await c.conn.sendNotification(clusterChanged, {
        clusterId: cluster.server,
        schemas: { file: live.file },
      });
      assert.equal((await applied).live, true);
      const ds = (await next).diagnostics;
      assert.deepEqual(
        ds.map((d) => [d.code, d.range.start.line]),
        [['bad-enum', 6]],
      );
    } finally {
      await c.close();
    }
  });
});
