// Mutation tests: each upstream example is broken in known ways, and the exact diagnostic code and range
// (line/character) must appear, with no other new error or warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMap, parseAllDocuments } from 'yaml';
import type { Diagnostic } from 'vscode-languageserver-types';
import { podSites } from '../../../src/server/rules/podTemplates';
import { classify } from '../../../src/server/validation/validator';
import { example, examples, loc, problems, show, validate } from './helpers';

type Range = Diagnostic['range'];
const key = (d: Diagnostic): string => `${d.code}@${JSON.stringify(d.range)}:${d.message}`;

/** Diagnostics (errors/warnings) in `after` that `before` does not have, ignoring those that moved by `shift` lines. */
function added(before: Diagnostic[], after: Diagnostic[], fromLine = Infinity, shift = 0): Diagnostic[] {
  const seen = new Set(
    problems(before).map((d) => {
      if (d.range.start.line < fromLine) return key(d);
      const r = {
        start: { ...d.range.start, line: d.range.start.line + shift },
        end: { ...d.range.end, line: d.range.end.line + shift },
      };
      return key({ ...d, range: r });
    }),
  );
  return problems(after).filter((d) => !seen.has(key(d)));
}

function expectOne(ds: Diagnostic[], code: string, range: Range, message?: RegExp): Diagnostic {
  assert.equal(ds.length, 1, `expected exactly one new diagnostic ${code}, got:\n${show(ds)}`);
  assert.equal(ds[0].code, code, show(ds));
  assert.deepEqual(ds[0].range, range, show(ds));
  if (message) assert.match(String(ds[0].message), message);
  return ds[0];
}

function lineRange(line: number, from: number, to: number): Range {
  return { start: { line, character: from }, end: { line, character: to } };
}

function replaceLine(text: string, line: number, f: (s: string) => string): string {
  const lines = text.split('\n');
  lines[line] = f(lines[line]);
  return lines.join('\n');
}

interface Target {
  doc: number;
  kind: string;
  what: string;
  /** 0-based line/col of the first container's `image` key in a pod site, if any. */
  image?: { line: number; col: number; hasPolicy: boolean; policyLine?: number };
  /** Line of the document's `metadata.name` / `pipelineInfo.name` value. */
  name?: { line: number; col: number };
  /** Line/col of the `metadata` or `pipelineInfo` key. */
  top?: { line: number; col: number; word: string };
}

function targets(text: string): Target[] {
  const out: Target[] = [];
  const docs = parseAllDocuments(text, { version: '1.1' });
  const lineCol = (off: number): { line: number; col: number } => {
    const before = text.slice(0, off);
    return { line: before.split('\n').length - 1, col: off - (before.lastIndexOf('\n') + 1) };
  };
  (Array.isArray(docs) ? docs : []).forEach((doc, i) => {
    const c = classify(doc.contents);
    if (!c || !isMap(doc.contents)) return;
    const t: Target = { doc: i, kind: c.kind, what: c.what };
    const topWord = c.what === 'kubernetes' ? 'metadata' : c.what === 'kfp-ir' ? 'pipelineInfo' : undefined;
    for (const p of doc.contents.items) {
      const k = (p.key as { value?: unknown }).value;
      if (topWord && k === topWord && isMap(p.value)) {
        t.top = { ...lineCol((p.key as { range: number[] }).range[0]), word: topWord };
        const n = p.value.items.find((q) => (q.key as { value?: unknown }).value === 'name');
        if (n?.value) t.name = lineCol((n.value as { range: number[] }).range[0]);
      }
    }
    if (c.what === 'kubernetes' && c.kind !== 'TrainJob') {
      for (const site of podSites(doc.contents, c.apiVersion, c.kind)) {
        const ctr = site.containers.find(
          (x) => !x.init && x.node.items.some((q) => (q.key as { value?: unknown }).value === 'image'),
        );
        if (!ctr || site.shape === 'kfp-executor') continue;
        const img = ctr.node.items.find((q) => (q.key as { value?: unknown }).value === 'image')!;
        const pol = ctr.node.items.find((q) => (q.key as { value?: unknown }).value === 'imagePullPolicy');
        const at = lineCol((img.key as { range: number[] }).range[0]);
        t.image = {
          ...at,
          hasPolicy: !!pol,
          policyLine: pol ? lineCol((pol.value as { range: number[] }).range[0]).line : undefined,
        };
        break;
      }
    }
    out.push(t);
  });
  return out;
}

for (const ex of examples()) {
  const base = validate(ex.text);
  for (const t of targets(ex.text)) {
    const label = `${ex.name} #${t.doc} (${t.kind})`;
    if (t.top) {
      test(`${label}: misspelled ${t.top.word} key -> unknown-field at the key with did-you-mean`, () => {
        const bad = t.top!.word.slice(0, -2) + t.top!.word.slice(-1) + t.top!.word.slice(-2, -1); // swap last two
        const text = replaceLine(
          ex.text,
          t.top!.line,
          (s) => s.slice(0, t.top!.col) + bad + s.slice(t.top!.col + bad.length),
        );
        // Kinds whose CRD requires metadata (Argo) also report it missing, at the document's first key.
        const news = added(base, validate(text)).filter(
          (x) => !(x.code === 'missing-field' && x.message === '(root): missing required field "metadata"'),
        );
        const d = expectOne(
          news,
          'unknown-field',
          lineRange(t.top!.line, t.top!.col, t.top!.col + bad.length),
          new RegExp(`unknown field "${bad}"; did you mean "${t.top!.word}"\\?`),
        );
        const fix = (d.data as { fixes: { edits: { newText: string }[] }[] }).fixes[0];
        assert.equal(fix.edits[0].newText, t.top!.word);
      });
    }
    if (t.name) {
      test(`${label}: integer name -> wrong-type at the value`, () => {
        const text = replaceLine(ex.text, t.name!.line, (s) => s.slice(0, t.name!.col) + '12345');
        expectOne(
          added(base, validate(text)),
          'wrong-type',
          lineRange(t.name!.line, t.name!.col, t.name!.col + 5),
          /\.name: expected string, got integer 12345$/,
        );
      });
    }
    if (t.image) {
      const im = t.image;
      test(`${label}: misspelled container image key -> unknown-field`, () => {
        const text = replaceLine(
          ex.text,
          im.line,
          (s) => s.slice(0, im.col) + 'imagee' + s.slice(im.col + 5),
        );
        expectOne(
          added(base, validate(text)),
          'unknown-field',
          lineRange(im.line, im.col, im.col + 6),
          /did you mean "image"\?/,
        );
      });
      test(`${label}: bad imagePullPolicy -> bad-enum at the value`, () => {
        let text: string;
        let line: number;
        let shiftFrom = Infinity;
        if (im.hasPolicy) {
          line = im.policyLine!;
          text = replaceLine(ex.text, line, (s) =>
            s.replace(/imagePullPolicy:\s*\S+/, 'imagePullPolicy: Sometimes'),
          );
        } else {
          line = im.line + 1;
          const lines = ex.text.split('\n');
          lines.splice(line, 0, `${' '.repeat(im.col)}imagePullPolicy: Sometimes`);
          text = lines.join('\n');
          shiftFrom = line;
        }
        const col = text.split('\n')[line].indexOf('Sometimes');
        expectOne(
          added(base, validate(text), shiftFrom, 1),
          'bad-enum',
          lineRange(line, col, col + 9),
          /unsupported value "Sometimes"; expected one of "Always", "Never", "IfNotPresent"/,
        );
      });
    }
  }
  test(`${ex.name}: a broken YAML document does not stop the others from being checked`, () => {
    const ts = targets(ex.text).filter((t) => t.name);
    const broken = `${ex.text.endsWith('\n') ? '' : '\n'}---\nbroken: [1, 2\nother: x\n`;
    const text = ex.text + broken;
    const ds = validate(text);
    const startLine = ex.text.split('\n').length - (ex.text.endsWith('\n') ? 1 : 0) + 1;
    const syntax = ds.filter((d) => d.code === 'yaml-syntax');
    assert.ok(syntax.length >= 1, show(ds));
    for (const d of syntax) assert.ok(d.range.start.line >= startLine, show(syntax));
    // The earlier documents keep their exact diagnostics, and a mutation in them is still found.
    assert.deepEqual(
      ds.filter((d) => d.code !== 'yaml-syntax'),
      base,
    );
    if (ts.length) {
      const t = ts[0];
      const mutated = replaceLine(text, t.name!.line, (s) => s.slice(0, t.name!.col) + '12345');
      assert.ok(only(validate(mutated), 'wrong-type').some((d) => d.range.start.line === t.name!.line));
    }
  });
}

function only(ds: Diagnostic[], code: string): Diagnostic[] {
  return ds.filter((d) => d.code === code);
}

// ---- Targeted GANTRY1nn mutations on upstream examples (exact code and range). ----

interface Case {
  name: string;
  file: string;
  from: string;
  to: string;
  code: string;
  /** Text whose occurrence in the mutated file is the expected range. */
  at: string;
  nth?: number;
  message?: RegExp;
}

const PYTORCH = 'kubeflow-training-operator/pytorch-simple.yaml';
const IMAGE_LINE = '              image: docker.io/kubeflowkatib/pytorch-mnist:v1beta1-45c5727\n';
const gpu = (req: string, lim?: string): string =>
  IMAGE_LINE +
  `              resources:\n                requests:\n                  nvidia.com/gpu: ${req}\n` +
  (lim ? `                limits:\n                  nvidia.com/gpu: ${lim}\n` : '');

const CASES: Case[] = [
  {
    name: 'GANTRY101 fractional GPU limit',
    file: PYTORCH,
    from: IMAGE_LINE,
    to: gpu('0.5', '0.5'),
    code: 'GANTRY101',
    at: '0.5',
    nth: 1,
    message: /GPUs are whole devices; 0.5 is not a whole number/,
  },
  {
    name: 'GANTRY102 GPU request without a limit',
    file: PYTORCH,
    from: IMAGE_LINE,
    to: gpu('2'),
    code: 'GANTRY102',
    at: 'nvidia.com/gpu',
    message: /requested without a limit/,
  },
  {
    name: 'GANTRY102 GPU limit different from the request',
    file: PYTORCH,
    from: IMAGE_LINE,
    to: gpu('2', '4'),
    code: 'GANTRY102',
    at: '4\n',
    message: /limit 4 differs from request 2/,
  },
  {
    name: 'GANTRY105 PyTorchJob with two Masters',
    file: PYTORCH,
    from: 'Master:\n      replicas: 1',
    to: 'Master:\n      replicas: 2',
    code: 'GANTRY105',
    at: '2\n',
    message: /exactly 1 Master replica, got 2/,
  },
  {
    name: 'GANTRY105 PyTorchJob role with the wrong case',
    file: PYTORCH,
    from: '    Worker:',
    to: '    worker:',
    code: 'GANTRY105',
    at: 'worker',
    message: /no replica type "worker".*did you mean "Worker"/,
  },
  {
    name: 'GANTRY105 TFJob with two Chiefs',
    file: 'kubeflow-training-operator/tfjob-dist-mnist.yaml',
    from: 'Chief:\n      replicas: 1',
    to: 'Chief:\n      replicas: 2',
    code: 'GANTRY105',
    at: '2\n',
  },
  {
    name: 'GANTRY105 MPIJob with two Launchers',
    file: 'kubeflow-training-operator/mpi-tensorflow-mnist.yaml',
    from: 'Launcher:\n      replicas: 1',
    to: 'Launcher:\n      replicas: 2',
    code: 'GANTRY105',
    at: '2\n',
    message: /exactly 1 Launcher/,
  },
  {
    name: 'GANTRY109 training replica restartPolicy typo',
    file: PYTORCH,
    from: 'restartPolicy: OnFailure',
    to: 'restartPolicy: OnFailur',
    code: 'GANTRY109',
    at: 'OnFailur',
    message: /did you mean "OnFailure"/,
  },
  {
    name: 'GANTRY109 JobSet pod restartPolicy Always',
    file: 'jobset/pytorch-cnn-mnist.yaml',
    from: '          spec:\n            containers:',
    to: '          spec:\n            restartPolicy: Always\n            containers:',
    code: 'GANTRY109',
    at: 'Always',
  },
  {
    name: 'GANTRY107 Argo DAG depends on an undefined task',
    file: 'argo-workflows/dag-diamond.yaml',
    from: 'depends: "B && C"',
    to: 'depends: "B && E"',
    code: 'GANTRY107',
    at: 'E"',
    message: /no task named "E"/,
  },
  {
    name: 'GANTRY107 Argo DAG task calls an undefined template',
    file: 'argo-workflows/dag-diamond.yaml',
    from: '      - name: A\n        template: echo',
    to: '      - name: A\n        template: ech0',
    code: 'GANTRY107',
    at: 'ech0',
    message: /no template named "ech0".*did you mean "echo"/,
  },
  {
    name: 'GANTRY107 Argo DAG cycle',
    file: 'argo-workflows/dag-diamond.yaml',
    from: '      - name: A\n        template: echo',
    to: '      - name: A\n        depends: "D"\n        template: echo',
    code: 'GANTRY107',
    at: '"A"',
    message: /cycle: A → D → B → A|cycle/,
  },
  {
    name: 'GANTRY108 KFP task with an undefined component',
    file: 'kubeflow-pipelines/ir/flip_coin.yaml',
    from: 'name: comp-condition-2\n',
    to: 'name: comp-condition-9\n',
    code: 'GANTRY108',
    at: 'comp-condition-9',
    message: /no component "comp-condition-9"/,
  },
  {
    name: 'GANTRY108 KFP task depending on an undefined task',
    file: 'kubeflow-pipelines/ir/flip_coin.yaml',
    from: '          dependentTasks:\n          - random-num\n',
    to: '          dependentTasks:\n          - random-numb\n',
    code: 'GANTRY108',
    at: 'random-numb',
    message: /no task "random-numb".*did you mean "random-num"/,
  },
  {
    name: 'GANTRY108 KFP component with an undefined executor',
    file: 'kubeflow-pipelines/ir/flip_coin.yaml',
    from: 'executorLabel: exec-flip-coin',
    to: 'executorLabel: exec-flip-coins',
    code: 'GANTRY108',
    at: 'exec-flip-coins',
  },
  {
    name: 'GANTRY111 image without a tag',
    file: PYTORCH,
    from: 'pytorch-mnist:v1beta1-45c5727\n              imagePullPolicy: Always\n              command:\n                - "python3"\n                - "/opt/pytorch-mnist/mnist.py"\n                - "--epochs=1"\n    Worker',
    to: 'pytorch-mnist\n              imagePullPolicy: Always\n              command:\n                - "python3"\n                - "/opt/pytorch-mnist/mnist.py"\n                - "--epochs=1"\n    Worker',
    code: 'GANTRY111',
    at: 'docker.io/kubeflowkatib/pytorch-mnist\n',
  },
  {
    name: 'GANTRY113 multi-GPU pod without /dev/shm',
    file: 'lws/vllm-gpu-lws.yaml',
    from: 'mountPath: /dev/shm',
    to: 'mountPath: /dev/shm-not',
    code: 'GANTRY113',
    at: 'nvidia.com/gpu',
  },
];

for (const c of CASES) {
  test(`${c.name} (${c.file})`, () => {
    const orig = example(c.file);
    assert.ok(orig.includes(c.from), `${c.file} does not contain the text to mutate`);
    const text = orig.replace(c.from, c.to);
    const ds = validate(text).filter((d) => d.code === c.code);
    const start = loc(text, c.at, c.nth ?? 0);
    const word = c.at.replace(/["\n]+$/, '').replace(/^"/, '');
    const s = c.at.startsWith('"') ? { ...start, character: start.character + 1 } : start;
    const range = { start: s, end: { line: s.line, character: s.character + word.length } };
    const hit = ds.filter((d) => JSON.stringify(d.range) === JSON.stringify(range));
    assert.equal(hit.length, 1, `want ${c.code} at ${JSON.stringify(range)}, got:\n${show(ds)}`);
    if (c.message) assert.match(String(hit[0].message), c.message);
    // The unmutated example has no such diagnostic.
    assert.equal(validate(orig).filter((d) => d.code === c.code && d.code !== 'GANTRY111').length, 0);
  });
}

test('GANTRY102 quick fix inserts limits with the request value (block style)', () => {
  const text = example(PYTORCH).replace(IMAGE_LINE, gpu('2'));
  const d = validate(text).find((x) => x.code === 'GANTRY102')!;
  const fix = (d.data as { fixes: { title: string; edits: { range: Range; newText: string }[] }[] }).fixes[0];
  assert.equal(fix.title, 'Set limits.nvidia.com/gpu to 2');
  const lines = text.split('\n');
  const e = fix.edits[0];
  const line = lines[e.range.start.line];
  lines[e.range.start.line] =
    line.slice(0, e.range.start.character) + e.newText + line.slice(e.range.end.character);
  const fixed = lines.join('\n');
  assert.match(fixed, /requests:\n {18}nvidia\.com\/gpu: 2\n {16}limits:\n {18}nvidia\.com\/gpu: 2\n/);
  assert.equal(validate(fixed).filter((x) => x.code === 'GANTRY102').length, 0);
});

test('GANTRY102 quick fix adds the key to an existing limits map', () => {
  const text = example(PYTORCH).replace(
    IMAGE_LINE,
    IMAGE_LINE +
      '              resources:\n                requests:\n                  nvidia.com/gpu: 1\n                limits:\n                  cpu: 2\n',
  );
  const d = validate(text).find((x) => x.code === 'GANTRY102')!;
  const e = (d.data as { fixes: { edits: { range: Range; newText: string }[] }[] }).fixes[0].edits[0];
  const lines = text.split('\n');
  const line = lines[e.range.start.line];
  lines[e.range.start.line] =
    line.slice(0, e.range.start.character) + e.newText + line.slice(e.range.end.character);
  const fixed = lines.join('\n');
  assert.match(fixed, /limits:\n {18}cpu: 2\n {18}nvidia\.com\/gpu: 1\n/);
  assert.equal(validate(fixed).filter((x) => x.code === 'GANTRY102').length, 0);
});

test('a document nested deeper than the parser can follow gets one diagnostic, not an exception', () => {
  let text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n';
  for (let d = 0; d < 6000; d++) text += `${' '.repeat(d + 2)}k${d}:\n`;
  const ds = validate(text);
  assert.equal(ds.length, 1, show(ds));
  assert.match(String(ds[0]!.message), /nests too deeply/);
  assert.equal(ds[0]!.range.start.line, 0);
});
