/**
 * The one place usage counts are read off the wire: every usage mapper takes its token fields through
 * `tokenField`, so a count that is not a finite, non-negative integer below MAX_REPORTED_TOKENS is never
 * billed; the side it belongs to is reported missing, and estimated instead.
 */
import { MAX_REPORTED_TOKENS, type Usage, type UsageGaps } from '../../core/usage.js';
import type { JsonObject } from './json.js';

/** Overwrites the fields a cumulative usage report names; keeps reasoning a subset of output. */
export function mergeUsage(base: Usage, patch: Partial<Usage>): Usage {
  const merged = { ...base, ...patch };
  return { ...merged, reasoning: Math.min(merged.reasoning, merged.output) };
}

/**
 * A token count: undefined when absent (or null); also undefined, with `path` added to `rejected`, when the
 * value is anything but a sane count (a string, a fraction, a negative number, 1e300, NaN).
 */
export function tokenField(obj: JsonObject, key: string, path: string, rejected: string[]): number | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < MAX_REPORTED_TOKENS) return value;
  rejected.push(path);
  return undefined;
}

/** Gaps of a report whose input and output counts were read (undefined = absent or rejected). */
export function gapsOf(inputReported: boolean, outputReported: boolean, rejected: string[]): UsageGaps | undefined {
  if (inputReported && outputReported && rejected.length === 0) return undefined;
  return { input: !inputReported, output: !outputReported, rejected };
}

/** The fields of `usage` that a report with these gaps really gave (for cumulative stream usage events). */
export function reportedPart(usage: Usage, gaps: UsageGaps | undefined): Partial<Usage> {
  if (gaps === undefined) return { ...usage };
  const out: Partial<Usage> = {};
  if (!gaps.input) {
    out.inputUncached = usage.inputUncached;
    out.cacheRead = usage.cacheRead;
    out.cacheWrite5m = usage.cacheWrite5m;
    out.cacheWrite1h = usage.cacheWrite1h;
  }
  if (!gaps.output) {
    out.output = usage.output;
    out.reasoning = usage.reasoning;
  }
  return out;
}
