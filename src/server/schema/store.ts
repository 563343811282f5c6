// Bundled and live schemas for Kubernetes kinds, KFP IR and the KFP platform spec.
// Pure: no vscode, no stdout. Implementation follows in later commits; the signatures are stable.

/** An OpenAPI v3 structural schema node. `$ref`s are resolved when a kind is first looked up. */
export interface SchemaNode {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  required?: string[];
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  nullable?: boolean;
  default?: unknown;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  allOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  /** Gantry extension: a free-form value of any JSON type (protobuf Struct/Value, proto oneof holders). */
  'x-gantry-any'?: boolean;
  /** Gantry extension: proto3 field accepted under its original snake_case name too. */
  'x-gantry-aliases'?: Record<string, string>;
}

export interface KindKey {
  apiVersion: string;
  kind: string;
}

/** Pseudo kinds for the Kubeflow Pipelines IR documents (they have no apiVersion/kind). */
export const KFP_PIPELINE_SPEC: KindKey = { apiVersion: 'pipelines.kubeflow.org/ir', kind: 'PipelineSpec' };
export const KFP_PLATFORM_SPEC: KindKey = { apiVersion: 'pipelines.kubeflow.org/ir', kind: 'PlatformSpec' };

export class SchemaStore {
  /** Loads `schemas/` as written by `npm run schemas`. Kinds are read lazily on first lookup. */
  static fromBundled(_dir: string): SchemaStore {
    throw new Error('not implemented yet');
  }
  /** `docs`: key = OpenAPI v3 path such as 'apis/kubeflow.org/v1' -> the document as the apiserver serves it. */
  static fromOpenApiV3(_docs: Record<string, unknown>): SchemaStore {
    throw new Error('not implemented yet');
  }
  /** A store that answers from `live` for the kinds it has, else from this one. */
  overlay(_live: SchemaStore): SchemaStore {
    throw new Error('not implemented yet');
  }
  lookup(_apiVersion: string, _kind: string): SchemaNode | undefined {
    throw new Error('not implemented yet');
  }
  kinds(): KindKey[] {
    throw new Error('not implemented yet');
  }
}

/** The schema at a path of keys / array indexes below `root` (for hover and completion). */
export function schemaAtPath(_root: SchemaNode, _path: (string | number)[]): SchemaNode | undefined {
  throw new Error('not implemented yet');
}
