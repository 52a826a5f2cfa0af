/**
 * `ai-gateway [start]`: load the config (or the demo's), start the gateway, then either the dashboard
 * (stdout is a terminal) or log lines. SIGINT/SIGTERM drain and flush; SIGHUP reloads the config.
 */
import { resolve } from 'node:path';
import type { GatewayConfig } from '../../config/types.js';
import { loadConfig, parseConfigText, formatProblem, type LoadResult } from '../../config/index.js';
import { ConfigError } from '../../config/problems.js';
import { startGateway, checkPolicyCondition, type RunningGateway } from '../../app/gateway.js';
import { BatchedSink, Logger, type LogSink } from '../../observe/logger.js';
import { Redactor } from '../../observe/redact.js';
import { DEMO_AGENTS, DEMO_CONFIG_YAML, demoMockBehaviour } from '../../demo/demo-config.js';
import { startSimulatedAgents } from '../../demo/simulated-agents.js';
import { VERSION } from '../../core/version.js';
import { DbLockedError } from '../../store/index.js';
import { boundOldGeneration, releaseYoungGeneration } from '../../runtime/heap-sizing.js';
import { DEMO_DB_FILE, displayPath } from '../paths.js';
import { onClosedOutput } from '../closed-output.js';
import { UserError, EXIT_RUNTIME, EXIT_USAGE } from '../exit.js';
import { preferLiveFrames } from './live-frames.js';
import type { StartFlags } from '../program.js';

const IN_PROCESS_FPS = 4;

export async function runStart(flags: StartFlags): Promise<void> {
  const useTui = flags.tui && process.stdout.isTTY === true && process.stdin.isTTY === true;
  const redactor = new Redactor();
  const stderr = new BatchedSink((text) => process.stderr.write(text));
  process.once('exit', () => stderr.flush());
  const sink: LogSink = useTui ? { write: () => {} } : stderr;
  const logger = new Logger({ format: flags.logFormat, sink, redactor });

  // A gateway whose log reader went away (`--no-tui 2>&1 | head`) keeps serving: the audit keeps every request.
  onClosedOutput(() => {});
  // Before the dashboard takes the screen, say what is happening (a large history takes a moment to open).
  const progress = (line: string): void => {
    if (useTui) process.stderr.write(`ai-gateway: ${line}\n`);
    else logger.info(line);
  };

  const loaded = flags.demo ? demoConfig(flags) : loadConfig({ ...(flags.config ? { path: flags.config } : {}), checkPolicyCondition });
  for (const w of loaded.warnings) logger.warn(formatProblem(w));
  const config = withCliOverrides(loaded.config, flags);
  progress(`opening ${displayPath(config.storage.path)}…`);

  let gateway: RunningGateway;
  try {
    gateway = await startGateway({
      config,
      configPath: loaded.source.kind === 'file' && !flags.demo ? loaded.source.path : undefined,
      adjustConfig: (next) => withCliOverrides(next, flags),
      logger,
      redactor,
      ...(flags.demo ? { mockBehaviour: demoMockBehaviour } : {}),
    });
  } catch (err) {
    if (err instanceof DbLockedError) throw new UserError(err.message, EXIT_USAGE);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UserError(`port ${config.gateway.port} on ${config.gateway.host} is in use: is another gateway running? Use --port to pick another.`, EXIT_RUNTIME);
    if (code === 'EACCES') throw new UserError(`not allowed to listen on ${config.gateway.host}:${config.gateway.port}`, EXIT_RUNTIME);
    throw err;
  } finally {
    // Started (or not): what comes now is traffic.
    releaseYoungGeneration();
    boundOldGeneration();
  }

  const simulation = flags.demo ? startSimulatedAgents(gateway.url, DEMO_AGENTS) : undefined;
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await simulation?.stop();
    await gateway.close();
  };

  // The gateway knows its file (none for the demo and embedded defaults) and queues this load behind the watch's.
  process.on('SIGHUP', () => void gateway.reloadFile('signal'));

  if (useTui) {
    progress(`listening on ${gateway.url}; opening the dashboard…`);
    preferLiveFrames();
    const { runDashboard } = await import('../../tui/run.js');
    const shutdown = (): void => {
      void stop().then(() => process.exit(0));
    };
    process.once('SIGTERM', shutdown);
    gateway.dashboard.setQuitHandler(stop);
    // In the gateway's own process every frame costs proxy throughput: 4 data frames a second keep the numbers
    // live (keys still answer at once) while leaving the CPU to the requests.
    await runDashboard(gateway.dashboard, { version: VERSION, maxFps: IN_PROCESS_FPS });
    await stop();
    // The store is flushed and closed; nothing is left to wait for (stdin may still hold the loop).
    process.exit(0);
  }

  const base = gateway.url;
  logger.info(`ai-gateway ${VERSION} listening on ${base}${flags.demo ? ' (demo: simulated providers and agents)' : ''}`, { db: config.storage.path, config: loaded.source.kind === 'file' ? loaded.source.path : 'embedded defaults' });
  logger.info(`point your tools here: export OPENAI_BASE_URL=${base}/v1 ANTHROPIC_BASE_URL=${base}`);
  gateway.bus.on('request', ({ row }) => {
    logger.log(row.status >= 500 ? 'error' : row.status >= 400 ? 'warn' : 'info', 'request', {
      request_id: row.id,
      agent: row.agent,
      model: row.model,
      provider: row.provider,
      status: row.status,
      error: row.errorCode,
      tokens_in: row.inputTokens + row.cacheReadTokens + row.cacheWriteTokens,
      tokens_out: row.outputTokens,
      cost_usd: row.provider === null ? undefined : row.costUsd === null ? 'unpriced' : Number(row.costUsd.toFixed(6)),
      latency_ms: row.latencyMs,
      stream: row.stream,
      estimated: row.estimated || undefined,
      dropped: row.dropped,
      adjusted: row.adjusted ?? undefined,
    });
  });
  await new Promise<void>((done) => {
    const onSignal = (signal: string): void => {
      logger.info(`${signal}: draining requests and flushing the audit store`);
      void stop().then(done);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}

function demoConfig(flags: StartFlags): LoadResult & { config: GatewayConfig } {
  const result = parseConfigText(DEMO_CONFIG_YAML, { file: '<demo>', checkPolicyCondition });
  if (!result.config) throw new ConfigError(result.errors, '<demo>');
  const config: GatewayConfig = flags.db ? result.config : { ...result.config, storage: { ...result.config.storage, path: resolve(DEMO_DB_FILE) } };
  return { ...result, config, source: { kind: 'embedded' } };
}

/** Flags beat the file: --port, --host, --db (re-applied on every reload). */
export function withCliOverrides(config: GatewayConfig, flags: Pick<StartFlags, 'port' | 'host' | 'db'>): GatewayConfig {
  return {
    ...config,
    gateway: { ...config.gateway, ...(flags.port !== undefined ? { port: flags.port } : {}), ...(flags.host ? { host: flags.host } : {}) },
    storage: flags.db ? { ...config.storage, path: resolve(flags.db) } : config.storage,
  };
}
