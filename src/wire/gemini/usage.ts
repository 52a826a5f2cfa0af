/**
 * Gemini `usageMetadata` ⇄ Usage. `promptTokenCount` includes the cached tokens (`cachedContentTokenCount`), and
 * `toolUsePromptTokenCount` is input too; `candidatesTokenCount` excludes the thoughts (`thoughtsTokenCount`),
 * which are billed as output. So: uncached input = prompt + tool-use prompt − cached, output = candidates + thoughts,
 * reasoning = thoughts.
 */
import type { Usage, UsageReading } from '../../core/usage.js';
import { ZERO_USAGE, noUsage, totalInput } from '../../core/usage.js';
import { isObject } from '../shared/json.js';
import { gapsOf, mergeUsage, tokenField } from '../shared/usage.js';
import type { GeminiUsageMetadata } from './shapes.js';

export interface GeminiUsagePart {
  usage: Partial<Usage>;
  rejected: string[];
}

/** The sides the report gives (a stream's usageMetadata is cumulative: overwrite, never add). */
export function readGeminiUsagePartial(value: unknown): GeminiUsagePart {
  if (!isObject(value)) return { usage: {}, rejected: [] };
  const inputRejected: string[] = [];
  const prompt = tokenField(value, 'promptTokenCount', 'promptTokenCount', inputRejected);
  const toolPrompt = tokenField(value, 'toolUsePromptTokenCount', 'toolUsePromptTokenCount', inputRejected) ?? 0;
  const cached = tokenField(value, 'cachedContentTokenCount', 'cachedContentTokenCount', inputRejected) ?? 0;
  const input: Partial<Usage> = {};
  if (prompt !== undefined) {
    const all = prompt + toolPrompt;
    const read = Math.min(cached, all);
    input.inputUncached = all - read;
    input.cacheRead = read;
  }
  const outputRejected: string[] = [];
  const candidates = tokenField(value, 'candidatesTokenCount', 'candidatesTokenCount', outputRejected);
  const thoughts = tokenField(value, 'thoughtsTokenCount', 'thoughtsTokenCount', outputRejected) ?? 0;
  const output: Partial<Usage> = {};
  // A response that is only thoughts (or a prompt blocked before any output) omits candidatesTokenCount.
  if (candidates !== undefined || thoughts > 0 || prompt !== undefined) {
    output.output = (candidates ?? 0) + thoughts;
    output.reasoning = thoughts;
  }
  return {
    usage: { ...(inputRejected.length === 0 ? input : {}), ...(outputRejected.length === 0 ? output : {}) },
    rejected: [...inputRejected, ...outputRejected],
  };
}

export function readGeminiUsage(value: unknown): UsageReading {
  if (!isObject(value)) return noUsage();
  const part = readGeminiUsagePartial(value);
  const usage = mergeUsage({ ...ZERO_USAGE }, part.usage);
  const gaps = gapsOf(part.usage.inputUncached !== undefined, part.usage.output !== undefined, part.rejected);
  return gaps === undefined ? { usage } : { usage, gaps };
}

/** Cache writes have no Gemini field (context caches are created by a separate call); they count as prompt tokens. */
export function writeGeminiUsage(usage: Usage): GeminiUsageMetadata {
  const prompt = totalInput(usage);
  const thoughts = Math.min(usage.reasoning, usage.output);
  const candidates = usage.output - thoughts;
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: candidates,
    totalTokenCount: prompt + usage.output,
    ...(thoughts > 0 ? { thoughtsTokenCount: thoughts } : {}),
    ...(usage.cacheRead > 0 ? { cachedContentTokenCount: usage.cacheRead } : {}),
  };
}
