/**
 * The gateway's lifecycle: stopping releases everything it holds (socket, database lock, store), once however
 * often it is asked; retention runs one pass at a time and stays quiet when cut short by shutdown; shutdown
 * waits for requests in flight, but not for ever.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfigText, type GatewayConfig, type LoadResult } from '../../../src/config/index.js';
import { startGateway, checkPolicyCondition } from '../../../src/app/gateway.js';
import { InFlightRequests } from '../../../src/app/in-flight.js';
import { WorkerTokenCounter } from '../../../src/app/token-counter.js';
import { TOKENS_PER_MESSAGE, TOKENS_REPLY_PRIMER } from '../../../src/metering/index.js';
import { RetentionSchedule } from '../../../src/app/lifecycle.js';
import { acquireDbLock } from '../../../src/store/index.js';
import { Logger } from '../../../src/observe/logger.js';
import { FakeClock } from '../../helpers/clock.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function quietLogger(lines: string[] = []): Logger {
  return new Logger({ format: 'json', level: 'debug', sink: { write: (l) => lines.push(l) } });
}

/** A temporary directory, removed after the test. */
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ai-gateway-lifecycle-'));
  dirs.push(dir);
  return dir;
}

/** A mock-provider config with its audit at `dbPath`, plus `storage` lines, parsed as `dir`/gateway.yaml. */
function parseConfig(dir: string, dbPath: string, storage = ''): GatewayConfig {
  const yaml = `providers:\n  sim: { type: mock }\nmodels:\n  "m-*": sim\nstorage:\n  path: ${JSON.stringify(dbPath)}\n${storage}`;
  const parsed = parseConfigText(yaml, { file: join(dir, 'gateway.yaml'), env: {}, baseDir: dir, checkPolicyCondition });
  if (!parsed.config) throw new Error(parsed.errors.map((e) => e.message).join('\n'));
  return parsed.config;
}

/** The same, listening on a free port of 127.0.0.1. */
function gatewayConfig(dir: string, dbPath = join(dir, 'audit.db')): GatewayConfig {
  const config = parseConfig(dir, dbPath);
  return { ...config, gateway: { ...config.gateway, port: 0, host: '127.0.0.1' } };
}

/** Resolves true when a TCP connection to the port is accepted, false when it is refused. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('stopping a gateway', () => {
  it('closes the socket and the store and releases the database lock, once, when the dashboard quits', async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'audit.db');
    const config = gatewayConfig(dir, dbPath);
    const gateway = await startGateway({ config, logger: quietLogger() });
    expect(await accepts(gateway.port)).toBe(true);
    // While it runs, the file is taken.
    expect(() => acquireDbLock(dbPath, { address: 'second' })).toThrow(/another gateway is running/);

    // The dashboard's quit is the gateway's own stop; asking again gets the same stop.
    await gateway.dashboard.actions.quit?.();
    expect(await accepts(gateway.port)).toBe(false);
    expect(gateway.close()).toBe(gateway.close());
    await gateway.close();

    // The lock is gone: another gateway may take the file.
    acquireDbLock(dbPath, { address: 'second' }).release();
    // The store no longer takes rows or answers queries.
    expect(() => gateway.store.queries.recentRequests({ limit: 1 })).toThrow();
    // A retention pass after stop does nothing.
    expect(await gateway.pruneNow()).toBe(0);
  });

  it("ends the token counter's worker thread", async () => {
    const config = gatewayConfig(tempDir());
    // A worker speaking the counter's protocol that counts a text's characters: what the gateway answers shows it ran.
    const source = `import { parentPort } from 'node:worker_threads';
      parentPort.on('message', ({ id, texts }) => parentPort.postMessage({ id, counts: texts.map((t) => t.length) }));`;
    const tokens = new WorkerTokenCounter({ script: new URL(`data:text/javascript,${encodeURIComponent(source)}`), warn: () => undefined });
    const gateway = await startGateway({ config, logger: quietLogger(), tokens });
    const res = await fetch(`http://127.0.0.1:${gateway.port}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm-1', system: 'ab', messages: [{ role: 'user', content: 'abcd' }] }),
    });
    expect(await res.json()).toEqual({ input_tokens: TOKENS_REPLY_PRIMER + 2 * TOKENS_PER_MESSAGE + 2 + 4 });
    await gateway.close();
    // Closed: no worker is left to ask, so counts are byte estimates at once.
    expect(await tokens.countTokens(['abcdefgh'])).toEqual({ counts: [2], estimated: true });
  });
});

describe('reloading the config file', () => {
  it('loads one at a time in the order asked, so a slow older load never replaces a newer one', async () => {
    const dir = tempDir();
    const file = join(dir, 'gateway.yaml');
    const withRetention = (days: number): GatewayConfig => parseConfig(dir, join(dir, 'audit.db'), `  retention_days: ${days}\n`);
    const config = gatewayConfig(dir);
    // The first load is slow (a large file, a busy worker); the second, asked for later, reads a newer file.
    const events: string[] = [];
    let calls = 0;
    const loadConfig = async (): Promise<LoadResult> => {
      const n = ++calls;
      events.push(`start ${n}`);
      if (n === 1) await new Promise((resolve) => setTimeout(resolve, 150));
      events.push(`end ${n}`);
      return { config: withRetention(n === 1 ? 7 : 90), errors: [], warnings: [], source: { kind: 'file', path: file } };
    };
    const gateway = await startGateway({ config, configPath: file, logger: quietLogger(), loadConfig, adjustConfig: (c) => ({ ...c, gateway: { ...c.gateway, port: 0 } }) });
    try {
      const applied = await Promise.all([gateway.reloadFile('signal'), gateway.reloadFile('signal')]);
      expect(applied).toEqual([true, true]);
      expect(events).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
      expect(gateway.config().storage.retentionDays).toBe(90);
    } finally {
      await gateway.close();
    }
  });

  it('has nothing to reload on embedded defaults', async () => {
    const config = gatewayConfig(tempDir());
    const loadConfig = vi.fn();
    const gateway = await startGateway({ config, logger: quietLogger(), loadConfig });
    try {
      expect(await gateway.reloadFile('signal')).toBe(false);
      expect(loadConfig).not.toHaveBeenCalled();
    } finally {
      await gateway.close();
    }
  });
});

describe('RetentionSchedule', () => {
  function schedule(over: { days?: number; fail?: Error; stopped?: () => boolean } = {}) {
    const clock = new FakeClock('2025-03-10T12:00:00Z');
    const cutoffs: number[] = [];
    const lines: string[] = [];
    let finish: (n: number) => void = () => undefined;
    const retention = new RetentionSchedule({
      clock,
      logger: quietLogger(lines),
      store: {
        pruneOlderThan: (cutoff) => {
          cutoffs.push(cutoff);
          return over.fail ? Promise.reject(over.fail) : new Promise<number>((resolve) => (finish = resolve));
        },
      },
      days: () => over.days ?? 30,
      stopped: over.stopped ?? (() => false),
    });
    return { clock, cutoffs, lines, retention, finish: (n: number) => finish(n) };
  }

  it('prunes rows older than the retention, one pass at a time', async () => {
    const s = schedule({ days: 2 });
    const a = s.retention.pruneNow();
    const b = s.retention.pruneNow();
    expect(b).toBe(a);
    expect(s.cutoffs).toEqual([s.clock.now() - 2 * 86_400_000]);
    s.finish(7);
    expect(await a).toBe(7);
    expect(s.lines.join('\n')).toContain('retention pruned old audit rows');
    // The next call starts a new pass.
    void s.retention.pruneNow();
    expect(s.cutoffs).toHaveLength(2);
    s.finish(0);
  });

  it('keeps everything when retention is 0 days, and starts nothing once stopped', async () => {
    const none = schedule({ days: 0 });
    expect(await none.retention.pruneNow()).toBe(0);
    expect(none.cutoffs).toEqual([]);
    const stopped = schedule({ stopped: () => true });
    expect(await stopped.retention.pruneNow()).toBe(0);
    expect(stopped.cutoffs).toEqual([]);
  });

  it('reports a failed pass as 0 rows and a warning, but not one cut short by shutdown', async () => {
    const failing = schedule({ fail: new Error('disk I/O error') });
    expect(await failing.retention.pruneNow()).toBe(0);
    expect(failing.lines.join('\n')).toMatch(/retention failed.*disk I\/O error/);
    let stopping = false;
    const cut = schedule({ fail: new Error('The database connection is not open'), stopped: () => stopping });
    const pass = cut.retention.pruneNow();
    stopping = true;
    expect(await pass).toBe(0);
    expect(cut.lines.join('\n')).not.toContain('retention failed');
  });
});

describe('InFlightRequests', () => {
  it('is drained when the last request leaves', async () => {
    const inFlight = new InFlightRequests();
    await inFlight.drained(10_000);
    inFlight.enter();
    inFlight.enter();
    let done = false;
    const drained = inFlight.drained(10_000).then(() => (done = true));
    inFlight.leave();
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    inFlight.leave();
    await drained;
    expect(inFlight.size).toBe(0);
  });

  it('stops waiting after the timeout, whatever is still running', async () => {
    vi.useFakeTimers();
    try {
      const inFlight = new InFlightRequests();
      inFlight.enter();
      let done = false;
      const drained = inFlight.drained(10_000).then(() => (done = true));
      await vi.advanceTimersByTimeAsync(9_999);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await drained;
      expect(inFlight.size).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
