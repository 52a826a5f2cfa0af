/**
 * Anthropic error bodies `{"type":"error","error":{type,message},"request_id"}` ⇄ GatewayError
 * (spec §2.5, §9).
 */
import { assertNever } from '../../core/assert-never.js';
import type { GatewayError } from '../../core/errors.js';
import type { RenderedError } from '../codec.js';
import { str } from '../shared/json.js';
import type { ErrorCase } from '../shared/error-policy.js';
import { classifyError, errorEnvelope, retryHeaders, upstreamError } from '../shared/error-policy.js';
import type { AnthropicErrorBody, AnthropicErrorPayload } from './shapes.js';

/** HTTP status of each Anthropic error type, used for mid-stream `event: error` (which has no status). */
const STATUS_OF_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

export function statusOfAnthropicErrorType(type: string | undefined): number {
  return (type === undefined ? undefined : STATUS_OF_TYPE[type]) ?? 500;
}

export function decodeAnthropicError(
  status: number,
  body: unknown,
  headers: Record<string, string | undefined>,
): GatewayError {
  const { inner, message } = errorEnvelope(status, body);
  return upstreamError(status, message, headers, { type: str(inner?.['type']), body });
}

function shapeFor(error: GatewayError, errorCase: ErrorCase): { status: number; type: string } {
  switch (errorCase) {
    case 'invalid_request':
      return { status: error.status >= 400 && error.status < 500 ? error.status : 400, type: 'invalid_request_error' };
    case 'context_length':
    case 'conflict':
      return { status: 400, type: 'invalid_request_error' };
    case 'authentication':
      return { status: 401, type: 'authentication_error' };
    case 'billing':
      return { status: 402, type: 'billing_error' };
    case 'permission':
    case 'agent_paused':
    case 'policy_denied':
      return { status: 403, type: 'permission_error' };
    case 'not_found':
    case 'model_not_found':
      return { status: 404, type: 'not_found_error' };
    case 'request_too_large':
      return { status: 413, type: 'request_too_large' };
    case 'rate_limited':
      return { status: 429, type: 'rate_limit_error' };
    case 'server_error':
      return { status: error.status >= 500 && error.status !== 503 ? error.status : 500, type: 'api_error' };
    case 'overloaded':
      return { status: 529, type: 'overloaded_error' };
    case 'timeout':
      return { status: 504, type: 'timeout_error' };
    case 'bad_gateway':
      return { status: 502, type: 'api_error' };
    case 'circuit_open':
    case 'unavailable':
      return { status: 503, type: 'api_error' };
    default:
      return assertNever(errorCase);
  }
}

/** The `{type:"error", error:{…}}` payload; also the data of a mid-stream `event: error`. */
export function anthropicErrorPayload(error: GatewayError): AnthropicErrorPayload {
  return payload(error, shapeFor(error, classifyError(error)));
}

function payload(error: GatewayError, shape: { type: string }): AnthropicErrorPayload {
  return { type: 'error', error: { type: shape.type, message: error.message } };
}

export function renderAnthropicError(error: GatewayError, requestId: string): RenderedError<AnthropicErrorBody> {
  const errorCase = classifyError(error);
  const shape = shapeFor(error, errorCase);
  return {
    status: shape.status,
    headers: retryHeaders(error, errorCase),
    body: { ...payload(error, shape), request_id: requestId },
  };
}
