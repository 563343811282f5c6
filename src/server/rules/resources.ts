// GPU and extended-resource rules: GANTRY101/102 (offline), GANTRY103/104/110 (live), GANTRY112.
import type { Diagnostic } from 'vscode-languageserver-types';
import type { ClusterFacts, QuickFix } from '../validation/types';
import { GantryCode } from '../validation/codes';
import {
  diag,
  get,
  getPath,
  isMap,
  isSeq,
  mapEntries,
  type Node,
  pathText,
  type Positions,
  scalarString,
  seqItems,
  Severity,
  str,
  type YAMLMap,
} from '../validation/ast';
import { quantityValue } from '../../core/quantity';
import type { ContainerSite, PodSite } from './podTemplates';

export function isGpuResource(name: string): boolean {
  return (
    name === 'nvidia.com/gpu' ||
    name.startsWith('nvidia.com/mig-') ||
    name === 'amd.com/gpu' ||
    name.toLowerCase().endsWith('gpu')
  );
}

/** Kubernetes' IsExtendedResourceName: a prefixed name outside kubernetes.io, not a quota `requests.` name. */
export function isExtendedResource(name: string): boolean {
  const slash = name.indexOf('/');
  if (slash < 0 || name.startsWith('requests.')) return false;
  const domain = name.slice(0, slash);
  return domain !== 'kubernetes.io' && !domain.endsWith('.kubernetes.io');
}

interface Amount {
  value: number;
  node: Node;
  keyNode: Node;
}

function amounts(resources: Node | undefined, which: 'requests' | 'limits'): Map<string, Amount> {
  const out = new Map<string, Amount>();
  for (const [k, v, p] of mapEntries(get(resources, which))) {
    const q = v && isMap(v) ? undefined : quantityValue((v as { value?: unknown } | null)?.value);
    if (q !== undefined && v) out.set(k, { value: q, node: v, keyNode: p.key as Node });
  }
  return out;
}

/** Per container, the amount of each resource it gets (limit, else request). */
function containerUse(c: ContainerSite): Map<string, Amount> {
  const use = amounts(c.resources, 'requests');
  for (const [k, a] of amounts(c.resources, 'limits')) use.set(k, a);
  return use;
}

/** Effective pod amount per resource: max(sum of containers, largest init container). */
export function podUse(site: PodSite): Map<string, Amount> {
  const sum = new Map<string, Amount>();
  const init = new Map<string, Amount>();
  for (const c of site.containers) {
    for (const [k, a] of containerUse(c)) {
      if (c.init) {
        if (!init.has(k) || init.get(k)!.value < a.value) init.set(k, a);
      } else {
        const prev = sum.get(k);
        sum.set(k, prev ? { ...prev, value: prev.value + a.value } : { ...a });
      }
    }
  }
  for (const [k, a] of init) if (!sum.has(k) || sum.get(k)!.value < a.value) sum.set(k, a);
  return sum;
}

export function gpuOfflineRules(site: PodSite, pos: Positions, out: Diagnostic[]): void {
  for (const c of site.containers) {
    if (!c.resources) continue;
    const req = amounts(c.resources, 'requests');
    const lim = amounts(c.resources, 'limits');
    for (const [which, m] of [
      ['requests', req],
      ['limits', lim],
    ] as const) {
      for (const [name, a] of m) {
        if (isGpuResource(name) && !Number.isInteger(a.value)) {
          out.push(
            diag(
              pos.nodeRange(a.node),
              Severity.Error,
              GantryCode.fractionalGpu,
              `${pathText([...c.path, 'resources', which, name])}: GPUs are whole devices; ${pos.source(a.node)} is not a whole number (use MIG profiles or time-slicing to share a GPU)`,
            ),
          );
        }
      }
    }
    for (const [name, r] of req) {
      if (!isExtendedResource(name)) continue;
      const l = lim.get(name);
      if (l && l.value === r.value) continue;
      const fix = setLimitFix(c.resources, name, r, l, pos);
      const at = l ? l.node : r.keyNode;
      const msg = l
        ? `${pathText([...c.path, 'resources', 'limits', name])}: limit ${pos.source(l.node)} differs from request ${pos.source(r.node)}; extended resources cannot be overcommitted, so requests must equal limits`
        : `${pathText([...c.path, 'resources', 'requests', name])}: ${name} is requested without a limit; extended resources cannot be overcommitted, set limits.${name}: ${pos.source(r.node)}`;
      out.push(
        diag(pos.nodeRange(at), Severity.Error, GantryCode.gpuLimitMismatch, msg, fix ? [fix] : undefined),
      );
    }
  }
}

/** The GANTRY102 quick fix: set limits.<name> to the request (insert the key, or `limits:` itself). */
function setLimitFix(
  resources: Node | undefined,
  name: string,
  r: Amount,
  l: Amount | undefined,
  pos: Positions,
): QuickFix | undefined {
  const value = pos.source(r.node);
  const title = `Set limits.${name} to ${value}`;
  if (l) return { title, edits: [{ range: pos.nodeRange(l.node), newText: value }], isPreferred: true };
  if (!isMap(resources) || (resources as YAMLMap).flow) return undefined;
  const keySrc = pos.source(r.keyNode);
  const limits = get(resources, 'limits');
  const lineStart = (offset: number): number => pos.text.lastIndexOf('\n', offset - 1) + 1;
  if (isMap(limits) && !(limits as YAMLMap).flow && limits.items.length) {
    const first = limits.items[0].key as Node;
    const end = contentEnd(limits);
    const indent = ' '.repeat(first.range![0] - lineStart(first.range![0]));
    const at = pos.range(end, end).start;
    return {
      title,
      edits: [{ range: { start: at, end: at }, newText: `\n${indent}${keySrc}: ${value}` }],
      isPreferred: true,
    };
  }
  if (limits) return undefined; // `limits: {}` or an odd shape: leave it to the user
  const requestsPair = mapEntries(resources).find(([k]) => k === 'requests')![2];
  const reqKey = requestsPair.key as Node;
  const reqMap = requestsPair.value as Node;
  if (!isMap(reqMap) || (reqMap as YAMLMap).flow || !reqMap.items.length) return undefined;
  const indent = ' '.repeat(reqKey.range![0] - lineStart(reqKey.range![0]));
  const firstReq = reqMap.items[0].key as Node;
  const inner = ' '.repeat(firstReq.range![0] - lineStart(firstReq.range![0]));
  const end = contentEnd(reqMap);
  const at = pos.range(end, end).start;
  return {
    title,
    edits: [{ range: { start: at, end: at }, newText: `\n${indent}limits:\n${inner}${keySrc}: ${value}` }],
    isPreferred: true,
  };
}

/** Offset just after the last character of a node's content (block collections end after a newline). */
function contentEnd(n: Node): number {
  if (isMap(n) || isSeq(n)) {
    const items = n.items as unknown[];
    const last = items[items.length - 1] as { key?: Node; value?: Node | null } | Node | undefined;
    if (!last) return n.range![1];
    if (isMap(n)) {
      const p = last as { key?: Node; value?: Node | null };
      return contentEnd((p.value ?? p.key) as Node);
    }
    return contentEnd(last as Node);
  }
  return n.range![1];
}

type NodeFact = ClusterFacts['nodes'][number];

function exprMatches(node: NodeFact, e: Node): boolean {
  const key = str(get(e, 'key')) ?? '';
  const op = str(get(e, 'operator')) ?? '';
  const values = seqItems(get(e, 'values')).map((v) => scalarString(v) ?? '');
  const has = Object.prototype.hasOwnProperty.call(node.labels, key);
  const val = node.labels[key];
  switch (op) {
    case 'In':
      return has && values.includes(val);
    case 'NotIn':
      return !has || !values.includes(val);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
      return has && Number(val) > Number(values[0]);
    case 'Lt':
      return has && Number(val) < Number(values[0]);
    default:
      return false;
  }
}

function fieldMatches(node: NodeFact, e: Node): boolean {
  const key = str(get(e, 'key'));
  const op = str(get(e, 'operator'));
  const values = seqItems(get(e, 'values')).map((v) => scalarString(v) ?? '');
  if (key !== 'metadata.name') return false;
  return op === 'In' ? values.includes(node.name) : op === 'NotIn' ? !values.includes(node.name) : false;
}

function termMatches(node: NodeFact, term: Node): boolean {
  const exprs = seqItems(get(term, 'matchExpressions'));
  const fields = seqItems(get(term, 'matchFields'));
  if (!exprs.length && !fields.length) return false; // an empty term matches no objects
  return exprs.every((e) => exprMatches(node, e)) && fields.every((f) => fieldMatches(node, f));
}

function tolerates(tolerations: Node[], taint: NodeFact['taints'][number]): boolean {
  return tolerations.some((t) => {
    const key = str(get(t, 'key')) ?? '';
    const op = str(get(t, 'operator')) ?? 'Equal';
    const effect = str(get(t, 'effect')) ?? '';
    if (effect && effect !== taint.effect) return false;
    if (op === 'Exists') return key === '' || key === taint.key;
    return key === taint.key && (scalarString(get(t, 'value')) ?? '') === (taint.value ?? '');
  });
}

function gpuAmounts(site: PodSite): [string, Amount][] {
  return [...podUse(site)].filter(([k, a]) => isGpuResource(k) && a.value > 0);
}

/** GANTRY103, 104 and 110 for one pod against the connected cluster's nodes. */
export function gpuLiveRules(site: PodSite, facts: ClusterFacts, pos: Positions, out: Diagnostic[]): void {
  const nodes = facts.nodes.filter((n) => !n.unschedulable);
  if (!nodes.length) return;
  const spec = site.spec;
  let candidates = nodes;
  let narrowed = false;
  // GANTRY104: nodeSelector, then required node affinity.
  const ownSelector = get(spec, 'nodeSelector');
  const selector = ownSelector ?? get(site.defaults, 'nodeSelector');
  const selectorPath = ownSelector ? [...site.path, 'nodeSelector'] : ['(workflow)', 'nodeSelector'];
  const sel = mapEntries(selector);
  if (sel.length) {
    const matching = nodes.filter((n) => sel.every(([k, v]) => n.labels[k] === scalarString(v)));
    if (!matching.length) {
      const culprit = sel.find(([k, v]) => !nodes.some((n) => n.labels[k] === scalarString(v))) ?? sel[0];
      const [k, v, p] = culprit;
      const seen = [...new Set(nodes.map((n) => n.labels[k]).filter((x) => x !== undefined))].sort();
      const have = seen.length ? `nodes have ${k}=${seen.join(', ')}` : `no node has the label ${k}`;
      out.push(
        diag(
          pos.nodeRange(v ?? (p.key as Node)),
          Severity.Warning,
          GantryCode.gpuNoMatchingNode,
          `${pathText([...selectorPath, k])}: no node of the cluster matches ${k}=${scalarString(v) ?? ''} (${have}); the pod would stay Pending`,
        ),
      );
      return;
    }
    candidates = matching;
    narrowed = true;
  }
  const termsNode = getPath(get(spec, 'affinity') ? spec : site.defaults, [
    'affinity',
    'nodeAffinity',
    'requiredDuringSchedulingIgnoredDuringExecution',
    'nodeSelectorTerms',
  ]);
  const terms = seqItems(termsNode);
  if (terms.length) {
    const matching = candidates.filter((n) => terms.some((t) => termMatches(n, t)));
    if (!matching.length) {
      out.push(
        diag(
          pos.nodeRange(termsNode),
          Severity.Warning,
          GantryCode.gpuNoMatchingNode,
          `${pathText([...site.path, 'affinity', 'nodeAffinity', 'requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms'])}: no node of the cluster${narrowed ? ' matching the nodeSelector' : ''} satisfies any required node affinity term; the pod would stay Pending`,
        ),
      );
      return;
    }
    candidates = matching;
    narrowed = true;
  }
  // GANTRY103: more of a GPU resource per pod than any candidate node has.
  const gpus = gpuAmounts(site);
  for (const [name, a] of gpus) {
    const max = Math.max(0, ...candidates.map((n) => quantityValue(n.allocatable[name]) ?? 0));
    if (a.value > max) {
      const where = narrowed ? 'nodes matching its node selection' : 'nodes of the cluster';
      const most =
        max > 0 ? `the most any of the ${where} has is ${max}` : `none of the ${where} has ${name}`;
      out.push(
        diag(
          pos.nodeRange(a.node),
          Severity.Warning,
          GantryCode.gpuExceedsNode,
          `${pathText(site.path)}: the pod needs ${a.value} ${name} but ${most}; it can never be scheduled`,
        ),
      );
    }
  }
  // GANTRY110: every node with the GPU is tainted with something the pod does not tolerate. Sites without
  // their own pod spec (TrainJob: tolerations come from the training runtime) are not judged.
  if (!spec) return;
  const tolerations = [...seqItems(get(spec, 'tolerations')), ...seqItems(get(site.defaults, 'tolerations'))];
  for (const [name, a] of gpus) {
    const gpuNodes = candidates.filter((n) => (quantityValue(n.allocatable[name]) ?? 0) >= a.value);
    if (!gpuNodes.length) continue;
    const blocked = gpuNodes.map((n) =>
      n.taints.find((t) => t.effect !== 'PreferNoSchedule' && !tolerates(tolerations, t)),
    );
    if (blocked.every((t) => t !== undefined)) {
      const taints = [
        ...new Set(blocked.map((t) => `${t!.key}${t!.value ? `=${t!.value}` : ''}:${t!.effect}`)),
      ];
      out.push(
        diag(
          pos.nodeRange(a.keyNode),
          Severity.Warning,
          GantryCode.gpuTaintNotTolerated,
          `${pathText(site.path)}: every node with ${name} is tainted (${taints.join(', ')}) and the pod has no matching toleration; add tolerations, e.g. {key: ${blocked[0]!.key}, operator: Exists, effect: ${blocked[0]!.effect}}`,
        ),
      );
    }
  }
}

/** GANTRY112: torchrun processes per node differ from the GPUs each node (pod) gets. */
export function nprocRule(
  root: Node,
  kind: string,
  sites: PodSite[],
  pos: Positions,
  out: Diagnostic[],
): void {
  let nprocNode: Node | undefined;
  let pods: PodSite[] = [];
  if (kind === 'PyTorchJob') {
    nprocNode =
      getPath(root, ['spec', 'nprocPerNode']) ?? getPath(root, ['spec', 'elasticPolicy', 'nProcPerNode']);
    pods = sites.filter((s) => s.role === 'Worker' || s.role === 'Master');
  } else if (kind === 'TrainJob') {
    nprocNode = getPath(root, ['spec', 'trainer', 'numProcPerNode']);
    pods = sites;
  }
  if (!nprocNode) return;
  const raw = (nprocNode as { value?: unknown }).value;
  const n =
    typeof raw === 'number' ? raw : typeof raw === 'string' && /^[0-9]+$/.test(raw) ? Number(raw) : undefined;
  if (n === undefined) return; // auto / gpu / cpu let torchrun decide
  for (const p of pods) {
    const gpus = gpuAmounts(p);
    if (gpus.length !== 1) continue;
    const [name, a] = gpus[0];
    if (a.value !== n) {
      out.push(
        diag(
          pos.nodeRange(nprocNode),
          Severity.Warning,
          GantryCode.nprocMismatch,
          `${n} processes per node but ${pathText(p.path)} gets ${a.value} ${name}: ${n > a.value ? 'several processes would share a GPU (NCCL fails with duplicate GPUs)' : 'some GPUs would sit idle'}; set it to ${a.value} or "auto"`,
        ),
      );
      return;
    }
  }
}

/**
 * GANTRY113: a pod with several GPUs and no memory-backed /dev/shm. Container runtimes give /dev/shm
 * 64 MiB; NCCL's shared-memory transport and PyTorch DataLoader workers need far more.
 */
export function shmRule(site: PodSite, pos: Positions, out: Diagnostic[]): void {
  if (!site.spec || site.shape === 'trainer' || site.shape === 'kfp-executor') return;
  const gpus = gpuAmounts(site).filter(([, a]) => a.value >= 2);
  if (!gpus.length) return;
  const mounted = site.containers.some((c) =>
    seqItems(get(c.node, 'volumeMounts')).some(
      (m) => str(get(m, 'mountPath'))?.replace(/\/+$/, '') === '/dev/shm',
    ),
  );
  if (mounted) return;
  const [name, a] = gpus[0];
  out.push(
    diag(
      pos.nodeRange(a.keyNode),
      Severity.Information,
      GantryCode.noSharedMemory,
      `${pathText(site.path)}: ${a.value} ${name} in one pod but no /dev/shm volume; the runtime default is 64 MiB, too small for NCCL and DataLoader workers ("Bus error", NCCL shm errors). Mount an emptyDir with medium: Memory at /dev/shm`,
    ),
  );
}
