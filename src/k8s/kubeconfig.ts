// Reads kubeconfig files the way kubectl does, without client-node's loadFromDefault (pitfall 5: it falls
// back to localhost:8080, lets the last file's current-context win, throws on duplicate names and leaves
// relative exec commands unresolved). Merge rules follow client-go's clientcmd loader (ClientConfigLoadingRules.Load,
// ResolveLocalPaths): read for shape only, not copied.
// Never writes any file.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';

/** One named entry as written in a kubeconfig file, with relative paths already made absolute. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RawEntry = Record<string, any>;

export interface KubeconfigContext {
  readonly name: string;
  readonly cluster: string;
  readonly user: string;
  readonly namespace?: string;
  /** The server URL of the context's cluster, when that cluster is defined. */
  readonly server?: string;
  /** The file that defined this context (first file wins). */
  readonly file: string;
}

export interface KubeconfigIssue {
  readonly file: string;
  readonly message: string;
}

export interface MergedKubeconfig {
  readonly kind: 'ok';
  /** Files that were read, in order. */
  readonly files: readonly string[];
  readonly contexts: readonly KubeconfigContext[];
  /** current-context from the first file that sets it (may name a context that does not exist). */
  readonly currentContext?: string;
  readonly clusters: ReadonlyMap<string, RawEntry>;
  readonly users: ReadonlyMap<string, RawEntry>;
  /** Problems that did not stop loading (a file that failed to parse while others loaded). */
  readonly issues: readonly KubeconfigIssue[];
}

export type KubeconfigLoad =
  | MergedKubeconfig
  /** No kubeconfig file, or files without any context: the views show welcome text. */
  | {
      readonly kind: 'none';
      readonly searched: readonly string[];
      readonly issues: readonly KubeconfigIssue[];
    }
  /** Files exist but none could be read or parsed. */
  | {
      readonly kind: 'error';
      readonly searched: readonly string[];
      readonly issues: readonly KubeconfigIssue[];
    };

export interface KubeconfigSources {
  /** The `gantry.kubeconfig` setting; when non-empty it replaces $KUBECONFIG and ~/.kube/config. */
  readonly explicitPath?: string;
  /** Environment to read KUBECONFIG from (defaults to process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Home directory (defaults to os.homedir()). */
  readonly home?: string;
}

/** The files kubectl would read, in order, and whether a missing one is an error. */
export function kubeconfigFiles(sources: KubeconfigSources = {}): { files: string[]; mustExist: boolean } {
  const env = sources.env ?? process.env;
  const home = sources.home ?? os.homedir();
  const expand = (p: string) => (p === '~' || p.startsWith('~/') ? path.join(home, p.slice(1)) : p);
  if (sources.explicitPath && sources.explicitPath.trim()) {
    return { files: [path.resolve(expand(sources.explicitPath.trim()))], mustExist: true };
  }
  const list = env.KUBECONFIG;
  if (list && list.length > 0) {
    const seen = new Set<string>();
    const files: string[] = [];
    for (const part of list.split(path.delimiter)) {
      if (!part) continue;
      const abs = path.resolve(expand(part));
      if (seen.has(abs)) continue; // kubectl de-duplicates the list
      seen.add(abs);
      files.push(abs);
    }
    return { files, mustExist: false };
  }
  return { files: [path.join(home, '.kube', 'config')], mustExist: false };
}

function isObject(v: unknown): v is RawEntry {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function resolveIn(dir: string, p: unknown): unknown {
  if (typeof p !== 'string' || p === '' || path.isAbsolute(p)) return p;
  return path.join(dir, p);
}

/** Makes the file references of one entry absolute against the directory of the file that holds it. */
function resolveClusterPaths(dir: string, cluster: RawEntry): RawEntry {
  const out = { ...cluster };
  if ('certificate-authority' in out)
    out['certificate-authority'] = resolveIn(dir, out['certificate-authority']);
  return out;
}

function resolveUserPaths(dir: string, user: RawEntry): RawEntry {
  const out = { ...user };
  for (const k of ['client-certificate', 'client-key', 'tokenFile', 'token-file']) {
    if (k in out) out[k] = resolveIn(dir, out[k]);
  }
  if (isObject(out.exec) && typeof out.exec.command === 'string' && out.exec.command.includes('/')) {
    // Only commands with a path separator are file references; bare names are looked up on PATH.
    out.exec = { ...out.exec, command: resolveIn(dir, out.exec.command) };
  }
  return out;
}

/**
 * Loads and merges the kubeconfig files. Rules (kubectl's): in a multi-file KUBECONFIG the first file
 * to define a cluster, user or context name wins; current-context comes from the first file that sets
 * it; missing files in KUBECONFIG are skipped, a missing explicit file is an error; relative paths are
 * resolved against the directory of the file that contains them.
 */
export function loadKubeconfig(sources: KubeconfigSources = {}): KubeconfigLoad {
  const { files, mustExist } = kubeconfigFiles(sources);
  const issues: KubeconfigIssue[] = [];
  const read: string[] = [];
  const clusters = new Map<string, RawEntry>();
  const users = new Map<string, RawEntry>();
  const contextEntries = new Map<string, { ctx: RawEntry; file: string }>();
  let currentContext: string | undefined;

  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        if (mustExist) issues.push({ file, message: `The kubeconfig file ${file} does not exist.` });
        continue;
      }
      issues.push({ file, message: `Cannot read ${file}: ${code ?? 'unknown error'}.` });
      continue;
    }
    let doc: unknown;
    try {
      // kubectl parses with YAML 1.1 rules (sigs.k8s.io/yaml).
      doc = parse(text, { version: '1.1', uniqueKeys: false });
    } catch (e) {
      issues.push({ file, message: `Cannot parse ${file}: ${firstLine((e as Error).message)}` });
      continue;
    }
    read.push(file);
    if (doc == null) continue; // an empty file is allowed
    if (!isObject(doc)) {
      issues.push({ file, message: `${file} is not a kubeconfig (expected a mapping at the top).` });
      continue;
    }
    const dir = path.dirname(file);
    for (const item of asList(doc.clusters)) {
      if (typeof item.name === 'string' && isObject(item.cluster) && !clusters.has(item.name)) {
        clusters.set(item.name, resolveClusterPaths(dir, item.cluster));
      }
    }
    for (const item of asList(doc.users)) {
      if (typeof item.name === 'string' && !users.has(item.name)) {
        users.set(item.name, resolveUserPaths(dir, isObject(item.user) ? item.user : {}));
      }
    }
    for (const item of asList(doc.contexts)) {
      if (typeof item.name === 'string' && isObject(item.context) && !contextEntries.has(item.name)) {
        contextEntries.set(item.name, { ctx: item.context, file });
      }
    }
    const cc = doc['current-context'];
    if (currentContext === undefined && typeof cc === 'string' && cc !== '') currentContext = cc;
  }

  if (contextEntries.size === 0) {
    const searched = files;
    if (read.length === 0 && issues.length > 0) return { kind: 'error', searched, issues };
    return { kind: 'none', searched, issues };
  }

  const contexts: KubeconfigContext[] = [];
  for (const [name, { ctx, file }] of contextEntries) {
    const cluster = typeof ctx.cluster === 'string' ? ctx.cluster : '';
    const server = clusters.get(cluster)?.server;
    contexts.push({
      name,
      cluster,
      user: typeof ctx.user === 'string' ? ctx.user : '',
      namespace: typeof ctx.namespace === 'string' && ctx.namespace ? ctx.namespace : undefined,
      server: typeof server === 'string' ? server : undefined,
      file,
    });
  }
  return { kind: 'ok', files: read, contexts, currentContext, clusters, users, issues };
}

function asList(v: unknown): RawEntry[] {
  return Array.isArray(v) ? v.filter(isObject) : [];
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

/** The context to use: the requested one, else current-context, else none. */
export function pickContext(cfg: MergedKubeconfig, name?: string): KubeconfigContext | undefined {
  const wanted = name ?? cfg.currentContext;
  return cfg.contexts.find((c) => c.name === wanted);
}
