// The composition root: build the context, register every feature, start. Nothing else happens here.
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Ctx } from './ctx';
import { DESCRIBE_SCHEME, DescribeProvider } from './panels/describe';
import { SessionsView } from './views/sessionsView';
import { Sidebar } from './views/sidebar';

let ctx: Ctx | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const c = (ctx = new Ctx(context));
  context.subscriptions.push(c);
  for (const d of registerCommands(c)) c.own(d);
  const sidebar = c.own(new Sidebar(c.log));
  const sessions = c.own(new SessionsView());
  c.own(vscode.workspace.registerTextDocumentContentProvider(DESCRIBE_SCHEME, new DescribeProvider(c)));
  void c.services().then(
    (s) => {
      sidebar.attach(s.cluster);
      sessions.attach(s.sessions);
      return s.cluster.connect('start');
    },
    (e) => c.reportUnexpected('loading Gantry', e),
  );
}

export async function deactivate(): Promise<void> {
  const c = ctx;
  ctx = undefined;
  // The language client stops its server process, then everything the context owns (views and their timers,
  // sessions, connections) is released here rather than left to context.subscriptions alone: a host that only
  // calls deactivate() (a probe, a test) must not be kept alive by an interval. Disposing twice is a no-op.
  try {
    await c?.stop();
  } finally {
    c?.dispose();
  }
}
