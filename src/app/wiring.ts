/**
 * Builds the object graph of one gateway from its options: the audit store (under its lock), the controls, the
 * providers, the live state, the alerter, the port adapters the pipeline runs on, and the HTTP server (not yet
 * listening; lifecycle.ts starts and stops it).
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { systemClock, systemTimers, type Clock, type Timers } from '../core/clock.js';
import type { GatewayConfig } from '../config/types.js';
import type { LoadResult } from '../config/load.js';
import { acquireDbLock, openStore, type DbLock, type WritableStore } from '../store/index.js';
import { EventBus } from '../observe/event-bus.js';
import type { Logger } from '../observe/logger.js';
import { GatewayMetrics, type GaugeReadings } from '../observe/metrics.js';
import { maskSecret, Redactor } from '../observe/redact.js';
import { createGatewayServer } from '../server/gateway-server.js';
import type { MockBehaviour } from '../providers/mock/mock-provider.js';
import { KeyPools, type KeyEvent } from '../providers/key-pool.js';
import { loadSqliteNativeBinding } from '../runtime/sea.js';
import { Alerter } from '../alerts/alerter.js';
import { localDayKey, usdToNanos } from '../control/index.js';
import { MemoryResponseStore } from '../state/response-store.js';
import type { SharedControls } from '../state/shared/shared-controls.js';
import type { SharedStateModule } from './shared-wiring.js';
import { ProviderSet } from './providers.js';
import { PriceMeter } from './meter.js';
import { gatewayTokenCounter } from './token-counter.js';
import type { TokenCounter } from '../metering/index.js';
import { ConfigRouter } from './adapters/router.js';
import { GatewayControls } from './adapters/controls.js';
import { SqliteControlPersistence } from './adapters/control-persistence.js';
import { AuditRecorder } from './adapters/recorder.js';
import { managementApi } from './adapters/management.js';
import { serverHandlers } from './adapters/server-handlers.js';
import { ControlActions } from './control-actions.js';
import { LiveState } from '../live/live-state.js';
import { buildSnapshot, InProcessDashboardSource, type SnapshotDeps } from '../live/dashboard.js';
import { RequestQueries } from './request-queries.js';
import { createProxyRoutes } from '../server/proxy-routes.js';
import { ConfigDirectory } from './adapters/directory.js';
import { storedFromBreaker, storedFromRegistry, type GatewayEvents } from '../live/events.js';
import { InFlightRequests } from './in-flight.js';
import { RunningConfig, secretsOf } from './running-config.js';
import { GatewayTracing } from './adapters/tracing.js';

export interface GatewayOptions {
  config: GatewayConfig;
  /** The config file, watched for live reloads; undefined for embedded defaults. */
  configPath?: string | undefined;
  /** Applied to every reloaded config (command-line flags beat the file). */
  adjustConfig?: ((config: GatewayConfig) => GatewayConfig) | undefined;
  /** Reads and validates the config file for a reload (default: on a worker thread). */
  loadConfig?: ((path: string) => Promise<LoadResult>) | undefined;
  logger: Logger;
  /** The logger's redactor: the gateway keeps its list of secrets current. */
  redactor?: Redactor;
  clock?: Clock;
  /** Where retry waits are scheduled (default: real timers). */
  timers?: Timers;
  /** The tokenizer (default: o200k in a worker thread, started on the first count). */
  tokens?: TokenCounter;
  /** Behaviour of mock providers (the demo gives one an outage). */
  mockBehaviour?: (name: string) => MockBehaviour | undefined;
  /** Upper bound of an upstream response body that is read whole (non-streamed). */
  maxResponseBytes?: number;
  /** How often the audit writer flushes, ms. */
  flushIntervalMs?: number;
  /** Time a client has to send its request headers, and its whole request (defaults 30 s and 300 s). */
  clientTimeouts?: { headersMs?: number; requestMs?: number };
  /**
   * The shared-state module (it pulls in the Redis client): loaded by startGateway only when shared_state names a
   * Redis, so a single instance never holds it in memory.
   */
  sharedState?: SharedStateModule | undefined;
}

/** Every part of a gateway that start, stop and reload touch. */
export interface GatewayParts {
  clock: Clock;
  logger: Logger;
  redactor: Redactor;
  running: RunningConfig;
  lock: DbLock | undefined;
  store: WritableStore;
  bus: EventBus<GatewayEvents>;
  metrics: GatewayMetrics;
  providers: ProviderSet;
  keys: KeyPools;
  meter: PriceMeter;
  controls: GatewayControls;
  queries: RequestQueries;
  actions: ControlActions;
  dashboard: InProcessDashboardSource;
  alerter: Alerter;
  inFlight: InFlightRequests;
  /** Request traces: off until the lifecycle opens them from the config's `tracing:` section. */
  tracing: GatewayTracing;
  /** Limits shared with other instances through Redis; undefined unless shared_state is configured. */
  shared: SharedControls | undefined;
  /** Aborted when shutdown begins: live log streams end, readiness says so, keep-alive sockets are let go. */
  shutdown: AbortController;
  server: Server;
}

/** Builds a gateway's parts; nothing listens or ticks until lifecycle.ts starts them. */
export function wireGateway(options: GatewayOptions): GatewayParts {
  const clock = options.clock ?? systemClock;
  const { logger, config } = options;
  const startedAt = clock.now();
  const running = new RunningConfig(config, options.maxResponseBytes);
  const redactor = options.redactor ?? new Redactor();
  redactor.setSecrets(secretsOf(config));
  const { store, lock } = openAudit(options);
  const bus = new EventBus<GatewayEvents>();
  // The gauges read the controls when scraped (the controls are built below, before any scrape can come).
  const metrics = new GatewayMetrics({
    maxLabelValues: config.metrics.maxLabelValues,
    gauges: () => gaugeReadings(controls, keys, shared),
    sharedState: config.sharedState.redis !== undefined,
  });
  const live = new LiveState(clock, startedAt);
  const providers = new ProviderSet({ clock, mockBehaviour: options.mockBehaviour });
  providers.apply(config);
  const keys = new KeyPools(clock, (event) => keyEvent(event, logger, metrics));
  keys.apply(config.providers.values());
  // The controls tell shared state about overrides and breakers only once both exist (the getter runs later).
  const localOverrides = new SqliteControlPersistence(store.overrides);
  const controls = controlsFor(clock, config, localOverrides, bus, metrics, () => shared);
  const shared = sharedFor(options, controls, running, store, localOverrides);
  controls.shared = shared;
  // With shared state, spend comes from Redis (lifecycle.ts reads the audit file's only when Redis does not answer).
  restoreFromStore(store, controls, { spend: shared === undefined, counters: true });
  live.restoreLastErrors(store.queries.lastErrors());
  const queries = new RequestQueries({ clock, store, live, dayStart: () => controls.ledger.windowStarts().dayFrom });
  const actions = new ControlActions(controls, clock);
  const snapshotDeps: SnapshotDeps = {
    clock,
    address: () => running.url,
    startedAt,
    config: () => running.config(),
    controls,
    live,
    configBanner: () => running.banner,
    exposureWarning: () => running.exposure(),
    storageBanner: () => store.sink.trouble(),
    sharedState: () => shared?.view(),
  };
  // Quitting from the dashboard does nothing until the gateway has started and can stop (startGateway sets it).
  const dashboard = new InProcessDashboardSource(snapshotDeps, actions, queries, () => Promise.resolve());
  const alerter = alerterFor(clock, logger, running, controls, bus, shared);
  // Alerts sent before a restart are not sent again in the same window.
  alerter.restore(store.queries.controlEvents({ kind: 'alert', limit: 10_000 }));
  routeEvents({ bus, store, live, logger, dashboard, alerter });
  const recorder = new AuditRecorder({ sink: store.sink, metrics, redactor, onRecorded: (record) => bus.emit('request', record) });
  const shutdown = new AbortController();
  const inFlight = new InFlightRequests();
  const newId = requestIds();
  const meter = new PriceMeter(config, clock, options.tokens ?? gatewayTokenCounter((message) => logger.warn(message)));
  const tracing = new GatewayTracing();
  const proxy = createProxyRoutes({
    clock,
    timers: options.timers ?? systemTimers,
    random: Math.random,
    keys,
    log: logger,
    settings: () => running.settings(),
    router: new ConfigRouter(() => running.config(), providers),
    controls,
    meter,
    recorder,
    directory: new ConfigDirectory(() => running.config(), providers),
    responses: new MemoryResponseStore(clock, () => running.config().gateway.responseStore),
    redaction: { known: (text) => redactor.redact(text), withKey: maskSecret },
    tracing,
  });
  const admin = managementApi({ clock, adminToken: () => running.config().gateway.adminToken, snapshot: () => buildSnapshot(snapshotDeps), store, bus, actions, controls, queries, closing: shutdown.signal });
  const handlers = serverHandlers({ clock, logger, startedAt, newId, running, store, metrics, recorder, admin, proxy, inFlight, shared, closing: shutdown.signal });
  const server = createGatewayServer(handlers, {
    maxHeaderBytes: config.gateway.maxHeaderSizeBytes,
    headersTimeoutMs: options.clientTimeouts?.headersMs ?? 30_000,
    requestTimeoutMs: options.clientTimeouts?.requestMs ?? 300_000,
  });
  return { clock, logger, redactor, running, lock, store, bus, metrics, providers, keys, meter, controls, queries, actions, dashboard, alerter, inFlight, shared, tracing, shutdown, server };
}

/** Shared limits over Redis when shared_state names one; they connect when the gateway starts. */
function sharedFor(
  options: GatewayOptions,
  controls: GatewayControls,
  running: RunningConfig,
  audit: WritableStore,
  localOverrides: SqliteControlPersistence,
): SharedControls | undefined {
  const settings = options.config.sharedState;
  if (settings.redis === undefined) return undefined;
  if (options.sharedState === undefined) throw new Error('shared_state names a Redis but the shared-state module was not loaded');
  return options.sharedState.sharedControls({
    settings: { ...settings, redis: settings.redis },
    controls,
    clock: options.clock ?? systemClock,
    timers: options.timers ?? systemTimers,
    onOutage: () => running.config().sharedState.onOutage,
    logger: options.logger,
    history: () => spendHistory(audit, controls),
    journalFor: options.config.storage.path === ':memory:' ? undefined : options.config.storage.path,
    saveLocal: (o) => localOverrides.saveOverride(o),
  });
}

/** A pooled key's attempt: counted per key, and one loud line when the upstream refused the key and it is taken out. */
function keyEvent(event: KeyEvent, logger: Logger, metrics: GatewayMetrics): void {
  metrics.keyAttempt(event.provider, event.fingerprint, event.outcome);
  if (event.removed) {
    logger.error(`provider ${event.provider} refused key ${event.fingerprint} (HTTP ${event.status}); it is taken out of the pool until the config changes`, {
      provider: event.provider,
      key: event.fingerprint,
      status: event.status,
    });
  } else if (event.restMs !== undefined) {
    logger.info(`provider ${event.provider} rate-limited key ${event.fingerprint}; it rests ${event.restMs} ms`, { provider: event.provider, key: event.fingerprint, rest_ms: event.restMs });
  }
}

/** The audit store, under its lock: one gateway per database file (throws DbLockedError naming the one running). */
function openAudit(options: GatewayOptions): { store: WritableStore; lock: DbLock | undefined } {
  const { config, logger } = options;
  const nativeBinding = loadSqliteNativeBinding();
  const lock = config.storage.path === ':memory:' ? undefined : acquireDbLock(config.storage.path, { address: `starting on ${config.gateway.host}:${config.gateway.port}`, logger });
  try {
    const store = openStore(config.storage.path, {
      logger,
      jsonlPath: config.storage.jsonl ?? null,
      pendingLimit: config.storage.maxPendingRows,
      ...(options.flushIntervalMs !== undefined ? { flushIntervalMs: options.flushIntervalMs } : {}),
      ...(nativeBinding !== undefined ? { nativeBinding } : {}),
    });
    return { store, lock };
  } catch (err) {
    lock?.release();
    throw err;
  }
}

/** The controls, reporting their state changes as control events and their refusals as metrics. */
function controlsFor(
  clock: Clock,
  config: GatewayConfig,
  local: SqliteControlPersistence,
  bus: EventBus<GatewayEvents>,
  metrics: GatewayMetrics,
  shared: () => SharedControls | undefined,
): GatewayControls {
  return new GatewayControls({
    clock,
    config,
    // Overrides stay in this instance's audit file and, when instances share state, go to Redis for the others.
    persistence: {
      loadOverrides: () => local.loadOverrides(),
      saveOverride: (o) => {
        local.saveOverride(o);
        shared()?.saveOverride(o);
      },
    },
    onControlEvent: (event) => {
      const stored = storedFromRegistry(event);
      if (stored) bus.emit('control', stored);
    },
    onBreakerTransition: (t) => {
      bus.emit('control', storedFromBreaker(t));
      shared()?.onBreakerTransition(t);
    },
    onRateLimited: (agent) => metrics.rateLimitHit(agent),
  });
}

function alerterFor(
  clock: Clock,
  logger: Logger,
  running: RunningConfig,
  controls: GatewayControls,
  bus: EventBus<GatewayEvents>,
  shared: SharedControls | undefined,
): Alerter {
  return new Alerter({
    claim: shared === undefined ? undefined : (id, ttlMs) => shared.claim(id, ttlMs),
    clock,
    logger,
    settings: () => running.config().alerts,
    emit: (event) => bus.emit('control', event),
    budgetOf: (agent) => {
      const spend = controls.ledger.spend(agent);
      const limits = controls.ledger.limits(agent);
      return {
        windows: {
          hourly: { spentUsd: spend.hourUsd, limitUsd: limits.hourly },
          daily: { spentUsd: spend.todayUsd, limitUsd: limits.daily },
          total: { spentUsd: spend.totalUsd, limitUsd: limits.total },
        },
        // Only a daily limit needs the day (reading it from Intl is the dearest part of this check).
        dayKey: limits.daily === null ? '' : localDayKey(clock.now(), controls.ledger.dayZone),
      };
    },
    address: () => running.url,
  });
}

/** Where control and request events go: the audit, the live state, the log, the dashboard and the alerter. */
function routeEvents(p: {
  bus: EventBus<GatewayEvents>;
  store: WritableStore;
  live: LiveState;
  logger: Logger;
  dashboard: InProcessDashboardSource;
  alerter: Alerter;
}): void {
  const { bus, store, live, logger, dashboard, alerter } = p;
  bus.on('control', (event) => {
    store.sink.recordControlEvent(event);
    live.onControl(event);
    logger.info(`control ${event.kind}`, { agent: event.agent ?? undefined, actor: event.actor, reason: event.reason ?? undefined });
    dashboard.notify();
    if (event.agent === null) return;
    if (event.kind === 'budget_change') alerter.checkBudget(event.agent);
    else if (event.kind === 'policy_action') {
      const fired = event.newValue as { action?: string; condition?: string } | null;
      const policy = event.actor.startsWith('policy:') ? event.actor.slice('policy:'.length) : event.actor;
      if (fired?.action === 'alert') alerter.policyFired(event.agent, policy, fired.condition ?? '');
    }
  });
  bus.on('request', (record) => {
    live.onRequest(record);
    dashboard.notify();
    // Only spend moves a budget toward a threshold.
    if (record.row.costUsd !== null && record.row.costUsd > 0) alerter.checkBudget(record.row.agent);
  });
}

/** Request ids: unique per process by the counter, across processes by the random prefix; no random bytes per request. */
function requestIds(): () => string {
  const prefix = `req_${randomBytes(6).toString('hex')}`;
  let counter = 0;
  return () => `${prefix}${(counter++).toString(36).padStart(6, '0')}`;
}

/** What /metrics shows of budgets, breakers and pooled keys at the moment of a scrape. */
function gaugeReadings(controls: GatewayControls, keys: KeyPools, shared: SharedControls | undefined): GaugeReadings {
  const budgets: { agent: string; window: 'hourly' | 'daily' | 'total'; remainingUsd: number }[] = [];
  const left = (limit: number, spent: number): number => Math.max(0, limit - spent);
  for (const a of controls.registry.budgets()) {
    if (a.budget.hourly !== null) budgets.push({ agent: a.id, window: 'hourly', remainingUsd: left(a.budget.hourly, a.spend.hourUsd) });
    if (a.budget.daily !== null) budgets.push({ agent: a.id, window: 'daily', remainingUsd: left(a.budget.daily, a.spend.todayUsd) });
    if (a.budget.total !== null) budgets.push({ agent: a.id, window: 'total', remainingUsd: left(a.budget.total, a.spend.totalUsd) });
  }
  return {
    budgets,
    breakers: controls.breakers.snapshot().map((b) => ({ key: b.key, state: b.state })),
    keys: keys.states(),
    sharedStateUp: shared === undefined ? undefined : shared.view().status === 'up' ? 1 : 0,
  };
}

/** Each agent's spend in this instance's audit history, in nano-dollars: the rolling hour, today and lifetime. */
function spendHistory(store: WritableStore, controls: GatewayControls): { agent: string; hour: number; day: number; total: number }[] {
  const { hourFrom, dayFrom } = controls.ledger.windowStarts();
  const points = store.queries.spendPoints(hourFrom);
  return store.queries.agentSpend(dayFrom).map((s) => ({
    agent: s.agent,
    hour: points.filter((p) => p.agent === s.agent && controls.ledger.inHour(p.ts)).reduce((sum, p) => sum + usdToNanos(p.costUsd ?? 0), 0),
    day: usdToNanos(s.since.costUsd),
    total: usdToNanos(s.lifetime.costUsd),
  }));
}

/** Budgets, counters and pause state come back from the audit history and the overrides table. */
export function restoreFromStore(store: WritableStore, controls: GatewayControls, what: { spend: boolean; counters: boolean }): void {
  const { hourFrom, dayFrom } = controls.ledger.windowStarts();
  const spend = store.queries.agentSpend(dayFrom);
  const points = what.spend ? store.queries.spendPoints(hourFrom) : [];
  controls.registry.restore({
    aggregates: !what.spend ? [] : spend.map((s) => ({
      agent: s.agent,
      totalUsd: s.lifetime.costUsd,
      todayUsd: s.since.costUsd,
      lastHour: points.filter((p) => p.agent === s.agent && p.costUsd !== null).map((p) => ({ ts: p.ts, agent: p.agent, costUsd: p.costUsd ?? 0 })),
    })),
    counters: !what.counters ? [] : spend.map((s) => ({
      agent: s.agent,
      calls: s.lifetime.calls,
      errors: s.lifetime.errors,
      tokensIn: s.lifetime.inputTokens + s.lifetime.cacheReadTokens + s.lifetime.cacheWriteTokens,
      tokensOut: s.lifetime.outputTokens,
      lastCallAt: s.lastTs,
    })),
  });
}
