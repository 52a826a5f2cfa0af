/**
 * The dashboard's view of a running gateway: one snapshot builder (also the body of GET /api/status)
 * and the in-process DashboardSource the TUI uses when it runs inside the gateway.
 */
import type { Clock } from '../core/clock.js';
import type { GatewayConfig } from '../config/types.js';
import type { AgentSnapshot, BreakerSnapshot, BudgetPatch } from '../control/index.js';
import { VERSION } from '../core/version.js';
import type { AgentStatus, BreakerStatus, DashboardActions, DashboardSnapshot, DashboardSource, LogEntry, RequestDetail, SharedStateStatus, UsageReport } from './snapshot.js';
import type { LiveState } from './live-state.js';
import { dashboardControlEvent } from './events.js';

/** The control state a snapshot reads: the agent and breaker registries. */
export interface LiveControls {
  registry: { snapshot(): AgentSnapshot[] };
  breakers: { snapshot(): BreakerSnapshot[] };
}

/** The control actions the dashboard takes, as a named actor (app/control-actions.ts implements them). */
export interface LiveControlActions {
  pause(agent: string, actor: string, reason?: string): unknown;
  /** `stillPaused` says why the agent stays paused (a spent budget) after its manual pause is lifted. */
  resume(agent: string, actor: string): { stillPaused?: string };
  setBudget(agent: string, patch: BudgetPatch, actor: string): unknown;
  resetBreaker(key: string, actor: string): void;
}

/** The questions about past requests the dashboard asks (app/request-queries.ts answers them). */
export interface LiveQueries {
  searchLogs(filter: string): LogEntry[];
  requestDetail(id: string): RequestDetail | undefined;
  usage(): UsageReport;
}

export interface SnapshotDeps {
  clock: Clock;
  address: () => string;
  startedAt: number;
  config: () => GatewayConfig;
  controls: LiveControls;
  live: LiveState;
  configBanner: () => string | undefined;
  /** Set while the gateway listens on a network address without an admin token. */
  exposureWarning: () => string | undefined;
  /** Set while the audit store refuses writes (rows held in memory; at the limit, new requests get 503). */
  storageBanner: () => string | undefined;
  /** Whether Redis answers, when limits are shared through it. */
  sharedState?: (() => SharedStateStatus | undefined) | undefined;
}

export function buildSnapshot(d: SnapshotDeps): DashboardSnapshot {
  const now = d.clock.now();
  const config = d.config();
  const agents = d.controls.registry.snapshot().map((a) => agentStatus(a, config, d.live));
  const breakers: BreakerStatus[] = d.controls.breakers.snapshot().map((b) => {
    const provider = b.key.includes(':') ? b.key.slice(b.key.indexOf(':') + 1) : b.key;
    const status: BreakerStatus = { key: b.key, state: b.state, errorRate: d.live.providerErrorRate(provider) };
    if (b.retryAfterSeconds !== null) status.retryInMs = b.retryAfterSeconds * 1000;
    if (b.state === 'half_open') status.probes = { used: b.probesInFlight + b.probeSuccesses, max: b.settings.halfOpenRequests };
    return status;
  });
  const banner = d.configBanner();
  const exposure = d.exposureWarning();
  const storage = d.storageBanner();
  const shared = d.sharedState?.();
  return {
    gateway: {
      version: VERSION,
      address: d.address(),
      startedAt: d.startedAt,
      now,
      spendTodayUsd: agents.reduce((sum, a) => sum + a.costTodayUsd, 0),
      heldUsd: agents.reduce((sum, a) => sum + (a.heldUsd ?? 0), 0),
      requestsPerSecond: d.live.requestsPerSecond(),
      requestRate: d.live.requestRate(),
      requestsServed: d.live.served,
      providers: config.providers.size,
      ...(banner ? { configBanner: banner } : {}),
      ...(exposure ? { exposureWarning: exposure } : {}),
      ...(storage ? { storageBanner: storage } : {}),
      ...(shared ? { sharedState: shared } : {}),
    },
    agents,
    breakers,
    recent: d.live.recent(),
    controlEvents: d.live.controls.map(dashboardControlEvent),
  };
}

function agentStatus(a: AgentSnapshot, config: GatewayConfig, live: LiveState): AgentStatus {
  const status: AgentStatus = {
    id: a.id,
    status: a.status,
    calls: a.calls,
    errors: a.errors,
    tokensIn: a.tokensIn,
    tokensOut: a.tokensOut,
    costHourUsd: a.spend.hourUsd,
    costTodayUsd: a.spend.todayUsd,
    costTotalUsd: a.spend.totalUsd,
    heldUsd: a.spend.reservedUsd,
    unpriced: live.unpricedAgents.has(a.id),
    budget: { hourly: a.budget.hourly, daily: a.budget.daily, total: a.budget.total },
  };
  if (a.pause) {
    status.pauseReason = a.pause.reason;
    // A policy pause is shown as the policy that did it (`policy:<name>`), as the audit records it.
    status.pausedBy = a.pause.kind === 'policy' ? a.pause.reason : a.pause.actor;
  }
  const model = live.lastModel.get(a.id) ?? config.agents.get(a.id)?.model;
  if (model) status.model = model;
  if (a.rateLimit) status.rateLimit = a.rateLimit;
  if (a.lastCallAt !== null) status.lastSeen = a.lastCallAt;
  const lastError = live.lastError(a.id);
  if (lastError) status.lastError = lastError;
  const spendHistory = live.spendHistory(a.id);
  if (spendHistory) status.spendHistory = spendHistory;
  return status;
}

/** The TUI's source when it runs in the gateway's own process: actions go through ControlActions as `tui`. */
export class InProcessDashboardSource implements DashboardSource {
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly deps: SnapshotDeps,
    private readonly control: LiveControlActions,
    private readonly queries: LiveQueries,
    /** What `q` does: by default the gateway's own shutdown (drain, flush the store). */
    private onQuit: () => Promise<void>,
  ) {}

  /** The process that owns the gateway may stop more than the gateway on quit (the demo's agents). */
  setQuitHandler(handler: () => Promise<void>): void {
    this.onQuit = handler;
  }

  snapshot(): DashboardSnapshot {
    return buildSnapshot(this.deps);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called by the gateway on every request and control event; the TUI batches these into frames. */
  notify(): void {
    for (const l of this.listeners) l();
  }

  readonly actions: DashboardActions = {
    pause: async (agent: string, reason?: string): Promise<void> => {
      this.control.pause(agent, 'tui', reason);
    },
    resume: async (agent: string): Promise<void> => {
      const { stillPaused } = this.control.resume(agent, 'tui');
      // Lifting a manual pause does not lift a spent budget: say so rather than "resumed".
      if (stillPaused !== undefined) throw new Error(stillPaused);
    },
    setBudget: async (agent: string, change: BudgetPatch): Promise<void> => {
      this.control.setBudget(agent, change, 'tui');
    },
    resetBreaker: async (key: string): Promise<void> => {
      this.control.resetBreaker(key, 'tui');
    },
    // Queries of the store run on a later turn of the event loop, not inside the key press that asked.
    searchLogs: (filter) => later(() => this.queries.searchLogs(filter)),
    requestDetail: (id) => later(() => this.queries.requestDetail(id)),
    usage: () => later(() => this.queries.usage()),
    quit: (): Promise<void> => this.onQuit(),
  };
}

function later<T>(work: () => T): Promise<T> {
  return new Promise((resolve, reject) =>
    setImmediate(() => {
      try {
        resolve(work());
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    }),
  );
}
