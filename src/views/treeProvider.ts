// Adapts a pure tree model (children by id, changed ids) to a TreeDataProvider. VS Code matches refreshed
// elements by object identity, so the provider hands out one element object per id and refreshes those.
import * as vscode from 'vscode';
import { ROOT, type NodeBase } from '../core/tree';

export interface TreeModelLike<N extends { id: string }> {
  children(id?: string): N[];
  /** The current node for an id (cheaper than listing its parent's children). */
  node?(id: string): N | undefined;
}

/** What a tree row needs; the core tree models' nodes all have it. */
export type TreeNodeBase = NodeBase;

export class ModelTreeProvider<N extends TreeNodeBase>
  implements vscode.TreeDataProvider<N>, vscode.Disposable
{
  private readonly _onDidChange = new vscode.EventEmitter<N | N[] | undefined>();
  readonly onDidChangeTreeData = this._onDidChange.event;
  private _elements = new Map<string, N>();
  private _model: TreeModelLike<N> | undefined;
  /**
   * A whole-view refresh was fired and VS Code has not asked for the root's rows since. Further events are
   * not fired meanwhile: the rows it will ask for are the newest anyway, and VS Code's extension host holds a
   * tree's events back until 200 ms pass without one (extHostTreeViews: Event.debounce, leading), so a stream
   * of changes (the lists still arriving after the first rows) delayed the first rows for as long as it lasted.
   */
  private _rootPending = false;

  constructor(private readonly _decorate: (node: N, item: vscode.TreeItem) => void) {}

  /** A new model (after connect, context switch or rebuild): everything is new. */
  setModel(model: TreeModelLike<N> | undefined): void {
    this._model = model;
    this.refreshAll();
  }

  /** Every row is new: VS Code asks for the root's rows again. */
  private refreshAll(): void {
    this._elements = new Map();
    if (this._rootPending) return;
    this._rootPending = true;
    this._onDidChange.fire(undefined);
  }

  /** Element events, unless a whole-view refresh VS Code has not acted on yet will show them anyway. */
  private fireElements(elements: N[]): void {
    if (elements.length && !this._rootPending) this._onDidChange.fire(elements);
  }

  get isEmpty(): boolean {
    return !this._model || this._model.children(ROOT).length === 0;
  }

  /** Refreshes the nodes with these ids (ROOT or an unknown parent refreshes the whole tree). */
  refresh(ids: readonly string[]): void {
    if (ids.includes(ROOT)) {
      this.refreshAll();
      return;
    }
    const known = new Set<N>();
    for (const id of ids) {
      const el = this._elements.get(id);
      // Never shown (collapsed parent): nothing to refresh until it is expanded.
      if (!el) continue;
      // VS Code refreshes an element by calling getTreeItem(element) only, so the kept element must carry the
      // node's new content (status, counts) before the event fires.
      const fresh = this._fresh(el);
      if (fresh) {
        assignNode(el, fresh);
        known.add(el);
        continue;
      }
      // Gone: its parent lists the remaining children.
      const parent = el.parent ? this._elements.get(el.parent) : undefined;
      if (!parent) {
        this.refreshAll();
        return;
      }
      known.add(parent);
    }
    this.fireElements([...known]);
  }

  /**
   * Refreshes the rows shown so far whose label or description now reads differently (ages that moved).
   * Not a whole-view refresh: that makes VS Code forget every row it handed out, so a context-menu command
   * chosen meanwhile would receive no row.
   */
  refreshChangedRows(): void {
    const changed: N[] = [];
    for (const el of this._elements.values()) {
      const fresh = this._fresh(el);
      if (!fresh || (fresh.label === el.label && fresh.description === el.description)) continue;
      assignNode(el, fresh);
      changed.push(el);
    }
    this.fireElements(changed);
  }

  private _fresh(el: N): N | undefined {
    const m = this._model;
    if (!m) return undefined;
    if (m.node) return m.node(el.id);
    return m.children(el.parent || ROOT).find((n) => n.id === el.id);
  }

  /** Called with the rows each getChildren hands to the view (the sidebar logs when the first workloads go). */
  onDidHandOut: ((rows: readonly N[]) => void) | undefined;

  getChildren(element?: N): N[] {
    if (!element) this._rootPending = false;
    if (!this._model) return [];
    const fresh = this._model.children(element?.id ?? ROOT);
    this.onDidHandOut?.(fresh);
    return fresh.map((n) => {
      const prev = this._elements.get(n.id);
      if (prev) {
        assignNode(prev, n);
        return prev;
      }
      this._elements.set(n.id, n);
      return n;
    });
  }

  /** The element for an id with its ancestors known, so TreeView.reveal can walk up from it. */
  element(id: string): N | undefined {
    const n = this._model?.node?.(id);
    if (!n) return undefined;
    if (n.parent && n.parent !== ROOT) this.element(n.parent);
    const prev = this._elements.get(id);
    if (prev) {
      assignNode(prev, n);
      return prev;
    }
    this._elements.set(id, n);
    return n;
  }

  getParent(element: N): N | undefined {
    return element.parent ? this._elements.get(element.parent) : undefined;
  }

  getTreeItem(node: N): vscode.TreeItem {
    const item = new vscode.TreeItem(
      node.label,
      node.collapsible === 'none'
        ? vscode.TreeItemCollapsibleState.None
        : node.collapsible === 'expanded'
          ? vscode.TreeItemCollapsibleState.Expanded
          : vscode.TreeItemCollapsibleState.Collapsed,
    );
    item.id = node.id;
    item.description = node.description;
    item.contextValue = node.contextValue;
    this._decorate(node, item);
    return item;
  }

  /** Tooltips are built on hover only (a workload's conditions and events table is not free). */
  resolveTreeItem(item: vscode.TreeItem, node: N): vscode.TreeItem {
    const tip = node.tooltip;
    if (tip) {
      const md = new vscode.MarkdownString(tip);
      md.supportHtml = false;
      md.isTrusted = false;
      item.tooltip = md;
    }
    return item;
  }

  dispose(): void {
    this._onDidChange.dispose();
  }
}

/** Keeps the identity VS Code knows, with the new content (the tooltip getter stays lazy). */
function assignNode<N extends object>(prev: N, n: N): void {
  for (const key of Object.keys(n) as (keyof N)[]) {
    const d = Object.getOwnPropertyDescriptor(n, key)!;
    Object.defineProperty(prev, key, { ...d, configurable: true });
  }
}
