// The simulated-kinds cases of simulatedKinds.test.ts: for each kind the simulator still plays one healthy
// object, one that fails and one that cannot be scheduled (a node selector no node matches; tolerating every
// taint so that is the only reason). InferenceService and Notebook have no failure case: their controllers
// replace a failed pod (ReplicaSet, StatefulSet), and the simulator has no model-load failure to report yet.
// RayJobs are handed to the simulator with spec.managedBy (the real KubeRay plays their RayCluster).
import type { Json } from './helpers';
import { SIM_RAYJOB_MANAGED_BY } from './simulator/ray';

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

export { NOWHERE };

export function cases(): Case[] {
  const out: Case[] = [];
  const add = (kind: string, path: string, apiVersion: string, name: string, meta: Json, spec: Json) =>
    out.push({
      kind,
      name,
      path: (ns) => `/apis/${apiVersion}/namespaces/${ns}/${path}`,
      body: { apiVersion, kind, metadata: { name, ...meta }, spec },
    });
  // RayJob
  const rj = (name: string, meta: Json, head: Json = {}) =>
    add('RayJob', 'rayjobs', 'ray.io/v1', name, meta, {
      managedBy: SIM_RAYJOB_MANAGED_BY,
      entrypoint: 'python train.py',
      rayClusterSpec: ray(head),
    });
  rj('rj-ok', { annotations: { 'sim.gantry.dev/duration': '2s' } });
  rj('rj-fail', { annotations: FAIL });
  rj('rj-pending', {}, NOWHERE);
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
