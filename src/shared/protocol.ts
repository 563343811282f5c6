// The Gantry client <-> language server protocol, declared once and imported by both sides
// (src/lsp/ and src/server/): every message is a typed NotificationType / RequestType constant here, and no
// method name is spelled anywhere else. No vscode and no server imports: vscode-languageserver-protocol is
// what the language client and the language server both bundle already.
// Models: rust-analyzer editors/code/src/lsp_ext.ts, vscode-eslint $shared/customMessages.ts.
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';
import type { Diagnostic, Range } from 'vscode-languageserver-types';

/** What the server needs to know about a cluster for its rules (GANTRY1xx). Mirrors the validator's ClusterFacts. */
export interface ClusterFactsPayload {
  nodes: {
    name: string;
    labels: Record<string, string>;
    allocatable: Record<string, string>;
    taints: { key: string; value?: string; effect: string }[];
    unschedulable?: boolean;
  }[];
  localQueues: { namespace: string; name: string }[];
  /** Namespace of documents without metadata.namespace (the context's namespace, else 'default'). */
  defaultNamespace: string;
}

/**
 * Live schemas of a cluster. Either the `/openapi/v3` group-version documents themselves, keyed by their path
 * (`api/v1`, `apis/kubeflow.org/v1`...), or the path of a JSON file holding that same map (the cache written by
 * src/k8s/openapi.ts), which the server reads itself so that megabytes of schema don't cross the IPC channel.
 */
export type LiveSchemas = { docs: Record<string, unknown> } | { file: string };

/**
 * Client -> server notification: the current cluster changed (context switch, reconnect, CRDs installed).
 * `clusterId: null` means "no cluster": validate with the bundled schemas only and no cluster facts.
 * Live schemas win over the bundled ones for the kinds they define; the server remembers them per clusterId,
 * so switching back to a cluster seen before needs no `schemas`. Every open document is revalidated.
 */
export interface ClusterChangedParams {
  clusterId: string | null;
  schemas?: LiveSchemas;
  facts?: ClusterFactsPayload;
}
export const clusterChanged = new NotificationType<ClusterChangedParams>('gantry/clusterChanged');

/** Server -> client notification sent after a clusterChanged was applied (or failed to load its schemas). */
export interface ClusterAppliedParams {
  clusterId: string | null;
  /** Number of (apiVersion, kind) pairs the server validates against now. */
  kinds: number;
  /** True when live schemas of this cluster are in use. */
  live: boolean;
  /** Set when the live schemas could not be read; the server then keeps validating with the bundled ones. */
  error?: string;
}
export const clusterApplied = new NotificationType<ClusterAppliedParams>('gantry/clusterApplied');

/** Diagnostic codes the server offers quick fixes for (the codes belong to the validator). */
export const DiagnosticCodes = {
  limitBelowRequest: 'GANTRY102',
} as const;

// --- Submit -------------------------------------------------------------------------------------------------

/** A field the apiserver rejected in a dry run, in YAML document `docIndex` of the file (empty documents count). */
export interface DryRunCause {
  docIndex: number;
  /** Kubernetes field path: `spec.template.spec.containers[0].image`, `metadata.labels[app.kubernetes.io/name]`. */
  fieldPath: string;
  message: string;
}

export interface DryRunDiagnosticsParams {
  uri: string;
  /** The text that was submitted, when the document is not open in the editor (explorer submit). */
  text?: string;
  causes: DryRunCause[];
}

/**
 * Client -> server request: where in the open document each dry-run cause is (the server owns positions).
 * The answer's diagnostics carry code `dry-run`; the client shows them until the document changes.
 */
export const dryRunDiagnostics = new RequestType<DryRunDiagnosticsParams, Diagnostic[], void>(
  'gantry/dryRunDiagnostics',
);

/** Commands the server's Submit / Submit All CodeLenses run (the client registers them). */
export const SubmitCommands = {
  /** Arguments: the document URI (string) and the YAML document index (number). */
  submit: 'gantry.submit',
  /** Argument: the document URI (string). */
  submitAll: 'gantry.submitAll',
} as const;

// --- Pipeline graph -----------------------------------------------------------------------------------------

/** task: a KFP task or Argo DAG task; step: an Argo step; dag: a nested DAG or steps group (collapsible). */
export type PipelineNodeKind = 'task' | 'step' | 'dag' | 'exitHandler';

export interface PipelineNodeProblem {
  message: string;
  /** 1 error, 2 warning, 3 information, 4 hint (LSP DiagnosticSeverity). */
  severity: number;
  code?: string;
}

export interface PipelineNode {
  /** Unique in the answer; stable across edits that keep the node's name and its parents' names. */
  id: string;
  name: string;
  kind: PipelineNodeKind;
  /** The KFP component or Argo template it runs (`name/template` for an Argo templateRef). */
  ref?: string;
  image?: string;
  /** The node's name in the file (click -> reveal). */
  range: Range;
  /** The node's whole YAML (cursor -> highlight). */
  extent: Range;
  /** Id of the enclosing `dag` node; none at the top. */
  parent?: string;
  /** How it repeats: `parallelFor`, `withItems`, `withParam`, `withSequence`, with what it iterates over. */
  loop?: string;
  /** When it runs: KFP `triggerPolicy.condition`, Argo `when`. */
  condition?: string;
  /**
   * Argo: the node's name in a Workflow's `status.nodes` after the workflow's name (`.A`, `[0].step`,
   * `.A.inner`, `.onExit`), loop expansions left out.
   */
  statusName?: string;
  /** The server's diagnostics inside the node's YAML (not those of its nested nodes). */
  problems: PipelineNodeProblem[];
}

export interface PipelineEdge {
  from: string;
  to: string;
}

export interface PipelineGraph {
  /** What the file is, or `none` when it holds no KFP IR and no Argo workflow. */
  format: 'kfp' | 'argo' | 'none';
  title: string;
  nodes: PipelineNode[];
  /** Dependencies between siblings (same parent), producer -> consumer; edges that close a cycle are left out. */
  edges: PipelineEdge[];
  /** Each dependency cycle once, as node ids (first repeated last). */
  cycles: string[][];
}

export interface PipelineGraphParams {
  uri: string;
  /** A manifest that is not an open document (an Argo Workflow from the cluster, as JSON or YAML). */
  text?: string;
}

/** Client -> server request: the DAG of a KFP IR file or of the Argo Workflow documents of a file. */
export const pipelineGraph = new RequestType<PipelineGraphParams, PipelineGraph, void>(
  'gantry/pipelineGraph',
);

/** The command the server's "Show Pipeline Graph" CodeLens runs (argument: the document URI). */
export const PipelineCommands = {
  showGraph: 'gantry.showPipelineGraph',
} as const;
