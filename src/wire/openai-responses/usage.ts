/** Responses API usage ⇄ Usage (spec §3.2, §10): input_tokens includes cached tokens, output includes reasoning. */
import type { Usage } from '../../core/usage.js';
import { totalInput } from '../../core/usage.js';
import { count, isObject } from '../shared/json.js';

export function readResponsesUsage(value: unknown): Usage {
  const u = isObject(value) ? value : {};
  const inDetails = isObject(u['input_tokens_details']) ? u['input_tokens_details'] : {};
  const outDetails = isObject(u['output_tokens_details']) ? u['output_tokens_details'] : {};
  const input = count(u['input_tokens']) ?? 0;
  const cached = Math.min(count(inDetails['cached_tokens']) ?? 0, input);
  const written = Math.min(count(inDetails['cache_write_tokens']) ?? 0, input - cached);
  const output = count(u['output_tokens']) ?? 0;
  return {
    inputUncached: input - cached - written,
    cacheRead: cached,
    cacheWrite5m: written,
    cacheWrite1h: 0,
    output,
    reasoning: Math.min(count(outDetails['reasoning_tokens']) ?? 0, output),
  };
}

export function writeResponsesUsage(usage: Usage): Record<string, unknown> {
  const input = totalInput(usage);
  const written = usage.cacheWrite5m + usage.cacheWrite1h;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage.cacheRead, ...(written > 0 ? { cache_write_tokens: written } : {}) },
    output_tokens: usage.output,
    output_tokens_details: { reasoning_tokens: usage.reasoning },
    total_tokens: input + usage.output,
  };
}
