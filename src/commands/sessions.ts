// Commands of the Sessions view: stop, show the panel, open or copy a forward's URL, dismiss ended ones.
import * as vscode from 'vscode';
import type { Host } from '../host';
import type { UserSession } from '../sessions/session';
import type { ForwardSession } from '../sessions/portForward';
import { forwardLink, openForwardUrl } from './portForward';
import type { CommandTable } from './types';

/** Tree rows of the Sessions view carry the session id. */
interface SessionRow {
  readonly sessionId: string;
}

export function sessionCommands(host: Host): CommandTable {
  const session = async (row: unknown): Promise<UserSession | undefined> => {
    const id = (row as SessionRow | undefined)?.sessionId;
    const sessions = (await host.services()).sessions;
    if (id) return sessions.get(id);
    // From the palette: choose among the running ones.
    const running = sessions.list().filter((s) => s.state !== 'ended' && s.state !== 'failed');
    if (running.length <= 1) return running[0];
    const pick = await vscode.window.showQuickPick(
      running.map((s) => ({ label: s.target, description: `${s.state} · ${s.detail}`, id: s.id })),
      { title: 'Gantry: Sessions' },
    );
    return pick ? sessions.get(pick.id) : undefined;
  };
  return {
    'gantry.stopSession': async (row) => (await session(row))?.stop('stopped by you'),
    'gantry.showSession': async (row) => (await session(row))?.show?.(),
    'gantry.openSessionUrl': async (row) => {
      const s = await session(row);
      if (!s?.url) return;
      await openForwardUrl(s.url, (s as Partial<ForwardSession>).endpoint);
    },
    'gantry.copySessionUrl': async (row) => {
      const s = await session(row);
      if (!s?.url) return;
      // The local URL when the page cannot load through the editor's port mapping.
      const { uri } = await forwardLink(s.url, (s as Partial<ForwardSession>).endpoint);
      await vscode.env.clipboard.writeText(uri.toString(true));
      void vscode.window.setStatusBarMessage(`Gantry: copied ${uri.toString(true)}`, 4000);
    },
    'gantry.dismissSession': async (row) => {
      const id = (row as SessionRow | undefined)?.sessionId;
      if (id) (await host.services()).sessions.remove(id);
    },
    'gantry.clearEndedSessions': async () => (await host.services()).sessions.clearEnded(),
  };
}
