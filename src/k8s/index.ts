// The k8s layer's public API (the only folder that imports @kubernetes/client-node).
//
//   const load = loadKubeconfig({ explicitPath: config.kubeconfig });        // values, never throws
//   if (load.kind !== 'ok') -> welcome text (load.searched) / issues (file + message)
//   const conn = ClusterConnection.create(load, contextName, { env: process.env, configuredNamespaces });
//   const source = new ClusterModelSource(conn.value, { scope: { kind: 'all' } });
//   const snap = await source.start();                                       // Result<ModelSnapshot>
//   const trees = new LiveTrees(source);                                     // core tree models, kept current
//   trees.onDidChange(({ workloads, gpus }) => fire the views' onDidChangeTreeData for those ids);
//   source.onDidChangeHealth(h => context key gantry:connection); snap.notes -> view message
//   switching context: trees.dispose(); source.dispose(); conn.dispose(); then create new ones.
export { loadKubeconfig, kubeconfigFiles, pickContext } from './kubeconfig';
export type {
  KubeconfigLoad,
  KubeconfigContext,
  KubeconfigIssue,
  MergedKubeconfig,
  KubeconfigSources,
} from './kubeconfig';
export { ClusterConnection, CORE_KINDS } from './connection';
export type {
  NamespaceScope,
  ConnectionOptions,
  DeletePropagation,
  DescribeResult,
  ServerInfo,
} from './connection';
export { ClusterModelSource, mergeChangeSets } from './modelSource';
export type { ModelSnapshot, ModelChange, ModelSourceOptions, SourceHealth } from './modelSource';
export { LiveTrees, toTreeSnapshot, toWatchChanges, mlKindsOf } from './liveTrees';
export type { TreeRefresh } from './liveTrees';
export { WatchCache, resourcePath, stripObject } from './watchCache';
export type { WatchHealth, WatchTarget, WatchCacheOptions } from './watchCache';
export { DiscoveredKinds, discover } from './discovery';
export { classifyError, statusError, redact, ok, fail } from './errors';
export type { K8sError, K8sErrorKind, Result } from './errors';
export { findOnPath, missingPluginMessage, checkExecPlugin } from './execAuth';
export { Backoff, ChangeBatcher, jittered } from './timing';
export type { ChangeSet, Timers } from './timing';
export { trackPods } from './workloadPods';
export type { PodsTarget, TrackedPod, WorkloadPods } from './workloadPods';
