// client-node's KubeConfig for one context, for what httpsOptions.ts does not build itself (a proxy-url, an
// auth-provider such as azure, gcp or oidc). Bundled apart as dist/kubeClient.js and loaded only then: the
// sidebar's first rows do not wait for client-node.
import * as k8s from '@kubernetes/client-node';
import type { CachingExecAuth } from './execAuth';

/** httpsOptions.ts's ContextSettings (spelled out here: that module imports this one). */
interface ContextSettings {
  readonly contextName: string;
  readonly namespace?: string;
  readonly cluster: k8s.Cluster;
  readonly user: k8s.User;
}

/** A fresh KubeConfig holding only this context (pitfall 6: never setCurrentContext on a shared one). */
export function kubeConfigOf(s: ContextSettings, auth: CachingExecAuth): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [s.cluster],
    users: [s.user],
    contexts: [{ name: s.contextName, cluster: s.cluster.name, user: s.user.name, namespace: s.namespace }],
    currentContext: s.contextName,
  });
  kc.addAuthenticator(auth);
  return kc;
}
