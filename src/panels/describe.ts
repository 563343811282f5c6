// Describe: a read-only editor with an object's YAML and its events. The URI names the context, so a
// document opened before a context switch does not silently show another cluster's object.
import * as vscode from 'vscode';
import type { KindRef, KubeObject } from '../core/kube';
import { formatAge } from '../core/status';
import type { Host } from '../host';
import type { DescribeResult } from '../k8s/connection';

export const DESCRIBE_SCHEME = 'gantry-describe';

export interface Target {
  context: string;
  kind: KindRef;
  namespace?: string;
  name: string;
  /** A Secret's values are shown only when the user asked for them (a separate document URI). */
  revealSecretValues?: boolean;
}

export function describeUri(t: Target): vscode.Uri {
  const where = t.namespace ? `${t.namespace}/` : '';
  return vscode.Uri.from({
    scheme: DESCRIBE_SCHEME,
    path: `/${t.context}/${t.kind.kind}/${where}${t.name}${t.revealSecretValues ? '.values' : ''}.yaml`,
    query: JSON.stringify(t),
  });
}

export class DescribeProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly _host: Host) {}

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    let t: Target;
    try {
      t = JSON.parse(uri.query) as Target;
    } catch {
      return '# This describe link is not valid.';
    }
    const session = (await this._host.services()).cluster;
    const conn = session.connection;
    if (!conn || session.contextName !== t.context) {
      return `# ${t.kind.kind} ${t.name}: context ${t.context} is not the current context (${session.contextName ?? 'none'}).\n# Switch back to it to describe this object.`;
    }
    const r = await conn.describe(t.kind, t.namespace, t.name, {
      revealSecretValues: t.revealSecretValues === true,
    });
    if (token.isCancellationRequested) return '';
    if (!r.ok) return `# ${t.kind.kind} ${t.namespace ? `${t.namespace}/` : ''}${t.name}: ${r.error.message}`;
    return describeText(t, r.value);
  }
}

/** The document: a header, the YAML and the events. A Secret's header says its values are hidden. */
export function describeText(t: Target, d: DescribeResult): string {
  const what = `${t.kind.kind} ${t.namespace ? `${t.namespace}/` : ''}${t.name}`;
  let header = `# ${what} in context ${t.context} (read-only)\n`;
  if (d.hiddenKeys.length)
    header += `# Values of ${d.hiddenKeys.join(', ')} are hidden; only their sizes are shown.\n`;
  return header + d.yaml + formatEvents(d.events);
}

export function formatEvents(events: readonly KubeObject[], now = Date.now()): string {
  if (!events.length) return '\n# Events: none\n';
  const rows = events.map((e) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const ev = e as any;
    const when =
      ev.lastTimestamp ??
      ev.eventTime ??
      ev.series?.lastObservedTime ??
      ev.firstTimestamp ??
      e.metadata.creationTimestamp;
    const count = ev.count ?? ev.series?.count;
    const age = when ? formatAge(when, now) : '?';
    return `#   ${age.padEnd(6)} ${String(ev.type ?? '').padEnd(8)} ${String(ev.reason ?? '').padEnd(20)} ${ev.message ?? ''}${count > 1 ? ` (x${count})` : ''}`;
  });
  return `\n# Events (newest last):\n#   AGE    TYPE     REASON               MESSAGE\n${rows.join('\n')}\n`;
}
