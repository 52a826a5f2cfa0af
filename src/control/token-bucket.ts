import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';

export interface TokenBucketSettings {
  /** Most tokens the bucket holds: the burst. */
  capacity: number;
  /** Tokens added per second. */
  refillPerSecond: number;
}

export type TakeResult =
  | { ok: true }
  | {
      ok: false;
      /** Exact wait until the request would fit. */
      retryAfterMs: number;
      /** The same wait rounded up to whole seconds (at least 1), for `Retry-After`. */
      retryAfterSeconds: number;
    };

/** Tolerance for float refill arithmetic, so 10 × 0.1 tokens count as one. */
const EPSILON = 1e-9;

/**
 * A token bucket on the monotonic clock. Starts full. `debit` may drive it below zero so that costs only known
 * afterwards (tokens of a finished call) are still paid for by later requests.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private settings: TokenBucketSettings,
    private readonly clock: Clock,
  ) {
    validate(settings);
    this.tokens = settings.capacity;
    this.last = clock.monotonic();
  }

  get capacity(): number {
    return this.settings.capacity;
  }

  available(): number {
    this.refill();
    return this.tokens;
  }

  /** Takes `n` tokens if they are there. A request larger than the capacity waits for a full bucket. */
  tryTake(n = 1): TakeResult {
    this.refill();
    const need = Math.min(n, this.settings.capacity);
    if (this.tokens + EPSILON >= need) {
      this.tokens -= n;
      return { ok: true };
    }
    const retryAfterMs = ((need - this.tokens) / this.settings.refillPerSecond) * 1000;
    return { ok: false, retryAfterMs, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000 - EPSILON)) };
  }

  /** Takes `n` tokens unconditionally (may go negative). */
  debit(n: number): void {
    this.refill();
    this.tokens -= n;
  }

  /** Returns `n` tokens, never beyond the capacity. */
  credit(n: number): void {
    this.refill();
    this.tokens = Math.min(this.settings.capacity, this.tokens + n);
  }

  /** New settings keep the current level (capped by the new capacity), so a config reload is not a free refill. */
  reconfigure(settings: TokenBucketSettings): void {
    validate(settings);
    this.refill();
    this.settings = settings;
    this.tokens = Math.min(this.tokens, settings.capacity);
  }

  private refill(): void {
    const now = this.clock.monotonic();
    const elapsed = now - this.last;
    this.last = now;
    if (elapsed <= 0) return;
    this.tokens = Math.min(this.settings.capacity, this.tokens + (elapsed / 1000) * this.settings.refillPerSecond);
  }
}

function validate(s: TokenBucketSettings): void {
  if (!(s.capacity > 0) || !Number.isFinite(s.capacity) || !(s.refillPerSecond > 0) || !Number.isFinite(s.refillPerSecond)) {
    throw new GatewayError(
      'config',
      `a rate limit needs a positive burst and rate, got burst ${s.capacity} and ${s.refillPerSecond}/s`,
    );
  }
}
