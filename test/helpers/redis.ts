/**
 * A private redis-server for tests of the shared state: the binary from PATH on a free 127.0.0.1 port, with its
 * own temporary directory. It keeps its data across `stop()` + `start()` the way a production Redis does (an
 * append-only file, synced on every write), so a restart test sees the same keys; `stop({ crash: true })` kills it
 * without a shutdown. Without redis-server on PATH the tests that need it are skipped with `REDIS_SKIP_REASON`,
 * except under CI, where a missing server is an install failure and fails loudly.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;

function findRedisServer(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path.length > 0 ? path : undefined;
}

const REDIS_SERVER = findRedisServer();

/** Why the shared-state tests cannot run here, or undefined when they can. Throws under CI instead of skipping. */
export function redisSkipReason(): string | undefined {
  if (REDIS_SERVER !== undefined) return undefined;
  const why = 'redis-server is not on PATH: install it (apt-get install redis-server) to run the shared-state tests';
  if (process.env.CI) throw new Error(`${why}; CI must install it (see .ci/run)`);
  return why;
}

export interface PrivateRedis {
  /** `redis://127.0.0.1:<port>`, for `shared_state.redis`. */
  readonly url: string;
  readonly port: number;
  /** Its data directory (append-only file, log). */
  readonly dir: string;
  /** True while the server process runs. */
  readonly running: boolean;
  /** Everything the server wrote (its log), across restarts. */
  log(): string;
  /** A client for checks from the test (closed by `cleanup`). */
  client(): Redis;
  /** Shuts the server down and waits for its exit; `crash` kills it with SIGKILL instead (no final sync). */
  stop(options?: { crash?: boolean }): Promise<void>;
  /** Starts it again on the same port and directory; resolves once it answers PING. */
  start(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open and commands get no answer, as with a hung host. */
  freeze(): void;
  /** Lets a frozen server run again (SIGCONT); it then answers what it received meanwhile. */
  thaw(): void;
  /** stop() then start(); `wipe` deletes its data in between, as a Redis without persistence comes back. */
  restart(options?: { wipe?: boolean }): Promise<void>;
  /** Stops the server, closes test clients and removes the directory. */
  cleanup(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once a fresh connection answers PING with PONG; rejects at the deadline or when the process exits. */
async function waitForPing(port: number, exited: () => string | undefined, deadline: number): Promise<void> {
  for (;;) {
    const why = exited();
    if (why !== undefined) throw new Error(why);
    const probe = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
    probe.on('error', () => {}); // refused connections while the server starts are expected
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') return;
    } catch {
      // not up yet
    } finally {
      probe.disconnect();
    }
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within ${START_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  if (REDIS_SERVER === undefined) throw new Error(redisSkipReason() ?? 'redis-server is not on PATH');
  const server = REDIS_SERVER;
  const dir = mkdtempSync(join(tmpdir(), 'ai-gateway-redis-'));
  const clients: Redis[] = [];
  let output = '';
  let child: ChildProcess | undefined;
  let exit: Promise<void> = Promise.resolve();
  let port = 0;

  const launch = async (): Promise<void> => {
    if (child !== undefined) throw new Error(`redis-server on port ${port} is already running`);
    const args = [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--dir', dir,
      // Data survives a restart through the append-only file, synced on every write; no RDB snapshots.
      '--save', '',
      '--appendonly', 'yes',
      '--appendfsync', 'always',
      '--daemonize', 'no',
      '--protected-mode', 'yes',
      '--loglevel', 'notice',
    ];
    const proc = spawn(server, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let exitedWith: string | undefined;
    proc.stdout!.on('data', (d: Buffer) => (output += d.toString('utf8')));
    proc.stderr!.on('data', (d: Buffer) => (output += d.toString('utf8')));
    exit = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        exitedWith = `redis-server exited (${code ?? signal}) before answering PING:\n${output.slice(-2000)}`;
        resolve();
      });
    });
    try {
      await waitForPing(port, () => exitedWith, Date.now() + START_TIMEOUT_MS);
    } catch (err) {
      proc.kill('SIGKILL');
      await exit;
      child = undefined;
      throw err;
    }
  };

  // Another process may take the free port between the probe and redis-server's bind: try a few ports.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (err) {
      if (attempt >= 3 || !/Address already in use/i.test(output)) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  const stop = async (options: { crash?: boolean } = {}): Promise<void> => {
    const proc = child;
    if (proc === undefined) return;
    proc.kill('SIGCONT'); // a frozen server could not act on SIGTERM
    // SIGTERM is Redis' own shutdown: it syncs the append-only file and exits 0.
    proc.kill(options.crash ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exit;
    clearTimeout(timer);
    child = undefined;
  };

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get running() {
      return child !== undefined;
    },
    log: () => output,
    client() {
      const c = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, lazyConnect: false });
      c.on('error', () => {}); // the tests stop the server under it on purpose
      clients.push(c);
      return c;
    },
    stop,
    start: launch,
    freeze() {
      if (child === undefined) throw new Error('redis-server is not running');
      child.kill('SIGSTOP');
    },
    thaw() {
      child?.kill('SIGCONT');
    },
    async restart(options: { wipe?: boolean } = {}) {
      await stop();
      if (options.wipe) for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
      await launch();
    },
    async cleanup() {
      for (const c of clients.splice(0)) c.disconnect();
      await stop({ crash: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
