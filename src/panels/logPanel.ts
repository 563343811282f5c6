// The editor-area panel of a log session: a pseudoterminal opened with TerminalLocation.Editor. xterm.js draws
// the flood (ANSI colours per rank, Ctrl+F search, scroll lock by scrolling up) and this class only formats
// lines, filters them and batches writes. Why a terminal and not a webview or an output channel: README
// "Log panels". Closing the panel stops the session.
import * as vscode from 'vscode';
import {
  formatEntry,
  isEmptyFilter,
  makeFilter,
  type FilterSpec,
  type LineFilter,
  type LogEntry,
} from '../core/logMerge';
import type { FailureExplanation } from '../core/failureExplain';
import { LineBatcher } from '../core/logsBatch';
import { parseTimestamp } from '../core/logMerge';
import type { LogOptions, LogSession } from '../sessions/logFollow';

/** Rows of the panel until the terminal reports its size (a tall editor). */
const DEFAULT_ROWS = 200;
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
const CLEAR = '\x1b[2J\x1b[3J\x1b[H';

export interface LogPanelHost {
  readonly log: vscode.LogOutputChannel;
}

/** Where a workload's failure explanation comes from (the services' training-log reader). */
export interface FailureSource {
  evidence(): { failure: FailureExplanation; lines: readonly string[] } | undefined;
  /** Fires with workload ids whose explanation or progress changed; `matches` tells whether one is this panel's. */
  readonly onDidChange: vscode.Event<readonly string[]>;
  readonly workloadId: string;
}

const EVIDENCE_SCHEME = 'gantry-evidence';
/** The clickable words at the end of a failure line in a log panel. */
export const EVIDENCE_LINK = 'open the evidence';

/** The open log panels: finds a panel by its terminal and keeps the `gantry:logPanelActive` context key. */
export class LogPanels implements vscode.Disposable {
  private readonly _panels = new Map<string, LogPanel>();
  private readonly _subs: vscode.Disposable[];
  /** Evidence documents by URI path: a rank's tail with the failure's line selected. */
  private readonly _evidence = new Map<string, string>();

  constructor(private readonly _host: LogPanelHost) {
    this._subs = [
      vscode.window.onDidChangeActiveTerminal((t) => this.updateContext(t)),
      // A failure line in a panel ends with a link to the lines it comes from.
      vscode.window.registerTerminalLinkProvider({
        provideTerminalLinks: (ctx) => {
          const panel = this.panelOf(ctx.terminal);
          const at = ctx.line.lastIndexOf(EVIDENCE_LINK);
          if (!panel || at < 0 || !ctx.line.startsWith('⚠ ')) return [];
          return [
            Object.assign(
              new vscode.TerminalLink(at, EVIDENCE_LINK.length, 'Open the log lines this comes from'),
              {
                panel,
              },
            ),
          ];
        },
        handleTerminalLink: (link: vscode.TerminalLink & { panel?: LogPanel }) =>
          link.panel
            ?.openEvidence()
            .catch((e: unknown) =>
              this._host.log.error('log panel evidence', e instanceof Error ? e : String(e)),
            ),
      }),
      vscode.workspace.registerTextDocumentContentProvider(EVIDENCE_SCHEME, {
        provideTextDocumentContent: (uri) => this._evidence.get(uri.path) ?? '',
      }),
    ];
  }

  /** Shows `text` read-only (no save prompt on close) with line `line` selected. */
  async showEvidence(name: string, text: string, line: number): Promise<void> {
    const path = `/${name.replace(/[^A-Za-z0-9._-]+/g, '_')}.log`;
    this._evidence.set(path, text);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: EVIDENCE_SCHEME, path }));
    const l = Math.max(0, Math.min(line, doc.lineCount - 1));
    await vscode.window.showTextDocument(doc, {
      preview: true,
      selection: new vscode.Range(l, 0, l, doc.lineAt(l).text.length),
    });
  }

  private updateContext(t: vscode.Terminal | undefined): void {
    void vscode.commands.executeCommand('setContext', 'gantry:logPanelActive', !!this.panelOf(t));
  }

  /** The session's panel, opened (or brought forward) in the editor area. */
  open(session: LogSession): LogPanel {
    const existing = this._panels.get(session.id);
    if (existing) {
      existing.terminal.show();
      return existing;
    }
    const p = new LogPanel(session, this._host, this, () => {
      this._panels.delete(session.id);
      this.updateContext(vscode.window.activeTerminal);
    });
    this._panels.set(session.id, p);
    this.updateContext(p.terminal);
    return p;
  }

  /** Every option of a panel in one quick pick (the editor title button, the `o` key). */
  showOptions(p: LogPanel): Promise<void> {
    return showLogOptions(p);
  }

  panelOf(terminal: vscode.Terminal | undefined): LogPanel | undefined {
    for (const p of this._panels.values()) if (p.terminal === terminal) return p;
    return undefined;
  }

  dispose(): void {
    for (const s of this._subs) s.dispose();
    for (const p of [...this._panels.values()]) p.dispose();
    this._panels.clear();
    this._evidence.clear();
  }
}

export class LogPanel implements vscode.Disposable {
  readonly terminal: vscode.Terminal;
  private readonly _write = new vscode.EventEmitter<string>();
  private readonly _name = new vscode.EventEmitter<string>();
  private _title = '';
  private _failures?: FailureSource;
  /** The failure line last written (written again only when the explanation changes). */
  private _failureShown = '';
  private readonly _subs: vscode.Disposable[] = [];
  private _open = false;
  /** Batches writes to the terminal, keeping per batch only the lines the terminal can still hold. */
  private readonly _batch: LineBatcher<string | LogEntry>;
  private _rows = DEFAULT_ROWS;
  private _scrollback: number;
  private _filterSpec: FilterSpec = {};
  private _filter: LineFilter | undefined;
  private _timestamps = false;
  private _paused = false;
  /** Entries that arrived while paused (written on resume from the ring). */
  private _missed = 0;
  private _disposed = false;

  constructor(
    readonly session: LogSession,
    private readonly _host: LogPanelHost,
    private readonly _panels: Pick<LogPanels, 'showEvidence'>,
    private readonly _onDispose: () => void,
  ) {
    this._title = `Logs: ${session.target}`;
    const scrollback = () =>
      vscode.workspace.getConfiguration('terminal.integrated').get<number>('scrollback', 1000);
    this._scrollback = scrollback();
    // Entries are formatted when written: in a flood most of a batch's lines never are.
    this._batch = new LineBatcher<string | LogEntry>((text) => this._write.fire(text), {
      keepLines: () => this._scrollback + this._rows,
      format: (x) => (typeof x === 'string' ? x : this.format(x)),
      chars: (x) => (typeof x === 'string' ? x.length : x.text.length),
    });
    const pty: vscode.Pseudoterminal = {
      onDidWrite: this._write.event,
      onDidChangeName: this._name.event,
      open: () => {
        this._open = true;
        this.renderAll();
      },
      close: () => {
        // The user closed the panel: the session ends with it.
        this.session.stop('panel closed');
        this.dispose();
      },
      handleInput: (data) => this.onKey(data),
      setDimensions: (d) => {
        this._rows = d.rows;
      },
    };
    this.terminal = vscode.window.createTerminal({
      name: this._title,
      pty,
      location: vscode.TerminalLocation.Editor,
      iconPath: new vscode.ThemeIcon('output'),
      isTransient: true,
    });
    this.terminal.show();
    session.show = () => this.terminal.show();
    this._subs.push(
      session.onDidAppend((entries) => this.onAppend(entries)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('terminal.integrated.scrollback')) this._scrollback = scrollback();
      }),
      session.onDidReset(() => this.renderAll()),
      session.onDidChange(() => {
        if (session.isEnded) this.queue(`${DIM}— ${session.endReason ?? 'ended'} —${RESET}\r\n`);
      }),
      // The loss sparkline and the step in the panel's title, where they stay visible while lines scroll.
      session.onDidProgress(() => this.updateTitle()),
    );
  }

  private updateTitle(): void {
    // Formatted by the session (lazy bundle): the progress parser stays out of the activation bundle.
    const suffix = this.session.progressTitle();
    const title = `Logs: ${this.session.target}${suffix ? ` · ${suffix}` : ''}`;
    if (title === this._title || this._disposed) return;
    this._title = title;
    this._name.fire(title);
  }

  /** The panel's title now (tests read it through the terminal's name). */
  get title(): string {
    return this._title;
  }

  /** Writes a workload's failure explanation into the panel when there is one, and again when it changes. */
  attachFailures(src: FailureSource): void {
    this._failures = src;
    this._subs.push(src.onDidChange((ids) => ids.includes(src.workloadId) && this.showFailure()));
    this.showFailure();
  }

  private showFailure(): void {
    const ev = this._failures?.evidence();
    if (!ev) return;
    const r = ev.failure.root;
    const key = `${r.headline}|${r.evidence?.line ?? ''}`;
    if (key === this._failureShown) return;
    this._failureShown = key;
    const link = r.evidence ? ` — ${EVIDENCE_LINK}` : '';
    this.queue(`\x1b[1;31m⚠ ${r.headline}\x1b[0m${link}\r\n`);
    this.queue(`${DIM}  ${r.action}${RESET}\r\n`);
  }

  /** Opens the tail of the rank the failure's evidence is in, with that line selected. */
  async openEvidence(): Promise<void> {
    const ev = this._failures?.evidence();
    const e = ev?.failure.root.evidence;
    if (!ev || !e) return;
    const lines = ev.lines.map((l) => parseTimestamp(l).text);
    // A fact from the container state (index -1) is put after the tail.
    const text = e.index >= 0 ? lines.join('\n') : [...lines, e.line].join('\n');
    const line = e.index >= 0 ? e.index : lines.length;
    await this._panels.showEvidence(`${e.label}-last-lines`, text + '\n', line);
  }

  get filterSpec(): FilterSpec {
    return this._filterSpec;
  }
  get timestamps(): boolean {
    return this._timestamps;
  }
  get paused(): boolean {
    return this._paused;
  }

  private header(): string {
    const f = isEmptyFilter(this._filterSpec)
      ? ''
      : ` · filter: ${[
          this._filterSpec.text
            ? this._filterSpec.regex
              ? `/${this._filterSpec.text}/`
              : `"${this._filterSpec.text}"`
            : '',
          this._filterSpec.labels?.length ? this._filterSpec.labels.join(',') : '',
        ]
          .filter(Boolean)
          .join(' ')}`;
    return `${DIM}${this.session.target} · keys: o options, f filter, r ranks, t timestamps, p pause, s save, c clear${f}${RESET}\r\n`;
  }

  private format(e: LogEntry): string {
    return formatEntry(e, { colour: true, timestamps: this._timestamps }) + '\r\n';
  }

  private onAppend(entries: readonly LogEntry[]): void {
    if (this._paused) {
      this._missed += entries.length;
      return;
    }
    for (const e of entries) if (!this._filter || this._filter(e)) this.queue(e);
  }

  /** Queues one line (ending with \r\n) for the next write. */
  private queue(text: string | LogEntry): void {
    if (!this._open || this._disposed) return;
    this._batch.push(text);
  }

  private flush(): void {
    if (!this._disposed) this._batch.flush();
  }

  /** Clears the screen and writes what the ring holds, filtered. */
  renderAll(): void {
    if (!this._open || this._disposed) return;
    // The clear is written at once: a batch may leave out its first lines, never the clear.
    this._batch.reset();
    this._write.fire(CLEAR);
    this.queue(this.header());
    for (const e of this.session.ring.toArray()) if (!this._filter || this._filter(e)) this.queue(e);
    // The screen was cleared: the failure line (if any) goes after the lines again.
    this._failureShown = '';
    this.showFailure();
    this.flush();
  }

  setFilter(spec: FilterSpec): string | undefined {
    const f = makeFilter(spec);
    if (!f.ok) return f.message;
    this._filterSpec = spec;
    this._filter = isEmptyFilter(spec) ? undefined : f.filter;
    this.renderAll();
    return undefined;
  }

  setTimestamps(on: boolean): void {
    this._timestamps = on;
    this.renderAll();
  }

  togglePause(): void {
    this._paused = !this._paused;
    if (this._paused) {
      this.queue(`${DIM}— paused: new lines are kept; press p to resume —${RESET}\r\n`);
      this.flush();
      return;
    }
    const ring = this.session.ring;
    const from = Math.max(0, ring.size - this._missed);
    const missed = this._missed;
    this._missed = 0;
    this.queue(`${DIM}— resumed: ${missed.toLocaleString('en-US')} lines arrived meanwhile —${RESET}\r\n`);
    for (let i = from; i < ring.size; i++) {
      const e = ring.at(i)!;
      if (!this._filter || this._filter(e)) this.queue(e);
    }
    this.flush();
  }

  clear(): void {
    this.session.clear();
  }

  /** Writes what the ring holds (filtered as shown) as plain text. */
  async save(): Promise<void> {
    const uri = await vscode.window.showSaveDialog({
      title: 'Save Log',
      filters: { Log: ['log', 'txt'] },
      defaultUri: vscode.Uri.file(`${this.session.target.replace(/[^A-Za-z0-9._-]+/g, '_')}.log`),
    });
    if (!uri) return;
    const lines: string[] = [];
    for (const e of this.session.ring.toArray())
      if (!this._filter || this._filter(e)) lines.push(formatEntry(e, { timestamps: this._timestamps }));
    await vscode.workspace.fs.writeFile(uri, Buffer.from(lines.join('\n') + '\n', 'utf8'));
    void vscode.window.setStatusBarMessage(
      `Gantry: saved ${lines.length.toLocaleString('en-US')} lines`,
      4000,
    );
  }

  private onKey(data: string): void {
    const run = (p: Promise<unknown> | void) =>
      void Promise.resolve(p).catch((e: unknown) =>
        this._host.log.error('log panel', e instanceof Error ? e : String(e)),
      );
    switch (data) {
      case 'o':
        return run(showLogOptions(this));
      case 'f':
      case '/':
        return run(askFilter(this));
      case 'r':
        return run(askRanks(this));
      case 't':
        return this.setTimestamps(!this._timestamps);
      case 'p':
      case ' ':
        return this.togglePause();
      case 's':
        return run(this.save());
      case 'c':
        return this.clear();
      default:
        return;
    }
  }

  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    this._batch.dispose();
    this.session.show = undefined;
    for (const s of this._subs) s.dispose();
    this._write.dispose();
    this._name.dispose();
    this.terminal.dispose();
    this._onDispose();
  }
}

/** Text or /regex/ filter; empty shows everything. */
export async function askFilter(p: LogPanel): Promise<void> {
  const cur = p.filterSpec;
  const value = await vscode.window.showInputBox({
    title: 'Filter Log Lines',
    prompt: 'Text to show lines containing it, or /regex/. Empty: every line.',
    value: cur.text ? (cur.regex ? `/${cur.text}/` : cur.text) : '',
    validateInput: (v) => {
      const m = /^\/(.*)\/$/.exec(v);
      if (!m) return undefined;
      const r = makeFilter({ text: m[1], regex: true });
      return r.ok ? undefined : r.message;
    },
  });
  if (value === undefined) return;
  const m = /^\/(.*)\/$/.exec(value);
  p.setFilter({ ...cur, text: m ? m[1] : value, regex: !!m });
}

export async function askRanks(p: LogPanel): Promise<void> {
  const labels = p.session.labels();
  const shown = new Set(p.filterSpec.labels ?? []);
  const picks = await vscode.window.showQuickPick(
    labels.map((l) => ({ label: l, picked: shown.size === 0 || shown.has(l) })),
    { title: 'Show the Lines of', canPickMany: true },
  );
  if (!picks) return;
  const chosen = picks.map((x) => x.label);
  p.setFilter({ ...p.filterSpec, labels: chosen.length === labels.length ? undefined : chosen });
}

type OptionItem = vscode.QuickPickItem & { run: () => unknown };

/** Every option of the panel in one quick pick (also the editor title button and the `o` key). */
export async function showLogOptions(p: LogPanel): Promise<void> {
  const o = p.session.options;
  const history = o.all
    ? 'all'
    : o.sinceSeconds === 300
      ? '5m'
      : o.sinceSeconds === 3600
        ? '1h'
        : `tail ${o.tailLines ?? 300}`;
  const re = (next: LogOptions) => p.session.reconfigure(next);
  const items: OptionItem[] = [
    {
      label: 'Since 5 minutes ago',
      description: history === '5m' ? 'current' : '',
      run: () => re({ ...o, all: false, sinceSeconds: 300 }),
    },
    {
      label: 'Since 1 hour ago',
      description: history === '1h' ? 'current' : '',
      run: () => re({ ...o, all: false, sinceSeconds: 3600 }),
    },
    {
      label: 'All lines',
      description: history === 'all' ? 'current' : '',
      run: () => re({ ...o, all: true, sinceSeconds: undefined }),
    },
    {
      label: 'Tail Lines per Container…',
      description: history.startsWith('tail') ? history : '',
      run: async () => {
        const v = await vscode.window.showInputBox({
          title: 'Tail Lines per Container',
          value: String(o.tailLines ?? 300),
          validateInput: (s) => (/^\d+$/.test(s) ? undefined : 'A whole number'),
        });
        if (v !== undefined) re({ ...o, all: false, sinceSeconds: undefined, tailLines: Number(v) });
      },
    },
    {
      label: p.timestamps ? 'Hide Timestamps' : 'Show Timestamps',
      run: () => p.setTimestamps(!p.timestamps),
    },
    {
      label: o.previous ? 'Current Container' : 'Previous Container',
      description: o.previous ? 'showing the previous one' : '',
      run: () => re({ ...o, previous: !o.previous }),
    },
    {
      label: o.allContainers ? 'Main Container Only' : 'All Containers',
      run: () => re({ ...o, allContainers: !o.allContainers }),
    },
    {
      label: o.initContainers ? 'Without Init Containers' : 'With Init Containers',
      run: () => re({ ...o, initContainers: !o.initContainers }),
    },
    { label: p.paused ? 'Resume Auto-Scroll' : 'Pause Auto-Scroll', run: () => p.togglePause() },
    { label: 'Filter…', description: p.filterSpec.text ?? '', run: () => askFilter(p) },
    { label: 'Filter by Rank…', description: p.filterSpec.labels?.join(', ') ?? '', run: () => askRanks(p) },
    { label: 'Save to File…', run: () => p.save() },
    { label: 'Clear', run: () => p.clear() },
    { label: 'Stop', run: () => p.session.stop('stopped by you') },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: `Log Options: ${p.session.target}` });
  if (pick) await pick.run();
}
