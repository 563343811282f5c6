// Starting, probing and stopping the cluster's processes. Every component runs detached (its own process
// group, stdout/stderr appended to its own log file) so a cluster can outlive the process that started it
// (cluster:up, the test runner); it is stopped by PID only.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { createServer } from 'node:net';

export interface ComponentSpec {
  name: string;
  bin: string;
  args: string[];
  logFile: string;
  cwd: string;
  env?: Record<string, string>;
}

export function startDetached(spec: ComponentSpec): number {
  const fd = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.bin, spec.args, {
      cwd: spec.cwd,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...spec.env },
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.bin})`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie still answers signal 0; treat it as gone.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/** True when pid is alive and is still running `bin` (guards against PID reuse for stale state files). */
export function isOurProcess(pid: number, bin: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmd.some((a) => a === bin || a.endsWith(bin));
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function stopPid(pid: number, timeoutMs = 5000): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await sleep(50);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  while (isAlive(pid)) await sleep(20);
}

export async function tail(file: string, lines = 40): Promise<string> {
  if (!existsSync(file)) return '(no log)';
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .slice(-lines - 1)
    .join('\n');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface ProbeTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecure?: boolean;
}

/** GET url once; resolves the status code and body, or rejects on connection errors. */
export function httpGet(
  url: string,
  tls?: ProbeTls,
  timeoutMs = 3000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(
      u,
      {
        method: 'GET',
        timeout: timeoutMs,
        ...(u.protocol === 'https:'
          ? { ca: tls?.ca, cert: tls?.cert, key: tls?.key, rejectUnauthorized: !tls?.insecure }
          : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Polls `check` until it returns true. Fails early, with the component's log tail, when the process dies,
 * and with the tail too when the deadline passes.
 */
export async function waitReady(
  name: string,
  pid: number,
  logFile: string,
  check: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr = '';
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      throw new Error(`${name} exited during start-up. Last lines of ${logFile}:\n${await tail(logFile)}`);
    }
    try {
      if (await check()) return;
    } catch (e) {
      lastErr = (e as Error).message;
    }
    await sleep(200);
  }
  throw new Error(
    `${name} not ready after ${timeoutMs / 1000}s${lastErr ? ` (${lastErr})` : ''}. Last lines of ${logFile}:\n${await tail(logFile)}`,
  );
}
