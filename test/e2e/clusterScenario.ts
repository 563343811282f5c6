// Shared pieces of the e2e scenarios that run against the local cluster (`*.cluster.test.ts`, run by
// `npm run test:cluster`): a fresh .vsix, the shared cluster, kubectl apply, and a per-step timer.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, type Workbench } from './harness';
import { sharedCluster, type TestCluster } from '../cluster/harness/index';
import { kubectlInput } from '../cluster/harness/stream';

const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
};
export const vsixPath = join(repoRoot, `${manifest.name}-${manifest.version}.vsix`);

/** Without the shared cluster (e.g. under `npm run test:e2e`) these scenarios are skipped, not failed. */
export const noCluster = process.env.GANTRY_CLUSTER_STATE
  ? false
  : 'needs the shared cluster: run with npm run test:cluster';

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** Runs `npm run package` when the .vsix is missing or older than src/, package.json or the schemas. */
export function ensureVsix(): void {
  const inputs = ['src', 'schemas', 'package.json', 'media'].map((p) => join(repoRoot, p)).filter(existsSync);
  const newest = Math.max(...inputs.map(newestMtime));
  if (existsSync(vsixPath) && statSync(vsixPath).mtimeMs >= newest) return;
  const r = spawnSync('npm', ['run', 'package'], { cwd: repoRoot, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`npm run package failed:\n${r.stdout}${r.stderr}`);
}

/** The shared cluster and the name of its kubeconfig's current context. */
export async function attachCluster(): Promise<{ cluster: TestCluster; context: string }> {
  const cluster = await sharedCluster();
  const m = /^current-context:\s*"?([^"\n]+)"?\s*$/m.exec(readFileSync(cluster.kubeconfigPath, 'utf8'));
  if (!m) throw new Error(`${cluster.kubeconfigPath} has no current-context`);
  return { cluster, context: m[1]!.trim() };
}

export async function apply(cluster: TestCluster, ...objects: unknown[]): Promise<void> {
  // One document per object (kubectlInput says why: a List makes kubectl download the whole /openapi/v2).
  const r = await cluster.kubectl(['apply', '--server-side', '--field-manager=gantry-e2e', '-f', '-'], {
    input: kubectlInput(objects),
  });
  if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`);
}

/** Wall time of each step, printed at the end (node's duration_ms covers whole tests only). */
export class Timer {
  private readonly _steps: [string, number][] = [];
  private _t = Date.now();
  constructor(private readonly _name: string) {}
  lap(step: string): void {
    const now = Date.now();
    this._steps.push([step, now - this._t]);
    this._t = now;
  }
  report(): string {
    return `${this._name}: ${this._steps.map(([s, ms]) => `${s} ${(ms / 1000).toFixed(1)}s`).join(', ')}`;
  }
}

/** Extension host errors that mention Gantry, and Gantry log lines at error level. */
export function gantryErrors(wb: Workbench): string[] {
  const log = wb
    .gantryLog()
    .split('\n')
    .filter((l) => /\[error\]/.test(l));
  return [...wb.extHostErrors(), ...log];
}
