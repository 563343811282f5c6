// Test PKI with openssl: one CA, the apiserver serving cert (also kwok's), an admin client cert in
// system:masters, and the service-account signing pair. Everything stays inside the run's temp folder.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Pki {
  dir: string;
  caCrt: string;
  caKey: string;
  serverCrt: string;
  serverKey: string;
  adminCrt: string;
  adminKey: string;
  saKey: string;
  saPub: string;
  /** The aggregator's client cert (CN front-proxy-client), for aggregated APIs such as Kueue's visibility API. */
  proxyCrt?: string;
  proxyKey?: string;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd: dir });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${err.stderr ?? err.message}`);
  }
}

export async function generatePki(dir: string): Promise<Pki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const days = '3650';
  await openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-sha256',
    '-nodes',
    '-days',
    days,
    '-subj',
    '/CN=gantry-test-ca',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ]);
  await writeFile(
    join(dir, 'server.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n' +
      'subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,' +
      'DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:10.96.0.1\n',
  );
  await writeFile(
    join(dir, 'client.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n',
  );
  const leaf = async (name: string, subj: string, ext: string): Promise<void> => {
    await openssl(dir, [
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      subj,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    ]);
    await openssl(dir, [
      'x509',
      '-req',
      '-sha256',
      '-days',
      days,
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-extfile',
      ext,
      '-out',
      `${name}.crt`,
    ]);
  };
  await Promise.all([
    leaf('apiserver', '/CN=kube-apiserver', 'server.ext'),
    leaf('admin', '/O=system:masters/CN=kubernetes-admin', 'client.ext'),
    leaf('front-proxy', '/CN=front-proxy-client', 'client.ext'),
    (async () => {
      await openssl(dir, ['genrsa', '-out', 'sa.key', '2048']);
      await openssl(dir, ['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
    })(),
  ]);
  return {
    dir,
    caCrt: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCrt: join(dir, 'apiserver.crt'),
    serverKey: join(dir, 'apiserver.key'),
    adminCrt: join(dir, 'admin.crt'),
    adminKey: join(dir, 'admin.key'),
    saKey: join(dir, 'sa.key'),
    saPub: join(dir, 'sa.pub'),
    proxyCrt: join(dir, 'front-proxy.crt'),
    proxyKey: join(dir, 'front-proxy.key'),
  };
}

export function kubeconfigYaml(server: string, pki: Pki): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: gantry-test',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority: ${pki.caCrt}`,
    'users:',
    '- name: gantry-test-admin',
    '  user:',
    `    client-certificate: ${pki.adminCrt}`,
    `    client-key: ${pki.adminKey}`,
    'contexts:',
    '- name: gantry-test',
    '  context:',
    '    cluster: gantry-test',
    '    user: gantry-test-admin',
    '    namespace: default',
    'current-context: gantry-test',
    '',
  ].join('\n');
}
