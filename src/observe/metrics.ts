/**
 * Prometheus metrics on a registry of our own (prom-client). Label values that come from users (agent,
 * model) are capped: past `maxLabelValues` distinct values, new ones fold into `other`, so a runaway
 * script inventing agent ids cannot blow up the scrape. The gauges of state (budget left, breaker state) are
 * read when scraped, through prom-client's collect hook, so a scrape always shows the state of that moment.
 */
import type client from 'prom-client';
import { collectProcessMetrics, Counter, Gauge, Registry } from './prom-client.js';
import { LabeledHistogram } from './histogram.js';
import { RequestCounts, TOKEN_KINDS, type SeriesCounts } from './request-counts.js';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];

export const OTHER = 'other';

/** Remembers the first N values of one label; later ones become `other`. */
export class LabelCap {
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}
  fold(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return OTHER;
    this.seen.add(value);
    return value;
  }
}

export interface RequestObservation {
  agent: string;
  provider: string;
  model: string;
  status: number;
  durationSeconds: number;
  ttfbSeconds: number | undefined;
  tokens: { input: number; output: number; cacheRead: number; cacheWrite: number; reasoning: number };
  costUsd: number | null;
  streamEvents: number;
}

/** How an attempt with a pooled provider key ended. */
export type KeyOutcome = 'ok' | 'rate_limited' | 'refused' | 'error';

export type BudgetWindow = 'hourly' | 'daily' | 'total';
export type BreakerGaugeState = 'closed' | 'half_open' | 'open';

/** The state the gauges show, read at each scrape. */
export interface GaugeReadings {
  /** What is left of each window that has a limit. */
  budgets: Iterable<{ agent: string; window: BudgetWindow; remainingUsd: number }>;
  breakers: Iterable<{ key: string; state: BreakerGaugeState }>;
  /** Each key of the providers' key pools, by fingerprint. */
  keys?: Iterable<{ provider: string; key: string; state: KeyGaugeState }>;
  /** Whether Redis answers (1) or not (0), when instances share state through it; absent otherwise. */
  sharedStateUp?: number | undefined;
}

export type KeyGaugeState = 'ready' | 'resting' | 'removed';
const KEY_STATE_VALUE: Readonly<Record<KeyGaugeState, number>> = { ready: 0, resting: 1, removed: 2 };

const BREAKER_VALUE: Readonly<Record<BreakerGaugeState, number>> = { closed: 0, half_open: 1, open: 2 };

/** A counter only goes up, by a real number: anything else would make prom-client throw in the middle of a scrape. */
function positive(n: number): boolean {
  return Number.isFinite(n) && n > 0;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly agents: LabelCap;
  private readonly models: LabelCap;
  private readonly requests: client.Counter<'agent' | 'provider' | 'model' | 'status'>;
  private readonly duration: LabeledHistogram;
  private readonly ttfb: LabeledHistogram;
  private readonly tokens: client.Counter<'agent' | 'model' | 'kind'>;
  private readonly cost: client.Counter<'agent' | 'model'>;
  private readonly budgetRemaining: client.Gauge<'agent' | 'window'>;
  private readonly breakerState: client.Gauge<'key'>;
  private readonly rateLimited: client.Counter<'agent'>;
  private readonly inFlight: client.Gauge;
  private readonly streamEvents: client.Counter<'agent'>;
  private readonly keyRequests: client.Counter<'provider' | 'key' | 'outcome'>;
  private readonly keyState: client.Gauge<'provider' | 'key'>;
  /** Counter increments of finished requests, handed to prom-client when scraped. */
  private readonly counts = new RequestCounts();
  /** The controls' state for the gauges, read by the scrape under way (see render). */
  private readings: GaugeReadings | undefined;
  /** The series of each provider key and outcome, looked up once: no label object per request. */
  private readonly keySeries = new Map<string, Map<string, Partial<Record<KeyOutcome, client.Counter.Internal>>>>();

  /** @param options.sharedState instances share state through Redis: export whether it answers. */
  constructor(options: { maxLabelValues: number; collectDefaults?: boolean; gauges?: () => GaugeReadings; sharedState?: boolean }) {
    this.agents = new LabelCap(options.maxLabelValues);
    this.models = new LabelCap(options.maxLabelValues);
    const registers = [this.registry];
    // The request counters are read from `counts` when scraped: whichever is collected first brings all of them up to date.
    const collect = (): void => this.counts.drain(this.addCounts);
    this.requests = new Counter({ name: 'ai_gateway_requests_total', help: 'Proxied requests by outcome.', labelNames: ['agent', 'provider', 'model', 'status'], registers, collect });
    this.duration = new LabeledHistogram('ai_gateway_request_duration_seconds', 'Time from request to the last byte sent to the client.', ['agent', 'provider'], DURATION_BUCKETS);
    this.ttfb = new LabeledHistogram('ai_gateway_upstream_ttfb_seconds', 'Time until the upstream sent its response headers.', ['provider'], DURATION_BUCKETS);
    // The registry reads a metric through get() alone; its types name prom-client's own classes only.
    for (const h of [this.duration, this.ttfb]) this.registry.registerMetric(h as unknown as client.Metric);
    this.tokens = new Counter({ name: 'ai_gateway_tokens_total', help: 'Tokens by kind (input, output, cache_read, cache_write, reasoning).', labelNames: ['agent', 'model', 'kind'], registers, collect });
    this.cost = new Counter({ name: 'ai_gateway_cost_usd_total', help: 'Spend in USD (priced requests only).', labelNames: ['agent', 'model'], registers, collect });
    const gauges = options.gauges;
    // One reading per scrape for all four gauges: it walks every agent, breaker and key. With 2,000 agents a scrape
    // cost 9-13 ms of CPU while each gauge read its own, about 5.5 ms now.
    const read = gauges === undefined ? undefined : (): GaugeReadings => (this.readings ??= gauges());
    this.budgetRemaining = new Gauge({
      name: 'ai_gateway_budget_remaining_usd',
      help: 'Budget left per window.',
      labelNames: ['agent', 'window'],
      registers,
      ...(read ? { collect: () => this.showBudgets(read().budgets) } : {}),
    });
    this.breakerState = new Gauge({
      name: 'ai_gateway_circuit_breaker_state',
      help: 'Breaker state: 0 closed, 1 half-open, 2 open.',
      labelNames: ['key'],
      registers,
      ...(read ? { collect: () => this.showBreakers(read().breakers) } : {}),
    });
    this.rateLimited = new Counter({ name: 'ai_gateway_rate_limited_total', help: 'Requests refused by a rate limit.', labelNames: ['agent'], registers });
    this.inFlight = new Gauge({ name: 'ai_gateway_in_flight_requests', help: 'Requests being proxied now.', registers });
    this.streamEvents = new Counter({ name: 'ai_gateway_stream_events_total', help: 'Stream events (start, deltas, usage, finish) read from upstream streams.', labelNames: ['agent'], registers, collect });
    this.keyRequests = new Counter({
      name: 'ai_gateway_provider_key_requests_total',
      help: "Upstream attempts per key of a provider's key pool, by outcome (ok, rate_limited, refused, error); a key is named by the first 12 hex digits of its SHA-256.",
      labelNames: ['provider', 'key', 'outcome'],
      registers,
    });
    this.keyState = new Gauge({
      name: 'ai_gateway_provider_key_state',
      help: "Each key of a provider's key pool: 0 ready, 1 resting after a 429, 2 taken out after a 401/403; named by its fingerprint.",
      labelNames: ['provider', 'key'],
      registers,
      ...(read ? { collect: () => this.showKeys(read().keys ?? []) } : {}),
    });
    if (options.sharedState === true) {
      // An unlabelled gauge always has a sample, so it exists only where there is shared state to report.
      new Gauge({
        name: 'ai_gateway_shared_state_up',
        help: '1 while Redis answers and this instance takes shared decisions, 0 while it does not (shared_state).',
        registers,
        ...(read ? { collect(this: client.Gauge) { this.set(read().sharedStateUp ?? 0); } } : {}),
      });
    }
    if (options.collectDefaults !== false) collectProcessMetrics(this.registry, 'ai_gateway_');
  }

  agentLabel(agent: string): string {
    return this.agents.fold(agent);
  }

  requestStarted(): void {
    this.inFlight.inc();
  }

  requestEnded(): void {
    this.inFlight.dec();
  }

  requestFinished(o: RequestObservation): void {
    const agent = this.agents.fold(o.agent);
    const model = this.models.fold(o.model);
    this.duration.observe(o.durationSeconds, agent, o.provider);
    if (o.ttfbSeconds !== undefined) this.ttfb.observe(o.ttfbSeconds, o.provider);
    const c = this.counts.series(agent, o.provider, model);
    c.statuses.set(o.status, (c.statuses.get(o.status) ?? 0) + 1);
    // `> 0` keeps a NaN or a negative count from spoiling the sum of its series.
    const t = o.tokens;
    if (t.input > 0) c.tokens[0]! += t.input;
    if (t.output > 0) c.tokens[1]! += t.output;
    if (t.cacheRead > 0) c.tokens[2]! += t.cacheRead;
    if (t.cacheWrite > 0) c.tokens[3]! += t.cacheWrite;
    if (t.reasoning > 0) c.tokens[4]! += t.reasoning;
    if (o.costUsd !== null && o.costUsd > 0) c.costUsd += o.costUsd;
    if (o.streamEvents > 0) c.streamEvents += o.streamEvents;
  }

  /** One series' sums into the prom-client counters; a kind or cost that did not occur makes no series. */
  private readonly addCounts = (c: SeriesCounts): void => {
    const { agent, provider, model } = c;
    for (const [status, n] of c.statuses) this.requests.inc({ agent, provider, model, status: String(status) }, n);
    for (let i = 0; i < TOKEN_KINDS.length; i++) if (positive(c.tokens[i]!)) this.tokens.inc({ agent, model, kind: TOKEN_KINDS[i]! }, c.tokens[i]);
    if (positive(c.costUsd)) this.cost.inc({ agent, model }, c.costUsd);
    if (positive(c.streamEvents)) this.streamEvents.inc({ agent }, c.streamEvents);
  };

  /** One attempt with a pooled key; `fingerprint` is the key's hash prefix, never the key. */
  keyAttempt(provider: string, fingerprint: string, outcome: KeyOutcome): void {
    let keys = this.keySeries.get(provider);
    if (keys === undefined) this.keySeries.set(provider, (keys = new Map()));
    let outcomes = keys.get(fingerprint);
    if (outcomes === undefined) keys.set(fingerprint, (outcomes = {}));
    (outcomes[outcome] ??= this.keyRequests.labels({ provider, key: fingerprint, outcome })).inc();
  }

  rateLimitHit(agent: string): void {
    this.rateLimited.inc({ agent: this.agents.fold(agent) });
  }

  /** Replaces the budget series with `budgets`; a value that is not a finite number is left out, never exported. */
  private showBudgets(budgets: GaugeReadings['budgets']): void {
    this.budgetRemaining.reset();
    for (const { agent, window, remainingUsd } of budgets) {
      if (!Number.isFinite(remainingUsd)) continue;
      const label = this.agents.fold(agent);
      // A gauge cannot be summed across the agents folded into `other`: its value would be whichever came last.
      if (label === OTHER && agent !== OTHER) continue;
      this.budgetRemaining.set({ agent: label, window }, remainingUsd);
    }
  }

  private showBreakers(breakers: GaugeReadings['breakers']): void {
    this.breakerState.reset();
    for (const { key, state } of breakers) this.breakerState.set({ key }, BREAKER_VALUE[state]);
  }

  private showKeys(keys: NonNullable<GaugeReadings['keys']>): void {
    this.keyState.reset();
    for (const { provider, key, state } of keys) this.keyState.set({ provider, key }, KEY_STATE_VALUE[state]);
  }

  async render(): Promise<string> {
    this.readings = undefined;
    try {
      return await this.registry.metrics();
    } finally {
      this.readings = undefined;
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
