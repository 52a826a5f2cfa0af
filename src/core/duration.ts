/**
 * Durations as people write them ("600s", "1m30s", "500ms"): one parser for gateway.yaml (config/units.ts
 * re-exports it with the other units) and for `--since` (core/since.ts). DURATION_PATTERN is shared with the
 * config's zod schema, written without flags because JSON Schema patterns carry none.
 */

const DURATION_UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  sec: 1_000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  d: 86_400_000,
};

/** One or more `<number><unit>` parts, e.g. `30s`, `1h30m`, `1.5s`, `250ms`. Lower-case units. */
export const DURATION_PATTERN = '^\\s*(\\d+(\\.\\d+)?\\s*(ms|sec|min|hr|s|m|h|d)\\s*)+$';
const DURATION_RE = new RegExp(DURATION_PATTERN);
const DURATION_PART_RE = /(\d+(?:\.\d+)?)\s*(ms|sec|min|hr|s|m|h|d)/g;

export const DURATION_HINT =
  'write a number with a unit, e.g. 500ms, 30s, 5m, 1h or 1h30m (a bare number means seconds, but milliseconds in a circuit_breaker)';

/** What a bare number means where a duration is expected: seconds, except in the agent-gateway format's breakers. */
export type BareUnit = 'seconds' | 'milliseconds';

const BARE_UNIT_MS: Readonly<Record<BareUnit, number>> = { seconds: 1_000, milliseconds: 1 };

/**
 * Milliseconds for a duration string, or for a bare number in `bare` units (seconds unless told otherwise).
 * Undefined when the text is not a duration.
 */
export function parseDuration(value: string | number, bare: BareUnit = 'seconds'): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? Math.round(value * BARE_UNIT_MS[bare]) : undefined;
  }
  if (!DURATION_RE.test(value)) return undefined;
  let total = 0;
  for (const match of value.matchAll(DURATION_PART_RE)) {
    const amount = Number(match[1]);
    const unit = DURATION_UNIT_MS[match[2] ?? ''];
    if (unit === undefined) return undefined;
    total += amount * unit;
  }
  return Math.round(total);
}

/** The shortest unambiguous way to write `ms` in the config: `90s`, `1h`, `1500ms`. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
