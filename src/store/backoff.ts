/** Exponential backoff between retries of a failing write: base, 2×base, 4×base… up to a cap. */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
  ) {}

  /** Consecutive failures since the last success. */
  get attempts(): number {
    return this.failures;
  }

  /** Records a failure; returns how long to wait before the next attempt. */
  failed(): number {
    const delay = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return delay;
  }

  /** Records a success; returns how many failures preceded it. */
  succeeded(): number {
    const n = this.failures;
    this.failures = 0;
    return n;
  }
}
