/**
 * Human units used in gateway.yaml: durations ("600s", "1m30s", "500ms"), sizes ("10mb") and rate limits ("100/min").
 * The regular expressions are shared with the zod schema so the JSON Schema an editor sees accepts exactly what the
 * parsers here accept; they are written without flags because JSON Schema patterns carry none.
 */

export { DURATION_HINT, DURATION_PATTERN, formatDuration, parseDuration, type BareUnit } from '../core/duration.js';
import { parseDuration } from '../core/duration.js';

const SIZE_UNIT_BYTES: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/** `10mb`, `512KB`, `1.5 MiB`, `2048` (bytes). Units are binary (1kb = 1024 bytes), as in body-parser. */
export const SIZE_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*([bB]|[kKmMgG]([iI]?[bB])?)?\\s*$';
const SIZE_RE = /^\s*(\d+(?:\.\d+)?)\s*([bB]|[kKmMgG](?:[iI]?[bB])?)?\s*$/;

export const SIZE_HINT = 'write a number with a unit, e.g. 512kb, 10mb, 1gb (a bare number means bytes)';

/** Bytes for a size string or a number of bytes; undefined when the text is not a size. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  }
  const match = SIZE_RE.exec(value);
  if (!match) return undefined;
  const unit = SIZE_UNIT_BYTES[(match[2] ?? '').toLowerCase()];
  if (unit === undefined) return undefined;
  return Math.floor(Number(match[1]) * unit);
}

const RATE_UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  sec: 1_000,
  second: 1_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  day: 86_400_000,
};

/** `<count>/<unit>`, e.g. `100/min`, `5/s`, `1000/day`. */
export const RATE_LIMIT_PATTERN = '^\\s*[1-9]\\d*\\s*/\\s*(s|sec|second|min|minute|h|hour|day)\\s*$';
const RATE_LIMIT_RE = /^\s*([1-9]\d*)\s*\/\s*(s|sec|second|min|minute|h|hour|day)\s*$/;

/** Unit words accepted alone for a rate limit's `per` (e.g. `per: min`), besides durations such as `per: 10s`. */
export const RATE_UNIT_PATTERN = '^(s|sec|second|min|minute|h|hour|day)$';

export const RATE_LIMIT_HINT =
  'write "<count>/<unit>" with unit s, sec, second, min, minute, h, hour or day, e.g. "100/min", ' +
  'or an object {requests: 100, per: 1m, burst: 20}';

export interface ParsedRate {
  count: number;
  perMs: number;
}

export function parseRateLimit(value: string): ParsedRate | undefined {
  const match = RATE_LIMIT_RE.exec(value);
  if (!match) return undefined;
  const perMs = RATE_UNIT_MS[match[2] ?? ''];
  if (perMs === undefined) return undefined;
  return { count: Number(match[1]), perMs };
}

/** A `per` value: a bare unit word (`min`) or a duration (`10s`, or a number of seconds). */
export function parseRatePeriod(value: string | number): number | undefined {
  if (typeof value === 'string') {
    const unit = RATE_UNIT_MS[value.trim()];
    if (unit !== undefined) return unit;
  }
  const ms = parseDuration(value);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

/** True when the runtime knows this IANA zone (`Europe/Berlin`, `UTC`); uses Intl so no zone table ships here. */
export function isValidTimeZone(zone: string): boolean {
  if (zone.trim() === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
