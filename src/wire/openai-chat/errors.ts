/**
 * OpenAI error bodies `{"error":{message,type,param,code}}` ⇄ GatewayError (spec §1.6, §9).
 */
import { assertNever } from '../../core/assert-never.js';
import type { GatewayError } from '../../core/errors.js';
import type { RenderedError } from '../codec.js';
import { str, type Unchecked } from '../shared/json.js';
import type { ErrorCase } from '../shared/error-policy.js';
import { classifyError, errorEnvelope, retryHeaders, upstreamError } from '../shared/error-policy.js';
import type { OpenAIErrorBody, OpenAIErrorObject } from './shapes.js';

export function decodeOpenAIError(
  status: number,
  body: unknown,
  headers: Record<string, string | undefined>,
): GatewayError {
  const { inner, message } = errorEnvelope(status, body);
  const code = inner?.['code'];
  return upstreamError(status, message, headers, {
    type: str(inner?.['type']),
    code: typeof code === 'number' ? String(code) : str(code),
    param: str(inner?.['param']),
    body,
  });
}

/** Status inferred for a mid-stream error chunk, which carries no HTTP status of its own. */
export function statusOfOpenAIStreamError(inner: Unchecked<OpenAIErrorObject>): number {
  const type = str(inner.type) ?? '';
  const code = str(inner.code) ?? '';
  if (code === 'rate_limit_exceeded' || type === 'rate_limit_error' || code === 'insufficient_quota') return 429;
  if (code === 'overloaded' || type === 'overloaded_error') return 503;
  if (type === 'invalid_request_error') return 400;
  return 500;
}

interface Shape {
  status: number;
  type: string;
  code: string | null;
}

function shapeFor(error: GatewayError, errorCase: ErrorCase): Shape {
  const upstream = error.kind === 'upstream_error' || error.kind === 'rate_limited' || error.kind === 'upstream_timeout';
  const ownCode = upstream && error.code === error.kind ? null : error.code;
  switch (errorCase) {
    case 'invalid_request':
      return { status: error.status >= 400 && error.status < 500 ? error.status : 400, type: 'invalid_request_error', code: ownCode };
    case 'context_length':
      return { status: 400, type: 'invalid_request_error', code: 'context_length_exceeded' };
    case 'authentication':
      return { status: 401, type: 'invalid_request_error', code: 'invalid_api_key' };
    case 'billing':
      return {
        status: 429,
        type: 'insufficient_quota',
        code: error.kind === 'budget_exceeded' ? 'budget_exceeded' : 'insufficient_quota',
      };
    case 'permission':
      return { status: 403, type: 'permission_error', code: ownCode };
    case 'agent_paused':
      return { status: 403, type: 'permission_error', code: 'agent_paused' };
    case 'policy_denied':
      return { status: 403, type: 'permission_error', code: 'policy_denied' };
    case 'not_found':
      return { status: 404, type: 'invalid_request_error', code: ownCode };
    case 'model_not_found':
      return { status: 404, type: 'invalid_request_error', code: 'model_not_found' };
    case 'request_too_large':
      return { status: 413, type: 'invalid_request_error', code: 'request_too_large' };
    case 'conflict':
      return { status: error.status, type: 'invalid_request_error', code: ownCode };
    case 'rate_limited':
      return { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' };
    case 'server_error':
      return { status: error.status >= 500 && error.status !== 503 ? error.status : 500, type: 'server_error', code: ownCode };
    case 'overloaded':
      // OpenAI clients expect 503 for overload (Anthropic says 529).
      return { status: 503, type: 'server_error', code: 'overloaded' };
    case 'timeout':
      return { status: 504, type: 'server_error', code: error.kind === 'upstream_timeout' ? 'upstream_timeout' : 'timeout' };
    case 'bad_gateway':
      return { status: 502, type: 'server_error', code: error.kind === 'upstream_unreachable' ? 'upstream_unreachable' : ownCode };
    case 'circuit_open':
      return { status: 503, type: 'server_error', code: 'circuit_open' };
    case 'unavailable':
      return { status: 503, type: 'server_error', code: ownCode };
    default:
      return assertNever(errorCase);
  }
}

/** The `error` object alone; also what a mid-stream `data: {"error":…}` chunk carries. */
export function openAIErrorObject(error: GatewayError): OpenAIErrorObject {
  return errorObject(error, shapeFor(error, classifyError(error)));
}

function errorObject(error: GatewayError, shape: Shape): OpenAIErrorObject {
  return { message: error.message, type: shape.type, param: error.param ?? null, code: shape.code };
}

export function renderOpenAIError(error: GatewayError, _requestId: string): RenderedError<OpenAIErrorBody> {
  const errorCase = classifyError(error);
  const shape = shapeFor(error, errorCase);
  return {
    status: shape.status,
    headers: retryHeaders(error, errorCase),
    body: { error: errorObject(error, shape) },
  };
}
