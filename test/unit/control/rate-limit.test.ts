import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { parseRateSpec, rateLimitSettings } from '../../../src/control/rate-limit-spec.js';
import { RateLimiter } from '../../../src/control/rate-limiter.js';
import { FakeClock } from '../../helpers/clock.js';

describe('parseRateSpec', () => {
  it.each([
    ['100/min', 100, 60_000],
    ['5/s', 5, 1000],
    ['5/sec', 5, 1000],
    ['2/second', 2, 1000],
    ['30/minute', 30, 60_000],
    ['1000/h', 1000, 3_600_000],
    ['1000/hour', 1000, 3_600_000],
    ['10000/day', 10_000, 86_400_000],
    [' 7 / Minutes ', 7, 60_000],
  ])('%s', (spec, count, periodMs) => {
    expect(parseRateSpec(spec)).toEqual({ count, periodMs });
  });

  it.each(['', '100', '100/', '/min', '0/min', '-1/min', '1.5/min', '100/fortnight', '100/m', 'ten/min', '100/min/s'])(
    'rejects %j with a config error naming the format',
    (spec) => {
      let err: unknown;
      try {
        parseRateSpec(spec);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).kind).toBe('config');
      expect((err as GatewayError).message).toContain('<count>/<unit>');
    },
  );
});

describe('rateLimitSettings', () => {
  it('uses the count as burst by default', () => {
    const s = rateLimitSettings({ spec: '120/min' });
    expect(s.requests).toEqual({ capacity: 120, refillPerSecond: 2 });
    expect(s.tokens).toBeNull();
  });

  it('takes an explicit burst and tpm', () => {
    const s = rateLimitSettings({ spec: '60/min', burst: 5, tpm: 6000 });
    expect(s.requests).toEqual({ capacity: 5, refillPerSecond: 1 });
    expect(s.tokens).toEqual({ capacity: 6000, refillPerSecond: 100 });
  });

  it('rejects a burst or tpm below 1', () => {
    expect(() => rateLimitSettings({ spec: '60/min', burst: 0 })).toThrow(/burst/);
    expect(() => rateLimitSettings({ spec: '60/min', tpm: 0 })).toThrow(/tpm/);
  });
});

describe('RateLimiter', () => {
  it('limits requests with burst then steady refill', () => {
    const clock = new FakeClock();
    const rl = new RateLimiter(rateLimitSettings({ spec: '60/min', burst: 2 }), clock);
    expect(rl.tryTake().ok).toBe(true);
    expect(rl.tryTake().ok).toBe(true);
    const r = rl.tryTake();
    expect(r).toMatchObject({ ok: false, limit: 'requests', retryAfterSeconds: 1 });
    clock.advance(1000);
    expect(rl.tryTake().ok).toBe(true);
  });

  it('takes estimated tokens and settles the difference afterwards', () => {
    const clock = new FakeClock();
    const rl = new RateLimiter(rateLimitSettings({ spec: '1000/min', tpm: 1000 }), clock);
    const a = rl.tryTake(600);
    expect(a).toEqual({ ok: true, tokensTaken: 600 });
    // 400 left: a 500-token estimate must wait
    const b = rl.tryTake(500);
    expect(b).toMatchObject({ ok: false, limit: 'tokens' });
    // the first call really used 200 tokens: 400 come back
    rl.settleTokens(600, 200);
    expect(rl.tryTake(500).ok).toBe(true);
  });

  it('a call that used more than estimated leaves debt that blocks until refilled', () => {
    const clock = new FakeClock();
    const rl = new RateLimiter(rateLimitSettings({ spec: '1000/min', tpm: 600 }), clock);
    const a = rl.tryTake(100);
    expect(a.ok).toBe(true);
    rl.settleTokens(100, 1200); // bucket now at -600
    const r = rl.tryTake(0);
    expect(r).toMatchObject({ ok: false, limit: 'tokens' });
    if (!r.ok) expect(r.retryAfterMs).toBeCloseTo(60_000, 6);
    clock.advance(60_000);
    expect(rl.tryTake(0).ok).toBe(true);
  });

  it('a request-limit refusal gives back the tokens it took', () => {
    const clock = new FakeClock();
    const rl = new RateLimiter(rateLimitSettings({ spec: '1/s', tpm: 1000 }), clock);
    expect(rl.tryTake(100).ok).toBe(true);
    expect(rl.tryTake(800)).toMatchObject({ ok: false, limit: 'requests' });
    clock.advance(1000);
    // 900 tokens left plus ~17 refilled; without the refund only ~117 would be
    expect(rl.tryTake(900).ok).toBe(true);
  });
});
