// Shared test helpers for the validation engine tests (pure: no LSP).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { Diagnostic } from 'vscode-languageserver-types';
import { SchemaStore } from '../../../src/server/schema/store';
import type { ClusterFacts } from '../../../src/server/validation/api';
import { Validator } from '../../../src/server/validation/validator';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CRDS = resolve(REPO, '..', 'shared', 'crds');
export const EXAMPLES = join(CRDS, 'examples');

let store: SchemaStore | undefined;
export function bundled(): SchemaStore {
  return (store ??= SchemaStore.fromBundled(join(REPO, 'schemas')));
}

export function validate(text: string, facts?: ClusterFacts): Diagnostic[] {
  return new Validator(bundled(), facts).validate(text);
}

export function listFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => (statSync(join(dir, n)).isDirectory() ? listFiles(join(dir, n)) : [join(dir, n)]));
}

export function examples(): { name: string; text: string }[] {
  return listFiles(EXAMPLES)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => ({ name: f.slice(EXAMPLES.length + 1), text: readFileSync(f, 'utf8') }));
}

export function example(name: string): string {
  return readFileSync(join(EXAMPLES, name), 'utf8');
}

/** Line/character (0-based) of the `nth` occurrence of `needle` (plus `skip` characters into it). */
export function loc(text: string, needle: string, nth = 0, skip = 0): { line: number; character: number } {
  let i = -1;
  for (let k = 0; k <= nth; k++) {
    i = text.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`"${needle}" #${nth} not in text`);
  }
  i += skip;
  const before = text.slice(0, i);
  const line = before.split('\n').length - 1;
  return { line, character: i - (before.lastIndexOf('\n') + 1) };
}

/** The range of `word` where it occurs (nth) after `anchor`'s first occurrence. */
export function rangeOf(text: string, word: string, nth = 0): Diagnostic['range'] {
  const start = loc(text, word, nth);
  return { start, end: { line: start.line, character: start.character + word.length } };
}

export function only(ds: Diagnostic[], code: string): Diagnostic[] {
  return ds.filter((d) => d.code === code);
}

export function problems(ds: Diagnostic[]): Diagnostic[] {
  return ds.filter((d) => d.severity === 1 || d.severity === 2);
}

export function show(ds: Diagnostic[]): string {
  return ds.map((d) => `${d.range.start.line}:${d.range.start.character} ${d.code} ${d.message}`).join('\n');
}

/** The fixture node pool (test/fixtures/nodes/*.yaml) as ClusterFacts. */
export function fixtureFacts(localQueues: ClusterFacts['localQueues'] = []): ClusterFacts {
  const dir = join(REPO, 'test', 'fixtures', 'nodes');
  const nodes: ClusterFacts['nodes'] = [];
  for (const f of listFiles(dir).filter((x) => x.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(f, 'utf8'))) {
      const n = doc.toJS() as {
        kind?: string;
        metadata: { name: string; labels?: Record<string, string> };
        spec?: { taints?: { key: string; value?: string; effect: string }[]; unschedulable?: boolean };
        status?: { allocatable?: Record<string, string> };
      } | null;
      if (n?.kind !== 'Node') continue;
      nodes.push({
        name: n.metadata.name,
        labels: n.metadata.labels ?? {},
        allocatable: n.status?.allocatable ?? {},
        taints: n.spec?.taints ?? [],
        unschedulable: n.spec?.unschedulable,
      });
    }
  }
  return { nodes, localQueues, defaultNamespace: 'default' };
}
