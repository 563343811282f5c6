// Generates schemas/ (the bundled schemas the language server loads) from ../shared/crds:
//   - Kubernetes 1.30 OpenAPI v3 documents (core v1, batch/v1, apps/v1),
//   - every served version of every CRD there,
//   - the Kubeflow Pipelines IR (pipeline_spec.proto) and its Kubernetes platform spec
//     (kubernetes_executor_config.proto), converted with the proto3 JSON mapping.
// Output (deterministic: sorted keys, compact JSON):
//   schemas/index.json           { format, kinds: [{ apiVersion, kind, file }] }
//   schemas/kinds/<file>.json    the root schema of one kind; `$ref` names a definition in defs.json
//   schemas/defs.json            shared definitions: Kubernetes types by name, proto messages as
//                                `proto:<full name>`, and subtrees repeated across CRDs (PodSpec...) by hash.
// Usage: npx tsx scripts/schemas/generate.ts [crdsDir] [outDir]
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { K8S_ENUMS, normalizeNode, OBJECT_META, patchK8sDef, stableStringify } from '../../src/server/schema/normalize';
import { parseProto, protoDefName, protoToDefs } from './proto';

type Node = Record<string, unknown>;

export const FORMAT_VERSION = 1;
export const KFP_IR_API_VERSION = 'pipelines.kubeflow.org/ir';
/** Subtrees at least this long (canonical JSON) that occur more than once become shared definitions. */
const SHARE_MIN_CHARS = 400;

const K8S_DOCS: { file: string; group: string; version: string }[] = [
  { file: 'api__v1_openapi.json', group: '', version: 'v1' },
  { file: 'apis__batch__v1_openapi.json', group: 'batch', version: 'v1' },
  { file: 'apis__apps__v1_openapi.json', group: 'apps', version: 'v1' },
];

export interface KindEntry {
  apiVersion: string;
  kind: string;
  root: Node;
}

function loadK8s(crdsDir: string, defs: Record<string, Node>, kinds: KindEntry[]): void {
  for (const d of K8S_DOCS) {
    const doc = JSON.parse(readFileSync(join(crdsDir, 'kubernetes-openapi-v3-1.30', d.file), 'utf8')) as {
      components: { schemas: Record<string, Node> };
    };
    for (const [name, raw] of Object.entries(doc.components.schemas)) {
      const def = patchK8sDef(name, normalizeNode(raw, false));
      defs[name] ??= def;
      const gvks = raw['x-kubernetes-group-version-kind'] as { group: string; version: string; kind: string }[];
      if (gvks?.length === 1 && gvks[0].group === d.group && gvks[0].version === d.version) {
        const apiVersion = d.group ? `${d.group}/${d.version}` : d.version;
        kinds.push({ apiVersion, kind: gvks[0].kind, root: { $ref: name } });
      }
    }
  }
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}

/**
 * CRDs inline Kubernetes types (Container, PodSpec, Toleration...) without the enums the apiserver's Go
 * validation enforces. An inlined object whose field names mostly match a Kubernetes type in K8S_ENUMS
 * gets that type's enums.
 */
function addK8sEnums(root: Node, defs: Record<string, Node>): void {
  const prints = Object.entries(K8S_ENUMS).map(([name, enums]) => ({
    props: new Set(Object.keys((defs[name]?.properties as Node | undefined) ?? {})),
    enums,
  }));
  const walk = (n: Node): void => {
    const props = n.properties as Record<string, Node> | undefined;
    if (props) {
      const keys = Object.keys(props);
      for (const p of prints) {
        if (!Object.keys(p.enums).some((f) => props[f]?.type === 'string' && !props[f].enum)) continue;
        const common = keys.filter((k) => p.props.has(k)).length;
        if (common / new Set([...keys, ...p.props]).size < 0.8) continue;
        for (const [f, values] of Object.entries(p.enums)) {
          if (props[f]?.type === 'string' && !props[f].enum) props[f] = { ...props[f], enum: values };
        }
      }
      Object.values(props).forEach(walk);
    }
    for (const k of ['items', 'additionalProperties'] as const) if (n[k] && typeof n[k] === 'object') walk(n[k] as Node);
  };
  walk(root);
}

function loadCrds(crdsDir: string, kinds: KindEntry[], defs: Record<string, Node>): void {
  for (const file of listFiles(crdsDir)) {
    if (!/\.ya?ml$/.test(file) || relative(crdsDir, file).startsWith('examples')) continue;
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const crd = doc.toJS() as Node | null;
      if (!crd || crd.kind !== 'CustomResourceDefinition') continue;
      const spec = crd.spec as {
        group: string;
        names: { kind: string };
        versions: { name: string; served: boolean; schema?: { openAPIV3Schema?: Node } }[];
      };
      for (const v of spec.versions) {
        if (!v.served || !v.schema?.openAPIV3Schema) continue;
        const root = normalizeNode(v.schema.openAPIV3Schema, true);
        addK8sEnums(root, defs);
        const props = root.properties as Record<string, Node> | undefined;
        // CRD schemas say only `metadata: {type: object}`; the apiserver validates it as ObjectMeta.
        if (props?.metadata && !props.metadata.properties) {
          props.metadata = { $ref: OBJECT_META };
        }
        kinds.push({ apiVersion: `${spec.group}/${v.name}`, kind: spec.names.kind, root });
      }
    }
  }
}

function loadKfp(crdsDir: string, defs: Record<string, Node>, kinds: KindEntry[]): void {
  const dir = join(crdsDir, 'kubeflow-pipelines');
  const files = ['pipeline_spec.proto', 'kubernetes_executor_config.proto'].map((f) =>
    parseProto(readFileSync(join(dir, f), 'utf8')),
  );
  const protoDefs = protoToDefs(files);
  // `deploymentSpec` is a Struct in the proto, but the backend reads it as a PipelineDeploymentConfig.
  const spec = protoDefs[protoDefName('ml_pipelines.PipelineSpec')] as { properties: Record<string, Node> };
  spec.properties.deploymentSpec = {
    $ref: protoDefName('ml_pipelines.PipelineDeploymentConfig'),
    description: spec.properties.deploymentSpec.description,
  };
  Object.assign(defs, protoDefs);
  kinds.push({
    apiVersion: KFP_IR_API_VERSION,
    kind: 'PipelineSpec',
    root: { $ref: protoDefName('ml_pipelines.PipelineSpec') },
  });
  // The optional second document: `platforms: {kubernetes: SinglePlatformSpec}` whose executors follow
  // kfp_kubernetes.KubernetesExecutorConfig.
  const single = protoDefs[protoDefName('ml_pipelines.SinglePlatformSpec')] as {
    properties: Record<string, Node>;
    description?: string;
  };
  const platformSpec = protoDefs[protoDefName('ml_pipelines.PlatformSpec')] as {
    properties: Record<string, Node>;
    description?: string;
  };
  const kubernetes: Node = {
    ...single,
    description: 'Kubernetes platform configuration (kfp_kubernetes.KubernetesExecutorConfig per executor).',
    properties: {
      ...single.properties,
      deploymentSpec: {
        type: 'object',
        description: single.properties.deploymentSpec?.description,
        properties: {
          executors: {
            type: 'object',
            description: 'Executor label -> Kubernetes executor configuration.',
            additionalProperties: { $ref: protoDefName('kfp_kubernetes.KubernetesExecutorConfig') },
          },
        },
      },
    },
  };
  kinds.push({
    apiVersion: KFP_IR_API_VERSION,
    kind: 'PlatformSpec',
    root: {
      ...platformSpec,
      properties: {
        platforms: {
          ...platformSpec.properties.platforms,
          properties: { kubernetes },
        },
      },
    },
  });
}

const CHILD_MAPS = ['properties'] as const;
const CHILD_NODES = ['items', 'additionalProperties'] as const;
const CHILD_LISTS = ['allOf', 'oneOf', 'anyOf'] as const;

/** Rebuilds `n` with `f` applied to every direct child schema node. */
function mapChildren(n: Node, f: (c: Node) => Node): Node {
  const out: Node = { ...n };
  for (const k of CHILD_MAPS) {
    if (n[k]) {
      const m: Node = {};
      for (const [pk, pv] of Object.entries(n[k] as Record<string, Node>)) m[pk] = f(pv);
      out[k] = m;
    }
  }
  for (const k of CHILD_NODES) if (n[k] && typeof n[k] === 'object') out[k] = f(n[k] as Node);
  for (const k of CHILD_LISTS) if (n[k]) out[k] = (n[k] as Node[]).map(f);
  return out;
}

/**
 * Moves subtrees that occur more than once (over all kinds) into shared definitions named by a hash of
 * their content, so e.g. the PodTemplateSpec that every training-operator CRD inlines is stored once.
 */
function dedupe(kinds: KindEntry[], defs: Record<string, Node>): void {
  const counts = new Map<string, number>();
  const hashOf = new WeakMap<Node, { hash: string; size: number }>();
  const visit = (n: Node): { hash: string; size: number } => {
    const known = hashOf.get(n);
    if (known) return known;
    const canon = stableStringify(mapChildren(n, (c) => ({ h: visit(c).hash })));
    let size = canon.length;
    mapChildren(n, (c) => {
      size += hashOf.get(c)!.size;
      return c;
    });
    const r = { hash: createHash('sha256').update(canon).digest('hex').slice(0, 12), size };
    hashOf.set(n, r);
    counts.set(r.hash, (counts.get(r.hash) ?? 0) + 1);
    return r;
  };
  for (const k of kinds) visit(k.root);
  const rewrite = (n: Node, isRoot: boolean): Node => {
    const { hash, size } = hashOf.get(n)!;
    if (!isRoot && !n.$ref && size >= SHARE_MIN_CHARS && (counts.get(hash) ?? 0) > 1) {
      const name = `h:${hash}`;
      if (!defs[name]) defs[name] = rewrite(n, true);
      return { $ref: name };
    }
    return mapChildren(n, (c) => rewrite(c, false));
  };
  for (const k of kinds) k.root = rewrite(k.root, true);
}

/** Drops definitions no kind can reach. */
function prune(kinds: KindEntry[], defs: Record<string, Node>): Record<string, Node> {
  const keep = new Set<string>();
  const walk = (n: Node): void => {
    if (typeof n.$ref === 'string' && !keep.has(n.$ref)) {
      const d = defs[n.$ref];
      if (!d) throw new Error(`unresolved $ref ${n.$ref}`);
      keep.add(n.$ref);
      walk(d);
    }
    mapChildren(n, (c) => {
      walk(c);
      return c;
    });
  };
  for (const k of kinds) walk(k.root);
  const out: Record<string, Node> = {};
  for (const name of [...keep].sort()) out[name] = defs[name];
  return out;
}

export const kindFileName = (apiVersion: string, kind: string): string =>
  `${apiVersion.replace(/[^A-Za-z0-9.-]+/g, '_')}_${kind}.json`;

/** All output files (path relative to the schemas dir -> content). Pure apart from reading `crdsDir`. */
export function generateSchemas(crdsDir: string): Record<string, string> {
  const defs: Record<string, Node> = {};
  const kinds: KindEntry[] = [];
  loadK8s(crdsDir, defs, kinds);
  loadCrds(crdsDir, kinds, defs);
  loadKfp(crdsDir, defs, kinds);
  // Code-unit order, not localeCompare: the output must not depend on the machine's locale.
  const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  kinds.sort((a, b) => cmp(a.apiVersion, b.apiVersion) || cmp(a.kind, b.kind));
  for (let i = 1; i < kinds.length; i++) {
    if (kinds[i].apiVersion === kinds[i - 1].apiVersion && kinds[i].kind === kinds[i - 1].kind)
      throw new Error(`duplicate kind ${kinds[i].apiVersion} ${kinds[i].kind}`);
  }
  dedupe(kinds, defs);
  const used = prune(kinds, defs);
  const files: Record<string, string> = {};
  const index = {
    format: FORMAT_VERSION,
    source: 'generated by scripts/schemas/generate.ts from shared/crds; do not edit',
    kinds: kinds.map((k) => ({ apiVersion: k.apiVersion, kind: k.kind, file: `kinds/${kindFileName(k.apiVersion, k.kind)}` })),
  };
  files['index.json'] = stableStringify(index) + '\n';
  files['defs.json'] = stableStringify(used) + '\n';
  for (const k of kinds) files[`kinds/${kindFileName(k.apiVersion, k.kind)}`] = stableStringify(k.root) + '\n';
  return files;
}

export function writeSchemas(outDir: string, files: Record<string, string>): void {
  rmSync(join(outDir, 'kinds'), { recursive: true, force: true });
  for (const [rel, content] of Object.entries(files)) {
    const p = join(outDir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const crdsDir = resolve(process.argv[2] ?? join(repo, '..', 'shared', 'crds'));
  const outDir = resolve(process.argv[3] ?? join(repo, 'schemas'));
  const files = generateSchemas(crdsDir);
  writeSchemas(outDir, files);
  const total = Object.values(files).reduce((s, c) => s + Buffer.byteLength(c), 0);
  process.stderr.write(
    `${basename(outDir)}/: ${Object.keys(files).length} files, ${(total / 1024).toFixed(0)} KiB ` +
      `(defs.json ${(Buffer.byteLength(files['defs.json']) / 1024).toFixed(0)} KiB)\n`,
  );
}
