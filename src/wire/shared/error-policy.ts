/**
 * What both formats share when translating errors (spec §9): reading the upstream's retry headers,
 * deciding `x-should-retry`, and classifying an upstream status/type into the cases of the §9 table.
 */
import { assertNever } from '../../core/assert-never.js';
import { GatewayError } from '../../core/errors.js';
import type { Unchecked } from './json.js';
import { isObject, str } from './json.js';

export function headerValue(headers: Record<string, string | undefined>, name: string): string | undefined {
  const direct = headers[name];
  if (direct !== undefined) return direct;
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === lower) return value;
  return undefined;
}

/** Seconds from `retry-after-ms` or a numeric `retry-after`. HTTP dates need a clock, so they are left out. */
export function readRetryAfter(headers: Record<string, string | undefined>): number | undefined {
  const ms = Number(headerValue(headers, 'retry-after-ms'));
  if (headerValue(headers, 'retry-after-ms') !== undefined && Number.isFinite(ms) && ms >= 0) return Math.ceil(ms / 1000);
  const raw = headerValue(headers, 'retry-after');
  if (raw === undefined || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : undefined;
}

export function readShouldRetry(headers: Record<string, string | undefined>): boolean | undefined {
  const raw = headerValue(headers, 'x-should-retry')?.trim().toLowerCase();
  return raw === 'true' ? true : raw === 'false' ? false : undefined;
}

/** The §9 row an error falls into, independent of the format it is rendered in. */
export type ErrorCase =
  | 'invalid_request'
  | 'context_length'
  | 'authentication'
  | 'billing'
  | 'permission'
  | 'not_found'
  | 'model_not_found'
  | 'request_too_large'
  | 'conflict'
  | 'rate_limited'
  | 'server_error'
  | 'overloaded'
  | 'timeout'
  | 'bad_gateway'
  | 'circuit_open'
  | 'unavailable'
  | 'agent_paused'
  | 'policy_denied';

const OVERLOAD_TYPES = new Set(['overloaded_error', 'overloaded']);
const BILLING_TYPES = new Set(['billing_error', 'insufficient_quota']);

/** Classifies any GatewayError: the gateway's own kinds directly, upstream errors by status and type. */
export function classifyError(error: GatewayError): ErrorCase {
  switch (error.kind) {
    case 'invalid_request':
    case 'unsupported':
    case 'config':
      return 'invalid_request';
    case 'authentication':
      return 'authentication';
    case 'request_too_large':
      return 'request_too_large';
    case 'model_not_found':
      return 'model_not_found';
    case 'not_found':
      return 'not_found';
    case 'rate_limited':
      return BILLING_TYPES.has(error.upstreamType ?? '') ? 'billing' : 'rate_limited';
    case 'budget_exceeded':
      return 'billing';
    case 'agent_paused':
      return 'agent_paused';
    case 'policy_denied':
      return 'policy_denied';
    case 'circuit_open':
      return 'circuit_open';
    case 'audit_unavailable':
    case 'shared_state_unavailable':
      return 'unavailable';
    case 'upstream_timeout':
      return 'timeout';
    case 'upstream_unreachable':
      return 'bad_gateway';
    case 'internal':
      return 'server_error';
    case 'upstream_error':
      return classifyUpstream(error);
    default:
      return assertNever(error.kind);
  }
}

function classifyUpstream(error: GatewayError): ErrorCase {
  const type = error.upstreamType ?? '';
  const code = error.code;
  if (BILLING_TYPES.has(type) || code === 'insufficient_quota' || error.status === 402) return 'billing';
  if (OVERLOAD_TYPES.has(type) || error.status === 529 || error.status === 503) return 'overloaded';
  if (type === 'timeout_error' || error.status === 504 || error.status === 408) return 'timeout';
  switch (error.status) {
    case 400:
      return /prompt is too long|context length|context window|maximum context/i.test(error.message) ||
        code === 'context_length_exceeded'
        ? 'context_length'
        : 'invalid_request';
    case 401:
      return 'authentication';
    case 403:
      return 'permission';
    case 404:
      return /model/i.test(error.message) || code === 'model_not_found' ? 'model_not_found' : 'not_found';
    case 409:
    case 422:
      return 'conflict';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limited';
    case 502:
      return 'bad_gateway';
    default:
      return error.status >= 500 ? 'server_error' : 'invalid_request';
  }
}

/** Explicit `x-should-retry` (both SDKs obey it before their status rules); an error's own flag wins. */
export function shouldRetry(error: GatewayError, errorCase: ErrorCase): boolean {
  if (error.shouldRetry !== undefined) return error.shouldRetry;
  switch (errorCase) {
    case 'rate_limited':
    case 'server_error':
    case 'overloaded':
    case 'timeout':
    case 'bad_gateway':
    case 'circuit_open':
    case 'unavailable':
      return true;
    case 'conflict':
      return error.status === 409;
    case 'invalid_request':
    case 'context_length':
    case 'authentication':
    case 'billing':
    case 'permission':
    case 'not_found':
    case 'model_not_found':
    case 'request_too_large':
    case 'agent_paused':
    case 'policy_denied':
      return false;
    default:
      return assertNever(errorCase);
  }
}

export function retryHeaders(error: GatewayError, errorCase: ErrorCase): Record<string, string> {
  const headers: Record<string, string> = { 'x-should-retry': String(shouldRetry(error, errorCase)) };
  if (error.retryAfter !== undefined) headers['retry-after'] = String(Math.max(0, Math.ceil(error.retryAfter)));
  return headers;
}

/** The fields of the `error` object the decoders read (Anthropic sends type and message, OpenAI all four). */
export type ErrorDetails = Unchecked<{ type: string; message: string; code: string | number; param: string }>;

/**
 * The `error` object both formats nest an error's details in, and its message: the upstream's own, else
 * the start of a non-JSON body, else the status.
 */
export function errorEnvelope(status: number, body: unknown): { inner: ErrorDetails | undefined; message: string } {
  const inner: ErrorDetails | undefined = isObject(body) && isObject(body['error']) ? body['error'] : undefined;
  const message =
    str(inner?.['message']) ?? (typeof body === 'string' && body.trim() !== '' ? body.trim().slice(0, 500) : `Upstream returned HTTP ${status}.`);
  return { inner, message };
}

/** Builds the GatewayError for an upstream error response, in either format. */
export function upstreamError(
  status: number,
  message: string,
  headers: Record<string, string | undefined>,
  details: { type?: string | undefined; code?: string | undefined; param?: string | undefined; body: unknown },
): GatewayError {
  const retryAfter = readRetryAfter(headers);
  const shouldRetryHeader = readShouldRetry(headers);
  const quota = details.type === 'insufficient_quota' || details.code === 'insufficient_quota';
  const kind = status === 429 && !quota ? 'rate_limited' : 'upstream_error';
  return new GatewayError(kind, message, {
    status,
    ...(retryAfter === undefined ? {} : { retryAfter }),
    ...(shouldRetryHeader === undefined ? (quota ? { shouldRetry: false } : {}) : { shouldRetry: shouldRetryHeader }),
    ...(details.param === undefined ? {} : { param: details.param }),
    ...(details.code === undefined ? {} : { code: details.code }),
    ...(details.type === undefined ? {} : { upstreamType: details.type }),
    upstreamBody: details.body,
  });
}
