// The Sessions view: every log stream and port-forward the user started, with its state, until dismissed.
import * as vscode from 'vscode';
import type { SessionManager } from '../sessions/manager';
import type { SessionState, UserSession } from '../sessions/session';

export interface SessionRow {
  readonly sessionId: string;
}

const STATE_WORD: Record<SessionState, string> = {
  starting: 'starting',
  live: 'live',
  waiting: 'waiting',
  reconnecting: 'reconnecting',
  ended: 'ended',
  failed: 'failed',
};

const STATE_ICON: Record<SessionState, vscode.ThemeIcon> = {
  starting: new vscode.ThemeIcon('loading~spin'),
  live: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  waiting: new vscode.ThemeIcon('watch'),
  reconnecting: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('problemsWarningIcon.foreground')),
  ended: new vscode.ThemeIcon('circle-slash'),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground')),
};

const KIND_WORD = { logs: 'Logs', portForward: 'Forward' } as const;

/** Refreshes at most this often while sessions report progress (line counts). */
const REFRESH_MS = 250;

export function isRunning(s: UserSession): boolean {
  return s.state !== 'ended' && s.state !== 'failed';
}

/** contextValue of a row; package.json menus match `viewItem =~ /^gantry\.session\.\w+\.running/` etc. */
export function sessionContextValue(s: UserSession): string {
  return [
    'gantry.session',
    s.kind,
    isRunning(s) ? 'running' : 'ended',
    ...(s.url && isRunning(s) ? ['url'] : []),
    ...(s.show ? ['panel'] : []),
  ].join('.');
}

export class SessionsView implements vscode.TreeDataProvider<SessionRow>, vscode.Disposable {
  private readonly _onDidChange = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this._onDidChange.event;
  readonly view: vscode.TreeView<SessionRow>;
  private _manager: SessionManager | undefined;
  private _sub: { dispose(): void } | undefined;
  private _timer: NodeJS.Timeout | undefined;

  constructor() {
    this.view = vscode.window.createTreeView('gantry.sessions', { treeDataProvider: this });
  }

  attach(manager: SessionManager): void {
    this._manager = manager;
    this._sub?.dispose();
    this._sub = manager.onDidChange(() => this.schedule());
    this.render();
  }

  private schedule(): void {
    if (this._timer) return;
    this._timer = setTimeout(() => {
      this._timer = undefined;
      this.render();
    }, REFRESH_MS);
  }

  private render(): void {
    const all = this._manager?.list() ?? [];
    const running = all.filter(isRunning).length;
    this.view.badge = running ? { value: running, tooltip: `${running} running` } : undefined;
    void vscode.commands.executeCommand('setContext', 'gantry:sessions', all.length);
    this._onDidChange.fire(undefined);
  }

  getChildren(element?: SessionRow): SessionRow[] {
    if (element || !this._manager) return [];
    return this._manager.list().map((s) => ({ sessionId: s.id }));
  }

  getTreeItem(row: SessionRow): vscode.TreeItem {
    const s = this._manager?.get(row.sessionId);
    if (!s) return new vscode.TreeItem('(gone)');
    const item = new vscode.TreeItem(`${KIND_WORD[s.kind]}: ${s.target}`);
    item.id = s.id;
    const words = [STATE_WORD[s.state], s.detail || s.endReason].filter(Boolean);
    item.description = words.join(' · ');
    item.iconPath = STATE_ICON[s.state];
    item.contextValue = sessionContextValue(s);
    const tip = new vscode.MarkdownString();
    tip.appendMarkdown(`**${KIND_WORD[s.kind]}** ${s.target}\n\n`);
    tip.appendMarkdown(`Context: \`${s.context}\`\n\nState: ${STATE_WORD[s.state]}`);
    if (s.detail) tip.appendMarkdown(`\n\n${s.detail}`);
    if (s.endReason) tip.appendMarkdown(`\n\nEnded: ${s.endReason}`);
    item.tooltip = tip;
    if (s.show) item.command = { command: 'gantry.showSession', title: 'Show Panel', arguments: [row] };
    return item;
  }

  dispose(): void {
    if (this._timer) clearTimeout(this._timer);
    this._sub?.dispose();
    this.view.dispose();
    this._onDidChange.dispose();
  }
}
