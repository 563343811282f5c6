// Gantry: Submit, Submit All and Diff with Cluster. The dialogs live here; the work (split, dry run, fit check,
// server-side apply) is in model/submitter.ts, loaded on first use as dist/submitter.js.
import * as vscode from 'vscode';
import type { NamespaceChoice } from '../core/manifests';
import type { Host } from '../host';
import type { Services } from '../services';
import type * as Submitter from '../model/submitter';
import { confirmProtected } from './guards';
import type { CommandTable } from './types';

const DIFF_SCHEME = 'gantry-diff';
/** Offered after a submit when installed: the log streams' command (argument: the workload's tree row). */
const FOLLOW_LOGS = 'gantry.followLogs';
const SHOW_IN_TREE = 'gantry.showInTree';

export function submitCommands(host: Host): CommandTable {
  const dryRunProblems = vscode.languages.createDiagnosticCollection('gantry-submit');
  const diffs = new Map<string, string>();
  const diffChanged = new vscode.EventEmitter<vscode.Uri>();
  host.extension.subscriptions.push(
    dryRunProblems,
    diffChanged,
    vscode.workspace.registerTextDocumentContentProvider(DIFF_SCHEME, {
      onDidChange: diffChanged.event,
      provideTextDocumentContent: (uri) => diffs.get(uri.toString()) ?? '',
    }),
    // A dry run's findings describe the text that was sent; an edit makes them stale.
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length) dryRunProblems.delete(e.document.uri);
    }),
  );
  let lib: Promise<typeof Submitter> | undefined;
  const ctx: SubmitContext = {
    host,
    dryRunProblems,
    submitter: () => (lib ??= import('../model/submitter')),
    showDiff: async (name, live, applied) => {
      const stamp = Date.now();
      const left = vscode.Uri.from({ scheme: DIFF_SCHEME, path: `/live/${name}`, query: String(stamp) });
      const right = vscode.Uri.from({ scheme: DIFF_SCHEME, path: `/dry-run/${name}`, query: String(stamp) });
      diffs.set(left.toString(), live);
      diffs.set(right.toString(), applied);
      await vscode.commands.executeCommand(
        'vscode.diff',
        left,
        right,
        `${name}: cluster ↔ after Submit (dry run)`,
      );
    },
  };
  return {
    'gantry.submit': (a, b) => submit(ctx, target(a, b)),
    'gantry.submitAll': (a) => submit(ctx, { ...target(a, undefined), docIndex: undefined }),
    'gantry.diff': (a, b) => diff(ctx, target(a, b)),
  };
}

interface SubmitContext {
  host: Host;
  dryRunProblems: vscode.DiagnosticCollection;
  submitter(): Promise<typeof Submitter>;
  showDiff(name: string, live: string, applied: string): Promise<void>;
}

interface Target {
  uri?: vscode.Uri;
  docIndex?: number;
}

/** Explorer/editor title pass a Uri; the CodeLenses pass (uri string, document index); the palette nothing. */
function target(a: unknown, b: unknown): Target {
  const uri =
    a instanceof vscode.Uri
      ? a
      : typeof a === 'string'
        ? vscode.Uri.parse(a)
        : vscode.window.activeTextEditor?.document.uri;
  return { uri, docIndex: typeof b === 'number' ? b : undefined };
}

interface Prepared {
  services: Services;
  lib: typeof Submitter;
  doc: vscode.TextDocument;
  text: string;
  plan: Submitter.Plan;
  namespaces: NamespaceChoice;
  context: string;
  conn: NonNullable<Services['cluster']['connection']>;
}

/** Everything both commands check first: trust, a YAML file with Kubernetes objects, a connected cluster. */
async function prepare(ctx: SubmitContext, t: Target, verb: string): Promise<Prepared | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(
      `Gantry does not ${verb} manifests in Restricted Mode: trust the workspace first.`,
    );
    return undefined;
  }
  if (!t.uri) {
    void vscode.window.showWarningMessage(`Open a YAML manifest to ${verb}.`);
    return undefined;
  }
  const doc = await vscode.workspace.openTextDocument(t.uri);
  const text = doc.getText();
  const [services, lib] = await Promise.all([ctx.host.services(), ctx.submitter()]);
  const plan = lib.planSubmit(text, t.docIndex);
  const name = vscode.workspace.asRelativePath(t.uri);
  if (!plan.objects.length) {
    const why = plan.problems[0] ? ` (line ${plan.problems[0].line + 1}: ${plan.problems[0].message})` : '';
    void vscode.window.showErrorMessage(
      `${name} is not Kubernetes YAML: it has no object with apiVersion and kind${why}.`,
    );
    return undefined;
  }
  const cluster = services.cluster;
  const conn = cluster.connection;
  const context = cluster.contextName;
  if (!conn || !context) {
    const a = await vscode.window.showErrorMessage(
      `Not connected to a cluster: choose a context to ${verb} ${name}.`,
      'Select Context',
    );
    if (a) await vscode.commands.executeCommand('gantry.selectContext');
    return undefined;
  }
  const scope = cluster.namespaceChoice;
  const namespaces: NamespaceChoice = {
    ...(scope.kind === 'some' && scope.namespaces.length === 1 ? { chosen: scope.namespaces[0] } : {}),
    ...(conn.context.namespace ? { context: conn.context.namespace } : {}),
  };
  return { services, lib, doc, text, plan, namespaces, context, conn };
}

/** Error diagnostics in the submitted documents block; warnings pass with a notice. */
async function gate(p: Prepared): Promise<boolean> {
  if (p.plan.problems.length) {
    const pr = p.plan.problems[0];
    void vscode.window.showErrorMessage(`Not submitted: line ${pr.line + 1}: ${pr.message}`);
    return false;
  }
  await settledDiagnostics(p.doc.uri);
  const inPlan = (d: vscode.Diagnostic) =>
    d.source !== 'gantry (dry run)' &&
    p.plan.lines.some((l) => d.range.start.line >= l.start && d.range.start.line <= l.end);
  const ds = vscode.languages.getDiagnostics(p.doc.uri).filter(inPlan);
  const errors = ds.filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
  if (errors.length) {
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    void vscode.window.showErrorMessage(
      `Not submitted: ${errors.length} error${errors.length === 1 ? '' : 's'} in the manifest (first: line ${errors[0].range.start.line + 1}: ${errors[0].message}).`,
    );
    return false;
  }
  const warnings = ds.filter((d) => d.severity === vscode.DiagnosticSeverity.Warning);
  if (warnings.length)
    void vscode.window.showWarningMessage(
      `Submitting with ${warnings.length} warning${warnings.length === 1 ? '' : 's'} (first: line ${warnings[0].range.start.line + 1}: ${warnings[0].message}).`,
    );
  return true;
}

/** A document opened just now has no diagnostics yet: wait briefly for the language server's first answer. */
async function settledDiagnostics(uri: vscode.Uri, timeoutMs = 3000): Promise<void> {
  if (vscode.languages.getDiagnostics(uri).length) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      sub.dispose();
      resolve();
    }, timeoutMs);
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (!e.uris.some((u) => u.toString() === uri.toString())) return;
      clearTimeout(t);
      sub.dispose();
      resolve();
    });
  });
}

async function submit(ctx: SubmitContext, t: Target): Promise<void> {
  const p = await prepare(ctx, t, 'submit');
  if (!p || !(await gate(p))) return;
  const { lib, conn, plan, namespaces, context } = p;
  const label = lib.planLabel(plan, namespaces);
  const cluster = p.services.cluster;
  if (
    !(await confirmProtected({
      context,
      isProtected: cluster.isProtected(context),
      what: `submit ${label}`,
      typeToConfirm: context,
    }))
  )
    return;
  ctx.dryRunProblems.delete(p.doc.uri);
  const log = ctx.host.log;
  type Outcome = { error: string } | { cancelled: true } | { report: Submitter.SubmitReport };
  const outcome = await vscode.window.withProgress<Outcome>(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Gantry: submitting ${label} to ${context}`,
      cancellable: true,
    },
    async (progress, token): Promise<Outcome> => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      progress.report({ message: 'reading the kinds the cluster serves…' });
      const kinds = await lib.discover(conn);
      if (typeof kinds === 'string') return { error: kinds };
      let force = false;
      // Dry run first: nothing is sent for real until every object passes.
      for (;;) {
        progress.report({ message: 'dry run…' });
        const dry = await lib.submitPlan(conn, kinds, plan, {
          namespaces,
          dryRun: true,
          force,
          signal: ac.signal,
        });
        if (dry.cancelled) return { cancelled: true };
        if (!dry.failed) break;
        const e = dry.failed.error;
        if (e.kind === 'conflict' && !force) {
          const a = await vscode.window.showWarningMessage(e.message, { modal: true }, 'Force');
          if (a !== 'Force') return { cancelled: true };
          force = true;
          continue;
        }
        if (e.kind === 'immutable') {
          const a = await vscode.window.showWarningMessage(
            `${e.message}`,
            { modal: true, detail: `${dry.failed.label} is deleted (with its pods) and submitted again.` },
            'Delete and Resubmit',
          );
          if (a !== 'Delete and Resubmit') return { cancelled: true };
          progress.report({ message: `deleting ${dry.failed.label}…` });
          const err = await lib.deleteFailed(conn, kinds, plan, dry, namespaces, ac.signal);
          if (err) return { error: err };
          continue;
        }
        const causes = lib.causesOf(dry);
        if (causes.length) {
          const ds = await p.services.languageClient.dryRunDiagnostics({
            uri: p.doc.uri.toString(),
            text: p.text,
            causes,
          });
          ctx.dryRunProblems.set(p.doc.uri, ds);
          await vscode.commands.executeCommand('workbench.actions.view.problems');
        }
        return { error: `The dry run was rejected: ${lib.reportText(dry)}` };
      }
      // Fit check against the node pool the GPUs view shows.
      progress.report({ message: 'checking the node pool…' });
      for (const v of lib.fitPlan(plan, cluster.model?.source, namespaces)) {
        if (v.outcome.fit === 'never')
          return { error: `${v.label} can never be scheduled: ${v.outcome.reason}.` };
        if (v.outcome.fit === 'wait') {
          const a = await vscode.window.showWarningMessage(
            `${v.label} will wait: ${v.outcome.reason}.`,
            { modal: true },
            'Submit Anyway',
          );
          if (a !== 'Submit Anyway') return { cancelled: true };
        }
        if (v.outcome.fit === 'unknown') log.info(`fit check of ${v.label} skipped: ${v.outcome.reason}`);
        if (v.outcome.fit === 'now' && v.outcome.note) log.info(`${v.label}: ${v.outcome.note}`);
      }
      const report = await lib.submitPlan(conn, kinds, plan, {
        namespaces,
        force,
        signal: ac.signal,
        onObject: (l, i, n) => progress.report({ message: `applying ${l} (${i + 1}/${n})…` }),
      });
      return { report };
    },
  );
  if ('cancelled' in outcome) return;
  if ('error' in outcome) {
    log.warn(`submit of ${label} to ${context}: ${outcome.error}`);
    void vscode.window.showErrorMessage(outcome.error);
    return;
  }
  const report = outcome.report;
  const text = lib.reportText(report);
  log.info(`submit to ${context}: ${text}`);
  if (report.failed || report.cancelled) {
    void vscode.window.showErrorMessage(`Gantry: ${text}`, 'Show Log').then((a) => a && log.show(true));
    return;
  }
  const workload = report.applied
    .map((a) => ({ a, id: lib.treeIdOf(a) }))
    .find((x): x is { a: Submitter.AppliedObject; id: string } => x.id !== undefined);
  if (!workload) {
    void vscode.window.showInformationMessage(`Gantry: ${text}`);
    return;
  }
  void vscode.commands.executeCommand(SHOW_IN_TREE, workload.id);
  const known = new Set(await vscode.commands.getCommands(true));
  const actions = [...(known.has(FOLLOW_LOGS) ? ['Follow Logs'] : []), 'Show in Tree'];
  const more = report.applied.length > 1 ? ` ${text}` : '';
  const a = await vscode.window.showInformationMessage(
    `Gantry: submitted ${workload.a.label}.${more}`,
    ...actions,
  );
  // Follow Logs takes the workload's tree row, as from the tree's context menu (a picker when it is not there).
  if (a === 'Follow Logs')
    await vscode.commands.executeCommand(FOLLOW_LOGS, cluster.model?.workloads?.node(workload.id));
  if (a === 'Show in Tree') await vscode.commands.executeCommand(SHOW_IN_TREE, workload.id);
}

async function diff(ctx: SubmitContext, t: Target): Promise<void> {
  const p = await prepare(ctx, t, 'diff');
  if (!p) return;
  const { lib, conn, plan, namespaces } = p;
  const name = vscode.workspace.asRelativePath(p.doc.uri);
  const r = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Gantry: dry run of ${name}`,
      cancellable: true,
    },
    async (_progress, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      const kinds = await lib.discover(conn);
      if (typeof kinds === 'string') return kinds;
      return lib.diffPlan(conn, kinds, plan, namespaces, ac.signal);
    },
  );
  if (typeof r === 'string') {
    void vscode.window.showErrorMessage(r);
    return;
  }
  if ('report' in r) {
    void vscode.window.showErrorMessage(`Gantry: cannot diff ${name}: ${lib.reportText(r.report)}`);
    return;
  }
  await ctx.showDiff(name.replace(/[\\/]/g, '_'), r.live, r.applied);
}
