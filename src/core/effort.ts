/** Reasoning effort levels as OpenAI and Anthropic spell them, least effort first. */
export const EFFORT_LEVELS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'] as const;

export type EffortLevel = (typeof EFFORT_LEVELS)[number];

export function isEffortLevel(value: unknown): value is EffortLevel {
  return typeof value === 'string' && (EFFORT_LEVELS as readonly string[]).includes(value);
}

/**
 * The accepted level closest to the one asked for: the highest accepted level not above it, or failing that the
 * lowest accepted level. Undefined when nothing is accepted.
 */
export function nearestEffort(asked: EffortLevel, accepted: readonly EffortLevel[]): EffortLevel | undefined {
  const rank = EFFORT_LEVELS.indexOf(asked);
  let below: EffortLevel | undefined;
  let lowest: EffortLevel | undefined;
  for (const level of accepted) {
    const r = EFFORT_LEVELS.indexOf(level);
    if (r <= rank && (below === undefined || r > EFFORT_LEVELS.indexOf(below))) below = level;
    if (lowest === undefined || r < EFFORT_LEVELS.indexOf(lowest)) lowest = level;
  }
  return below ?? lowest;
}
