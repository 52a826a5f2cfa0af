/**
 * The composition root: builds every part of a running gateway from a config, starts the HTTP server and
 * the background timers, and shuts it all down in order (stop accepting, drain, flush the audit store).
 */
import type { Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../core/clock.js';
import { VERSION } from '../core/version.js';
import type { GatewayConfig } from '../config/types.js';
import { watchConfig, formatProblem, type LoadResult } from '../config/index.js';
import { acquireDbLock, openStore, type DbLock, type WritableStore } from '../store/index.js';
import { GatewayError } from '../core/errors.js';
import { EventBus } from '../observe/event-bus.js';
import type { Logger } from '../observe/logger.js';
import { GatewayMetrics, type GaugeReadings } from '../observe/metrics.js';
import { maskSecret, Redactor } from '../observe/redact.js';
import { clientFormatFor, createGatewayServer, listen } from '../server/gateway-server.js';
import { EdgePolicy, exposureWarning, machineNames } from '../server/edge-policy.js';
import { sendError } from '../server/render-error.js';
import type { RequestRecord } from '../pipeline/ports.js';
import type { MockBehaviour } from '../providers/mock.js';
import { loadSqliteNativeBinding } from '../runtime/sea.js';
import { ProviderSet } from './providers.js';
import { ConfigRouter } from './router.js';
import { PriceMeter } from './meter.js';
import { GatewayControls, SqliteControlPersistence } from './controls.js';
import { ControlActions } from './control-actions.js';
import { LiveState } from './live-state.js';
import { buildSnapshot, InProcessDashboardSource, type SnapshotDeps } from './dashboard.js';
import { RequestQueries } from './request-queries.js';
import { Alerter } from '../alerts/alerter.js';
import { localDayKey } from '../control/index.js';
import { handleAdmin, metricsAuthorized } from './admin-api.js';
import { createProxyRoutes, refusalRecord } from '../server/proxy-routes.js';
import { ConfigDirectory } from './directory.js';
import { MemoryResponseStore } from '../state/response-store.js';
import { checkPolicyCondition, loadConfigOffThread } from './config-loader.js';

export { checkPolicyCondition };
import { storedFromBreaker, storedFromRegistry, type GatewayEvents } from './events.js';

export interface GatewayOptions {
  config: GatewayConfig;
  /** The config file, watched for live reloads; undefined for embedded defaults. */
  configPath?: string | undefined;
  /** Applied to every reloaded config (command-line flags beat the file). */
  adjustConfig?: ((config: GatewayConfig) => GatewayConfig) | undefined;
  logger: Logger;
  /** The logger's redactor: the gateway keeps its list of secrets current. */
  redactor?: Redactor;
  clock?: Clock;
  /** Behaviour of mock providers (the demo gives one an outage). */
  mockBehaviour?: (name: string) => MockBehaviour | undefined;
  /** Upper bound of an upstream response body that is read whole (non-streamed). */
  maxResponseBytes?: number;
  /** How often the audit writer flushes, ms. */
  flushIntervalMs?: number;
  /** Time a client has to send its request headers, and its whole request (defaults 30 s and 300 s). */
  clientTimeouts?: { headersMs?: number; requestMs?: number };
}

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  readonly store: WritableStore;
  readonly bus: EventBus<GatewayEvents>;
  readonly metrics: GatewayMetrics;
  readonly controls: GatewayControls;
  readonly dashboard: InProcessDashboardSource;
  readonly actions: ControlActions;
  /** Log search, request detail and spend by model (what the dashboard and /api/logs, /api/usage ask). */
  readonly queries: RequestQueries;
  config(): GatewayConfig;
  /** Applies a new config; returns false (and keeps the old one) when the controls reject it. */
  reload(result: LoadResult, actor?: string): boolean;
  /** Runs a retention pass now (it also runs shortly after start and then hourly); resolves to the rows removed. */
  pruneNow(): Promise<number>;
  close(): Promise<void>;
}

const TICK_MS = 1000;
const RETENTION_EVERY_MS = 60 * 60 * 1000;
const DRAIN_TIMEOUT_MS = 10_000;
/** Characters of an error message kept in the audit (an upstream's error body can be long). */
const MAX_ERROR_MESSAGE = 2000;

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger;
  let config = options.config;
  let configBanner: string | undefined;
  const startedAt = clock.now();
  const redactor = options.redactor ?? new Redactor();
  redactor.setSecrets(secretsOf(config));

  const nativeBinding = loadSqliteNativeBinding();
  // One gateway per database file (throws DbLockedError naming the one running); released at close.
  const lock: DbLock | undefined =
    config.storage.path === ':memory:' ? undefined : acquireDbLock(config.storage.path, { address: `starting on ${config.gateway.host}:${config.gateway.port}`, logger });
  let store: WritableStore;
  try {
    store = openStore(config.storage.path, {
      logger,
      jsonlPath: config.storage.jsonl ?? null,
      pendingLimit: config.storage.maxPendingRows,
      ...(options.flushIntervalMs !== undefined ? { flushIntervalMs: options.flushIntervalMs } : {}),
      ...(nativeBinding !== undefined ? { nativeBinding } : {}),
    });
  } catch (err) {
    lock?.release();
    throw err;
  }
  const bus = new EventBus<GatewayEvents>();
  // The gauges read the controls when scraped (the controls are built below, before any scrape can come).
  const metrics = new GatewayMetrics({ maxLabelValues: config.metrics.maxLabelValues, gauges: () => gaugeReadings(controls) });
  const live = new LiveState(clock, startedAt);
  const providers = new ProviderSet({ clock, ...(options.mockBehaviour ? { mockBehaviour: options.mockBehaviour } : {}) });
  providers.apply(config);
  const meter = new PriceMeter(config, clock);
  const controls = new GatewayControls({
    clock,
    config,
    persistence: new SqliteControlPersistence(store.overrides),
    onControlEvent: (event) => {
      const stored = storedFromRegistry(event);
      if (stored) bus.emit('control', stored);
    },
    onBreakerTransition: (t) => bus.emit('control', storedFromBreaker(t)),
    onRateLimited: (agent) => metrics.rateLimitHit(agent),
  });
  restoreFromStore(store, controls);
  live.restoreLastErrors(store.queries.lastErrors());
  const queries = new RequestQueries({ clock, store, live, dayStart: () => controls.ledger.windowStarts().dayFrom });
  const router = new ConfigRouter(() => config, providers);
  const actions = new ControlActions(controls, clock);

  let address = '';
  /** The socket's own address and port, once listening (the config may say port 0 or a host name). */
  let listening = { address: config.gateway.host, port: config.gateway.port };
  const edgeFor = (c: GatewayConfig): EdgePolicy =>
    new EdgePolicy({ port: listening.port, boundAddress: listening.address, configuredHost: c.gateway.host, allowedHosts: c.gateway.allowedHosts, allowedOrigins: c.gateway.allowedOrigins, localNames: machineNames });
  let edge = edgeFor(config);
  const snapshotDeps: SnapshotDeps = {
    clock,
    address: () => address,
    startedAt,
    config: () => config,
    controls,
    live,
    configBanner: () => configBanner,
    exposureWarning: () => exposureWarning(listening.address, config.gateway.adminToken),
    storageBanner: () => store.sink.trouble(),
  };
  let closing: Promise<void> | undefined;
  const shutdown = new AbortController();
  const dashboard = new InProcessDashboardSource(snapshotDeps, actions, queries, () => close());

  const alerter = new Alerter({
    clock,
    logger,
    settings: () => config.alerts,
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
        dayKey: limits.daily === null ? '' : localDayKey(clock.now(), controls.ledger.timeZone),
      };
    },
    address: () => address,
  });
  // Alerts sent before a restart are not sent again in the same window.
  alerter.restore(store.queries.controlEvents({ kind: 'alert', limit: 10_000 }));

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

  const recorder = {
    record(record: RequestRecord): void {
      const row = record.row;
      // Error text can quote what an upstream said, and upstreams echo keys: it is stored and shown masked.
      if (row.errorMessage) row.errorMessage = redactor.redact(row.errorMessage.slice(0, MAX_ERROR_MESSAGE));
      store.sink.record(row);
      metrics.requestFinished({
        agent: row.agent,
        provider: row.provider ?? 'none',
        model: row.model || 'none',
        status: row.status,
        durationSeconds: row.latencyMs / 1000,
        ttfbSeconds: row.ttfbMs === null ? undefined : row.ttfbMs / 1000,
        tokens: { input: row.inputTokens, output: row.outputTokens, cacheRead: row.cacheReadTokens, cacheWrite: row.cacheWriteTokens, reasoning: row.reasoningTokens },
        costUsd: row.costUsd,
        streamEvents: record.streamEvents,
      });
      bus.emit('request', record);
    },
  };

  // Handlers still running (their metering and audit rows come last): shutdown waits for them.
  let inFlight = 0;
  const drained: (() => void)[] = [];

  // Unique per process by the counter, across processes by the random prefix; no random bytes per request.
  const idPrefix = `req_${randomBytes(6).toString('hex')}`;
  let idCounter = 0;
  const newId = (): string => `${idPrefix}${(idCounter++).toString(36).padStart(6, '0')}`;
  const settings = () => {
    const g = config.gateway;
    const virtualKeys = virtualKeysOf(config);
    return {
      maxBodyBytes: g.maxBodyBytes,
      strictTranslation: (agent: string) => config.agents.get(agent)?.strictTranslation ?? g.strictTranslation,
      defaultOutputCap: g.defaultOutputCap,
      maxResponseBytes: options.maxResponseBytes ?? g.maxResponseBodyBytes,
      virtualKeys,
      unknownAgents: g.unknownAgents,
      isKnownAgent: (id: string) => config.agents.has(id),
    };
  };
  // Settings are rebuilt per config, not per request.
  let cachedSettings = settings();

  const proxy = createProxyRoutes({
    clock,
    log: logger,
    settings: () => cachedSettings,
    router,
    controls,
    meter,
    recorder,
    directory: new ConfigDirectory(() => config, providers),
    responses: new MemoryResponseStore(clock, () => config.gateway.responseStore),
    redaction: { known: (text) => redactor.redact(text), withKey: maskSecret },
  });

  const server: Server = createGatewayServer(
    {
      newId,
      health: () => ({ status: 'ok', version: VERSION, uptime_seconds: Math.round((clock.now() - startedAt) / 1000) }),
      edge: () => edge,
      metricsAllowed: (req) => metricsAuthorized(req, config.gateway.adminToken),
      notReady: () => (closing ? 'shutting down' : store.sink.admitting() ? undefined : (store.sink.trouble() ?? 'the audit store cannot take more rows')),
      metrics: async () => ({ contentType: metrics.contentType, body: await metrics.render() }),
      admin: (req, res, path, query) =>
        handleAdmin(req, res, path, query, {
          clock,
          adminToken: () => config.gateway.adminToken,
          snapshot: () => buildSnapshot(snapshotDeps),
          store,
          bus,
          actions,
          breakers: () => controls.breakers.snapshot(),
          queries,
          closing: shutdown.signal,
        }),
      proxy: async (req, res, endpoint, agent, v1Path, search, requestId) => {
        // A request that could not be recorded is not served; those already admitted still get their rows.
        if (!store.sink.admitting()) return sendError(res, auditUnavailable(store.sink.trouble()), clientFormatFor(endpoint, req.headers), requestId);
        metrics.requestStarted();
        // While shutting down, keep-alive clients are told to reconnect elsewhere rather than reuse this socket.
        if (closing) res.setHeader('connection', 'close');
        inFlight++;
        try {
          await proxy(req, res, endpoint, agent, v1Path, search, requestId);
        } finally {
          metrics.requestEnded();
          if (--inFlight === 0) for (const wake of drained.splice(0)) wake();
        }
      },
      onError: (err, requestId) => logger.error('unhandled error', { request_id: requestId, error: err instanceof Error ? err.message : String(err) }),
      refused: (req, error, requestId, proxied) => {
        // A refused proxy call is audited like any other; a refused management or metrics call is only logged.
        if (proxied) recorder.record(refusalRecord(req, error, requestId, proxied, clock.now(), cachedSettings));
        else logger.warn('request refused', { request_id: requestId, code: error.code, path: (req.url ?? '').slice(0, 200), host: req.headers.host, origin: req.headers.origin });
      },
    },
    {
      maxHeaderBytes: config.gateway.maxHeaderSizeBytes,
      headersTimeoutMs: options.clientTimeouts?.headersMs ?? 30_000,
      requestTimeoutMs: options.clientTimeouts?.requestMs ?? 300_000,
    },
  );
  const bound = await listen(server, config.gateway.port, config.gateway.host).catch((err: unknown) => {
    store.close();
    lock?.release();
    throw err;
  });
  const host = bound.address.includes(':') ? `[${bound.address}]` : bound.address;
  address = `http://${host}:${bound.port}`;
  listening = { address: bound.address, port: bound.port };
  edge = edgeFor(config);
  const exposed = exposureWarning(bound.address, config.gateway.adminToken);
  if (exposed !== undefined) logger.warn(exposed);
  lock?.setAddress(address);

  const tick = setInterval(() => {
    controls.registry.tick();
    dashboard.notify();
  }, TICK_MS);
  tick.unref();

  // One pass at a time; a pass deletes in small batches, yielding to requests between them.
  let pruning: Promise<number> | undefined;
  const pruneNow = (): Promise<number> => {
    if (pruning) return pruning;
    const days = config.storage.retentionDays;
    if (days <= 0 || closing) return Promise.resolve(0);
    pruning = store.retention
      .pruneOlderThan(clock.now() - days * 86_400_000)
      .then(
        (n) => {
          if (n > 0) logger.info('retention pruned old audit rows', { rows: n, retention_days: days });
          return n;
        },
        (err: unknown) => {
          // Shutdown closes the store under a running pass; that is not a failure worth a warning.
          if (!closing) logger.warn('retention failed', { error: err instanceof Error ? err.message : String(err) });
          return 0;
        },
      )
      .finally(() => (pruning = undefined));
    return pruning;
  };
  const prune = (): void => void pruneNow();
  const retention = setInterval(prune, RETENTION_EVERY_MS);
  retention.unref();
  const firstPrune = setTimeout(prune, 5_000);
  firstPrune.unref();

  function reload(result: LoadResult, actor = 'config'): boolean {
    const file = result.source.kind === 'file' ? result.source.path : 'embedded defaults';
    if (result.config === undefined) {
      configBanner = `config ${file} is invalid; still running the previous config: ${result.errors.map(formatProblem)[0] ?? ''}`;
      logger.warn('config reload rejected; keeping the running config', { file, problems: result.errors.map(formatProblem).join(' | ') });
      bus.emit('control', { ts: clock.now(), agent: null, kind: 'config_reload', actor, newValue: { ok: false }, reason: configBanner });
      return false;
    }
    const next = result.config;
    try {
      controls.reconfigure(next);
    } catch (err) {
      configBanner = `config ${file} was not applied: ${err instanceof Error ? err.message : String(err)}`;
      logger.warn('config reload rejected by the controls', { file, error: configBanner });
      bus.emit('control', { ts: clock.now(), agent: null, kind: 'config_reload', actor, newValue: { ok: false }, reason: configBanner });
      return false;
    }
    const retired = providers.apply(next);
    meter.reconfigure(next);
    store.sink.setPendingLimit(next.storage.maxPendingRows);
    config = next;
    cachedSettings = settings();
    edge = edgeFor(next);
    redactor.setSecrets(secretsOf(next));
    configBanner = undefined;
    // Replaced upstream pools close once their in-flight requests are done (undici's close waits for them).
    for (const p of retired) void p.close();
    logger.info('config reloaded', { file });
    bus.emit('control', { ts: clock.now(), agent: null, kind: 'config_reload', actor, newValue: { ok: true }, reason: `reloaded ${file}` });
    return true;
  }

  const watcher = options.configPath
    ? watchConfig(options.configPath, (result) => reload(result.config && options.adjustConfig ? { ...result, config: options.adjustConfig(result.config) } : result), {
        load: (path) => loadConfigOffThread(path),
        onError: (err: unknown) => logger.warn('config watch failed', { error: err instanceof Error ? err.message : String(err) }),
      })
    : undefined;

  async function close(): Promise<void> {
    if (closing) return closing;
    closing = (async () => {
      shutdown.abort();
      clearInterval(tick);
      clearInterval(retention);
      clearTimeout(firstPrune);
      watcher?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets go as soon as they are idle; long streams get a grace period, then are cut
        // (and still metered by their pipelines).
        const idle = setInterval(() => server.closeIdleConnections(), 100);
        server.closeIdleConnections();
        setTimeout(() => {
          clearInterval(idle);
          server.closeAllConnections();
          resolve();
        }, DRAIN_TIMEOUT_MS).unref();
        server.once('close', () => clearInterval(idle));
      });
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          drained.push(resolve);
          setTimeout(resolve, DRAIN_TIMEOUT_MS).unref();
        });
      }
      await providers.closeAll();
      await alerter.close();
      store.close();
      lock?.release();
    })();
    return closing;
  }

  return {
    url: address,
    port: bound.port,
    store,
    bus,
    metrics,
    controls,
    dashboard,
    actions,
    queries,
    config: () => config,
    reload,
    pruneNow,
    close,
  };
}

/** The 503 for a request that arrives while the audit store cannot take its row. */
function auditUnavailable(trouble: string | undefined): GatewayError {
  return new GatewayError('audit_unavailable', `the gateway cannot record new requests right now, so it does not serve them: ${trouble ?? 'the audit store is full'}. Retry shortly.`, {
    retryAfter: 5,
  });
}

/** What /metrics shows of budgets and breakers at the moment of a scrape. */
function gaugeReadings(controls: GatewayControls): GaugeReadings {
  const budgets: { agent: string; window: 'hourly' | 'daily' | 'total'; remainingUsd: number }[] = [];
  const left = (limit: number, spent: number): number => Math.max(0, limit - spent);
  for (const a of controls.registry.snapshot()) {
    if (a.budget.hourly !== null) budgets.push({ agent: a.id, window: 'hourly', remainingUsd: left(a.budget.hourly, a.spend.hourUsd) });
    if (a.budget.daily !== null) budgets.push({ agent: a.id, window: 'daily', remainingUsd: left(a.budget.daily, a.spend.todayUsd) });
    if (a.budget.total !== null) budgets.push({ agent: a.id, window: 'total', remainingUsd: left(a.budget.total, a.spend.totalUsd) });
  }
  return { budgets, breakers: controls.breakers.snapshot().map((b) => ({ key: b.key, state: b.state })) };
}

/** Budgets, counters and pause state come back from the audit history and the overrides table. */
function restoreFromStore(store: WritableStore, controls: GatewayControls): void {
  const { hourFrom, dayFrom } = controls.ledger.windowStarts();
  const spend = store.queries.agentSpend(dayFrom);
  const points = store.queries.spendPoints(hourFrom);
  controls.registry.restore({
    aggregates: spend.map((s) => ({
      agent: s.agent,
      totalUsd: s.lifetime.costUsd,
      todayUsd: s.since.costUsd,
      lastHour: points.filter((p) => p.agent === s.agent && p.costUsd !== null).map((p) => ({ ts: p.ts, agent: p.agent, costUsd: p.costUsd ?? 0 })),
    })),
    counters: spend.map((s) => ({
      agent: s.agent,
      calls: s.lifetime.calls,
      errors: s.lifetime.errors,
      tokensIn: s.lifetime.inputTokens + s.lifetime.cacheReadTokens + s.lifetime.cacheWriteTokens,
      tokensOut: s.lifetime.outputTokens,
      lastCallAt: s.lastTs,
    })),
  });
}

function virtualKeysOf(config: GatewayConfig): Map<string, string> {
  const keys = new Map<string, string>();
  for (const a of config.agents.values()) for (const k of a.keys) keys.set(k, a.id);
  return keys;
}

function secretsOf(config: GatewayConfig): (string | undefined)[] {
  // A webhook URL carries its token in the path: it is a secret like a key.
  return [config.gateway.adminToken, config.alerts.webhook, ...[...config.providers.values()].map((p) => p.apiKey), ...[...config.agents.values()].flatMap((a) => a.keys)];
}
