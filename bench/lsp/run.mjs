#!/usr/bin/env node
// Benchmark (not a test): time from didOpen / didChange to publishDiagnostics, Gantry's server vs yaml-language-server
// 1.x, both over stdio, both given the same Kubernetes schemas (yaml-language-server gets JSON Schemas derived from
// Gantry's bundled schemas/ through `yaml.schemas`, with the schema store and the CRD store off: no network).
// Corpus: every file of ../shared/crds/examples plus generated multi-document files of ~1k, ~10k and ~50k lines.
//
// yaml-language-server waits a fixed 200 ms (yamlSettings.validationDelayMs, not a setting) before validating an
// opened or changed document; it is started through yaml-ls-nodelay.cjs, which sets that delay to 0. Gantry is
// started with `initializationOptions.debounceMs: 0`. So both validate at once on open and on change, and the
// times are the validation work plus the LSP round trip. Both processes run with the same plain copy of
// process.env (see yaml-ls-nodelay.cjs). On an edit Gantry revalidates only the YAML document (between `---`)
// that changed and reuses the others' results; yaml-language-server revalidates the whole file: the change
// ratio compares those two designs, the open ratio compares validation of the same text.
//
// Usage: npm run bench:lsp [-- --runs N] [-- --only <substring>]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machine } from '../machine.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
// Generated schema, corpus files and results go under the git-ignored .cache/.
const out = path.join(root, '.cache', 'bench-lsp');
const args = process.argv.slice(2);
const runsArg = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : undefined;
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;

// --- yaml-language-server, installed on demand into bench/lsp/node_modules (bench/lsp/package.json pins it).
const ylsBin = path.join(here, 'node_modules', 'yaml-language-server', 'bin', 'yaml-language-server');
if (!existsSync(ylsBin)) {
  console.log('installing yaml-language-server into bench/lsp/node_modules ...');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
}
// Imported only now: before bench/lsp/node_modules exists, 'vscode-jsonrpc' resolves to the root's version 10,
// whose exports do not include './node.js'. From here it resolves to the version yaml-language-server installed.
const { StreamMessageReader, StreamMessageWriter, createMessageConnection } = await import(
  pathToFileURL(path.join(here, 'node_modules', 'vscode-jsonrpc', 'node.js')).href
);
const ylsVersion = JSON.parse(
  readFileSync(path.join(here, 'node_modules', 'yaml-language-server', 'package.json'), 'utf8'),
).version;
const serverJs = path.join(root, 'dist', 'server.js');
if (!existsSync(serverJs)) {
  console.error('dist/server.js is missing: run `npm run build` first (npm run bench:lsp does).');
  process.exit(1);
}

// --- JSON Schema for yaml-language-server from Gantry's bundle: every kind under `definitions`, dispatched on
// apiVersion + kind with if/then (one cheap `const` check per kind, no oneOf search). Objects with properties are
// closed (additionalProperties: false) unless they preserve unknown fields, as Gantry's validator treats them.
function buildJsonSchema() {
  const dir = path.join(root, 'schemas');
  const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8'));
  const defsFile = path.join(dir, 'defs.json');
  const defs = existsSync(defsFile) ? JSON.parse(readFileSync(defsFile, 'utf8')) : {};
  const refName = (ref) => ref.replace(/^#\/(definitions|components\/schemas)\//, '');
  // JSON pointer segments that need no escaping (yaml-language-server decodes %-escapes in $ref).
  const ids = new Map();
  const idOf = (name) => {
    let id = ids.get(name);
    if (!id) {
      id = `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}_${ids.size}`;
      ids.set(name, id);
    }
    return id;
  };
  const convert = (n) => {
    if (Array.isArray(n)) return n.map(convert);
    if (!n || typeof n !== 'object') return n;
    const o = {};
    for (const [k, v] of Object.entries(n)) {
      if (k === '$ref') o.$ref = `#/definitions/${idOf(refName(v))}`;
      else if (k === 'properties')
        o.properties = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, convert(s)]));
      else if (k.startsWith('x-gantry') || k === 'format') continue;
      else o[k] = convert(v);
    }
    if (o.nullable && typeof o.type === 'string') o.type = [o.type, 'null'];
    if (o['x-kubernetes-int-or-string']) o.type = ['integer', 'string'];
    if (o.properties && o.additionalProperties === undefined && !o['x-kubernetes-preserve-unknown-fields']) {
      o.additionalProperties = false;
    }
    return o;
  };
  const definitions = {};
  for (const [name, d] of Object.entries(defs)) definitions[idOf(name)] = convert(d);
  const allOf = [];
  for (const k of index.kinds) {
    const id = idOf(`kind:${k.apiVersion}/${k.kind}`);
    definitions[id] = convert(JSON.parse(readFileSync(path.join(dir, k.file), 'utf8')));
    allOf.push({
      if: {
        properties: { apiVersion: { const: k.apiVersion }, kind: { const: k.kind } },
        required: ['apiVersion', 'kind'],
      },
      then: { $ref: `#/definitions/${id}` },
    });
  }
  mkdirSync(out, { recursive: true });
  const file = path.join(out, 'kubernetes.schema.json');
  writeFileSync(
    file,
    JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', definitions, allOf }),
  );
  return file;
}

// --- Corpus.
function corpus() {
  const files = [];
  const examples = path.resolve(root, '..', 'shared', 'crds', 'examples');
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name))
        files.push({ name: path.relative(examples, p), text: readFileSync(p, 'utf8') });
    }
  };
  if (existsSync(examples)) walk(examples);
  else console.warn(`(no ${examples}: examples skipped)`);
  const pytorch = (i) => `apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: train-${i}
  namespace: team-${i % 7}
  labels:
    kueue.x-k8s.io/queue-name: gpu-queue
spec:
  runPolicy:
    cleanPodPolicy: None
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      restartPolicy: OnFailure
      template:
        spec:
          containers:
            - name: pytorch
              image: ghcr.io/example/train:1.${i}
              command: ["torchrun", "--nnodes=2", "train.py"]
              resources:
                requests:
                  cpu: "8"
                  memory: 64Gi
                  nvidia.com/gpu: 8
                limits:
                  nvidia.com/gpu: ${i % 10 === 4 ? 4 : 8}
    Worker:
      replicas: 3
      restartPolicy: OnFailure
      template:
        spec:
          containers:
            - name: pytorch
              image: ghcr.io/example/train:1.${i}
              ${i % 10 === 6 ? 'imagePullPolice' : 'imagePullPolicy'}: IfNotPresent
`;
  const job = (i) => `apiVersion: batch/v1
kind: Job
metadata:
  name: prep-${i}
spec:
  backoffLimit: 2
  ${i % 10 === 7 ? 'parallelizm' : 'parallelism'}: 4
  template:
    metadata:
      labels:
        app: prep
    spec:
      restartPolicy: Never
      containers:
        - name: prep
          image: busybox:1.36
          args: ["sh", "-c", "echo ${i}"]
          env:
            - name: SHARD
              value: "${i}"
          resources:
            limits:
              cpu: 500m
              memory: 256Mi
`;
  for (const target of [1_000, 10_000, 50_000]) {
    const docs = [];
    let lines = 0;
    for (let i = 0; lines < target; i++) {
      const d = i % 2 === 0 ? pytorch(i) : job(i);
      docs.push(d);
      lines += d.split('\n').length;
    }
    const name = `generated-${target / 1000}k.yaml`;
    const text = docs.join('---\n');
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, name), text);
    files.push({ name, text });
  }
  return only ? files.filter((f) => f.name.includes(only)) : files;
}

/** CPU time (ms) a process has used so far, all its threads (GC helpers too): /proc/<pid>/task/<tid>/schedstat. */
function cpuMs(pid) {
  let ns = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // The thread ended meanwhile.
      }
    }
  } catch {
    return NaN;
  }
  return ns / 1e6;
}

// --- LSP client over stdio.
function startServer(label, argv, settings, initializationOptions) {
  const child = spawn(process.execPath, [...argv, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], cwd: out });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c).length > 20000 && (stderr = stderr.slice(-10000)));
  const conn = createMessageConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  const waiters = new Map();
  conn.onNotification('textDocument/publishDiagnostics', (p) => {
    const w = waiters.get(p.uri);
    if (w) {
      waiters.delete(p.uri);
      w(p);
    }
  });
  conn.onNotification(() => undefined);
  conn.onRequest('workspace/configuration', (p) =>
    p.items.map((i) => (i.section === 'yaml' ? settings?.yaml : null)),
  );
  conn.onRequest(() => null);
  conn.listen();
  const wait = (uri, timeoutMs = 600_000) =>
    new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`${label}: no diagnostics for ${uri}\n${stderr}`)),
        timeoutMs,
      );
      waiters.set(uri, (p) => {
        clearTimeout(t);
        resolve(p);
      });
    });
  return {
    label,
    async init() {
      await conn.sendRequest('initialize', {
        processId: process.pid,
        rootUri: 'file:///gantry-bench',
        capabilities: { textDocument: { publishDiagnostics: {} }, workspace: { configuration: false } },
        workspaceFolders: [{ uri: 'file:///gantry-bench', name: 'bench' }],
        initializationOptions,
      });
      await conn.sendNotification('initialized', {});
      if (settings) await conn.sendNotification('workspace/didChangeConfiguration', { settings });
    },
    /** ms from didOpen to the first publishDiagnostics, the server's CPU ms meanwhile, and the diagnostics. */
    async open(uri, text) {
      const got = wait(uri);
      const c0 = cpuMs(child.pid);
      const t0 = performance.now();
      await conn.sendNotification('textDocument/didOpen', {
        textDocument: { uri, languageId: 'yaml', version: 1, text },
      });
      const p = await got;
      return { ms: performance.now() - t0, cpu: cpuMs(child.pid) - c0, diagnostics: p.diagnostics };
    },
    async change(uri, text) {
      const got = wait(uri);
      const t0 = performance.now();
      await conn.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: 2 },
        contentChanges: [{ text }],
      });
      const p = await got;
      return { ms: performance.now() - t0, diagnostics: p.diagnostics };
    },
    async close(uri) {
      const got = wait(uri, 60_000);
      await conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
      await got.catch(() => undefined);
    },
    async stop() {
      await Promise.race([conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 3000))]).catch(
        () => undefined,
      );
      await conn.sendNotification('exit').catch(() => undefined);
      conn.dispose();
      setTimeout(() => child.exitCode === null && child.kill(), 1000).unref();
    },
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** An edit in the middle of the file: one scalar of one document changes. */
function edited(text) {
  const lines = text.split('\n');
  const i = lines.findIndex((l, n) => n >= lines.length / 2 && /^\s+name: /.test(l));
  if (i >= 0) lines[i] = lines[i].replace(/name: (.*)$/, 'name: $1x');
  else lines.push('# edited');
  return lines.join('\n');
}

/**
 * Which problems each server reports, by line: found by both, only by Gantry, only by yaml-language-server,
 * with a few sample messages of each "only" set (the README lists the differences and why).
 */
function compareFindings(g, y) {
  const byLine = (ds) => {
    const m = new Map();
    for (const d of ds) {
      const l = d.range.start.line;
      if (!m.has(l)) m.set(l, d.message.split('\n')[0].slice(0, 120));
    }
    return m;
  };
  const gl = byLine(g);
  const yl = byLine(y);
  const both = [...gl.keys()].filter((l) => yl.has(l)).length;
  const only = (a, b) => [...a].filter(([l]) => !b.has(l));
  const sample = (xs) => [...new Set(xs.map(([, m]) => m.replace(/"[^"]*"/g, '"…"')))].slice(0, 4);
  const gOnly = only(gl, yl);
  const yOnly = only(yl, gl);
  return {
    linesBoth: both,
    linesGantryOnly: gOnly.length,
    linesYamlLsOnly: yOnly.length,
    gantryOnly: sample(gOnly),
    yamlLsOnly: sample(yOnly),
  };
}

const schemaFile = buildJsonSchema();
const files = corpus();
const gantry = startServer('gantry', [serverJs], undefined, { debounceMs: 0 });
const yls = startServer('yaml-ls', [path.join(here, 'yaml-ls-nodelay.cjs')], {
  yaml: {
    validate: true,
    hover: false,
    completion: false,
    format: { enable: false },
    schemaStore: { enable: false },
    kubernetesCRDStore: { enable: false },
    schemas: { [pathToFileURL(schemaFile).href]: ['*.yaml', '*.yml'] },
    yamlVersion: '1.1',
  },
});
await gantry.init();
await yls.init();

console.log(machine());
console.log(
  `Gantry ${JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version} vs yaml-language-server ${ylsVersion}, node ${process.version}`,
);
const rows = [];
let seq = 0;
for (const f of files) {
  const lines = f.text.split('\n').length;
  const runs = runsArg ?? (lines > 20_000 ? 3 : lines > 2_000 ? 5 : 11);
  const res = { gantry: { open: [], cpu: [], change: [] }, 'yaml-ls': { open: [], cpu: [], change: [] } };
  // One warm-up round (kinds' schemas load lazily on first use), then measured rounds; the two servers alternate
  // within a round so that load from elsewhere on the machine hits both alike.
  for (let r = 0; r <= runs; r++) {
    for (const s of r % 2 ? [yls, gantry] : [gantry, yls]) {
      // Virtual paths outside .cache/: yaml-language-server's globs skip dot-folders.
      const uri = `file:///gantry-bench/run${seq++}/${path.basename(f.name)}`;
      const o = await s.open(uri, f.text);
      const c = await s.change(uri, edited(f.text));
      await s.close(uri);
      if (r === 0) continue;
      res[s.label].open.push(o.ms);
      res[s.label].cpu.push(o.cpu);
      res[s.label].change.push(c.ms);
      res[s.label].diags = o.diagnostics.length;
      res[s.label].found = o.diagnostics;
    }
  }
  const g = res.gantry;
  const y = res['yaml-ls'];
  const m = (xs) => Math.max(0.1, median(xs));
  rows.push({
    file: f.name,
    lines,
    gOpen: m(g.open),
    yOpen: m(y.open),
    openRatio: m(y.open) / m(g.open),
    gCpu: m(g.cpu),
    yCpu: m(y.cpu),
    cpuRatio: m(y.cpu) / m(g.cpu),
    gChange: m(g.change),
    yChange: m(y.change),
    changeRatio: m(y.change) / m(g.change),
    gDiags: g.diags,
    yDiags: y.diags,
    findings: compareFindings(g.found ?? [], y.found ?? []),
  });
  process.stdout.write('.');
}
process.stdout.write('\n');
await gantry.stop();
await yls.stop();

const fmt = (n) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const header = [
  'file',
  'lines',
  'gantry ms',
  'yaml-ls ms',
  'ratio',
  'cpu: gantry',
  'yaml-ls',
  'ratio',
  'change: gantry',
  'yaml-ls',
  'ratio',
  'diags g/y',
];
const table = rows.map((r) => [
  r.file,
  String(r.lines),
  fmt(r.gOpen),
  fmt(r.yOpen),
  `${r.openRatio.toFixed(1)}x`,
  fmt(r.gCpu),
  fmt(r.yCpu),
  `${r.cpuRatio.toFixed(1)}x`,
  fmt(r.gChange),
  fmt(r.yChange),
  `${r.changeRatio.toFixed(1)}x`,
  `${r.gDiags}/${r.yDiags}`,
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
const line = (cells) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of table) console.log(line(r));
console.log(
  `\nms = median time from didOpen to publishDiagnostics; change = the same after a didChange of one line in the` +
    ` middle (Gantry revalidates only the edited YAML document, yaml-language-server the whole file); both servers without validation delay or debounce; cpu = CPU ms the server process used (all threads)` +
    ` between didOpen and publishDiagnostics, which load from elsewhere on the machine barely changes; ratio = yaml-ls / gantry.`,
);
const slower = rows.filter((r) => r.openRatio < 1);
const large = rows.filter((r) => r.lines >= 10_000);
const slowerCpu = rows.filter((r) => r.cpuRatio < 1);
console.log(
  `faster on every file (open, wall): ${slower.length === 0 ? 'yes' : `no (${slower.map((r) => r.file).join(', ')})`}; ` +
    `(open, cpu): ${slowerCpu.length === 0 ? 'yes' : `no (${slowerCpu.map((r) => r.file).join(', ')})`}; ` +
    `large files (>= 10k lines) open ratio wall ${large.map((r) => `${r.openRatio.toFixed(1)}x`).join(', ') || 'n/a'}` +
    `, cpu ${large.map((r) => `${r.cpuRatio.toFixed(1)}x`).join(', ') || 'n/a'}`,
);

console.log(
  '\nfindings by line (both / only Gantry / only yaml-ls), with sample messages of each side alone:',
);
for (const r of rows) {
  const f = r.findings;
  console.log(`  ${r.file}: ${f.linesBoth} / ${f.linesGantryOnly} / ${f.linesYamlLsOnly}`);
  for (const m of f.gantryOnly) console.log(`    only Gantry:  ${m}`);
  for (const m of f.yamlLsOnly) console.log(`    only yaml-ls: ${m}`);
}

writeFileSync(
  path.join(out, 'results.json'),
  JSON.stringify({ yamlLanguageServer: ylsVersion, rows }, null, 2),
);
