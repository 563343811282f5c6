// The "Why Not Running?" fixes as edits of the workload's manifest in the workspace: find the document that
// declares the object, then change only that document, keeping comments and the other documents as written.

/* eslint-disable @typescript-eslint/no-explicit-any -- manifest JSON */

import { type Document, isSeq, parseAllDocuments, parseDocument } from 'yaml';
import { groupOf } from './kinds';
import { type WhyFix } from './whyNotRunning';

export interface ManifestTarget {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface ManifestHit {
  /** Index of the document in the file. */
  index: number;
  /** 0-based line where the document's content starts. */
  line: number;
}

/** The document of `text` that declares the target (same group, kind and name; namespace when both say). */
export function findManifest(text: string, t: ManifestTarget): ManifestHit | undefined {
  if (!text.includes(t.name)) return undefined;
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return undefined;
  for (let i = 0; i < docs.length; i++) {
    const d = docs[i].toJS({ maxAliasCount: 50 }) as any;
    if (!d || typeof d !== 'object') continue;
    if (d.kind !== t.kind || d.metadata?.name !== t.name) continue;
    if (typeof d.apiVersion !== 'string' || groupOf(d.apiVersion) !== groupOf(t.apiVersion)) continue;
    const ns = d.metadata?.namespace;
    if (ns && t.namespace && ns !== t.namespace) continue;
    const start = docs[i].contents?.range?.[0] ?? 0;
    return { index: i, line: text.slice(0, start).split('\n').length - 1 };
  }
  return undefined;
}

/** Paths of every pod spec in a workload object: `template.spec` at any depth, or a Pod's own spec. */
export function podSpecPaths(obj: any): (string | number)[][] {
  if (obj?.kind === 'Pod') return [['spec']];
  const out: (string | number)[][] = [];
  const walk = (v: any, path: (string | number)[]) => {
    if (!v || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, [...path, i]));
      return;
    }
    for (const [k, x] of Object.entries(v)) {
      const p = [...path, k];
      if (k === 'spec' && path[path.length - 1] === 'template' && Array.isArray((x as any)?.containers))
        out.push(p);
      else walk(x, p);
    }
  };
  walk(obj, []);
  return out;
}

export type FixResult = { ok: true; text: string; edits: number } | { ok: false; message: string };

function setIn(doc: Document, path: (string | number)[], value: unknown): void {
  doc.setIn(path, value);
}

/** Apply one fix to document `index` of `text`. `choice` picks among a fix's choices (a node selector value). */
export function applyFix(text: string, index: number, fix: WhyFix, choice?: string): FixResult {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs) || !docs[index]) return { ok: false, message: 'the manifest document is gone' };
  const src = docs[index];
  if (src.errors.length)
    return { ok: false, message: `the manifest has a YAML error: ${src.errors[0].message}` };
  const range = src.contents?.range;
  if (!range) return { ok: false, message: 'the manifest document is empty' };
  // Re-parse the document alone so edits and printing stay inside it.
  const doc = parseDocument(text.slice(range[0], range[2]));
  const obj = doc.toJS() as any;
  let edits = 0;
  const specs = podSpecPaths(obj);
  switch (fix.kind) {
    case 'addToleration': {
      for (const p of specs) {
        const tols: any[] = obj && (getJs(obj, [...p, 'tolerations']) ?? []);
        const t = fix.toleration;
        if (
          tols.some(
            (x) =>
              x?.key === t.key &&
              (x?.operator === 'Exists' || x?.value) &&
              (!x?.effect || x.effect === t.effect),
          )
        )
          continue;
        const node = doc.getIn([...p, 'tolerations']);
        const item = doc.createNode({ key: t.key, operator: t.operator, effect: t.effect });
        if (isSeq(node)) node.items.push(item);
        else
          setIn(
            doc,
            [...p, 'tolerations'],
            doc.createNode([{ key: t.key, operator: t.operator, effect: t.effect }]),
          );
        edits++;
      }
      break;
    }
    case 'setGpusPerPod': {
      for (const p of specs) {
        const containers: any[] = getJs(obj, [...p, 'containers']) ?? [];
        containers.forEach((c, i) => {
          for (const part of ['limits', 'requests']) {
            const v = c?.resources?.[part]?.[fix.resource];
            if (v !== undefined && Number(v) === fix.from) {
              setIn(doc, [...p, 'containers', i, 'resources', part, fix.resource], fix.to);
              edits++;
            }
          }
        });
      }
      break;
    }
    case 'setNodeSelector': {
      const value = choice ?? fix.choices[0];
      if (!value) return { ok: false, message: 'no value to choose' };
      for (const p of specs) {
        if (getJs(obj, [...p, 'nodeSelector', fix.key]) === fix.from) {
          setIn(doc, [...p, 'nodeSelector', fix.key], value);
          edits++;
        }
      }
      break;
    }
    case 'setQueue': {
      setIn(doc, ['metadata', 'labels', 'kueue.x-k8s.io/queue-name'], fix.queue);
      if (obj?.spec?.queueName !== undefined) setIn(doc, ['spec', 'queueName'], fix.queue);
      edits++;
      break;
    }
    case 'unsuspend': {
      if (getJs(obj, fix.path) === true) {
        setIn(doc, fix.path, false);
        edits++;
      }
      break;
    }
  }
  if (!edits)
    return { ok: false, message: 'the manifest already has this change (or no pod template to change)' };
  let printed = doc.toString({ lineWidth: 0 });
  // keep the document's trailing layout: the slice ended where its content ended
  if (!text.slice(range[0], range[2]).endsWith('\n')) printed = printed.replace(/\n$/, '');
  return { ok: true, text: text.slice(0, range[0]) + printed + text.slice(range[2]), edits };
}

function getJs(obj: any, path: readonly (string | number)[]): any {
  let v = obj;
  for (const k of path) {
    if (!v || typeof v !== 'object') return undefined;
    v = v[k];
  }
  return v;
}
