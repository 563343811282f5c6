// HTTPS options (TLS, auth headers, agent) for one context, as client-node 1.4's
// KubeConfig.applyToHTTPSOptions builds them, without loading client-node: it is most of dist/services.js's
// load time, and the sidebar's first rows wait for that bundle. The common forms are built here (client
// cert/key, bearer token, token file and exec plugins through Gantry's own authenticator, basic auth, CA
// data/file, insecure-skip-tls-verify, tls-server-name, impersonation). A proxy-url or any other
// auth-provider (azure, gcp, oidc, unknown) goes to client-node itself, loaded then as dist/kubeClient.js.
// test/unit/k8s/httpsOptions.test.ts compares both paths on a table of kubeconfigs.
import * as fs from 'node:fs';
import type * as http from 'node:http';
import type * as https from 'node:https';
import type * as k8s from '@kubernetes/client-node';
import { EXEC_PROVIDER, TOKEN_FILE_PROVIDER, type CachingExecAuth } from './execAuth';

/** One context's cluster and user, in client-node's shapes (so the fallback can load them as they are). */
export interface ContextSettings {
  readonly contextName: string;
  readonly namespace?: string;
  readonly cluster: k8s.Cluster;
  readonly user: k8s.User;
}

/** True when only client-node knows how to connect: a proxy, or an auth-provider other than Gantry's own. */
export function needsKubeClient(s: ContextSettings): boolean {
  if (s.cluster.proxyUrl) return true;
  const provider = s.user.authProvider as { name?: unknown } | undefined;
  if (provider === undefined) return false;
  return !(provider?.name === EXEC_PROVIDER || provider?.name === TOKEN_FILE_PROVIDER);
}

/** Fills request options for one context's cluster, like client-node's applyToHTTPSOptions. One per connection. */
export class HttpsOptions {
  /**
   * client-node's KubeConfig, made once (like the one per connection before): its authenticators (oidc, azure,
   * gcp) keep their tokens in it between requests.
   */
  private _kube?: Promise<{ applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> }>;

  constructor(
    readonly settings: ContextSettings,
    private readonly _auth: CachingExecAuth,
  ) {}

  async apply(opts: https.RequestOptions): Promise<void> {
    if (!needsKubeClient(this.settings)) return applyLight(this.settings, this._auth, opts);
    this._kube ??= import('./kubeClient').then((m) => m.kubeConfigOf(this.settings, this._auth));
    const kube = this._kube;
    // A failed load is tried again on the next request.
    kube.catch(() => {
      if (this._kube === kube) this._kube = undefined;
    });
    return (await kube).applyToHTTPSOptions(opts);
  }
}

function bufferFromFileOrString(file?: string, data?: string): Buffer | null {
  if (file) return fs.readFileSync(file);
  if (data) return Buffer.from(data, 'base64');
  return null;
}

/**
 * The same steps, in the same order, as client-node's applyHTTPSOptions and applyAuthorizationHeader, and
 * createAgent's refusal of plain HTTP without skipTLSVerify (the agent itself is the transport's).
 */
export async function applyLight(
  s: ContextSettings,
  auth: CachingExecAuth,
  opts: https.RequestOptions,
): Promise<void> {
  if (needsKubeClient(s)) throw new Error('this context needs client-node (proxy-url or an auth-provider)');
  const { cluster, user } = s;
  if (cluster.skipTLSVerify) opts.rejectUnauthorized = false;
  if (cluster.tlsServerName) opts.servername = cluster.tlsServerName;
  const ca = bufferFromFileOrString(cluster.caFile, cluster.caData);
  if (ca) opts.ca = ca;
  const cert = bufferFromFileOrString(user.certFile, user.certData);
  if (cert) opts.cert = cert;
  const key = bufferFromFileOrString(user.keyFile, user.keyData);
  if (key) opts.key = key;
  if (user.impersonateUser != null) {
    opts.headers ??= {};
    (opts.headers as http.OutgoingHttpHeaders)['Impersonate-User'] = user.impersonateUser;
  }
  opts.headers ??= {};
  if (auth.isAuthProvider(user)) await auth.applyAuthentication(user, opts);
  // The authenticator may have replaced the headers object.
  if (user.token) (opts.headers as http.OutgoingHttpHeaders).Authorization = `Bearer ${user.token}`;
  if (user.username) opts.auth = `${user.username}:${user.password}`;

  // client-node makes an agent here too; the transport makes its own keep-alive pair from these options
  // (KubeTransport.apply), so none is made only to be destroyed.
  if (cluster.server.startsWith('http:') && !cluster.skipTLSVerify)
    throw new Error('HTTP protocol is not allowed when skipTLSVerify is not set or false');
}
