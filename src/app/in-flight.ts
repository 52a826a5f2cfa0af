/** Proxy requests still running (their metering and audit rows come last): shutdown waits for them to end. */
export class InFlightRequests {
  private count = 0;
  private readonly waiting: (() => void)[] = [];

  get size(): number {
    return this.count;
  }

  enter(): void {
    this.count++;
  }

  leave(): void {
    if (--this.count === 0) for (const wake of this.waiting.splice(0)) wake();
  }

  /** Resolves when none is left, or after `timeoutMs` whatever is still running. */
  drained(timeoutMs: number): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      setTimeout(resolve, timeoutMs).unref();
    });
  }
}
