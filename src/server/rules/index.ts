// The ML rules (GANTRY1nn, docs/rules.md), run per document after the schema check.
import type { Diagnostic } from 'vscode-languageserver-types';
import type { Node, ParsedDocument } from '../validation/ast';
import type { ClusterFacts } from '../validation/types';
import { argoRules, kfpRules } from './graphs';
import { podSites } from './podTemplates';
import { gpuLiveRules, gpuOfflineRules, nprocRule, shmRule } from './resources';
import { imageRule, jobRestartPolicyRule, kueueQueueRule, replicaRoleRules } from './workloads';

export { POD_TEMPLATE_TABLE, podSites, type PodSite, type ContainerSite } from './podTemplates';

function group(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** Rules that need only the document. */
export function runOfflineRules(d: ParsedDocument, out: Diagnostic[]): void {
  const root = d.doc.contents as Node | null;
  if (!root) return;
  const { pos, apiVersion, kind } = d;
  const sites = podSites(root, apiVersion, kind);
  for (const site of sites) {
    gpuOfflineRules(site, pos, out);
    jobRestartPolicyRule(site, kind, pos, out);
    imageRule(site, pos, out);
    shmRule(site, pos, out);
  }
  if (d.what === 'kubernetes') {
    replicaRoleRules(root, apiVersion, kind, pos, out);
    nprocRule(root, kind, sites, pos, out);
    if (group(apiVersion) === 'argoproj.io') argoRules(root, kind, pos, out);
  } else if (d.what === 'kfp-ir') {
    kfpRules(root, pos, out);
  }
}

/** Rules that compare the document with the connected cluster. */
export function runLiveRules(d: ParsedDocument, facts: ClusterFacts, out: Diagnostic[]): void {
  const root = d.doc.contents as Node | null;
  if (!root || d.what !== 'kubernetes') return;
  for (const site of podSites(root, d.apiVersion, d.kind)) gpuLiveRules(site, facts, d.pos, out);
  kueueQueueRule(root, facts, d.pos, out);
}
