// Bundled and live schemas for Kubernetes kinds, the KFP IR and the KFP platform spec.
// Pure: no vscode, no stdout. Bundled kinds load lazily; `$ref`s are resolved once per kind and cached.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeNode, patchK8sDef } from './normalize';

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
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  nullable?: boolean;
  default?: unknown;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  allOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  /** Gantry: a value of any JSON type (protobuf Value). */
  'x-gantry-any'?: boolean;
  /** Gantry: proto3 fields also accepted under their original snake_case name (original -> JSON name). */
  'x-gantry-aliases'?: Record<string, string>;
  /** Gantry: proto `oneof` groups (JSON names); at most one field of a group may be set. */
  'x-gantry-oneof'?: string[][];
}

export interface KindKey {
  apiVersion: string;
  kind: string;
}

/** Pseudo kinds for the Kubeflow Pipelines IR documents (they have no apiVersion/kind). */
export const KFP_PIPELINE_SPEC: KindKey = { apiVersion: 'pipelines.kubeflow.org/ir', kind: 'PipelineSpec' };
export const KFP_PLATFORM_SPEC: KindKey = { apiVersion: 'pipelines.kubeflow.org/ir', kind: 'PlatformSpec' };

type RawNode = Record<string, unknown>;
const key = (apiVersion: string, kind: string): string => `${apiVersion}\u0000${kind}`;

/** Resolves `$ref`s (names in `defs`) in place, once per definition; sharing keeps memory flat. */
class Resolver {
  private readonly done = new WeakSet<object>();
  private readonly byName = new Map<string, SchemaNode>();
  constructor(private readonly defs: () => Record<string, RawNode>) {}

  node(n: RawNode): SchemaNode {
    const ref = n.$ref;
    if (typeof ref === 'string') {
      const target = this.def(ref);
      const keys = Object.keys(n);
      if (keys.length === 1) return target;
      // A reference with its own description/default: a shallow copy that shares the children.
      const merged: RawNode = { ...(target as RawNode) };
      for (const k of keys) if (k !== '$ref') merged[k] = n[k];
      delete merged.$ref;
      this.children(merged);
      return merged as SchemaNode;
    }
    this.children(n);
    return n as SchemaNode;
  }

  private def(name: string): SchemaNode {
    const known = this.byName.get(name);
    if (known) return known;
    const raw = this.defs()[name];
    if (!raw) return {}; // unknown reference: accept anything rather than fail the whole kind
    this.byName.set(name, raw as SchemaNode);
    this.children(raw);
    return raw as SchemaNode;
  }

  private children(n: RawNode): void {
    if (this.done.has(n)) return;
    this.done.add(n);
    const props = n.properties as Record<string, RawNode> | undefined;
    if (props) for (const k of Object.keys(props)) props[k] = this.node(props[k]) as RawNode;
    if (n.items && typeof n.items === 'object') n.items = this.node(n.items as RawNode);
    if (n.additionalProperties && typeof n.additionalProperties === 'object')
      n.additionalProperties = this.node(n.additionalProperties as RawNode);
    for (const k of ['allOf', 'oneOf', 'anyOf']) {
      const arr = n[k] as RawNode[] | undefined;
      if (arr) n[k] = arr.map((x) => this.node(x));
    }
  }
}

interface Source {
  has(k: string): boolean;
  get(k: string): SchemaNode | undefined;
  keys(): KindKey[];
}

export class SchemaStore {
  private constructor(private readonly sources: Source[]) {}

  /** Loads `schemas/` as written by `npm run schemas`. Kinds are read lazily on first lookup. */
  static fromBundled(dir: string): SchemaStore {
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
      format: number;
      kinds: { apiVersion: string; kind: string; file: string }[];
    };
    if (index.format !== 1) throw new Error(`unsupported schema bundle format ${index.format} in ${dir}`);
    let defs: Record<string, RawNode> | undefined;
    const resolver = new Resolver(
      () => (defs ??= JSON.parse(readFileSync(join(dir, 'defs.json'), 'utf8')) as Record<string, RawNode>),
    );
    const files = new Map(index.kinds.map((k) => [key(k.apiVersion, k.kind), k.file]));
    const cache = new Map<string, SchemaNode>();
    const kinds = index.kinds.map(({ apiVersion, kind }) => ({ apiVersion, kind }));
    return new SchemaStore([
      {
        has: (k) => files.has(k),
        get: (k) => {
          let s = cache.get(k);
          if (!s) {
            const file = files.get(k);
            if (!file) return undefined;
            s = resolver.node(JSON.parse(readFileSync(join(dir, file), 'utf8')) as RawNode);
            cache.set(k, s);
          }
          return s;
        },
        keys: () => kinds,
      },
    ]);
  }

  /**
   * `docs`: key = OpenAPI v3 path such as 'apis/kubeflow.org/v1' -> the document as the apiserver serves
   * it (`/openapi/v3/<path>`). Kinds are the schemas with one `x-kubernetes-group-version-kind`.
   */
  static fromOpenApiV3(docs: Record<string, unknown>): SchemaStore {
    const defs: Record<string, RawNode> = {};
    const roots = new Map<string, { k: KindKey; name: string }>();
    for (const path of Object.keys(docs).sort()) {
      const doc = docs[path] as { components?: { schemas?: Record<string, RawNode> } } | undefined;
      for (const [name, raw] of Object.entries(doc?.components?.schemas ?? {})) {
        defs[name] ??= patchK8sDef(name, normalizeNode(raw, false));
        const gvks = raw['x-kubernetes-group-version-kind'] as
          { group: string; version: string; kind: string }[] | undefined;
        if (gvks?.length !== 1) continue;
        const { group, version, kind } = gvks[0];
        const apiVersion = group ? `${group}/${version}` : version;
        // Only the document of the kind's own group/version declares it (others may re-list meta types).
        const own = group ? path === `apis/${group}/${version}` : path === `api/${version}`;
        if (own || !roots.has(key(apiVersion, kind)))
          roots.set(key(apiVersion, kind), { k: { apiVersion, kind }, name });
      }
    }
    const resolver = new Resolver(() => defs);
    const cache = new Map<string, SchemaNode>();
    const kinds = [...roots.values()].map((r) => r.k);
    return new SchemaStore([
      {
        has: (k) => roots.has(k),
        get: (k) => {
          let s = cache.get(k);
          const r = roots.get(k);
          if (!s && r) {
            s = resolver.node({ $ref: r.name });
            cache.set(k, s);
          }
          return s;
        },
        keys: () => kinds,
      },
    ]);
  }

  /** A store that answers from `live` for the kinds it has, else from this one. */
  overlay(live: SchemaStore): SchemaStore {
    return new SchemaStore([...live.sources, ...this.sources]);
  }

  lookup(apiVersion: string, kind: string): SchemaNode | undefined {
    const k = key(apiVersion, kind);
    for (const s of this.sources) if (s.has(k)) return s.get(k);
    return undefined;
  }

  kinds(): KindKey[] {
    const seen = new Set<string>();
    const out: KindKey[] = [];
    for (const s of this.sources) {
      for (const k of s.keys()) {
        const id = key(k.apiVersion, k.kind);
        if (!seen.has(id)) {
          seen.add(id);
          out.push(k);
        }
      }
    }
    return out;
  }
}

/** The schema of the field `name` of an object schema (own properties, proto aliases, allOf), if declared. */
export function propertySchema(s: SchemaNode, name: string): SchemaNode | undefined {
  const p = s.properties?.[name];
  if (p) return p;
  const alias = s['x-gantry-aliases']?.[name];
  if (alias && s.properties?.[alias]) return s.properties[alias];
  for (const sub of s.allOf ?? []) {
    const q = propertySchema(sub, name);
    if (q) return q;
  }
  return undefined;
}

/** The schema at a path of keys / array indexes below `root` (for hover and completion). */
export function schemaAtPath(root: SchemaNode, path: (string | number)[]): SchemaNode | undefined {
  let s: SchemaNode | undefined = root;
  for (const seg of path) {
    if (!s) return undefined;
    if (typeof seg === 'number') {
      s = s.items;
      continue;
    }
    const p = propertySchema(s, seg);
    if (p) s = p;
    else if (s.additionalProperties && typeof s.additionalProperties === 'object') s = s.additionalProperties;
    else return undefined;
  }
  return s;
}
