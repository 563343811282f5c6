// The simulated-kinds cases of simulatedKinds.test.ts: for each kind one healthy object, one that fails and one
// that cannot be scheduled (a node selector no node matches; tolerating every taint so that is the only reason).
// RayCluster, InferenceService and Notebook have no failure case: their controllers replace a failed pod
// (KubeRay, ReplicaSet, StatefulSet), and the simulator has no model-load or quota failure to report yet.
import type { Json } from './helpers';

const NOWHERE = { nodeSelector: { 'gantry.dev/pool': 'nowhere' }, tolerations: [{ operator: 'Exists' }] };
const FAIL = { 'sim.gantry.dev/outcome': 'fail', 'sim.gantry.dev/duration': '2s' };
const RAY_IMAGE = 'rayproject/ray:2.52.0';

export interface Case {
  kind: string;
  name: string;
  path: (ns: string) => string;
  body: Json;
}

function ray(headSpec: Json = {}, workerSpec: Json = {}): Json {
  return {
    headGroupSpec: {
      rayStartParams: {},
      template: { spec: { ...headSpec, containers: [{ name: 'ray-head', image: RAY_IMAGE }] } },
    },
    workerGroupSpecs: [
      {
        groupName: 'cpu',
        replicas: 1,
        rayStartParams: {},
        template: { spec: { ...workerSpec, containers: [{ name: 'ray-worker', image: RAY_IMAGE }] } },
      },
    ],
  };
}

/** A torch ClusterTrainingRuntime; `pod` adds to its node pods' spec (e.g. a selector no node matches). */
export function runtime(name: string, pod: Json = {}): Json {
  return {
    apiVersion: 'trainer.kubeflow.org/v1alpha1',
    kind: 'ClusterTrainingRuntime',
    metadata: { name, labels: { 'trainer.kubeflow.org/framework': 'torch' } },
    spec: {
      mlPolicy: { numNodes: 1, torch: {} },
      template: {
        spec: {
          replicatedJobs: [
            {
              name: 'node',
              template: {
                metadata: { labels: { 'trainer.kubeflow.org/trainjob-ancestor-step': 'trainer' } },
                // backoffLimit 0: a failed node pod fails its Job at once (else the Job controller retries for minutes).
                spec: {
                  backoffLimit: 0,
                  template: {
                    spec: {
                      restartPolicy: 'Never',
                      ...pod,
                      containers: [{ name: 'node', image: 'pytorch/pytorch:2.7.1' }],
                    },
                  },
                },
              },
            },
          ],
        },
      },
    },
  };
}

export { NOWHERE };

/** `runtimeName`: a runtime from runtime(); `nowhereRuntime`: one whose pods no node accepts. */
export function cases(runtimeName: string, nowhereRuntime: string): Case[] {
  const out: Case[] = [];
  const add = (kind: string, path: string, apiVersion: string, name: string, meta: Json, spec: Json) =>
    out.push({
      kind,
      name,
      path: (ns) => `/apis/${apiVersion}/namespaces/${ns}/${path}`,
      body: { apiVersion, kind, metadata: { name, ...meta }, spec },
    });
  // RayCluster
  add('RayCluster', 'rayclusters', 'ray.io/v1', 'rc-ok', {}, ray());
  add('RayCluster', 'rayclusters', 'ray.io/v1', 'rc-pending', {}, ray({}, NOWHERE));
  // RayJob
  const rj = (name: string, meta: Json, head: Json = {}) =>
    add('RayJob', 'rayjobs', 'ray.io/v1', name, meta, {
      entrypoint: 'python train.py',
      rayClusterSpec: ray(head),
    });
  rj('rj-ok', { annotations: { 'sim.gantry.dev/duration': '2s' } });
  rj('rj-fail', { annotations: FAIL });
  rj('rj-pending', {}, NOWHERE);
  // JobSet
  const js = (name: string, meta: Json, pod: Json = {}) =>
    add('JobSet', 'jobsets', 'jobset.x-k8s.io/v1alpha2', name, meta, {
      replicatedJobs: [
        {
          name: 'workers',
          replicas: 2,
          template: {
            spec: {
              parallelism: 1,
              completions: 1,
              backoffLimit: 0,
              template: {
                metadata: { annotations: meta.annotations ?? {} },
                spec: { restartPolicy: 'Never', ...pod, containers: [{ name: 'w', image: 'busybox:1.36' }] },
              },
            },
          },
        },
      ],
    });
  js('js-ok', { annotations: { 'sim.gantry.dev/duration': '2s' } });
  js('js-fail', { annotations: FAIL });
  js('js-pending', {}, NOWHERE);
  // TrainJob
  const tj = (name: string, meta: Json, rt = runtimeName) =>
    add('TrainJob', 'trainjobs', 'trainer.kubeflow.org/v1alpha1', name, meta, {
      runtimeRef: { name: rt },
      trainer: { numNodes: 2 },
    });
  tj('tj-ok', { annotations: { 'sim.gantry.dev/duration': '2s' } });
  tj('tj-fail', { annotations: FAIL });
  tj('tj-pending', {}, nowhereRuntime);
  // InferenceService
  const isvc = (name: string, meta: Json, pod: Json = {}) =>
    add('InferenceService', 'inferenceservices', 'serving.kserve.io/v1beta1', name, meta, {
      predictor: {
        ...pod,
        model: {
          modelFormat: { name: 'sklearn' },
          storageUri: 'gs://kfserving-examples/models/sklearn/1.0/model',
        },
      },
    });
  isvc('isvc-ok', {});
  isvc('isvc-pending', {}, NOWHERE);
  // Notebook
  const nb = (name: string, meta: Json, pod: Json = {}) =>
    add('Notebook', 'notebooks', 'kubeflow.org/v1', name, meta, {
      template: {
        metadata: { annotations: meta.annotations ?? {} },
        spec: { ...pod, containers: [{ name, image: 'kubeflownotebookswg/jupyter-scipy:v1.9.0' }] },
      },
    });
  nb('nb-ok', {});
  nb('nb-pending', {}, NOWHERE);
  return out;
}
