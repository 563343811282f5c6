// Reads a GPU metrics exporter (dcgm-exporter, AMD device-metrics-exporter) through the apiserver's service
// proxy: no port-forward and no direct network path to the pods, only the user's RBAC (`services/proxy` get).
import { EXPORTER_SELECTORS, exporterQuery, pickExporterService } from '../core/gpuMetrics';
import type { KubeObject } from '../core/kube';
import type { ClusterConnection } from './connection';
import { fail, ok, type Result } from './errors';
import { readAll } from './transport';

export interface ExporterRef {
  namespace: string;
  name: string;
  port: number | string;
}

/** "ns/name" or "ns/name:port" (the setting's form). */
export function parseExporterSetting(s: string): ExporterRef | undefined {
  const m = /^([a-z0-9-]+)\/([a-z0-9-.]+)(?::([A-Za-z0-9-]+))?$/.exec(s.trim());
  if (!m) return undefined;
  const port = m[3] ? (/^\d+$/.test(m[3]) ? Number(m[3]) : m[3]) : '';
  return { namespace: m[1]!, name: m[2]!, port };
}

/** Finds the exporter Service by its usual labels, across all namespaces (one list per selector). */
export async function discoverExporter(
  conn: ClusterConnection,
  signal?: AbortSignal,
): Promise<Result<ExporterRef | undefined>> {
  let forbidden: Result<never> | undefined;
  for (const sel of EXPORTER_SELECTORS) {
    const q = encodeURIComponent(exporterQuery(sel));
    const res = await conn.transport.get<{ items?: KubeObject[] }>(`/api/v1/services?labelSelector=${q}`, {
      signal,
      timeoutMs: 15_000,
    });
    if (!res.ok) {
      if (res.error.kind === 'forbidden') {
        forbidden ??= res;
        continue;
      }
      return res;
    }
    const found = pickExporterService(res.value.items ?? []);
    if (found) return ok(found);
  }
  return forbidden ?? ok(undefined);
}

/** The exporter's /metrics text through the apiserver service proxy. */
export async function scrapeExporter(
  conn: ClusterConnection,
  ref: ExporterRef,
  signal?: AbortSignal,
): Promise<Result<string>> {
  const target = ref.port === '' ? ref.name : `${ref.name}:${ref.port}`;
  const path = `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/services/${encodeURIComponent(target)}/proxy/metrics`;
  const res = await conn.transport.stream(path, { signal, timeoutMs: 15_000 });
  if (!res.ok) return res;
  try {
    return ok(await readAll(res.value));
  } catch (e) {
    return fail({ kind: 'server', message: `Reading the GPU metrics failed: ${(e as Error).message}` });
  }
}
