// Plain Kubernetes objects as the API returns them (JSON), shared by k8s/, core/ and views/.
// core/ reads these; it never calls the API.

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  status?: any;
}

/** A kind the cluster serves, as discovery reports it. `plural` is the REST resource name. */
export interface KindRef {
  group: string; // '' for core
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

export function kindKey(k: Pick<KindRef, 'group' | 'kind'>): string {
  return k.group ? `${k.kind}.${k.group}` : k.kind;
}

export function objectKey(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
}

export const POD_KIND: KindRef = { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true };
export const NODE_KIND: KindRef = {
  group: '',
  version: 'v1',
  kind: 'Node',
  plural: 'nodes',
  namespaced: false,
};
