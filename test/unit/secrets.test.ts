// Secrets stay secret: with a kubeconfig holding a known bearer token, a client key and an exec plugin that
// returns a token, every command runs (with no argument and with a tree node), in each context, against a
// small local apiserver stand-in that answers 403s, 404s, a 500 and one Secret. Nothing the extension shows
// (log channel, notifications, status bar, clipboard, pickers, Describe documents, thrown errors) may contain a
// credential or a Secret value. The stand-in records the credentials it received, so the test also proves the
// credentials were really used (a test that never sent them could not fail).
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { installVscodeStub } from './helpers/vscodeStub';

const record = installVscodeStub();

const BEARER = 'gantry-test-BEARER-7f3a9c41d2';
const EXEC_TOKEN = 'gantry-test-EXEC-2b8e55a0c7';
const KEY_BODY = 'gantryTestCLIENTKEY5d1e9a77b3';
const CLIENT_KEY = `-----BEGIN PRIVATE KEY-----\n${KEY_BODY}\n-----END PRIVATE KEY-----\n`;
const SECRET_VALUE = 'gantry-test-PASSWORD-hunter2-90ab';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const NEEDLES = [BEARER, EXEC_TOKEN, KEY_BODY, b64(CLIENT_KEY), SECRET_VALUE, b64(SECRET_VALUE)];

const SECRET_KIND = { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true };
const secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: {
    name: 'creds',
    namespace: 'ml',
    uid: 'uid-creds',
    annotations: {
      'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
        stringData: { password: SECRET_VALUE },
      }),
    },
  },
  type: 'Opaque',
  data: { password: b64(SECRET_VALUE), 'token.txt': b64(BEARER) },
};

let server: Server;
const seenAuth = new Set<string>();

function respond(req: IncomingMessage): { status: number; body: unknown } {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/version')
    return { status: 200, body: { gitVersion: 'v1.36.3', major: '1', minor: '36' } };
  if (url.pathname === '/api/v1/namespaces/ml/secrets/creds') return { status: 200, body: secret };
  if (url.pathname.endsWith('/events')) return { status: 200, body: { kind: 'EventList', items: [] } };
  if (url.pathname === '/api') return { status: 200, body: { kind: 'APIVersions', versions: ['v1'] } };
  if (url.pathname === '/apis') return { status: 200, body: { kind: 'APIGroupList', groups: [] } };
  if (url.pathname.startsWith('/api/v1/namespaces/ml/pods/'))
    return { status: 500, body: { message: 'etcd timeout' } };
  if (url.pathname.startsWith('/api/v1/namespaces/ml/')) return { status: 404, body: { reason: 'NotFound' } };
  return {
    status: 403,
    body: {
      kind: 'Status',
      status: 'Failure',
      reason: 'Forbidden',
      message: `${url.pathname} is forbidden: User "alice" cannot list resource`,
      code: 403,
    },
  };
}

let kubeconfig: string;
before(async () => {
  server = createServer((req, res) => {
    seenAuth.add(String(req.headers.authorization ?? ''));
    const r = respond(req);
    res.writeHead(r.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(r.body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'gantry-secrets-'));
  const plugin = join(dir, 'plugin.js');
  writeFileSync(
    plugin,
    `process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: ${JSON.stringify(EXEC_TOKEN)} } }));`,
  );
  kubeconfig = join(dir, 'config');
  // Plain HTTP (no TLS to set up) needs the skip flag; the credentials are sent all the same.
  const cluster = { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true };
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'ctx-token',
      clusters: [{ name: 'local', cluster }],
      users: [
        { name: 'token', user: { token: BEARER } },
        {
          name: 'cert',
          user: { 'client-certificate-data': b64('not a cert'), 'client-key-data': b64(CLIENT_KEY) },
        },
        {
          name: 'exec',
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1',
              command: process.execPath,
              args: [plugin],
              interactiveMode: 'Never',
            },
          },
        },
      ],
      contexts: [
        { name: 'ctx-token', context: { cluster: 'local', user: 'token', namespace: 'ml' } },
        { name: 'ctx-cert', context: { cluster: 'local', user: 'cert', namespace: 'ml' } },
        { name: 'ctx-exec', context: { cluster: 'local', user: 'exec', namespace: 'ml' } },
      ],
    }),
    { mode: 0o600 },
  );
  process.env.KUBECONFIG = kubeconfig;
});

after(() => server?.close());

function memento(init: Record<string, unknown>) {
  const m = new Map<string, unknown>(Object.entries(init));
  return {
    get: (k: string, d?: unknown) => (m.has(k) ? m.get(k) : d),
    update: async (k: string, v: unknown) => void m.set(k, v),
    keys: () => [...m.keys()],
  };
}

/** Tree nodes the object commands accept: a Secret shown as a workload row, a pod, a GPU node, a GPU pod. */
const nodes = [
  { type: 'workload', id: 'w:1', kind: SECRET_KIND, object: secret, label: 'creds' },
  { type: 'pod', id: 'p:1', namespace: 'ml', name: 'trainer-0', label: 'trainer-0' },
  { type: 'gpuNode', id: 'n:1', node: { name: 'h100-node-0' }, label: 'h100-node-0' },
  { type: 'gpuPod', id: 'gp:1', namespace: 'ml', name: 'trainer-0', label: 'trainer-0' },
];

const leaks = (texts: readonly string[]) =>
  texts.flatMap((t) => NEEDLES.filter((n) => t.includes(n)).map((n) => `${n} in: ${t.slice(0, 300)}`));

for (const context of ['ctx-token', 'ctx-cert', 'ctx-exec']) {
  test(`${context}: no command, log line, notification or Describe shows a credential or a Secret value`, async () => {
    const ext = await import('../../src/extension');
    record.shown.length = 0;
    ext.activate({
      subscriptions: [],
      extensionPath: '/x',
      asAbsolutePath: (p: string) => `/x/${p}`,
      workspaceState: memento({ 'gantry.state.context': context }),
      globalState: memento({}),
      globalStorageUri: { fsPath: join(tmpdir(), 'gantry-secrets-storage') },
    } as never);
    try {
      for (
        let i = 0;
        i < 250 && !['connected', 'failed'].includes(String(record.contexts.get('gantry:connection')));
        i++
      )
        await new Promise((r) => setTimeout(r, 20));
      const thrown: string[] = [];
      for (const [id, run] of [...record.commands]) {
        for (const arg of [undefined, ...nodes]) {
          try {
            await Promise.race([run(arg), new Promise((r) => setTimeout(r, 2000))]);
          } catch (e) {
            thrown.push(`${id}: ${e instanceof Error ? `${e.message}\n${e.stack}` : String(e)}`);
          }
        }
      }
      const describe = record.contentProviders.get('gantry-describe');
      assert.ok(describe, 'the describe provider is registered');
      const target = { context, kind: SECRET_KIND, namespace: 'ml', name: 'creds' };
      const cancel = { isCancellationRequested: false };
      const doc = String(
        await describe.provideTextDocumentContent({ query: JSON.stringify(target) }, cancel),
      );
      const podDoc = String(
        await describe.provideTextDocumentContent(
          {
            query: JSON.stringify({
              context,
              kind: { ...SECRET_KIND, kind: 'Pod', plural: 'pods' },
              namespace: 'ml',
              name: 'x',
            }),
          },
          cancel,
        ),
      );
      assert.deepEqual(leaks([...record.shown, ...thrown, doc, podDoc]), []);
      // The Secret was described (keys and sizes), not an error.
      assert.match(doc, /password: "<hidden: 33 bytes>"/);
      assert.match(doc, /Values of password, token\.txt are hidden/);
      // Asked for, the values are shown: the check above can see a value when one is there.
      const revealed = String(
        await describe.provideTextDocumentContent(
          { query: JSON.stringify({ ...target, revealSecretValues: true }) },
          cancel,
        ),
      );
      assert.ok(revealed.includes(b64(SECRET_VALUE)), 'revealed on request');
      assert.ok(record.shown.length > 0, 'the commands showed something (messages or log lines) to check');
    } finally {
      await ext.deactivate();
    }
  });
}

test('the credentials were really sent (bearer token, and the exec plugin token)', () => {
  assert.ok(seenAuth.has(`Bearer ${BEARER}`), [...seenAuth].join(', '));
  assert.ok(seenAuth.has(`Bearer ${EXEC_TOKEN}`), [...seenAuth].join(', '));
});
