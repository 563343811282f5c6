// Composition root: build the context, register, return. Nothing else happens here.
import type * as vscode from 'vscode';
import { Ctx } from './ctx';

let ctx: Ctx | undefined;

export function activate(context: vscode.ExtensionContext): void {
  ctx = new Ctx(context);
  context.subscriptions.push(ctx);
  ctx.start();
}

export async function deactivate(): Promise<void> {
  const c = ctx;
  ctx = undefined;
  // The language client stops its server process; the rest is disposed through context.subscriptions.
  await c?.stop();
}
