// Reading a SchemaNode for the editor features: the properties a mapping may have, the values a scalar may take,
// and a one-line type name. Composition keywords (allOf/anyOf/oneOf) are flattened because a person completing a key
// wants every key any branch allows.
import { KFP_PIPELINE_SPEC, KFP_PLATFORM_SPEC, type SchemaNode, type SchemaStore } from './schema/store';
import type { DocumentType } from './yamlPath';

/** Top-level keys that make a document without apiVersion/kind a compiled KFP pipeline (as the validator reads it). */
const KFP_IR_KEYS = new Set(['pipelineInfo', 'root', 'components', 'deploymentSpec']);

/** The schema of a whole document: its kind's, or the KFP IR / platform spec for pipeline files. */
export function rootSchema(store: SchemaStore, type: DocumentType): SchemaNode | undefined {
  if (type.apiVersion && type.kind) return store.lookup(type.apiVersion, type.kind);
  if (type.apiVersion || type.kind) return undefined;
  if (type.topKeys.some((k) => KFP_IR_KEYS.has(k))) {
    return store.lookup(KFP_PIPELINE_SPEC.apiVersion, KFP_PIPELINE_SPEC.kind);
  }
  if (type.topKeys.length === 1 && type.topKeys[0] === 'platforms') {
    return store.lookup(KFP_PLATFORM_SPEC.apiVersion, KFP_PLATFORM_SPEC.kind);
  }
  return undefined;
}

export interface Shape {
  properties: Map<string, SchemaNode>;
  required: Set<string>;
  enumValues: unknown[];
  types: Set<string>;
  description?: string;
}

export function shapeOf(node: SchemaNode | undefined): Shape {
  const shape: Shape = { properties: new Map(), required: new Set(), enumValues: [], types: new Set() };
  const seen = new Set<SchemaNode>();
  const visit = (n: SchemaNode | undefined, top: boolean): void => {
    if (!n || seen.has(n)) return;
    seen.add(n);
    if (n.description && (top || !shape.description)) shape.description = n.description;
    if (n.type) shape.types.add(n.type);
    if (n['x-kubernetes-int-or-string']) {
      shape.types.add('integer');
      shape.types.add('string');
    }
    for (const [k, v] of Object.entries(n.properties ?? {}))
      if (!shape.properties.has(k)) shape.properties.set(k, v);
    // Only required keys of the node itself and of allOf are required; anyOf/oneOf branches are alternatives.
    if (top) for (const r of n.required ?? []) shape.required.add(r);
    for (const e of n.enum ?? []) if (!shape.enumValues.includes(e)) shape.enumValues.push(e);
    for (const s of n.allOf ?? []) {
      for (const r of s.required ?? []) shape.required.add(r);
      visit(s, false);
    }
    for (const s of [...(n.anyOf ?? []), ...(n.oneOf ?? [])]) visit(s, false);
  };
  visit(node, true);
  return shape;
}

/** `string`, `integer | string`, `array of object`, `map of string`... */
export function typeName(node: SchemaNode | undefined): string {
  if (!node) return 'any';
  const shape = shapeOf(node);
  if (node['x-gantry-any'] || node['x-kubernetes-preserve-unknown-fields']) {
    if (!shape.types.size) return 'any';
  }
  if (shape.types.has('array')) return `array of ${typeName(node.items)}`;
  if (
    shape.types.has('object') &&
    shape.properties.size === 0 &&
    typeof node.additionalProperties === 'object'
  ) {
    return `map of ${typeName(node.additionalProperties)}`;
  }
  return shape.types.size ? [...shape.types].sort().join(' | ') : 'any';
}

/** Scalar values to offer: the enum, else true/false for booleans. */
export function valueChoices(node: SchemaNode | undefined): string[] {
  if (!node) return [];
  const shape = shapeOf(node);
  if (shape.enumValues.length) return shape.enumValues.filter((v) => v !== null).map((v) => String(v));
  if (shape.types.has('boolean')) return ['true', 'false'];
  return [];
}
