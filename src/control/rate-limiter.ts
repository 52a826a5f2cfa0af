import type { Clock } from '../core/clock.js';
import type { RateLimitSettings } from './rate-limit-spec.js';
import { TokenBucket } from './token-bucket.js';

export type RateDecision =
  | { ok: true; /** Tokens taken from the tpm bucket, to settle against the real count later. */ tokensTaken: number }
  | { ok: false; limit: 'requests' | 'tokens'; retryAfterMs: number; retryAfterSeconds: number };

/**
 * One agent's request bucket plus its optional tokens-per-minute bucket. Tokens are taken at admission from an
 * estimate and corrected when the call ends; a call that used more than its estimate leaves the bucket in debt,
 * which blocks admissions until it refills.
 */
export class RateLimiter {
  private readonly requests: TokenBucket;
  private tokens: TokenBucket | null;

  constructor(
    private settings: RateLimitSettings,
    private readonly clock: Clock,
  ) {
    this.requests = new TokenBucket(settings.requests, clock);
    this.tokens = settings.tokens === null ? null : new TokenBucket(settings.tokens, clock);
  }

  get spec(): string {
    return this.settings.spec;
  }

  /** The buckets' settings, for a limiter that keeps them elsewhere (a shared store). */
  get current(): RateLimitSettings {
    return this.settings;
  }

  tryTake(estimatedTokens = 0): RateDecision {
    const tokensTaken = this.tokens === null ? 0 : Math.max(0, Math.ceil(estimatedTokens));
    if (this.tokens !== null) {
      const t = this.tokens.tryTake(tokensTaken);
      if (!t.ok) return { ok: false, limit: 'tokens', retryAfterMs: t.retryAfterMs, retryAfterSeconds: t.retryAfterSeconds };
    }
    const r = this.requests.tryTake(1);
    if (!r.ok) {
      this.tokens?.credit(tokensTaken);
      return { ok: false, limit: 'requests', retryAfterMs: r.retryAfterMs, retryAfterSeconds: r.retryAfterSeconds };
    }
    return { ok: true, tokensTaken };
  }

  /** Corrects the tpm bucket once the real token count of a call is known. */
  settleTokens(tokensTaken: number, actualTokens: number): void {
    if (this.tokens === null) return;
    const diff = actualTokens - tokensTaken;
    if (diff > 0) this.tokens.debit(diff);
    else if (diff < 0) this.tokens.credit(-diff);
  }

  /** Applies reloaded settings, keeping the current levels. */
  reconfigure(settings: RateLimitSettings): void {
    this.settings = settings;
    this.requests.reconfigure(settings.requests);
    if (settings.tokens === null) this.tokens = null;
    else if (this.tokens === null) this.tokens = new TokenBucket(settings.tokens, this.clock);
    else this.tokens.reconfigure(settings.tokens);
  }
}
