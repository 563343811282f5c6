// Kubeflow Notebook (kubeflow.org Notebook) and KServe InferenceService (serving.kserve.io/v1beta1, Standard/raw
// deployment mode). StatefulSets and Deployments are realised by kube-controller-manager's real controllers.
// Shapes read from kubeflow/notebooks v1.11 components/notebook-controller/controllers/notebook_controller.go
// (generateStatefulSet: labels statefulset/notebook-name, port 8888 "notebook-port", NB_PREFIX, fsGroup 100;
// generateService: port 80 "http-<name>" -> 8888; status readyReplicas/containerState/conditions from the pod)
// and kserve/kserve v0.20:
//   pkg/constants/constants.go   serving.kserve.io/inferenceservice, component, app=isvc.<name>-predictor,
//                                PredictorServiceName <name>-predictor, DefaultDeployment = Standard
//   pkg/controller/v1beta1/inferenceservice/components/predictor.go         predictor object metadata
//   pkg/controller/v1beta1/inferenceservice/reconcilers/deployment/...      Deployment selector app label
//   pkg/controller/v1beta1/inferenceservice/reconcilers/service/...         Service selector, port 80 -> 8080
//   pkg/apis/serving/v1beta1/inference_service_status.go                    condition types, modelStatus
import {
  type Ctx,
  type Json,
  type Obj,
  clone,
  controllerRef,
  createIfMissing,
  isTerminating,
  now,
  nsPath,
  ownedBy,
  patchStatus,
  simAnnotations,
} from './util';

export async function reconcileNotebook(ctx: Ctx, nb: Obj): Promise<void> {
  if (isTerminating(nb)) return;
  const ns = nb.metadata.namespace ?? 'default';
  const name = nb.metadata.name;
  const stopped = nb.metadata.annotations?.['kubeflow-resource-stopped'] !== undefined;
  const spec: Json = clone(nb.spec?.template?.spec ?? { containers: [] });
  const c0 = spec.containers?.[0];
  if (c0) {
    c0.workingDir ||= '/home/jovyan';
    c0.ports ??= [{ containerPort: 8888, name: 'notebook-port', protocol: 'TCP' }];
    c0.env = [
      ...(c0.env ?? []).filter((e: Json) => e.name !== 'NB_PREFIX'),
      { name: 'NB_PREFIX', value: `/notebook/${ns}/${name}` },
    ];
  }
  spec.securityContext ??= { fsGroup: 100 };
  const podAnnotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(nb.metadata.annotations ?? {})) {
    if (!k.includes('kubectl') && !k.includes('notebook')) podAnnotations[k] = v;
  }
  const owner = { ...controllerRef(nb) };
  const stsPath = nsPath('apps/v1', 'statefulsets', ns, name);
  const sts = ctx.snap.statefulSets.find(
    (s) => s.metadata.namespace === ns && s.metadata.name === name && ownedBy(s, nb),
  );
  const replicas = stopped ? 0 : 1;
  if (!sts) {
    await createIfMissing(ctx, nsPath('apps/v1', 'statefulsets', ns), {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name, namespace: ns, ownerReferences: [owner] },
      spec: {
        replicas,
        selector: { matchLabels: { statefulset: name } },
        serviceName: '',
        template: {
          metadata: {
            labels: { ...(nb.metadata.labels ?? {}), statefulset: name, 'notebook-name': name },
            annotations: podAnnotations,
          },
          spec,
        },
      },
    });
  } else if (sts.spec?.replicas !== replicas) {
    await ctx.rest.patch(stsPath, { spec: { replicas } }, 'merge');
  }
  const port: number = c0?.ports?.[0]?.containerPort ?? 8888;
  await createIfMissing(ctx, nsPath('v1', 'services', ns), {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, ownerReferences: [owner] },
    spec: {
      type: 'ClusterIP',
      selector: { statefulset: name },
      ports: [{ name: `http-${name}`, port: 80, targetPort: port, protocol: 'TCP' }],
    },
  });
  const pod = ctx.snap.pods.find(
    (p) => p.metadata.namespace === ns && p.metadata.name === `${name}-0` && !isTerminating(p),
  );
  const status: Json = {
    readyReplicas: sts?.status?.readyReplicas ?? 0,
    containerState: pod?.status?.containerStatuses?.find((s: Json) => s.name === c0?.name)?.state ?? {},
    conditions: (pod?.status?.conditions ?? []).map((c: Json) => ({
      type: c.type,
      status: c.status,
      lastProbeTime: c.lastProbeTime ?? c.lastTransitionTime,
      lastTransitionTime: c.lastTransitionTime,
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.message ? { message: c.message } : {}),
    })),
  };
  await patchStatus(ctx, nb, 'notebooks', status);
}

const SERVER_IMAGES: Record<string, string> = {
  sklearn: 'kserve/sklearnserver:v0.20.0',
  xgboost: 'kserve/xgbserver:v0.20.0',
  lightgbm: 'kserve/lgbserver:v0.20.0',
  huggingface: 'kserve/huggingfaceserver:v0.20.0',
  pytorch: 'pytorch/torchserve-kfs:0.9.0',
  tensorflow: 'tensorflow/serving:2.6.2',
  onnx: 'nvcr.io/nvidia/tritonserver:23.05-py3',
  triton: 'nvcr.io/nvidia/tritonserver:23.05-py3',
  pmml: 'kserve/pmmlserver:v0.20.0',
};

export async function reconcileInferenceService(ctx: Ctx, isvc: Obj): Promise<void> {
  if (isTerminating(isvc)) return;
  const ns = isvc.metadata.namespace ?? 'default';
  const name = isvc.metadata.name;
  const pred: Json = isvc.spec?.predictor ?? {};
  const compName = `${name}-predictor`;
  const app = `isvc.${compName}`;
  const labels = {
    ...(isvc.metadata.labels ?? {}),
    ...(pred.labels ?? {}),
    'serving.kserve.io/inferenceservice': name,
    component: 'predictor',
  };
  let containers: Json[];
  if (pred.model) {
    const format: string = pred.model.modelFormat?.name ?? 'sklearn';
    containers = [
      {
        name: 'kserve-container',
        image: SERVER_IMAGES[format] ?? `kserve/${format}server:v0.20.0`,
        args: [
          `--model_name=${name}`,
          '--model_dir=/mnt/models',
          '--http_port=8080',
          ...(pred.model.args ?? []),
        ],
        env: pred.model.env,
        ports: [{ containerPort: 8080, name: 'http1', protocol: 'TCP' }],
        resources: pred.model.resources ?? {
          limits: { cpu: '1', memory: '2Gi' },
          requests: { cpu: '1', memory: '2Gi' },
        },
      },
    ];
  } else {
    containers = clone(
      pred.containers ?? [{ name: 'kserve-container', image: 'kserve/custom-model:latest' }],
    );
  }
  const podSpec: Json = {
    containers,
    ...(pred.nodeSelector ? { nodeSelector: pred.nodeSelector } : {}),
    ...(pred.tolerations ? { tolerations: pred.tolerations } : {}),
    ...(pred.affinity ? { affinity: pred.affinity } : {}),
    ...(pred.serviceAccountName ? { serviceAccountName: pred.serviceAccountName } : {}),
  };
  const replicas: number = pred.minReplicas ?? 1;
  const dep = ctx.snap.deployments.find(
    (d) => d.metadata.namespace === ns && d.metadata.name === compName && ownedBy(d, isvc),
  );
  if (!dep) {
    await createIfMissing(ctx, nsPath('apps/v1', 'deployments', ns), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: compName,
        namespace: ns,
        labels: { ...labels, app },
        annotations: { 'serving.kserve.io/deploymentMode': 'Standard' },
        ownerReferences: [controllerRef(isvc)],
      },
      spec: {
        replicas,
        selector: { matchLabels: { app } },
        template: {
          metadata: {
            labels: { ...labels, app },
            annotations: {
              ...(pred.annotations ?? {}),
              ...simAnnotations(isvc),
              'serving.kserve.io/deploymentMode': 'Standard',
            },
          },
          spec: podSpec,
        },
      },
    });
  }
  await createIfMissing(ctx, nsPath('v1', 'services', ns), {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: compName,
      namespace: ns,
      labels: { ...labels, app },
      ownerReferences: [controllerRef(isvc)],
    },
    spec: {
      selector: { app },
      ports: [{ name: `${compName}`, port: 80, targetPort: 8080, protocol: 'TCP' }],
    },
  });
  const ready = (dep?.status?.availableReplicas ?? 0) >= Math.max(1, replicas);
  const prev: Json[] = isvc.status?.conditions ?? [];
  const cond = (type: string, ok: boolean, reason?: string, message?: string): Json => {
    const old = prev.find((c) => c.type === type);
    const st = ok ? 'True' : 'False';
    return {
      type,
      status: st,
      ...(ok
        ? {}
        : {
            reason: reason ?? 'MinimumReplicasUnavailable',
            message: message ?? 'Deployment does not have minimum availability.',
          }),
      lastTransitionTime: old?.status === st ? old.lastTransitionTime : now(),
    };
  };
  const host = `${name}-${ns}.example.com`;
  const status: Json = {
    observedGeneration: isvc.metadata.generation,
    deploymentMode: 'Standard',
    conditions: [
      cond('IngressReady', ready, 'PredictorNotReady', 'Predictor is not ready'),
      cond('LatestDeploymentReady', ready),
      cond('PredictorReady', ready),
      cond('Ready', ready),
    ],
    url: `http://${host}`,
    address: { url: `http://${compName}.${ns}.svc.cluster.local` },
    components: {
      predictor: {
        url: `http://${compName}-${ns}.example.com`,
        address: { url: `http://${compName}.${ns}.svc.cluster.local` },
      },
    },
    modelStatus: ready
      ? {
          transitionStatus: 'UpToDate',
          states: { activeModelState: 'Loaded', targetModelState: 'Loaded' },
          copies: { failedCopies: 0, totalCopies: dep?.status?.availableReplicas ?? 1 },
        }
      : {
          transitionStatus: 'InProgress',
          states: { activeModelState: 'Pending', targetModelState: 'Loading' },
        },
  };
  await patchStatus(ctx, isvc, 'inferenceservices', status);
}
