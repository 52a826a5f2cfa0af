/**
 * Token usage in the gateway's normal form (translation spec §10). Every wire format reads into and writes
 * from this shape, and metering prices it, so the same exchange costs the same whatever format carried it.
 * `reasoning` is a subset of `output` and is never priced twice.
 */
export interface Usage {
  /** Input tokens not served from or written to a prompt cache. */
  inputUncached: number;
  cacheRead: number;
  /** Cache writes with the default (5 minute) lifetime. */
  cacheWrite5m: number;
  /** Cache writes with the 1 hour lifetime. */
  cacheWrite1h: number;
  output: number;
  /** Part of `output`. */
  reasoning: number;
}

export const ZERO_USAGE: Readonly<Usage> = Object.freeze({
  inputUncached: 0,
  cacheRead: 0,
  cacheWrite5m: 0,
  cacheWrite1h: 0,
  output: 0,
  reasoning: 0,
});

/** All input tokens, cached or not: what OpenAI calls prompt_tokens. */
export function totalInput(u: Usage): number {
  return u.inputUncached + u.cacheRead + u.cacheWrite5m + u.cacheWrite1h;
}

export function cacheWrite(u: Usage): number {
  return u.cacheWrite5m + u.cacheWrite1h;
}

/**
 * What a usage report did not give. A side (input or output) is missing when the upstream sent no count for it,
 * or sent one that is not a sane token count (`rejected` names those fields). Missing sides are estimated.
 */
export interface UsageGaps {
  input: boolean;
  output: boolean;
  /** Fields whose value was refused (not a finite, non-negative integer below MAX_REPORTED_TOKENS). */
  rejected: string[];
}

/** A usage report as decoded: the counts (zeros where missing) and, when it was incomplete, what it lacked. */
export interface UsageReading {
  usage: Usage;
  gaps?: UsageGaps;
}

/** No usage at all: both sides missing. */
export function noUsage(): UsageReading {
  return { usage: { ...ZERO_USAGE }, gaps: { input: true, output: true, rejected: [] } };
}

/**
 * Largest token count a report may give for one field. Real counts are far below (the largest context windows
 * are a few million tokens); anything at or above this is a broken upstream, not a bill.
 */
export const MAX_REPORTED_TOKENS = 1_000_000_000;
