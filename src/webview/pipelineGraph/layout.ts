// Layout of a pipeline graph with dagre, level by level: an expanded DAG is laid out first and becomes one big
// node of its parent's layout (dagre's compound mode cannot route edges to a cluster, and the edges of a KFP or
// Argo graph always join siblings). Exit handlers without edges sit apart, in a column right of the graph.
// Pure: runs in the webview and in the benchmark (bench/pipelineLayout.mjs).
import * as dagre from '@dagrejs/dagre';
import type { PipelineEdge, PipelineNode } from '../../shared/protocol';

export const NODE_W = 220;
export const NODE_H = 58;
/** Space inside an expanded group: padding around its graph and the header with its name. */
export const GROUP_PAD = 16;
export const GROUP_HEADER = 28;
const EXIT_GAP = 60;
/**
 * Above this many nodes in one level, the ranks are given to dagre (each node one below its lowest producer) and
 * its optimal-order heuristic is skipped: network simplex recurses once per node (a stack overflow near 3,000
 * tasks) and costs seconds at 300 (bench/pipeline); dagre's own longest-path ranker sinks every leaf task to
 * the last rank, so their edges cross the whole graph.
 */
export const BIG_LEVEL = 100;

/** Rank of each node: 0 for sources, else one more than its highest-ranked producer (Kahn's order, no recursion). */
function ranksFromSources(ids: readonly string[], edges: readonly PipelineEdge[]): Map<string, number> {
  const rank = new Map(ids.map((id) => [id, 0]));
  const indegree = new Map(ids.map((id) => [id, 0]));
  const out = new Map<string, string[]>();
  for (const e of edges) {
    if (!rank.has(e.from) || !rank.has(e.to)) continue;
    indegree.set(e.to, indegree.get(e.to)! + 1);
    const list = out.get(e.from);
    if (list) list.push(e.to);
    else out.set(e.from, [e.to]);
  }
  const queue = ids.filter((id) => indegree.get(id) === 0);
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i]!;
    for (const w of out.get(v) ?? []) {
      rank.set(w, Math.max(rank.get(w)!, rank.get(v)! + 1));
      const d = indegree.get(w)! - 1;
      indegree.set(w, d);
      if (d === 0) queue.push(w);
    }
  }
  return rank;
}

export interface Box {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
  /** An expanded group (drawn as a frame around its children). */
  expanded: boolean;
}

export interface Point {
  x: number;
  y: number;
}

export interface LaidEdge extends PipelineEdge {
  points: Point[];
}

export interface Layout {
  boxes: Map<string, Box>;
  edges: LaidEdge[];
  width: number;
  height: number;
}

type LayoutNode = Pick<PipelineNode, 'id' | 'parent' | 'kind'>;

interface Level {
  width: number;
  height: number;
  /** Positions relative to the level's top-left corner. */
  boxes: Box[];
  edges: LaidEdge[];
}

export function layoutGraph(
  nodes: readonly LayoutNode[],
  edges: readonly PipelineEdge[],
  collapsed: ReadonlySet<string> = new Set(),
): Layout {
  const children = new Map<string | undefined, LayoutNode[]>();
  for (const n of nodes) {
    const list = children.get(n.parent);
    if (list) list.push(n);
    else children.set(n.parent, [n]);
  }
  const edgesOf = new Map<string | undefined, PipelineEdge[]>();
  const parentOf = new Map(nodes.map((n) => [n.id, n.parent]));
  for (const e of edges) {
    const p = parentOf.get(e.from);
    if (p !== parentOf.get(e.to) || !parentOf.has(e.from) || !parentOf.has(e.to)) continue;
    const list = edgesOf.get(p);
    if (list) list.push(e);
    else edgesOf.set(p, [e]);
  }

  const levels = new Map<string | undefined, Level>();
  const layoutLevel = (parent: string | undefined): Level => {
    const kids = children.get(parent) ?? [];
    const own = edgesOf.get(parent) ?? [];
    const linked = new Set(own.flatMap((e) => [e.from, e.to]));
    const size = (n: LayoutNode): { width: number; height: number; expanded: boolean } => {
      if (children.has(n.id) && !collapsed.has(n.id)) {
        const inner = layoutLevel(n.id);
        return {
          width: Math.max(NODE_W, inner.width + 2 * GROUP_PAD),
          height: inner.height + GROUP_PAD + GROUP_HEADER,
          expanded: true,
        };
      }
      return { width: NODE_W, height: NODE_H, expanded: false };
    };
    // Exit handlers with no edges at the top go apart; everything else is laid out by dagre.
    const apart = kids.filter((n) => parent === undefined && n.kind === 'exitHandler' && !linked.has(n.id));
    const main = kids.filter((n) => !apart.includes(n));
    const g = new dagre.graphlib.Graph({ multigraph: false });
    const big = main.length > BIG_LEVEL;
    g.setGraph({
      rankdir: 'TB',
      nodesep: 28,
      ranksep: 44,
      marginx: 0,
      marginy: 0,
      ranker: big ? 'none' : 'network-simplex',
    });
    g.setDefaultEdgeLabel(() => ({}));
    const sizes = new Map<string, { width: number; height: number; expanded: boolean }>();
    // The server leaves out the edges that close cycles, so Kahn's order reaches every node.
    const ranks = big
      ? ranksFromSources(
          main.map((n) => n.id),
          own,
        )
      : undefined;
    for (const n of main) {
      const s = size(n);
      sizes.set(n.id, s);
      // dagre doubles every edge's minimum length (room for edge labels), so given ranks go in steps of two.
      g.setNode(n.id, {
        width: s.width,
        height: s.height,
        ...(ranks ? { rank: 2 * ranks.get(n.id)! } : {}),
      });
    }
    for (const e of own) g.setEdge(e.from, e.to);
    const boxes: Box[] = [];
    const laid: LaidEdge[] = [];
    let width = 0;
    let height = 0;
    if (main.length) {
      dagre.layout(g, big ? { disableOptimalOrderHeuristic: true } : undefined);
      for (const n of main) {
        const p = g.node(n.id);
        const s = sizes.get(n.id)!;
        boxes.push({
          id: n.id,
          x: p.x - s.width / 2,
          y: p.y - s.height / 2,
          width: s.width,
          height: s.height,
          expanded: s.expanded,
        });
      }
      for (const e of own) {
        const pts = (g.edge(e.from, e.to) as { points?: Point[] } | undefined)?.points ?? [];
        laid.push({ ...e, points: pts.map((p) => ({ x: p.x, y: p.y })) });
      }
      const gl = g.graph();
      width = gl.width ?? 0;
      height = gl.height ?? 0;
    }
    let y = 0;
    const x = main.length ? width + EXIT_GAP : 0;
    for (const n of apart) {
      const s = size(n);
      boxes.push({ id: n.id, x, y, width: s.width, height: s.height, expanded: s.expanded });
      y += s.height + 28;
      width = Math.max(width, x + s.width);
      height = Math.max(height, y - 28);
    }
    const level = { width, height, boxes, edges: laid };
    levels.set(parent, level);
    return level;
  };

  const top = layoutLevel(undefined);
  const out: Layout = { boxes: new Map(), edges: [], width: top.width, height: top.height };
  const place = (parent: string | undefined, dx: number, dy: number): void => {
    const level = levels.get(parent);
    if (!level) return;
    for (const b of level.boxes) {
      const abs = { ...b, x: b.x + dx, y: b.y + dy };
      out.boxes.set(b.id, abs);
      if (b.expanded) {
        const inner = levels.get(b.id);
        // The inner graph is centred in its frame (the frame is at least one node wide).
        const ox = inner ? (abs.width - inner.width) / 2 : GROUP_PAD;
        place(b.id, abs.x + ox, abs.y + GROUP_HEADER);
      }
    }
    for (const e of level.edges)
      out.edges.push({ ...e, points: e.points.map((p) => ({ x: p.x + dx, y: p.y + dy })) });
  };
  place(undefined, 0, 0);
  return out;
}
