import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HOUR_MS,
  LocalDaySum,
  RollingSum,
  SLOT_MS,
  isValidTimeZone,
  localDayBounds,
  localDayKey,
  systemTimeZone,
} from '../../../src/control/budget-windows.js';

const t = (iso: string) => Date.parse(iso);

describe('RollingSum (rolling hour)', () => {
  it('counts an amount for 60 minutes from its time rounded up to a whole second: exactly an hour on the second', () => {
    const s = new RollingSum(HOUR_MS);
    const t0 = t('2025-03-10T12:00:00Z');
    s.add(t0, 5);
    expect(s.total(t0 + HOUR_MS - 1)).toBe(5);
    expect(s.total(t0 + HOUR_MS)).toBe(0);
    s.add(t0 + HOUR_MS + 400, 2);
    expect(s.total(t0 + HOUR_MS + 400)).toBe(2);
    expect(s.total(t0 + 2 * HOUR_MS + 999)).toBe(2);
    expect(s.total(t0 + 2 * HOUR_MS + 1000)).toBe(0);
  });

  it('drops old entries one by one as the window slides', () => {
    const s = new RollingSum(HOUR_MS);
    const t0 = t('2025-03-10T12:00:00Z');
    s.add(t0, 1);
    s.add(t0 + 10 * 60_000, 2);
    s.add(t0 + 20 * 60_000, 4);
    expect(s.total(t0 + 20 * 60_000)).toBe(7);
    expect(s.total(t0 + 60 * 60_000)).toBe(6);
    expect(s.total(t0 + 70 * 60_000)).toBe(4);
    expect(s.total(t0 + 80 * 60_000)).toBe(0);
  });

  it('says when the sum falls below a threshold', () => {
    const s = new RollingSum(HOUR_MS);
    const t0 = t('2025-03-10T12:00:00Z');
    s.add(t0, 3);
    s.add(t0 + 15 * 60_000 + 250, 3);
    s.add(t0 + 30 * 60_000, 3);
    const now = t0 + 40 * 60_000;
    expect(s.fallsBelowAt(10, now)).toBe(now);
    // 9 >= 9: the first entry must leave (t0 + 60 min)
    expect(s.fallsBelowAt(9, now)).toBe(t0 + HOUR_MS);
    // below 4 needs two entries gone; the second's time is rounded up to its second
    expect(s.fallsBelowAt(4, now)).toBe(t0 + 15 * 60_000 + 1000 + HOUR_MS);
    expect(s.fallsBelowAt(0, now)).toBeNull();
  });

  it('clamps a timestamp that goes back in time instead of losing it', () => {
    const s = new RollingSum(HOUR_MS);
    const t0 = t('2025-03-10T12:00:00Z');
    s.add(t0, 1);
    s.add(t0 - 30 * 60_000, 1);
    expect(s.total(t0)).toBe(2);
    expect(s.total(t0 + HOUR_MS - 1)).toBe(2);
    expect(s.total(t0 + HOUR_MS)).toBe(0);
  });

  it('never counts less than the exact hour, nor anything past the hour and a second', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 * HOUR_MS }), fc.integer({ min: 1, max: 1000 })), { maxLength: 60 }), fc.integer({ min: 0, max: 3 * HOUR_MS }), (adds, now) => {
        const sorted = [...adds].sort((a, b) => a[0] - b[0]).filter(([at]) => at <= now);
        const s = new RollingSum(HOUR_MS);
        for (const [at, amount] of sorted) s.add(at, amount);
        const within = (span: number): number => sorted.filter(([at]) => now < at + span).reduce((sum, [, amount]) => sum + amount, 0);
        const total = s.total(now);
        expect(total).toBeGreaterThanOrEqual(within(HOUR_MS));
        expect(total).toBeLessThanOrEqual(within(HOUR_MS + SLOT_MS));
      }),
    );
  });

  it('holds one entry per second however many amounts arrive in it, and stays exact through compactions', () => {
    const s = new RollingSum(HOUR_MS);
    const t0 = t('2025-03-10T12:00:00Z');
    // Two hours at 20 amounts a second: the first hour's entries are dropped (and compacted away) as it slides.
    for (let ms = 50; ms <= 2 * HOUR_MS; ms += 50) s.add(t0 + ms, 1);
    const now = t0 + 2 * HOUR_MS;
    expect(s.total(now)).toBe(3600 * 20);
    // Each second's 20 amounts leave together, an hour after the second ends.
    expect(s.fallsBelowAt(3600 * 20, now)).toBe(t0 + HOUR_MS + 1000 + HOUR_MS);
    expect(s.fallsBelowAt(3600 * 20 - 20, now)).toBe(t0 + HOUR_MS + 2000 + HOUR_MS);
  });
});

describe('local calendar day', () => {
  it('keys the day in the given zone', () => {
    const at = t('2025-03-10T20:00:00Z');
    expect(localDayKey(at, 'UTC')).toBe('2025-03-10');
    expect(localDayKey(at, 'Asia/Kolkata')).toBe('2025-03-11');
    expect(localDayKey(at, 'America/New_York')).toBe('2025-03-10');
  });

  it('Asia/Kolkata days run from 18:30 UTC to 18:30 UTC', () => {
    expect(localDayBounds(t('2025-03-10T12:00:00Z'), 'Asia/Kolkata')).toEqual({
      start: t('2025-03-09T18:30:00Z'),
      end: t('2025-03-10T18:30:00Z'),
    });
  });

  it('America/New_York has a 23-hour day when DST starts and a 25-hour day when it ends', () => {
    const spring = localDayBounds(t('2025-03-09T15:00:00Z'), 'America/New_York');
    expect(spring).toEqual({ start: t('2025-03-09T05:00:00Z'), end: t('2025-03-10T04:00:00Z') });
    expect(spring.end - spring.start).toBe(23 * HOUR_MS);
    const fall = localDayBounds(t('2025-11-02T15:00:00Z'), 'America/New_York');
    expect(fall).toEqual({ start: t('2025-11-02T04:00:00Z'), end: t('2025-11-03T05:00:00Z') });
    expect(fall.end - fall.start).toBe(25 * HOUR_MS);
  });

  it('the bounds contain the instant at both edges', () => {
    const start = t('2025-03-09T18:30:00Z');
    expect(localDayBounds(start, 'Asia/Kolkata').start).toBe(start);
    expect(localDayBounds(start - 1, 'Asia/Kolkata').end).toBe(start);
  });

  it('validates zone names', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(() => new LocalDaySum('Mars/Olympus')).toThrow(/unknown time zone 'Mars\/Olympus'/);
  });
});

describe("the machine's zone (no zone configured)", () => {
  const savedTZ = process.env.TZ;
  afterEach(() => {
    if (savedTZ === undefined) delete process.env.TZ;
    else process.env.TZ = savedTZ;
  });

  // Node applies a TZ assignment to Date and Intl alike, so each zone here stands in for the machine's.
  for (const zone of ['America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'America/Santiago', 'UTC']) {
    it(`keys and bounds days as the named zone does (${zone})`, () => {
      process.env.TZ = zone;
      // What the ledger would have named as the machine's zone before (ICU may give an older alias of `zone`).
      const machine = systemTimeZone();
      // Both DST changes of each hemisphere, a zone with a 30-minute shift, and midnight edges.
      const instants = ['2025-03-09T06:59:59Z', '2025-03-09T15:00:00Z', '2025-04-05T13:30:00Z', '2025-04-06T03:00:00Z', '2025-09-06T04:00:00Z', '2025-10-05T15:00:00Z', '2025-11-02T05:00:00Z', '2025-12-31T23:59:59.999Z'].map(t);
      for (const at of instants) {
        expect(localDayKey(at, undefined)).toBe(localDayKey(at, machine));
        expect(localDayBounds(at, undefined)).toEqual(localDayBounds(at, machine));
      }
    });
  }

  it('a LocalDaySum without a zone empties at the machine\'s midnight', () => {
    process.env.TZ = 'Asia/Kolkata';
    const d = new LocalDaySum(undefined);
    d.add(t('2025-03-10T18:29:00Z'), 2); // 23:59 IST
    expect(d.total(t('2025-03-10T18:29:59.999Z'))).toBe(2);
    expect(d.total(t('2025-03-10T18:30:00Z'))).toBe(0);
  });
});

describe('LocalDaySum (daily window)', () => {
  it('empties at local midnight in America/New_York, not at UTC midnight', () => {
    const d = new LocalDaySum('America/New_York');
    const evening = t('2025-03-10T23:30:00Z'); // 19:30 EDT
    d.add(evening, 5);
    expect(d.total(t('2025-03-11T00:30:00Z'))).toBe(5); // UTC midnight passed, still 20:30 local
    expect(d.total(t('2025-03-11T03:59:59.999Z'))).toBe(5);
    expect(d.endsAt(evening)).toBe(t('2025-03-11T04:00:00Z'));
    expect(d.total(t('2025-03-11T04:00:00Z'))).toBe(0);
  });

  it('empties at local midnight in Asia/Kolkata', () => {
    const d = new LocalDaySum('Asia/Kolkata');
    d.add(t('2025-03-10T18:29:00Z'), 2); // 23:59 IST
    expect(d.total(t('2025-03-10T18:29:59.999Z'))).toBe(2);
    expect(d.total(t('2025-03-10T18:30:00Z'))).toBe(0);
    d.add(t('2025-03-10T18:30:00Z'), 1);
    expect(d.total(t('2025-03-11T12:00:00Z'))).toBe(1);
  });
});
