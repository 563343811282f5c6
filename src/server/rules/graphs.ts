// GANTRY107 (Argo steps/DAG references and cycles) and GANTRY108 (KFP IR task references and cycles).
import type { Diagnostic, Range } from 'vscode-languageserver-types';
import { GantryCode } from '../validation/codes';
import {
  diag,
  get,
  getPath,
  mapEntries,
  type Node,
  pathText,
  type Positions,
  seqItems,
  Severity,
  str,
} from '../validation/ast';
import { didYouMean, suggest } from '../validation/suggest';

type Path = (string | number)[];

function report(
  out: Diagnostic[],
  pos: Positions,
  code: string,
  at: Node,
  msg: string,
  cands: string[] = [],
): void {
  out.push(
    diag(
      pos.nodeRange(at),
      Severity.Error,
      code,
      msg + didYouMean(cands),
      cands.map((c) => ({ title: `Change to ${c}`, edits: [{ range: pos.nodeRange(at), newText: c }] })),
    ),
  );
}

interface Edge {
  name: string;
  range: Range;
}

/** Finds dependency cycles; reports each once, at the edge that closes it. */
function cycles(deps: Map<string, Edge[]>, onCycle: (cycle: string[], at: Range) => void): void {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 1);
    stack.push(n);
    for (const d of deps.get(n) ?? []) {
      if (!deps.has(d.name)) continue;
      const s = state.get(d.name);
      if (s === 1) onCycle([...stack.slice(stack.indexOf(d.name)), d.name], d.range);
      else if (s === undefined) visit(d.name);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of [...deps.keys()].sort()) if (!state.has(n)) visit(n);
}

const ARGO_RESULTS = new Set([
  'Succeeded',
  'Failed',
  'Errored',
  'Skipped',
  'Omitted',
  'Daemoned',
  'AnySucceeded',
  'AllFailed',
]);

/** Task names a `depends` expression refers to, with their offsets in the expression. */
export function dependsNames(expr: string): { name: string; index: number }[] {
  const out: { name: string; index: number }[] = [];
  const re = /[A-Za-z0-9_][A-Za-z0-9_.-]*/g;
  for (let m = re.exec(expr); m; m = re.exec(expr)) {
    let name = m[0];
    const dot = name.lastIndexOf('.');
    if (dot > 0 && ARGO_RESULTS.has(name.slice(dot + 1))) name = name.slice(0, dot);
    out.push({ name, index: m.index });
  }
  return out;
}

export function argoRules(root: Node, kind: string, pos: Positions, out: Diagnostic[]): void {
  const specPath: Path = kind === 'CronWorkflow' ? ['spec', 'workflowSpec'] : ['spec'];
  const spec = getPath(root, specPath as string[]);
  if (!spec) return;
  const selfName = str(getPath(root, ['metadata', 'name']));
  const templates = seqItems(get(spec, 'templates'));
  const names = new Set(templates.map((t) => str(get(t, 'name'))).filter((x): x is string => !!x));
  const external = !!get(spec, 'workflowTemplateRef');
  const code = GantryCode.argoUndefinedReference;
  const checkTemplateName = (at: Node | undefined, path: Path): void => {
    const name = str(at);
    if (!at || !name || name.includes('{{') || names.has(name)) return;
    report(
      out,
      pos,
      code,
      at,
      `${pathText(path)}: no template named "${name}" in this ${kind}`,
      suggest(name, names),
    );
  };
  const checkCall = (x: Node, path: Path): void => {
    checkTemplateName(get(x, 'template'), [...path, 'template']);
    const ref = get(x, 'templateRef');
    if (ref && selfName && str(get(ref, 'name')) === selfName && !get(ref, 'clusterScope'))
      checkTemplateName(get(ref, 'template'), [...path, 'templateRef', 'template']);
  };
  if (!external && names.size) {
    checkTemplateName(get(spec, 'entrypoint'), [...specPath, 'entrypoint']);
    checkTemplateName(get(spec, 'onExit'), [...specPath, 'onExit']);
  }
  templates.forEach((t, ti) => {
    const tPath: Path = [...specPath, 'templates', ti];
    seqItems(get(t, 'steps')).forEach((group, gi) => {
      seqItems(group).forEach((step, si) => checkCall(step, [...tPath, 'steps', gi, si]));
    });
    const tasks = seqItems(getPath(t, ['dag', 'tasks']));
    const taskNames = new Set(tasks.map((x) => str(get(x, 'name'))).filter((x): x is string => !!x));
    const deps = new Map<string, Edge[]>();
    tasks.forEach((task, i) => {
      const p: Path = [...tPath, 'dag', 'tasks', i];
      checkCall(task, p);
      const own = str(get(task, 'name'));
      const edges: Edge[] = [];
      seqItems(get(task, 'dependencies')).forEach((d, di) => {
        const dn = str(d);
        if (!dn) return;
        if (!taskNames.has(dn))
          report(
            out,
            pos,
            code,
            d,
            `${pathText([...p, 'dependencies', di])}: no task named "${dn}" in this DAG`,
            suggest(dn, taskNames),
          );
        edges.push({ name: dn, range: pos.nodeRange(d) });
      });
      const dependsNode = get(task, 'depends');
      const expr = str(dependsNode);
      if (dependsNode && expr && !expr.includes('{{')) {
        const src = pos.source(dependsNode);
        const base = dependsNode.range![0] + Math.max(0, src.indexOf(expr.slice(0, 1)));
        for (const { name, index } of dependsNames(expr)) {
          const start = base + index;
          const range = pos.range(start, start + name.length);
          if (!taskNames.has(name)) {
            const cands = suggest(name, taskNames);
            out.push(
              diag(
                range,
                Severity.Error,
                code,
                `${pathText([...p, 'depends'])}: no task named "${name}" in this DAG${didYouMean(cands)}`,
                cands.map((c) => ({ title: `Change to ${c}`, edits: [{ range, newText: c }] })),
              ),
            );
          }
          edges.push({ name, range });
        }
      }
      if (own) deps.set(own, edges);
    });
    cycles(deps, (cycle, at) =>
      out.push(
        diag(
          at,
          Severity.Error,
          code,
          `${pathText([...tPath, 'dag', 'tasks'])}: tasks form a cycle: ${cycle.join(' → ')}`,
        ),
      ),
    );
  });
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

export function kfpRules(root: Node, pos: Positions, out: Diagnostic[]): void {
  const code = GantryCode.kfpUndefinedReference;
  const components = mapEntries(field(root, 'components'));
  const componentNames = new Set(components.map(([k]) => k));
  const executors = new Set(mapEntries(field(field(root, 'deploymentSpec'), 'executors')).map(([k]) => k));
  const hasExecutors = !!field(root, 'deploymentSpec');
  for (const [name, comp] of components) {
    const label = field(comp, 'executorLabel');
    const l = str(label);
    if (label && l && hasExecutors && !executors.has(l))
      report(
        out,
        pos,
        code,
        label,
        `components.${name}.executorLabel: no executor "${l}" in deploymentSpec.executors`,
        suggest(l, executors),
      );
  }
  const dags: { dag: Node; path: Path }[] = [];
  const rootDag = field(field(root, 'root'), 'dag');
  if (rootDag) dags.push({ dag: rootDag, path: ['root', 'dag'] });
  for (const [name, comp] of components) {
    const d = field(comp, 'dag');
    if (d) dags.push({ dag: d, path: ['components', name, 'dag'] });
  }
  for (const { dag, path } of dags) {
    const tasks = mapEntries(field(dag, 'tasks'));
    const taskNames = new Set(tasks.map(([k]) => k));
    const deps = new Map<string, Edge[]>();
    const checkTask = (at: Node | undefined, p: Path, edges?: Edge[]): void => {
      const t = str(at);
      if (!at || !t) return;
      if (!taskNames.has(t))
        report(out, pos, code, at, `${pathText(p)}: no task "${t}" in this DAG`, suggest(t, taskNames));
      edges?.push({ name: t, range: pos.nodeRange(at) });
    };
    for (const [tname, task] of tasks) {
      const tp: Path = [...path, 'tasks', tname];
      const edges: Edge[] = [];
      const ref = field(field(task, 'componentRef'), 'name');
      const r = str(ref);
      if (ref && r && !componentNames.has(r))
        report(
          out,
          pos,
          code,
          ref,
          `${pathText([...tp, 'componentRef', 'name'])}: no component "${r}" in components`,
          suggest(r, componentNames),
        );
      seqItems(field(task, 'dependentTasks')).forEach((d, i) =>
        checkTask(d, [...tp, 'dependentTasks', i], edges),
      );
      const inputs = field(task, 'inputs');
      for (const [pn, spec] of mapEntries(field(inputs, 'parameters'))) {
        const prod = field(field(spec, 'taskOutputParameter'), 'producerTask');
        checkTask(prod, [...tp, 'inputs', 'parameters', pn, 'taskOutputParameter', 'producerTask'], edges);
        const fin = field(field(spec, 'taskFinalStatus'), 'producerTask');
        checkTask(fin, [...tp, 'inputs', 'parameters', pn, 'taskFinalStatus', 'producerTask'], edges);
      }
      for (const [an, spec] of mapEntries(field(inputs, 'artifacts'))) {
        const prod = field(field(spec, 'taskOutputArtifact'), 'producerTask');
        checkTask(prod, [...tp, 'inputs', 'artifacts', an, 'taskOutputArtifact', 'producerTask'], edges);
      }
      deps.set(tname, edges);
    }
    const outputs = field(dag, 'outputs');
    for (const [an, spec] of mapEntries(field(outputs, 'artifacts'))) {
      seqItems(field(spec, 'artifactSelectors')).forEach((s, i) =>
        checkTask(field(s, 'producerSubtask'), [
          ...path,
          'outputs',
          'artifacts',
          an,
          'artifactSelectors',
          i,
          'producerSubtask',
        ]),
      );
    }
    for (const [pn, spec] of mapEntries(field(outputs, 'parameters'))) {
      checkTask(field(field(spec, 'valueFromParameter'), 'producerSubtask'), [
        ...path,
        'outputs',
        'parameters',
        pn,
        'valueFromParameter',
        'producerSubtask',
      ]);
      seqItems(field(field(spec, 'valueFromOneof'), 'parameterSelectors')).forEach((s, i) =>
        checkTask(field(s, 'producerSubtask'), [
          ...path,
          'outputs',
          'parameters',
          pn,
          'valueFromOneof',
          'parameterSelectors',
          i,
          'producerSubtask',
        ]),
      );
    }
    cycles(deps, (cycle, at) =>
      out.push(
        diag(
          at,
          Severity.Error,
          code,
          `${pathText([...path, 'tasks'])}: tasks form a cycle: ${cycle.join(' → ')}`,
        ),
      ),
    );
  }
}
