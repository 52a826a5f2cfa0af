import { describe, expect, it } from 'vitest';
import { parseSince } from '../../../src/core/since.js';

describe('parseSince', () => {
  const now = new Date(2026, 4, 10, 15, 30).getTime();

  it('reads durations back from now, in the units of gateway.yaml', () => {
    expect(parseSince('15m', now)).toBe(now - 15 * 60_000);
    expect(parseSince('1h', now)).toBe(now - 3_600_000);
    expect(parseSince('2d', now)).toBe(now - 2 * 86_400_000);
    expect(parseSince('1h30m', now)).toBe(now - 90 * 60_000);
    expect(parseSince(' 90s ', now)).toBe(now - 90_000);
  });

  it('reads a plain date as local midnight, and ISO date-times as written', () => {
    expect(parseSince('2026-05-01', now)).toBe(new Date(2026, 4, 1).getTime());
    expect(parseSince('2026-05-01T09:00', now)).toBe(new Date(2026, 4, 1, 9, 0).getTime());
    expect(parseSince('2026-05-01T09:00:00Z', now)).toBe(Date.UTC(2026, 4, 1, 9));
    expect(parseSince('2026-05-01T09:00:00.250+02:00', now)).toBe(Date.UTC(2026, 4, 1, 7, 0, 0, 250));
  });

  it('refuses what is neither, including what Date.parse would guess at', () => {
    for (const text of ['', 'yesterday', '1760000000000', '2', 'March 7', '2026-02-31', '2026-13-01', '15', '1w', '-1h']) {
      expect(parseSince(text, now), text).toBeUndefined();
    }
  });
});
