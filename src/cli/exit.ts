/**
 * Errors → message and exit code, in one place. 0 ok, 1 runtime failure, 2 usage or config error (also: the
 * database is in use by another gateway).
 * User errors print one clear message; only unexpected errors print a stack (with AI_GATEWAY_DEBUG=1).
 */
import { CommanderError } from 'commander';
import { GatewayError } from '../core/errors.js';

export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

/** An error whose message is meant for the user as it is. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_RUNTIME,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  if (err instanceof UserError) return err.exitCode;
  if (err instanceof GatewayError) return err.kind === 'config' || err.kind === 'invalid_request' ? EXIT_USAGE : EXIT_RUNTIME;
  if (hasExitCode(err)) return err.exitCode;
  return EXIT_RUNTIME;
}

export function messageFor(err: unknown): string {
  if (err instanceof Error) {
    const known = err instanceof UserError || err instanceof GatewayError || hasExitCode(err);
    if (known || !process.env.AI_GATEWAY_DEBUG) return `ai-gateway: ${err.message}`;
    return `ai-gateway: ${err.stack ?? err.message}`;
  }
  return `ai-gateway: ${String(err)}`;
}

function hasExitCode(err: unknown): err is Error & { exitCode: number } {
  return err instanceof Error && typeof (err as { exitCode?: unknown }).exitCode === 'number';
}
