// Where the cluster binaries live. scripts/cluster/paths.sh is the single source of the version pins and
// cache layout; this asks it (honouring KUBE_VERSION / ETCD_VERSION / KWOK_VERSION) instead of duplicating them.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const fixturesDir = join(repoRoot, 'test/fixtures/nodes');
export const kwokStagesFile = join(repoRoot, 'test/cluster/kwok/stages.yaml');
/** Extra stages for pods that real operators own directly (loaded only with operators). */
export const kwokOperatorStagesFile = join(repoRoot, 'test/cluster/kwok/operator-stages.yaml');
/** CI keeps a copy of shared/ beside the clone, at the same relative place as on dev machines. */
export const sharedCrdsDir = process.env.GANTRY_SHARED_CRDS ?? resolve(repoRoot, '../shared/crds');

export interface BinPaths {
  cache: string;
  kubeVersion: string;
  etcdVersion: string;
  kwokVersion: string;
  k8sBin: string;
  etcdBin: string;
  kwokBin: string;
  /** scripts/cluster/operators.sh's cache root and the pinned operator versions. */
  operatorsDir: string;
  operatorVersions: Record<'jobset' | 'lws' | 'kuberay' | 'training-operator' | 'trainer' | 'kueue', string>;
}

export function binPaths(version?: string): BinPaths {
  const env = { ...process.env };
  if (version) env.KUBE_VERSION = version;
  const out = execFileSync('bash', [join(repoRoot, 'scripts/cluster/paths.sh'), '--json'], {
    env,
    encoding: 'utf8',
  });
  return JSON.parse(out) as BinPaths;
}

/** The binaries of one version, or an error that says how to build them. */
export function requireBinaries(version?: string): BinPaths & { bins: Record<string, string> } {
  const p = binPaths(version);
  const bins: Record<string, string> = {
    // GANTRY_ETCD_BINARY: use another etcd (e.g. Debian's /usr/bin/etcd 3.4 for Kubernetes 1.30).
    etcd: process.env.GANTRY_ETCD_BINARY ?? join(p.etcdBin, 'etcd'),
    'kube-apiserver': join(p.k8sBin, 'kube-apiserver'),
    'kube-controller-manager': join(p.k8sBin, 'kube-controller-manager'),
    'kube-scheduler': join(p.k8sBin, 'kube-scheduler'),
    kubectl: join(p.k8sBin, 'kubectl'),
    kwok: join(p.kwokBin, 'kwok'),
  };
  const missing = Object.entries(bins).filter(([, f]) => !existsSync(f));
  if (missing.length > 0) {
    throw new Error(
      `cluster binaries missing: ${missing.map(([n, f]) => `${n} (${f})`).join(', ')}.\n` +
        `Build them with: ${p.kubeVersion === binPaths().kubeVersion ? '' : `KUBE_VERSION=${p.kubeVersion} `}npm run cluster:build`,
    );
  }
  return { ...p, bins };
}

export function runStateDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'gantry', 'run');
}

/** Clusters a bench left running on purpose (`bench:sidebar --keep`): `npm run cluster:down` stops them too. */
export function keptClustersDir(): string {
  return join(runStateDir(), 'kept');
}
