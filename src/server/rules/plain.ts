// The boundary between the rules' YAML nodes and core/scheduling's plain values: the pod-level fields of a
// pod site as Kubernetes would decode them, so the live rules decide with the same code as the GPUs view and
// the submit fit check.
import { type Placement, placementOf } from '../../core/scheduling';
import { get, isMap, isScalar, isSeq, keyText, type Node, type Pair } from '../validation/ast';
import type { PodSite } from './podTemplates';

/** A node's plain value (maps, lists, scalars); aliases and other odd nodes become undefined. */
export function plainValue(n: unknown): unknown {
  if (isScalar(n)) return n.value;
  if (isSeq(n)) return (n.items as unknown[]).map(plainValue);
  if (isMap(n)) {
    const out: Record<string, unknown> = {};
    for (const p of n.items as Pair<Node, Node | null>[]) {
      const k = keyText(p.key);
      if (k !== undefined) out[k] = plainValue(p.value);
    }
    return out;
  }
  return undefined;
}

/**
 * Where the site's pod may run. An Argo template takes the workflow's nodeSelector and affinity when it sets
 * none, and adds the workflow's tolerations to its own.
 */
export function sitePlacement(site: PodSite): Placement {
  const spec = site.spec;
  const own = placementOf(plainValue(spec));
  const dflt = placementOf(plainValue(site.defaults));
  const out: Placement = {};
  const nodeSelector = get(spec, 'nodeSelector') ? own.nodeSelector : dflt.nodeSelector;
  if (nodeSelector) out.nodeSelector = nodeSelector;
  const requiredTerms = get(spec, 'affinity') ? own.requiredTerms : dflt.requiredTerms;
  if (requiredTerms) out.requiredTerms = requiredTerms;
  out.tolerations = [...(own.tolerations ?? []), ...(dflt.tolerations ?? [])];
  return out;
}

/** The site as a plain pod spec for core/resources podRequests: its containers' resources and the overhead. */
export function sitePodSpec(site: PodSite): Record<string, unknown> {
  const container = (c: PodSite['containers'][number]): Record<string, unknown> => ({
    resources: plainValue(c.resources) ?? {},
    restartPolicy: plainValue(get(c.node, 'restartPolicy')),
  });
  return {
    containers: site.containers.filter((c) => !c.init).map(container),
    initContainers: site.containers.filter((c) => c.init).map(container),
    overhead: plainValue(get(site.spec, 'overhead')),
  };
}
