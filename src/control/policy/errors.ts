import { GatewayError } from '../../core/errors.js';

/**
 * A policy condition that does not parse or type-check. `position` is the 0-based offset into the condition,
 * `column` the same as a 1-based column for messages.
 */
export class PolicyParseError extends GatewayError {
  readonly position: number;
  readonly column: number;
  /** Name of the policy, when the error came from compiling a named policy. */
  readonly policy: string | undefined;
  /** The message without the location, for callers that render the location themselves. */
  readonly detail: string;

  constructor(detail: string, position: number, policy?: string) {
    const where = policy === undefined ? '' : `policy '${policy}': `;
    super('config', `${where}${detail} at column ${position + 1}`);
    this.name = 'PolicyParseError';
    this.position = position;
    this.column = position + 1;
    this.policy = policy;
    this.detail = detail;
  }
}
