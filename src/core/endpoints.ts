// What to open for a workload: which of its pods (role), which container port, which URL path. Pure: the
// port-forward session resolves the port against each pod it connects to (named ports differ per pod).
// Sources: kubeflow/notebooks components/notebook-controller/controllers/notebook_controller.go (first
// container, its first port, default 8888; NB_PREFIX /notebook/<ns>/<name>; the kubeflow-resource-stopped
// annotation scales the StatefulSet to 0), kuberay ray-operator/controllers/ray/utils/constant.go (dashboard
// port 8265, named "dashboard"), kserve pkg/constants/constants.go (InferenceServiceDefaultHttpPort 8080) and
// docs/predict-api (v1: /v1/models/<name>, v2 Open Inference Protocol: /v2/models/<name>).

/* eslint-disable @typescript-eslint/no-explicit-any -- workload specs are plain API JSON */

import { RAY_CLUSTER, type KindFamily, type LabelSelector } from './kinds';
import type { KubeObject } from './kube';

export type EndpointAction = 'notebook' | 'rayDashboard' | 'inference' | 'port';

export interface Endpoint {
  readonly action: EndpointAction;
  readonly namespace: string;
  /** For titles and the Sessions view: "Notebook team-a/nb", "Service team-a/web:80". */
  readonly title: string;
  /** Which of the target's pods: 'notebook', 'head', 'predictor'; undefined: any of them. */
  readonly role?: string;
  /** Container port, or a container port's name (resolved against each pod). */
  readonly port: number | string;
  /** URL path to open, always starting with '/'. */
  readonly path: string;
  /** Set when the workload cannot serve now, with the reason (a stopped notebook). */
  readonly stopped?: string;
  /** Only HTTP endpoints get a URL to open; a gRPC predictor is forwarded but not opened in a browser. */
  readonly scheme: 'http' | 'tcp';
}

export type EndpointResult =
  { readonly ok: true; readonly endpoint: Endpoint } | { readonly ok: false; readonly reason: string };

const fail = (reason: string): EndpointResult => ({ ok: false, reason });

export const NOTEBOOK_STOPPED_ANNOTATION = 'kubeflow-resource-stopped';
export const NOTEBOOK_DEFAULT_PORT = 8888;
export const RAY_DASHBOARD_PORT = 8265;
export const KSERVE_HTTP_PORT = 8080;

function ns(o: KubeObject): string {
  return o.metadata.namespace ?? 'default';
}

function firstPort(container: any): number | undefined {
  const p = container?.ports?.[0]?.containerPort;
  return typeof p === 'number' && p > 0 ? p : undefined;
}

export function notebookEndpoint(nb: KubeObject): EndpointResult {
  const c0 = nb.spec?.template?.spec?.containers?.[0];
  const stopped = nb.metadata.annotations?.[NOTEBOOK_STOPPED_ANNOTATION];
  return {
    ok: true,
    endpoint: {
      action: 'notebook',
      namespace: ns(nb),
      title: `Notebook ${ns(nb)}/${nb.metadata.name}`,
      role: 'notebook',
      port: firstPort(c0) ?? NOTEBOOK_DEFAULT_PORT,
      path: `/notebook/${ns(nb)}/${nb.metadata.name}/`,
      scheme: 'http',
      ...(stopped !== undefined
        ? {
            stopped: `The notebook ${ns(nb)}/${nb.metadata.name} is stopped (since ${stopped || 'an unknown time'}).`,
          }
        : {}),
    },
  };
}

/** The JSON merge patch that starts a stopped notebook (the controller scales it back to 1). */
export function notebookStartPatch(): { metadata: { annotations: Record<string, null> } } {
  return { metadata: { annotations: { [NOTEBOOK_STOPPED_ANNOTATION]: null } } };
}

function rayHeadSpec(family: KindFamily, o: KubeObject): any {
  const s = o.spec ?? {};
  if (family === 'rayCluster') return s.headGroupSpec;
  if (family === 'rayJob') return s.rayClusterSpec?.headGroupSpec;
  return s.rayClusterConfig?.headGroupSpec;
}

/** The Ray cluster whose head serves the dashboard: the object itself, the RayJob's, the RayService's active one. */
export function rayClusterName(family: KindFamily, o: KubeObject): string | undefined {
  if (family === 'rayCluster') return o.metadata.name;
  if (family === 'rayJob') {
    // A RayJob may run on an existing cluster (spec.clusterSelector) instead of its own.
    const c = o.status?.rayClusterName ?? o.spec?.clusterSelector?.[RAY_CLUSTER];
    return typeof c === 'string' && c ? c : undefined;
  }
  const c = o.status?.activeServiceStatus?.rayClusterName ?? o.status?.pendingServiceStatus?.rayClusterName;
  return typeof c === 'string' && c ? c : undefined;
}

export function rayDashboardEndpoint(family: KindFamily, o: KubeObject): EndpointResult {
  if (family !== 'rayCluster' && family !== 'rayJob' && family !== 'rayService')
    return fail(`${o.kind} has no Ray dashboard.`);
  const cluster = rayClusterName(family, o);
  if (!cluster) return fail(`The ${o.kind} ${ns(o)}/${o.metadata.name} has no Ray cluster yet.`);
  // KubeRay keeps a user-set dashboard port when the head container declares one named "dashboard".
  const ports: any[] = rayHeadSpec(family, o)?.template?.spec?.containers?.[0]?.ports ?? [];
  const named = ports.find((p) => p?.name === 'dashboard')?.containerPort;
  return {
    ok: true,
    endpoint: {
      action: 'rayDashboard',
      namespace: ns(o),
      title: `Ray dashboard ${ns(o)}/${cluster}`,
      role: 'head',
      port: typeof named === 'number' ? named : RAY_DASHBOARD_PORT,
      path: '/',
      scheme: 'http',
    },
  };
}

const FRAMEWORKS = [
  'sklearn',
  'xgboost',
  'lightgbm',
  'tensorflow',
  'pytorch',
  'triton',
  'onnx',
  'pmml',
  'paddle',
  'huggingface',
];

/** `v1`, `v2` or `grpc-v2` as the predictor declares it (model spec, then a framework spec); default v1. */
export function inferenceProtocol(isvc: KubeObject): string {
  const p = isvc.spec?.predictor ?? {};
  const declared = p.model?.protocolVersion ?? FRAMEWORKS.map((f) => p[f]?.protocolVersion).find(Boolean);
  return typeof declared === 'string' && declared ? declared : 'v1';
}

export function inferenceEndpoint(isvc: KubeObject): EndpointResult {
  const p = isvc.spec?.predictor;
  if (!p) return fail(`The InferenceService ${ns(isvc)}/${isvc.metadata.name} has no predictor.`);
  const protocol = inferenceProtocol(isvc);
  const name = isvc.metadata.name;
  // A custom predictor declares its own port; the serving runtimes listen on 8080.
  const port = p.model ? KSERVE_HTTP_PORT : (firstPort(p.containers?.[0]) ?? KSERVE_HTTP_PORT);
  const grpc = protocol.startsWith('grpc');
  return {
    ok: true,
    endpoint: {
      action: 'inference',
      namespace: ns(isvc),
      title: `InferenceService ${ns(isvc)}/${name}`,
      role: 'predictor',
      port,
      path: grpc ? '/' : protocol === 'v2' ? `/v2/models/${name}` : `/v1/models/${name}`,
      scheme: grpc ? 'tcp' : 'http',
    },
  };
}

/** Open Notebook / Ray Dashboard / Endpoint for a workload, by its kind family. */
export function endpointFor(family: KindFamily, o: KubeObject): EndpointResult {
  switch (family) {
    case 'notebook':
      return notebookEndpoint(o);
    case 'rayCluster':
    case 'rayJob':
    case 'rayService':
      return rayDashboardEndpoint(family, o);
    case 'kserve':
      return inferenceEndpoint(o);
    default:
      return fail(`Gantry does not know what a ${o.kind} serves; use Port Forward… on one of its pods.`);
  }
}

// --- Pods and Services ---------------------------------------------------------------------------------------

export interface ContainerPort {
  readonly container: string;
  readonly port: number;
  readonly name?: string;
}

/** Every declared container port of a pod, for the port pick. */
export function podPorts(pod: KubeObject): ContainerPort[] {
  const out: ContainerPort[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c?.ports ?? []) {
      if (typeof p?.containerPort === 'number' && (p.protocol ?? 'TCP') === 'TCP')
        out.push({ container: c.name, port: p.containerPort, ...(p.name ? { name: p.name } : {}) });
    }
  }
  return out;
}

export function podEndpoint(pod: KubeObject, port: number | string): Endpoint {
  return {
    action: 'port',
    namespace: ns(pod),
    title: `pod ${ns(pod)}/${pod.metadata.name}:${port}`,
    port,
    path: '/',
    scheme: 'http',
  };
}

export interface ServicePort {
  readonly name?: string;
  readonly port: number;
  /** The pods' port: a number, or a container port's name. */
  readonly targetPort: number | string;
}

export function servicePorts(svc: KubeObject): ServicePort[] {
  const out: ServicePort[] = [];
  for (const p of svc.spec?.ports ?? []) {
    if (typeof p?.port !== 'number' || (p.protocol ?? 'TCP') !== 'TCP') continue;
    // targetPort defaults to port (core/v1 ServicePort); an int-or-string that looks numeric is a number.
    const t = p.targetPort ?? p.port;
    const target = typeof t === 'string' && /^\d+$/.test(t) ? Number(t) : t;
    out.push({ port: p.port, targetPort: target, ...(p.name ? { name: p.name } : {}) });
  }
  return out;
}

/** The pods behind a Service: its selector; undefined when it has none (endpoints managed by hand). */
export function serviceSelector(svc: KubeObject): LabelSelector | undefined {
  const s = svc.spec?.selector;
  return s && typeof s === 'object' && Object.keys(s).length > 0 ? { ...s } : undefined;
}

export function serviceEndpoint(svc: KubeObject, port: ServicePort): EndpointResult {
  if (!serviceSelector(svc))
    return fail(
      `The Service ${ns(svc)}/${svc.metadata.name} has no selector, so Gantry cannot find its pods.`,
    );
  return {
    ok: true,
    endpoint: {
      action: 'port',
      namespace: ns(svc),
      title: `Service ${ns(svc)}/${svc.metadata.name}:${port.port}`,
      port: port.targetPort,
      path: '/',
      scheme: 'http',
    },
  };
}

export function matchesSelector(pod: KubeObject, sel: LabelSelector): boolean {
  const l = pod.metadata.labels ?? {};
  return Object.entries(sel).every(([k, v]) => l[k] === v);
}

/** The pod's port number for `port` (a number, or the name of one of its container ports). */
export function resolvePort(pod: KubeObject, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  return podPorts(pod).find((p) => p.name === port)?.port;
}

/** Running, Ready and not being deleted: a pod a new connection may go to. */
export function isPodReady(pod: KubeObject): boolean {
  if (pod.metadata.deletionTimestamp) return false;
  if (pod.status?.phase !== 'Running') return false;
  const c = (pod.status?.conditions ?? []).find((x: any) => x?.type === 'Ready');
  return c?.status === 'True';
}

/**
 * The pod new connections go to: a Ready pod of `role` (any role when undefined) that serves `port`. The one in
 * use stays chosen while it qualifies (connections do not hop between replicas); else the lowest rank, then name.
 */
export function choosePod<
  T extends { readonly pod: KubeObject; readonly role: string; readonly rank: readonly number[] },
>(pods: readonly T[], opts: { role?: string; port: number | string; preferUid?: string }): T | undefined {
  const ok = pods.filter(
    (p) =>
      (opts.role === undefined || p.role === opts.role) &&
      isPodReady(p.pod) &&
      resolvePort(p.pod, opts.port) !== undefined,
  );
  if (opts.preferUid) {
    const cur = ok.find((p) => p.pod.metadata.uid === opts.preferUid);
    if (cur) return cur;
  }
  return [...ok].sort((a, b) => {
    for (let i = 0; i < Math.max(a.rank.length, b.rank.length); i++) {
      const d = (a.rank[i] ?? -1) - (b.rank[i] ?? -1);
      if (d !== 0) return d;
    }
    return a.pod.metadata.name < b.pod.metadata.name ? -1 : a.pod.metadata.name > b.pod.metadata.name ? 1 : 0;
  })[0];
}

/** The local URL of a forward: 127.0.0.1 only, the endpoint's path. */
export function localUrl(port: number, path = '/'): string {
  return `http://127.0.0.1:${port}${path.startsWith('/') ? path : `/${path}`}`;
}

/**
 * Why the endpoint's page cannot load where the editor maps its forwarded port, or undefined when it can.
 * `mapped` is what asExternalUri made of the port's root (`http://127.0.0.1:<port>/`). code-server's default
 * maps it to `<code-server>/proxy/<port>/` and strips that prefix before the request reaches the port, while a
 * Kubeflow notebook serves under the absolute base URL NB_PREFIX (/notebook/<ns>/<name>/) and asks for its
 * assets and APIs there, from the host's root, where code-server answers 404. A mapping to a host of its own
 * (code-server's --proxy-domain, a Remote-SSH tunnel, Codespaces) keeps the path, and so works.
 */
export function proxiedPathProblem(
  endpoint: Pick<Endpoint, 'action' | 'title' | 'path'>,
  mapped: { readonly authority: string; readonly path: string },
  local: string,
): string | undefined {
  const prefix = mapped.path.replace(/\/+$/, '');
  if (!prefix || endpoint.action !== 'notebook') return undefined;
  const why = `(the notebook asks for its files at ${endpoint.path} from the root)`;
  if (/\/(abs)?proxy\/\d+$/.test(prefix))
    return `${endpoint.title} cannot load under code-server's ${prefix}/ path ${why}: start code-server with --proxy-domain ${mapped.authority} so that forwarded ports get a host of their own, or open ${local} on the machine code-server runs on.`;
  return `${endpoint.title} cannot load under ${prefix}/, where this editor maps forwarded ports ${why}: open ${local} on the machine the editor runs on.`;
}
