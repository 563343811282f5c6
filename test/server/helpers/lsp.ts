// Drives the Gantry server with real LSP messages: in process over in-memory streams, or a child process over stdio.
// In process, the server side gets MessageReader/Writer objects (not raw Node streams) and no `exit` is ever sent,
// so vscode-languageserver never calls process.exit (pitfall 12).
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import {
  StreamMessageReader,
  StreamMessageWriter,
  createMessageConnection,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import type {
  Diagnostic,
  InitializeResult,
  NotificationType,
  PublishDiagnosticsParams,
  TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol';
import { createConnection } from 'vscode-languageserver/node';
import { createServer, type GantryServer, type ServerOptions } from '../../../src/server/server';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const bundledSchemas = path.join(repoRoot, 'schemas');

export class TestClient {
  private readonly _published: PublishDiagnosticsParams[] = [];
  private readonly _waiters: {
    pred: (p: PublishDiagnosticsParams) => boolean;
    resolve: (p: PublishDiagnosticsParams) => void;
  }[] = [];
  private readonly _notes: { method: string; params: unknown }[] = [];
  private readonly _noteWaiters: { method: string; resolve: (p: unknown) => void }[] = [];
  private readonly _versions = new Map<string, number>();

  constructor(
    readonly conn: MessageConnection,
    private readonly _close: () => void,
    readonly server?: GantryServer,
  ) {
    conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this._published.push(p);
      for (const w of [...this._waiters]) {
        if (w.pred(p)) {
          this._waiters.splice(this._waiters.indexOf(w), 1);
          w.resolve(p);
        }
      }
    });
    conn.onNotification((method: string, params: unknown) => {
      this._notes.push({ method, params });
      for (const w of [...this._noteWaiters]) {
        if (w.method === method) {
          this._noteWaiters.splice(this._noteWaiters.indexOf(w), 1);
          w.resolve(params);
        }
      }
    });
    // The server may ask for things a real client answers; answer them with nothing.
    conn.onRequest(() => null);
    conn.listen();
  }

  async initialize(): Promise<InitializeResult> {
    const r = await this.conn.sendRequest<InitializeResult>('initialize', {
      processId: null,
      rootUri: null,
      capabilities: {
        textDocument: {
          publishDiagnostics: { versionSupport: true },
          completion: { completionItem: { snippetSupport: true } },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          documentSymbol: { hierarchicalDocumentSymbolSupport: true },
        },
      },
      workspaceFolders: null,
    });
    await this.conn.sendNotification('initialized', {});
    return r;
  }

  /** Resolves with the next diagnostics published for `uri` (optionally: for that document version). */
  diagnostics(uri: string, version?: number, timeoutMs = 20_000): Promise<PublishDiagnosticsParams> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no diagnostics for ${uri} v${version} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this._waiters.push({
        pred: (p) => p.uri === uri && (version === undefined || p.version === version),
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
      });
    });
  }

  notification<T>(type: NotificationType<T>, timeoutMs = 20_000): Promise<T> {
    const method = type.method;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${method} in ${timeoutMs} ms`)), timeoutMs);
      this._noteWaiters.push({
        method,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p as T);
        },
      });
    });
  }

  published(uri: string): PublishDiagnosticsParams[] {
    return this._published.filter((p) => p.uri === uri);
  }

  /** Opens a document and waits for its first diagnostics. */
  async open(uri: string, text: string, languageId = 'yaml'): Promise<Diagnostic[]> {
    const got = this.diagnostics(uri, 1);
    this._versions.set(uri, 1);
    await this.conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId, version: 1, text },
    });
    return (await got).diagnostics;
  }

  /** Sends a change and waits for the diagnostics of the new version. */
  async change(uri: string, changes: TextDocumentContentChangeEvent[]): Promise<Diagnostic[]> {
    const version = (this._versions.get(uri) ?? 1) + 1;
    this._versions.set(uri, version);
    const got = this.diagnostics(uri, version);
    await this.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: changes,
    });
    return (await got).diagnostics;
  }

  /** Sends a change without waiting. */
  async changeOnly(uri: string, changes: TextDocumentContentChangeEvent[]): Promise<number> {
    const version = (this._versions.get(uri) ?? 1) + 1;
    this._versions.set(uri, version);
    await this.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: changes,
    });
    return version;
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.conn.sendRequest<R>(method, params);
  }

  async close(): Promise<void> {
    try {
      await Promise.race([this.conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
    } catch {
      // Closing anyway.
    }
    this.conn.dispose();
    this._close();
  }
}

/** A server in this process, on in-memory streams. */
export function inProcess(opts: ServerOptions = {}): TestClient {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const serverConn = createConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
  const server = createServer(serverConn, { schemasDir: bundledSchemas, debounceMs: 20, ...opts });
  const client = createMessageConnection(
    new StreamMessageReader(toClient),
    new StreamMessageWriter(toServer),
  );
  return new TestClient(
    client,
    () => {
      server.dispose();
      serverConn.dispose();
      toServer.end();
      toClient.end();
    },
    server,
  );
}

/** `node dist/server.js --stdio` as a child process. */
export function overStdio(
  serverJs = path.join(repoRoot, 'dist', 'server.js'),
): TestClient & { child: ChildProcess } {
  const child = spawn(process.execPath, [serverJs, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const client = createMessageConnection(
    new StreamMessageReader(child.stdout!),
    new StreamMessageWriter(child.stdin!),
  );
  const tc = new TestClient(client, () => {
    if (child.exitCode === null) child.kill();
  });
  return Object.assign(tc, { child });
}
