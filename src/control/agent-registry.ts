import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import { AgentCounters, type CounterTotals } from './agent-counters.js';
import {
  agentPausedError,
  budgetExceededError,
  policyDeniedError,
  rateLimitedError,
  stillOverBudgetError,
} from './admission-errors.js';
import { checkBudgetLimits, type BudgetDenial, type BudgetLedger, type BudgetLimitsView, type BudgetSpend, type Reservation } from './budget-ledger.js';
import { PolicyEngine, type PolicyFiring } from './policy/engine.js';
import type { PolicyVariables } from './policy/variables.js';
import { rateLimitSettings, type RateLimitSettings } from './rate-limit-spec.js';
import { RateLimiter } from './rate-limiter.js';
import type {
  AdmissionTicket,
  AdmitRequest,
  AdmitResult,
  AgentSnapshot,
  AgentStatus,
  RegistryEvent,
  RegistryListener,
} from './registry-types.js';
import { TokenBucket } from './token-bucket.js';
import {
  BUDGET_WINDOWS,
  type Actor,
  type AgentDefaults,
  type AgentInput,
  type AgentOverride,
  type BudgetLimits,
  type BudgetPatch,
  type ControlPersistence,
  type PauseState,
  type PolicyInput,
  type RateLimitInput,
  type SpendAggregate,
  type SpendEntry,
} from './types.js';

export interface AgentRegistryOptions {
  clock: Clock;
  ledger: BudgetLedger;
  agents?: readonly AgentInput[] | undefined;
  defaults?: AgentDefaults | undefined;
  policies?: readonly PolicyInput[] | undefined;
  persistence?: ControlPersistence | undefined;
  /** An agent with no call for this long shows as idle. Default 5 minutes. */
  idleAfterMs?: number | undefined;
  /** Calls the error rate is computed over. Default 100. */
  errorRateWindow?: number | undefined;
}

interface Entry {
  id: string;
  config: AgentInput | null;
  budgetOverride: BudgetPatch;
  rate: RateLimiter | null;
  throttles: Map<string, TokenBucket>;
  pause: PauseState | null;
  denying: PolicyFiring | null;
  counters: AgentCounters;
}

/**
 * Agents from the config plus auto-registered ones, with their live state, counters and limits. Budget pauses
 * lift themselves once the window has room again (checked on admit, finish, snapshot and tick); manual and
 * policy pauses only lift by `resume`. Listeners are called synchronously and must not throw.
 */
export class AgentRegistry {
  private readonly clock: Clock;
  private readonly ledger: BudgetLedger;
  private readonly persistence: ControlPersistence | undefined;
  private readonly idleAfterMs: number;
  private readonly errorRateWindow: number;
  private readonly engine = new PolicyEngine();
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<RegistryListener>();
  private defaults: AgentDefaults = {};

  constructor(options: AgentRegistryOptions) {
    this.clock = options.clock;
    this.ledger = options.ledger;
    this.persistence = options.persistence;
    this.idleAfterMs = options.idleAfterMs ?? 5 * 60_000;
    this.errorRateWindow = options.errorRateWindow ?? 100;
    this.configure({ agents: options.agents ?? [], defaults: options.defaults ?? {}, policies: options.policies ?? [] });
    for (const o of this.persistence?.loadOverrides() ?? []) {
      const e = this.entry(o.agent, false);
      e.budgetOverride = { ...o.budget };
      e.pause = o.pause !== null && o.pause.kind !== 'budget' ? o.pause : null;
      this.applyLimits(e);
    }
  }

  on(listener: RegistryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Applies a (re)loaded config. Everything is validated before anything changes, so an invalid reload keeps
   * the old settings. State, counters and run-time overrides survive.
   */
  configure(config: { agents: readonly AgentInput[]; defaults: AgentDefaults; policies: readonly PolicyInput[] }): void {
    for (const limits of [...config.agents, config.defaults]) {
      if (limits.rateLimit !== undefined) rateLimitSettings(limits.rateLimit);
      if (limits.budget !== undefined) checkBudgetLimits(limits.budget);
    }
    this.engine.setPolicies(config.policies);
    const defaultsChanged = !sameLimits(this.defaults, config.defaults);
    this.defaults = config.defaults;
    const byId = new Map(config.agents.map((a) => [a.id, a] as const));
    for (const a of config.agents) this.entry(a.id, false);
    for (const e of this.entries.values()) {
      const next = byId.get(e.id) ?? null;
      // Applying limits that are the same changes nothing: a reload of thousands of agents only pays for the changed.
      const changed = defaultsChanged || !sameLimits(e.config ?? {}, next ?? {});
      e.config = next;
      if (changed) this.applyLimits(e);
    }
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  ids(): string[] {
    return [...this.entries.keys()];
  }

  /** Registers an agent seen for the first time (auto-registration) with the default limits. */
  ensure(id: string): void {
    this.entry(id, true);
  }

  /** Rebuilds spend and counters from the store on start; agents found there become known. */
  restore(input: {
    entries?: readonly SpendEntry[];
    aggregates?: readonly SpendAggregate[];
    counters?: readonly ({ agent: string } & CounterTotals)[];
  }): void {
    this.ledger.restore(input);
    for (const e of input.entries ?? []) this.entry(e.agent, false);
    for (const a of input.aggregates ?? []) this.entry(a.agent, false);
    for (const c of input.counters ?? []) this.entry(c.agent, false).counters.restore(c);
    this.tick();
  }

  /**
   * Admission: pause, deny policies, throttles, rate limit, then a budget reservation. `prechecked`: the caller
   * already ran `precheck` (a throttle's token must not be taken twice).
   */
  admit(id: string, req: AdmitRequest, prechecked = false): AdmitResult {
    const refused = prechecked ? null : this.precheck(id, req);
    if (refused !== null) return this.denied(refused);
    const e = this.entry(id, true);
    let tokensTaken = 0;
    if (e.rate !== null) {
      const r = e.rate.tryTake(req.estimatedTokens ?? 0);
      if (!r.ok) return this.denied(this.rateDenied(id, r.limit, r.retryAfterSeconds));
      tokensTaken = r.tokensTaken;
    }
    const res = this.ledger.reserve(id, req.estimatedCostUsd);
    if (!res.ok) {
      e.rate?.settleTokens(tokensTaken, 0);
      this.refresh(e);
      return this.denied(this.budgetDenied(id, res));
    }
    const rate = e.rate;
    return {
      ok: true,
      ticket: this.ticketFor(id, res.reservation, {
        settle: (actual) => rate?.settleTokens(tokensTaken, actual),
        giveBack: () => rate?.settleTokens(tokensTaken, 0),
      }),
    };
  }

  /**
   * The checks that stay with each instance when limits are shared: pause, deny policies and throttles. Null
   * when the request may go on to the rate limit and the budget. `budgetPause: false` leaves a budget pause to
   * whoever keeps the budget (a shared store, which knows exactly when room frees up).
   */
  precheck(id: string, req: AdmitRequest, budgetPause = true): GatewayError | null {
    const e = this.entry(id, true);
    this.refresh(e);
    const free = req.estimatedCostUsd === 0;
    if (e.pause !== null && !(e.pause.kind === 'budget' && (free || !budgetPause))) {
      const denial = e.pause.kind === 'budget' ? this.ledger.check(id) : null;
      if (denial !== null) return this.budgetDenied(id, denial);
      if (e.pause.kind !== 'budget') return agentPausedError(id, e.pause);
    }
    if (e.denying !== null) return policyDeniedError(id, e.denying);
    for (const [policy, bucket] of e.throttles) {
      const t = bucket.tryTake(1);
      if (!t.ok) return rateLimitedError(id, `the rate set by policy '${policy}'`, t.retryAfterSeconds);
    }
    return null;
  }

  /** The agent's rate limit as buckets (requests, and tokens per minute when set); null when it has none. */
  rateLimitOf(id: string): RateLimitSettings | null {
    return this.entry(id, true).rate?.current ?? null;
  }

  rateDenied(id: string, limit: 'requests' | 'tokens', retryAfterSeconds: number): GatewayError {
    const rate = this.entry(id, true).rate;
    const what = limit === 'requests' ? `its rate limit of ${rate?.spec ?? 'requests'}` : 'its tokens-per-minute limit';
    return rateLimitedError(id, what, retryAfterSeconds);
  }

  budgetDenied(id: string, denial: BudgetDenial): GatewayError {
    return budgetExceededError(id, denial, this.ledger.timeZone, this.clock.now());
  }

  /** Re-checks an agent's budget pause and policies, e.g. after its spend was read from a shared store. */
  sync(id: string): void {
    this.refresh(this.entry(id, false));
  }

  /** An agent's manual or policy pause and run-time budget, as persisted. */
  overrideOf(id: string): AgentOverride {
    return this.override(this.entry(id, false));
  }

  /** Manual and policy pauses and run-time budgets, as persisted: what a shared store is seeded with. */
  overrides(): AgentOverride[] {
    return [...this.entries.values()]
      .filter((e) => (e.pause !== null && e.pause.kind !== 'budget') || Object.keys(e.budgetOverride).length > 0)
      .map((e) => this.override(e));
  }

  /**
   * Takes an override another instance made (a pause, a resume, a new budget): applied and announced to this
   * instance's listeners like a local change, but not saved again.
   */
  applyOverride(o: AgentOverride): void {
    const e = this.entry(o.agent, false);
    const oldBudget = this.ledger.limits(o.agent);
    const before = JSON.stringify(e.budgetOverride);
    e.budgetOverride = { ...o.budget };
    this.applyLimits(e);
    const newBudget = this.ledger.limits(o.agent);
    if (before !== JSON.stringify(e.budgetOverride)) {
      this.emit({ type: 'budget_changed', agent: o.agent, actor: o.pause?.actor ?? 'shared', old: oldBudget, new: newBudget, at: this.clock.now() });
    }
    const pause = o.pause !== null && o.pause.kind !== 'budget' ? o.pause : null;
    const current = e.pause !== null && e.pause.kind !== 'budget' ? e.pause : null;
    if (JSON.stringify(pause) !== JSON.stringify(current) && !(pause === null && current === null)) {
      const old = e.pause;
      e.pause = pause;
      this.emit({ type: 'pause_changed', agent: o.agent, actor: pause?.actor ?? 'shared', old, new: pause, at: this.clock.now() });
    }
    this.refresh(e);
  }

  pause(id: string, by: { actor: Actor; reason?: string | undefined }): PauseState {
    const e = this.known(id);
    if (e.pause !== null && e.pause.kind === 'manual') return e.pause;
    const next: PauseState = { kind: 'manual', reason: by.reason ?? 'manual', actor: by.actor, since: this.clock.now() };
    this.setPause(e, next, by.actor);
    return next;
  }

  /**
   * Lifts a manual or policy pause. A budget pause cannot be lifted while its window is still spent: that is
   * an error naming how to give the agent room.
   * @returns false when the agent was not paused.
   */
  resume(id: string, actor: Actor): boolean {
    const e = this.known(id);
    this.refresh(e);
    if (e.pause === null) return false;
    if (e.pause.kind === 'budget') {
      const denial = this.ledger.check(id);
      if (denial !== null) throw stillOverBudgetError(id, denial, this.ledger.timeZone, this.clock.now());
    }
    this.setPause(e, null, actor);
    this.refresh(e);
    return true;
  }

  /** Changes budget windows at run time (TUI, CLI, API); persisted, and wins over the config until changed. */
  setBudget(id: string, patch: BudgetPatch, actor: Actor): BudgetLimitsView {
    const e = this.known(id);
    const old = this.ledger.limits(id);
    const override: BudgetPatch = { ...e.budgetOverride };
    for (const w of BUDGET_WINDOWS) {
      const v = patch[w];
      if (v !== undefined) override[w] = v;
    }
    // Validates before committing: the ledger throws on a bad value.
    this.ledger.setLimits(id, effectiveBudget(this.configBudget(e), override));
    e.budgetOverride = override;
    const next = this.ledger.limits(id);
    this.emit({ type: 'budget_changed', agent: id, actor, old, new: next, at: this.clock.now() });
    this.save(e);
    this.refresh(e);
    return next;
  }

  /** Re-checks budget pauses and policies of every agent; call it on a timer so pauses lift on time. */
  tick(): void {
    for (const e of this.entries.values()) this.refresh(e);
  }

  variables(id: string): PolicyVariables {
    return this.vars(this.known(id));
  }

  /**
   * Each agent's budget limits and spend, for the metrics gauges: the two fields of a snapshot a scrape reads, without
   * re-checking pauses and policies (the registry's timer does that) or building the rest of each agent's view.
   */
  budgets(): { id: string; budget: BudgetLimitsView; spend: BudgetSpend }[] {
    return [...this.entries.values()].map((e) => ({ id: e.id, budget: this.ledger.limits(e.id), spend: this.ledger.spend(e.id) }));
  }

  snapshot(): AgentSnapshot[] {
    this.tick();
    return [...this.entries.values()].map((e) => this.snap(e)).sort((a, b) => a.id.localeCompare(b.id));
  }

  agent(id: string): AgentSnapshot | undefined {
    const e = this.entries.get(id);
    if (e === undefined) return undefined;
    this.refresh(e);
    return this.snap(e);
  }

  /**
   * The ticket of an admitted call over its budget hold. `tokens` settles the tokens-per-minute bucket: with the
   * real count when the call ends, or gives the estimate back when it never reached the provider.
   */
  ticketFor(id: string, reservation: Reservation, tokens: { settle(actual: number): void; giveBack(): void }): AdmissionTicket {
    const e = this.entry(id, true);
    let done = false;
    return {
      agent: e.id,
      reservation,
      extend: (usd) => reservation.extend(usd),
      finish: (o) => {
        if (done) return;
        done = true;
        try {
          // Settling releases the hold before it can refuse a cost that is no amount of money.
          reservation.settle(o.costUsd);
        } finally {
          tokens.settle(o.tokensIn + o.tokensOut);
          e.counters.record(this.clock.now(), o.ok, o.tokensIn, o.tokensOut);
          this.refresh(e);
        }
      },
      abandon: () => {
        if (done) return;
        done = true;
        reservation.release();
        tokens.giveBack();
      },
      standing: () => {
        if (done) return null;
        if (e.pause !== null && e.pause.kind !== 'budget') return agentPausedError(e.id, e.pause);
        if (reservation.overrun() === null) return null;
        const denial = this.ledger.check(e.id);
        return denial === null ? null : this.budgetDenied(e.id, denial);
      },
    };
  }

  /** Applies budget pauses (on, off, or switched window), then policies. */
  private refresh(e: Entry): void {
    const window = this.ledger.exhausted(e.id);
    if (e.pause === null) {
      if (window !== null) this.setPause(e, this.budgetPause(window), 'budget');
    } else if (e.pause.kind === 'budget') {
      if (window === null) this.setPause(e, null, 'budget');
      else if (e.pause.reason !== `budget:${window}`) this.setPause(e, this.budgetPause(window), 'budget');
    }
    // Runs on every admission and settlement: without policies there is nothing to evaluate or remember.
    if (this.engine.policies.length === 0) {
      e.denying = null;
      // Clearing a Map allocates its new table even when it is empty; on an agent that lives in the old generation,
      // that table outlived two scavenges on every request.
      if (e.throttles.size > 0) e.throttles.clear();
      return;
    }
    const ev = this.engine.evaluate(e.id, this.vars(e));
    e.denying = ev.denying;
    const holding = new Set(ev.throttles.map((t) => t.policy));
    for (const name of e.throttles.keys()) if (!holding.has(name)) e.throttles.delete(name);
    for (const t of ev.throttles) {
      // A throttle starts with a full bucket when its condition starts to hold.
      if (!e.throttles.has(t.policy)) e.throttles.set(t.policy, new TokenBucket(t.rate.requests, this.clock));
    }
    for (const f of ev.fired) {
      this.emit({ type: 'policy_fired', agent: e.id, policy: f.policy, action: f.action, condition: f.condition, at: this.clock.now() });
      if (f.action === 'pause' && (e.pause === null || e.pause.kind === 'budget')) {
        this.setPause(e, { kind: 'policy', reason: `policy:${f.policy}`, actor: 'policy', since: this.clock.now() }, 'policy');
      }
    }
  }

  private budgetPause(window: string | null): PauseState {
    return { kind: 'budget', reason: `budget:${window ?? 'total'}`, actor: 'budget', since: this.clock.now() };
  }

  private setPause(e: Entry, next: PauseState | null, actor: Actor): void {
    const old = e.pause;
    e.pause = next;
    this.emit({ type: 'pause_changed', agent: e.id, actor, old, new: next, at: this.clock.now() });
    // Budget pauses are derived from spend, so only manual and policy pauses are stored.
    if ((old !== null && old.kind !== 'budget') || (next !== null && next.kind !== 'budget')) this.save(e);
  }

  private save(e: Entry): void {
    this.persistence?.saveOverride(this.override(e));
  }

  private override(e: Entry): AgentOverride {
    return {
      agent: e.id,
      pause: e.pause !== null && e.pause.kind !== 'budget' ? e.pause : null,
      budget: { ...e.budgetOverride },
      updatedAt: this.clock.now(),
    };
  }

  private vars(e: Entry): PolicyVariables {
    const spend = this.ledger.spend(e.id);
    return {
      error_rate: e.counters.errorRate(),
      cost_this_hour: spend.hourUsd,
      cost_today: spend.todayUsd,
      total_cost: spend.totalUsd,
      calls_this_hour: e.counters.callsThisHour(this.clock.now()),
      call_count: e.counters.calls,
      error_count: e.counters.errors,
      status: this.status(e),
    };
  }

  private status(e: Entry): AgentStatus {
    if (e.pause !== null) return 'paused';
    const last = e.counters.lastCallAt;
    return last !== null && this.clock.now() - last < this.idleAfterMs ? 'active' : 'idle';
  }

  private snap(e: Entry): AgentSnapshot {
    const c = e.counters;
    return {
      id: e.id,
      configured: e.config !== null,
      tags: [...(e.config?.tags ?? [])],
      status: this.status(e),
      pause: e.pause === null ? null : { ...e.pause },
      budget: this.ledger.limits(e.id),
      spend: this.ledger.spend(e.id),
      budgetFreesAt: e.pause?.kind === 'budget' ? (this.ledger.check(e.id)?.freesAt ?? null) : null,
      calls: c.calls,
      errors: c.errors,
      tokensIn: c.tokensIn,
      tokensOut: c.tokensOut,
      callsThisHour: c.callsThisHour(this.clock.now()),
      errorRate: c.errorRate(),
      lastCallAt: c.lastCallAt,
      rateLimit: e.rate?.spec ?? null,
      denyingPolicy: e.denying?.policy ?? null,
      throttledBy: [...e.throttles.keys()],
    };
  }

  private entry(id: string, announce: boolean): Entry {
    let e = this.entries.get(id);
    if (e !== undefined) return e;
    e = {
      id,
      config: null,
      budgetOverride: {},
      rate: null,
      throttles: new Map(),
      pause: null,
      denying: null,
      counters: new AgentCounters(this.errorRateWindow),
    };
    this.entries.set(id, e);
    this.applyLimits(e);
    if (announce) this.emit({ type: 'agent_registered', agent: id, at: this.clock.now() });
    return e;
  }

  private known(id: string): Entry {
    const e = this.entries.get(id);
    if (e === undefined) throw new GatewayError('not_found', `no agent '${id}'`);
    return e;
  }

  private configBudget(e: Entry): BudgetLimits {
    return e.config?.budget ?? this.defaults.budget ?? {};
  }

  private applyLimits(e: Entry): void {
    this.ledger.setLimits(e.id, effectiveBudget(this.configBudget(e), e.budgetOverride));
    const input = e.config?.rateLimit ?? this.defaults.rateLimit;
    if (input === undefined) {
      e.rate = null;
      return;
    }
    const settings = rateLimitSettings(input);
    if (e.rate === null) e.rate = new RateLimiter(settings, this.clock);
    else e.rate.reconfigure(settings);
  }

  private denied(error: GatewayError): AdmitResult {
    return { ok: false, error };
  }

  private emit(event: RegistryEvent): void {
    for (const l of this.listeners) l(event);
  }
}

/** Whether two agents' own limits are the same: everything applyLimits reads from an agent's config. */
function sameLimits(a: AgentDefaults, b: AgentDefaults): boolean {
  return sameBudget(a.budget, b.budget) && sameRate(a.rateLimit, b.rateLimit);
}

function sameBudget(a: BudgetLimits | undefined, b: BudgetLimits | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.hourly === b.hourly && a.daily === b.daily && a.total === b.total);
}

function sameRate(a: RateLimitInput | undefined, b: RateLimitInput | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.spec === b.spec && a.burst === b.burst && a.tpm === b.tpm);
}

function effectiveBudget(config: BudgetLimits, override: BudgetPatch): BudgetLimits {
  const out: BudgetLimits = {};
  for (const w of BUDGET_WINDOWS) {
    const o = override[w];
    const v = o === undefined ? config[w] : o === null ? undefined : o;
    if (v !== undefined) out[w] = v;
  }
  return out;
}
