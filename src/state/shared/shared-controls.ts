/**
 * Limits shared by several instances through Redis. The Redis scripts decide rate limits and budget holds for
 * every instance at once; this instance's ledger mirrors the shared spend (read after each call and every
 * second), so its dashboard, status and budget pauses show what all instances spent. Pauses, run-time budgets
 * and breaker states are stored in Redis and announced on its channel.
 *
 * While Redis does not answer, `on_outage` decides: `open` admits under this instance's own limits (its ledger
 * still holds the last shared spend), `closed` refuses. Spend settled meanwhile is kept, summed per agent and
 * minute, and written to Redis when it answers again, before this instance takes shared decisions again.
 */
import type { Clock, Timers } from '../../core/clock.js';
import { GatewayError, messageOf } from '../../core/errors.js';
import {
  localDayBounds,
  localDayKey,
  nanosToUsd,
  usdToNanos,
  type AdmissionTicket,
  type AdmitRequest,
  type AgentOverride,
  type AgentRegistry,
  type BreakerRegistry,
  type BreakerTransition,
  type BudgetLedger,
  type BudgetWindow,
  type Reservation,
} from '../../control/index.js';
import type { BucketSpec, NanoLimits, NanoSpend, RedisStore, SharedEvent } from './redis-store.js';

export type SharedStatus = 'connecting' | 'up' | 'down';

export interface SharedStateView {
  status: SharedStatus;
  onOutage: 'open' | 'closed';
  /** Epoch ms of the last change of status. */
  since: number;
  /** Why Redis is down, while it is. */
  reason?: string;
  /** Settlements waiting for Redis to answer again. */
  pending: number;
}

export interface SharedLog {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface SharedControlsOptions {
  store: RedisStore;
  registry: AgentRegistry;
  ledger: BudgetLedger;
  breakers: BreakerRegistry;
  clock: Clock;
  timers: Timers;
  onOutage: () => 'open' | 'closed';
  log: SharedLog;
  /** Called when the status changes (dashboard, metrics). */
  onStatus?: ((view: SharedStateView) => void) | undefined;
}

const SYNC_EVERY_MS = 1000;
const HEARTBEAT_EVERY = 5;
const MINUTE_MS = 60_000;

interface PendingSpend {
  agent: string;
  at: number;
  nanos: number;
}

export class SharedControls {
  private status: SharedStatus = 'connecting';
  private since: number;
  private reason: string | undefined;
  /** True once a resync finished after Redis came (back) up: only then are decisions taken in Redis. */
  private synced = false;
  private resyncing: Promise<void> | undefined;
  /** Spend settled while Redis did not answer, per agent and minute. */
  private readonly pending = new Map<string, PendingSpend>();
  /** Overrides made while Redis did not answer: written when it answers again, before reading the others'. */
  private readonly pendingOverrides = new Map<string, AgentOverride>();
  /** The last spend read from Redis per agent, with its day: put back if Redis comes back without its data. */
  private readonly lastRead = new Map<string, { spend: NanoSpend; day: string }>();
  /** What this instance holds in Redis per agent (its open shared reservations). */
  private readonly holding = new Map<string, number>();
  private timer: unknown;
  private ticks = 0;
  private stopped = false;

  constructor(private readonly o: SharedControlsOptions) {
    this.since = o.clock.now();
  }

  view(): SharedStateView {
    const view: SharedStateView = { status: this.status, onOutage: this.o.onOutage(), since: this.since, pending: this.pending.size };
    if (this.reason !== undefined) view.reason = this.reason;
    return view;
  }

  /** Connects and takes the shared state; false when Redis does not answer (it keeps trying in the background). */
  async start(): Promise<boolean> {
    const failure = await this.o.store.connect();
    if (failure === undefined) await this.resync();
    else this.markDown(failure);
    this.schedule();
    return this.synced;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.o.timers.clearTimeout(this.timer);
    if (this.o.store.isUp) await this.flushPending().catch(() => undefined);
    await this.o.store.close();
  }

  /** Redis started or stopped answering (the store's connection events). */
  onStoreStatus(up: boolean, why: string): void {
    if (this.stopped) return;
    if (up) void this.resync();
    else this.markDown(why);
  }

  onEvent(event: SharedEvent): void {
    if (event.type === 'breaker') {
      this.o.breakers.adopt(event.key, event.state, event.openForMs);
      return;
    }
    void this.o.store.override(event.agent).then(
      (json) => {
        if (json !== null) this.o.registry.applyOverride(JSON.parse(json) as AgentOverride);
      },
      () => undefined,
    );
  }

  /** A pause, resume or budget change made here: stored in Redis and announced, or kept until Redis answers. */
  saveOverride(o: AgentOverride): void {
    if (!this.synced) {
      this.pendingOverrides.set(o.agent, o);
      return;
    }
    this.o.store.saveOverride(o.agent, JSON.stringify(o)).catch(() => this.pendingOverrides.set(o.agent, o));
  }

  /** A breaker here opened or closed by itself or by hand: the other instances take the same state. */
  onBreakerTransition(t: BreakerTransition): void {
    if (t.actor === 'shared' || t.to === 'half_open' || !this.synced) return;
    const openForMs = t.to === 'open' ? (this.o.breakers.get(t.key)?.openForMs() ?? 0) : 0;
    this.o.store.saveBreaker(t.key, t.to, openForMs, this.o.clock.now()).catch(() => undefined);
  }

  /**
   * Admission with shared limits: this instance's pause, policy and throttle checks, then the rate limit and the
   * budget hold in one Redis script. Throws the refusal as a GatewayError.
   */
  async admit(agent: string, req: AdmitRequest): Promise<AdmissionTicket> {
    const reg = this.o.registry;
    if (!this.synced) return this.admitAlone(agent, req);
    const refused = reg.precheck(agent, req);
    if (refused !== null) throw refused;
    const rate = reg.rateLimitOf(agent);
    const hold = usdToNanos(req.estimatedCostUsd);
    const tokenCount = rate?.tokens ? Math.max(0, Math.ceil(req.estimatedTokens ?? 0)) : 0;
    const limits = this.limits(agent);
    const now = this.o.clock.now();
    const day = this.day(now);
    let result;
    try {
      result = await this.o.store.admit(agent, {
        now,
        day: day.key,
        dayEnd: day.end,
        hold,
        limits,
        requests: bucket(rate?.requests),
        tokens: bucket(rate?.tokens ?? undefined),
        tokenCount,
      });
    } catch {
      // Redis stopped answering between the check and the call (the store marked it down).
      return this.admitAlone(agent, req);
    }
    if (!result.ok) {
      if (result.kind === 'rate') throw reg.rateDenied(agent, result.limit, Math.max(1, Math.ceil(result.retryAfterMs / 1000 - 1e-9)));
      const denial = {
        window: result.window,
        cause: result.cause,
        spentUsd: nanosToUsd(result.spent),
        reservedUsd: nanosToUsd(result.held),
        limitUsd: nanosToUsd(result.limit),
        freesAt: result.freesAt,
        retryAfterSeconds: result.cause === 'reserved' ? 1 : result.freesAt === null ? null : Math.max(1, Math.ceil((result.freesAt - now) / 1000)),
      };
      throw reg.budgetDenied(agent, denial);
    }
    this.mirror(agent, result.spend);
    this.hold(agent, hold);
    const reservation = new SharedReservation(this, agent, hold, limits);
    return reg.ticketFor(agent, reservation, {
      settle: (actual) => reservation.tokens(bucket(rate?.tokens ?? undefined), actual - tokenCount),
      giveBack: () => reservation.tokens(bucket(rate?.tokens ?? undefined), -tokenCount),
    });
  }

  /** Settles a shared reservation in Redis; while Redis does not answer, the spend waits here. */
  settle(agent: string, held: number, cost: number, tokens: BucketSpec | null, tokenDiff: number): void {
    this.hold(agent, -held);
    const now = this.o.clock.now();
    if (!this.synced) {
      this.keep(agent, cost, now);
      return;
    }
    this.o.store.settle(agent, { now, day: this.day(now).key, hold: held, cost, tokens, tokenDiff }).then(
      (spend) => this.mirror(agent, spend),
      () => this.keep(agent, cost, now),
    );
  }

  extendShared(agent: string, add: number, limits: NanoLimits): Promise<boolean> {
    const now = this.o.clock.now();
    return this.o.store.extend(agent, now, this.day(now).key, add, limits).then((granted) => {
      if (granted) this.hold(agent, add);
      return granted;
    });
  }

  get ledger(): BudgetLedger {
    return this.o.ledger;
  }

  /**
   * Without Redis: `closed` refuses, `open` admits under this instance's own limits, and the call's cost waits to
   * be written to Redis.
   */
  private admitAlone(agent: string, req: AdmitRequest): AdmissionTicket {
    if (this.o.onOutage() === 'closed') {
      throw new GatewayError('shared_state_unavailable', `The gateway's shared state (Redis) does not answer, and this gateway is set to refuse requests until it does (shared_state.on_outage: closed). Retry shortly.`, {
        retryAfter: 1,
        code: 'shared_state_unavailable',
      });
    }
    const result = this.o.registry.admit(agent, req);
    if (!result.ok) throw result.error;
    const ticket = result.ticket;
    let done = false;
    return {
      ...ticket,
      agent: ticket.agent,
      reservation: ticket.reservation,
      finish: (outcome) => {
        if (done) return;
        done = true;
        ticket.finish(outcome);
        // The local ledger already counted it when the ticket settled.
        this.keep(agent, usdToNanos(outcome.costUsd), this.o.clock.now(), false);
      },
      abandon: () => {
        done = true;
        ticket.abandon();
      },
    };
  }

  private keep(agent: string, nanos: number, at: number, countHere = true): void {
    if (nanos <= 0) return;
    const minute = at - (at % MINUTE_MS);
    const key = `${agent}\u0000${minute}`;
    const p = this.pending.get(key);
    if (p !== undefined) p.nanos += nanos;
    else this.pending.set(key, { agent, at: minute, nanos });
    // The ledger counts it now, so this instance's own limits see it while Redis does not answer.
    if (countHere && !this.synced) this.o.ledger.record(agent, nanosToUsd(nanos));
  }

  private hold(agent: string, delta: number): void {
    if (delta !== 0) this.holding.set(agent, Math.max(0, (this.holding.get(agent) ?? 0) + delta));
  }

  private limits(agent: string): NanoLimits {
    const l = this.o.ledger.limitNanos(agent);
    return { total: l.total, daily: l.daily, hourly: l.hourly };
  }

  private day(now: number): { key: string; end: number } {
    const tz = this.o.ledger.timeZone;
    return { key: localDayKey(now, tz), end: localDayBounds(now, tz).end };
  }

  private mirror(agent: string, spend: NanoSpend): void {
    this.lastRead.set(agent, { spend, day: this.day(this.o.clock.now()).key });
    this.o.ledger.mirror(agent, spend);
    this.o.registry.sync(agent);
  }

  private markDown(why: string): void {
    const first = this.status !== 'down';
    this.synced = false;
    this.o.ledger.clearRemoteHeld();
    this.setStatus('down', why);
    if (first) {
      const mode =
        this.o.onOutage() === 'open'
          ? 'serving on with this instance\'s own limits (on_outage: open); spend is written to Redis when it answers'
          : 'refusing proxy requests until it answers (on_outage: closed)';
      this.o.log.error(`shared state unreachable: Redis does not answer (${why}); ${mode}`, { reason: why });
    }
  }

  private setStatus(status: SharedStatus, reason: string | undefined): void {
    if (this.status === status) return;
    this.status = status;
    this.reason = reason;
    this.since = this.o.clock.now();
    this.o.onStatus?.(this.view());
  }

  /** Writes what waited, then takes every shared value back; one resync at a time. */
  private resync(): Promise<void> {
    this.resyncing ??= this.doResync().finally(() => (this.resyncing = undefined));
    return this.resyncing;
  }

  private async doResync(): Promise<void> {
    const store = this.o.store;
    const wasDown = this.status === 'down';
    try {
      await store.heartbeat(this.o.clock.now());
      const now = this.o.clock.now();
      const day = this.day(now).key;
      let seeded = 0;
      for (const [agent, last] of this.lastRead) {
        const sameDay = last.day === day;
        if (await store.seed(agent, now, day, { hour: last.spend.hour, day: sameDay ? last.spend.day : null, total: last.spend.total })) seeded++;
      }
      if (seeded > 0) this.o.log.error(`shared state: Redis came back without the spend of ${seeded} agents; put back from this instance's last reading`, { seeded });
      const flushed = await this.flushPending();
      for (const [agent, nanos] of this.holding) await store.setHeld(agent, now, day, nanos);
      for (const [agent, o] of [...this.pendingOverrides]) {
        await store.saveOverride(agent, JSON.stringify(o));
        this.pendingOverrides.delete(agent);
      }
      const overrides = await store.overrides();
      // Seeds Redis with this instance's own overrides the first time the fleet shares state.
      for (const o of this.o.registry.overrides()) if (!overrides.has(o.agent)) await store.saveOverride(o.agent, JSON.stringify(o));
      for (const json of overrides.values()) this.o.registry.applyOverride(JSON.parse(json) as AgentOverride);
      for (const [key, b] of await store.breakers(now)) this.o.breakers.adopt(key, 'open', b.until - now);
      await this.pullSpend();
      this.synced = true;
      this.setStatus('up', undefined);
      if (wasDown) this.o.log.info(`shared state reachable again: Redis answers; ${flushed} pending settlements written, spend resynced`, { flushed });
    } catch (err) {
      this.markDown(messageOf(err));
    }
  }

  private async flushPending(): Promise<number> {
    let n = 0;
    for (const [key, p] of [...this.pending]) {
      await this.o.store.settle(p.agent, { now: p.at, day: this.day(p.at).key, hold: 0, cost: p.nanos, tokens: null, tokenDiff: 0 });
      this.pending.delete(key);
      n++;
    }
    return n;
  }

  private async pullSpend(): Promise<void> {
    const now = this.o.clock.now();
    const all = await this.o.store.spendAll(now, this.day(now).key);
    for (const [agent, spend] of all) this.mirror(agent, spend);
  }

  /** Every second: read every agent's shared spend; every fifth, renew this instance's lease on its holds. */
  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.o.timers.setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, SYNC_EVERY_MS);
  }

  private async tick(): Promise<void> {
    try {
      if (this.synced) {
        if (this.ticks++ % HEARTBEAT_EVERY === 0) await this.o.store.heartbeat(this.o.clock.now());
        await this.pullSpend();
      } else if (this.status === 'down' && this.resyncing === undefined) {
        // A Redis that hung without closing its socket is noticed answering again here.
        await this.resync();
      }
    } catch {
      // The store marked Redis down; the next tick tries again.
    }
  }
}

/**
 * A budget hold taken in Redis. `extend` answers at once from this instance's mirror of the shared spend and asks
 * Redis behind it; when Redis refuses, `overrun` ends the stream at its next chunk.
 */
class SharedReservation implements Reservation {
  private held: number;
  private done = false;
  private refused = false;
  private tokenBucket: BucketSpec | null = null;
  private tokenDiff = 0;
  private cost = 0;
  private readonly admittedUnder: NanoLimits;

  constructor(
    private readonly shared: SharedControls,
    readonly agent: string,
    hold: number,
    private readonly limits: NanoLimits,
  ) {
    this.held = hold;
    this.admittedUnder = { ...limits };
  }

  get heldUsd(): number {
    return nanosToUsd(this.held);
  }

  get settled(): boolean {
    return this.done;
  }

  extend(additionalUsd: number): boolean {
    if (this.done || this.refused) return false;
    const add = usdToNanos(additionalUsd);
    if (add === 0) return true;
    const spend = this.shared.ledger.spend(this.agent);
    const limits = this.shared.ledger.limitNanos(this.agent);
    const used = { total: usdToNanos(spend.totalUsd), daily: usdToNanos(spend.todayUsd), hourly: usdToNanos(spend.hourUsd) };
    const heldAll = usdToNanos(spend.reservedUsd);
    for (const w of WINDOWS) {
      const limit = limits[w];
      if (limit !== null && used[w] + heldAll + add > limit) return false;
    }
    this.shared.extendShared(this.agent, add, this.limits).then(
      (granted) => {
        if (granted && !this.done) this.held += add;
        else if (granted) this.shared.settle(this.agent, add, 0, null, 0);
        else this.refused = true;
      },
      () => undefined,
    );
    return true;
  }

  /** The tokens-per-minute correction to send with the settlement (called right after settle, in the same turn). */
  tokens(bucketSpec: BucketSpec | null, diff: number): void {
    this.tokenBucket = bucketSpec;
    this.tokenDiff = diff;
  }

  settle(realCostUsd: number): void {
    if (this.done) return;
    this.done = true;
    const valid = Number.isFinite(realCostUsd) && realCostUsd >= 0;
    this.cost = valid ? usdToNanos(realCostUsd) : 0;
    // The ticket reports the real token count right after this returns: one Redis call carries both.
    queueMicrotask(() => this.shared.settle(this.agent, this.held, this.cost, this.tokenBucket, this.tokenDiff));
    if (!valid) throw new GatewayError('internal', `refusing to settle a cost of ${String(realCostUsd)} USD`);
  }

  release(): void {
    this.settle(0);
  }

  overrun(): BudgetWindow | null {
    if (this.done) return null;
    if (this.refused) return firstLimited(this.shared.ledger.limitNanos(this.agent));
    const limits = this.shared.ledger.limitNanos(this.agent);
    const spend = this.shared.ledger.spend(this.agent);
    const used = { total: usdToNanos(spend.totalUsd), daily: usdToNanos(spend.todayUsd), hourly: usdToNanos(spend.hourUsd) };
    const heldAll = usdToNanos(spend.reservedUsd);
    for (const w of WINDOWS) {
      const limit = limits[w];
      const before = this.admittedUnder[WINDOW_KEY[w]];
      const lowered = limit !== null && (before === null || limit < before);
      if (lowered && used[w] + heldAll > limit) return w;
    }
    return null;
  }
}

const WINDOWS: readonly BudgetWindow[] = ['total', 'daily', 'hourly'];
const WINDOW_KEY = { total: 'total', daily: 'daily', hourly: 'hourly' } as const satisfies Record<BudgetWindow, keyof NanoLimits>;

function firstLimited(limits: Readonly<Record<BudgetWindow, number | null>>): BudgetWindow {
  return WINDOWS.find((w) => limits[w] !== null) ?? 'total';
}

function bucket(settings: { capacity: number; refillPerSecond: number } | null | undefined): BucketSpec | null {
  return settings === undefined || settings === null ? null : { capacity: settings.capacity, refillPerSecond: settings.refillPerSecond };
}
