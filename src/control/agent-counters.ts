import { HOUR_MS, RollingSum } from './budget-windows.js';

export interface CounterTotals {
  calls: number;
  errors: number;
  tokensIn: number;
  tokensOut: number;
  /** Epoch ms of the last call, null if none. */
  lastCallAt: number | null;
}

/** Call counters of one agent: lifetime totals, calls in the rolling hour and the error rate of recent calls. */
export class AgentCounters {
  calls = 0;
  errors = 0;
  tokensIn = 0;
  tokensOut = 0;
  lastCallAt: number | null = null;
  private readonly hourCalls = new RollingSum(HOUR_MS);
  /** Outcomes of the last `recentWindow` calls as a ring; true = error. */
  private readonly recent: boolean[] = [];
  private recentNext = 0;
  private recentErrors = 0;

  constructor(private readonly recentWindow: number) {}

  record(now: number, ok: boolean, tokensIn: number, tokensOut: number): void {
    this.calls++;
    if (!ok) this.errors++;
    this.tokensIn += tokensIn;
    this.tokensOut += tokensOut;
    this.lastCallAt = now;
    this.hourCalls.add(now, 1);
    const isError = !ok;
    if (this.recent.length < this.recentWindow) {
      this.recent.push(isError);
    } else {
      if (this.recent[this.recentNext] === true) this.recentErrors--;
      this.recent[this.recentNext] = isError;
      this.recentNext = (this.recentNext + 1) % this.recentWindow;
    }
    if (isError) this.recentErrors++;
  }

  callsThisHour(now: number): number {
    return this.hourCalls.total(now);
  }

  /** Errors / calls over the recent calls; 0 before the first call. */
  errorRate(): number {
    return this.recent.length === 0 ? 0 : this.recentErrors / this.recent.length;
  }

  /** Adds lifetime totals read from the store on start. */
  restore(t: CounterTotals): void {
    this.calls += t.calls;
    this.errors += t.errors;
    this.tokensIn += t.tokensIn;
    this.tokensOut += t.tokensOut;
    if (t.lastCallAt !== null && (this.lastCallAt === null || t.lastCallAt > this.lastCallAt)) {
      this.lastCallAt = t.lastCallAt;
    }
  }
}
