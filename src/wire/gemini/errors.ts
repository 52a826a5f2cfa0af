/**
 * Google's error envelope `{"error":{code,message,status,details}}` ⇄ GatewayError. `code` is the HTTP status and
 * `status` the google.rpc name (429 RESOURCE_EXHAUSTED, 400 INVALID_ARGUMENT, …). A 429 may say when to retry only
 * in a `google.rpc.RetryInfo` detail (`"retryDelay":"37s"`), which is read when no Retry-After header came.
 */
import { assertNever } from '../../core/assert-never.js';
import { GatewayError } from '../../core/errors.js';
import type { RenderedError } from '../codec.js';
import type { ErrorCase } from '../shared/error-policy.js';
import { classifyError, errorEnvelope, retryHeaders, upstreamError } from '../shared/error-policy.js';
import { isObject, str } from '../shared/json.js';
import type { GeminiErrorBody } from './shapes.js';

const RETRY_INFO = 'type.googleapis.com/google.rpc.RetryInfo';

/** `"37s"` / `"0.5s"` → whole seconds, rounded up. */
function retryDelaySeconds(details: unknown): number | undefined {
  if (!Array.isArray(details)) return undefined;
  for (const detail of details) {
    if (!isObject(detail) || detail['@type'] !== RETRY_INFO) continue;
    const delay = str(detail['retryDelay']);
    if (delay === undefined || !delay.endsWith('s')) continue;
    const seconds = Number(delay.slice(0, -1));
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  }
  return undefined;
}

export function decodeGeminiError(status: number, body: unknown, headers: Record<string, string | undefined>): GatewayError {
  const { message } = errorEnvelope(status, body);
  // Google's `error` carries `status` and `details`, which the shared envelope does not read.
  const inner = isObject(body) && isObject(body['error']) ? body['error'] : undefined;
  const rpcStatus = str(inner?.['status']);
  const error = upstreamError(status, message, headers, { type: rpcStatus, body });
  const delay = error.retryAfter === undefined ? retryDelaySeconds(inner?.['details']) : undefined;
  if (delay === undefined) return error;
  return new GatewayError(error.kind, error.message, {
    status: error.status,
    retryAfter: delay,
    ...(error.shouldRetry === undefined ? {} : { shouldRetry: error.shouldRetry }),
    ...(error.upstreamType === undefined ? {} : { upstreamType: error.upstreamType }),
    upstreamBody: body,
  });
}

function shapeFor(error: GatewayError, errorCase: ErrorCase): { status: number; rpc: string } {
  switch (errorCase) {
    case 'invalid_request':
    case 'context_length':
      return { status: 400, rpc: 'INVALID_ARGUMENT' };
    case 'conflict':
      return { status: 409, rpc: 'ABORTED' };
    case 'authentication':
      return { status: 401, rpc: 'UNAUTHENTICATED' };
    case 'billing':
    case 'rate_limited':
      return { status: 429, rpc: 'RESOURCE_EXHAUSTED' };
    case 'permission':
    case 'agent_paused':
    case 'policy_denied':
      return { status: 403, rpc: 'PERMISSION_DENIED' };
    case 'not_found':
    case 'model_not_found':
      return { status: 404, rpc: 'NOT_FOUND' };
    case 'request_too_large':
      return { status: 413, rpc: 'INVALID_ARGUMENT' };
    case 'server_error':
      return { status: error.status >= 500 && error.status !== 503 ? error.status : 500, rpc: 'INTERNAL' };
    case 'overloaded':
    case 'circuit_open':
    case 'unavailable':
      return { status: 503, rpc: 'UNAVAILABLE' };
    case 'timeout':
      return { status: 504, rpc: 'DEADLINE_EXCEEDED' };
    case 'bad_gateway':
      return { status: 502, rpc: 'UNAVAILABLE' };
    default:
      return assertNever(errorCase);
  }
}

/** The envelope; also the data of a mid-stream error event, which the Gemini SDK recognises by its numeric `code`. */
export function geminiErrorPayload(error: GatewayError): GeminiErrorBody {
  const shape = shapeFor(error, classifyError(error));
  return { error: { code: shape.status, message: error.message, status: shape.rpc } };
}

export function renderGeminiError(error: GatewayError, _requestId: string): RenderedError<GeminiErrorBody> {
  const errorCase = classifyError(error);
  const shape = shapeFor(error, errorCase);
  return {
    status: shape.status,
    headers: retryHeaders(error, errorCase),
    body: { error: { code: shape.status, message: error.message, status: shape.rpc } },
  };
}
