// Credentials from kubeconfig exec plugins (aws, gke-gcloud-auth-plugin, kubelogin) and token files.
// client-node 1.4.0's ExecAuth re-runs the plugin on every request when the credential has no
// expirationTimestamp (pitfall 7) and reports a missing binary as a bare ENOENT. This authenticator
// is registered through KubeConfig.addAuthenticator and caches like client-go's exec provider does:
// until expirationTimestamp, or (without one) until the apiserver answers 401.
import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as https from 'node:https';
import type * as k8s from '@kubernetes/client-node';
import { ExecPluginError, redact } from './errors';

export const EXEC_PROVIDER = 'gantry-exec';
export const TOKEN_FILE_PROVIDER = 'gantry-token-file';

export interface ExecConfig {
  readonly command: string;
  readonly args?: readonly string[];
  readonly env?: readonly { name: string; value: string }[] | null;
  readonly apiVersion?: string;
  readonly installHint?: string;
  readonly interactiveMode?: string;
}

export interface PathLookupEnv {
  readonly PATH?: string;
  readonly PATHEXT?: string;
}

/** Finds an executable the way a shell would: commands with a '/' are taken as paths, others searched on PATH. */
export function findOnPath(
  command: string,
  env: PathLookupEnv,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  const exts = platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';')] : [''];
  const isExec = (p: string) => {
    try {
      if (!fs.statSync(p).isFile()) return false;
      if (platform !== 'win32') fs.accessSync(p, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (command.includes('/') || (platform === 'win32' && command.includes('\\'))) {
    return exts.map((e) => command + e).find(isExec);
  }
  const delimiter = platform === 'win32' ? ';' : ':';
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const e of exts) {
      const p = path.join(dir, command + e);
      if (isExec(p)) return p;
    }
  }
  return undefined;
}

const INSTALL_HINTS: Record<string, string> = {
  aws: 'Install the AWS CLI (https://aws.amazon.com/cli/).',
  'aws-iam-authenticator': 'Install aws-iam-authenticator.',
  'gke-gcloud-auth-plugin': 'Install it with `gcloud components install gke-gcloud-auth-plugin`.',
  kubelogin: 'Install it with `az aks install-cli`.',
  oci: 'Install the OCI CLI.',
  doctl: 'Install doctl.',
};

/** The message for a credential plugin that is not on the extension host's PATH. */
export function missingPluginMessage(command: string, env: PathLookupEnv, user?: string): string {
  const name = path.basename(command);
  const who = user ? ` for kubeconfig user "${user}"` : '';
  const hint = INSTALL_HINTS[name] ?? 'Install it, or put its absolute path in the kubeconfig.';
  if (command.includes('/')) {
    return `The credential plugin ${command}${who} does not exist or is not executable. ${hint}`;
  }
  const searched = (env.PATH ?? '').split(process.platform === 'win32' ? ';' : ':').filter(Boolean);
  const shown = searched.length ? searched.join(process.platform === 'win32' ? ';' : ':') : '(PATH is empty)';
  return (
    `The credential plugin "${name}"${who} was not found on the PATH of the VS Code extension host ` +
    `(searched: ${shown}). ${hint} If it is installed, start VS Code from a shell where it is on PATH.`
  );
}

/** Checks up front that an exec plugin can be started; returns the message when it cannot. */
export function checkExecPlugin(
  exec: ExecConfig | undefined,
  env: PathLookupEnv,
  user?: string,
): string | undefined {
  if (!exec?.command) return undefined;
  return findOnPath(exec.command, env) ? undefined : missingPluginMessage(exec.command, env, user);
}

interface Credential {
  token?: string;
  cert?: string;
  key?: string;
  /** ms since epoch; undefined = valid until a 401 */
  expiresAt?: number;
}

export type SpawnFn = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

export interface ExecAuthOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly spawn?: SpawnFn;
  readonly now?: () => number;
  /** Kill the plugin after this long (ms); interactive logins are not supported in the extension host. */
  readonly timeoutMs?: number;
  /**
   * False: never start exec plugins (Restricted Mode with a workspace-provided kubeconfig, pitfall 23).
   * Token files and static credentials still work.
   */
  readonly allowExec?: boolean;
}

export const EXEC_BLOCKED_MESSAGE =
  'This kubeconfig runs a credential plugin, which Gantry does not start in Restricted Mode. Trust the workspace to connect.';

/** Renew this long before the credential's expirationTimestamp. */
const EXPIRY_MARGIN_MS = 10_000;

export class CachingExecAuth {
  private readonly _cache = new Map<string, Credential>();
  private readonly _inflight = new Map<string, Promise<Credential>>();
  private readonly _spawn: SpawnFn;
  private readonly _env: Readonly<Record<string, string | undefined>>;
  private readonly _now: () => number;
  /** How many times a plugin was started (tests and the benchmark read it). */
  runs = 0;

  constructor(private readonly _opts: ExecAuthOptions = {}) {
    this._spawn = _opts.spawn ?? nodeSpawn;
    this._env = _opts.env ?? process.env;
    this._now = _opts.now ?? Date.now;
  }

  isAuthProvider(user: k8s.User): boolean {
    const name = user.authProvider?.name;
    return name === EXEC_PROVIDER || name === TOKEN_FILE_PROVIDER;
  }

  /** Drops cached credentials, e.g. after a 401, so the next request runs the plugin again. */
  invalidate(): void {
    this._cache.clear();
  }

  /** ms since epoch when the current credential of `user` expires (undefined: no expiry or none cached). */
  expiresAt(user: string): number | undefined {
    return this._cache.get(user)?.expiresAt;
  }

  async applyAuthentication(user: k8s.User, opts: https.RequestOptions): Promise<void> {
    const cred = await this.credential(user);
    if (cred.cert) opts.cert = cred.cert;
    if (cred.key) opts.key = cred.key;
    if (cred.token) {
      opts.headers = { ...(opts.headers ?? {}), Authorization: `Bearer ${cred.token}` };
    }
  }

  private async credential(user: k8s.User): Promise<Credential> {
    const cached = this._cache.get(user.name);
    if (cached && (cached.expiresAt === undefined || cached.expiresAt - EXPIRY_MARGIN_MS > this._now()))
      return cached;
    const running = this._inflight.get(user.name);
    if (running) return running;
    const p = this.fetchCredential(user).finally(() => this._inflight.delete(user.name));
    this._inflight.set(user.name, p);
    const cred = await p;
    this._cache.set(user.name, cred);
    return cred;
  }

  private async fetchCredential(user: k8s.User): Promise<Credential> {
    const config = user.authProvider?.config ?? {};
    if (user.authProvider?.name === TOKEN_FILE_PROVIDER) {
      // Re-read at most every minute (bound service-account tokens rotate), like client-go.
      try {
        const token = fs.readFileSync(String(config.gantryTokenFile), 'utf8').trim();
        return { token, expiresAt: this._now() + 60_000 + EXPIRY_MARGIN_MS };
      } catch (e) {
        throw new ExecPluginError(
          'execPluginFailed',
          `Cannot read the token file ${String(config.gantryTokenFile)} (${(e as NodeJS.ErrnoException).code ?? 'error'}).`,
        );
      }
    }
    const exec = config.gantryExec as ExecConfig;
    if (this._opts.allowExec === false) throw new ExecPluginError('execPluginFailed', EXEC_BLOCKED_MESSAGE);
    return this.runPlugin(user.name, exec);
  }

  private runPlugin(userName: string, exec: ExecConfig): Promise<Credential> {
    const env: Record<string, string | undefined> = { ...this._env };
    for (const e of exec.env ?? []) env[e.name] = e.value;
    env.KUBERNETES_EXEC_INFO = JSON.stringify({
      apiVersion: exec.apiVersion ?? 'client.authentication.k8s.io/v1beta1',
      kind: 'ExecCredential',
      spec: { interactive: false },
    });
    const pathEnv = { PATH: env.PATH, PATHEXT: env.PATHEXT };
    if (!findOnPath(exec.command, pathEnv)) {
      return Promise.reject(
        new ExecPluginError('execPluginMissing', missingPluginMessage(exec.command, pathEnv, userName)),
      );
    }
    this.runs++;
    return new Promise<Credential>((resolve, reject) => {
      let out = '';
      let err = '';
      let settled = false;
      const finish = (f: () => void) => {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          f();
        }
      };
      const spawnError = (e: NodeJS.ErrnoException) =>
        e.code === 'ENOENT'
          ? new ExecPluginError('execPluginMissing', missingPluginMessage(exec.command, pathEnv, userName))
          : new ExecPluginError(
              'execPluginFailed',
              `The credential plugin ${path.basename(exec.command)} could not start (${e.code ?? 'error'}).`,
            );
      let child: ChildProcess;
      try {
        child = this._spawn(exec.command, exec.args ?? [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e) {
        reject(spawnError(e as NodeJS.ErrnoException));
        return;
      }
      const timer = setTimeout(() => {
        child.kill();
        finish(() =>
          reject(
            new ExecPluginError(
              'execPluginFailed',
              `The credential plugin ${path.basename(exec.command)} did not answer within ${Math.round((this._opts.timeoutMs ?? 60_000) / 1000)} s (it may be waiting for an interactive login; log in from a terminal first).`,
            ),
          ),
        );
      }, this._opts.timeoutMs ?? 60_000);
      child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.on('error', (e: NodeJS.ErrnoException) =>
        finish(() =>
          reject(
            e.code === 'ENOENT'
              ? new ExecPluginError(
                  'execPluginMissing',
                  missingPluginMessage(exec.command, pathEnv, userName),
                )
              : new ExecPluginError(
                  'execPluginFailed',
                  `The credential plugin ${path.basename(exec.command)} could not start (${e.code ?? 'error'}).`,
                ),
          ),
        ),
      );
      child.on('close', (code: number | null) =>
        finish(() => {
          if (code !== 0) {
            const why = redact(err) || `exit code ${code}`;
            reject(
              new ExecPluginError(
                'execPluginFailed',
                `The credential plugin ${path.basename(exec.command)} failed: ${why}`,
              ),
            );
            return;
          }
          try {
            resolve(parseExecCredential(out, this._now()));
          } catch {
            reject(
              new ExecPluginError(
                'execPluginFailed',
                `The credential plugin ${path.basename(exec.command)} printed something that is not an ExecCredential.`,
              ),
            );
          }
        }),
      );
    });
  }
}

/** Parses the plugin's stdout (an ExecCredential) into what the transport needs. */
export function parseExecCredential(stdout: string, _now: number): Credential {
  const obj = JSON.parse(stdout) as {
    status?: {
      token?: string;
      clientCertificateData?: string;
      clientKeyData?: string;
      expirationTimestamp?: string;
    };
  };
  const s = obj.status;
  if (!s || (!s.token && !(s.clientCertificateData && s.clientKeyData))) throw new Error('no credential');
  const exp = s.expirationTimestamp ? Date.parse(s.expirationTimestamp) : NaN;
  return {
    token: s.token,
    cert: s.clientCertificateData,
    key: s.clientKeyData,
    expiresAt: Number.isFinite(exp) ? exp : undefined,
  };
}
