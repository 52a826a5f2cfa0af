/** `ai-gateway schema`: the JSON Schema of gateway.yaml, generated from the one zod schema. */
import { configJsonSchema } from '../../config/index.js';

export async function runSchema(): Promise<void> {
  process.stdout.write(JSON.stringify(configJsonSchema(), null, 2) + '\n');
}
