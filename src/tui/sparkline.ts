/** Sparklines from numeric series, and bucketing of timed values into series. */

const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;

/**
 * The last `width` values as block characters scaled to the largest of them (zero is the lowest bar).
 * Shorter series are left-padded with the lowest bar so the line keeps its width.
 */
export function sparkline(values: readonly number[], width: number): string {
  if (width <= 0) return '';
  const tail = values.slice(-width).map((v) => (Number.isFinite(v) && v > 0 ? v : 0));
  const max = tail.reduce((m, v) => Math.max(m, v), 0);
  const top = BARS.length - 1;
  const bars = tail.map((v) => {
    if (max === 0 || v === 0) return BARS[0];
    // Any non-zero value shows at least one step above zero, so activity is never invisible.
    const level = Math.max(1, Math.round((v / max) * top));
    return BARS[Math.min(top, level)];
  });
  return BARS[0].repeat(width - bars.length) + bars.join('');
}

/**
 * Sums `value(item)` into `count` buckets of `bucketMs` ending at `now` (oldest first).
 * Items outside the window are ignored.
 */
export function bucketize<T>(
  items: readonly T[],
  opts: { now: number; bucketMs: number; count: number; time: (item: T) => number; value: (item: T) => number },
): number[] {
  const buckets = new Array<number>(opts.count).fill(0);
  const start = opts.now - opts.bucketMs * opts.count;
  for (const item of items) {
    const t = opts.time(item);
    if (t < start || t > opts.now) continue;
    const index = Math.min(opts.count - 1, Math.floor((t - start) / opts.bucketMs));
    buckets[index] = (buckets[index] ?? 0) + opts.value(item);
  }
  return buckets;
}
