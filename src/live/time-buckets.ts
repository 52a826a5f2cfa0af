/**
 * Sums over time in fixed buckets, for the live views: a ring of `count` buckets of `bucketMs` each, every bucket a
 * vector of `width` numbers (e.g. calls, errors, tokens, cost). Adding is O(width) with no allocation, so it sits
 * beside every request; old buckets are reused as time moves on. Times come from the caller's injected clock.
 */
export class TimeBuckets {
  private readonly values: Float64Array;
  /** The bucket number (time / bucketMs) each slot holds; -1 when empty. */
  private readonly stamps: Float64Array;

  constructor(
    readonly bucketMs: number,
    readonly count: number,
    readonly width = 1,
  ) {
    this.values = new Float64Array(count * width);
    this.stamps = new Float64Array(count).fill(-1);
  }

  /** Adds `amounts` (one per field) to the bucket of `at`. A time older than the ring keeps is ignored. */
  add(at: number, ...amounts: number[]): void {
    const bucket = Math.floor(at / this.bucketMs);
    const slot = this.slotOf(bucket);
    if (this.stamps[slot] !== bucket) {
      if (bucket < (this.stamps[slot] ?? -1)) return;
      this.stamps[slot] = bucket;
      this.values.fill(0, slot * this.width, (slot + 1) * this.width);
    }
    for (let f = 0; f < this.width && f < amounts.length; f++) this.values[slot * this.width + f]! += amounts[f] ?? 0;
  }

  /** One field per bucket, oldest first: the `count` buckets up to and including the one `now` falls in. */
  series(now: number, field = 0): number[] {
    const last = Math.floor(now / this.bucketMs);
    const out = new Array<number>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.valueAt(last - this.count + 1 + i, field);
    return out;
  }

  /** Every field summed over the buckets from the one holding `from` to the one holding `now`. */
  totals(now: number, from: number): number[] {
    const last = Math.floor(now / this.bucketMs);
    const first = Math.max(last - this.count + 1, Math.floor(from / this.bucketMs));
    const out = new Array<number>(this.width).fill(0);
    for (let b = first; b <= last; b++) for (let f = 0; f < this.width; f++) out[f]! += this.valueAt(b, f);
    return out;
  }

  private valueAt(bucket: number, field: number): number {
    const slot = this.slotOf(bucket);
    return this.stamps[slot] === bucket ? (this.values[slot * this.width + field] ?? 0) : 0;
  }

  private slotOf(bucket: number): number {
    return ((bucket % this.count) + this.count) % this.count;
  }
}
