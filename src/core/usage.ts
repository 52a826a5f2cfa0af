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
