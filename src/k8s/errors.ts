// Expected failures of talking to a cluster, as values with one human line each (STYLE.md principle 9).
// Messages never contain tokens, headers or certificate data.

export type K8sErrorKind =
  | 'unreachable'
  | 'tls'
  | 'unauthorized'
  | 'forbidden'
  | 'notFound'
  | 'gone'
  | 'conflict'
  | 'invalid'
  | 'execPluginMissing'
  | 'execPluginFailed'
  | 'config'
  | 'cancelled'
  | 'server';

export interface K8sError {
  readonly kind: K8sErrorKind;
  /** One line for the user; safe to show. */
  readonly message: string;
  /** HTTP status when the apiserver answered. */
  readonly status?: number;
  /** The apiserver's Status.reason (e.g. Forbidden, NotFound, Expired), when given. */
  readonly reason?: string;
  /** The apiserver's Status.details (causes of an Invalid or Conflict answer), when given. */
  readonly details?: StatusDetails;
  /** How long the apiserver asked to wait before trying again (its Retry-After header), in ms. */
  readonly retryAfterMs?: number;
}

/**
 * A Retry-After header in ms: delta-seconds (what API Priority and Fairness sends with a 429) or an HTTP date.
 * Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** metav1.StatusDetails as the apiserver sends it; `causes[].field` is a field path (`spec.template`). */
export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly causes?: readonly {
    readonly reason?: string;
    readonly message?: string;
    readonly field?: string;
  }[];
}

export type Result<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: K8sError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(error: K8sError): Result<T> => ({ ok: false, error });

/** Thrown by the exec credential authenticator; classifyError turns it into a value. */
export class ExecPluginError extends Error {
  constructor(
    readonly kind: 'execPluginMissing' | 'execPluginFailed',
    message: string,
  ) {
    super(message);
    this.name = 'ExecPluginError';
  }
}

/** Thrown by the transport for a non-2xx answer, carrying the apiserver's Status. */
export class ApiStatusError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string | undefined,
    readonly serverMessage: string | undefined,
    readonly details?: StatusDetails,
  ) {
    super(serverMessage ?? `HTTP ${status}`);
    this.name = 'ApiStatusError';
  }
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);

/** Removes things that look like credentials from a message and keeps one short line. */
export function redact(text: string): string {
  const line = (text.split('\n').find((l) => l.trim() !== '') ?? '').trim();
  return line
    .replace(/(bearer|basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 ***')
    .replace(/(token|password|secret)(["']?\s*[:=]\s*["']?)[^\s"',}]+/gi, '$1$2***')
    .replace(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+\.?[A-Za-z0-9_-]*/g, '***')
    .replace(/[A-Za-z0-9+/]{40,}={0,2}/g, '***')
    .slice(0, 300);
}

function codeOf(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === 'string') return c;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Error for an HTTP answer; `what` names the thing asked for ("pods in team-a"). */
export function statusError(
  status: number,
  reason: string | undefined,
  serverMessage: string | undefined,
): K8sError {
  const msg = serverMessage ? redact(serverMessage) : undefined;
  switch (status) {
    case 401:
      return {
        kind: 'unauthorized',
        status,
        reason,
        message:
          'The cluster rejected the credentials (401 Unauthorized): log in again or refresh the kubeconfig.',
      };
    case 403:
      return {
        kind: 'forbidden',
        status,
        reason,
        message: msg ? `Forbidden: ${msg}` : 'Forbidden by RBAC (403).',
      };
    case 404:
      return { kind: 'notFound', status, reason, message: msg ? `Not found: ${msg}` : 'Not found (404).' };
    case 409:
      return { kind: 'conflict', status, reason, message: msg ?? 'Conflict (409).' };
    case 410:
      return { kind: 'gone', status, reason, message: msg ?? 'The resource version is too old (410 Gone).' };
    case 400:
    case 422:
      return { kind: 'invalid', status, reason, message: msg ?? `The request was rejected (${status}).` };
    default:
      return {
        kind: 'server',
        status,
        reason,
        message: msg ? `The apiserver answered ${status}: ${msg}` : `The apiserver answered ${status}.`,
      };
  }
}

/** Classifies anything thrown while talking to a cluster. `server` is named in network messages. */
export function classifyError(err: unknown, server?: string): K8sError {
  if (err instanceof ExecPluginError) return { kind: err.kind, message: err.message };
  if (err instanceof ApiStatusError) {
    const e = statusError(err.status, err.reason, err.serverMessage);
    return err.details ? { ...e, details: err.details } : e;
  }
  const anyErr = err as { statusCode?: unknown; name?: unknown; message?: unknown } | undefined;
  if (anyErr && typeof anyErr.statusCode === 'number') {
    return statusError(anyErr.statusCode, undefined, undefined);
  }
  if (anyErr && (anyErr.name === 'AbortError' || codeOf(err) === 'ABORT_ERR')) {
    return { kind: 'cancelled', message: 'The request was cancelled.' };
  }
  const where = server ? ` at ${server}` : '';
  const code = codeOf(err);
  // An HTTP/2 connection or stream the server closed (GOAWAY on shutdown, RST_STREAM): as a dropped connection.
  if (code && (UNREACHABLE.has(code) || code.startsWith('ERR_HTTP2_'))) {
    const why =
      code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'its host name does not resolve (DNS)'
        : code === 'ECONNREFUSED'
          ? 'the connection was refused'
          : code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT'
            ? 'the connection timed out'
            : code === 'EHOSTUNREACH' || code === 'ENETUNREACH'
              ? 'there is no route to the host'
              : 'the connection was closed';
    return {
      kind: 'unreachable',
      message: `Cannot reach the cluster${where}: ${why} (${code}). Check VPN and network.`,
    };
  }
  if (
    code &&
    (TLS_CODES.has(code) ||
      code.startsWith('ERR_TLS') ||
      code.startsWith('ERR_SSL') ||
      code.startsWith('CERT_'))
  ) {
    return {
      kind: 'tls',
      message: `TLS handshake with the cluster${where} failed (${code}): check the certificate authority in the kubeconfig.`,
    };
  }
  const text = typeof anyErr?.message === 'string' ? anyErr.message : String(err);
  if (/certificate|self[- ]signed|ssl|tls/i.test(text)) {
    return { kind: 'tls', message: `TLS handshake with the cluster${where} failed: ${redact(text)}` };
  }
  if (/timed? ?out|timeout/i.test(text)) {
    return { kind: 'unreachable', message: `Cannot reach the cluster${where}: the request timed out.` };
  }
  return { kind: 'server', message: `Request to the cluster${where} failed: ${redact(text)}` };
}
