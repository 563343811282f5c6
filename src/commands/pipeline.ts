// Gantry: Show Pipeline Graph, on a KFP IR or Argo workflow YAML (editor title, CodeLens, palette) or an Argo
// Workflow row of ML Workloads. The panel loads on first use as dist/pipelineGraph.js; the `gantry:pipelineDoc`
// context key (editor title button) comes from a cheap check of the active document's text.
import * as vscode from 'vscode';
import type { WorkloadTreeNode } from '../core/tree';
import type { Host } from '../host';
import type * as Graphs from '../panels/pipelineGraph';
import type { Services } from '../services';
import type { CommandTable } from './types';

const CONTEXT_KEY = 'gantry:pipelineDoc';
const ARGO =
  /^apiVersion:\s*["']?argoproj\.io\/[^\n]*\n(?:.*\n)*?kind:\s*["']?(?:Workflow|WorkflowTemplate|CronWorkflow)\b|^kind:\s*["']?(?:Workflow|WorkflowTemplate|CronWorkflow)\b[^\n]*\n(?:.*\n)*?apiVersion:\s*["']?argoproj\.io\//m;
const KFP_KEYS = /^(?:pipelineInfo|root|components|deploymentSpec):/gm;

/** Whether a YAML text looks like a KFP IR or holds an Argo workflow document (the server has the last word). */
export function looksLikePipeline(text: string): boolean {
  const head = text.length > 200_000 ? text.slice(0, 200_000) : text;
  if (ARGO.test(head)) return true;
  const keys = new Set([...head.matchAll(KFP_KEYS)].map((m) => m[0]));
  return keys.size >= 2;
}

function hostFor(host: Host, s: Services): Graphs.GraphHost {
  return {
    log: host.log,
    extensionUri: host.extension.extensionUri,
    requestGraph: (p) => s.languageClient.pipelineGraph(p),
    workload: (id) => {
      const n = s.cluster.model?.workloads?.node(id);
      return n?.type === 'workload' ? n.object : undefined;
    },
    pods: (id) => s.cluster.model?.workloads?.podsOf(id) ?? [],
    onDidChangeWorkloads: (listener) => {
      let sub = s.cluster.model?.onDidChangeWorkloads(listener);
      const models = s.cluster.onDidChangeModel((m) => {
        sub?.dispose();
        sub = m?.onDidChangeWorkloads(listener);
        listener(['']);
      });
      return new vscode.Disposable(() => {
        sub?.dispose();
        models.dispose();
      });
    },
    followPod: async (namespace, name) => {
      await vscode.commands.executeCommand('gantry.followLogs', { type: 'pod', namespace, name });
    },
  };
}

export function pipelineCommands(host: Host): CommandTable {
  const setKey = (e: vscode.TextEditor | undefined): void => {
    const yes = !!e && e.document.languageId === 'yaml' && looksLikePipeline(e.document.getText());
    void vscode.commands.executeCommand('setContext', CONTEXT_KEY, yes);
  };
  let pending: NodeJS.Timeout | undefined;
  host.extension.subscriptions.push(
    vscode.window.onDidChangeActiveTextEditor(setKey),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document !== vscode.window.activeTextEditor?.document) return;
      if (pending) clearTimeout(pending);
      pending = setTimeout(() => setKey(vscode.window.activeTextEditor), 500);
    }),
    { dispose: () => pending && clearTimeout(pending) },
  );
  setKey(vscode.window.activeTextEditor);

  let graphs: Promise<Graphs.PipelineGraphs> | undefined;
  const panels = (): Promise<Graphs.PipelineGraphs> =>
    (graphs ??= Promise.all([import('../panels/pipelineGraph'), host.services()]).then(([m, s]) => {
      const g = new m.PipelineGraphs(hostFor(host, s));
      host.extension.subscriptions.push(g);
      return g;
    }));

  return {
    'gantry.showPipelineGraph': async (arg) => {
      const row = arg as WorkloadTreeNode | undefined;
      if (row && typeof row === 'object' && 'type' in row && row.type === 'workload') {
        if (row.kind.kind !== 'Workflow') {
          void vscode.window.showInformationMessage(
            `Gantry: ${row.kind.kind} has no pipeline graph; Argo Workflows do.`,
          );
          return;
        }
        const m = row.object.metadata;
        host.log.info(`pipeline graph of Workflow ${m.namespace ?? ''}/${m.name}`);
        (await panels()).showWorkflow(row.id, m.namespace ?? '', m.name);
        return;
      }
      const uri =
        typeof arg === 'string'
          ? vscode.Uri.parse(arg)
          : arg instanceof vscode.Uri
            ? arg
            : vscode.window.activeTextEditor?.document.uri;
      if (!uri) {
        void vscode.window.showInformationMessage(
          'Gantry: open a Kubeflow Pipelines IR file or an Argo Workflow, WorkflowTemplate or CronWorkflow to show its graph.',
        );
        return;
      }
      host.log.info(`pipeline graph of ${uri.toString(true)}`);
      const doc = await vscode.workspace.openTextDocument(uri);
      if (doc.languageId !== 'yaml') await vscode.languages.setTextDocumentLanguage(doc, 'yaml');
      (await panels()).showDocument(uri);
    },
  };
}
