/**
 * The seam between the dashboard and the gateway. The TUI only reads a `DashboardSnapshot` and acts
 * through `DashboardActions`; one implementation lives in-process (live/dashboard.ts), one talks to the
 * management API (tui/remote-source.ts), and tests use a fake. The snapshot is plain JSON: it is exactly the
 * body of `GET /api/status`, so the remote source can hand the response through unchanged.
 */
import type { BudgetLimitsView, BudgetPatch } from '../control/index.js';

export type { BudgetPatch };

export type AgentState = 'active' | 'idle' | 'paused';
export type BreakerState = 'closed' | 'open' | 'half_open';


export interface GatewayInfo {
  version: string;
  /** Base address of the gateway, e.g. `http://127.0.0.1:8080` (no trailing slash). */
  address: string;
  /** Epoch ms when the gateway started. */
  startedAt: number;
  /** Epoch ms at which the snapshot was taken (relative fields such as `retryInMs` count from here). */
  now: number;
  spendTodayUsd: number;
  /** Money held by requests in flight, all agents (their budget reservations, not yet settled). */
  heldUsd?: number;
  /** Requests completed in each of the last complete seconds, oldest first (the header's sparkline). */
  requestsPerSecond: number[];
  /** Requests completed per second over a sliding window of the last ten seconds. */
  requestRate?: number;
  /** Requests the gateway has answered since it started. */
  requestsServed?: number;
  /** Number of configured providers. */
  providers: number;
  /** Set while the config file on disk is invalid and the previous config stays in force. */
  configBanner?: string;
  /** Set while the gateway listens on a network address without an admin token; the header warns. */
  exposureWarning?: string;
  /** Set while the audit store refuses writes; at its limit new requests are refused (503). */
  storageBanner?: string;
  /** Set when instances share limits through Redis (shared_state): whether Redis answers. */
  sharedState?: SharedStateStatus;
}

export interface SharedStateStatus {
  status: 'connecting' | 'up' | 'down';
  onOutage: 'open' | 'closed';
  /** Epoch ms of the last change of status. */
  since: number;
  /** Why Redis is down, while it is. */
  reason?: string;
  /** Settlements made while Redis was down, waiting to be written to it. */
  pending: number;
}

export interface AgentStatus {
  id: string;
  status: AgentState;
  pauseReason?: string;
  /** Who paused it: `tui`, `cli`, `policy:<name>`, `budget`… */
  pausedBy?: string;
  /** Default (or most recently used) model. */
  model?: string;
  calls: number;
  errors: number;
  tokensIn: number;
  tokensOut: number;
  /** Spend over the rolling last 60 minutes. */
  costHourUsd: number;
  /** Spend since local midnight. */
  costTodayUsd: number;
  /** Lifetime spend. */
  costTotalUsd: number;
  /** Held by this agent's requests in flight: the most they can still cost. Back to 0 when none runs. */
  heldUsd?: number;
  /** True when at least one call could not be priced (its cost is not counted above). */
  unpriced: boolean;
  /** Limits in USD as the registry shows them; absent or null means no limit. */
  budget: Partial<BudgetLimitsView>;
  /** Configured rate limit as written in the config, e.g. `100/min`. */
  rateLimit?: string;
  /** Epoch ms of the last request. */
  lastSeen?: number;
  /** The agent's newest failed request (the audit's rule: an error status, or a failure after the answer began). */
  lastError?: LastError;
  /** Recent spend for forecasts: USD settled in each bucket, oldest first, the last bucket holding `gateway.now`. */
  spendHistory?: SpendHistory;
}

export interface LastError {
  ts: number;
  status: number;
  code?: string;
  message?: string;
}

export interface SpendHistory {
  bucketMs: number;
  buckets: number[];
  /** Epoch ms of the first spend after the agent spent nothing for the length of the buckets: the rate counts from there. */
  since?: number;
}

export interface BreakerStatus {
  /** Breaker key, typically a provider name or `agent/provider`. */
  key: string;
  state: BreakerState;
  /** Error rate over the breaker's window, 0..1. */
  errorRate: number;
  /** While open: milliseconds (from `gateway.now`) until the breaker goes half-open. */
  retryInMs?: number;
  /** While half-open: trial requests used so far and allowed. */
  probes?: { used: number; max: number };
}

export interface LogEntry {
  id: string;
  /** Epoch ms when the request started. */
  ts: number;
  agent: string;
  model: string;
  provider: string;
  /** HTTP status returned to the client. */
  status: number;
  /** Gateway or upstream error code for failed requests, e.g. `budget_exceeded`. */
  errorCode?: string;
  tokensIn: number;
  tokensOut: number;
  /** Cost in USD; null when the model is unpriced (never shown as $0). */
  costUsd: number | null;
  latencyMs: number;
  stream: boolean;
  /** Token counts were estimated because the provider reported no usage. */
  estimated: boolean;
  /** Request fields the target format could not carry and that were dropped in translation. */
  dropped?: string[];
  /** Request fields changed to fit the upstream model, e.g. `max_completion_tokens:32000->16384`. */
  adjusted?: string[];
  /** The first-choice provider when a fallback (`provider`) took the call instead. */
  fallbackFrom?: string;
  /** Upstream requests the call took when more than one (retries, other keys, fallbacks). */
  attempts?: number;
  /** What went wrong, in words (secrets masked), cut to a line; the request detail has all of it. */
  errorMessage?: string;
}

/** One request in full, as the request detail shows it (`GET /api/logs/{id}`). */
export interface RequestDetail {
  id: string;
  ts: number;
  agent: string;
  provider: string | null;
  /** The first-choice provider when a fallback took the call. */
  fallbackFrom: string | null;
  /** Upstream requests the call took, retries and fallbacks included; null in rows older than the count. */
  attempts: number | null;
  /** The model the client asked for, and the one sent upstream. */
  model: string;
  upstreamModel: string | null;
  /** The routing rule that chose the upstream model (`background`, `thinking`…); null or absent when none did. */
  routeRule?: string | null;
  clientFormat: string;
  upstreamFormat: string | null;
  path: string | null;
  status: number;
  errorCode: string | null;
  errorMessage: string | null;
  stream: boolean;
  /** Time to the provider's first byte; null when none arrived. */
  ttfbMs: number | null;
  latencyMs: number;
  tokens: { input: number; cacheRead: number; cacheWrite: number; output: number; reasoning: number };
  /** USD by kind; null amounts when the model is unpriced. `reasoning` is part of `output`. */
  cost: {
    totalUsd: number | null;
    input: number | null;
    cacheRead: number | null;
    cacheWrite: number | null;
    output: number | null;
    reasoning: number | null;
    priceVersion: string | null;
    /** Token counts were estimated: the provider reported no usage. */
    estimated: boolean;
  };
  /** Request fields dropped in translation. */
  dropped: string[];
  /** Request fields changed to fit the upstream model (`max_completion_tokens:32000->16384`). */
  adjusted: string[];
  bytesIn: number | null;
  bytesOut: number | null;
}

/** Calls, tokens, spend and errors of one provider and model over a period. */
export interface ModelUsage {
  /** Null for calls that never reached a provider (refused first). */
  provider: string | null;
  /** The model sent upstream, or the one asked for when none was. */
  model: string;
  calls: number;
  errors: number;
  /** All input tokens: uncached, cache reads and cache writes. */
  tokensIn: number;
  tokensOut: number;
  /** Priced calls only; see `unpricedCalls`. */
  costUsd: number;
  /** Answered calls whose model had no price: their cost is unknown, not zero. */
  unpricedCalls: number;
}

/** The newest failed request of an agent: what its detail shows as the last error. */
export interface AgentLastError {
  agent: string;
  ts: number;
  status: number;
  errorCode: string | null;
  errorMessage: string | null;
}

/** Spend by provider and model: the rolling last hour (live counters) and today since local midnight (the audit). */
export interface UsageReport {
  /** Epoch ms the report was made at. */
  now: number;
  hour: ModelUsage[];
  day: ModelUsage[];
  /** Epoch ms of the start of the day counted. */
  dayFrom: number;
}

/** A control action as the dashboard shows it: one line of words (live/events.ts makes it from a ControlRecord). */
export interface LiveControlEvent {
  ts: number;
  agent?: string;
  /** e.g. `pause`, `resume`, `budget`, `breaker_reset`, `policy`. */
  kind: string;
  /** e.g. `tui`, `cli`, `api`, `policy:high-error-rate`. */
  actor: string;
  detail: string;
  /** An alert meant for the person at the dashboard: a banner, and the terminal bell. */
  bell?: boolean;
}

export interface DashboardSnapshot {
  gateway: GatewayInfo;
  agents: AgentStatus[];
  breakers: BreakerStatus[];
  /** Recent requests, any order (the dashboard sorts newest first). */
  recent: LogEntry[];
  /** Recent control actions, any order. */
  controlEvents: LiveControlEvent[];
}

export interface DashboardActions {
  pause(agent: string, reason?: string): Promise<void>;
  resume(agent: string): Promise<void>;
  setBudget(agent: string, change: BudgetPatch): Promise<void>;
  resetBreaker(key: string): Promise<void>;
  /** The newest requests matching a log filter (core/log-search.ts), from the whole stored history. */
  searchLogs(filter: string): Promise<LogEntry[]>;
  /** One request in full; undefined when the gateway has no such request. */
  requestDetail(id: string): Promise<RequestDetail | undefined>;
  /** Spend by provider and model for the last hour and today. */
  usage(): Promise<UsageReport>;
  /** Called once when the user quits the dashboard (e.g. to flush the audit store). */
  quit?(): Promise<void>;
}

export interface DashboardSource {
  /** The current state. Must be cheap enough to call a few times per second. */
  snapshot(): DashboardSnapshot;
  /** Calls `listener` whenever the state may have changed; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  readonly actions: DashboardActions;
}

/** A snapshot with nothing in it yet, for sources that have not received data. */
export function emptySnapshot(init: { version: string; address: string; now: number; startedAt?: number }): DashboardSnapshot {
  return {
    gateway: {
      version: init.version,
      address: init.address,
      startedAt: init.startedAt ?? init.now,
      now: init.now,
      spendTodayUsd: 0,
      requestsPerSecond: [],
      providers: 0,
    },
    agents: [],
    breakers: [],
    recent: [],
    controlEvents: [],
  };
}
