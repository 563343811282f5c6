// Whether a YAML text is worth a "Show Pipeline Graph" button: a cheap look at the text (the editor title's
// context key follows the active editor), the language server's parse has the last word.

const ARGO_API = /^apiVersion:\s*["']?argoproj\.io\//m;
const ARGO_KIND = /^kind:\s*["']?(?:Workflow|WorkflowTemplate|CronWorkflow)["']?\s*(?:#.*)?$/m;
const KFP_KEYS = /^(?:pipelineInfo|root|components|deploymentSpec):/gm;
/** Only the start of a huge file is looked at. */
const HEAD = 200_000;

/** A KFP IR (two of its top-level keys, as the server classifies it) or a document with an Argo workflow kind. */
export function looksLikePipeline(text: string): boolean {
  const head = text.length > HEAD ? text.slice(0, HEAD) : text;
  for (const doc of head.split(/^---[ \t]*(?:#.*)?$/m)) {
    if (ARGO_API.test(doc) && ARGO_KIND.test(doc)) return true;
    if (new Set([...doc.matchAll(KFP_KEYS)].map((m) => m[0])).size >= 2) return true;
  }
  return false;
}
