/**
 * A wired gateway's life: start (bind the socket, start the timers and the config watch), reload (apply a new
 * config, or keep the running one and say why), retention (prune old audit rows hourly, in the background), and
 * stop (stop accepting, drain the requests in flight, close the providers, flush and close the audit store).
 */
import type { Clock } from '../core/clock.js';
import { watchConfig, formatProblem, type ConfigWatcher, type LoadResult } from '../config/index.js';
import type { Logger } from '../observe/logger.js';
import { listen } from '../server/gateway-server.js';
import type { Retention } from '../store/index.js';
import { loadConfigOffThread } from './config-loader.js';
import { secretsOf } from './running-config.js';
import { restoreFromStore, type GatewayOptions, type GatewayParts } from './wiring.js';
import { messageOf } from '../core/errors.js';

const TICK_MS = 1000;
const RETENTION_EVERY_MS = 60 * 60 * 1000;
const FIRST_RETENTION_AFTER_MS = 5_000;
const DRAIN_TIMEOUT_MS = 10_000;

export class GatewayLifecycle {
  private closing: Promise<void> | undefined;
  private readonly retention: RetentionSchedule;
  private readonly tick: NodeJS.Timeout;
  private readonly watcher: ConfigWatcher | undefined;
  /**
   * Loads of the config file, one at a time in the order they were asked for, whoever asked (the file watch or a
   * signal): each reads the file later than the one before, so an older result never replaces a newer one.
   */
  private loads: Promise<unknown> = Promise.resolve();

  /** Binds the socket and starts the timers; on a failure to bind, the store is closed and its lock released. */
  static async start(p: GatewayParts, options: Pick<GatewayOptions, 'configPath' | 'adjustConfig' | 'loadConfig'>): Promise<GatewayLifecycle> {
    const { gateway, tracing } = p.running.config();
    // Shared spend is read before the first request; without Redis, this instance's own audit file stands in.
    if (p.shared !== undefined && !(await p.shared.start())) restoreFromStore(p.store, p.controls, { spend: true, counters: false });
    const failed = (err: unknown): never => {
      void p.tracing.close();
      p.store.close();
      p.lock?.release();
      void p.shared?.stop();
      throw err;
    };
    await p.tracing.open(tracing, p.logger).catch(failed);
    const bound = await listen(p.server, gateway.port, gateway.host).catch(failed);
    p.running.boundTo(bound.address, bound.port);
    const exposed = p.running.exposure();
    if (exposed !== undefined) p.logger.warn(exposed);
    p.lock?.setAddress(p.running.url);
    return new GatewayLifecycle(p, options);
  }

  private constructor(
    private readonly p: GatewayParts,
    private readonly options: Pick<GatewayOptions, 'configPath' | 'adjustConfig' | 'loadConfig'>,
  ) {
    this.tick = setInterval(() => {
      p.controls.registry.tick();
      p.dashboard.notify();
    }, TICK_MS);
    this.tick.unref();
    this.retention = new RetentionSchedule({
      clock: p.clock,
      logger: p.logger,
      store: p.store.retention,
      days: () => p.running.config().storage.retentionDays,
      stopped: () => p.shutdown.signal.aborted,
    });
    this.retention.start();
    this.watcher = options.configPath
      ? watchConfig(options.configPath, (result) => this.reload(this.adjusted(result)), {
          load: (path) => this.queueLoad(path),
          onError: (err: unknown) => p.logger.warn('config watch failed', { error: messageOf(err) }),
        })
      : undefined;
  }

  /**
   * Reads the config file again and applies it (SIGHUP); resolves to whether it was applied, false too when the
   * gateway runs on embedded defaults.
   */
  async reloadFile(actor = 'signal'): Promise<boolean> {
    const path = this.options.configPath;
    if (path === undefined) return false;
    return this.reload(this.adjusted(await this.queueLoad(path)), actor);
  }

  private queueLoad(path: string): Promise<LoadResult> {
    const load = this.options.loadConfig ?? loadConfigOffThread;
    const next = this.loads.then(() => load(path));
    // A load never rejects (a failure is a load error), but the queue must not stop if one ever did.
    this.loads = next.catch(() => undefined);
    return next;
  }

  private adjusted(result: LoadResult): LoadResult {
    const adjust = this.options.adjustConfig;
    return result.config && adjust ? { ...result, config: adjust(result.config) } : result;
  }

  /** Applies a new config; returns false (and keeps the old one) when it is invalid or the controls reject it. */
  reload(result: LoadResult, actor = 'config'): boolean {
    const p = this.p;
    const file = result.source.kind === 'file' ? result.source.path : 'embedded defaults';
    const refuse = (banner: string, message: string, detail: Record<string, string>): false => {
      p.running.banner = banner;
      p.logger.warn(message, { file, ...detail });
      p.bus.emit('control', { ts: p.clock.now(), agent: null, kind: 'config_reload', actor, newValue: { ok: false }, reason: banner });
      return false;
    };
    // A load that finishes while the gateway stops (a signal's, say) must not open new upstream pools after the old
    // ones were closed.
    if (this.closing !== undefined) {
      p.logger.warn('config reload ignored: the gateway is stopping', { file });
      return false;
    }
    if (result.config === undefined) {
      const problems = result.errors.map(formatProblem);
      return refuse(`config ${file} is invalid; still running the previous config: ${problems[0] ?? ''}`, 'config reload rejected; keeping the running config', { problems: problems.join(' | ') });
    }
    const next = result.config;
    try {
      p.controls.reconfigure(next);
    } catch (err) {
      const banner = `config ${file} was not applied: ${messageOf(err)}`;
      return refuse(banner, 'config reload rejected by the controls', { error: banner });
    }
    // on_outage applies live; a new Redis address or prefix would split this instance from its fleet mid-run.
    const sharedBefore = p.running.config().sharedState;
    if (next.sharedState.redis !== sharedBefore.redis || next.sharedState.prefix !== sharedBefore.prefix) {
      p.logger.warn('shared_state.redis and shared_state.prefix apply at the next start');
    }
    const retired = p.providers.apply(next);
    p.keys.apply(next.providers.values());
    p.meter.reconfigure(next);
    p.store.sink.setPendingLimit(next.storage.maxPendingRows);
    p.running.apply(next);
    p.redactor.setSecrets(secretsOf(next));
    p.running.banner = undefined;
    if (p.tracing.changedBy(next.tracing)) p.logger.warn('tracing settings changed; restart the gateway to apply them', { file });
    // Replaced upstream pools close once their in-flight requests are done (undici's close waits for them).
    for (const provider of retired) void provider.close();
    p.logger.info('config reloaded', { file });
    p.bus.emit('control', { ts: p.clock.now(), agent: null, kind: 'config_reload', actor, newValue: { ok: true }, reason: `reloaded ${file}` });
    return true;
  }

  pruneNow(): Promise<number> {
    return this.retention.pruneNow();
  }

  /** Stops the gateway once; later calls get the same promise. */
  close(): Promise<void> {
    this.closing ??= this.stop();
    return this.closing;
  }

  private async stop(): Promise<void> {
    const p = this.p;
    p.shutdown.abort();
    clearInterval(this.tick);
    this.retention.stop();
    this.watcher?.close();
    await drainServer(p.server);
    await p.inFlight.drained(DRAIN_TIMEOUT_MS);
    await p.shared?.stop();
    await p.providers.closeAll();
    // After the drain: the spans of the last requests are exported before the process goes.
    await p.tracing.close();
    await p.alerter.close();
    await p.meter.close();
    p.store.close();
    p.lock?.release();
  }
}

/**
 * Stops accepting: keep-alive sockets go as soon as they are idle; long streams get a grace period, then are cut
 * (and still metered by their pipelines).
 */
function drainServer(server: GatewayParts['server']): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    server.closeIdleConnections();
    setTimeout(() => {
      clearInterval(idle);
      server.closeAllConnections();
      resolve();
    }, DRAIN_TIMEOUT_MS).unref();
    server.once('close', () => clearInterval(idle));
  });
}

export interface RetentionDeps {
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn'>;
  store: Pick<Retention, 'pruneOlderThan'>;
  /** The configured retention in days; 0 or less keeps everything. */
  days: () => number;
  /** True once the gateway is shutting down: no new pass starts, and a pass cut short is no failure. */
  stopped: () => boolean;
}

/** Audit retention: a pass shortly after start, then hourly; one pass at a time, each deleting in small batches. */
export class RetentionSchedule {
  private running: Promise<number> | undefined;
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly d: RetentionDeps) {}

  start(): void {
    const prune = (): void => void this.pruneNow();
    this.timers = [setInterval(prune, RETENTION_EVERY_MS), setTimeout(prune, FIRST_RETENTION_AFTER_MS)];
    for (const t of this.timers) t.unref();
  }

  stop(): void {
    for (const t of this.timers.splice(0)) clearTimeout(t);
  }

  /** Runs a pass now (or joins the one running); resolves to the rows removed. */
  pruneNow(): Promise<number> {
    if (this.running) return this.running;
    const days = this.d.days();
    if (days <= 0 || this.d.stopped()) return Promise.resolve(0);
    this.running = this.d.store
      .pruneOlderThan(this.d.clock.now() - days * 86_400_000)
      .then(
        (n) => {
          if (n > 0) this.d.logger.info('retention pruned old audit rows', { rows: n, retention_days: days });
          return n;
        },
        (err: unknown) => {
          // Shutdown closes the store under a running pass; that is not a failure worth a warning.
          if (!this.d.stopped()) this.d.logger.warn('retention failed', { error: messageOf(err) });
          return 0;
        },
      )
      .finally(() => (this.running = undefined));
    return this.running;
  }
}
