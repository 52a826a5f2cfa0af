import { GatewayError } from '../core/errors.js';
import type { TokenBucketSettings } from './token-bucket.js';
import type { RateLimitInput } from './types.js';

export interface RateSpec {
  count: number;
  periodMs: number;
}

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};

const SPEC = /^\s*(\d+)\s*\/\s*([a-z]+)\s*$/i;

/** Parses `"<count>/<s|sec|second|min|minute|h|hour|day>"` (plurals allowed), e.g. `"100/min"`. */
export function parseRateSpec(spec: string): RateSpec {
  const m = SPEC.exec(spec);
  const unit = m?.[2]?.toLowerCase();
  const periodMs = unit === undefined ? undefined : UNIT_MS[unit];
  const count = m?.[1] === undefined ? 0 : Number(m[1]);
  if (periodMs === undefined || !Number.isSafeInteger(count) || count < 1) {
    throw new GatewayError(
      'config',
      `invalid rate limit '${spec}': write <count>/<unit> with count >= 1 and unit s, sec, min, minute, h, hour or day (e.g. 100/min)`,
    );
  }
  return { count, periodMs };
}

/** Token-bucket settings for a parsed rate limit: capacity is the burst (default: the count). */
export interface RateLimitSettings {
  spec: string;
  requests: TokenBucketSettings;
  tokens: TokenBucketSettings | null;
}

export function rateLimitSettings(input: RateLimitInput): RateLimitSettings {
  const { count, periodMs } = parseRateSpec(input.spec);
  const burst = input.burst ?? count;
  if (!Number.isFinite(burst) || burst < 1) {
    throw new GatewayError('config', `rate limit burst must be >= 1, got ${String(input.burst)}`);
  }
  let tokens: TokenBucketSettings | null = null;
  if (input.tpm !== undefined) {
    if (!Number.isFinite(input.tpm) || input.tpm < 1) {
      throw new GatewayError('config', `rate limit tpm must be >= 1 tokens per minute, got ${String(input.tpm)}`);
    }
    tokens = { capacity: input.tpm, refillPerSecond: input.tpm / 60 };
  }
  return { spec: input.spec, requests: { capacity: burst, refillPerSecond: (count * 1000) / periodMs }, tokens };
}
