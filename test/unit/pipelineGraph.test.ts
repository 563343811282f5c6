// The pipeline graph's pure parts: the dagre layout (nested groups, collapsed groups, exit handlers apart, no
// overlaps), the node under the cursor, the phases of a live Argo Workflow's nodes, the client's cheap check.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../src/core/kube';
import type { PipelineGraph, PipelineNode } from '../../src/shared/protocol';
import { type Box, layoutGraph, NODE_H, NODE_W } from '../../src/webview/pipelineGraph/layout';
import { argoPhases, nodeAt } from '../../src/webview/pipelineGraph/model';
import { looksLikePipeline } from '../../src/core/pipelineFiles';

const r = (sl: number, sc: number, el: number, ec: number) => ({
  start: { line: sl, character: sc },
  end: { line: el, character: ec },
});

function node(id: string, extra: Partial<PipelineNode> = {}): PipelineNode {
  const parent = id.includes('/') ? id.slice(0, id.lastIndexOf('/')) : undefined;
  return {
    id,
    name: id.split('/').pop()!,
    kind: 'task',
    range: r(0, 0, 0, 1),
    extent: r(0, 0, 0, 1),
    problems: [],
    ...(parent ? { parent } : {}),
    ...extra,
  };
}

const overlap = (a: Box, b: Box): boolean =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
const contains = (outer: Box, inner: Box): boolean =>
  inner.x >= outer.x &&
  inner.y >= outer.y &&
  inner.x + inner.width <= outer.x + outer.width &&
  inner.y + inner.height <= outer.y + outer.height;

describe('pipeline graph layout', () => {
  const nodes = [
    node('a'),
    node('loop', { kind: 'dag' }),
    node('loop/x'),
    node('loop/y'),
    node('b'),
    node('onExit', { kind: 'exitHandler' }),
  ];
  const edges = [
    { from: 'a', to: 'loop' },
    { from: 'loop', to: 'b' },
    { from: 'loop/x', to: 'loop/y' },
  ];

  test('ranks follow the edges, groups hold their children, siblings do not overlap', () => {
    const l = layoutGraph(nodes, edges);
    const b = (id: string) => l.boxes.get(id)!;
    assert.equal(l.boxes.size, 6);
    assert.ok(b('a').y + b('a').height <= b('loop').y, 'a above the loop');
    assert.ok(b('loop').y + b('loop').height <= b('b').y, 'the loop above b');
    assert.ok(b('loop/x').y + NODE_H <= b('loop/y').y, 'x above y');
    assert.ok(b('loop').expanded && contains(b('loop'), b('loop/x')) && contains(b('loop'), b('loop/y')));
    for (const [i, p] of ['a', 'loop', 'b', 'onExit'].entries())
      for (const q of ['a', 'loop', 'b', 'onExit'].slice(i + 1)) assert.ok(!overlap(b(p), b(q)), `${p} ${q}`);
    // The exit handler (no edges) sits apart, right of the graph.
    for (const id of ['a', 'loop', 'b']) assert.ok(b('onExit').x >= b(id).x + b(id).width);
    assert.ok(l.width >= b('onExit').x + NODE_W);
    // Every drawn edge starts at its source's box and ends at its target's.
    for (const e of l.edges) {
      const first = e.points[0]!;
      const last = e.points[e.points.length - 1]!;
      const near = (p: { x: number; y: number }, box: Box) =>
        p.x >= box.x - 1 && p.x <= box.x + box.width + 1 && p.y >= box.y - 1 && p.y <= box.y + box.height + 1;
      assert.ok(near(first, b(e.from)) && near(last, b(e.to)), `${e.from} -> ${e.to}`);
    }
    assert.equal(l.edges.length, 3);
  });

  test('a collapsed group is one node and hides its children', () => {
    const l = layoutGraph(nodes, edges, new Set(['loop']));
    assert.equal(l.boxes.get('loop')!.height, NODE_H);
    assert.equal(l.boxes.get('loop')!.expanded, false);
    assert.equal(l.boxes.has('loop/x'), false);
    assert.deepEqual(l.edges.map((e) => `${e.from}->${e.to}`).sort(), ['a->loop', 'loop->b']);
  });

  test('a level above BIG_LEVEL nodes (ranks given to dagre) still has no overlaps and ranks follow edges', () => {
    const many = Array.from({ length: 240 }, (_, i) => node(`t${i}`));
    const chain = many.slice(1).map((n, i) => ({ from: `t${Math.floor(i / 3)}`, to: n.id }));
    const l = layoutGraph(many, chain);
    const boxes = [...l.boxes.values()].sort((p, q) => p.y - q.y || p.x - q.x);
    for (let i = 1; i < boxes.length; i++) assert.ok(!overlap(boxes[i - 1]!, boxes[i]!));
    for (const e of chain) assert.ok(l.boxes.get(e.from)!.y < l.boxes.get(e.to)!.y);
  });
});

describe('pipeline graph model', () => {
  const g: PipelineGraph = {
    format: 'argo',
    title: 'wf',
    nodes: [
      node('prepare', { statusName: '[0].prepare', extent: r(10, 4, 12, 0) }),
      node('train', { kind: 'dag', statusName: '[1].train', extent: r(12, 4, 30, 0) }),
      node('train/shard', { statusName: '[1].train.shard', extent: r(20, 6, 24, 0) }),
      node('onExit', { kind: 'exitHandler', statusName: '.onExit', extent: r(5, 2, 5, 20) }),
    ],
    edges: [],
    cycles: [],
  };

  test('the node under the cursor is the innermost one', () => {
    assert.equal(nodeAt(g, 11, 0)?.id, 'prepare');
    assert.equal(nodeAt(g, 21, 8)?.id, 'train/shard');
    assert.equal(nodeAt(g, 14, 0)?.id, 'train');
    assert.equal(nodeAt(g, 2, 0), undefined);
  });

  test('phases from status.nodes: loop expansions and retries count, the worst wins', () => {
    const wf = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { name: 'wf-abc', namespace: 'ml' },
      status: {
        nodes: {
          n0: { name: 'wf-abc', type: 'Steps', phase: 'Running' },
          n1: { name: 'wf-abc[0].prepare', type: 'Pod', phase: 'Succeeded' },
          n2: { name: 'wf-abc[1].train', type: 'DAG', phase: 'Running' },
          n3: { name: 'wf-abc[1].train.shard(0:a)', type: 'Pod', phase: 'Succeeded' },
          n4: { name: 'wf-abc[1].train.shard(1:b)', type: 'Pod', phase: 'Failed' },
          n5: { name: 'wf-abc[1].train.shard(2:c)', type: 'Pod', phase: 'Running' },
        },
      },
    } as unknown as KubeObject;
    const { phases, byNode } = argoPhases(g, wf);
    assert.deepEqual(phases, { prepare: 'Succeeded', train: 'Running', 'train/shard': 'Failed' });
    assert.deepEqual(
      byNode.get('train/shard')!.map((s) => s.name),
      ['wf-abc[1].train.shard(0:a)', 'wf-abc[1].train.shard(1:b)', 'wf-abc[1].train.shard(2:c)'],
    );
    assert.deepEqual(byNode.get('onExit'), []);
  });
});

describe('the editor title button check', () => {
  const argo = (kind: string) =>
    `apiVersion: argoproj.io/v1alpha1\nkind: ${kind}\nmetadata: {name: x}\nspec: {}\n`;
  test('Argo workflow kinds, in any document of a file', () => {
    for (const k of ['Workflow', 'WorkflowTemplate', 'CronWorkflow'])
      assert.ok(looksLikePipeline(argo(k)), k);
    assert.ok(looksLikePipeline(`apiVersion: v1\nkind: ConfigMap\n---\n${argo('Workflow')}`));
    assert.ok(!looksLikePipeline(argo('WorkflowEventBinding')));
    // apiVersion of one document and kind of another are not a workflow
    assert.ok(
      !looksLikePipeline(
        'apiVersion: argoproj.io/v1alpha1\nkind: Sensor\n---\napiVersion: v1\nkind: Workflow\n',
      ),
    );
  });
  test('a KFP IR: two of its top-level keys, as the server classifies it', () => {
    assert.ok(looksLikePipeline('# PIPELINE DEFINITION\ncomponents: {}\nroot:\n  dag: {}\n'));
    assert.ok(!looksLikePipeline('root: /data\nname: x\n'));
    assert.ok(!looksLikePipeline('apiVersion: batch/v1\nkind: Job\n'));
  });
});
