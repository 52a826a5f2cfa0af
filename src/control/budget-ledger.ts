import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import { HOUR_MS, LocalDaySum, RollingSum, SLOT_MS, countsInSpan, localDayBounds, localDayKey, systemTimeZone, type DayZone } from './budget-windows.js';
import { nanosToUsd, usdToNanos } from './money.js';
import type { BudgetLimits, BudgetWindow, SpendAggregate, SpendEntry } from './types.js';

/** Limits in nanos; null = unlimited. */
type Limits = Record<BudgetWindow, number | null>;

/** Windows in the order a denial reports them: the one that frees latest first. */
const REPORT_ORDER: readonly BudgetWindow[] = ['total', 'daily', 'hourly'];

class AgentBudget {
  limits: Limits = { hourly: null, daily: null, total: null };
  readonly hour = new RollingSum(HOUR_MS);
  readonly day: LocalDaySum;
  total = 0;
  /** Sum of open reservations. */
  held = 0;
  /** What other holders (instances sharing the budget) hold, as last read from the shared store. */
  remoteHeld = 0;

  constructor(timeZone: DayZone) {
    this.day = new LocalDaySum(timeZone);
  }

  committed(window: BudgetWindow, now: number): number {
    switch (window) {
      case 'hourly':
        return this.hour.total(now);
      case 'daily':
        return this.day.total(now);
      case 'total':
        return this.total;
    }
  }

  commit(nanos: number, now: number): void {
    this.hour.add(now, nanos);
    this.day.add(now, nanos);
    this.total += nanos;
  }
}

export interface BudgetDenial {
  window: BudgetWindow;
  /** `spent`: settled spend reached the limit; `reserved`: open reservations hold the room that is left. */
  cause: 'spent' | 'reserved';
  spentUsd: number;
  reservedUsd: number;
  limitUsd: number;
  /** Epoch ms at which settled spend is under the limit again; null when only a new limit can free it (total). */
  freesAt: number | null;
  /** Whole seconds until retrying may succeed; null when it never will on its own. */
  retryAfterSeconds: number | null;
}

export type ReserveResult = { ok: true; reservation: Reservation } | ({ ok: false } & BudgetDenial);

export interface BudgetSpend {
  hourUsd: number;
  todayUsd: number;
  totalUsd: number;
  reservedUsd: number;
}

export interface BudgetLimitsView {
  hourly: number | null;
  daily: number | null;
  total: number | null;
}

/**
 * A hold on an agent's budget for one request. Only the first `settle`/`release` counts, so a request that ends
 * twice (stream error after finish) cannot be charged twice.
 */
export interface Reservation {
  readonly agent: string;
  /** What the reservation holds now (the estimate plus granted extensions); 0 once settled. */
  readonly heldUsd: number;
  readonly settled: boolean;
  /**
   * Grows the hold as a stream's cost passes it. Granted only when every limited window still fits the whole
   * extension, so an outrunning stream can be ended as soon as this returns false.
   */
  extend(additionalUsd: number): boolean;
  /**
   * Replaces the hold with the real cost. The hold is released first, whatever the cost: a cost that is no
   * amount of money (NaN, Infinity, negative) is then refused with an error, and the hold is gone all the same.
   */
  settle(realCostUsd: number): void;
  /** Drops the hold without cost: the request never reached the provider. */
  release(): void;
  /**
   * A window whose limit was lowered since this hold was taken and is now below settled spend plus every open
   * hold: the request should stop. Null while the limits it was admitted under still stand (a hold may pass a
   * limit by itself: that is the one request a budget may be overshot by).
   */
  overrun(): BudgetWindow | null;
}

class LedgerReservation implements Reservation {
  private heldNanos: number;
  private done = false;
  private readonly admittedUnder: Limits;

  constructor(
    readonly agent: string,
    private readonly budget: AgentBudget,
    private readonly clock: Clock,
    nanos: number,
  ) {
    this.heldNanos = nanos;
    this.admittedUnder = { ...budget.limits };
  }

  get heldUsd(): number {
    return nanosToUsd(this.heldNanos);
  }

  get settled(): boolean {
    return this.done;
  }

  extend(additionalUsd: number): boolean {
    if (this.done) return false;
    const add = usdToNanos(additionalUsd);
    if (add === 0) return true;
    const now = this.clock.now();
    const b = this.budget;
    for (const w of REPORT_ORDER) {
      const limit = b.limits[w];
      if (limit !== null && b.committed(w, now) + b.held + b.remoteHeld + add > limit) return false;
    }
    b.held += add;
    this.heldNanos += add;
    return true;
  }

  settle(realCostUsd: number): void {
    if (this.done) return;
    this.done = true;
    this.budget.held -= this.heldNanos;
    this.heldNanos = 0;
    this.budget.commit(usdToNanos(realCostUsd), this.clock.now());
  }

  release(): void {
    this.settle(0);
  }

  overrun(): BudgetWindow | null {
    if (this.done) return null;
    const b = this.budget;
    const now = this.clock.now();
    for (const w of REPORT_ORDER) {
      const limit = b.limits[w];
      const before = this.admittedUnder[w];
      const lowered = limit !== null && (before === null || limit < before);
      if (lowered && b.committed(w, now) + b.held + b.remoteHeld > limit) return w;
    }
    return null;
  }
}

export interface ReservationEstimateInput {
  /** Estimated input tokens of the request. */
  inputTokens: number;
  /** The request's own output cap (max_tokens / max_output_tokens), when it set one. */
  maxOutputTokens?: number | undefined;
  /** Output cap assumed when the request sets none. */
  defaultMaxOutputTokens: number;
  /** USD per 1M input tokens; pass the dearest input price (e.g. cache writes) for a strict bound. */
  inputPerMTok: number;
  /** USD per 1M output tokens. */
  outputPerMTok: number;
}

/** Upper bound of a request's cost, rounded up to the next nano-dollar. Exact integer arithmetic. */
export function estimateReservationUsd(input: ReservationEstimateInput): number {
  const outTokens = input.maxOutputTokens ?? input.defaultMaxOutputTokens;
  const cost =
    ceilDiv(BigInt(Math.ceil(input.inputTokens)) * BigInt(usdToNanos(input.inputPerMTok)), 1_000_000n) +
    ceilDiv(BigInt(Math.ceil(outTokens)) * BigInt(usdToNanos(input.outputPerMTok)), 1_000_000n);
  return nanosToUsd(Number(cost));
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

export interface BudgetLedgerOptions {
  clock: Clock;
  /** IANA zone of the daily window; the machine's zone when absent. */
  timeZone?: string | undefined;
}

/**
 * Spend and limits per agent over three windows: hourly (rolling 60 minutes), daily (local calendar day) and
 * total. Admission reserves an upper bound while there is room left in every limited window; settlement
 * replaces it with the real cost. Because a reservation is only granted while settled spend plus open holds is
 * under the limit, and real costs do not exceed their holds, spend can pass a limit by at most the real cost
 * of the last request admitted.
 */
export class BudgetLedger {
  /** The zone the daily window follows (undefined: the machine's); what day keys and bounds are computed in. */
  readonly dayZone: DayZone;
  private readonly clock: Clock;
  private readonly budgets = new Map<string, AgentBudget>();
  private zoneName: string | undefined;

  constructor(options: BudgetLedgerOptions) {
    this.clock = options.clock;
    this.dayZone = options.timeZone;
    // Validates a configured zone once, up front.
    new LocalDaySum(this.dayZone);
  }

  /** The daily window's IANA zone name, for messages; the machine's is looked up on first use. */
  get timeZone(): string {
    return (this.zoneName ??= this.dayZone ?? systemTimeZone());
  }

  agents(): string[] {
    return [...this.budgets.keys()];
  }

  setLimits(agent: string, limits: BudgetLimits): void {
    this.budget(agent).limits = {
      hourly: limitNanos('hourly', limits.hourly),
      daily: limitNanos('daily', limits.daily),
      total: limitNanos('total', limits.total),
    };
  }

  limits(agent: string): BudgetLimitsView {
    const l = this.budget(agent).limits;
    return {
      hourly: l.hourly === null ? null : nanosToUsd(l.hourly),
      daily: l.daily === null ? null : nanosToUsd(l.daily),
      total: l.total === null ? null : nanosToUsd(l.total),
    };
  }

  /** Reserves `amountUsd`. A zero amount (a model priced at zero) is never blocked. */
  reserve(agent: string, amountUsd: number): ReserveResult {
    const nanos = usdToNanos(amountUsd);
    const b = this.budget(agent);
    if (nanos > 0) {
      const denial = this.check(agent);
      if (denial !== null) return { ok: false, ...denial };
    }
    b.held += nanos;
    return { ok: true, reservation: new LedgerReservation(agent, b, this.clock, nanos) };
  }

  /** The denial a priced reservation would get now, or null when there is room in every limited window. */
  check(agent: string): BudgetDenial | null {
    const b = this.budget(agent);
    const now = this.clock.now();
    for (const w of REPORT_ORDER) {
      const limit = b.limits[w];
      if (limit !== null && b.committed(w, now) >= limit) return this.denial(b, w, 'spent', now);
    }
    for (const w of REPORT_ORDER) {
      const limit = b.limits[w];
      if (limit !== null && b.committed(w, now) + b.held + b.remoteHeld >= limit) return this.denial(b, w, 'reserved', now);
    }
    return null;
  }

  /** The first window (total, daily, hourly) whose settled spend has reached its limit. */
  exhausted(agent: string): BudgetWindow | null {
    const b = this.budget(agent);
    const now = this.clock.now();
    for (const w of REPORT_ORDER) {
      const limit = b.limits[w];
      if (limit !== null && b.committed(w, now) >= limit) return w;
    }
    return null;
  }

  /** Commits spend that had no reservation. */
  record(agent: string, costUsd: number): void {
    this.budget(agent).commit(usdToNanos(costUsd), this.clock.now());
  }

  spend(agent: string): BudgetSpend {
    const b = this.budget(agent);
    const now = this.clock.now();
    return {
      hourUsd: nanosToUsd(b.committed('hourly', now)),
      todayUsd: nanosToUsd(b.committed('daily', now)),
      totalUsd: nanosToUsd(b.total),
      reservedUsd: nanosToUsd(b.held + b.remoteHeld),
    };
  }

  /** Limits in nano-dollars, null where a window has none: what a shared store checks against. */
  limitNanos(agent: string): Readonly<Record<BudgetWindow, number | null>> {
    return this.budget(agent).limits;
  }

  /**
   * Takes spend from the shared store, which is the authority when instances share budgets: the windows become
   * its sums, and what is held there stands beside this ledger's own holds. The rolling hour comes by minute, each
   * stamped at its last millisecond, so it ages out at most a minute late, never early; its sum is the store's.
   */
  mirror(agent: string, spend: { hour: number; day: number; total: number; held: number; minutes?: readonly { at: number; nanos: number }[] | undefined }): void {
    const b = this.budget(agent);
    const now = this.clock.now();
    const minutes = spend.minutes ?? [];
    if (minutes.length === 0) b.hour.reset(now, spend.hour);
    else {
      // The oldest minute may be partly aged out already: the store's sum says by how much.
      let excess = minutes.reduce((sum, m) => sum + m.nanos, 0) - spend.hour;
      b.hour.reset(now, 0);
      for (const m of minutes) {
        const cut = Math.min(Math.max(0, excess), m.nanos);
        excess -= cut;
        b.hour.add(m.at, m.nanos - cut);
      }
    }
    b.day.reset(now, spend.day);
    b.total = spend.total;
    b.remoteHeld = Math.max(0, spend.held);
  }

  /** Takes what the shared store holds for an agent now (an admission moved only the holds). */
  mirrorHeld(agent: string, held: number): void {
    this.budget(agent).remoteHeld = Math.max(0, held);
  }

  /** Forgets holds read from a shared store that no longer answers (this ledger alone decides until it does). */
  clearRemoteHeld(): void {
    for (const b of this.budgets.values()) b.remoteHeld = 0;
  }

  /**
   * Where stored spend must start for a rebuild: the rolling hour (a second earlier than an hour ago, since the hour
   * counts by the second; inHour() tells which of those still count) and the current local day.
   */
  windowStarts(): { hourFrom: number; dayFrom: number } {
    const now = this.clock.now();
    return { hourFrom: now - HOUR_MS - SLOT_MS, dayFrom: localDayBounds(now, this.dayZone).start };
  }

  /** Whether spend stored at `ts` counts in the rolling hour now, as it would had it settled in this ledger. */
  inHour(ts: number): boolean {
    return countsInSpan(ts, this.clock.now());
  }

  /** Rebuilds spend from the audit store on start. Adds to what the ledger holds. */
  restore(input: { entries?: readonly SpendEntry[]; aggregates?: readonly SpendAggregate[] }): void {
    const now = this.clock.now();
    const today = localDayKey(now, this.dayZone);
    const sorted = [...(input.entries ?? [])].sort((a, b) => a.ts - b.ts);
    for (const e of sorted) {
      const b = this.budget(e.agent);
      const nanos = usdToNanos(e.costUsd);
      b.total += nanos;
      this.restoreHour(b, e, now);
      if (localDayKey(Math.min(e.ts, now), this.dayZone) === today) b.day.add(now, nanos);
    }
    for (const a of input.aggregates ?? []) {
      const b = this.budget(a.agent);
      b.total += usdToNanos(a.totalUsd);
      b.day.add(now, usdToNanos(a.todayUsd));
      for (const e of [...a.lastHour].sort((x, y) => x.ts - y.ts)) this.restoreHour(b, e, now);
    }
  }

  private restoreHour(b: AgentBudget, e: SpendEntry, now: number): void {
    const ts = Math.min(e.ts, now);
    if (countsInSpan(ts, now)) b.hour.add(ts, usdToNanos(e.costUsd));
  }

  private budget(agent: string): AgentBudget {
    let b = this.budgets.get(agent);
    if (b === undefined) {
      b = new AgentBudget(this.dayZone);
      this.budgets.set(agent, b);
    }
    return b;
  }

  private denial(b: AgentBudget, window: BudgetWindow, cause: 'spent' | 'reserved', now: number): BudgetDenial {
    const limit = b.limits[window] ?? 0;
    const spent = b.committed(window, now);
    let freesAt: number | null = null;
    if (cause === 'spent') {
      if (window === 'hourly') freesAt = b.hour.fallsBelowAt(limit, now);
      else if (window === 'daily' && limit > 0) freesAt = b.day.endsAt(now);
    }
    let retryAfterSeconds: number | null;
    if (cause === 'reserved') retryAfterSeconds = 1; // room comes back as soon as an in-flight request settles
    else retryAfterSeconds = freesAt === null ? null : Math.max(1, Math.ceil((freesAt - now) / 1000));
    return {
      window,
      cause,
      spentUsd: nanosToUsd(spent),
      reservedUsd: nanosToUsd(b.held + b.remoteHeld),
      limitUsd: nanosToUsd(limit),
      freesAt,
      retryAfterSeconds,
    };
  }
}

/** Throws the config error `setLimits` would, without changing anything. */
export function checkBudgetLimits(limits: BudgetLimits): void {
  limitNanos('hourly', limits.hourly);
  limitNanos('daily', limits.daily);
  limitNanos('total', limits.total);
}

function limitNanos(window: BudgetWindow, usd: number | undefined): number | null {
  if (usd === undefined) return null;
  if (!Number.isFinite(usd) || usd < 0) {
    throw new GatewayError('config', `budget ${window} must be a number of USD >= 0, got ${String(usd)}`);
  }
  return usdToNanos(usd);
}
