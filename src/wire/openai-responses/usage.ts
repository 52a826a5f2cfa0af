/** Responses API usage ⇄ Usage (spec §3.2, §10): input_tokens includes cached tokens, output includes reasoning. */
import type { Usage, UsageReading } from '../../core/usage.js';
import { noUsage, totalInput } from '../../core/usage.js';
import { isObject } from '../shared/json.js';
import { gapsOf, tokenField } from '../shared/usage.js';
import type { ResponsesUsage } from './shapes.js';

export function readResponsesUsage(value: unknown): UsageReading {
  if (!isObject(value)) return noUsage();
  const u = value;
  const inDetails = isObject(u['input_tokens_details']) ? u['input_tokens_details'] : {};
  const outDetails = isObject(u['output_tokens_details']) ? u['output_tokens_details'] : {};
  const inputRejected: string[] = [];
  const input = tokenField(u, 'input_tokens', 'input_tokens', inputRejected);
  const cachedRaw = tokenField(inDetails, 'cached_tokens', 'input_tokens_details.cached_tokens', inputRejected) ?? 0;
  const writtenRaw = tokenField(inDetails, 'cache_write_tokens', 'input_tokens_details.cache_write_tokens', inputRejected) ?? 0;
  const outputRejected: string[] = [];
  const output = tokenField(u, 'output_tokens', 'output_tokens', outputRejected);
  const reasoning = tokenField(outDetails, 'reasoning_tokens', 'output_tokens_details.reasoning_tokens', outputRejected) ?? 0;
  const inputOk = input !== undefined && inputRejected.length === 0;
  const outputOk = output !== undefined && outputRejected.length === 0;
  const i = inputOk ? input : 0;
  const o = outputOk ? output : 0;
  const cached = Math.min(cachedRaw, i);
  const written = Math.min(writtenRaw, i - cached);
  const usage: Usage = {
    inputUncached: i - cached - written,
    cacheRead: cached,
    cacheWrite5m: written,
    cacheWrite1h: 0,
    output: o,
    reasoning: outputOk ? Math.min(reasoning, o) : 0,
  };
  const gaps = gapsOf(inputOk, outputOk, [...inputRejected, ...outputRejected]);
  return gaps === undefined ? { usage } : { usage, gaps };
}

export function writeResponsesUsage(usage: Usage): ResponsesUsage {
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
