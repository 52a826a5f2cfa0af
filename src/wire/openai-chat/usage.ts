/**
 * OpenAI `CompletionUsage` ⇄ Usage (spec §10). OpenAI counts cached (and, NEW, cache-written) tokens
 * inside `prompt_tokens` and reasoning inside `completion_tokens`; the normal form splits input and keeps
 * reasoning as a subset, so nothing is counted twice in either direction.
 */
import type { Usage } from '../../core/usage.js';
import { totalInput } from '../../core/usage.js';
import { count, isObject } from '../shared/json.js';

export function readOpenAIUsage(value: unknown): Usage {
  const u = isObject(value) ? value : {};
  const promptDetails = isObject(u['prompt_tokens_details']) ? u['prompt_tokens_details'] : {};
  const completionDetails = isObject(u['completion_tokens_details']) ? u['completion_tokens_details'] : {};
  const prompt = count(u['prompt_tokens']) ?? 0;
  // Some OpenAI-compatible proxies report cache reads only at the top level (litellm convention).
  const cacheRead = count(promptDetails['cached_tokens']) ?? count(u['cache_read_input_tokens']) ?? 0;
  const cacheWrite = count(promptDetails['cache_write_tokens']) ?? count(u['cache_creation_input_tokens']) ?? 0;
  const output = count(u['completion_tokens']) ?? 0;
  const reasoning = count(completionDetails['reasoning_tokens']) ?? 0;
  return {
    inputUncached: Math.max(0, prompt - cacheRead - cacheWrite),
    cacheRead: Math.min(cacheRead, prompt),
    cacheWrite5m: Math.min(cacheWrite, Math.max(0, prompt - cacheRead)),
    cacheWrite1h: 0,
    output,
    reasoning: Math.min(reasoning, output),
  };
}

export function writeOpenAIUsage(usage: Usage): Record<string, unknown> {
  const prompt = totalInput(usage);
  const cacheWrite = usage.cacheWrite5m + usage.cacheWrite1h;
  return {
    prompt_tokens: prompt,
    completion_tokens: usage.output,
    total_tokens: prompt + usage.output,
    prompt_tokens_details: { cached_tokens: usage.cacheRead, ...(cacheWrite > 0 ? { cache_write_tokens: cacheWrite } : {}) },
    completion_tokens_details: { reasoning_tokens: usage.reasoning },
  };
}
