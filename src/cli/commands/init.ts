/** `ai-gateway init`: a commented starter gateway.yaml, and its JSON Schema beside it for editor completion. */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { configJsonSchema, renderInitConfig, CONFIG_SCHEMA_FILE } from '../../config/index.js';
import { UserError, EXIT_USAGE } from '../exit.js';

export async function runInit(opts: { output: string; force?: boolean }): Promise<void> {
  if (existsSync(opts.output) && !opts.force) throw new UserError(`${opts.output} already exists; use --force to overwrite it`, EXIT_USAGE);
  writeFileSync(opts.output, renderInitConfig());
  const schemaPath = join(dirname(opts.output), CONFIG_SCHEMA_FILE);
  writeFileSync(schemaPath, JSON.stringify(configJsonSchema(), null, 2) + '\n');
  process.stdout.write(`wrote ${opts.output} and ${schemaPath}\nnext: edit it, then run ai-gateway validate and ai-gateway\n`);
}
