import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  choosePod,
  endpointFor,
  inferenceProtocol,
  isPodReady,
  localUrl,
  notebookStartPatch,
  podEndpoint,
  podPorts,
  proxiedPathProblem,
  resolvePort,
  serviceEndpoint,
  servicePorts,
  serviceSelector,
  type EndpointResult,
} from '../../../src/core/endpoints';
import { podRole } from '../../../src/core/kinds';
import { obj, pod } from './builders';

function ok(r: EndpointResult) {
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.endpoint;
}

const notebook = (containerPorts?: unknown[], annotations?: Record<string, string>) =>
  obj(
    'kubeflow.org/v1',
    'Notebook',
    'nb',
    {
      template: {
        spec: {
          containers: [
            { name: 'nb', image: 'jupyter', ...(containerPorts ? { ports: containerPorts } : {}) },
          ],
        },
      },
    },
    undefined,
    { namespace: 'team-a', annotations },
  );

describe('endpoints: Kubeflow Notebook', () => {
  it('opens the notebook container port 8888 under /notebook/<ns>/<name>/', () => {
    const e = ok(endpointFor('notebook', notebook()));
    assert.deepEqual(e, {
      action: 'notebook',
      namespace: 'team-a',
      title: 'Notebook team-a/nb',
      role: 'notebook',
      port: 8888,
      path: '/notebook/team-a/nb/',
      scheme: 'http',
    });
  });

  it('uses the port the spec declares on the first container', () => {
    const e = ok(endpointFor('notebook', notebook([{ containerPort: 8889, name: 'notebook-port' }])));
    assert.equal(e.port, 8889);
  });

  it('says a notebook with the kubeflow-resource-stopped annotation is stopped', () => {
    const e = ok(
      endpointFor('notebook', notebook(undefined, { 'kubeflow-resource-stopped': '2026-11-29T10:00:00Z' })),
    );
    assert.equal(e.stopped, 'The notebook team-a/nb is stopped (since 2026-11-29T10:00:00Z).');
    assert.equal(ok(endpointFor('notebook', notebook())).stopped, undefined);
  });

  it('starts a notebook by deleting the annotation (merge patch null)', () => {
    assert.deepEqual(notebookStartPatch(), {
      metadata: { annotations: { 'kubeflow-resource-stopped': null } },
    });
  });
});

describe('endpoints: Ray dashboard', () => {
  it('is the head pod port 8265 of a RayCluster', () => {
    const rc = obj('ray.io/v1', 'RayCluster', 'rc', {
      headGroupSpec: { template: { spec: { containers: [{}] } } },
    });
    const e = ok(endpointFor('rayCluster', rc));
    assert.equal(e.role, 'head');
    assert.equal(e.port, 8265);
    assert.equal(e.path, '/');
    assert.equal(e.title, 'Ray dashboard ml/rc');
  });

  it('uses a head port named "dashboard" when the spec sets one', () => {
    const rc = obj('ray.io/v1', 'RayCluster', 'rc', {
      headGroupSpec: {
        template: {
          spec: {
            containers: [
              {
                ports: [
                  { name: 'gcs', containerPort: 6379 },
                  { name: 'dashboard', containerPort: 9265 },
                ],
              },
            ],
          },
        },
      },
    });
    assert.equal(ok(endpointFor('rayCluster', rc)).port, 9265);
  });

  it("is the RayJob's cluster head once the cluster is named, a reason before", () => {
    const job = obj('ray.io/v1', 'RayJob', 'rj', {}, { rayClusterName: 'rj-abcde' });
    assert.equal(ok(endpointFor('rayJob', job)).title, 'Ray dashboard ml/rj-abcde');
    const early = endpointFor('rayJob', obj('ray.io/v1', 'RayJob', 'rj', {}, {}));
    assert.deepEqual(early, { ok: false, reason: 'The RayJob ml/rj has no Ray cluster yet.' });
  });

  it("is the RayService's active cluster head", () => {
    const svc = obj(
      'ray.io/v1',
      'RayService',
      'rs',
      {},
      {
        activeServiceStatus: { rayClusterName: 'rs-active' },
        pendingServiceStatus: { rayClusterName: 'rs-pending' },
      },
    );
    assert.equal(ok(endpointFor('rayService', svc)).title, 'Ray dashboard ml/rs-active');
  });
});

describe('endpoints: InferenceService predictor', () => {
  const isvc = (predictor: unknown) =>
    obj('serving.kserve.io/v1beta1', 'InferenceService', 'iris', { predictor });

  it('is the predictor port 8080 with /v1/models/<name> by default', () => {
    const e = ok(endpointFor('kserve', isvc({ model: { modelFormat: { name: 'sklearn' } } })));
    assert.deepEqual([e.role, e.port, e.path, e.scheme], ['predictor', 8080, '/v1/models/iris', 'http']);
  });

  it('follows protocolVersion v2 (model or framework spec)', () => {
    const v2 = isvc({ model: { modelFormat: { name: 'sklearn' }, protocolVersion: 'v2' } });
    assert.equal(inferenceProtocol(v2), 'v2');
    assert.equal(ok(endpointFor('kserve', v2)).path, '/v2/models/iris');
    assert.equal(
      ok(endpointFor('kserve', isvc({ sklearn: { protocolVersion: 'v2' } }))).path,
      '/v2/models/iris',
    );
  });

  it('forwards a gRPC predictor without a browser URL', () => {
    const e = ok(endpointFor('kserve', isvc({ model: { protocolVersion: 'grpc-v2' } })));
    assert.equal(e.scheme, 'tcp');
  });

  it("takes a custom predictor container's port", () => {
    const e = ok(
      endpointFor('kserve', isvc({ containers: [{ name: 'c', ports: [{ containerPort: 9000 }] }] })),
    );
    assert.equal(e.port, 9000);
  });

  it('names kinds it cannot open', () => {
    const r = endpointFor('trainingV1', obj('kubeflow.org/v1', 'PyTorchJob', 'p'));
    assert.equal(r.ok, false);
  });
});

describe('endpoints: pods and Services', () => {
  const web = pod('web-1', {
    labels: { app: 'web' },
    spec: {
      containers: [
        {
          name: 'srv',
          ports: [
            { containerPort: 8000, name: 'http' },
            { containerPort: 53, protocol: 'UDP' },
          ],
        },
      ],
    },
  });

  it('lists TCP container ports and resolves named ports against the pod', () => {
    assert.deepEqual(podPorts(web), [{ container: 'srv', port: 8000, name: 'http' }]);
    assert.equal(resolvePort(web, 'http'), 8000);
    assert.equal(resolvePort(web, 'metrics'), undefined);
    assert.equal(resolvePort(web, 7000), 7000);
    assert.equal(podEndpoint(web, 8000).title, 'pod ml/web-1:8000');
  });

  it('maps a Service port to its targetPort (name, number, or the port itself)', () => {
    const svc = obj('v1', 'Service', 'web', {
      selector: { app: 'web' },
      ports: [
        { name: 'http', port: 80, targetPort: 'http' },
        { name: 'alt', port: 81, targetPort: '8001' },
        { port: 9090 },
        { name: 'dns', port: 53, protocol: 'UDP' },
      ],
    });
    assert.deepEqual(servicePorts(svc), [
      { name: 'http', port: 80, targetPort: 'http' },
      { name: 'alt', port: 81, targetPort: 8001 },
      { port: 9090, targetPort: 9090 },
    ]);
    assert.deepEqual(serviceSelector(svc), { app: 'web' });
    const e = ok(serviceEndpoint(svc, servicePorts(svc)[0]));
    assert.deepEqual([e.port, e.title, e.role], ['http', 'Service ml/web:80', undefined]);
  });

  it('refuses a Service without a selector', () => {
    const svc = obj('v1', 'Service', 'ext', { ports: [{ port: 80 }] });
    assert.equal(serviceEndpoint(svc, servicePorts(svc)[0]).ok, false);
  });

  it('chooses a Ready pod of the role that serves the port, sticking to the one in use', () => {
    const mk = (name: string, o: Parameters<typeof pod>[1]) => {
      const p = pod(name, o);
      const r = podRole(p);
      return { pod: p, role: r.role, rank: r.rank, label: r.label };
    };
    const nbLabels = { 'notebook-name': 'nb' };
    const notReady = mk('nb-0', { labels: nbLabels, ready: false });
    assert.equal(isPodReady(notReady.pod), false);
    const deleting = mk('nb-0', { labels: nbLabels, deleting: true });
    assert.equal(isPodReady(deleting.pod), false);
    assert.equal(choosePod([notReady, deleting], { role: 'notebook', port: 8888 }), undefined);

    const a = mk('pred-a', {
      labels: { 'serving.kserve.io/inferenceservice': 'iris', component: 'predictor' },
    });
    const b = mk('pred-b', {
      labels: { 'serving.kserve.io/inferenceservice': 'iris', component: 'predictor' },
    });
    assert.equal(choosePod([b, a], { role: 'predictor', port: 8080 })?.pod.metadata.name, 'pred-a');
    assert.equal(
      choosePod([a, b], { role: 'predictor', port: 8080, preferUid: 'uid-pod-pred-b' })?.pod.metadata.name,
      'pred-b',
    );
    assert.equal(choosePod([a, b], { role: 'head', port: 8080 }), undefined);
    // A named port only some pods declare.
    const named = mk('web-1', {
      spec: { containers: [{ name: 's', ports: [{ containerPort: 80, name: 'http' }] }] },
    });
    assert.equal(choosePod([a, named], { port: 'http' })?.pod.metadata.name, 'web-1');
  });

  it('builds loopback URLs', () => {
    assert.equal(localUrl(40123, '/notebook/a/b/'), 'http://127.0.0.1:40123/notebook/a/b/');
    assert.equal(localUrl(1, 'x'), 'http://127.0.0.1:1/x');
  });

  describe('proxiedPathProblem', () => {
    const nb = { action: 'notebook' as const, title: 'Notebook team/nb', path: '/notebook/team/nb/' };
    const local = 'http://127.0.0.1:35239/notebook/team/nb/';

    it("explains a notebook under code-server's /proxy/<port>/ and names the --proxy-domain to use", () => {
      assert.equal(
        proxiedPathProblem(nb, { authority: 'localhost:8080', path: '/proxy/35239/' }, local),
        "Notebook team/nb cannot load under code-server's /proxy/35239/ path (the notebook asks for its files at " +
          '/notebook/team/nb/ from the root): start code-server with --proxy-domain localhost:8080 so that ' +
          'forwarded ports get a host of their own, or open http://127.0.0.1:35239/notebook/team/nb/ on the ' +
          'machine code-server runs on.',
      );
      // code-server under a base path of its own, and /absproxy/.
      assert.match(
        proxiedPathProblem(nb, { authority: 'dev.example.com', path: '/ide/absproxy/35239' }, local) ?? '',
        /under code-server's \/ide\/absproxy\/35239\/ path .* --proxy-domain dev\.example\.com /,
      );
    });

    it('explains another path-prefixed mapping without code-server advice', () => {
      const m = proxiedPathProblem(nb, { authority: 'gw.example.com', path: '/ports/35239/' }, local);
      assert.equal(
        m,
        'Notebook team/nb cannot load under /ports/35239/, where this editor maps forwarded ports (the notebook ' +
          'asks for its files at /notebook/team/nb/ from the root): open http://127.0.0.1:35239/notebook/team/nb/ ' +
          'on the machine the editor runs on.',
      );
    });

    it('has nothing to say when the port keeps its own host, or for pages that are not notebooks', () => {
      // Desktop (unchanged), Remote-SSH tunnel, code-server --proxy-domain, Codespaces.
      for (const path of ['/', '']) {
        assert.equal(proxiedPathProblem(nb, { authority: '35239.localhost:8080', path }, local), undefined);
      }
      const ray = { action: 'rayDashboard' as const, title: 'Ray dashboard team/rc', path: '/' };
      assert.equal(
        proxiedPathProblem(ray, { authority: 'localhost:8080', path: '/proxy/8265/' }, local),
        undefined,
      );
    });
  });
});
