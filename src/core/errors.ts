/**
 * The one error type of the gateway. Every decision the gateway makes (bad input, budget, rate limit,
 * breaker, upstream failure) is a GatewayError; src/server/render-error.ts renders it in the client's
 * wire format and src/cli/exit.ts turns it into an exit code.
 */
export type ErrorKind =
  | 'invalid_request'
  | 'authentication'
  | 'request_too_large'
  | 'model_not_found'
  | 'not_found'
  | 'rate_limited'
  | 'budget_exceeded'
  | 'agent_paused'
  | 'policy_denied'
  | 'circuit_open'
  /** The audit store cannot take more rows (its disk refuses writes), so nothing new is admitted. */
  | 'audit_unavailable'
  /** Limits are shared through Redis, Redis does not answer, and the gateway is set to refuse meanwhile. */
  | 'shared_state_unavailable'
  | 'upstream_timeout'
  | 'upstream_unreachable'
  | 'upstream_error'
  | 'unsupported'
  | 'config'
  | 'internal';

/** Default HTTP status per kind; `upstream_error` carries the upstream's own status. */
const DEFAULT_STATUS: Record<ErrorKind, number> = {
  invalid_request: 400,
  authentication: 401,
  request_too_large: 413,
  model_not_found: 404,
  not_found: 404,
  rate_limited: 429,
  budget_exceeded: 429,
  agent_paused: 403,
  policy_denied: 403,
  circuit_open: 503,
  audit_unavailable: 503,
  shared_state_unavailable: 503,
  upstream_timeout: 504,
  upstream_unreachable: 502,
  upstream_error: 502,
  unsupported: 400,
  config: 400,
  internal: 500,
};

export interface GatewayErrorOptions {
  status?: number;
  /** Seconds until retrying may succeed; rendered as `Retry-After`. */
  retryAfter?: number;
  /** Sent as `x-should-retry` when set. */
  shouldRetry?: boolean;
  /** The request field at fault, for invalid_request errors (OpenAI `param`). */
  param?: string;
  /** Machine-readable code (OpenAI `error.code`), defaults to the kind's canonical code. */
  code?: string;
  /** Upstream error body already in a known wire shape, kept for translation. */
  upstreamBody?: unknown;
  /** Upstream error `type` string (e.g. `overloaded_error`), kept for translation. */
  upstreamType?: string;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly kind: ErrorKind;
  readonly status: number;
  readonly retryAfter: number | undefined;
  readonly shouldRetry: boolean | undefined;
  readonly param: string | undefined;
  readonly code: string;
  readonly upstreamBody: unknown;
  readonly upstreamType: string | undefined;

  constructor(kind: ErrorKind, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.kind = kind;
    this.status = options.status ?? DEFAULT_STATUS[kind];
    this.retryAfter = options.retryAfter;
    this.shouldRetry = options.shouldRetry;
    this.param = options.param;
    this.code = options.code ?? defaultCode(kind);
    this.upstreamBody = options.upstreamBody;
    this.upstreamType = options.upstreamType;
  }
}

function defaultCode(kind: ErrorKind): string {
  switch (kind) {
    case 'invalid_request':
      return 'invalid_request_error';
    case 'rate_limited':
      return 'rate_limit_exceeded';
    case 'agent_paused':
      return 'agent_paused';
    default:
      return kind;
  }
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}

/** The message of anything thrown: an Error's message, anything else as a string. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
