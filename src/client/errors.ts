/** Errors of the management API client. Messages are meant for the user as they are and never hold the token. */

/** Nothing listens at the gateway's address. The CLI prints the message as a one-line hint. */
export class GatewayNotRunningError extends Error {
  /** Runtime failure, for the CLI's error → exit code mapping. */
  readonly exitCode = 1;
  constructor(
    readonly baseUrl: string,
    options?: { cause?: unknown },
  ) {
    super(`no gateway is running at ${baseUrl}; start one with \`ai-gateway\` or point --url at it`, options);
    this.name = 'GatewayNotRunningError';
  }
}

/** The management API answered with an error status. */
export class ManagementApiError extends Error {
  readonly exitCode = 1;
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ManagementApiError';
  }
}

const REFUSED = new Set(['ECONNREFUSED']);

/**
 * True when a connection error means "nothing is listening". Node reports a refused connection
 * directly, as the cause of a wrapper error, or (happy eyeballs over ::1 and 127.0.0.1) inside an
 * AggregateError.
 */
export function isConnectionRefused(err: unknown, depth = 0): boolean {
  if (depth > 5 || typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && REFUSED.has(code)) return true;
  if (err instanceof AggregateError && err.errors.some((e) => isConnectionRefused(e, depth + 1))) return true;
  return isConnectionRefused((err as { cause?: unknown }).cause, depth + 1);
}
