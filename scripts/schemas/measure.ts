// Quick figures for the validation engine (the formal benchmark is bench/lsp): bundle size, store load,
// first and cached validation of a 1,000-line and a 50,000-line multi-document file, and one edit.
// Usage: npx tsx scripts/schemas/measure.ts
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaStore } from '../../src/server/schema/store';
import { Validator } from '../../src/server/validation/validator';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const schemas = join(repo, 'schemas');
const examples = join(repo, '..', 'shared', 'crds', 'examples');

function files(d: string): string[] {
  return readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? files(join(d, n)) : [join(d, n)]));
}
const bytes = files(schemas).reduce((s, f) => s + statSync(f).size, 0);

/** CPU time (user + system) of `f`, in ms: steadier than wall time on a shared machine. */
function ms(f: () => void): number {
  const t = process.cpuUsage();
  f();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000;
}

/** Median of `runs` timings (the machine is shared; medians resist GC and JIT noise). */
function median(f: (i: number) => void, runs: number): number {
  const xs = Array.from({ length: runs }, (_, i) => ms(() => f(i))).sort((a, b) => a - b);
  return xs[Math.floor(runs / 2)];
}

const docs = files(examples)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => readFileSync(f, 'utf8').replace(/\n*$/, '\n'));

/** Concatenates example documents (varied kinds) until the file has `lines` lines. */
function build(lines: number): string {
  const out: string[] = [];
  let n = 0;
  for (let i = 0; n < lines; i++) {
    const d = docs[i % docs.length].replace(/^---\n/, '');
    out.push(`# copy ${i}\n${d}`);
    n += d.split('\n').length;
  }
  return out.join('---\n');
}

let store!: SchemaStore;
const load = ms(() => (store = SchemaStore.fromBundled(schemas)));
const out: string[] = [`schemas/: ${files(schemas).length} files, ${(bytes / 1024).toFixed(0)} KiB`];
out.push(`SchemaStore.fromBundled: ${load.toFixed(1)} ms (index only; kinds load lazily)`);
for (const lines of [1000, 50000]) {
  const text = build(lines);
  const realLines = text.split('\n').length;
  const v = new Validator(store);
  const cold = ms(() => v.validate(text));
  const runs = lines > 10000 ? 3 : 9;
  const noCache = median(() => new Validator(store).validate(text), runs);
  const warm = median(() => v.validate(text), runs);
  // Edits in different documents: only the edited document is parsed and checked again.
  const edit = median((i) => {
    const at = text.indexOf('name:', Math.floor((text.length * (i + 1)) / (runs + 2)));
    v.validate(text.slice(0, at) + `name: edited-${i}-` + text.slice(at + 5));
  }, runs);
  out.push(
    `${realLines} lines / ${text.split('\n---\n').length} documents: first ${cold.toFixed(0)} ms (cold JIT, lazy schema loads), ` +
      `full ${noCache.toFixed(1)} ms, unchanged ${warm.toFixed(1)} ms, one document edited ${edit.toFixed(1)} ms (median CPU time)`,
  );
}
process.stdout.write(out.join('\n') + '\n');
