// JupyterLab as a person uses it, in a page opened through a forward: its shell painted (not only its title),
// then a notebook from the Launcher whose kernel runs a cell. Shared by forward.cluster.test.ts and demo.test.ts.
import type { BrowserContext, Page } from 'playwright-core';

/**
 * Records, from now on, every response and failed request of `ctx` whose host is `host` (`<port>.localhost:…`
 * or code-server's own): "404 GET http://…". Returns the live list.
 */
export function recordRequests(ctx: BrowserContext, host: (h: string) => boolean): string[] {
  const net: string[] = [];
  const ours = (url: string) => {
    try {
      return host(new URL(url).host);
    } catch {
      return false;
    }
  };
  ctx.on('response', (r) => {
    if (ours(r.url())) net.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  ctx.on('requestfailed', (r) => {
    if (ours(r.url())) net.push(`FAILED ${r.failure()?.errorText ?? ''} ${r.method()} ${r.url()}`);
  });
  // WebSockets (a kernel's channels) show no response event: their opening, closing and errors; and the
  // page's console errors.
  const sockets = (page: Page) => {
    page.on('console', (m) => {
      if (m.type() === 'error' && ours(page.url())) net.push(`console error ${m.text().slice(0, 300)}`);
    });
    page.on('websocket', (ws) => {
      if (!ours(ws.url())) return;
      net.push(`WS open ${ws.url()}`);
      ws.on('socketerror', (e) => net.push(`WS error ${e} ${ws.url()}`));
      ws.on('close', () => net.push(`WS closed ${ws.url()}`));
    });
  };
  ctx.pages().forEach(sockets);
  ctx.on('page', sockets);
  return net;
}

/** Requests of `net` that failed or got an error status (JupyterLab's page needs all of its own). */
export function failedRequests(net: readonly string[]): string[] {
  return net.filter((l) => /^(FAILED|WS error|[45]\d\d) /.test(l));
}

/**
 * Waits until JupyterLab's shell (`.jp-LabShell`) is painted in `page`. The title alone says little: the HTML
 * page carries it before any of the app's scripts loaded. On timeout the error lists the requests.
 */
export async function waitForLabShell(page: Page, net: readonly string[], timeout = 60_000): Promise<void> {
  try {
    await page.locator('.jp-LabShell').waitFor({ state: 'visible', timeout });
    // The Launcher is the first thing JupyterLab draws into its main area on a fresh server.
    await page.locator('.jp-Launcher').first().waitFor({ state: 'visible', timeout });
  } catch (e) {
    throw new Error(
      `JupyterLab's shell did not paint at ${page.url()} (title "${await page.title().catch(() => '?')}"): ` +
        `${(e as Error).message.split('\n')[0]}\nrequests:\n${net.join('\n')}`,
    );
  }
}

/**
 * Opens a Python 3 notebook from the Launcher (JupyterLab starts its kernel through the page's host: REST, then
 * the kernel's WebSocket), runs `6 * 7` in the first cell and returns the cell's output once it shows.
 */
export async function runCellInNewNotebook(page: Page, timeout = 90_000): Promise<string> {
  await page.locator('.jp-LauncherCard[data-category="Notebook"]').first().click();
  const notebook = page.locator('.jp-NotebookPanel:visible').first();
  await notebook.waitFor({ timeout });
  // The kernel started and its WebSocket connected: the status bar says "Python 3 (ipykernel) | Connecting"
  // until then. A cell run before the notebook has its kernel is not sent at all.
  const idle = page.locator('#jp-main-statusbar').getByText(/^Python 3 \(ipykernel\) \| Idle$/);
  await idle.waitFor({ timeout });
  const editor = notebook.locator('.jp-Cell .jp-InputArea-editor .cm-content').first();
  await editor.click();
  await page.keyboard.type('6 * 7');
  await page.keyboard.press('Shift+Enter');
  const output = notebook.locator('.jp-Cell .jp-OutputArea-output').first();
  await output.waitFor({ timeout });
  await idle.waitFor({ timeout });
  return (await output.innerText()).trim();
}

/** Answers JupyterLab's "get notified about official Jupyter news?" toast, if it shows, as a person would. */
export async function dismissNewsToast(page: Page): Promise<void> {
  const no = page
    .locator('.Toastify__toast', { hasText: 'Jupyter news' })
    .locator('.jp-toast-button', { hasText: /^No$/ });
  // It shows a little after the page loads: give it a moment rather than racing it.
  if (
    await no.waitFor({ timeout: 5_000 }).then(
      () => true,
      () => false,
    )
  ) {
    await no.click();
    await no.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
  }
}
