// End-to-end harness: the packaged .vsix in real VS Code (code-server) driven through Debian's chromium.
// One `Workbench` = one isolated code-server (own HOME, user-data, extensions dirs) + one browser, torn down by
// close(). Scenarios use the helpers below instead of raw selectors, so a VS Code DOM change is fixed here once.
// See test/e2e/README.md.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const outputRoot = join(repoRoot, '.test-output', 'e2e');
const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  name: string;
  publisher: string;
  version: string;
};
/** The extension id as VS Code knows it, e.g. `gantry-dev.gantry`. */
export const extensionId = `${manifest.publisher}.${manifest.name}`;

/** code-server version: scripts/e2e/setup.sh is the one place that names it. */
export function codeServerVersion(): string {
  const m = /^CS_VERSION=(\S+)/m.exec(readFileSync(join(repoRoot, 'scripts', 'e2e', 'setup.sh'), 'utf8'));
  if (!m) throw new Error('scripts/e2e/setup.sh does not set CS_VERSION');
  return m[1];
}

/** entry.js of the code-server that setup.sh installed (or GANTRY_CODE_SERVER_DIR). */
export function codeServerEntry(): string {
  const dir =
    process.env.GANTRY_CODE_SERVER_DIR ??
    join(
      process.env.GANTRY_CACHE ?? join(homedir(), '.cache', 'gantry'),
      `code-server-${codeServerVersion()}`,
    );
  const entry = join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (!existsSync(entry)) {
    throw new Error(`code-server is not installed at ${dir}. Run: npm run setup:e2e`);
  }
  return entry;
}

export const chromiumPath = process.env.GANTRY_CHROMIUM ?? '/usr/bin/chromium';

export interface LaunchOptions {
  /** Names the output folder (.test-output/e2e/<name>/) for screenshots and logs. */
  name: string;
  /** The .vsix to install; default gantry-<version>.vsix in the repo root (`npm run package`). */
  vsix?: string;
  /** More .vsix files to install next to Gantry (e.g. a fixture from packageExtension()). */
  extraVsix?: string[];
  /** Files to create in the temp HOME, relative path -> content (e.g. '.kube/config'). */
  homeFiles?: Record<string, string>;
  /** Files to create in the opened workspace folder, relative path -> content. */
  files?: Record<string, string>;
  /**
   * Environment of code-server and so of the extension host. HOME is a fresh empty dir and KUBECONFIG is unset
   * unless given here; `undefined` removes a variable. E.g. { KUBECONFIG: cluster.kubeconfig }.
   */
  env?: Record<string, string | undefined>;
  /** User settings merged over the quiet defaults below. */
  settings?: Record<string, unknown>;
  /** Browser viewport. */
  viewport?: { width: number; height: number };
  /**
   * Attach the browser to a code-server something else runs (the demo): open `url`, read logs from `userData`.
   * Nothing is installed or started, and close() leaves that code-server running.
   */
  attach?: { url: string; userData: string };
  /**
   * Forwarded ports on their own host (`http://<port>.localhost:<code-server port>/`, code-server's
   * `--proxy-domain localhost:<its port>`) instead of code-server's default `/proxy/<port>/` path, which strips
   * the path prefix (a Kubeflow notebook's absolute `/notebook/<ns>/<name>/` assets then miss).
   */
  proxyDomain?: boolean;
}

export interface TreeItem {
  label: string;
  description: string;
  /** 1 for top-level items. */
  level: number;
  /** undefined for leaves. */
  expanded: boolean | undefined;
}

// Quiet, deterministic workbench: no welcome page or walkthroughs, no telemetry, no update or gallery checks.
const baseSettings: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.reduceMotion': 'on',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'git.autoRepositoryDetection': false,
};

const codeServerFlags = [
  '--auth',
  'none',
  '--disable-telemetry',
  '--disable-update-check',
  '--disable-workspace-trust',
  '--disable-getting-started-override',
];

const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--lang=en-US',
];

/** A port free on 127.0.0.1 now (code-server binds it right after). */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolvePort(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Polls `probe` until it returns a value other than undefined/false, or throws after `timeout` ms. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeout = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(250);
  }
}

/** Packages the extension folder `dir` (a test fixture) into a .vsix in `outDir` with vsce, returns its path. */
export function packageExtension(dir: string, outDir: string): string {
  const out = join(outDir, `${basename(dir)}.vsix`);
  const r = spawnSync(
    process.execPath,
    [
      join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce'),
      'package',
      '--no-dependencies',
      '--allow-missing-repository',
      '--skip-license',
      '--out',
      out,
    ],
    { cwd: dir, encoding: 'utf8', timeout: 60_000 },
  );
  if (r.status !== 0) throw new Error(`vsce package in ${dir} failed:\n${r.stdout}${r.stderr}`);
  return out;
}

/** Starts code-server with the .vsix installed, opens the workspace in chromium, waits for the workbench. */
export async function launch(options: LaunchOptions): Promise<Workbench> {
  const wb = new Workbench(options);
  try {
    await wb.start();
  } catch (e) {
    await wb.close({ failed: true, reason: 'launch' });
    throw e;
  }
  return wb;
}

export class Workbench {
  readonly name: string;
  /** Temp root holding every dir below; removed on close unless GANTRY_E2E_KEEP=1. */
  readonly root: string;
  readonly dirs: {
    home: string;
    userData: string;
    extensions: string;
    workspace: string;
    browser: string;
  };
  /** Where screenshots and collected logs of this scenario go. */
  readonly outputDir: string;
  /** Console errors and uncaught exceptions of the page. */
  readonly pageErrors: string[] = [];
  url = '';
  private _page: Page | undefined;
  private _browser: BrowserContext | undefined;
  private _server: ChildProcess | undefined;
  private _serverOutput = '';
  private readonly _env: NodeJS.ProcessEnv;
  private _closed = false;

  constructor(private readonly options: LaunchOptions) {
    this.name = options.name;
    this.root = mkdtempSync(join(tmpdir(), `gantry-e2e-${options.name}-`));
    this.dirs = {
      home: join(this.root, 'home'),
      userData: join(this.root, 'user-data'),
      extensions: join(this.root, 'extensions'),
      workspace: join(this.root, 'workspace'),
      browser: join(this.root, 'browser'),
    };
    for (const d of Object.values(this.dirs)) mkdirSync(d, { recursive: true });
    this.outputDir = join(outputRoot, options.name);
    rmSync(this.outputDir, { recursive: true, force: true });
    mkdirSync(this.outputDir, { recursive: true });

    const env: NodeJS.ProcessEnv = { ...process.env };
    // A VS Code terminal's variables would route code-server's CLI to that VS Code instead.
    for (const k of Object.keys(env)) if (k.startsWith('VSCODE_')) delete env[k];
    delete env.KUBECONFIG;
    Object.assign(env, {
      HOME: this.dirs.home,
      XDG_CONFIG_HOME: join(this.dirs.home, '.config'),
      XDG_DATA_HOME: join(this.dirs.home, '.local', 'share'),
      XDG_CACHE_HOME: join(this.dirs.home, '.cache'),
    });
    for (const [k, v] of Object.entries(options.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    this._env = env;
  }

  get page(): Page {
    if (!this._page) throw new Error('the workbench is not started');
    return this._page;
  }

  /** Everything code-server printed (its own log, not the extension host's). */
  get serverOutput(): string {
    return this._serverOutput;
  }

  get vsixPath(): string {
    return this.options.vsix ?? join(repoRoot, `${manifest.name}-${manifest.version}.vsix`);
  }

  /** Runs code-server's CLI (e.g. --install-extension, --list-extensions) against this workbench's dirs. */
  cli(...args: string[]): string {
    const r = spawnSync(
      process.execPath,
      [
        codeServerEntry(),
        '--extensions-dir',
        this.dirs.extensions,
        '--user-data-dir',
        this.dirs.userData,
        ...args,
      ],
      { env: this._env, encoding: 'utf8', timeout: 120_000 },
    );
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    if (r.status !== 0)
      throw new Error(`code-server ${args.join(' ')} exited ${r.status ?? r.signal}:\n${out}`);
    return out;
  }

  /** Output of installing the .vsix (kept for assertions). */
  installOutput = '';

  async start(): Promise<void> {
    if (this.options.attach) {
      this.dirs.userData = this.options.attach.userData;
      return this.openBrowser(this.options.attach.url);
    }
    if (!existsSync(this.vsixPath)) throw new Error(`${this.vsixPath} does not exist. Run: npm run package`);
    if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} does not exist. Run: npm run setup:e2e`);
    const seed = (dir: string, files: Record<string, string> = {}) => {
      for (const [rel, content] of Object.entries(files)) {
        const p = join(dir, rel);
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, content);
      }
    };
    seed(this.dirs.workspace, this.options.files);
    seed(this.dirs.home, this.options.homeFiles);
    const userDir = join(this.dirs.userData, 'User');
    mkdirSync(userDir, { recursive: true });
    writeFileSync(
      join(userDir, 'settings.json'),
      JSON.stringify({ ...baseSettings, ...this.options.settings }, null, 2),
    );
    // code-server writes a config with a random password to ~/.config on first run; flags win over it anyway.
    const config = join(this.root, 'code-server.yaml');
    writeFileSync(config, 'auth: none\ncert: false\n');

    this.installOutput = this.cli('--install-extension', this.vsixPath);
    for (const extra of this.options.extraVsix ?? []) this.cli('--install-extension', extra);

    // --proxy-domain needs the port in advance (the domain is `localhost:<port>`); otherwise any free port.
    const fixed = this.options.proxyDomain ? await freeLoopbackPort() : 0;
    const server = spawn(
      process.execPath,
      [
        codeServerEntry(),
        '--config',
        config,
        '--bind-addr',
        `127.0.0.1:${fixed}`,
        ...(fixed ? ['--proxy-domain', `localhost:${fixed}`] : []),
        ...codeServerFlags,
        '--extensions-dir',
        this.dirs.extensions,
        '--user-data-dir',
        this.dirs.userData,
      ],
      // Own process group, so close() can end code-server with its extension host, pty and watcher children.
      { env: this._env, cwd: this.dirs.workspace, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this._server = server;
    const port = await new Promise<number>((resolvePort, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`code-server did not report its port in 60 s:\n${this._serverOutput}`)),
        60_000,
      );
      const take = (chunk: Buffer) => {
        this._serverOutput += chunk.toString();
        const m = /HTTP server listening on https?:\/\/[^:]+:(\d+)/.exec(this._serverOutput);
        if (m) {
          clearTimeout(timer);
          resolvePort(Number(m[1]));
        }
      };
      server.stdout?.on('data', take);
      server.stderr?.on('data', take);
      server.on('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`code-server exited (${code ?? signal}) before listening:\n${this._serverOutput}`));
      });
    });

    // Browse to localhost, not 127.0.0.1: VS Code web treats localhost as a secure context.
    await this.openBrowser(`http://localhost:${port}/?folder=${encodeURIComponent(this.dirs.workspace)}`);
  }

  private async openBrowser(url: string): Promise<void> {
    this.url = url;
    this._browser = await chromium.launchPersistentContext(this.dirs.browser, {
      executablePath: chromiumPath,
      headless: true,
      args: chromiumFlags,
      viewport: this.options.viewport ?? { width: 1400, height: 900 },
      locale: 'en-US',
    });
    // Nothing leaves the machine: the workbench would otherwise try the extension gallery, CDNs, telemetry.
    // `<port>.localhost` is code-server's domain proxy (Chromium resolves *.localhost to loopback itself).
    const local = (host: string) => ['localhost', '127.0.0.1'].includes(host) || host.endsWith('.localhost');
    await this._browser.route(
      (u) => !local(u.hostname) && u.protocol !== 'data:' && u.protocol !== 'blob:',
      (route) => route.abort('internetdisconnected'),
    );
    const page = this._browser.pages()[0] ?? (await this._browser.newPage());
    this._page = page;
    page.on('console', (m) => {
      if (m.type() === 'error') this.pageErrors.push(m.text());
    });
    page.on('pageerror', (e) => this.pageErrors.push(String(e)));
    await page.goto(this.url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    // The activity bar is drawn once the extension host has registered contributed containers.
    await page.locator('.activitybar').waitFor({ timeout: 60_000 });
  }

  // ---- logs -------------------------------------------------------------------------------------------------

  /** The session log folders under <user-data>/logs/<timestamp>/, newest last. */
  private logSessions(): string[] {
    const logs = join(this.dirs.userData, 'logs');
    if (!existsSync(logs)) return [];
    return readdirSync(logs)
      .sort()
      .map((d) => join(logs, d));
  }

  private readLogs(pick: (session: string) => string[]): string {
    const parts: string[] = [];
    for (const s of this.logSessions()) {
      for (const f of pick(s)) if (existsSync(f)) parts.push(readFileSync(f, 'utf8'));
    }
    return parts.join('\n');
  }

  private exthostDirs(session: string): string[] {
    return readdirSync(session)
      .filter((d) => /^exthost\d+$/.test(d))
      .map((d) => join(session, d));
  }

  /** The extension host log (activation, extension errors): `exthostN/remoteexthost.log` in code-server. */
  extHostLog(): string {
    return this.readLogs((s) =>
      this.exthostDirs(s).flatMap((d) => [join(d, 'remoteexthost.log'), join(d, 'exthost.log')]),
    );
  }

  /** Gantry's output channel (a LogOutputChannel is file-backed: exthostN/<extension id>/<channel>.log). */
  gantryLog(): string {
    return this.readLogs((s) =>
      this.exthostDirs(s).flatMap((d) => {
        const dir = join(d, extensionId);
        return existsSync(dir)
          ? readdirSync(dir)
              .filter((f) => f.endsWith('.log'))
              .map((f) => join(dir, f))
          : [];
      }),
    );
  }

  /** code-server's server-side log (extension host launches, gallery errors). */
  remoteAgentLog(): string {
    return this.readLogs((s) => [join(s, 'remoteagent.log')]);
  }

  /** Waits until `log()` matches `pattern` (log files are flushed with a delay), returns the match. */
  async waitForLog(log: () => string, pattern: RegExp, timeout = 30_000): Promise<RegExpExecArray> {
    return waitFor(`log line ${pattern}`, () => pattern.exec(log()) ?? undefined, timeout);
  }

  /** Lines of the extension host log at level error that mention `needle` (default: the extension id). */
  extHostErrors(needle = extensionId): string[] {
    const blocks = this.extHostLog().split(/\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \[)/);
    return blocks.filter(
      (b) => /^\S+ \S+ \[error\]/.test(b) && b.toLowerCase().includes(needle.toLowerCase()),
    );
  }

  // ---- screenshots and failure capture ------------------------------------------------------------------------

  /** Saves a full-window PNG into .test-output/e2e/<name>/ and returns its path. */
  async screenshot(label: string): Promise<string> {
    // Park the mouse so no hover tooltip covers the picture.
    await this.page.mouse.move(this.page.viewportSize()?.width ?? 0, 0);
    await this.page
      .locator('.workbench-hover-container, .monaco-hover:not(.hidden)')
      .first()
      .waitFor({ state: 'hidden', timeout: 3_000 })
      .catch(() => undefined);
    const path = join(this.outputDir, `${label.replace(/[^\w.-]+/g, '_')}.png`);
    await this.page.screenshot({ path });
    return path;
  }

  /** Runs `body`; if it throws, saves a screenshot and the logs named after `label` first. */
  async guard<T>(label: string, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (e) {
      await this.captureFailure(label);
      throw e;
    }
  }

  private async captureFailure(label: string): Promise<void> {
    try {
      if (this._page) await this.screenshot(`FAILED-${label}`);
    } catch {
      // A dead page cannot be photographed; the logs below still help.
    }
    this.saveLogs();
  }

  /** Copies the user-data logs and code-server's output into the output folder. */
  saveLogs(): void {
    try {
      const logs = join(this.dirs.userData, 'logs');
      if (existsSync(logs)) cpSync(logs, join(this.outputDir, 'logs'), { recursive: true });
      writeFileSync(join(this.outputDir, 'code-server.out'), this._serverOutput);
      writeFileSync(join(this.outputDir, 'page-errors.txt'), this.pageErrors.join('\n'));
    } catch {
      // Best effort: never hide the test's own failure behind a copy error.
    }
  }

  // ---- workbench helpers --------------------------------------------------------------------------------------

  /**
   * The activity-bar entry of a view container, by its title (e.g. "Gantry"): the whole item, so a click that lands
   * on its badge ("Gantry - 2 running", drawn over the icon) still counts as a click on the entry.
   */
  activityBarItem(title: string): Locator {
    return this.page
      .locator('.activitybar .action-item')
      .filter({ has: this.page.locator(`a[aria-label^="${title}"]`) })
      .first();
  }

  /** Opens a view container from the activity bar (no-op when it is already showing). */
  async openContainer(title: string): Promise<Locator> {
    const sidebar = this.page.locator('.part.sidebar');
    const header = sidebar.locator('.composite.title h2', {
      // A container with a single view is titled "CONTAINER: VIEW".
      hasText: new RegExp(`^${escapeRegExp(title)}(: .*)?$`, 'i'),
    });
    if (!(await header.isVisible())) {
      await this.activityBarItem(title).click();
      // A click on the active container's icon hides the side bar instead. The container may have become the
      // active one between the check and the click (a command revealed one of its views): then the side bar
      // is hidden now, and a second click shows it.
      const shown = await header
        .waitFor({ timeout: 5_000 })
        .then(() => true)
        .catch(() => false);
      if (!shown && !(await sidebar.isVisible())) await this.activityBarItem(title).click();
      await header.waitFor();
    }
    return sidebar;
  }

  /** Opens the Gantry container. */
  openGantry(): Promise<Locator> {
    return this.openContainer('Gantry');
  }

  /** A view (pane) by its title as shown in its header, e.g. "ML Workloads". */
  view(title: string): Locator {
    return this.page.locator('.pane').filter({
      has: this.page.locator('.pane-header h3.title', {
        hasText: new RegExp(`^${escapeRegExp(title)}$`, 'i'),
      }),
    });
  }

  /** Expands a collapsed view and returns it. */
  async expandView(title: string): Promise<Locator> {
    const view = this.view(title);
    await view.waitFor();
    const header = view.locator('.pane-header');
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
    await view.locator('.pane-body').waitFor();
    return view;
  }

  /** The text a view shows: its welcome content when it shows one, else its tree rows. */
  async viewText(title: string): Promise<string> {
    const view = await this.expandView(title);
    const welcome = view.locator('.welcome-view-content');
    if (await welcome.isVisible()) return welcome.innerText();
    return view.locator('.pane-body').innerText();
  }

  /** Waits until `text` is visible in the view (welcome text or a tree row) and returns the view's text. */
  async waitForViewText(title: string, text: string | RegExp, timeout = 30_000): Promise<string> {
    // What the last read saw, for the timeout's message (the view's text, or why it could not be read).
    let last = '';
    try {
      return await waitFor(
        `"${text}" in view ${title}`,
        async () => {
          const t = await this.viewText(title).catch((e: unknown) => {
            last = `(not read: ${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
            return undefined;
          });
          if (t === undefined) return undefined;
          last = JSON.stringify(t);
          return (typeof text === 'string' ? t.includes(text) : text.test(t)) ? t : undefined;
        },
        timeout,
      );
    } catch (e) {
      throw new Error(
        `${e instanceof Error ? e.message : String(e)}; the view last read ${last || 'nothing'}`,
      );
    }
  }

  /** The rendered rows of a view's tree (only rows scrolled into view are in the DOM). */
  async treeItems(title: string): Promise<TreeItem[]> {
    const view = await this.expandView(title);
    return view.locator('.monaco-list-row').evaluateAll((rows) =>
      rows.map((r) => {
        const expanded = r.getAttribute('aria-expanded');
        return {
          label: r.querySelector('.label-name')?.textContent?.trim() ?? '',
          description: r.querySelector('.label-description')?.textContent?.trim() ?? '',
          level: Number(r.getAttribute('aria-level') ?? '1'),
          expanded: expanded == null ? undefined : expanded === 'true',
        };
      }),
    );
  }

  /** Waits until a row with exactly this label is rendered in the view's tree, returns it. */
  async waitForTreeItem(viewTitle: string, label: string, timeout = 30_000): Promise<Locator> {
    await this.expandView(viewTitle);
    const row = this.treeItem(viewTitle, label);
    await row.waitFor({ timeout });
    return row;
  }

  /** One tree row by its exact label. */
  treeItem(viewTitle: string, label: string): Locator {
    return this.view(viewTitle)
      .locator('.monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) })
      .first();
  }

  /** Clicks a tree row (selects it; expands or collapses a parent). */
  async clickTreeItem(viewTitle: string, label: string): Promise<void> {
    await this.expandView(viewTitle);
    await this.treeItem(viewTitle, label).click();
  }

  /**
   * Expands a parent row and waits until it is expanded. A click that lands while the view re-renders the row's
   * parent (a running job's row changes with its progress every few seconds, and VS Code then fetches its
   * children again) can be lost: the row is selected but stays collapsed (seen in the demo walk). A person clicks
   * again; so does this, up to 5 times, and says so.
   */
  async expandTreeItem(viewTitle: string, label: string): Promise<void> {
    await this.expandView(viewTitle);
    const row = this.treeItem(viewTitle, label);
    for (let attempt = 1; ; attempt++) {
      if ((await row.getAttribute('aria-expanded')) === 'true') return;
      await row.click();
      const expanded = await waitFor(
        `"${label}" expanded`,
        async () =>
          (await row.getAttribute('aria-expanded').catch(() => null)) === 'true' ? true : undefined,
        3_000,
      ).catch(() => false);
      if (expanded) return;
      if (attempt >= 5) throw new Error(`"${label}" in ${viewTitle} did not expand after 5 clicks`);
      console.log(`tree: "${label}" stayed collapsed after a click (attempt ${attempt}); again`);
    }
  }

  /**
   * A point in the workbench's own DOM with no hover of its own: the activity bar between its top and bottom
   * icons, else the editor area.
   */
  private async neutralPoint(): Promise<[number, number]> {
    const p = await this.page.evaluate(() => {
      const bar = document.querySelector('.part.activitybar');
      const r = bar?.getBoundingClientRect();
      if (!r || r.width === 0) return undefined;
      const x = r.left + r.width / 2;
      // From the middle down, the first point not on an activity-bar item.
      for (let y = r.top + r.height * 0.5; y < r.bottom - 8; y += 8) {
        const el = document.elementFromPoint(x, y);
        if (el && bar!.contains(el) && !el.closest('.action-item')) return [x, y] as [number, number];
      }
      return undefined;
    });
    if (p) return p;
    const vp = this.page.viewportSize() ?? { width: 1280, height: 800 };
    return [vp.width * 0.7, vp.height * 0.6];
  }

  /**
   * Hovers a tree row and returns the text of the tooltip it shows. A view that is still changing can move
   * another row under the mouse between the move and the hover's delay (the demo's Kueue rows did, a Job
   * resumed while the test hovered its neighbour), and the tooltip read would be that row's. So once the hover
   * shows, the row under the mouse must be the one asked for and the tooltip must name it (Gantry's tooltips
   * start with the object's kind and name; a row whose hover showed while its neighbour passed under the mouse
   * fails the second check even when the first passes); otherwise it hovers again, up to 5 times.
   */
  async hoverTreeItem(viewTitle: string, label: string): Promise<string> {
    await this.expandView(viewTitle);
    const row = this.treeItem(viewTitle, label);
    const hover = this.page.locator('.workbench-hover, .monaco-hover:not(.hidden)');
    let text = '';
    for (let attempt = 1; attempt <= 5; attempt++) {
      // Park the mouse where the workbench itself sees it and nothing has a hover (the empty part of the activity
      // bar), and let a hover left over from an earlier element go, or it would be read instead. Not the editor
      // area: it may hold a webview (the demo's README preview), whose frame takes the mouse events, so the
      // workbench never sees the mouse leave a row and that row's hover stays (seen in CI: five attempts read the
      // row below's hover, which never went away).
      await this.page.mouse.move(...(await this.neutralPoint()));
      await hover
        .first()
        .waitFor({ state: 'detached', timeout: 5_000 })
        .catch(() => undefined);
      if (await hover.count()) {
        // Still there: Escape hides a workbench hover wherever the mouse is.
        await this.page.keyboard.press('Escape');
        await hover
          .first()
          .waitFor({ state: 'detached', timeout: 2_000 })
          .catch(() => undefined);
      }
      const target = row.locator('.monaco-icon-label');
      await target.scrollIntoViewIfNeeded();
      const box = await target.boundingBox();
      if (!box) continue;
      const x = box.x + box.width / 2;
      const y = box.y + box.height / 2;
      await this.page.mouse.move(x, y);
      await hover.last().waitFor({ timeout: 10_000 });
      // A tooltip resolved on demand (resolveTreeItem) shows VS Code's "Loading..." first.
      text = await hover.last().innerText();
      for (
        const until = Date.now() + 10_000;
        /^Loading(\.\.\.|…)$/.test(text.trim()) && Date.now() < until;
      ) {
        await this.page.waitForTimeout(100);
        text = await hover.last().innerText();
      }
      const under = await this.page.evaluate(
        ([px, py]) =>
          document.elementFromPoint(px, py)?.closest('.monaco-list-row')?.querySelector('.label-name')
            ?.textContent,
        [x, y] as const,
      );
      if (under === label && text.includes(label)) return text;
      console.log(
        `hoverTreeItem: the hover read is not "${label}"'s (the row under the mouse: "${under}"); hovering again (attempt ${attempt})`,
      );
    }
    return text;
  }

  /** Right-clicks a tree row and returns the context menu's entries. */
  async treeItemMenu(viewTitle: string, label: string): Promise<string[]> {
    await this.expandView(viewTitle);
    return this.contextMenu(this.treeItem(viewTitle, label));
  }

  /** Right-clicks an element (a tree row, an Explorer file) and returns the entries of the menu it opens. */
  async contextMenu(target: Locator): Promise<string[]> {
    await target.click({ button: 'right' });
    const menu = this.page.locator('.context-view .monaco-menu');
    await menu.waitFor();
    return menu.locator('.action-label').allInnerTexts();
  }

  /**
   * Runs an entry of the open context menu. Not a mouse click: VS Code's menu items listen for mouseup only
   * from a timer 100 ms after the menu renders (against accidental clicks), so a click that lands before that
   * timer fires, which on a busy machine can be much later, is dropped and the command never runs. Hovering
   * an entry focuses it at once (the menu's mouseover handler is registered with the menu), and Enter runs the
   * focused entry on keydown; the menu closes when the action runs, which is what this waits for.
   */
  async chooseMenuItem(text: string): Promise<void> {
    const menu = this.page.locator('.context-view .monaco-menu');
    const label = this.page.locator('.action-label', { hasText: new RegExp(`^${escapeRegExp(text)}$`) });
    await menu.locator('.action-item').filter({ has: label }).first().hover();
    await menu.locator('.action-item.focused').filter({ has: label }).waitFor();
    await this.page.keyboard.press('Enter');
    await menu.waitFor({ state: 'hidden' });
  }

  /**
   * Runs `item` from the context menu of the row `label` of `view`; resolves when `done` shows. VS Code's
   * extension host forgets the rows it handed out whenever the view refreshes their parent (a rebuild after a
   * namespace change, a group's count moving) until the view has asked for them again, and a menu command
   * chosen in that window (a few hundred ms) receives no row. Gantry's commands then show `fallback` (Follow
   * Logs asks which workload, as from the palette; Describe says to right-click again). A person who sees that
   * instead of the action dismisses it and chooses the row again; so does this, up to 3 times (logged).
   */
  async chooseRowCommand(
    view: string,
    label: string,
    item: string,
    opts: { fallback: Locator; done: Locator; timeoutMs?: number },
  ): Promise<void> {
    const timeout = opts.timeoutMs ?? 60_000;
    for (let attempt = 1; ; attempt++) {
      const menu = await this.treeItemMenu(view, label);
      if (!menu.includes(item))
        throw new Error(`no ${item} in the menu of ${label}: ${JSON.stringify(menu)}`);
      await this.chooseMenuItem(item);
      const outcome = await Promise.race([
        opts.done
          .first()
          .waitFor({ timeout })
          .then(() => 'done' as const),
        opts.fallback
          .first()
          .waitFor({ timeout })
          .then(() => 'no row' as const),
      ]);
      if (outcome === 'done') return;
      if (attempt === 3)
        throw new Error(`${item} on ${label} received no row 3 times (the view kept refreshing)`);
      console.log(`chooseRowCommand: ${item} on ${label} received no row (the view was refreshing); again`);
      await this.page.keyboard.press('Escape');
      if (await opts.fallback.first().isVisible())
        await this.runCommand('Notifications: Clear All Notifications');
      await opts.fallback.first().waitFor({ state: 'hidden' });
    }
  }

  /** The title of an open quick pick (a command's fallback when it got no row). */
  quickPickTitled(title: string): Locator {
    return this.page.locator('.quick-input-widget .quick-input-title', { hasText: title });
  }

  /** A notification toast containing `text`. */
  notificationWith(text: string): Locator {
    return this.page.locator('.notifications-toasts .notification-toast', { hasText: text });
  }

  /**
   * Shows only this namespace through Gantry: Choose Namespaces…, as a person does it: type the name, and Enter
   * takes the highlighted row. Not runCommand(): the picker reuses the quick input widget, which then never hides.
   */
  async chooseNamespace(ns: string): Promise<void> {
    const qp = this.page.locator('.quick-input-widget');
    await this.page.locator('.monaco-workbench').focus();
    await this.page.keyboard.press('F1');
    await qp.locator('.quick-input-box input').fill('>Gantry: Choose Namespaces');
    await qp
      .locator('.quick-input-list .monaco-list-row', { hasText: 'Gantry: Choose Namespaces…' })
      .first()
      .click();
    await qp.locator('.quick-input-title', { hasText: 'Gantry: Namespaces' }).waitFor();
    await qp.locator('.quick-input-box input').fill(ns);
    await qp
      .locator('.quick-input-list .monaco-list-row.focused')
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(ns)}$`) }) })
      .waitFor();
    await this.page.keyboard.press('Enter');
    await qp.waitFor({ state: 'hidden' });
    // The views are rebuilt for the new scope, and a rebuild makes VS Code forget the rows it had handed out:
    // a context-menu command on a row from before the rebuild receives no row. Connected with the new scope
    // ($(cloud), the namespace in the status item) means the rebuilt tree is what is shown.
    await waitFor(`connected with namespace ${ns}`, async () => {
      const label =
        (await this.page.locator(`[id="${extensionId}.gantry.context"]`).getAttribute('aria-label')) ?? '';
      return label.startsWith('cloud') && label.includes(`Namespaces: ${ns}`);
    });
  }

  /** Opens the quick input (F1) with `value` typed in: ">Title" for commands, a path for files. */
  private async quickInput(value: string): Promise<Locator> {
    const widget = this.page.locator('.quick-input-widget');
    if (!(await widget.isVisible())) {
      await this.page.locator('.monaco-workbench').focus();
      await this.page.keyboard.press('F1');
      await widget.waitFor();
    }
    const input = widget.locator('.quick-input-box input');
    await input.fill(value);
    return widget;
  }

  /** Runs a command through the command palette by its title as listed there, e.g. "Gantry: Show Log". */
  async runCommand(title: string): Promise<void> {
    const widget = await this.quickInput(`>${title}`);
    const row = widget
      .locator('.quick-input-list .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }) })
      .first();
    await row.waitFor({ timeout: 15_000 });
    await row.click();
    await widget.waitFor({ state: 'hidden' });
  }

  /** Opens a workspace file in an editor through Quick Open and waits for its tab. */
  async openFile(relPath: string): Promise<Locator> {
    const widget = await this.quickInput(relPath);
    const name = basename(relPath);
    const row = widget
      .locator('.quick-input-list .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(name)}$`) }) })
      .first();
    await row.waitFor({ timeout: 15_000 });
    await row.click();
    const tab = this.page.locator('.tabs-container .tab.active', { hasText: name });
    await tab.waitFor();
    const editor = this.activeEditor();
    await editor.locator('.view-lines .view-line').first().waitFor();
    return editor;
  }

  /** The active editor (its text is in `.view-lines`; only visible lines are rendered). */
  activeEditor(): Locator {
    return this.page.locator('.editor-group-container.active .monaco-editor').first();
  }

  /** Visible text of the active editor, lines joined with \n. */
  async activeEditorText(): Promise<string> {
    const lines = await this.activeEditor()
      .locator('.view-lines .view-line')
      .evaluateAll((els) =>
        els
          .map((e) => ({
            top: Number(/top:\s*([\d.]+)px/.exec(e.getAttribute('style') ?? '')?.[1] ?? 0),
            text: e.textContent ?? '',
          }))
          .sort((a, b) => a.top - b.top)
          .map((l) => l.text.replace(/\u00a0/g, ' ')),
      );
    return lines.join('\n');
  }

  /** Waits until the active editor's visible text matches `pattern` (editors render lazily), returns it. */
  async waitForEditorText(pattern: RegExp, timeout = 30_000): Promise<string> {
    return waitFor(
      `${pattern} in the active editor`,
      async () => {
        const t = await this.activeEditorText().catch(() => '');
        return pattern.test(t) ? t : undefined;
      },
      timeout,
    );
  }

  /** Waits until a Problems panel entry matches `pattern`, returns all entries. */
  async waitForProblem(pattern: RegExp, timeout = 30_000): Promise<string[]> {
    return waitFor(
      `a problem matching ${pattern}`,
      async () => {
        const all = await this.problems();
        return all.some((p) => pattern.test(p)) ? all : undefined;
      },
      timeout,
    );
  }

  /** Entries of the Problems panel (opens it), as their accessible labels. */
  async problems(): Promise<string[]> {
    const panel = this.page.locator('.markers-panel');
    if (!(await panel.isVisible())) {
      await this.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
      await panel.waitFor();
    }
    return panel
      .locator('.monaco-list-row')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? r.textContent ?? ''));
  }

  /** Visible text of the Output panel (after e.g. "Gantry: Show Log"); editors render spaces as U+00A0. */
  async outputPanelText(): Promise<string> {
    const editor = this.page.locator('.part.panel .output-view .monaco-editor .view-lines');
    await editor.waitFor();
    return (await editor.innerText()).replace(/\u00a0/g, ' ');
  }

  /** The channel the Output panel shows (its channel picker), e.g. "Gantry"; undefined when it is closed. */
  async outputChannel(): Promise<string | undefined> {
    const picker = this.page.locator('.part.panel .composite.title select.monaco-select-box').first();
    if (!(await picker.isVisible())) return undefined;
    return picker.inputValue();
  }

  /** Waits until the Output panel shows the channel `name` (e.g. after "Gantry: Show Log"). */
  async waitForOutputChannel(name: string, timeout = 30_000): Promise<void> {
    await waitFor(
      `the Output panel to show channel ${name}`,
      async () => (await this.outputChannel()) === name,
      timeout,
    );
  }

  /** Waits until the Output panel shows text matching `pattern`, returns the panel's text. */
  async waitForOutput(pattern: RegExp, timeout = 30_000): Promise<string> {
    return waitFor(
      `${pattern} in the Output panel`,
      async () => {
        const t = await this.outputPanelText().catch(() => '');
        return pattern.test(t) ? t : undefined;
      },
      timeout,
    );
  }

  /** Texts of the notification toasts currently shown. */
  async notifications(): Promise<string[]> {
    return this.page.locator('.notifications-toasts .notification-toast').allInnerTexts();
  }

  /**
   * Waits until `text` is visible anywhere in the workbench (or inside `within`). Not for editor content: editors
   * render spaces as U+00A0, use activeEditorText() / waitForOutput() there.
   */
  async waitForText(
    text: string | RegExp,
    options: { within?: Locator; timeout?: number } = {},
  ): Promise<Locator> {
    const scope = options.within ?? this.page.locator('body');
    const loc = scope.getByText(text).first();
    await loc.waitFor({ timeout: options.timeout ?? 30_000 });
    return loc;
  }

  // ---- teardown ------------------------------------------------------------------------------------------------

  /** Closes the browser, ends code-server's whole process group, removes the temp dirs. Safe to call twice. */
  async close(opts: { failed?: boolean; reason?: string } = {}): Promise<void> {
    if (this._closed) return;
    this._closed = true;
    if (opts.failed) await this.captureFailure(opts.reason ?? 'close');
    else this.saveLogs();
    try {
      await this._browser?.close();
    } catch {
      // The browser may already be gone; the process-group kill below still runs.
    }
    await stopGroup(this._server);
    if (process.env.GANTRY_E2E_KEEP !== '1') rmSync(this.root, { recursive: true, force: true });
  }
}

/** SIGTERM to the process group, SIGKILL after 5 s. */
async function stopGroup(child: ChildProcess | undefined): Promise<void> {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const pid = child.pid;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // Already gone.
    }
  };
  signal('SIGTERM');
  const killed = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
  if (!killed) {
    signal('SIGKILL');
    await exited;
  }
  // Children that outlived the leader (extension host, pty host) are in the same group.
  signal('SIGKILL');
}
