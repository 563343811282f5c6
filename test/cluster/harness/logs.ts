// Per-pod container logs served through the real apiserver: CRI-format files that kwok reads, registered with
// a namespaced kwok `Logs` object per pod. Used by TestCluster.appendLog and the simulator's demo logs.
import { existsSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Rest, RestError, isConflict } from './rest';

const KWOK = '/apis/kwok.x-k8s.io/v1alpha1';

interface LogsObject {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: { logs: { containers?: string[]; logsFile?: string; follow?: boolean }[] };
}

interface PodLike {
  metadata: { uid: string };
  spec: { containers: { name: string }[]; initContainers?: { name: string }[] };
}

function sanitize(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_');
}

export function podLogFile(
  podLogsDir: string | { podLogsDir: string },
  namespace: string,
  pod: string,
  container: string,
): string {
  const dir = typeof podLogsDir === 'string' ? podLogsDir : podLogsDir.podLogsDir;
  return join(dir, `${sanitize(namespace)}_${sanitize(pod)}`, `${sanitize(container)}.log`);
}

/** One CRI log line: `<RFC3339Nano> <stream> F <text>`. */
export function criLine(text: string, stream: 'stdout' | 'stderr' = 'stdout', at = new Date()): string {
  return `${at.toISOString().replace('Z', '000000Z')} ${stream} F ${text}\n`;
}

export async function appendPodLog(
  rest: Rest,
  podLogsDir: string,
  namespace: string,
  pod: string,
  container: string,
  lines: string[],
  stream: 'stdout' | 'stderr' = 'stdout',
): Promise<void> {
  const file = podLogFile(podLogsDir, namespace, pod, container);
  const fresh = !existsSync(file);
  await mkdir(join(file, '..'), { recursive: true });
  if (fresh) await writeFile(file, '', { flag: 'a' });
  const now = new Date();
  await appendFile(file, lines.map((l) => criLine(l, stream, now)).join(''));
  if (fresh) await registerLogs(rest, podLogsDir, namespace, pod, container);
}

/** Points kwok at this pod's files with a namespaced `Logs` object (owned by the pod, so GC removes it). */
async function registerLogs(
  rest: Rest,
  podLogsDir: string,
  namespace: string,
  pod: string,
  container: string,
): Promise<void> {
  const path = `${KWOK}/namespaces/${namespace}/logs/${pod}`;
  const p = await rest.find<PodLike>(`/api/v1/namespaces/${namespace}/pods/${pod}`);
  const containers = new Set([
    container,
    ...(p?.spec.containers.map((c) => c.name) ?? []),
    ...(p?.spec.initContainers?.map((c) => c.name) ?? []),
  ]);
  for (const c of containers) {
    const f = podLogFile(podLogsDir, namespace, pod, c);
    await mkdir(join(f, '..'), { recursive: true });
    await writeFile(f, '', { flag: 'a' });
  }
  for (let attempt = 0; ; attempt++) {
    const existing = await rest.find<LogsObject>(path);
    const logs = existing?.spec.logs ?? [];
    for (const c of containers) {
      if (!logs.some((l) => l.containers?.includes(c)))
        logs.push({ containers: [c], logsFile: podLogFile(podLogsDir, namespace, pod, c), follow: true });
    }
    const body = {
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'Logs',
      metadata: {
        name: pod,
        namespace,
        ...(existing ? { resourceVersion: existing.metadata.resourceVersion } : {}),
        ...(p
          ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: pod, uid: p.metadata.uid }] }
          : {}),
      },
      spec: { logs },
    };
    try {
      if (existing) await rest.put(path, body);
      else await rest.post(`${KWOK}/namespaces/${namespace}/logs`, body);
      break;
    } catch (e) {
      if (!isConflict(e) || attempt > 5) throw e;
    }
  }
  // kwok learns about the Logs object through a watch: wait until it serves this file, not the default.
  if (!p) return;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      const text = await rest.raw(
        'GET',
        `/api/v1/namespaces/${namespace}/pods/${pod}/log?container=${encodeURIComponent(container)}&limitBytes=1`,
      );
      if (text.length > 0) return;
    } catch (e) {
      if (!(e instanceof RestError)) throw e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`kwok did not start serving ${namespace}/${pod}/${container} logs within 15s`);
}
