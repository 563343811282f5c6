// Adapts a pure tree model (children by id, changed ids) to a TreeDataProvider. VS Code matches refreshed
// elements by object identity, so the provider hands out one element object per id and refreshes those.
import * as vscode from 'vscode';
import { ROOT, type NodeBase } from '../core/tree';

/**
 * Gantry's refresh events of one tree are this far apart at least. VS Code's extension host debounces a tree's
 * events (200 ms, leading edge): an event within 200 ms of the one before waits until 200 ms pass without
 * another, so a stream of kind lists and watch changes 30-150 ms apart would hold a refresh back for as long
 * as it lasts (seen: the first rows waiting 0.2-1.5 s). Events spaced wider than that go out at once.
 */
export const TREE_EVENT_SPACING_MS = 250;

export interface TreeEventTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTreeTimers: TreeEventTimers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

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
  /** Refreshes waiting for the spacing: the whole tree, or these elements. */
  private _pending: 'all' | Set<N> | undefined;
  private _lastFired = -Infinity;
  private _timer: unknown;
  private readonly _timers: TreeEventTimers;
  private readonly _spacingMs: number;

  constructor(
    private readonly _decorate: (node: N, item: vscode.TreeItem) => void,
    o: { timers?: TreeEventTimers; spacingMs?: number } = {},
  ) {
    this._timers = o.timers ?? realTreeTimers;
    this._spacingMs = o.spacingMs ?? TREE_EVENT_SPACING_MS;
  }

  /** Tells VS Code what changed: at once when the last event is TREE_EVENT_SPACING_MS old, else merged and later. */
  private fire(elements: N[] | undefined): void {
    if (elements === undefined) this._pending = 'all';
    else if (this._pending !== 'all') {
      this._pending ??= new Set();
      for (const e of elements) this._pending.add(e);
    }
    if (this._timer !== undefined) return;
    const wait = this._lastFired + this._spacingMs - this._timers.now();
    if (wait <= 0) this.firePending();
    else this._timer = this._timers.setTimeout(() => this.firePending(), wait);
  }

  private firePending(): void {
    this._timer = undefined;
    const p = this._pending;
    this._pending = undefined;
    if (!p) return;
    this._lastFired = this._timers.now();
    this._onDidChange.fire(p === 'all' ? undefined : [...p]);
  }

  /** A new model (after connect, context switch or rebuild): everything is new. */
  setModel(model: TreeModelLike<N> | undefined): void {
    this._model = model;
    this._elements = new Map();
    this.fire(undefined);
  }

  get isEmpty(): boolean {
    return !this._model || this._model.children(ROOT).length === 0;
  }

  /** Refreshes the nodes with these ids (ROOT or an unknown parent refreshes the whole tree). */
  refresh(ids: readonly string[]): void {
    if (ids.includes(ROOT)) {
      this._elements = new Map();
      this.fire(undefined);
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
        this._elements = new Map();
        this.fire(undefined);
        return;
      }
      known.add(parent);
    }
    if (known.size) this.fire([...known]);
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
    if (changed.length) this.fire(changed);
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
    if (this._timer !== undefined) this._timers.clearTimeout(this._timer);
    this._timer = undefined;
    this._pending = undefined;
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
