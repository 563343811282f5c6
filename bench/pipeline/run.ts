// Layout time of the pipeline graph (src/webview/pipelineGraph/layout.ts, dagre) for 30, 300 and 3,000 tasks:
// a KFP-like shape (a chain of stages, each fanning out to parallel tasks that join, some in nested DAGs), the
// median of a few runs after a warm-up. Goal: 300 tasks in under a second.
//   npm run bench:pipeline
import { performance } from 'node:perf_hooks';
import type { PipelineEdge, PipelineNode } from '../../src/shared/protocol';
import { layoutGraph } from '../../src/webview/pipelineGraph/layout';
import { machine } from '../machine.mjs';

type N = Pick<PipelineNode, 'id' | 'parent' | 'kind'>;

/**
 * `tasks` leaf tasks: stages of 6 parallel tasks; every 4th stage is a nested DAG holding a chain of its tasks.
 * dense: each task of a stage needs every task of the stage before; sparse: two of them.
 */
function pipeline(tasks: number, dense: boolean): { nodes: N[]; edges: PipelineEdge[] } {
  const nodes: N[] = [];
  const edges: PipelineEdge[] = [];
  let prev: string[] = [];
  let made = 0;
  for (let s = 0; made < tasks; s++) {
    const nested = s % 4 === 3;
    const group = nested ? `stage-${s}` : undefined;
    if (group) nodes.push({ id: group, kind: 'dag' });
    const width = Math.min(6, tasks - made);
    const here: string[] = [];
    let innerPrev: string | undefined;
    for (let i = 0; i < width; i++, made++) {
      const id = group ? `${group}/t${i}` : `s${s}-t${i}`;
      nodes.push({ id, kind: 'task', ...(group ? { parent: group } : {}) });
      // Inside a nested DAG the tasks form a chain; at the top they fan out from the previous stage.
      if (group) {
        if (innerPrev) edges.push({ from: innerPrev, to: id });
        innerPrev = id;
      } else here.push(id);
    }
    const joinTargets = group ? [group] : here;
    joinTargets.forEach((t, i) => {
      const from = dense ? prev : [...new Set([prev[i % prev.length], prev[(i + 1) % prev.length]])];
      for (const p of from) if (p) edges.push({ from: p, to: t });
    });
    prev = group ? [group] : here;
  }
  return { nodes, edges };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

console.log(machine());
const GOAL_300 = 1000;
for (const [n, dense] of [
  [30, false],
  [30, true],
  [300, false],
  [300, true],
  [3000, false],
  [3000, true],
] as const) {
  const { nodes, edges } = pipeline(n, dense);
  layoutGraph(nodes, edges);
  const runs = n >= 3000 ? 3 : 7;
  const times: number[] = [];
  let size = '';
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const l = layoutGraph(nodes, edges);
    times.push(performance.now() - t0);
    size = `${Math.round(l.width)}x${Math.round(l.height)} px`;
  }
  const m = median(times);
  const goal = n === 300 ? ` (goal < ${GOAL_300} ms: ${m < GOAL_300 ? 'met' : 'NOT met'})` : '';
  console.log(
    `layout ${n} tasks, ${dense ? 'dense' : 'sparse'} (${nodes.length} nodes, ${edges.length} edges): median ${m.toFixed(1)} ms of ${runs}, min ${Math.min(...times).toFixed(1)} ms, ${size}${goal}`,
  );
}
