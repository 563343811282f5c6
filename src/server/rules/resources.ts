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
  seqItems,
  Severity,
  str,
  type YAMLMap,
} from '../validation/ast';
import { quantityValue } from '../../core/quantity';
import { podRequests } from '../../core/resources';
import {
  allocatableOf,
  isGpuResource,
  selectNodes,
  taintText,
  untoleratedTaint,
} from '../../core/scheduling';
import { sitePlacement, sitePodSpec } from './plain';
import type { PodSite } from './podTemplates';

/** The one GPU rule (core/scheduling), the same the GPUs view and the submit fit check use. */
export { isGpuResource };

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

/**
 * The pod's GPUs with the scheduler's arithmetic (core podRequests over the site's plain values), each placed
 * at the first app container naming the resource (else the largest init container), limit before request.
 */
function gpuAmounts(site: PodSite): [string, Amount][] {
  const out: [string, Amount][] = [];
  for (const [name, value] of Object.entries(podRequests(sitePodSpec(site)))) {
    if (!isGpuResource(name) || !(value > 0)) continue;
    let at: Amount | undefined;
    for (const init of [false, true]) {
      for (const c of site.containers) {
        if (c.init !== init) continue;
        const a = amounts(c.resources, 'limits').get(name) ?? amounts(c.resources, 'requests').get(name);
        if (a && (!at || (init && a.value > at.value))) at = a;
      }
      if (at) break;
    }
    if (at) out.push([name, { ...at, value }]);
  }
  return out;
}

/** GANTRY103, 104 and 110 for one pod against the connected cluster's nodes. */
export function gpuLiveRules(site: PodSite, facts: ClusterFacts, pos: Positions, out: Diagnostic[]): void {
  if (!facts.nodes.some((n) => !n.unschedulable)) return;
  const spec = site.spec;
  const placement = sitePlacement(site);
  const { candidates, narrowed, failure } = selectNodes(facts.nodes, placement);
  // GANTRY104: nodeSelector, then required node affinity.
  if (failure?.by === 'nodeSelector') {
    const ownSelector = get(spec, 'nodeSelector');
    const selector = ownSelector ?? get(site.defaults, 'nodeSelector');
    const selectorPath = ownSelector ? [...site.path, 'nodeSelector'] : ['(workflow)', 'nodeSelector'];
    const { key: k, value, seen } = failure;
    const pair = mapEntries(selector).find(([key]) => key === k);
    const have = seen.length ? `nodes have ${k}=${seen.join(', ')}` : `no node has the label ${k}`;
    out.push(
      diag(
        pos.nodeRange(pair ? (pair[1] ?? (pair[2].key as Node)) : selector),
        Severity.Warning,
        GantryCode.gpuNoMatchingNode,
        `${pathText([...selectorPath, k])}: no node of the cluster matches ${k}=${value} (${have}); the pod would stay Pending`,
      ),
    );
    return;
  }
  if (failure?.by === 'affinity') {
    const termsNode = getPath(get(spec, 'affinity') ? spec : site.defaults, [
      'affinity',
      'nodeAffinity',
      'requiredDuringSchedulingIgnoredDuringExecution',
      'nodeSelectorTerms',
    ]);
    out.push(
      diag(
        pos.nodeRange(termsNode),
        Severity.Warning,
        GantryCode.gpuNoMatchingNode,
        `${pathText([...site.path, 'affinity', 'nodeAffinity', 'requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms'])}: no node of the cluster${failure.afterSelector ? ' matching the nodeSelector' : ''} satisfies any required node affinity term; the pod would stay Pending`,
      ),
    );
    return;
  }
  // GANTRY103: more of a GPU resource per pod than any candidate node has.
  const gpus = gpuAmounts(site);
  for (const [name, a] of gpus) {
    const max = Math.max(0, ...candidates.map((n) => allocatableOf(n, name)));
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
  for (const [name, a] of gpus) {
    const gpuNodes = candidates.filter((n) => allocatableOf(n, name) >= a.value);
    if (!gpuNodes.length) continue;
    const blocked = gpuNodes.map((n) => untoleratedTaint(n, placement.tolerations));
    if (blocked.every((t) => t !== undefined)) {
      const taints = [...new Set(blocked.map((t) => taintText(t!)))];
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
