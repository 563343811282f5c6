// Submit / Submit All CodeLenses above each workload document of a manifest file. The commands belong to
// the client (gantry.submit, gantry.submitAll); the lenses carry the document URI and the YAML document index.
import type { CodeLens } from 'vscode-languageserver-types';
import { isWorkload, splitManifests } from '../core/manifests';
import { PipelineCommands, SubmitCommands } from '../shared/protocol';
import { type GraphInput, isPipelineDocument } from './pipelines/graph';

/** Lenses for a file: "Submit" on each workload document; "Submit All" too when the file has other objects. */
export function submitCodeLenses(uri: string, text: string): CodeLens[] {
  const { objects } = splitManifests(text);
  const out: CodeLens[] = [];
  const workloads = objects.filter((o) => isWorkload(o.object));
  for (const o of workloads) {
    const at = { line: o.firstLine, character: 0 };
    const range = { start: at, end: at };
    out.push({
      range,
      command: { title: 'Submit', command: SubmitCommands.submit, arguments: [uri, o.docIndex] },
    });
    if (objects.length > 1)
      out.push({
        range,
        command: { title: 'Submit All', command: SubmitCommands.submitAll, arguments: [uri] },
      });
  }
  return out;
}

/** "Show Pipeline Graph" above the first KFP IR or Argo workflow document of a file (the graph shows them all). */
export function pipelineCodeLenses(uri: string, docs: GraphInput[]): CodeLens[] {
  const first = docs.find((d) => isPipelineDocument(d.doc));
  if (!first) return [];
  const r = first.doc.doc.contents?.range;
  const line = first.line + (r ? first.doc.pos.range(r[0], r[0]).start.line : 0);
  const at = { line, character: 0 };
  return [
    {
      range: { start: at, end: at },
      command: { title: 'Show Pipeline Graph', command: PipelineCommands.showGraph, arguments: [uri] },
    },
  ];
}
