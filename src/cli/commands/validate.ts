/** `ai-gateway validate [-c FILE]`: every problem with its file, line and path; exit 2 when any is an error. */
import { formatProblem, readConfig } from '../../config/index.js';
import { checkPolicyCondition } from '../../app/gateway.js';
import { UserError, EXIT_USAGE } from '../exit.js';

export async function runValidate(opts: { config?: string }): Promise<void> {
  const result = readConfig({ ...(opts.config ? { path: opts.config } : {}), checkPolicyCondition });
  const file = result.source.kind === 'file' ? result.source.path : 'embedded defaults (no gateway.yaml here)';
  for (const w of result.warnings) process.stdout.write(formatProblem(w) + '\n');
  if (result.errors.length > 0) {
    for (const e of result.errors) process.stdout.write(formatProblem(e) + '\n');
    throw new UserError(`${file}: ${result.errors.length} error${result.errors.length === 1 ? '' : 's'}`, EXIT_USAGE);
  }
  process.stdout.write(`${file}: ok${result.warnings.length ? ` (${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'})` : ''}\n`);
}
