/** Maps a scenario's neutral usage numbers onto each provider's usage object. */
import type { UsageSpec } from './scenario.js';

export interface ResolvedUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  cacheWrite1h: number;
  reasoning: number;
}

export const DEFAULT_USAGE: Readonly<ResolvedUsage> = Object.freeze({
  input: 12,
  output: 8,
  cacheRead: 0,
  cacheWrite: 0,
  cacheWrite1h: 0,
  reasoning: 0,
});

export function resolveUsage(spec: UsageSpec | undefined): ResolvedUsage {
  return {
    input: spec?.input ?? DEFAULT_USAGE.input,
    output: spec?.output ?? DEFAULT_USAGE.output,
    cacheRead: spec?.cacheRead ?? 0,
    cacheWrite: spec?.cacheWrite ?? 0,
    cacheWrite1h: spec?.cacheWrite1h ?? 0,
    reasoning: spec?.reasoning ?? 0,
  };
}

export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number; cache_write_tokens?: number };
  completion_tokens_details: {
    reasoning_tokens: number;
    audio_tokens: number;
    accepted_prediction_tokens: number;
    rejected_prediction_tokens: number;
  };
}

/** OpenAI counts cached tokens inside prompt_tokens, so every input kind is summed there. */
export function openAIUsage(u: ResolvedUsage): OpenAIUsage {
  const prompt = u.input + u.cacheRead + u.cacheWrite + u.cacheWrite1h;
  const cacheWrites = u.cacheWrite + u.cacheWrite1h;
  return {
    prompt_tokens: prompt,
    completion_tokens: u.output,
    total_tokens: prompt + u.output,
    // cache_write_tokens is a newer field; sent only when there is something to report, as older upstreams omit it.
    prompt_tokens_details:
      cacheWrites > 0
        ? { cached_tokens: u.cacheRead, audio_tokens: 0, cache_write_tokens: cacheWrites }
        : { cached_tokens: u.cacheRead, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: u.reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

export interface AnthropicUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  output_tokens: number;
  service_tier: 'standard';
}

/** Anthropic's input fields are additive: input_tokens excludes cache reads and writes. */
export function anthropicUsage(u: ResolvedUsage, outputTokens: number): AnthropicUsage {
  return {
    input_tokens: u.input,
    cache_creation_input_tokens: u.cacheWrite + u.cacheWrite1h,
    cache_read_input_tokens: u.cacheRead,
    cache_creation: { ephemeral_5m_input_tokens: u.cacheWrite, ephemeral_1h_input_tokens: u.cacheWrite1h },
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

export interface AnthropicDeltaUsage {
  input_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
  output_tokens: number;
}

/** `message_delta.usage`: cumulative totals; older API versions send only output_tokens. */
export function anthropicDeltaUsage(u: ResolvedUsage, full: boolean): AnthropicDeltaUsage {
  return full
    ? {
        input_tokens: u.input,
        cache_creation_input_tokens: u.cacheWrite + u.cacheWrite1h,
        cache_read_input_tokens: u.cacheRead,
        output_tokens: u.output,
      }
    : { output_tokens: u.output };
}

/** What a scenario's `usageWire` makes of a rendered usage object: left out, overridden with raw values, or as is. */
export function wireUsage<T extends object>(usage: T, wire: 'omit' | Record<string, unknown> | undefined): T | Record<string, unknown> | undefined {
  if (wire === 'omit') return undefined;
  return wire === undefined ? usage : { ...usage, ...wire };
}
