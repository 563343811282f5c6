// Normalisation of OpenAPI v3 schema nodes (Kubernetes documents and CRDs) to Gantry's SchemaNode form.
// Shared by the schema generator (scripts/schemas) and live schemas read from a cluster. Pure.

type Node = Record<string, unknown>;

export const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
/** The pattern controller-gen writes for resource.Quantity fields. */
export const QUANTITY_PATTERN =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';
/** Keys of an OpenAPI node that Gantry keeps (validation + hover). Everything else is dropped. */
const SCALAR_KEYS = [
  'type',
  'description',
  'format',
  'pattern',
  'enum',
  'nullable',
  'required',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
];

const refName = (ref: string): string =>
  ref.replace(/^#\/components\/schemas\//, '').replace(/^#\/definitions\//, '');

/** Normalises one OpenAPI v3 node (Kubernetes document or CRD). `crd`: structural CRD semantics. */
export function normalizeNode(n: Node, crd: boolean): Node {
  const out: Node = {};
  if (typeof n.$ref === 'string') out.$ref = refName(n.$ref);
  const allOf = n.allOf as Node[] | undefined;
  // Kubernetes documents wrap references as `allOf: [{$ref}]` to attach a description/default.
  if (allOf && allOf.length === 1 && typeof allOf[0].$ref === 'string') out.$ref = refName(allOf[0].$ref);
  else if (allOf) out.allOf = allOf.map((x) => normalizeNode(x, crd));
  for (const k of SCALAR_KEYS) if (n[k] !== undefined) out[k] = n[k];
  if (n.default !== undefined && !isEmptyDefault(n.default)) out.default = n.default;
  if (n.properties) {
    const props: Node = {};
    for (const [k, v] of Object.entries(n.properties as Record<string, Node>))
      props[k] = normalizeNode(v, crd);
    out.properties = props;
  }
  if (n.items && typeof n.items === 'object' && !Array.isArray(n.items))
    out.items = normalizeNode(n.items as Node, crd);
  if (typeof n.additionalProperties === 'boolean') out.additionalProperties = n.additionalProperties;
  else if (n.additionalProperties)
    out.additionalProperties = normalizeNode(n.additionalProperties as Node, crd);
  const intOrString = n['x-kubernetes-int-or-string'] === true;
  for (const k of ['oneOf', 'anyOf'] as const) {
    const arr = n[k] as Node[] | undefined;
    // int-or-string carries its own anyOf [integer, string]: the flag says it all.
    if (arr && !intOrString) out[k] = arr.map((x) => normalizeNode(x, crd));
  }
  if (intOrString && out.pattern === QUANTITY_PATTERN) {
    out.format = 'quantity';
    delete out.pattern;
  }
  if (crd && out.type === 'object' && !out.properties && out.additionalProperties === undefined) {
    // Structural schema: an object without properties keeps no fields (the apiserver prunes them,
    // and strict field validation reports them) unless it preserves unknown fields.
    if (!out['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false;
  }
  return out;
}

function isEmptyDefault(v: unknown): boolean {
  return (
    v === '' ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === 'object' && v !== null && Object.keys(v).length === 0)
  );
}

/** Kubernetes definitions whose v3 form needs Gantry's reading of the apiserver's behaviour. */
/**
 * Enums the apiserver enforces in Go validation for built-in kinds. The 1.30 OpenAPI v3 documents only
 * mention them in descriptions ("One of Always, OnFailure, Never"), so they are restated here.
 */
export const K8S_ENUMS: Record<string, Record<string, string[]>> = {
  'io.k8s.api.core.v1.Container': {
    imagePullPolicy: ['Always', 'Never', 'IfNotPresent'],
    terminationMessagePolicy: ['File', 'FallbackToLogsOnError'],
  },
  'io.k8s.api.core.v1.PodSpec': {
    restartPolicy: ['Always', 'OnFailure', 'Never'],
    dnsPolicy: ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'],
    preemptionPolicy: ['PreemptLowerPriority', 'Never'],
  },
  'io.k8s.api.core.v1.Toleration': {
    operator: ['Exists', 'Equal'],
    effect: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'],
  },
  'io.k8s.api.core.v1.NodeSelectorRequirement': {
    operator: ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'],
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement': {
    operator: ['In', 'NotIn', 'Exists', 'DoesNotExist'],
  },
  'io.k8s.api.core.v1.ContainerPort': { protocol: ['TCP', 'UDP', 'SCTP'] },
  'io.k8s.api.core.v1.ServicePort': { protocol: ['TCP', 'UDP', 'SCTP'] },
  'io.k8s.api.core.v1.ServiceSpec': {
    type: ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'],
    sessionAffinity: ['ClientIP', 'None'],
  },
  'io.k8s.api.batch.v1.JobSpec': { completionMode: ['NonIndexed', 'Indexed'] },
  'io.k8s.api.batch.v1.CronJobSpec': { concurrencyPolicy: ['Allow', 'Forbid', 'Replace'] },
  'io.k8s.api.batch.v1.PodFailurePolicyRule': { action: ['FailJob', 'FailIndex', 'Ignore', 'Count'] },
  'io.k8s.api.apps.v1.DeploymentStrategy': { type: ['Recreate', 'RollingUpdate'] },
  'io.k8s.api.apps.v1.StatefulSetSpec': { podManagementPolicy: ['OrderedReady', 'Parallel'] },
};

export function patchK8sDef(name: string, def: Node): Node {
  const enums = K8S_ENUMS[name];
  if (enums && def.properties) {
    const props = { ...(def.properties as Record<string, Node>) };
    for (const [field, values] of Object.entries(enums))
      if (props[field]) props[field] = { ...props[field], enum: values };
    return { ...def, properties: props };
  }
  if (name === 'io.k8s.apimachinery.pkg.api.resource.Quantity') {
    // oneOf [string, number] in the document; a quantity string or a plain number is accepted.
    return { description: def.description, format: 'quantity' };
  }
  if (name === 'io.k8s.apimachinery.pkg.util.intstr.IntOrString') {
    return { description: def.description, 'x-kubernetes-int-or-string': true };
  }
  return def;
}

/** JSON with object keys sorted at every level. */
export function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  const o = v as Node;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`).join(',')}}`;
}
