/**
 * JSON Schema for gateway.yaml, generated from the zod schema so editors (yaml-language-server) validate and
 * complete exactly what the gateway accepts. Refinements that JSON Schema cannot express (time zones, the
 * requests-or-tpm rule) are only checked by the gateway itself.
 */
import { z } from 'zod';
import { gatewayFileSchema } from './schema.js';

export const CONFIG_SCHEMA_FILE = 'gateway.schema.json';

export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(gatewayFileSchema, { io: 'input', target: 'draft-07', unrepresentable: 'any' });
  return { ...schema, title: 'ai-gateway configuration (gateway.yaml)' };
}
