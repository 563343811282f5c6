// Which kubeconfig files exist, by kubectl's search rules. Cheap: no parsing, for the welcome text only.
import { access } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface KubeconfigPresence {
  searched: string[];
  found: string[];
}

export async function kubeconfigPresence(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<KubeconfigPresence> {
  const home = env.HOME || homedir();
  const expand = (p: string) => (p.startsWith('~/') ? join(home, p.slice(2)) : p);
  let searched: string[];
  if (explicit) searched = [expand(explicit)];
  else if (env.KUBECONFIG) searched = env.KUBECONFIG.split(delimiter).filter(Boolean).map(expand);
  else searched = [join(home, '.kube', 'config')];
  const found: string[] = [];
  for (const p of searched) {
    try {
      await access(p);
      found.push(p);
    } catch {
      // Missing files are normal: KUBECONFIG may list files that do not exist yet.
    }
  }
  return { searched, found };
}
