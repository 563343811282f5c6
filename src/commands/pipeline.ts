// Gantry: Show Pipeline Graph, on a KFP IR or Argo workflow YAML (editor title, CodeLens, palette) or an Argo
// Workflow row of ML Workloads. The panel loads on first use as dist/pipelineGraph.js; the `gantry:pipelineDoc`
// context key (editor title button) comes from a cheap check of the active document's text.
import * as vscode from 'vscode';
import { kindKey } from '../core/kube';
import { looksLikePipeline } from '../core/pipelineFiles';
import type { WorkloadTreeNode } from '../core/tree';
import type { Host } from '../host';
import type { ClusterModel } from '../model/clusterModel';
import type * as Graphs from '../panels/pipelineGraph';
import type { Services } from '../services';
import type { CommandTable } from './types';

const CONTEXT_KEY = 'gantry:pipelineDoc';

function hostFor(host: Host, s: Services): Graphs.GraphHost {
  return {
    log: host.log,
    extensionUri: host.extension.extensionUri,
    requestGraph: (p) => s.languageClient.pipelineGraph(p),
    // The cache's object, not the tree row's: a row keeps its object while its rendering does not change, and
    // a node of the workflow can change phase without changing the row.
    workload: (id) => {
      const m = s.cluster.model;
      const n = m?.workloads?.node(id);
      if (n?.type !== 'workload') return undefined;
      const { namespace, name } = n.object.metadata;
      for (const o of m!.source.objectsOf(kindKey(n.kind)))
        if (o.metadata.name === name && o.metadata.namespace === namespace) return o;
      return n.object;
    },
    pods: (id) => s.cluster.model?.workloads?.podsOf(id) ?? [],
    onDidChangeWorkloads: (listener) => {
      const watch = (m: ClusterModel | undefined): vscode.Disposable[] =>
        m
          ? [
              m.onDidChangeWorkloads(listener),
              m.source.onDidChange((cs) => {
                if (cs.some((c) => c.kind.group === 'argoproj.io')) listener(['']);
              }),
            ]
          : [];
      let subs = watch(s.cluster.model);
      const models = s.cluster.onDidChangeModel((m) => {
        for (const d of subs) d.dispose();
        subs = watch(m);
        listener(['']);
      });
      return new vscode.Disposable(() => {
        for (const d of subs) d.dispose();
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
