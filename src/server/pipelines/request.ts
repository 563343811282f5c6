// gantry/pipelineGraph: the graph of a document's text, with the validator's diagnostics on its nodes. The
// validator is the document's own (its cached parse and results are reused) or a throwaway one for a text that
// is not an open document.
import type { PipelineGraph } from '../../shared/protocol';
import type { Validator } from '../validation/api';
import { pipelineGraphOf } from './graph';

export function pipelineGraphFor(v: Validator | undefined, text: string, uri = ''): PipelineGraph {
  if (!v) return pipelineGraphOf([], []);
  const diagnostics = v.validate(text, uri);
  const docs = v.documents(text, uri).map(({ chunk, doc }) => ({ line: chunk.startLine, doc }));
  return pipelineGraphOf(docs, diagnostics);
}
