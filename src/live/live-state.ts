/**
 * What the live views need that the registries do not keep: the last requests, the request rate, per-provider
 * error rates, recent control events, each agent's last error and recent spend, and spend by provider and model
 * over the last hour. Fed by the event bus; read by the dashboard snapshot and the management API. Cheap to
 * update beside every request: ring buffers and fixed time buckets only.
 */
import type { Clock } from '../core/clock.js';
import type { ControlRecord, RequestRow } from '../core/audit-row.js';
import type { AgentLastError, LastError, LogEntry, ModelUsage, SpendHistory } from './snapshot.js';
import { TimeBuckets } from './time-buckets.js';
import { logEntryOf, type RecordedRequest } from './events.js';

const RECENT_LIMIT = 200;
const CONTROL_LIMIT = 50;
const PROVIDER_WINDOW = 100;
/** The sparkline's samples: one a second for a minute (plus the current, partial second). */
const RPS_SECONDS = 60;
/** The request rate is measured over this many whole seconds before the current one. */
const RATE_WINDOW_SECONDS = 10;
/** Recent spend per agent, for forecasts: 30 buckets of 20 s, the last ten minutes. */
export const SPEND_BUCKET_MS = 20_000;
const SPEND_BUCKETS = 30;
/** Spend by provider and model for the rolling hour, in minutes. */
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** Model names come from clients: past this many provider/model pairs the rest share one `(other)` line. */
const MAX_MODEL_KEYS = 500;
const OTHER_MODEL = '(other)';
/** The snapshot carries this much of an agent's last error message. */
const LAST_ERROR_CHARS = 300;

/** The audit's error rule (store/schema.ts IS_ERROR_SQL): an error status, or a failure after the answer began. */
export function isErrorRow(row: Pick<RequestRow, 'status' | 'errorCode'>): boolean {
  return row.status >= 400 || row.errorCode !== null;
}

export class LiveState {
  /** Requests recorded since the gateway started. */
  served = 0;
  /**
   * The last requests' rows, oldest first: the request detail reads them whole, the log their entries. Only the rows
   * are kept, and the entries made when a view asks: under load the last RECENT_LIMIT requests outlive two
   * scavenges, so whatever is kept per request is promoted to the old generation, and an entry kept beside each
   * row was about a sixth of what a busy gateway promoted.
   */
  private readonly recentRows: RequestRow[] = [];
  readonly controls: ControlRecord[] = [];
  private readonly completions = new TimeBuckets(1000, RPS_SECONDS + 1);
  private readonly providerOutcomes = new Map<string, boolean[]>();
  readonly lastModel = new Map<string, string>();
  readonly unpricedAgents = new Set<string>();
  private readonly lastErrors = new Map<string, LastError>();
  /** `last`: when the agent last spent, so a new run of spending is found without summing the buckets each time. */
  private readonly spend = new Map<string, { buckets: TimeBuckets; since: number; last: number }>();
  private readonly models = new Map<string, { provider: string | null; model: string; buckets: TimeBuckets }>();
  /** The buckets the last request's provider and model (as asked, before any `(other)` folding) went to. */
  private lastModelBuckets: { provider: string | null; asked: string; buckets: TimeBuckets } | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly startedAt: number = clock.now(),
  ) {}

  onRequest(record: RecordedRequest): void {
    const row = record.row;
    const now = this.clock.now();
    this.served += 1;
    this.recentRows.push(row);
    if (this.recentRows.length > RECENT_LIMIT) this.recentRows.shift();
    this.completions.add(now, 1);
    if (row.model) this.lastModel.set(row.agent, row.model);
    if (row.costUsd === null && row.provider !== null && row.status < 400) this.unpricedAgents.add(row.agent);
    const failed = isErrorRow(row);
    if (failed) this.lastErrors.set(row.agent, lastErrorOf(row));
    if (row.provider !== null) {
      let outcomes = this.providerOutcomes.get(row.provider);
      if (!outcomes) this.providerOutcomes.set(row.provider, (outcomes = []));
      outcomes.push(row.status >= 500 || row.errorCode === 'upstream_timeout' || row.errorCode === 'upstream_unreachable');
      if (outcomes.length > PROVIDER_WINDOW) outcomes.shift();
    }
    if (row.costUsd !== null && row.costUsd > 0) this.addSpend(row.agent, now, row.costUsd);
    const tokensIn = row.inputTokens + row.cacheReadTokens + row.cacheWriteTokens;
    const unpriced = row.costUsd === null && row.provider !== null && row.status < 400 ? 1 : 0;
    this.modelOf(row.provider, row.upstreamModel ?? row.model).add(now, 1, failed ? 1 : 0, tokensIn, row.outputTokens, row.costUsd ?? 0, unpriced);
  }

  /** The live log: the last requests' entries, oldest first. */
  recent(): LogEntry[] {
    return this.recentRows.map(logEntryOf);
  }

  onControl(event: ControlRecord): void {
    this.controls.push(event);
    if (this.controls.length > CONTROL_LIMIT) this.controls.shift();
  }

  /**
   * The full row of a request the live log still holds. The same id can come twice (a refused request recorded
   * again): the newest row wins. A scan of at most RECENT_LIMIT rows, on a detail view, rather than an index kept
   * up on every request.
   */
  row(id: string): RequestRow | undefined {
    for (let i = this.recentRows.length - 1; i >= 0; i--) if (this.recentRows[i]!.id === id) return this.recentRows[i];
    return undefined;
  }

  /** Last errors read from the audit at start; a newer live one wins. */
  restoreLastErrors(errors: readonly AgentLastError[]): void {
    for (const e of errors) {
      const known = this.lastErrors.get(e.agent);
      if (known === undefined || known.ts < e.ts) this.lastErrors.set(e.agent, lastErrorOf(e));
    }
  }

  lastError(agent: string): LastError | undefined {
    return this.lastErrors.get(agent);
  }

  /** The agent's spend in the last ten minutes, in 20 s buckets, and when this run of spending began; undefined when it spent nothing. */
  spendHistory(agent: string): SpendHistory | undefined {
    const spend = this.spend.get(agent);
    const buckets = spend?.buckets.series(this.clock.now());
    if (spend === undefined || buckets === undefined || buckets.every((b) => b === 0)) return undefined;
    return { bucketMs: SPEND_BUCKET_MS, buckets, since: spend.since };
  }

  /** Error share of the provider's recent calls, 0..1. */
  providerErrorRate(provider: string): number {
    const outcomes = this.providerOutcomes.get(provider);
    if (!outcomes || outcomes.length === 0) return 0;
    return outcomes.filter(Boolean).length / outcomes.length;
  }

  /** Requests completed in each of the last 60 whole seconds, oldest first. */
  requestsPerSecond(): number[] {
    return this.completions.series(this.clock.now()).slice(0, -1);
  }

  /**
   * Completions per second over a sliding window: the last ten whole seconds and the current part-second, divided
   * by exactly the time they span (shorter right after start).
   */
  requestRate(): number {
    const now = this.clock.now();
    const from = (Math.floor(now / 1000) - RATE_WINDOW_SECONDS) * 1000;
    const spanMs = now - Math.max(from, this.startedAt);
    const [count = 0] = this.completions.totals(now, from);
    return count / (Math.max(spanMs, 1000) / 1000);
  }

  /** Calls, tokens, spend and errors by provider and model over the rolling last hour. */
  usageHour(): ModelUsage[] {
    const now = this.clock.now();
    const out: ModelUsage[] = [];
    for (const { provider, model, buckets } of this.models.values()) {
      // The fields, in the order onRequest adds them.
      const [calls = 0, errors = 0, tokensIn = 0, tokensOut = 0, costUsd = 0, unpricedCalls = 0] = buckets.totals(now, now - HOUR_MS + 1);
      if (calls > 0) out.push({ provider, model, calls, errors, tokensIn, tokensOut, costUsd, unpricedCalls });
    }
    return out;
  }

  private addSpend(agent: string, now: number, usd: number): void {
    let spend = this.spend.get(agent);
    if (!spend) this.spend.set(agent, (spend = { buckets: new TimeBuckets(SPEND_BUCKET_MS, SPEND_BUCKETS), since: now, last: now }));
    // Spending that starts after ten quiet minutes (no spend in any bucket the series shows) is measured from its
    // first call, not from its bucket's start.
    else if (Math.floor(spend.last / SPEND_BUCKET_MS) <= Math.floor(now / SPEND_BUCKET_MS) - SPEND_BUCKETS) spend.since = now;
    spend.last = now;
    spend.buckets.add(now, usd);
  }

  private modelOf(provider: string | null, model: string): TimeBuckets {
    // Requests in a row mostly go to the same model: no key to build for them.
    const last = this.lastModelBuckets;
    if (last !== undefined && last.provider === provider && last.asked === model) return last.buckets;
    const buckets = this.modelBuckets(provider, model);
    this.lastModelBuckets = { provider, asked: model, buckets };
    return buckets;
  }

  private modelBuckets(provider: string | null, model: string): TimeBuckets {
    let key = `${provider ?? ''}\u0000${model}`;
    let found = this.models.get(key);
    if (found) return found.buckets;
    if (this.models.size >= MAX_MODEL_KEYS) {
      key = `${provider ?? ''}\u0000${OTHER_MODEL}`;
      found = this.models.get(key);
      if (found) return found.buckets;
      model = OTHER_MODEL;
    }
    // Minute buckets for an hour, plus the one the oldest minute is partly in.
    const buckets = new TimeBuckets(MINUTE_MS, 61, 6);
    this.models.set(key, { provider, model, buckets });
    return buckets;
  }
}

function lastErrorOf(e: { ts: number; status: number; errorCode: string | null; errorMessage?: string | null | undefined }): LastError {
  const out: LastError = { ts: e.ts, status: e.status };
  if (e.errorCode !== null) out.code = e.errorCode;
  if (e.errorMessage) out.message = e.errorMessage.slice(0, LAST_ERROR_CHARS);
  return out;
}
