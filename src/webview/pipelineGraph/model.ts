// What the pipeline graph panel computes from a graph, without an editor: the node under the cursor and the
// phases of a live Argo Workflow's nodes. Pure (no vscode, no DOM); tested in test/unit/pipelineGraphModel.test.ts.
import type { KubeObject } from '../../core/kube';
import type { PipelineGraph, PipelineNode } from '../../shared/protocol';
import type { NodePhase } from './messages';

/** The innermost node whose YAML holds a position. */
export function nodeAt(g: PipelineGraph, line: number, character: number): PipelineNode | undefined {
  const inRange = (n: PipelineNode): boolean => {
    const { start, end } = n.extent;
    const after = line > start.line || (line === start.line && character >= start.character);
    const before = line < end.line || (line === end.line && character <= end.character);
    return after && before;
  };
  const depth = (n: PipelineNode): number => n.id.split('/').length;
  let best: PipelineNode | undefined;
  for (const n of g.nodes) if (inRange(n) && (!best || depth(n) > depth(best))) best = n;
  return best;
}

const RANK: Record<NodePhase, number> = {
  Failed: 6,
  Error: 6,
  Running: 5,
  Pending: 4,
  Succeeded: 3,
  Skipped: 2,
  Omitted: 1,
};

export interface ArgoStatusNode {
  name: string;
  phase?: string;
  type?: string;
}

/** A status node's name without loop expansions and retries: `wf.A(0:x).B(1)` -> `wf.A.B`. */
function plainName(name: string): string {
  return name.replace(/\(\d+(?::[^)]*)?\)/g, '');
}

/** The phase of each graph node from a Workflow's status.nodes (the worst of its expansions and retries). */
export function argoPhases(
  g: PipelineGraph,
  workflow: KubeObject,
): { phases: Record<string, NodePhase>; byNode: Map<string, ArgoStatusNode[]> } {
  const name = workflow.metadata.name;
  const nodes = Object.values(
    ((workflow as { status?: { nodes?: Record<string, ArgoStatusNode> } }).status?.nodes ?? {}) as Record<
      string,
      ArgoStatusNode
    >,
  );
  const byPlain = new Map<string, ArgoStatusNode[]>();
  for (const s of nodes) {
    if (typeof s?.name !== 'string') continue;
    const k = plainName(s.name);
    const list = byPlain.get(k);
    if (list) list.push(s);
    else byPlain.set(k, [s]);
  }
  const phases: Record<string, NodePhase> = {};
  const byNode = new Map<string, ArgoStatusNode[]>();
  for (const n of g.nodes) {
    if (n.statusName === undefined) continue;
    const list = byPlain.get(name + n.statusName) ?? [];
    byNode.set(n.id, list);
    let best: NodePhase | undefined;
    for (const s of list) {
      const p = s.phase as NodePhase | undefined;
      if (p && p in RANK && (!best || RANK[p] > RANK[best])) best = p;
    }
    if (best) phases[n.id] = best;
  }
  return { phases, byNode };
}
