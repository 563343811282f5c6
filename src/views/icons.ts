// Icons for phases: a glance at the colour tells running from failed.
import * as vscode from 'vscode';

const PHASE_ICON: Record<string, [string, string?]> = {
  Running: ['sync~spin', 'charts.blue'],
  Restarting: ['debug-restart', 'charts.yellow'],
  Ready: ['pass', 'charts.green'],
  Succeeded: ['pass-filled', 'charts.green'],
  Completed: ['pass-filled', 'charts.green'],
  Failed: ['error', 'charts.red'],
  Error: ['error', 'charts.red'],
  OOMKilled: ['error', 'charts.red'],
  CrashLoopBackOff: ['error', 'charts.red'],
  ImagePullBackOff: ['error', 'charts.red'],
  ErrImagePull: ['error', 'charts.red'],
  NotReady: ['warning', 'charts.yellow'],
  Pending: ['clock', 'charts.yellow'],
  ContainerCreating: ['clock', 'charts.yellow'],
  Queued: ['list-ordered', 'charts.purple'],
  Suspended: ['debug-pause', 'disabledForeground'],
  Terminating: ['trash', 'disabledForeground'],
  Unknown: ['question'],
};

export function phaseIcon(phase: string): vscode.ThemeIcon {
  const [id, color] =
    PHASE_ICON[phase] ?? (phase.startsWith('Init:') ? PHASE_ICON.Pending! : PHASE_ICON.Unknown!);
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
}
