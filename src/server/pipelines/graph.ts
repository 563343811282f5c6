// The DAG of a pipeline file, for the pipeline graph (gantry/pipelineGraph): KFP IR (root DAG, component DAGs
// expanded under the task that runs them, parallelFor iterators, trigger conditions, exit tasks) and Argo
// Workflow / WorkflowTemplate / CronWorkflow documents (DAG tasks, steps groups, loops, `when`, onExit). The
// server owns the parse, so the nodes carry their ranges and the diagnostics inside them.
import type { Diagnostic, Range } from 'vscode-languageserver-types';
import type { PipelineEdge, PipelineGraph, PipelineNode, PipelineNodeKind } from '../../shared/protocol';
import { dependsNames } from '../rules/graphs';
import {
  get,
  getPath,
  isMap,
  isScalar,
  isSeq,
  mapEntries,
  type Node,
  type Pair,
  type ParsedDocument,
  type Positions,
  seqItems,
  str,
} from '../validation/ast';

export interface GraphInput {
  /** First line of the document's chunk in the file (its positions are chunk-relative). */
  line: number;
  doc: ParsedDocument;
}

const ARGO_KINDS = new Set(['Workflow', 'WorkflowTemplate', 'CronWorkflow']);

export function isPipelineDocument(d: ParsedDocument): 'kfp' | 'argo' | undefined {
  if (d.what === 'kfp-ir') return 'kfp';
  if (d.what === 'kubernetes' && d.apiVersion.startsWith('argoproj.io/') && ARGO_KINDS.has(d.kind))
    return 'argo';
  return undefined;
}

/** proto3 JSON: a field under its JSON name or its original snake_case name. */
function field(m: unknown, json: string): Node | undefined {
  return (
    get(m, json) ??
    get(
      m,
      json.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
    )
  );
}

function oneLine(s: string, max = 120): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** A scalar or a small structure as short text (`withItems: [a, b]`). */
function shortText(n: Node | undefined): string {
  if (!n) return '';
  if (isScalar(n)) return String(n.value);
  return oneLine(JSON.stringify(n.toJSON()));
}

interface Draft extends PipelineNode {
  /** Order of the node's extent, to give diagnostics to the innermost node. */
  depth: number;
}

class Builder {
  readonly nodes: Draft[] = [];
  readonly edges: PipelineEdge[] = [];
  readonly cycles: string[][] = [];
  private readonly ids = new Set<string>();

  constructor(
    private readonly pos: Positions,
    private readonly line: number,
  ) {}

  range(n: Node | null | undefined): Range {
    const r = this.pos.nodeRange(n);
    return {
      start: { line: r.start.line + this.line, character: r.start.character },
      end: { line: r.end.line + this.line, character: r.end.character },
    };
  }

  add(
    n: Omit<Draft, 'id' | 'problems' | 'range' | 'extent' | 'depth'> & {
      key: string;
      at: Node | null | undefined;
      whole: Node | null | undefined;
    },
  ): Draft {
    const base = n.parent ? `${n.parent}/${n.key}` : n.key;
    let id = base;
    for (let i = 2; this.ids.has(id); i++) id = `${base}#${i}`;
    this.ids.add(id);
    const { key: _k, at, whole, ...rest } = n;
    const parentDepth = n.parent ? (this.nodes.find((x) => x.id === n.parent)?.depth ?? 0) : 0;
    const d: Draft = {
      ...rest,
      id,
      range: this.range(at ?? whole),
      extent: this.range(whole ?? at),
      problems: [],
      depth: parentDepth + 1,
    };
    for (const k of Object.keys(d) as (keyof Draft)[]) if (d[k] === undefined) delete d[k];
    this.nodes.push(d);
    return d;
  }

  /** Edges among siblings, by name; those closing a cycle are reported in `cycles` and not drawn. */
  link(siblings: Map<string, Draft>, deps: Map<string, string[]>): void {
    const state = new Map<string, 1 | 2>();
    const stack: string[] = [];
    const seen = new Set<string>();
    const visit = (name: string): void => {
      state.set(name, 1);
      stack.push(name);
      for (const d of deps.get(name) ?? []) {
        const from = siblings.get(d);
        const to = siblings.get(name);
        if (!from || !to) continue;
        const key = `${from.id}\u0000${to.id}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const s = state.get(d);
        if (s === 1) {
          this.cycles.push([...stack.slice(stack.indexOf(d)), d].map((x) => siblings.get(x)!.id).reverse());
          continue;
        }
        this.edges.push({ from: from.id, to: to.id });
        if (s === undefined) visit(d);
      }
      stack.pop();
      state.set(name, 2);
    };
    for (const name of [...siblings.keys()].sort()) if (!state.has(name)) visit(name);
  }
}

/** A map entry as one node (a Pair has no range of its own): from its key to the end of its value. */
function pairNode(p: Pair<Node, Node | null>): Node | undefined {
  const k = p.key.range;
  if (!k) return undefined;
  const v = p.value?.range;
  return { range: [k[0], v ? v[1] : k[1], v ? v[2] : k[2]] } as unknown as Node;
}

// --- KFP IR ---------------------------------------------------------------------------------------------------

function kfpGraph(b: Builder, root: Node, prefix: string | undefined): void {
  const components = new Map(mapEntries(field(root, 'components')).map(([k, v]) => [k, v]));
  const executors = new Map(
    mapEntries(field(field(root, 'deploymentSpec'), 'executors')).map(([k, v]) => [k, v]),
  );
  const imageOf = (comp: Node | null | undefined): string | undefined => {
    const label = str(field(comp, 'executorLabel'));
    const exec = label ? executors.get(label) : undefined;
    return str(getPath(field(exec, 'container'), ['image']));
  };
  const expand = (dag: Node | undefined, parent: string | undefined, stack: string[]): void => {
    const siblings = new Map<string, Draft>();
    const deps = new Map<string, string[]>();
    for (const [name, task, pair] of mapEntries(field(dag, 'tasks'))) {
      const compName = str(field(field(task, 'componentRef'), 'name'));
      const comp = compName ? components.get(compName) : undefined;
      const sub = field(comp, 'dag');
      const trigger = field(task, 'triggerPolicy');
      const condition = str(field(trigger, 'condition'));
      // dsl.ExitHandler: the exit task runs once its upstream tasks completed, whatever their state.
      const exit = str(field(trigger, 'strategy')) === 'ALL_UPSTREAM_TASKS_COMPLETED';
      const kind: PipelineNodeKind = exit ? 'exitHandler' : sub ? 'dag' : 'task';
      const node = b.add({
        key: name,
        name: str(field(field(task, 'taskInfo'), 'name')) ?? name,
        kind,
        ref: compName,
        image: sub ? undefined : imageOf(comp),
        loop: kfpLoop(task),
        condition: condition ? oneLine(condition) : undefined,
        parent,
        at: pair.key,
        whole: pairNode(pair),
      });
      siblings.set(name, node);
      const ds: string[] = [];
      for (const d of seqItems(field(task, 'dependentTasks'))) {
        const s = str(d);
        if (s) ds.push(s);
      }
      const inputs = field(task, 'inputs');
      for (const [, spec] of mapEntries(field(inputs, 'parameters'))) {
        for (const via of ['taskOutputParameter', 'taskFinalStatus']) {
          const p = str(field(field(spec, via), 'producerTask'));
          if (p) ds.push(p);
        }
      }
      for (const [, spec] of mapEntries(field(inputs, 'artifacts'))) {
        const p = str(field(field(spec, 'taskOutputArtifact'), 'producerTask'));
        if (p) ds.push(p);
      }
      deps.set(name, ds);
      // A component that (directly or not) runs itself would expand forever; GANTRY108 has no such check, so
      // the graph stops there.
      if (sub && compName && !stack.includes(compName)) expand(sub, node.id, [...stack, compName]);
    }
    b.link(siblings, deps);
  };
  expand(field(field(root, 'root'), 'dag'), prefix, []);
}

function kfpLoop(task: Node | null | undefined): string | undefined {
  const p = field(task, 'parameterIterator');
  if (p) {
    const items = field(p, 'items');
    const input = str(field(items, 'inputParameter'));
    const raw = field(items, 'raw');
    return `parallelFor over ${input ?? (raw ? shortText(raw) : 'items')}`;
  }
  const a = field(task, 'artifactIterator');
  if (a) return `parallelFor over ${str(field(field(a, 'items'), 'inputArtifact')) ?? 'artifacts'}`;
  return undefined;
}

// --- Argo -----------------------------------------------------------------------------------------------------

function argoLoop(x: Node): string | undefined {
  const items = get(x, 'withItems');
  if (items) {
    const n = isSeq(items) ? items.items.length : undefined;
    return `withItems${n !== undefined ? ` (${n})` : ''}: ${shortText(items)}`;
  }
  const param = get(x, 'withParam');
  if (param) return `withParam: ${oneLine(shortText(param))}`;
  const seq = get(x, 'withSequence');
  if (seq) {
    const count = shortText(get(seq, 'count'));
    const start = shortText(get(seq, 'start'));
    const end = shortText(get(seq, 'end'));
    return `withSequence: ${count ? `count ${count}` : `${start || '0'}..${end}`}`;
  }
  return undefined;
}

function argoGraph(b: Builder, root: Node, kind: string, prefix: string | undefined): void {
  const spec = kind === 'CronWorkflow' ? getPath(root, ['spec', 'workflowSpec']) : get(root, 'spec');
  if (!spec) return;
  const selfName = str(getPath(root, ['metadata', 'name']));
  const templates = new Map<string, Node>();
  for (const t of seqItems(get(spec, 'templates'))) {
    const n = str(get(t, 'name'));
    if (n && !templates.has(n)) templates.set(n, t);
  }
  /** The local template a task or step runs (a templateRef to this same WorkflowTemplate counts). */
  const local = (x: Node): { ref?: string; tpl?: Node } => {
    const t = str(get(x, 'template'));
    if (t) return { ref: t, tpl: templates.get(t) };
    const r = get(x, 'templateRef');
    const rn = str(get(r, 'name'));
    const rt = str(get(r, 'template'));
    if (!rt) return {};
    const same = rn === selfName && !get(r, 'clusterScope');
    return { ref: `${rn ?? '?'}/${rt}`, tpl: same ? templates.get(rt) : undefined };
  };
  const imageOf = (tpl: Node | undefined): string | undefined =>
    str(getPath(tpl, ['container', 'image'])) ??
    str(getPath(tpl, ['script', 'image'])) ??
    str(get(seqItems(getPath(tpl, ['containerSet', 'containers']))[0], 'image'));
  const isGroup = (tpl: Node | undefined): boolean => !!tpl && (!!get(tpl, 'dag') || !!get(tpl, 'steps'));

  /** A dag task or a step as a node: a group (a template with its own dag or steps) or a leaf with its image. */
  const addItem = (
    item: Node,
    name: string,
    leaf: 'task' | 'step',
    statusName: string,
    parent: string | undefined,
  ) => {
    const { ref, tpl: sub } = local(item);
    const group = isGroup(sub);
    const when = str(get(item, 'when'));
    const node = b.add({
      key: name,
      name,
      kind: group ? 'dag' : leaf,
      ref,
      image: group ? undefined : imageOf(sub),
      loop: argoLoop(item),
      condition: when ? oneLine(when) : undefined,
      statusName,
      parent,
      at: get(item, 'name'),
      whole: item,
    });
    return { node, sub, group };
  };

  /** A group's own template drawn inside it, unless it is already being drawn (a template calling itself). */
  const descend = (
    sub: Node | undefined,
    group: boolean,
    id: string,
    statusPrefix: string,
    stack: string[],
  ): void => {
    const subName = str(get(sub, 'name'));
    if (group && sub && subName && !stack.includes(subName))
      expand(sub, id, statusPrefix, [...stack, subName]);
  };

  const expand = (tpl: Node, parent: string | undefined, statusPrefix: string, stack: string[]): void => {
    const dag = get(tpl, 'dag');
    if (dag) {
      const siblings = new Map<string, Draft>();
      const deps = new Map<string, string[]>();
      for (const task of seqItems(get(dag, 'tasks'))) {
        const name = str(get(task, 'name'));
        if (!name) continue;
        const { node, sub, group } = addItem(task, name, 'task', `${statusPrefix}.${name}`, parent);
        siblings.set(name, node);
        const ds = seqItems(get(task, 'dependencies'))
          .map((d) => str(d))
          .filter((d): d is string => !!d);
        const expr = str(get(task, 'depends'));
        if (expr && !expr.includes('{{')) for (const { name: d } of dependsNames(expr)) ds.push(d);
        deps.set(name, ds);
        descend(sub, group, node.id, `${statusPrefix}.${name}`, stack);
      }
      b.link(siblings, deps);
      return;
    }
    // Steps: the groups run one after the other, the steps of a group in parallel.
    let previous: Draft[] = [];
    seqItems(get(tpl, 'steps')).forEach((group, gi) => {
      const current: Draft[] = [];
      for (const step of seqItems(group)) {
        const name = str(get(step, 'name'));
        if (!name) continue;
        const { node, sub, group } = addItem(step, name, 'step', `${statusPrefix}[${gi}].${name}`, parent);
        current.push(node);
        descend(sub, group, node.id, `${statusPrefix}[${gi}].${name}`, stack);
      }
      for (const from of previous) for (const to of current) b.edges.push({ from: from.id, to: to.id });
      if (current.length) previous = current;
    });
  };

  const entry = str(get(spec, 'entrypoint'));
  const entryTpl = entry ? templates.get(entry) : undefined;
  let roots: Node[];
  if (entryTpl) roots = [entryTpl];
  else {
    // A template library (a WorkflowTemplate without entrypoint): the templates no other local one calls.
    const called = new Set<string>();
    for (const t of templates.values()) {
      const calls = [
        ...seqItems(getPath(t, ['dag', 'tasks'])),
        ...seqItems(get(t, 'steps')).flatMap((g) => seqItems(g)),
      ];
      for (const c of calls) {
        const sub = local(c).tpl;
        const n = str(get(sub, 'name'));
        if (n && sub !== t) called.add(n);
      }
    }
    roots = [...templates.entries()].filter(([n]) => !called.has(n)).map(([, t]) => t);
  }
  if (roots.length === 1 && isGroup(roots[0])) {
    expand(roots[0]!, prefix, '', [str(get(roots[0], 'name')) ?? '']);
  } else {
    for (const t of roots) {
      const name = str(get(t, 'name')) ?? '?';
      const group = isGroup(t);
      const node = b.add({
        key: name,
        name,
        kind: group ? 'dag' : 'task',
        ref: name,
        image: group ? undefined : imageOf(t),
        statusName: roots.length === 1 ? '' : undefined,
        parent: prefix,
        at: get(t, 'name'),
        whole: t,
      });
      if (group) expand(t, node.id, '', [name]);
    }
  }
  const onExit = get(spec, 'onExit');
  const exitName = str(onExit);
  if (exitName) {
    const tpl = templates.get(exitName);
    const group = isGroup(tpl);
    const node = b.add({
      key: 'onExit',
      name: 'onExit',
      kind: 'exitHandler',
      ref: exitName,
      image: group ? undefined : imageOf(tpl),
      statusName: '.onExit',
      parent: prefix,
      at: onExit,
      whole: onExit,
    });
    if (group && tpl) expand(tpl, node.id, '.onExit', [exitName]);
  }
}

// --- The file -------------------------------------------------------------------------------------------------

function docTitle(d: ParsedDocument, format: 'kfp' | 'argo'): string {
  const root = d.doc.contents as Node | null;
  if (format === 'kfp') {
    const n = str(getPath(root, ['pipelineInfo', 'name']));
    if (n) return n;
    // The compiler writes `# Name: <pipeline>` at the top of the file.
    const m = /^#\s*Name:\s*(.+)$/m.exec(d.pos.text);
    return m ? m[1]!.trim() : 'pipeline';
  }
  const meta = get(root, 'metadata');
  const name = str(get(meta, 'name')) ?? (str(get(meta, 'generateName')) ?? '').replace(/-$/, '');
  return `${d.kind} ${name || '(unnamed)'}`;
}

function inside(r: Range, outer: Range): boolean {
  const before = (a: Range['start'], b: Range['start']): boolean =>
    a.line < b.line || (a.line === b.line && a.character <= b.character);
  return before(outer.start, r.start) && before(r.start, outer.end);
}

/** The graph of every pipeline document of a file; `diagnostics` (file positions) go to their nodes. */
export function pipelineGraphOf(docs: GraphInput[], diagnostics: Diagnostic[]): PipelineGraph {
  const found = docs
    .map((d) => ({ ...d, format: isPipelineDocument(d.doc) }))
    .filter((d): d is GraphInput & { format: 'kfp' | 'argo' } => d.format !== undefined);
  if (!found.length) return { format: 'none', title: '', nodes: [], edges: [], cycles: [] };
  const nodes: Draft[] = [];
  const edges: PipelineEdge[] = [];
  const cycles: string[][] = [];
  const many = found.length > 1;
  found.forEach((d, i) => {
    const b = new Builder(d.doc.pos, d.line);
    const root = d.doc.doc.contents as Node | null;
    if (!root || !isMap(root)) return;
    let prefix: string | undefined;
    // Several pipelines in one file: each is a group of its own, keyed by its position in the file.
    if (many) {
      prefix = b.add({
        key: `doc${i}`,
        name: docTitle(d.doc, d.format),
        kind: 'dag',
        at: d.format === 'argo' ? getPath(root, ['metadata', 'name']) : root,
        whole: root,
      }).id;
    }
    if (d.format === 'kfp') kfpGraph(b, root, prefix);
    else argoGraph(b, root, d.doc.kind, prefix);
    nodes.push(...b.nodes);
    edges.push(...b.edges);
    cycles.push(...b.cycles);
  });
  // Each diagnostic to the innermost node whose YAML holds it.
  const byDepth = [...nodes].sort((a, b) => b.depth - a.depth);
  for (const diag of diagnostics) {
    const n = byDepth.find((x) => inside(diag.range, x.extent));
    if (n)
      n.problems.push({
        message: typeof diag.message === 'string' ? diag.message : diag.message.value,
        severity: diag.severity ?? 1,
        ...(diag.code !== undefined ? { code: String(diag.code) } : {}),
      });
  }
  const title = many ? `${found.length} pipelines` : docTitle(found[0]!.doc, found[0]!.format);
  return {
    format: found.every((d) => d.format === found[0]!.format) ? found[0]!.format : 'argo',
    title,
    nodes: nodes.map(({ depth: _d, ...n }) => n),
    edges,
    cycles,
  };
}
