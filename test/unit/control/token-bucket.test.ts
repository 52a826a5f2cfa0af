import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/control/token-bucket.js';
import { FakeClock } from '../../helpers/clock.js';

describe('TokenBucket', () => {
  it('starts full and allows a burst up to its capacity', () => {
    const clock = new FakeClock();
    const b = new TokenBucket({ capacity: 5, refillPerSecond: 1 }, clock);
    for (let i = 0; i < 5; i++) expect(b.tryTake().ok).toBe(true);
    const r = b.tryTake();
    expect(r).toEqual({ ok: false, retryAfterMs: 1000, retryAfterSeconds: 1 });
  });

  it('refills at its rate and never beyond capacity', () => {
    const clock = new FakeClock();
    const b = new TokenBucket({ capacity: 3, refillPerSecond: 0.5 }, clock);
    for (let i = 0; i < 3; i++) b.tryTake();
    clock.advance(1999);
    expect(b.tryTake().ok).toBe(false);
    clock.advance(1);
    expect(b.tryTake().ok).toBe(true);
    clock.advance(3_600_000);
    expect(b.available()).toBe(3);
  });

  it('reports the exact wait and a whole-second Retry-After', () => {
    const clock = new FakeClock();
    // 100/min: one token every 600 ms
    const b = new TokenBucket({ capacity: 100, refillPerSecond: 100 / 60 }, clock);
    for (let i = 0; i < 100; i++) expect(b.tryTake().ok).toBe(true);
    clock.advance(300);
    const r = b.tryTake();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.retryAfterMs).toBeCloseTo(300, 6);
    expect(r.retryAfterSeconds).toBe(1);
  });

  it('lets 10 refills of 0.1 token add up to one despite float error', () => {
    const clock = new FakeClock();
    const b = new TokenBucket({ capacity: 1, refillPerSecond: 1 }, clock);
    b.tryTake();
    for (let i = 0; i < 10; i++) {
      clock.advance(100);
      b.available();
    }
    expect(b.tryTake().ok).toBe(true);
  });

  it('debit can go into debt that later takes must wait out', () => {
    const clock = new FakeClock();
    const b = new TokenBucket({ capacity: 10, refillPerSecond: 1 }, clock);
    b.debit(15);
    expect(b.available()).toBe(-5);
    const r = b.tryTake(1);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.retryAfterMs).toBe(6000);
    b.credit(100);
    expect(b.available()).toBe(10);
  });

  it('a take larger than the capacity waits for a full bucket, then runs into debt', () => {
    const clock = new FakeClock();
    const b = new TokenBucket({ capacity: 10, refillPerSecond: 1 }, clock);
    b.tryTake(5);
    expect(b.tryTake(50).ok).toBe(false);
    clock.advance(5000);
    expect(b.tryTake(50).ok).toBe(true);
    expect(b.available()).toBe(-40);
  });

  it('reconfigure keeps the level, capped by the new capacity', () => {
    const clock = new FakeClock();
    const b = new TokenBucket({ capacity: 10, refillPerSecond: 1 }, clock);
    b.tryTake(4);
    b.reconfigure({ capacity: 20, refillPerSecond: 2 });
    expect(b.available()).toBe(6);
    b.reconfigure({ capacity: 3, refillPerSecond: 2 });
    expect(b.available()).toBe(3);
  });

  it('rejects a zero or negative capacity or rate', () => {
    const clock = new FakeClock();
    expect(() => new TokenBucket({ capacity: 0, refillPerSecond: 1 }, clock)).toThrow(/positive/);
    expect(() => new TokenBucket({ capacity: 1, refillPerSecond: -1 }, clock)).toThrow(/positive/);
    expect(() => new TokenBucket({ capacity: 1, refillPerSecond: Number.NaN }, clock)).toThrow(/positive/);
  });
});
