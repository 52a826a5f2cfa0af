/**
 * OpenAI `CompletionUsage` ⇄ Usage (spec §10). OpenAI counts cached (and, NEW, cache-written) tokens
 * inside `prompt_tokens` and reasoning inside `completion_tokens`; the normal form splits input and keeps
 * reasoning as a subset, so nothing is counted twice in either direction.
 */
import type { Usage, UsageReading } from '../../core/usage.js';
import { noUsage, totalInput } from '../../core/usage.js';
import { isJsonSpace, isObject } from '../shared/json.js';
import { gapsOf, tokenField } from '../shared/usage.js';
import type { OpenAIUsage } from './shapes.js';

export function readOpenAIUsage(value: unknown): UsageReading {
  if (!isObject(value)) return noUsage();
  const u = value;
  const promptDetails = isObject(u['prompt_tokens_details']) ? u['prompt_tokens_details'] : {};
  const completionDetails = isObject(u['completion_tokens_details']) ? u['completion_tokens_details'] : {};
  const inputRejected: string[] = [];
  const prompt = tokenField(u, 'prompt_tokens', 'prompt_tokens', inputRejected);
  // Some OpenAI-compatible proxies report cache reads only at the top level (litellm convention).
  const cacheRead =
    tokenField(promptDetails, 'cached_tokens', 'prompt_tokens_details.cached_tokens', inputRejected) ??
    tokenField(u, 'cache_read_input_tokens', 'cache_read_input_tokens', inputRejected) ??
    0;
  const cacheWrite =
    tokenField(promptDetails, 'cache_write_tokens', 'prompt_tokens_details.cache_write_tokens', inputRejected) ??
    tokenField(u, 'cache_creation_input_tokens', 'cache_creation_input_tokens', inputRejected) ??
    0;
  const outputRejected: string[] = [];
  const output = tokenField(u, 'completion_tokens', 'completion_tokens', outputRejected);
  const reasoning = tokenField(completionDetails, 'reasoning_tokens', 'completion_tokens_details.reasoning_tokens', outputRejected) ?? 0;
  const inputOk = prompt !== undefined && inputRejected.length === 0;
  const outputOk = output !== undefined && outputRejected.length === 0;
  const p = inputOk ? prompt : 0;
  const o = outputOk ? output : 0;
  const usage: Usage = {
    inputUncached: inputOk ? Math.max(0, p - cacheRead - cacheWrite) : 0,
    cacheRead: inputOk ? Math.min(cacheRead, p) : 0,
    cacheWrite5m: inputOk ? Math.min(cacheWrite, Math.max(0, p - cacheRead)) : 0,
    cacheWrite1h: 0,
    output: o,
    reasoning: outputOk ? Math.min(reasoning, o) : 0,
  };
  const gaps = gapsOf(inputOk, outputOk, [...inputRejected, ...outputRejected]);
  return gaps === undefined ? { usage } : { usage, gaps };
}

export function writeOpenAIUsage(usage: Usage): OpenAIUsage {
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

const USAGE_KEY = '"usage"';

/**
 * OpenAI's usage-only chunk: an empty `choices` array and a `usage` object. With include_usage every other chunk
 * carries `"usage":null`, so only a chunk where some `"usage"` key opens an object is parsed; parsing every chunk
 * to find the last one doubled what a stream cost the gateway.
 */
export function isUsageOnlyChunk(data: string): boolean {
  if (!usageOpensObject(data)) return false;
  try {
    const parsed = JSON.parse(data) as { choices?: unknown[]; usage?: unknown };
    return Array.isArray(parsed.choices) && parsed.choices.length === 0 && isObject(parsed.usage);
  } catch {
    return false;
  }
}

/** Whether a `"usage"` key in the JSON text is followed, after whitespace and its colon, by `{`. */
function usageOpensObject(data: string): boolean {
  for (let at = data.indexOf(USAGE_KEY); at !== -1; at = data.indexOf(USAGE_KEY, at + 1)) {
    let i = at + USAGE_KEY.length;
    while (isJsonSpace(data.charCodeAt(i))) i++;
    if (data.charCodeAt(i) !== COLON) continue;
    i++;
    while (isJsonSpace(data.charCodeAt(i))) i++;
    if (data.charCodeAt(i) === OPEN_BRACE) return true;
  }
  return false;
}

const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
