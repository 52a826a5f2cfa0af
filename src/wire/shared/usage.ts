import type { Usage } from '../../core/usage.js';

/** Overwrites the fields a cumulative usage report names; keeps reasoning a subset of output. */
export function mergeUsage(base: Usage, patch: Partial<Usage>): Usage {
  const merged = { ...base, ...patch };
  return { ...merged, reasoning: Math.min(merged.reasoning, merged.output) };
}
