import { describe, expect, it } from 'vitest';
import { TimeBuckets } from '../../../src/live/time-buckets.js';

describe('TimeBuckets', () => {
  it('sums per bucket, reuses buckets as time moves on, and ignores what is older than the ring', () => {
    const b = new TimeBuckets(1000, 3, 2);
    b.add(10_000, 1, 10);
    b.add(10_999, 2, 20);
    b.add(11_500, 4, 40);
    expect(b.series(11_999)).toEqual([0, 3, 4]);
    expect(b.series(11_999, 1)).toEqual([0, 30, 40]);
    expect(b.totals(11_999, 10_000)).toEqual([7, 70]);
    expect(b.totals(11_999, 11_000)).toEqual([4, 40]);
    // Three seconds on, the slot of second 10 holds second 13.
    b.add(13_000, 8, 80);
    expect(b.series(13_000)).toEqual([4, 0, 8]);
    expect(b.totals(13_000, 0)).toEqual([12, 120]);
    b.add(9_000, 100, 100);
    expect(b.totals(13_000, 0)).toEqual([12, 120]);
  });
});
