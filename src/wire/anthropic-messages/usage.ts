/**
 * Anthropic `Usage` / `MessageDeltaUsage` ⇄ Usage (spec §10). Anthropic input is additive
 * (input + cache read + cache write), output includes thinking.
 */
import type { Usage } from '../../core/usage.js';
import { ZERO_USAGE } from '../../core/usage.js';
import { count, isObject } from '../shared/json.js';
import { mergeUsage } from '../shared/usage.js';

/** Only the fields the object reports (stream usage is cumulative per field: overwrite, never add). */
export function readAnthropicUsagePartial(value: unknown): Partial<Usage> {
  if (!isObject(value)) return {};
  const out: Partial<Usage> = {};
  const input = count(value['input_tokens']);
  if (input !== undefined) out.inputUncached = input;
  const read = count(value['cache_read_input_tokens']);
  if (read !== undefined) out.cacheRead = read;
  const write = count(value['cache_creation_input_tokens']);
  if (write !== undefined) {
    const split = isObject(value['cache_creation']) ? value['cache_creation'] : undefined;
    const oneHour = split === undefined ? 0 : Math.min(count(split['ephemeral_1h_input_tokens']) ?? 0, write);
    out.cacheWrite1h = oneHour;
    out.cacheWrite5m = write - oneHour;
  }
  const output = count(value['output_tokens']);
  if (output !== undefined) out.output = output;
  const details = isObject(value['output_tokens_details']) ? value['output_tokens_details'] : undefined;
  const thinking = details === undefined ? undefined : count(details['thinking_tokens']);
  if (thinking !== undefined) out.reasoning = thinking;
  return out;
}

export function readAnthropicUsage(value: unknown): Usage {
  return mergeUsage({ ...ZERO_USAGE }, readAnthropicUsagePartial(value));
}

export function writeAnthropicUsage(usage: Usage): Record<string, unknown> {
  return {
    input_tokens: usage.inputUncached,
    cache_creation_input_tokens: usage.cacheWrite5m + usage.cacheWrite1h,
    cache_read_input_tokens: usage.cacheRead,
    cache_creation: {
      ephemeral_5m_input_tokens: usage.cacheWrite5m,
      ephemeral_1h_input_tokens: usage.cacheWrite1h,
    },
    output_tokens: usage.output,
    ...(usage.reasoning > 0 ? { output_tokens_details: { thinking_tokens: usage.reasoning } } : {}),
  };
}
