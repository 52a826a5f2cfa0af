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
import type { BucketSpec, NanoLimits, NanoSpend, RedisStore, SettleArgs, SharedEvent, StoredOverride } from './redis-store.js';

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
  /** Keeps settlements Redis has not taken across a stop; without one they live in memory only. */
  journal?: SettlementJournal | undefined;
  /** Keeps an override another instance made in this instance's own store. */
  saveLocal?: ((o: AgentOverride) => void) | undefined;
  /** This instance's own audit history per agent, in nano-dollars: what an empty Redis is seeded with. */
  history?: (() => { agent: string; hour: number; day: number; total: number }[]) | undefined;
}

const SYNC_EVERY_MS = 1000;
const HEARTBEAT_EVERY = 5;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const JOURNAL_EVERY_MS = 200;

/** Settlements Redis has not taken yet, as kept on disk across a stop (see `SettlementJournal`). */
export interface WaitingSettlements {
  pending: PendingSpend[];
  unanswered: Unanswered[];
}

/**
 * Where waiting settlements survive a stop or a crash during an outage: written (off the request path, at most
 * every 200 ms) while any wait, emptied once Redis took them all, and read at the next start.
 */
export interface SettlementJournal {
  load(): WaitingSettlements;
  save(waiting: WaitingSettlements): Promise<void>;
}

interface PendingSpend {
  agent: string;
  /** When it counts in the rolling hour: the end of its minute, so it never leaves the hour early. */
  at: number;
  /** The local day it was spent on. */
  day: string;
  nanos: number;
}

/** A settlement sent whose answer never came: sent again under its id, so Redis applies it at most once. */
interface Unanswered {
  agent: string;
  args: SettleArgs;
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
  /** Settlements sent without an answer, in the order they were sent. */
  private unanswered: Unanswered[] = [];
  /** The pause and budget last written or read per agent, so a change writes only the part that changed. */
  private readonly known = new Map<string, { pause: string; budget: string }>();
  /** Overrides made while Redis did not answer: written when it answers again, before reading the others'. */
  private readonly pendingOverrides = new Map<string, AgentOverride>();
  /** The last spend read from Redis per agent, with its day: put back if Redis comes back without its data. */
  private readonly lastRead = new Map<string, { spend: NanoSpend; day: string }>();
  /** What this instance holds in Redis per agent (its open shared reservations). */
  private readonly holding = new Map<string, number>();
  private timer: unknown;
  private ticks = 0;
  private stopped = false;
  private today: { key: string; start: number; end: number } | undefined;
  private journalTimer: unknown;
  private journaling: Promise<void> = Promise.resolve();
  /** The flush running now, if any: the next one waits for it. */
  private flushing: Promise<number> = Promise.resolve(0);
  /** The writers of the settlements the journal on disk holds: Redis keeps their numbers while it does. */
  private journaled = new Set<string>();
  /** Settlements sent and not answered yet: a stop waits for them. */
  private readonly sending = new Set<Promise<void>>();

  constructor(private readonly o: SharedControlsOptions) {
    this.since = o.clock.now();
  }

  view(): SharedStateView {
    const view: SharedStateView = { status: this.status, onOutage: this.o.onOutage(), since: this.since, pending: this.pending.size + this.unanswered.length };
    if (this.reason !== undefined) view.reason = this.reason;
    return view;
  }

  /** Connects and takes the shared state; false when Redis does not answer (it keeps trying in the background). */
  async start(): Promise<boolean> {
    const waiting = this.o.journal?.load() ?? { pending: [], unanswered: [] };
    for (const p of waiting.pending) this.pending.set(`${p.agent}\u0000${p.at}`, p);
    this.unanswered.push(...waiting.unanswered);
    const failure = await this.o.store.connect();
    if (failure === undefined) await this.resync();
    else this.markDown(failure);
    this.schedule();
    return this.synced;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.o.timers.clearTimeout(this.timer);
    // A resync under way may still write what waits, and settlements on their way may still fail into the
    // unanswered queue: both end before the journal is taken, or it would keep spend Redis has (sent again at the
    // next start) or miss spend it has not.
    await this.resyncing;
    while (this.sending.size > 0) await Promise.allSettled([...this.sending]);
    if (this.synced) await this.flushPending().catch(() => undefined);
    // A call that finishes from now on waits in the journal.
    this.synced = false;
    const left = this.pending.size + this.unanswered.length;
    if (left > 0) {
      const kept = this.o.journal === undefined ? 'they stay in the audit file but are not in the shared budget' : 'they are written to Redis at the next start';
      this.o.log.error(`shared state: stopping with ${left} settlements Redis has not taken; ${kept}`, { pending: left });
    }
    if (this.journalTimer !== undefined) this.o.timers.clearTimeout(this.journalTimer);
    await this.keepJournal();
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
      (stored) => this.apply(event.agent, stored),
      () => undefined,
    );
  }

  /**
   * Reads every stored pause, budget and breaker opening again: an announcement sent while this instance's
   * subscription was cut (a network blip, or Redis dropping a slow subscriber) is lost, the stored state is not.
   */
  async reread(): Promise<void> {
    if (this.isSynced) await this.readStored();
  }

  private async readStored(): Promise<void> {
    const now = this.o.clock.now();
    for (const [agent, o] of await this.o.store.overrides()) this.apply(agent, o);
    for (const [key, b] of await this.o.store.breakers(now)) this.o.breakers.adopt(key, 'open', b.until - now);
  }

  /** Takes an agent's stored pause and budget; a part never stored stays as this instance has it. */
  private apply(agent: string, stored: StoredOverride): void {
    const current = this.o.registry.overrideOf(agent);
    const pause = stored.pause === null ? current.pause : (JSON.parse(stored.pause) as AgentOverride['pause']);
    const budget = stored.budget === null ? current.budget : (JSON.parse(stored.budget) as AgentOverride['budget']);
    const next = { pause: JSON.stringify(pause), budget: JSON.stringify(budget) };
    const known = this.known.get(agent);
    const unchanged = known?.pause === next.pause && known.budget === next.budget;
    if (unchanged && JSON.stringify(current.pause) === next.pause && JSON.stringify(current.budget) === next.budget) return;
    this.known.set(agent, next);
    const o = { agent, pause, budget, updatedAt: this.o.clock.now() };
    this.o.registry.applyOverride(o);
    // Kept in this instance's own file too, for a start while Redis does not answer.
    this.o.saveLocal?.(o);
  }

  /** A pause, resume or budget change made here: stored in Redis and announced, or kept until Redis answers. */
  saveOverride(o: AgentOverride): void {
    if (!this.synced) {
      this.pendingOverrides.set(o.agent, o);
      return;
    }
    this.write(o).catch(() => this.pendingOverrides.set(o.agent, o));
  }

  /** Writes the parts of an override that changed since this instance last wrote or read them. */
  private async write(o: AgentOverride): Promise<void> {
    const pause = JSON.stringify(o.pause);
    const budget = JSON.stringify(o.budget);
    const known = this.known.get(o.agent);
    const change: { pause?: string; budget?: string } = {};
    if (known?.pause !== pause) change.pause = pause;
    if (known?.budget !== budget) change.budget = budget;
    if (change.pause === undefined && change.budget === undefined) return;
    await this.o.store.saveOverride(o.agent, change);
    this.known.set(o.agent, { pause, budget });
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
    if (!this.synced) return this.admitAlone(agent, req, false);
    // A budget pause is Redis's to answer: it knows when the rolling hour frees up, this instance's mirror does not.
    const refused = reg.precheck(agent, req, false);
    if (refused !== null) throw refused;
    const rate = reg.rateLimitOf(agent);
    const hold = usdToNanos(req.estimatedCostUsd);
    const tokenCount = rate?.tokens ? Math.max(0, Math.ceil(req.estimatedTokens ?? 0)) : 0;
    const limits = this.limits(agent);
    const now = this.o.clock.now();
    const day = this.day(now);
    // Known before the call: if its answer is lost, the resync still sets this instance's holds for the agent.
    if (!this.holding.has(agent)) this.holding.set(agent, 0);
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
      return this.admitAlone(agent, req, true);
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
    // Only the holds moved (settled spend did not), so budget pauses need no second look.
    this.o.ledger.mirrorHeld(agent, result.held);
    this.hold(agent, hold);
    const reservation = new SharedReservation(this, agent, hold);
    return reg.ticketFor(agent, reservation, {
      settle: (actual) => reservation.tokens(bucket(rate?.tokens ?? undefined), actual - tokenCount),
      giveBack: () => reservation.tokens(bucket(rate?.tokens ?? undefined), -tokenCount),
    });
  }

  /**
   * Settles a shared reservation in Redis: `held` is what Redis holds for it. While Redis does not answer the
   * spend waits here; during a resync it waits for the resync, whose hold count it is part of.
   */
  settle(agent: string, held: number, cost: number, tokens: BucketSpec | null, tokenDiff: number): void {
    if (this.resyncing !== undefined) {
      void this.resyncing.then(() => this.settle(agent, held, cost, tokens, tokenDiff));
      return;
    }
    this.hold(agent, -held);
    const now = this.o.clock.now();
    // Once stopping, a call's cost waits (the stop flushes it, or the journal keeps it).
    if (!this.synced || this.stopped) {
      // The resync sets this instance's holds to what it still holds, so only the cost waits.
      this.keep(agent, cost, now, true);
      return;
    }
    const args: SettleArgs = { id: this.o.store.nextSettleId(), now, day: this.day(now).key, hold: held, cost, tokens, tokenDiff };
    const sent = this.o.store.settle(agent, args).then(
      (spend) => this.mirror(agent, spend),
      () => {
        // Maybe applied, maybe not: sent again under its id after the resync, which also sets the holds.
        this.unanswered.push({ agent, args: { ...args, hold: 0, tokens: null, tokenDiff: 0 } });
        this.journal();
        if (!this.synced) this.o.ledger.record(agent, nanosToUsd(cost));
      },
    );
    this.sending.add(sent);
    void sent.finally(() => this.sending.delete(sent));
  }

  /** True when this instance is the fleet's first to claim `id` (an alert to send once); true as well without Redis. */
  claim(id: string, ttlMs: number): Promise<boolean> {
    return this.isSynced ? this.o.store.claim(id, ttlMs) : Promise.resolve(true);
  }

  /** Grows a reservation's hold in Redis; false when Redis refused (no room) or is not being asked. */
  async extendShared(agent: string, add: number): Promise<boolean> {
    if (!this.synced || this.resyncing !== undefined) return false;
    const now = this.o.clock.now();
    const granted = await this.o.store.extend(agent, now, this.day(now).key, add, this.limits(agent));
    if (granted) this.hold(agent, add);
    return granted;
  }

  get ledger(): BudgetLedger {
    return this.o.ledger;
  }

  /** True while decisions are taken in Redis. */
  get isSynced(): boolean {
    return this.synced && this.resyncing === undefined;
  }

  /**
   * Without Redis: `closed` refuses, `open` admits under this instance's own limits, and the call's cost waits to
   * be written to Redis.
   */
  private admitAlone(agent: string, req: AdmitRequest, prechecked: boolean): AdmissionTicket {
    if (this.o.onOutage() === 'closed') {
      throw new GatewayError('shared_state_unavailable', `The gateway's shared state (Redis) does not answer, and this gateway is set to refuse requests until it does (shared_state.on_outage: closed). Retry shortly.`, {
        retryAfter: 1,
        code: 'shared_state_unavailable',
      });
    }
    const result = this.o.registry.admit(agent, req, prechecked);
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

  /** Keeps spend Redis has not taken, summed per agent and minute; `countHere`: the local ledger has not seen it. */
  private keep(agent: string, nanos: number, now: number, countHere: boolean): void {
    if (nanos <= 0) return;
    const at = now - (now % MINUTE_MS) + MINUTE_MS - 1;
    const key = `${agent}\u0000${at}`;
    const p = this.pending.get(key);
    if (p !== undefined) p.nanos += nanos;
    else this.pending.set(key, { agent, at, day: this.day(now).key, nanos });
    this.journal();
    // The ledger counts it now, so this instance's own limits see it while Redis does not answer.
    if (countHere) this.o.ledger.record(agent, nanosToUsd(nanos));
  }

  private hold(agent: string, delta: number): void {
    this.holding.set(agent, Math.max(0, (this.holding.get(agent) ?? 0) + delta));
  }

  private limits(agent: string): NanoLimits {
    const l = this.o.ledger.limitNanos(agent);
    return { total: l.total, daily: l.daily, hourly: l.hourly };
  }

  /** The local day `now` falls in; found once per day (its bounds take dozens of date formattings to find). */
  private day(now: number): { key: string; end: number } {
    const d = this.today;
    if (d !== undefined && now >= d.start && now < d.end) return d;
    const tz = this.o.ledger.dayZone;
    const bounds = localDayBounds(now, tz);
    this.today = { key: localDayKey(now, tz), start: bounds.start, end: bounds.end };
    return this.today;
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
      const seeded = await this.seed(now, day);
      const flushed = await this.flushPending();
      // The journal on disk must no longer name a writer before Redis forgets its numbers.
      await this.keepJournal();
      await store.forgetOldWriters(new Set([...this.unanswered.map((u) => u.args.id.writer), ...this.journaled]));
      for (const [agent, nanos] of this.holding) await store.setHeld(agent, now, day, nanos);
      const stored = await store.overrides();
      for (const [agent, o] of [...this.pendingOverrides]) {
        // A change made here during the outage wins over what Redis holds for the same part.
        const s = stored.get(agent);
        if (s !== undefined) this.known.set(agent, { pause: s.pause ?? 'null', budget: s.budget ?? '{}' });
        await this.write(o);
        this.pendingOverrides.delete(agent);
      }
      // Seeds Redis with this instance's own overrides the first time the fleet shares state.
      for (const o of this.o.registry.overrides()) if (!stored.has(o.agent)) await this.write(o);
      await this.readStored();
      await this.pullSpend();
      this.synced = true;
      this.setStatus('up', undefined);
      if (seeded > 0) this.o.log.error(`shared state: Redis had no spend for ${seeded} agents; put back from this instance's last reading`, { seeded });
      if (wasDown) this.o.log.info(`shared state reachable again: Redis answers; ${flushed} pending settlements written, spend resynced`, { flushed });
    } catch (err) {
      this.markDown(messageOf(err));
    }
  }

  /**
   * Puts spend back into a Redis that has none for an agent: from this instance's last reading after an outage,
   * or, the first time the fleet shares state, from this instance's own audit history.
   */
  private async seed(now: number, day: string): Promise<number> {
    let seeded = 0;
    const readings = this.lastRead.size > 0 ? [...this.lastRead] : this.historyToSeed(now, day);
    for (const [agent, last] of readings) {
      if (last.spend.total <= 0) continue;
      const spend = { hour: last.spend.hour, day: last.day === day ? last.spend.day : null, total: last.spend.total };
      if (await this.o.store.seed(agent, now, day, spend)) seeded++;
    }
    return seeded;
  }

  /**
   * This instance's audit history per agent, less what still waits to be written to Redis: those calls are in the
   * history too, and the flush after the seed adds them.
   */
  private historyToSeed(now: number, day: string): [string, { spend: NanoSpend; day: string }][] {
    const waiting = new Map<string, { hour: number; day: number; total: number }>();
    const add = (agent: string, at: number, onDay: string, nanos: number): void => {
      const w = waiting.get(agent) ?? { hour: 0, day: 0, total: 0 };
      w.total += nanos;
      if (onDay === day) w.day += nanos;
      if (at > now - HOUR_MS) w.hour += nanos;
      waiting.set(agent, w);
    };
    for (const p of this.pending.values()) add(p.agent, p.at, p.day, p.nanos);
    for (const u of this.unanswered) add(u.agent, u.args.now, u.args.day, u.args.cost);
    return (this.o.history?.() ?? []).map((h) => {
      const w = waiting.get(h.agent) ?? { hour: 0, day: 0, total: 0 };
      const spend = { hour: Math.max(0, h.hour - w.hour), day: Math.max(0, h.day - w.day), total: Math.max(0, h.total - w.total), held: 0 };
      return [h.agent, { spend, day }];
    });
  }

  /**
   * Sends again what went unanswered, then what waited. One flush at a time: the tick, a resync and a stop can
   * all ask for one, and two walking the same queues would send a waiting settlement twice or drop an unanswered one.
   */
  private flushPending(): Promise<number> {
    const next = this.flushing.catch(() => 0).then(() => this.flushOnce());
    this.flushing = next;
    return next;
  }

  /**
   * Waiting spend gets its ids (a writer of its own, numbered in the order sent) and is kept on disk with them
   * before anything is sent: a crash after Redis took it sends it again under the same ids, which Redis skips. An
   * entry leaves the queue once Redis took it.
   */
  private async flushOnce(): Promise<number> {
    let n = 0;
    if (this.pending.size > 0) {
      const waiting = [...this.pending.values()];
      this.pending.clear();
      const ids = this.o.store.batchIds(waiting.length);
      waiting.forEach((p, i) => {
        this.unanswered.push({ agent: p.agent, args: { id: ids[i]!, now: p.at, day: p.day, hold: 0, cost: p.nanos, tokens: null, tokenDiff: 0 } });
      });
      await this.keepJournal();
    }
    // Unanswered settlements can fail out of order (a stalled timer is given more time than the next one); a
    // writer's numbers go back in order, or Redis would skip the lower one as already applied.
    this.unanswered.sort((a, b) => (a.args.id.writer === b.args.id.writer ? a.args.id.number - b.args.id.number : a.args.id.writer < b.args.id.writer ? -1 : 1));
    while (this.unanswered.length > 0) {
      const u = this.unanswered[0]!;
      await this.o.store.settle(u.agent, u.args);
      this.unanswered.shift();
      n++;
    }
    if (n > 0) this.journal();
    return n;
  }

  private waiting(): WaitingSettlements {
    return { pending: [...this.pending.values()].map((p) => ({ ...p })), unanswered: [...this.unanswered] };
  }

  /** Writes the waiting settlements soon (once for a burst of changes), one write at a time. */
  private journal(): void {
    if (this.o.journal === undefined || this.journalTimer !== undefined || this.stopped) return;
    this.journalTimer = this.o.timers.setTimeout(() => {
      this.journalTimer = undefined;
      void this.keepJournal();
    }, JOURNAL_EVERY_MS);
  }

  /** Writes the waiting settlements now, after any write under way. */
  private keepJournal(): Promise<void> {
    const journal = this.o.journal;
    if (journal === undefined) return Promise.resolve();
    this.journaling = this.journaling
      .then(async () => {
        const waiting = this.waiting();
        await journal.save(waiting);
        this.journaled = new Set(waiting.unanswered.map((u) => u.args.id.writer));
      })
      .catch((err: unknown) => this.o.log.error(`shared state: could not keep the waiting settlements: ${messageOf(err)}`));
    return this.journaling;
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
        if (this.ticks++ % HEARTBEAT_EVERY === 0) {
          await this.o.store.heartbeat(this.o.clock.now());
          await this.reread();
        }
        // Calls admitted during an outage may finish after it: their spend is written here.
        if (this.pending.size + this.unanswered.length > 0) await this.flushPending();
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
 * Redis behind it; when Redis refuses, `overrun` ends the stream at its next chunk. `held` is the hold this
 * request counts against its own cost; `inRedis`, the part of it Redis holds (an extension granted while Redis
 * was not asked is this instance's alone).
 */
class SharedReservation implements Reservation {
  private held: number;
  private inRedis: number;
  private done = false;
  private refused = false;
  private tokenBucket: BucketSpec | null = null;
  private tokenDiff = 0;
  private readonly admittedUnder: Readonly<Record<BudgetWindow, number | null>>;

  constructor(
    private readonly shared: SharedControls,
    readonly agent: string,
    hold: number,
  ) {
    this.held = hold;
    this.inRedis = hold;
    this.admittedUnder = { ...shared.ledger.limitNanos(agent) };
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
    const { used, heldAll, limits } = this.standing();
    for (const w of WINDOWS) {
      const limit = limits[w];
      if (limit !== null && used[w] + heldAll + add > limit) return false;
    }
    this.held += add;
    this.shared.extendShared(this.agent, add).then(
      (granted) => {
        if (!granted) {
          // Redis was asked and found no room: the stream ends at its next chunk.
          if (this.shared.isSynced) this.refused = true;
          return;
        }
        if (!this.done) this.inRedis += add;
        else this.shared.settle(this.agent, add, 0, null, 0); // settled meanwhile: give the extension back
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
    const cost = valid ? usdToNanos(realCostUsd) : 0;
    // The ticket reports the real token count right after this returns: one Redis call carries both.
    queueMicrotask(() => this.shared.settle(this.agent, this.inRedis, cost, this.tokenBucket, this.tokenDiff));
    if (!valid) throw new GatewayError('internal', `refusing to settle a cost of ${String(realCostUsd)} USD`);
  }

  release(): void {
    this.settle(0);
  }

  overrun(): BudgetWindow | null {
    if (this.done) return null;
    const { used, heldAll, limits } = this.standing();
    if (this.refused) return WINDOWS.find((w) => limits[w] !== null) ?? 'total';
    for (const w of WINDOWS) {
      const limit = limits[w];
      const before = this.admittedUnder[w];
      const lowered = limit !== null && (before === null || limit < before);
      if (lowered && used[w] + heldAll > limit) return w;
    }
    return null;
  }

  /** The agent's spend and holds as this instance last read them, with its limits now, in nanos. */
  private standing(): { used: Record<BudgetWindow, number>; heldAll: number; limits: Readonly<Record<BudgetWindow, number | null>> } {
    const ledger = this.shared.ledger;
    const spend = ledger.spend(this.agent);
    return {
      used: { total: usdToNanos(spend.totalUsd), daily: usdToNanos(spend.todayUsd), hourly: usdToNanos(spend.hourUsd) },
      heldAll: usdToNanos(spend.reservedUsd),
      limits: ledger.limitNanos(this.agent),
    };
  }
}

const WINDOWS: readonly BudgetWindow[] = ['total', 'daily', 'hourly'];

function bucket(settings: { capacity: number; refillPerSecond: number } | null | undefined): BucketSpec | null {
  return settings === undefined || settings === null ? null : { capacity: settings.capacity, refillPerSecond: settings.refillPerSecond };
}
