// Show Pipeline Graph: a webview beside the editor with the DAG of a KFP IR file or of Argo workflow documents
// (from the language server's gantry/pipelineGraph), live with the editor (debounced updates on edit, click a
// node -> its range, cursor -> its node) or, for an Argo Workflow of ML Workloads, live with the cluster (nodes
// coloured by status.nodes phase, click a running or failed node -> follow its pod's logs). Loaded on first use
// as dist/pipelineGraph.js; the webview is its own browser bundle, dist/webview/pipelineGraph.js.
import * as vscode from 'vscode';
import { type KubeObject } from '../core/kube';
import { ARGO_NODE_NAME } from '../core/kinds';
import type { PipelineGraph, PipelineGraphParams } from '../shared/protocol';
import type { FromWebview, ToWebview } from '../webview/pipelineGraph/messages';
import { type ArgoStatusNode, argoPhases, nodeAt } from '../webview/pipelineGraph/model';

/** What the panels need from the rest of the extension (the services half, reached at run time). */
export interface GraphHost {
  log: vscode.LogOutputChannel;
  extensionUri: vscode.Uri;
  /** gantry/pipelineGraph (starts the language server when needed); undefined when it is not running. */
  requestGraph(params: PipelineGraphParams): Promise<PipelineGraph | undefined>;
  /** The workload object of a tree row id now, and a subscription to its changes. */
  workload(id: string): KubeObject | undefined;
  pods(id: string): KubeObject[];
  onDidChangeWorkloads(listener: (ids: readonly string[]) => void): vscode.Disposable;
  /** Follows the logs of a pod (gantry.followLogs). */
  followPod(namespace: string, name: string): Promise<void>;
}

const DEBOUNCE_MS = 300;
const VIEW_TYPE = 'gantry.pipelineGraph';

function nonce(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < 32; i++) s += chars.charAt(Math.floor(Math.random() * chars.length));
  return s;
}

function html(webview: vscode.Webview, script: vscode.Uri, title: string): string {
  const n = nonce();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src 'nonce-${n}'`,
    `script-src 'nonce-${n}'`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  const esc = (s: string): string =>
    s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${esc(title)}</title>
<style nonce="${n}">${STYLE}</style>
</head>
<body>
<div class="toolbar">
  <button id="fit" title="Fit to view">Fit</button>
  <button id="zoomIn" title="Zoom in">+</button>
  <button id="zoomOut" title="Zoom out">−</button>
  <button id="expandAll" title="Expand every nested DAG">Expand all</button>
  <button id="collapseAll" title="Collapse every nested DAG">Collapse all</button>
  <button id="export" title="Save the graph as an SVG file">Export SVG</button>
  <span id="info"></span>
</div>
<div id="root"></div>
<script nonce="${n}" src="${webview.asWebviewUri(script).toString()}"></script>
</body>
</html>`;
}

// Theme colours only (VS Code sets these variables in every webview); phases use the chart and testing colours.
const STYLE = `
body { padding: 0; margin: 0; color: var(--vscode-foreground); background: var(--vscode-editor-background);
  font-family: var(--vscode-font-family); font-size: 12px; overflow: hidden; }
.toolbar { display: flex; gap: 6px; align-items: center; padding: 6px 8px;
  border-bottom: 1px solid var(--vscode-panel-border, transparent); }
.toolbar button { background: var(--vscode-button-secondaryBackground); color: var(--vscode-button-secondaryForeground);
  border: none; padding: 3px 8px; border-radius: 2px; cursor: pointer; font: inherit; }
.toolbar button:hover { background: var(--vscode-button-secondaryHoverBackground); }
#info { color: var(--vscode-descriptionForeground); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
#root { position: absolute; top: 36px; left: 0; right: 0; bottom: 0; }
svg.graph { width: 100%; height: 100%; cursor: grab; user-select: none; }
.edge { fill: none; stroke: var(--vscode-descriptionForeground); stroke-width: 1.4; }
.arrow { fill: var(--vscode-descriptionForeground); }
.node { cursor: pointer; }
.node .box { fill: var(--vscode-editorWidget-background); stroke: var(--vscode-editorWidget-border, var(--vscode-contrastBorder, #888)); stroke-width: 1; }
.node.expanded .box { fill: transparent; stroke-dasharray: 4 3; }
.node.kind-exitHandler .box { stroke-dasharray: 2 2; stroke: var(--vscode-charts-purple); }
.node text { fill: var(--vscode-foreground); font-size: 12px; }
.node .name { font-weight: 600; }
.node .sub, .node .markers { fill: var(--vscode-descriptionForeground); font-size: 11px; }
.node .markers { fill: var(--vscode-charts-orange); font-size: 13px; }
.node .toggle { fill: var(--vscode-descriptionForeground); font-size: 12px; }
.node .problem { fill: var(--vscode-errorForeground); font-size: 11px; }
.node .phase { font-size: 11px; font-weight: 600; }
.node.has-error .box { stroke: var(--vscode-editorError-foreground); stroke-width: 2; }
.node.has-warning .box { stroke: var(--vscode-editorWarning-foreground); stroke-width: 1.5; }
.node.highlight .box { stroke: var(--vscode-focusBorder); stroke-width: 3; }
.node:focus { outline: none; }
.node:focus .box { stroke: var(--vscode-focusBorder); }
.node.phase-Succeeded .box { fill: color-mix(in srgb, var(--vscode-testing-iconPassed) 22%, var(--vscode-editor-background)); stroke: var(--vscode-testing-iconPassed); }
.node.phase-Running .box { fill: color-mix(in srgb, var(--vscode-charts-blue) 22%, var(--vscode-editor-background)); stroke: var(--vscode-charts-blue); }
.node.phase-Pending .box { stroke: var(--vscode-charts-yellow); stroke-dasharray: 5 3; }
.node.phase-Failed .box, .node.phase-Error .box { fill: color-mix(in srgb, var(--vscode-testing-iconFailed) 22%, var(--vscode-editor-background)); stroke: var(--vscode-testing-iconFailed); stroke-width: 2; }
.node.phase-Skipped .box, .node.phase-Omitted .box { opacity: 0.55; }
`;

type Source =
  { type: 'document'; uri: vscode.Uri } | { type: 'workload'; id: string; namespace: string; name: string };

class GraphPanel implements vscode.Disposable {
  private _graph?: PipelineGraph;
  private _byNode = new Map<string, ArgoStatusNode[]>();
  private _timer?: NodeJS.Timeout;
  private _seq = 0;
  private _ready = false;
  private _lastVersion = '';
  private readonly _subs: vscode.Disposable[] = [];

  constructor(
    readonly key: string,
    readonly panel: vscode.WebviewPanel,
    private readonly _source: Source,
    private readonly _host: GraphHost,
    onDispose: () => void,
  ) {
    panel.webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(_host.extensionUri, 'dist', 'webview')],
    };
    const script = vscode.Uri.joinPath(_host.extensionUri, 'dist', 'webview', 'pipelineGraph.js');
    panel.webview.html = html(panel.webview, script, panel.title);
    this._subs.push(
      panel.onDidDispose(() => {
        this.dispose();
        onDispose();
      }),
      panel.webview.onDidReceiveMessage((m: FromWebview) => void this.onMessage(m)),
    );
    if (_source.type === 'document') {
      const uri = _source.uri.toString();
      this._subs.push(
        vscode.workspace.onDidChangeTextDocument((e) => {
          if (e.document.uri.toString() === uri && e.contentChanges.length) this.schedule();
        }),
        vscode.window.onDidChangeTextEditorSelection((e) => {
          if (e.textEditor.document.uri.toString() !== uri || !this._graph) return;
          const p = e.selections[0]?.active;
          const n = p ? nodeAt(this._graph, p.line, p.character) : undefined;
          this.post({ type: 'highlight', id: n?.id });
        }),
      );
    } else {
      const id = _source.id;
      this._subs.push(
        _host.onDidChangeWorkloads((ids) => {
          if (ids.includes(id) || ids.includes('')) this.schedule();
        }),
      );
    }
  }

  reveal(): void {
    this.panel.reveal(vscode.ViewColumn.Beside, true);
  }

  schedule(delay = DEBOUNCE_MS): void {
    if (this._timer) clearTimeout(this._timer);
    this._timer = setTimeout(() => void this.update(), delay);
  }

  private post(m: ToWebview): void {
    if (this._ready) void this.panel.webview.postMessage(m);
  }

  async update(): Promise<void> {
    const seq = ++this._seq;
    try {
      const s = this._source;
      if (s.type === 'document') {
        const g = await this._host.requestGraph({ uri: s.uri.toString() });
        if (seq !== this._seq || !g) return;
        const name = vscode.workspace.asRelativePath(s.uri);
        // Mid-edit the file may not parse: the last graph stays, and says so.
        if (g.format === 'none' && this._graph?.nodes.length) {
          this.post({
            type: 'graph',
            graph: this._graph,
            source: name,
            live: false,
            message: 'the file holds no pipeline as it stands (see Problems); this is the last graph',
          });
          return;
        }
        this._graph = g;
        this.panel.title = `Graph: ${g.title || name}`;
        this.post({
          type: 'graph',
          graph: g,
          source: name,
          live: false,
          message:
            g.format === 'none'
              ? 'no KFP IR and no Argo Workflow, WorkflowTemplate or CronWorkflow in this file'
              : undefined,
        });
        return;
      }
      const w = this._host.workload(s.id);
      if (!w) {
        this.post({
          type: 'graph',
          graph: this._graph ?? { format: 'none', title: '', nodes: [], edges: [], cycles: [] },
          source: `${s.namespace}/${s.name}`,
          live: true,
          message: 'the workflow is gone from the cluster (deleted, or another context or namespace)',
        });
        return;
      }
      // The spec only changes on resubmission; the status on every step.
      const version = JSON.stringify((w as { spec?: unknown }).spec ?? null);
      if (!this._graph || version !== this._lastVersion) {
        const { status: _status, ...manifest } = w as KubeObject & { status?: unknown };
        const g = await this._host.requestGraph({
          uri: `gantry-live:/${s.namespace}/${s.name}`,
          text: JSON.stringify(manifest),
        });
        if (seq !== this._seq || !g) return;
        this._graph = g;
        this._lastVersion = version;
        const { phases, byNode } = argoPhases(g, w);
        this._byNode = byNode;
        this.post({ type: 'graph', graph: g, source: `${s.namespace}/${s.name}`, live: true, phases });
        return;
      }
      const { phases, byNode } = argoPhases(this._graph, w);
      this._byNode = byNode;
      this.post({ type: 'phases', phases });
    } catch (e) {
      this._host.log.error(`pipeline graph of ${this.key} failed`, e instanceof Error ? e : String(e));
    }
  }

  private async onMessage(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        this._ready = true;
        this._graph = undefined;
        await this.update();
        return;
      case 'select':
        await this.select(m.id);
        return;
      case 'export':
        await this.export(m.svg);
        return;
    }
  }

  private async select(id: string): Promise<void> {
    const n = this._graph?.nodes.find((x) => x.id === id);
    if (!n) return;
    const s = this._source;
    if (s.type === 'document') {
      const doc = await vscode.workspace.openTextDocument(s.uri);
      const shown = vscode.window.visibleTextEditors.find(
        (e) => e.document.uri.toString() === s.uri.toString(),
      );
      const r = new vscode.Range(
        n.range.start.line,
        n.range.start.character,
        n.range.end.line,
        n.range.end.character,
      );
      await vscode.window.showTextDocument(doc, {
        viewColumn: shown?.viewColumn ?? vscode.ViewColumn.One,
        selection: r,
        preserveFocus: false,
      });
      return;
    }
    const status = this._byNode.get(id) ?? [];
    const pods = status.filter(
      (x) => x.type === 'Pod' && (x.phase === 'Running' || x.phase === 'Failed' || x.phase === 'Error'),
    );
    if (!pods.length) {
      void vscode.window.showInformationMessage(
        `Gantry: ${n.name} has no running or failed pod to follow${status.length ? '' : ' (the workflow has not reached it)'}.`,
      );
      return;
    }
    const names = new Set(pods.map((p) => p.name));
    const pod = this._host.pods(s.id).find((p) => names.has(p.metadata.annotations?.[ARGO_NODE_NAME] ?? ''));
    if (!pod) {
      void vscode.window.showInformationMessage(`Gantry: the pod of ${n.name} is gone from the cluster.`);
      return;
    }
    await this._host.followPod(pod.metadata.namespace ?? s.namespace, pod.metadata.name);
  }

  private async export(svg: string): Promise<void> {
    const base =
      this._source.type === 'document'
        ? this._source.uri.with({ path: this._source.uri.path.replace(/\.ya?ml$/i, '') + '.graph.svg' })
        : vscode.Uri.joinPath(
            vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(process.cwd()),
            `${this._source.name}.graph.svg`,
          );
    const target = await vscode.window.showSaveDialog({
      defaultUri: base.scheme === 'file' ? base : undefined,
      filters: { SVG: ['svg'] },
      title: 'Export Pipeline Graph',
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(svg));
    void vscode.window.setStatusBarMessage(
      `Gantry: graph saved to ${vscode.workspace.asRelativePath(target)}`,
      5000,
    );
  }

  dispose(): void {
    if (this._timer) clearTimeout(this._timer);
    for (const s of this._subs.splice(0)) s.dispose();
  }
}

/** The open graph panels, one per document or workflow; disposed with the extension. */
export class PipelineGraphs implements vscode.Disposable {
  private readonly _panels = new Map<string, GraphPanel>();

  constructor(private readonly _host: GraphHost) {}

  showDocument(uri: vscode.Uri): void {
    this.open(`doc:${uri.toString()}`, `Graph: ${uri.path.split('/').pop() ?? ''}`, {
      type: 'document',
      uri,
    });
  }

  showWorkflow(id: string, namespace: string, name: string): void {
    this.open(`wf:${id}`, `Graph: ${name}`, { type: 'workload', id, namespace, name });
  }

  private open(key: string, title: string, source: Source): void {
    const known = this._panels.get(key);
    if (known) {
      known.reveal();
      known.schedule(0);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      VIEW_TYPE,
      title,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, retainContextWhenHidden: true },
    );
    panel.iconPath = vscode.Uri.joinPath(this._host.extensionUri, 'media', 'gantry.svg');
    this._panels.set(key, new GraphPanel(key, panel, source, this._host, () => this._panels.delete(key)));
  }

  dispose(): void {
    for (const p of [...this._panels.values()]) p.panel.dispose();
    this._panels.clear();
  }
}
