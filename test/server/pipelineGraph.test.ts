// gantry/pipelineGraph over real LSP messages: the graph of every KFP IR and Argo example of ../shared (node and
// edge counts computed here from a plain reading of the files), loops, conditions, exit handlers, cycles (reported,
// not drawn), diagnostics on their nodes, and the Show Pipeline Graph CodeLens.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import type { CodeLens } from 'vscode-languageserver-protocol';
import { type PipelineGraph, PipelineCommands, pipelineGraph } from '../../src/shared/protocol';
import { inProcess, repoRoot, type TestClient } from './helpers/lsp';

const EXAMPLES = path.join(repoRoot, '..', 'shared', 'crds', 'examples');

type Obj = Record<string, unknown>;
const obj = (x: unknown): Obj => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Obj) : {});
const arr = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);

/** KFP IR read plainly: every task of the root DAG and of the component DAGs the tasks run; edges by producer. */
function kfpCounts(ir: Obj): { nodes: number; edges: number } {
  const comps = obj(ir.components);
  let nodes = 0;
  let edges = 0;
  const walk = (dag: Obj, seen: string[]): void => {
    const tasks = obj(dag.tasks);
    for (const t of Object.values(tasks).map(obj)) {
      nodes++;
      const inputs = obj(t.inputs);
      const producers = new Set(
        [
          ...arr(t.dependentTasks),
          ...Object.values(obj(inputs.parameters)).map(
            (p) => obj(obj(p).taskOutputParameter).producerTask ?? obj(obj(p).taskFinalStatus).producerTask,
          ),
          ...Object.values(obj(inputs.artifacts)).map((a) => obj(obj(a).taskOutputArtifact).producerTask),
        ].filter((x): x is string => typeof x === 'string' && x in tasks),
      );
      edges += producers.size;
      const c = obj(t.componentRef).name as string;
      const sub = obj(comps[c]).dag;
      if (sub && !seen.includes(c)) walk(obj(sub), [...seen, c]);
    }
  };
  walk(obj(obj(ir.root).dag), []);
  return { nodes, edges };
}

/** An Argo document read plainly: the entrypoint (else every template no other calls), expanded. */
function argoCounts(doc: Obj): { nodes: number; edges: number } {
  const spec = obj(doc.kind === 'CronWorkflow' ? obj(doc.spec).workflowSpec : doc.spec);
  const self = obj(doc.metadata).name;
  const tpls = new Map(arr(spec.templates).map((t) => [obj(t).name as string, obj(t)]));
  const target = (x: Obj): Obj | undefined => {
    if (typeof x.template === 'string') return tpls.get(x.template);
    const r = obj(x.templateRef);
    return r.name === self ? tpls.get(r.template as string) : undefined;
  };
  const group = (t: Obj | undefined): boolean => !!t && (!!t.dag || !!t.steps);
  let nodes = 0;
  let edges = 0;
  const walk = (t: Obj): void => {
    if (t.dag) {
      const tasks = arr(obj(t.dag).tasks).map(obj);
      const names = new Set(tasks.map((x) => x.name));
      for (const x of tasks) {
        nodes++;
        const fromDepends = String(x.depends ?? '')
          .split(/[^A-Za-z0-9_.-]+/)
          .map((s) =>
            s.replace(/\.(Succeeded|Failed|Errored|Skipped|Omitted|Daemoned|AnySucceeded|AllFailed)$/, ''),
          );
        edges += new Set([...arr(x.dependencies), ...fromDepends].filter((d) => names.has(d))).size;
        if (group(target(x))) walk(target(x)!);
      }
    } else {
      const groups = arr(t.steps)
        .map((g) => arr(g).map(obj))
        .filter((g) => g.length);
      groups.forEach((g, i) => {
        nodes += g.length;
        if (i > 0) edges += groups[i - 1]!.length * g.length;
        for (const s of g) if (group(target(s))) walk(target(s)!);
      });
    }
  };
  let roots = spec.entrypoint ? [tpls.get(spec.entrypoint as string)!] : [];
  if (!roots.length) {
    const called = new Set<Obj>();
    for (const t of tpls.values())
      for (const c of [...arr(obj(t.dag).tasks), ...arr(t.steps).flat()].map(obj)) {
        const x = target(c);
        if (x && x !== t) called.add(x);
      }
    roots = [...tpls.values()].filter((t) => !called.has(t));
  }
  if (roots.length === 1 && group(roots[0])) walk(roots[0]!);
  else
    for (const r of roots) {
      nodes++;
      if (group(r)) walk(r);
    }
  if (spec.onExit) {
    nodes++;
    const t = tpls.get(spec.onExit as string);
    if (group(t)) walk(t!);
  }
  return { nodes, edges };
}

function expectedCounts(text: string): { nodes: number; edges: number } {
  const docs = parseAllDocuments(text)
    .map((d) => obj(d.toJS()))
    .filter(
      (d) =>
        (String(d.apiVersion ?? '').startsWith('argoproj.io/') &&
          ['Workflow', 'WorkflowTemplate', 'CronWorkflow'].includes(String(d.kind))) ||
        (d.root !== undefined && d.components !== undefined),
    );
  // More than one pipeline in a file: one group node per document.
  let nodes = docs.length > 1 ? docs.length : 0;
  let edges = 0;
  for (const d of docs) {
    const c = d.apiVersion ? argoCounts(d) : kfpCounts(d);
    nodes += c.nodes;
    edges += c.edges;
  }
  return { nodes, edges };
}

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name));
}

const byName = (g: PipelineGraph, name: string) => {
  const n = g.nodes.filter((x) => x.name === name);
  assert.equal(n.length, 1, `one node named ${name} in ${g.nodes.map((x) => x.name).join(', ')}`);
  return n[0]!;
};
const edgeNames = (g: PipelineGraph): string[] =>
  g.edges
    .map((e) => `${g.nodes.find((n) => n.id === e.from)!.name}->${g.nodes.find((n) => n.id === e.to)!.name}`)
    .sort();

describe('pipeline graph over LSP', () => {
  let c: TestClient;
  before(async () => {
    c = inProcess({ debounceMs: 0 });
    await c.initialize();
  });
  after(async () => c.close());

  const graphOf = async (name: string, text: string): Promise<PipelineGraph> => {
    const uri = `file:///w/${name}`;
    await c.open(uri, text);
    return c.request<PipelineGraph>(pipelineGraph.method, { uri });
  };

  const examples = [
    ...files(path.join(EXAMPLES, 'kubeflow-pipelines')),
    ...files(path.join(EXAMPLES, 'argo-workflows')),
  ];
  test('the examples are there', () => assert.ok(examples.length >= 7, examples.join(', ')));
  for (const f of examples) {
    test(`every task of ${path.relative(EXAMPLES, f)}`, async () => {
      const text = readFileSync(f, 'utf8');
      const g = await graphOf(path.relative(EXAMPLES, f), text);
      const want = expectedCounts(text);
      assert.ok(want.nodes > 0);
      assert.equal(g.nodes.length, want.nodes, 'nodes');
      assert.equal(g.edges.length, want.edges, 'edges');
      assert.deepEqual(g.cycles, []);
      assert.equal(g.format, f.includes('/ir/') ? 'kfp' : 'argo');
      // Every node's range is its name in the file.
      const lines = text.split('\n');
      for (const n of g.nodes.filter((x) => x.kind !== 'dag' || x.parent)) {
        const line = lines[n.range.start.line]!;
        assert.ok(line.includes(n.name) || line.includes(n.id.split('/').pop()!), `${n.id} at "${line}"`);
      }
      const ids = new Set(g.nodes.map((n) => n.id));
      assert.equal(ids.size, g.nodes.length, 'unique ids');
      for (const e of g.edges) assert.ok(ids.has(e.from) && ids.has(e.to));
    });
  }

  test('KFP: conditions, nested DAGs and images of flip_coin', async () => {
    const g = await graphOf(
      'flip.yaml',
      readFileSync(path.join(EXAMPLES, 'kubeflow-pipelines/ir/flip_coin.yaml'), 'utf8'),
    );
    assert.equal(g.title, 'conditional-execution-pipeline');
    const cond = byName(g, 'condition-1');
    assert.equal(cond.kind, 'dag');
    assert.match(cond.condition!, /== 'heads'/);
    const inner = byName(g, 'print-msg');
    assert.equal(inner.parent, byName(g, 'condition-2').id);
    assert.equal(byName(g, 'condition-2').parent, cond.id);
    assert.equal(inner.image, 'python:3.11');
    assert.equal(inner.ref, 'comp-print-msg');
    assert.ok(edgeNames(g).includes('flip-coin->condition-1'));
  });

  test('KFP: parallelFor loops', async () => {
    const g = await graphOf(
      'loops.yaml',
      readFileSync(path.join(EXAMPLES, 'kubeflow-pipelines/ir/pipeline_with_loops.yaml'), 'utf8'),
    );
    assert.equal(byName(g, 'for-loop-1').loop, 'parallelFor over pipelinechannel--loop_parameter');
    assert.match(byName(g, 'for-loop-4').loop!, /^parallelFor over \[\{"A_a"/);
    assert.equal(byName(g, 'args-generator-op').loop, undefined);
    assert.deepEqual(
      g.nodes.filter((n) => n.parent === byName(g, 'for-loop-2').id).map((n) => n.name),
      ['print-struct', 'print-text-2', 'print-text-3'],
    );
  });

  test('KFP: an exit task, and a cycle reported once and not drawn', async () => {
    const ir = `pipelineInfo:
  name: exits
components:
  comp-a:
    executorLabel: exec-a
  comp-handler:
    dag:
      tasks:
        a:
          componentRef: {name: comp-a}
          dependentTasks: [b]
        b:
          componentRef: {name: comp-a}
          dependentTasks: [a]
deploymentSpec:
  executors:
    exec-a:
      container: {image: 'python:3.12'}
root:
  dag:
    tasks:
      exit-handler-1:
        componentRef: {name: comp-handler}
      cleanup:
        componentRef: {name: comp-a}
        dependentTasks: [exit-handler-1]
        triggerPolicy: {strategy: ALL_UPSTREAM_TASKS_COMPLETED}
`;
    const g = await graphOf('exits.yaml', ir);
    assert.equal(g.title, 'exits');
    assert.equal(byName(g, 'cleanup').kind, 'exitHandler');
    assert.equal(byName(g, 'exit-handler-1').kind, 'dag');
    // Names are visited in order: a's dependency b is drawn (b -> a); b's on a closes the cycle.
    assert.deepEqual(edgeNames(g), ['b->a', 'exit-handler-1->cleanup']);
    const [a, b] = [byName(g, 'a').id, byName(g, 'b').id];
    assert.deepEqual(g.cycles, [[a, b, a]]);
    // The GANTRY108 cycle diagnostic lands on a node of the cycle.
    const problems = [byName(g, 'a'), byName(g, 'b')].flatMap((n) => n.problems.map((p) => p.code));
    assert.ok(problems.includes('GANTRY108'), JSON.stringify(problems));
  });

  test('Argo: steps groups, loops, when, onExit, nested DAG and a diagnostic on its node', async () => {
    const wf = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: wf
spec:
  entrypoint: main
  onExit: notify
  templates:
  - name: main
    steps:
    - - name: prepare
        template: work
    - - name: shard
        template: work
        withItems: [1, 2, 3]
      - name: sweep
        template: work
        withParam: "{{steps.prepare.outputs.result}}"
      - name: count
        template: work
        withSequence: {count: "5"}
    - - name: report
        template: inner
        when: "{{steps.prepare.outputs.result}} == yes"
  - name: inner
    dag:
      tasks:
      - name: fetch
        template: work
      - name: train
        template: wrok
        dependencies: [fetch]
  - name: work
    container: {image: 'busybox:1.36'}
  - name: notify
    container: {image: 'alpine:3.20'}
`;
    const g = await graphOf('steps.yaml', wf);
    assert.deepEqual(edgeNames(g), [
      'count->report',
      'fetch->train',
      'prepare->count',
      'prepare->shard',
      'prepare->sweep',
      'shard->report',
      'sweep->report',
    ]);
    assert.equal(byName(g, 'shard').loop, 'withItems (3): [1,2,3]');
    assert.match(byName(g, 'sweep').loop!, /^withParam: \{\{steps\.prepare/);
    assert.equal(byName(g, 'count').loop, 'withSequence: count 5');
    const report = byName(g, 'report');
    assert.equal(report.kind, 'dag');
    assert.equal(report.condition, '{{steps.prepare.outputs.result}} == yes');
    assert.equal(report.statusName, '[2].report');
    assert.equal(byName(g, 'fetch').parent, report.id);
    assert.equal(byName(g, 'fetch').statusName, '[2].report.fetch');
    assert.equal(byName(g, 'prepare').kind, 'step');
    assert.equal(byName(g, 'prepare').image, 'busybox:1.36');
    const exit = byName(g, 'onExit');
    assert.equal(exit.kind, 'exitHandler');
    assert.equal(exit.image, 'alpine:3.20');
    assert.equal(exit.statusName, '.onExit');
    const train = byName(g, 'train');
    assert.deepEqual(
      train.problems.map((p) => p.code),
      ['GANTRY107'],
    );
    assert.equal(
      train.range.start.line,
      wf.split('\n').findIndex((l) => l.includes('- name: train')),
    );
    assert.deepEqual(byName(g, 'fetch').problems, []);
  });

  test('Argo: a DAG cycle is reported and its closing edge left out', async () => {
    const g = await graphOf(
      'cycle.yaml',
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: c}
spec:
  entrypoint: d
  templates:
  - name: d
    dag:
      tasks:
      - {name: a, template: t, depends: "c"}
      - {name: b, template: t, depends: "a.Succeeded"}
      - {name: c, template: t, dependencies: [b]}
  - name: t
    container: {image: 'busybox:1.36'}
`,
    );
    assert.equal(g.nodes.length, 3);
    assert.equal(g.cycles.length, 1);
    assert.deepEqual([...g.cycles[0]!].sort(), ['a', 'a', 'b', 'c']);
    assert.equal(g.edges.length, 2);
  });

  test('a manifest that is no pipeline has an empty graph; a text from the cluster has one', async () => {
    const g = await graphOf('job.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n');
    assert.equal(g.format, 'none');
    assert.deepEqual(g.nodes, []);
    const live = await c.request<PipelineGraph>(pipelineGraph.method, {
      uri: 'gantry-live:wf',
      text: JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Workflow',
        metadata: { name: 'w' },
        spec: {
          entrypoint: 'd',
          templates: [
            { name: 'd', dag: { tasks: [{ name: 'only', template: 't' }] } },
            { name: 't', container: { image: 'busybox:1.36' } },
          ],
        },
      }),
    });
    assert.deepEqual(
      live.nodes.map((n) => [n.name, n.statusName]),
      [['only', '.only']],
    );
  });

  test('Show Pipeline Graph CodeLens on pipeline documents only', async () => {
    const uri = 'file:///w/lens.yaml';
    const text = `apiVersion: v1
kind: ConfigMap
metadata: {name: x}
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: w}
spec:
  entrypoint: t
  templates:
  - name: t
    container: {image: 'busybox:1.36'}
`;
    await c.open(uri, text);
    const lenses = await c.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
    const graph = lenses.filter((l) => l.command?.command === PipelineCommands.showGraph);
    assert.deepEqual(
      graph.map((l) => [l.range.start.line, l.command?.title, l.command?.arguments]),
      [[4, 'Show Pipeline Graph', [uri]]],
    );
    await c.open('file:///w/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n');
    const none = await c.request<CodeLens[]>('textDocument/codeLens', {
      textDocument: { uri: 'file:///w/cm.yaml' },
    });
    assert.equal(none.filter((l) => l.command?.command === PipelineCommands.showGraph).length, 0);
  });
});
