/**
 * Plain input types for the agent controls. The config normaliser maps the YAML config onto these; the
 * controls never read the config file themselves. Money is in USD at this boundary.
 */

export type BudgetWindow = 'hourly' | 'daily' | 'total';

export const BUDGET_WINDOWS: readonly BudgetWindow[] = ['hourly', 'daily', 'total'];

/** Budget limits in USD. An absent window has no limit; 0 blocks every priced call. */
export interface BudgetLimits {
  hourly?: number | undefined;
  daily?: number | undefined;
  total?: number | undefined;
}

/** A change to budget limits: a number sets the window, `null` removes its limit, absent leaves it as is. */
export type BudgetPatch = { [W in BudgetWindow]?: number | null | undefined };

/** Requests per period as written in config (`"100/min"`), an optional burst, and optional tokens per minute. */
export interface RateLimitInput {
  spec: string;
  /** Bucket capacity; defaults to the spec's count. */
  burst?: number | undefined;
  /** Tokens (input + output) per minute. */
  tpm?: number | undefined;
}

export interface BreakerSettings {
  /** Counted failures within `windowMs` that open the breaker. */
  errorThreshold: number;
  windowMs: number;
  /** How long an open breaker fails fast before letting probes through. */
  resetTimeoutMs: number;
  /** Probes let through while half-open; that many successes close the breaker. */
  halfOpenRequests: number;
}

export type PolicyAction = 'pause' | 'deny' | 'alert' | 'throttle';

export interface PolicyInput {
  name: string;
  condition: string;
  action: PolicyAction;
  /** `rate` (a rate-limit spec such as `"10/min"`) is required for `throttle`. */
  params?: { rate?: string | undefined } | undefined;
  /** Agents the policy applies to; all agents when absent. */
  agents?: readonly string[] | undefined;
}

/** One agent as the controls see it. */
export interface AgentInput {
  id: string;
  budget?: BudgetLimits | undefined;
  rateLimit?: RateLimitInput | undefined;
  /** The agent's own breaker thresholds; breakers become per (agent, provider) when set. */
  breaker?: BreakerSettings | undefined;
  tags?: readonly string[] | undefined;
}

/** Limits applied to agents that are not in the config (auto-registered) and to configured ones that set none. */
export interface AgentDefaults {
  budget?: BudgetLimits | undefined;
  rateLimit?: RateLimitInput | undefined;
}

/** Who changed something: `budget`, `policy`, `config`, or the surface a person used (`tui`, `cli`, `api`). */
export type Actor = string;

export type PauseKind = 'manual' | 'budget' | 'policy';

export interface PauseState {
  kind: PauseKind;
  /** `budget:hourly|daily|total`, `policy:<name>`, or the text given with a manual pause (default `manual`). */
  reason: string;
  actor: Actor;
  /** Epoch milliseconds. */
  since: number;
}

/** Budget spend and settings persisted by the lead's store so TUI/CLI changes survive restarts. */
export interface AgentOverride {
  agent: string;
  /** Manual and policy pauses only; budget pauses are derived from spend again on start. `null` = not paused. */
  pause: PauseState | null;
  /** Budget windows changed at run time; windows not listed follow the config. */
  budget: BudgetPatch;
  /** Epoch milliseconds of the last change. */
  updatedAt: number;
}

/** Storage for overrides, implemented by the lead over SQLite. Synchronous, like better-sqlite3. */
export interface ControlPersistence {
  loadOverrides(): AgentOverride[];
  saveOverride(override: AgentOverride): void;
}

/** One settled cost as stored in the audit history, used to rebuild budgets on start. */
export interface SpendEntry {
  /** Epoch milliseconds. */
  ts: number;
  agent: string;
  costUsd: number;
}

/**
 * Pre-aggregated spend for one agent, for callers that sum in SQL. `todayUsd` covers the ledger's current local
 * day (see `BudgetLedger.windowStarts()`); `lastHour` lists the entries of the last 60 minutes.
 */
export interface SpendAggregate {
  agent: string;
  totalUsd: number;
  todayUsd: number;
  lastHour: readonly SpendEntry[];
}
