/**
 * Anthropic `Usage` / `MessageDeltaUsage` ⇄ Usage (spec §10). Anthropic input is additive
 * (input + cache read + cache write), output includes thinking.
 */
import type { Usage, UsageReading } from '../../core/usage.js';
import { ZERO_USAGE, noUsage } from '../../core/usage.js';
import { isObject } from '../shared/json.js';
import { gapsOf, mergeUsage, tokenField } from '../shared/usage.js';
import type { AnthropicUsage } from './shapes.js';

/** One usage object's valid fields, and the fields it gave values for that are no sane count. */
export interface AnthropicUsagePart {
  usage: Partial<Usage>;
  rejected: string[];
}

/**
 * Only the fields the object reports (stream usage is cumulative per field: overwrite, never add). A side with
 * any rejected field is left out whole, so it counts as not reported.
 */
export function readAnthropicUsagePartial(value: unknown): AnthropicUsagePart {
  if (!isObject(value)) return { usage: {}, rejected: [] };
  const inputRejected: string[] = [];
  const input: Partial<Usage> = {};
  const uncached = tokenField(value, 'input_tokens', 'input_tokens', inputRejected);
  if (uncached !== undefined) input.inputUncached = uncached;
  const read = tokenField(value, 'cache_read_input_tokens', 'cache_read_input_tokens', inputRejected);
  if (read !== undefined) input.cacheRead = read;
  const write = tokenField(value, 'cache_creation_input_tokens', 'cache_creation_input_tokens', inputRejected);
  if (write !== undefined) {
    const split = isObject(value['cache_creation']) ? value['cache_creation'] : undefined;
    const hour = split === undefined ? undefined : tokenField(split, 'ephemeral_1h_input_tokens', 'cache_creation.ephemeral_1h_input_tokens', inputRejected);
    const oneHour = Math.min(hour ?? 0, write);
    input.cacheWrite1h = oneHour;
    input.cacheWrite5m = write - oneHour;
  }
  const outputRejected: string[] = [];
  const output: Partial<Usage> = {};
  const out = tokenField(value, 'output_tokens', 'output_tokens', outputRejected);
  if (out !== undefined) output.output = out;
  const details = isObject(value['output_tokens_details']) ? value['output_tokens_details'] : undefined;
  const thinking = details === undefined ? undefined : tokenField(details, 'thinking_tokens', 'output_tokens_details.thinking_tokens', outputRejected);
  if (thinking !== undefined) output.reasoning = thinking;
  return {
    usage: { ...(inputRejected.length === 0 ? input : {}), ...(outputRejected.length === 0 ? output : {}) },
    rejected: [...inputRejected, ...outputRejected],
  };
}

export function readAnthropicUsage(value: unknown): UsageReading {
  if (!isObject(value)) return noUsage();
  const part = readAnthropicUsagePartial(value);
  const usage = mergeUsage({ ...ZERO_USAGE }, part.usage);
  const gaps = gapsOf(part.usage.inputUncached !== undefined, part.usage.output !== undefined, part.rejected);
  return gaps === undefined ? { usage } : { usage, gaps };
}

export function writeAnthropicUsage(usage: Usage): AnthropicUsage {
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
