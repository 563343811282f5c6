// One guard for every command that changes a cluster (delete today, submit next): in a context the user
// marked protected (gantry.protectedContexts), they type a name to go on.
import * as vscode from 'vscode';

export interface ProtectedAction {
  /** The context the action runs in. */
  readonly context: string;
  /** Whether that context is protected. */
  readonly isProtected: boolean;
  /** "delete PyTorchJob team-a/bert", "submit 3 objects". */
  readonly what: string;
  /** What the user must type: the object's name, or the context name when there is no single object. */
  readonly typeToConfirm: string;
}

/** True when the action may go on: not protected, or the user typed the name exactly. */
export async function confirmProtected(a: ProtectedAction): Promise<boolean> {
  if (!a.isProtected) return true;
  const typed = await vscode.window.showInputBox({
    title: `Protected context ${a.context}`,
    prompt: `${a.context} is a protected context. Type "${a.typeToConfirm}" to ${a.what}.`,
    ignoreFocusOut: true,
    validateInput: (v) => (v === a.typeToConfirm ? undefined : `Type ${a.typeToConfirm} exactly.`),
  });
  return typed === a.typeToConfirm;
}
