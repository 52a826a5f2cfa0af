/**
 * The one way tests start a gateway. `startTestGateway` runs it in this process: a YAML config (with `${VAR}` from
 * `env`), a SQLite file in a fresh temp dir, port 0 on 127.0.0.1; `rows()` flushes the batched writer and reads the
 * audit table back through a separate read-only connection, as an operator would. `spawnGateway` runs the built CLI
 * (`node bin/ai-gateway.js --no-tui`) as a child process, for tests that need real signals and a real process exit;
 * its address comes from its "listening on" log line (it binds port 0).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parseConfigText } from '../../src/config/index.js';
import { startGateway, checkPolicyCondition, type RunningGateway, type GatewayOptions } from '../../src/app/gateway.js';
import { Logger } from '../../src/observe/logger.js';
import { Redactor } from '../../src/observe/redact.js';
import type { Clock } from '../../src/core/clock.js';
import { BIN, ROOT } from './cli.js';

export interface TestGateway {
  gateway: RunningGateway;
  url: string;
  dir: string;
  dbPath: string;
  configPath: string;
  /** Every log line the gateway wrote. */
  logs: string[];
  /** Audit rows (snake_case columns), oldest first. */
  rows(): Record<string, unknown>[];
  controlEvents(): Record<string, unknown>[];
  stop(): Promise<void>;
}

export interface TestGatewayOptions {
  yaml: string;
  env?: Record<string, string>;
  clock?: Clock;
  extra?: Partial<GatewayOptions>;
  /** Reuse a directory (restart tests). */
  dir?: string;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** More `storage:` settings, e.g. `{ max_pending_rows: 3 }` (the helper writes the section for the path). */
  storage?: Record<string, string | number>;
}

export async function startTestGateway(options: TestGatewayOptions): Promise<TestGateway> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'ai-gateway-test-'));
  const dbPath = join(dir, 'audit.db');
  const configPath = join(dir, 'gateway.yaml');
  const storage = Object.entries(options.storage ?? {}).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}\n`).join('');
  const yaml = `${options.yaml}\nstorage:\n  path: ${JSON.stringify(dbPath)}\n${storage}`;
  writeFileSync(configPath, yaml);
  const result = parseConfigText(yaml, { file: configPath, env: options.env ?? {}, baseDir: dir, checkPolicyCondition });
  if (!result.config) throw new Error(`test config invalid:\n${result.errors.map((e) => e.message).join('\n')}`);
  const parsed = result.config;
  // A test that says nothing of retries gets one attempt per provider, so scripted failures reach it one for one;
  // tests of retries configure gateway.retries (or a provider's max_attempts) themselves.
  const retries = options.yaml.includes('retries:') ? parsed.gateway.retries : { ...parsed.gateway.retries, maxAttempts: 1 };
  const config = { ...parsed, gateway: { ...parsed.gateway, retries, port: 0, host: options.host ?? '127.0.0.1' } };
  const logs: string[] = [];
  const redactor = new Redactor();
  const logger = new Logger({ format: 'json', level: 'debug', sink: { write: (l) => logs.push(l) }, redactor });
  const gateway = await startGateway({ config, logger, redactor, flushIntervalMs: 10, ...(options.clock ? { clock: options.clock } : {}), ...options.extra });
  const read = <T>(sql: string): T[] => {
    gateway.store.sink.flush();
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql).all() as T[];
    } finally {
      db.close();
    }
  };
  let stopped = false;
  return {
    gateway,
    url: gateway.url,
    dir,
    dbPath,
    configPath,
    logs,
    rows: () => read<Record<string, unknown>>('SELECT * FROM requests ORDER BY ts, id'),
    controlEvents: () => read<Record<string, unknown>>('SELECT * FROM control_events ORDER BY id'),
    async stop() {
      if (stopped) return;
      stopped = true;
      await gateway.close();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns true (rows are written in batches, events arrive asynchronously). */
export async function eventually(check: () => boolean, timeoutMs = 5000, stepMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** The audit rows of `agent` once there are at least `count` of them (the writer batches). */
export async function agentRows(gw: TestGateway, agent: string, count = 1): Promise<Record<string, unknown>[]> {
  let rows: Record<string, unknown>[] = [];
  await eventually(() => {
    rows = gw.rows().filter((r) => r.agent === agent);
    return rows.length >= count;
  });
  return rows;
}

export const hasBuiltCli = existsSync(join(ROOT, 'dist/cli/main.js'));
export const SKIP_REASON = 'dist/cli/main.js is missing: run `npm run build` first (`npm test` builds before running)';

export interface SpawnedGateway {
  child: ChildProcess;
  url: string;
  /** Everything written to stderr so far (log lines). */
  stderr(): string;
  /** Resolves with the exit code (or the signal) once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

/** `command`: the program and its first arguments; by default the built CLI under this Node. */
export async function spawnGateway(args: { cwd: string; config: string; db: string; env?: Record<string, string>; command?: readonly string[] }): Promise<SpawnedGateway> {
  const [program, ...first] = args.command ?? [process.execPath, BIN];
  const child = spawn(program!, [...first, '--no-tui', '-c', args.config, '--db', args.db, '-p', '0', '--log-format', 'json'], {
    cwd: args.cwd,
    env: { ...process.env, ...args.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start within 15 s:\n${err}\n${out}`)), 15_000);
    const look = (): void => {
      const m = /listening on (http:\/\/[^\s"]+)/.exec(err + out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]!);
      }
    };
    child.stderr!.on('data', look);
    child.stdout!.on('data', look);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code ?? signal}) before listening:\n${err}\n${out}`));
    });
  });
  return {
    child,
    url,
    stderr: () => err + out,
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

