import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BudgetLedger, estimateReservationUsd, type Reservation } from '../../../src/control/budget-ledger.js';
import { HOUR_MS } from '../../../src/control/budget-windows.js';
import { FakeClock } from '../../helpers/clock.js';

function setup(limits: { hourly?: number; daily?: number; total?: number }, timeZone = 'UTC', start?: string) {
  const clock = new FakeClock(start);
  const ledger = new BudgetLedger({ clock, timeZone });
  ledger.setLimits('a', limits);
  return { clock, ledger };
}

function reserveOk(ledger: BudgetLedger, usd: number): Reservation {
  const r = ledger.reserve('a', usd);
  if (!r.ok) throw new Error(`expected room, got ${r.window}/${r.cause}`);
  return r.reservation;
}

describe('reservation and settlement', () => {
  it('holds the estimate while in flight and replaces it with the real cost', () => {
    const { ledger } = setup({ hourly: 5 });
    const r = reserveOk(ledger, 0.5);
    expect(ledger.spend('a')).toEqual({ hourUsd: 0, todayUsd: 0, totalUsd: 0, reservedUsd: 0.5 });
    r.settle(0.12);
    expect(ledger.spend('a')).toEqual({ hourUsd: 0.12, todayUsd: 0.12, totalUsd: 0.12, reservedUsd: 0 });
    expect(r.settled).toBe(true);
  });

  it('counts only the first settle or release', () => {
    const { ledger } = setup({});
    const r = reserveOk(ledger, 1);
    r.settle(0.3);
    r.settle(0.3);
    r.release();
    expect(ledger.spend('a').totalUsd).toBe(0.3);
    const r2 = reserveOk(ledger, 1);
    r2.release();
    expect(ledger.spend('a')).toMatchObject({ totalUsd: 0.3, reservedUsd: 0 });
  });

  it('keeps money exact: ten settlements of $0.10 reach a $1.00 limit', () => {
    const { ledger } = setup({ total: 1 });
    for (let i = 0; i < 10; i++) reserveOk(ledger, 0.1).settle(0.1);
    expect(ledger.spend('a').totalUsd).toBe(1);
    expect(ledger.exhausted('a')).toBe('total');
    expect(ledger.reserve('a', 0.01)).toMatchObject({ ok: false, window: 'total', cause: 'spent' });
  });

  it('admits while room is left even if the estimate is larger than the room', () => {
    const { ledger } = setup({ hourly: 1 });
    reserveOk(ledger, 0.9).settle(0.9);
    const r = reserveOk(ledger, 0.5); // 0.1 left: admitted, may overshoot by its real cost
    expect(ledger.reserve('a', 0.01)).toMatchObject({
      ok: false,
      window: 'hourly',
      cause: 'reserved',
      retryAfterSeconds: 1,
      reservedUsd: 0.5,
    });
    r.settle(0.05);
    expect(ledger.reserve('a', 0.01).ok).toBe(true);
  });

  it('never blocks a model priced at zero, even with a spent or zero budget', () => {
    const { ledger } = setup({ hourly: 0, total: 0 });
    expect(ledger.reserve('a', 0.000001).ok).toBe(false);
    const r = ledger.reserve('a', 0);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.reservation.extend(0)).toBe(true);
      r.reservation.settle(0);
    }
  });

  it('agents without limits are never denied', () => {
    const { ledger } = setup({});
    for (let i = 0; i < 100; i++) reserveOk(ledger, 100).settle(100);
    expect(ledger.spend('a').totalUsd).toBe(10_000);
    expect(ledger.exhausted('a')).toBeNull();
  });
});

describe('denials per window', () => {
  it('hourly: says when the rolling hour frees room', () => {
    const { clock, ledger } = setup({ hourly: 1 });
    const t0 = clock.now();
    reserveOk(ledger, 0.6).settle(0.6);
    clock.advance(10 * 60_000);
    reserveOk(ledger, 0.6).settle(0.6);
    clock.advance(5 * 60_000);
    const d = ledger.reserve('a', 0.1);
    expect(d).toMatchObject({ ok: false, window: 'hourly', cause: 'spent', spentUsd: 1.2, limitUsd: 1 });
    if (d.ok) return;
    // the first $0.60 leaves at t0 + 60 min, leaving 0.6 < 1
    expect(d.freesAt).toBe(t0 + HOUR_MS);
    expect(d.retryAfterSeconds).toBe(45 * 60);
    clock.advance(45 * 60_000 - 1);
    expect(ledger.reserve('a', 0.1).ok).toBe(false);
    clock.advance(1);
    expect(ledger.reserve('a', 0.1).ok).toBe(true);
  });

  it('daily: frees at local midnight of the configured zone (America/New_York)', () => {
    const { clock, ledger } = setup({ daily: 2 }, 'America/New_York', '2025-03-10T22:00:00Z'); // 18:00 EDT
    reserveOk(ledger, 2).settle(2);
    const d = ledger.reserve('a', 0.1);
    expect(d).toMatchObject({ ok: false, window: 'daily', freesAt: Date.parse('2025-03-11T04:00:00Z') });
    if (!d.ok) expect(d.retryAfterSeconds).toBe(6 * 3600);
    clock.set('2025-03-11T03:59:59Z');
    expect(ledger.reserve('a', 0.1).ok).toBe(false);
    clock.set('2025-03-11T04:00:00Z');
    expect(ledger.reserve('a', 0.1).ok).toBe(true);
  });

  it('daily: frees at local midnight in Asia/Kolkata (18:30 UTC)', () => {
    const { clock, ledger } = setup({ daily: 1 }, 'Asia/Kolkata', '2025-03-10T10:00:00Z');
    reserveOk(ledger, 1).settle(1.5);
    expect(ledger.exhausted('a')).toBe('daily');
    clock.set('2025-03-10T18:29:59.999Z');
    expect(ledger.exhausted('a')).toBe('daily');
    clock.set('2025-03-10T18:30:00Z');
    expect(ledger.exhausted('a')).toBeNull();
    expect(ledger.spend('a')).toMatchObject({ todayUsd: 0, totalUsd: 1.5 });
  });

  it('total: never frees by itself; a new limit frees it', () => {
    const { clock, ledger } = setup({ total: 1 });
    reserveOk(ledger, 1).settle(1);
    const d = ledger.reserve('a', 0.1);
    expect(d).toMatchObject({ ok: false, window: 'total', freesAt: null, retryAfterSeconds: null });
    clock.advance(400 * 24 * HOUR_MS);
    expect(ledger.reserve('a', 0.1).ok).toBe(false);
    ledger.setLimits('a', { total: 2 });
    expect(ledger.reserve('a', 0.1).ok).toBe(true);
  });

  it('reports the window that frees latest when several are spent', () => {
    const { ledger } = setup({ hourly: 1, daily: 1, total: 1 });
    reserveOk(ledger, 1).settle(1);
    expect(ledger.reserve('a', 0.1)).toMatchObject({ ok: false, window: 'total' });
    expect(ledger.exhausted('a')).toBe('total');
  });

  it('rejects negative or non-finite limits', () => {
    const { ledger } = setup({});
    expect(() => ledger.setLimits('a', { hourly: -1 })).toThrow(/hourly must be a number of USD >= 0/);
    expect(() => ledger.setLimits('a', { daily: Number.POSITIVE_INFINITY })).toThrow(/daily/);
  });
});

describe('extending a reservation as a stream accrues cost', () => {
  it('grants extensions while they fit and refuses once the budget has no room', () => {
    const { ledger } = setup({ hourly: 1 });
    reserveOk(ledger, 0.5).settle(0.5);
    const r = reserveOk(ledger, 0.2);
    expect(r.extend(0.2)).toBe(true);
    expect(r.heldUsd).toBe(0.4);
    expect(r.extend(0.1)).toBe(true); // 0.5 + 0.5 = 1.0, fits exactly
    expect(r.extend(0.000001)).toBe(false);
    expect(r.heldUsd).toBe(0.5);
    r.settle(0.5);
    expect(ledger.spend('a').hourUsd).toBe(1);
    expect(r.extend(0.1)).toBe(false);
  });

  it('a stream that outruns its reservation is stopped within one chunk of the limit', () => {
    const { ledger } = setup({ hourly: 1 });
    const r = reserveOk(ledger, 0.3);
    let accrued = 0;
    const chunk = 0.07;
    for (;;) {
      accrued += chunk;
      if (accrued > r.heldUsd && !r.extend(accrued - r.heldUsd)) break;
    }
    r.settle(accrued);
    expect(ledger.spend('a').hourUsd).toBeLessThanOrEqual(1 + chunk);
    expect(ledger.spend('a').hourUsd).toBeGreaterThan(1 - chunk);
  });
});

describe('concurrency', () => {
  it('50 concurrent requests never push spend past a limit by more than one real cost', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ bound: fc.integer({ min: 1, max: 500_000 }), realPct: fc.integer({ min: 0, max: 100 }) }), {
          minLength: 50,
          maxLength: 50,
        }),
        fc.array(fc.nat(), { minLength: 100, maxLength: 100 }),
        fc.integer({ min: 0, max: 2_000_000 }),
        fc.integer({ min: 0, max: 2_000_000 }),
        (requests, choices, limitMicros, priorMicros) => {
          const { ledger } = setup({ hourly: limitMicros / 1e6, daily: (limitMicros * 2) / 1e6 });
          if (priorMicros > 0) ledger.record('a', priorMicros / 1e6);
          const open: { r: Reservation; real: number }[] = [];
          const admittedReal: number[] = [];
          let next = 0;
          let lastAdmittedReal = 0;
          for (const c of choices) {
            const canReserve = next < requests.length;
            if (canReserve && (open.length === 0 || c % 2 === 0)) {
              const q = requests[next++];
              if (q === undefined) continue;
              const real = Math.floor((q.bound * q.realPct) / 100);
              const res = ledger.reserve('a', q.bound / 1e6);
              if (res.ok) {
                open.push({ r: res.reservation, real });
                admittedReal.push(real);
                lastAdmittedReal = real;
              }
            } else if (open.length > 0) {
              const [o] = open.splice(c % open.length, 1);
              o?.r.settle(o.real / 1e6);
            }
          }
          for (const o of open) o.r.settle(o.real / 1e6);
          const spent = Math.round(ledger.spend('a').hourUsd * 1e6);
          expect(spent).toBe(priorMicros + admittedReal.reduce((s, x) => s + x, 0));
          if (priorMicros < limitMicros) {
            // the bound from the design: at most the real cost of the last request admitted
            expect(spent).toBeLessThanOrEqual(limitMicros + lastAdmittedReal);
          } else {
            // already spent: nothing priced gets through
            expect(admittedReal).toEqual([]);
          }
          expect(ledger.spend('a').reservedUsd).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('50 simultaneous reservations against $0.10 left admit only as much as fits', () => {
    const { ledger } = setup({ hourly: 1 });
    ledger.record('a', 0.9);
    const results = Array.from({ length: 50 }, () => ledger.reserve('a', 0.04));
    const admitted = results.filter((r) => r.ok);
    expect(admitted).toHaveLength(3); // 0.9 + 0.04 + 0.04 = 0.98 < 1 -> third admitted, then 1.02 >= 1
    for (const r of admitted) r.reservation.settle(0.04);
    expect(ledger.spend('a').hourUsd).toBeCloseTo(1.02, 9);
  });
});

describe('rebuild from stored spend', () => {
  it('restores total, today (local zone) and the rolling hour from entries', () => {
    const clock = new FakeClock('2025-03-10T20:00:00Z'); // 01:30 IST on 3/11
    const ledger = new BudgetLedger({ clock, timeZone: 'Asia/Kolkata' });
    ledger.restore({
      entries: [
        { ts: Date.parse('2025-03-10T19:30:00Z'), agent: 'a', costUsd: 0.25 }, // last hour, today IST
        { ts: Date.parse('2025-03-10T18:45:00Z'), agent: 'a', costUsd: 0.5 }, // today IST, not last hour
        { ts: Date.parse('2025-03-10T18:15:00Z'), agent: 'a', costUsd: 1 }, // yesterday IST
        { ts: Date.parse('2025-01-01T00:00:00Z'), agent: 'b', costUsd: 2 },
      ],
    });
    expect(ledger.spend('a')).toEqual({ hourUsd: 0.25, todayUsd: 0.75, totalUsd: 1.75, reservedUsd: 0 });
    expect(ledger.spend('b').totalUsd).toBe(2);
    expect(ledger.agents().sort()).toEqual(['a', 'b']);
    clock.advance(30 * 60_000);
    expect(ledger.spend('a').hourUsd).toBe(0);
  });

  it('a restart keeps the hour the live ledger would: a cost counts until an hour after its second ends', () => {
    const at = Date.parse('2025-03-10T19:00:00.200Z');
    const clock = new FakeClock('2025-03-10T20:00:00.500Z');
    const restored = new BudgetLedger({ clock, timeZone: 'UTC' });
    // Settled at 19:00:00.200, so a running ledger counts it until 20:00:01; rebuilt from the audit at 20:00:00.500.
    restored.restore({ aggregates: [{ agent: 'a', totalUsd: 0.5, todayUsd: 0.5, lastHour: [{ ts: at, agent: 'a', costUsd: 0.5 }] }] });
    expect(restored.inHour(at)).toBe(true);
    expect(restored.spend('a').hourUsd).toBe(0.5);
    clock.advance(499);
    expect(restored.spend('a').hourUsd).toBe(0.5);
    clock.advance(1);
    expect(restored.spend('a').hourUsd).toBe(0);
    expect(restored.inHour(at)).toBe(false);
  });

  it('restores from per-agent aggregates', () => {
    const clock = new FakeClock('2025-03-10T20:00:00Z');
    const ledger = new BudgetLedger({ clock, timeZone: 'UTC' });
    const { hourFrom, dayFrom } = ledger.windowStarts();
    // A second more than the hour: the hour counts by the second.
    expect(hourFrom).toBe(Date.parse('2025-03-10T18:59:59Z'));
    expect(dayFrom).toBe(Date.parse('2025-03-10T00:00:00Z'));
    ledger.restore({
      aggregates: [{ agent: 'a', totalUsd: 10, todayUsd: 3, lastHour: [{ ts: clock.now() - 1000, agent: 'a', costUsd: 1 }] }],
    });
    ledger.setLimits('a', { hourly: 1 });
    expect(ledger.spend('a')).toEqual({ hourUsd: 1, todayUsd: 3, totalUsd: 10, reservedUsd: 0 });
    expect(ledger.exhausted('a')).toBe('hourly');
  });
});

describe('estimateReservationUsd', () => {
  it('prices input plus the request cap on output', () => {
    expect(
      estimateReservationUsd({
        inputTokens: 1000,
        maxOutputTokens: 4096,
        defaultMaxOutputTokens: 8192,
        inputPerMTok: 3,
        outputPerMTok: 15,
      }),
    ).toBe(0.06444);
  });

  it('uses the default cap when the request sets none', () => {
    expect(
      estimateReservationUsd({ inputTokens: 0, defaultMaxOutputTokens: 1000, inputPerMTok: 3, outputPerMTok: 10 }),
    ).toBe(0.01);
  });

  it('rounds up to the next nano-dollar and is zero for free models', () => {
    expect(estimateReservationUsd({ inputTokens: 1, defaultMaxOutputTokens: 0, inputPerMTok: 0.075, outputPerMTok: 0 })).toBe(
      75e-9,
    );
    expect(estimateReservationUsd({ inputTokens: 1, defaultMaxOutputTokens: 0, inputPerMTok: 0.0001, outputPerMTok: 0 })).toBe(
      1e-9,
    );
    expect(estimateReservationUsd({ inputTokens: 5000, defaultMaxOutputTokens: 4096, inputPerMTok: 0, outputPerMTok: 0 })).toBe(0);
  });

  it('stays exact for large requests on expensive models', () => {
    expect(
      estimateReservationUsd({ inputTokens: 1_000_000, maxOutputTokens: 128_000, defaultMaxOutputTokens: 0, inputPerMTok: 75, outputPerMTok: 150 }),
    ).toBe(94.2);
  });
});
