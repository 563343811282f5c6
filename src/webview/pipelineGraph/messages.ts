// Messages between the pipeline graph panel (src/panels/pipelineGraph.ts) and its webview. No vscode, no DOM.
import type { PipelineGraph } from '../../shared/protocol';

/** Argo node phases, plus what the graph shows for a node the workflow has not reached. */
export type NodePhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Error' | 'Skipped' | 'Omitted';

export type ToWebview =
  | {
      type: 'graph';
      graph: PipelineGraph;
      /** Where the graph comes from, shown in the toolbar. */
      source: string;
      /** Live Argo Workflow: the phase of each node id that has one. */
      phases?: Record<string, NodePhase>;
      /** Whether clicking a node follows its logs (live) or reveals it in the editor. */
      live: boolean;
      /** Problems of the whole document (parse errors) or the reason there is no graph. */
      message?: string;
    }
  | { type: 'phases'; phases: Record<string, NodePhase> }
  | { type: 'highlight'; id: string | undefined };

export type FromWebview =
  { type: 'ready' } | { type: 'select'; id: string } | { type: 'export'; svg: string };
