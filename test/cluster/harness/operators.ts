// Real ML operators as host processes against the local control plane (built by scripts/cluster/operators.sh).
// Their webhooks are served the way a real cluster does: the webhook configurations name a Service, the
// Service is `type: ExternalName, externalName: localhost`, and kube-apiserver's resolver turns that into
// https://localhost:<clientConfig.service.port> while still verifying the certificate for <svc>.<ns>.svc.
// Every operator's cert-controller rotator finds a valid CA and serving cert in its Secret (one kit for all,
// see operatorPki) and only injects the CA into its webhook configurations.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { withoutRejectedRules, type CrdAdjustment } from './crdRules';
import { binPaths } from './paths';
import { freePort, httpGet, startDetached, waitReady } from './procs';
import { kubectlInput } from './stream';

const run = promisify(execFile);

export const OPERATOR_NAMES = ['jobset', 'lws', 'kuberay', 'training-operator', 'trainer', 'kueue'] as const;
export type OperatorName = (typeof OPERATOR_NAMES)[number];

export interface OperatorState {
  name: OperatorName;
  version: string;
  pid: number;
  bin: string;
  logFile: string;
  healthPort: number;
  webhookPort?: number;
}

/** What the cluster harness passes in (a subset of ClusterState, to keep this file free of cluster.ts). */
export interface OperatorHost {
  runDir: string;
  kubeconfigPath: string;
  kubectl: (args: string[], input?: string) => Promise<string>;
}

interface Ctx {
  host: OperatorHost;
  dir: string;
  manifests: string;
  webhookPort: number;
  healthPort: number;
  /** Kueue's visibility server. */
  extraPort: number;
}

interface WebhookSource {
  /** manifests.yaml of the operator (controller-gen output, names without the kustomize prefix). */
  file: string;
  /** The configurations' names after upstream's kustomize (prefix or rename); the rotator injects into these. */
  names: { MutatingWebhookConfiguration?: string; ValidatingWebhookConfiguration?: string };
  /** kustomize patches upstream add this objectSelector to the pod webhooks, else every pod goes through them. */
  podSelectorKey?: string;
  /** Keep only these webhooks (by name); Kueue's full set guards kinds we do not enable. */
  keep?: (name: string) => boolean;
  /** Upstream kustomize gives the webhooks of other groups' kinds this namespace exclusion (Kueue). */
  excludeNamespaces?: string[];
}

interface OperatorDef {
  name: OperatorName;
  bin: string;
  namespace: string;
  /** The webhook Service and the cert Secret (absent: the operator serves no webhooks here). */
  service?: string;
  secret?: string;
  crdDirs: string[];
  webhooks?: WebhookSource;
  /** Aggregated APIs this operator serves on `extraPort` (Kueue's visibility API), through an ExternalName Service. */
  apiServices?: { service: string; group: string; versions: string[] };
  /** CRD names whose conversion webhook points at this operator (Kueue). */
  conversionCrds?: string[];
  /** Plurals the workload simulator leaves to this operator. */
  plurals: string[];
  args(c: Ctx): string[];
  env?(c: Ctx): Record<string, string>;
  config?(c: Ctx): Record<string, unknown>;
}

const off = { bindAddress: '0' };

const DEFS: Record<OperatorName, OperatorDef> = {
  jobset: {
    name: 'jobset',
    bin: 'jobset',
    namespace: 'jobset-system',
    service: 'jobset-webhook-service',
    secret: 'jobset-webhook-server-cert',
    crdDirs: ['config/components/crd/bases'],
    webhooks: {
      file: 'config/components/webhook/manifests.yaml',
      names: {
        MutatingWebhookConfiguration: 'jobset-mutating-webhook-configuration',
        ValidatingWebhookConfiguration: 'jobset-validating-webhook-configuration',
      },
      podSelectorKey: 'jobset.sigs.k8s.io/jobset-name',
    },
    plurals: ['jobsets'],
    config: (c) => ({
      apiVersion: 'config.jobset.x-k8s.io/v1alpha1',
      kind: 'Configuration',
      webhook: { port: c.webhookPort, host: '127.0.0.1' },
      health: { healthProbeBindAddress: `127.0.0.1:${c.healthPort}` },
      metrics: off,
      leaderElection: { leaderElect: false },
      internalCertManagement: { enable: true },
    }),
    args: (c) => [
      `--metrics-bind-address=0`,
      `--health-probe-bind-address=127.0.0.1:${c.healthPort}`,
      '--leader-elect=false',
    ],
  },
  lws: {
    name: 'lws',
    bin: 'lws',
    namespace: 'lws-system',
    service: 'lws-webhook-service',
    secret: 'lws-webhook-server-cert',
    crdDirs: ['config/crd/bases'],
    webhooks: {
      file: 'config/webhook/manifests.yaml',
      names: {
        MutatingWebhookConfiguration: 'lws-mutating-webhook-configuration',
        ValidatingWebhookConfiguration: 'lws-validating-webhook-configuration',
      },
      podSelectorKey: 'leaderworkerset.sigs.k8s.io/name',
    },
    plurals: ['leaderworkersets'],
    config: (c) => ({
      apiVersion: 'config.lws.x-k8s.io/v1alpha1',
      kind: 'Configuration',
      webhook: { port: c.webhookPort, host: '127.0.0.1', certDir: WEBHOOK_CERT_DIR },
      health: { healthProbeBindAddress: `127.0.0.1:${c.healthPort}` },
      metrics: off,
      leaderElection: { leaderElect: false },
      internalCertManagement: { enable: true },
    }),
    args: () => ['--leader-elect=false'],
  },
  kuberay: {
    name: 'kuberay',
    bin: 'ray-operator',
    namespace: 'ray-system',
    crdDirs: ['config/crd/bases'],
    // RayJob and RayService go to KubeRay too (one controller manager); their dashboard calls cannot work here,
    // so the simulator keeps the RayJobs whose spec.managedBy hands them to it (simulator/ray.ts).
    plurals: ['rayclusters'],
    args: (c) => [
      '--enable-leader-election=false',
      '--metrics-addr=0',
      `--health-probe-bind-address=127.0.0.1:${c.healthPort}`,
    ],
  },
  'training-operator': {
    name: 'training-operator',
    bin: 'training-operator',
    namespace: 'kubeflow',
    service: 'training-operator',
    secret: 'training-operator-webhook-cert',
    crdDirs: ['manifests/base/crds'],
    webhooks: {
      file: 'manifests/base/webhook/manifests.yaml',
      names: { ValidatingWebhookConfiguration: 'validator.training-operator.kubeflow.org' },
    },
    plurals: ['pytorchjobs', 'tfjobs', 'mpijobs'],
    env: () => ({ MY_POD_NAMESPACE: 'kubeflow' }),
    args: (c) => [
      '--metrics-bind-address=0',
      `--health-probe-bind-address=127.0.0.1:${c.healthPort}`,
      `--webhook-server-port=${c.webhookPort}`,
      '--leader-elect=false',
      '--gang-scheduler-name=',
    ],
  },
  trainer: {
    name: 'trainer',
    bin: 'trainer-controller-manager',
    namespace: 'kubeflow-system',
    service: 'kubeflow-trainer-controller-manager',
    secret: 'kubeflow-trainer-webhook-cert',
    crdDirs: ['manifests/base/crds'],
    webhooks: {
      file: 'manifests/base/webhook/manifests.yaml',
      names: {
        MutatingWebhookConfiguration: 'defaulter.trainer.kubeflow.org',
        ValidatingWebhookConfiguration: 'validator.trainer.kubeflow.org',
      },
    },
    plurals: ['trainjobs'],
    config: (c) => ({
      apiVersion: 'config.trainer.kubeflow.org/v1alpha1',
      kind: 'Configuration',
      webhook: { port: c.webhookPort, host: '127.0.0.1' },
      health: { healthProbeBindAddress: `127.0.0.1:${c.healthPort}` },
      metrics: off,
      leaderElection: { leaderElect: false },
      certManagement: { enable: true },
      // Its runtime status server (default 10443) would collide between clusters.
      statusServer: { port: c.extraPort },
    }),
    args: () => [],
  },
  kueue: {
    name: 'kueue',
    bin: 'kueue',
    namespace: 'kueue-system',
    service: 'kueue-webhook-service',
    secret: 'kueue-webhook-server-cert',
    crdDirs: ['config/components/crd/bases'],
    webhooks: {
      file: 'config/components/webhook/manifests.yaml',
      names: {
        MutatingWebhookConfiguration: 'kueue-mutating-webhook-configuration',
        ValidatingWebhookConfiguration: 'kueue-validating-webhook-configuration',
      },
      // Only the kinds Kueue manages here; its pod/deployment/statefulset webhooks would guard every pod.
      keep: (n) =>
        !/^(m|v)(pod|deployment|statefulset|appwrapper|mpijob|xgboostjob|paddlejob|tfjob|jaxjob|rayservice|sparkapplication|leaderworkerset)\./.test(
          n,
        ),
      excludeNamespaces: ['kube-system', 'kueue-system'],
    },
    conversionCrds: [
      'resourceflavors.kueue.x-k8s.io',
      'localqueues.kueue.x-k8s.io',
      'clusterqueues.kueue.x-k8s.io',
      'cohorts.kueue.x-k8s.io',
      'workloads.kueue.x-k8s.io',
      'multikueueclusters.kueue.x-k8s.io',
    ],
    apiServices: {
      service: 'kueue-visibility-server',
      group: 'visibility.kueue.x-k8s.io',
      versions: ['v1beta2', 'v1beta1'],
    },
    plurals: [],
    config: (c) => ({
      apiVersion: 'config.kueue.x-k8s.io/v1beta2',
      kind: 'Configuration',
      namespace: 'kueue-system',
      webhook: { port: c.webhookPort, host: '127.0.0.1', certDir: WEBHOOK_CERT_DIR },
      health: { healthProbeBindAddress: `127.0.0.1:${c.healthPort}` },
      metrics: off,
      leaderElection: { leaderElect: false },
      internalCertManagement: {
        enable: true,
        webhookServiceName: 'kueue-webhook-service',
        webhookSecretName: 'kueue-webhook-server-cert',
      },
      visibilityServer: { bindAddress: '127.0.0.1', bindPort: c.extraPort },
      integrations: {
        frameworks: [
          'batch/job',
          'kubeflow.org/pytorchjob',
          'jobset.x-k8s.io/jobset',
          'ray.io/raycluster',
          'ray.io/rayjob',
          'trainer.kubeflow.org/trainjob',
        ],
      },
    }),
    args: () => [],
  },
};

/**
 * Where training-operator, Trainer v2 and JobSet hard-code their rotator's cert dir: the operators' own literal
 * path (not Go's os.TempDir(), so not our tmpdir() either), the same on every machine.
 */
export const WEBHOOK_CERT_DIR = join('/', 'tmp', 'k8s-webhook-server', 'serving-certs');

/** The Secret names/namespaces and DNS names every rotator checks; one serving cert carries them all. */
function serviceDnsNames(): string[] {
  return Object.values(DEFS)
    .filter((d) => d.service)
    .map((d) => `${d.service}.${d.namespace}.svc`);
}
const CA_NAMES = ['jobset-ca', 'lws-ca', 'training-operator-ca', 'kubeflow-trainer-ca', 'kueue-ca'];

export interface OperatorPki {
  dir: string;
  caCrt: string;
  caKey: string;
  tlsCrt: string;
  tlsKey: string;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd: dir });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${err.stderr ?? err.message}`);
  }
}

/**
 * Where the webhook cert kit lives: beside WEBHOOK_CERT_DIR, machine-wide like it, not in $GANTRY_CACHE. Two
 * caches (a fresh clone's own GANTRY_CACHE beside the developer's) made two CAs of the same name, and the second
 * cluster's start overwrote the serving cert the first one's operators were using: the first apiserver then
 * refused every webhook call ("x509: certificate signed by unknown authority ... gantry-operators-ca").
 */
export const WEBHOOK_PKI_DIR = join(WEBHOOK_CERT_DIR, '..', 'gantry-operators-pki');

function kitIn(dir: string): OperatorPki {
  return {
    dir,
    caCrt: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    tlsCrt: join(dir, 'tls.crt'),
    tlsKey: join(dir, 'tls.key'),
  };
}

/**
 * The webhook cert kit, made once per machine: three operators read their certs from the fixed
 * WEBHOOK_CERT_DIR, so every cluster on this machine must use the same files. A 10-year CA (PKCS#1 key: the
 * rotator parses it with ParsePKCS1PrivateKey; SAN per rotator CAName, which it verifies) and one serving
 * cert for every webhook Service. Made in a folder of its own and renamed into place, so two cluster starts
 * at once agree on one kit.
 */
export async function operatorPki(dir = WEBHOOK_PKI_DIR): Promise<OperatorPki> {
  const kit = kitIn(dir);
  const sans = [...serviceDnsNames(), 'localhost'].map((n) => `DNS:${n}`).join(',') + ',IP:127.0.0.1';
  const current = (k: OperatorPki): boolean => {
    const stamp = join(k.dir, 'sans.txt');
    return existsSync(k.tlsCrt) && existsSync(stamp) && readFileSync(stamp, 'utf8') === sans;
  };
  if (current(kit)) return kit;
  await mkdir(join(dir, '..'), { recursive: true });
  const work = await mkdtemp(`${dir}.new-`);
  await makeKit(work, sans);
  // A kit for other names (an operator added) is replaced; one another start just made is kept.
  if (existsSync(dir) && !current(kit)) await rm(dir, { recursive: true, force: true });
  try {
    await rename(work, dir);
  } catch (e) {
    if (!current(kit)) throw e;
  }
  await rm(work, { recursive: true, force: true });
  return kit;
}

async function makeKit(dir: string, sans: string): Promise<void> {
  await chmod(dir, 0o700);
  await openssl(dir, ['genrsa', '-traditional', '-out', 'ca.key', '2048']);
  await openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-sha256',
    '-days',
    '3650',
    '-subj',
    '/O=gantry/CN=gantry-operators-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign,digitalSignature,keyEncipherment',
    '-addext',
    `subjectAltName=${CA_NAMES.map((n) => `DNS:${n}`).join(',')}`,
    '-out',
    'ca.crt',
  ]);
  await writeFile(
    join(dir, 'tls.ext'),
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans}\n`,
  );
  await openssl(dir, ['genrsa', '-traditional', '-out', 'tls.key', '2048']);
  await openssl(dir, [
    'req',
    '-new',
    '-key',
    'tls.key',
    '-subj',
    '/CN=gantry-operator-webhooks',
    '-out',
    'tls.csr',
  ]);
  await openssl(dir, [
    'x509',
    '-req',
    '-sha256',
    '-days',
    '3650',
    '-in',
    'tls.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-extfile',
    'tls.ext',
    '-out',
    'tls.crt',
  ]);
  await writeFile(join(dir, 'sans.txt'), sans);
}

async function installCertFiles(kit: OperatorPki): Promise<void> {
  await mkdir(WEBHOOK_CERT_DIR, { recursive: true });
  for (const [from, to] of [
    [kit.tlsCrt, 'tls.crt'],
    [kit.tlsKey, 'tls.key'],
    [kit.caCrt, 'ca.crt'],
  ]) {
    const dest = join(WEBHOOK_CERT_DIR, to);
    if (!existsSync(dest) || readFileSync(dest, 'utf8') !== readFileSync(from, 'utf8'))
      await copyFile(from, dest);
  }
}

export interface OperatorBuild {
  name: OperatorName;
  version: string;
  bin: string;
  manifests: string;
}

/** The cached build of each operator, or an error naming the command that builds it. */
export function operatorBuilds(names: readonly OperatorName[]): OperatorBuild[] {
  const p = binPaths();
  const missing: string[] = [];
  const out = names.map((name) => {
    const version = p.operatorVersions[name];
    const dir = join(p.operatorsDir, name, version);
    const b = { name, version, bin: join(dir, 'bin', DEFS[name].bin), manifests: join(dir, 'manifests') };
    if (!existsSync(b.bin) || !existsSync(b.manifests)) missing.push(`${name} ${version} (${b.bin})`);
    return b;
  });
  if (missing.length > 0)
    throw new Error(
      `operator binaries missing: ${missing.join(', ')}.\nBuild them with: npm run cluster:build:operators -- ${names.join(' ')}`,
    );
  return out;
}

/** Plurals the simulator must leave alone when these operators run. */
export function operatorPlurals(names: readonly OperatorName[]): string[] {
  return names.flatMap((n) => DEFS[n].plurals);
}

/** `--operators` / `GANTRY_OPERATORS`: "all", "none", or a comma list; trainer brings jobset (it runs on it). */
export function parseOperators(spec: string | undefined): OperatorName[] {
  if (!spec || spec === 'none') return [];
  const want = spec === 'all' || spec === 'true' ? [...OPERATOR_NAMES] : spec.split(',').map((s) => s.trim());
  for (const w of want)
    if (!(OPERATOR_NAMES as readonly string[]).includes(w))
      throw new Error(`unknown operator '${w}' (one of: ${OPERATOR_NAMES.join(', ')}, or all)`);
  if (want.includes('trainer') && !want.includes('jobset')) want.push('jobset');
  return OPERATOR_NAMES.filter((n) => want.includes(n));
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml' && statSync(join(dir, f)).isFile())
    .sort()
    .map((f) => join(dir, f));
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function readDocs(file: string): Promise<Obj[]> {
  return parseAllDocuments(await readFile(file, 'utf8'))
    .map((d) => d.toJS() as Obj | null)
    .filter((d): d is Obj => !!d);
}

/** The operator's webhook configurations with the kustomize edits upstream makes, pointed at our Service. */
async function renderWebhooks(def: OperatorDef, c: Ctx, caBundle: string): Promise<Obj[]> {
  const src = def.webhooks!;
  const docs = await readDocs(join(c.manifests, src.file));
  return docs
    .filter((d) => /WebhookConfiguration$/.test(d.kind))
    .map((d) => {
      const name = src.names[d.kind as keyof WebhookSource['names']];
      if (!name) throw new Error(`${def.name}: no name for ${d.kind} ${d.metadata.name} in ${src.file}`);
      d.metadata.name = name;
      d.webhooks = (d.webhooks as Obj[])
        .filter((w) => !src.keep || src.keep(w.name))
        .map((w) => {
          w.clientConfig = {
            service: {
              name: def.service,
              namespace: def.namespace,
              path: w.clientConfig.service.path,
              port: c.webhookPort,
            },
            caBundle,
          };
          const pods = (w.rules as Obj[]).some((r) => (r.resources as string[]).includes('pods'));
          if (pods && src.podSelectorKey)
            w.objectSelector = { matchExpressions: [{ key: src.podSelectorKey, operator: 'Exists' }] };
          const own = (w.rules as Obj[]).every((r) => (r.apiGroups as string[]).includes('kueue.x-k8s.io'));
          if (src.excludeNamespaces && !own)
            w.namespaceSelector = {
              matchExpressions: [
                { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: src.excludeNamespaces },
              ],
            };
          return w;
        });
      return d;
    });
}

async function applyObjects(host: OperatorHost, objs: Obj[]): Promise<void> {
  await host.kubectl(
    ['apply', '--server-side', '--force-conflicts', '--field-manager=gantry-operators', '-f', '-'],
    kubectlInput(objs),
  );
}

/**
 * Applies CRDs; those the server refuses for a CEL rule it cannot compile (crdRules.ts) are applied again without
 * that rule. Returns what was removed, by CRD.
 */
async function applyCrds(host: OperatorHost, docs: Obj[]): Promise<CrdAdjustment[]> {
  try {
    await applyObjects(host, docs);
    return [];
  } catch (e) {
    const fixed = withoutRejectedRules(docs, e instanceof Error ? e.message : String(e));
    if (!fixed) throw e;
    await applyObjects(host, fixed.docs);
    return fixed.adjustments;
  }
}

async function installPrereqs(
  def: OperatorDef,
  c: Ctx,
  kit: OperatorPki,
  log: (m: string) => void,
): Promise<void> {
  const b64 = (f: string): string => readFileSync(f).toString('base64');
  const objs: Obj[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: def.namespace } }];
  if (def.secret)
    objs.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: def.secret, namespace: def.namespace },
      type: 'Opaque',
      data: {
        'ca.crt': b64(kit.caCrt),
        'ca.key': b64(kit.caKey),
        'tls.crt': b64(kit.tlsCrt),
        'tls.key': b64(kit.tlsKey),
      },
    });
  if (def.service)
    objs.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: def.service, namespace: def.namespace },
      spec: { type: 'ExternalName', externalName: 'localhost' },
    });
  await applyObjects(c.host, objs);
  // CRDs: the operator's own, replacing the shared copies of the same name (server-side apply: they are large).
  const crds = def.crdDirs.flatMap((d) => yamlFiles(join(c.manifests, d)));
  const docs: Obj[] = [];
  for (const f of crds)
    for (const d of await readDocs(f)) {
      if (def.conversionCrds?.includes(d.metadata.name))
        d.spec.conversion = {
          strategy: 'Webhook',
          webhook: {
            clientConfig: {
              service: {
                name: def.service,
                namespace: def.namespace,
                path: '/convert',
                port: c.webhookPort,
              },
              caBundle: b64(kit.caCrt),
            },
            conversionReviewVersions: ['v1'],
          },
        };
      docs.push(d);
    }
  for (const a of await applyCrds(c.host, docs))
    log(
      `warning: ${a.name} (${def.name}) rejected by the server; applied without rule(s): ${a.removedRules.join('; ')}`,
    );
  await c.host.kubectl([
    'wait',
    '--for=condition=Established',
    '--timeout=120s',
    ...crds.flatMap((f) => ['-f', f]),
  ]);
  if (def.webhooks) await applyObjects(c.host, await renderWebhooks(def, c, b64(kit.caCrt)));
  if (def.apiServices) {
    const a = def.apiServices;
    // As upstream config/components/visibility: the aggregator does not verify the server's self-signed cert.
    await applyObjects(c.host, [
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: a.service, namespace: def.namespace },
        spec: { type: 'ExternalName', externalName: 'localhost' },
      },
      ...a.versions.map((v) => ({
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        metadata: { name: `${v}.${a.group}` },
        spec: {
          group: a.group,
          version: v,
          groupPriorityMinimum: 100,
          versionPriority: 100,
          insecureSkipTLSVerify: true,
          service: { name: a.service, namespace: def.namespace, port: c.extraPort },
        },
      })),
    ]);
  }
}

/**
 * Installs and starts the named operators in order (JobSet before Trainer, Kueue last), each ready when its
 * /readyz answers 200 (for the cert-rotating ones that means certs are in place and the webhook server is up).
 */
export async function startOperators(
  host: OperatorHost,
  names: readonly OperatorName[],
  log: (m: string) => void,
  /** Called as soon as a process runs, so a failed start still stops it. */
  started: (o: OperatorState) => void,
): Promise<Record<string, OperatorState>> {
  const builds = operatorBuilds(names);
  const kit = await operatorPki();
  await installCertFiles(kit);
  const out: Record<string, OperatorState> = {};
  for (const b of builds) {
    const def = DEFS[b.name];
    const t0 = Date.now();
    const dir = join(host.runDir, 'operators', b.name);
    await mkdir(dir, { recursive: true });
    const [webhookPort, healthPort, extraPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const c: Ctx = { host, dir, manifests: b.manifests, webhookPort, healthPort, extraPort };
    await installPrereqs(def, c, kit, log);
    const args = [`--kubeconfig=${host.kubeconfigPath}`, ...def.args(c)];
    if (def.config) {
      const cfg = join(dir, 'config.yaml');
      await writeFile(cfg, stringify(def.config(c)));
      args.push(`--config=${cfg}`);
    }
    const logFile = join(host.runDir, 'logs', `${b.name}.log`);
    const pid = startDetached({ name: b.name, bin: b.bin, args, logFile, cwd: dir, env: def.env?.(c) });
    out[b.name] = { name: b.name, version: b.version, pid, bin: b.bin, logFile, healthPort, webhookPort };
    started(out[b.name]);
    await waitReady(
      `${b.name} ${b.version}`,
      pid,
      logFile,
      async () => (await httpGet(`http://127.0.0.1:${healthPort}/readyz`)).status === 200,
      180_000,
    );
    log(`${b.name} ${b.version} ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  }
  return out;
}

/**
 * Webhook configurations and APIServices of these operators, deleted before the processes stop: with an
 * operator gone, its Fail-policy webhooks would refuse every matching create until the cluster goes.
 */
export function operatorWebhookNames(names: readonly OperatorName[]): string[] {
  return names.flatMap((n) => {
    const d = DEFS[n];
    const w = d.webhooks?.names ?? {};
    return [
      ...(d.apiServices?.versions.map((v) => `apiservice/${v}.${d.apiServices!.group}`) ?? []),
      ...(w.MutatingWebhookConfiguration
        ? [`mutatingwebhookconfiguration/${w.MutatingWebhookConfiguration}`]
        : []),
      ...(w.ValidatingWebhookConfiguration
        ? [`validatingwebhookconfiguration/${w.ValidatingWebhookConfiguration}`]
        : []),
    ];
  });
}
