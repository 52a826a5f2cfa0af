/**
 * One gateway per database file. Two gateways on one file would each enforce budgets and pauses on their own,
 * and together overspend, so a running gateway holds `<db>.lock`: created atomically (O_EXCL), 0600, naming its
 * holder (PID, host, address, start time). A second gateway finds it and refuses to start.
 *
 * A lock whose holder is gone (SIGKILL, a crash, a power cut) is stale and is taken over with a log line. On the
 * same host the holder's PID answers that. A holder on another host (a container sharing the volume) cannot be
 * asked, so every holder refreshes the file's mtime and a foreign lock left unrefreshed for a minute is stale.
 * Readers (`export`, the CLI with the gateway stopped) take no lock: WAL lets them read beside the writer.
 */
import { linkSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { dirname } from 'node:path';
import type { StoreLogger } from './audit-writer.js';
import { systemTimers, type Timers } from '../core/clock.js';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from './private-files.js';
import { messageOf } from '../core/errors.js';

export interface LockHolder {
  pid: number;
  hostname: string;
  /** Where the holder listens (`http://127.0.0.1:8080`), or `starting on …` before it does. */
  address: string;
  /** ISO time the holder started. */
  startedAt: string;
}

export class DbLockedError extends Error {
  constructor(
    readonly lockPath: string,
    readonly holder: LockHolder | undefined,
    dbPath: string,
  ) {
    super(
      holder
        ? `another gateway is running on ${dbPath}: PID ${holder.pid} at ${holder.address} (host ${holder.hostname}, started ${holder.startedAt}). ` +
            `Stop it first, or give this one its own file with --db. If that process is not an ai-gateway, delete ${lockPath}.`
        : `another gateway is starting on ${dbPath} right now (${lockPath} is being written). If none is, delete ${lockPath}.`,
    );
    this.name = 'DbLockedError';
  }
}

export interface DbLockOptions {
  /** What to write as the address until `setAddress` gives the real one. */
  address: string;
  logger?: StoreLogger | undefined;
  /** Injected for tests. */
  pid?: number;
  hostname?: string;
  now?: () => number;
  isAlive?: (pid: number) => boolean;
  scheduler?: Timers;
  /** How often the holder refreshes the lock's mtime (default 15 s), and how old a foreign lock must be to be stale (60 s). */
  heartbeatMs?: number;
  staleAfterMs?: number;
}

/** `kill(pid, 0)`: no signal is sent; EPERM means the process exists but belongs to someone else. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Locks this process holds, released on exit whatever path the exit takes. */
const held = new Set<DbLock>();
let exitHookInstalled = false;

export class DbLock {
  private released = false;
  private heartbeat: unknown = undefined;
  private holder: LockHolder;

  constructor(
    readonly path: string,
    holder: LockHolder,
    private readonly o: Required<Pick<DbLockOptions, 'heartbeatMs'>> & { scheduler: Timers; logger: StoreLogger | undefined },
  ) {
    this.holder = holder;
    this.beat();
  }

  /** Records the address the gateway listens on, once it is known. */
  setAddress(address: string): void {
    if (this.released) return;
    this.holder = { ...this.holder, address };
    // Written beside and renamed over: a reader never sees a half-written holder.
    const tmp = `${this.path}.${this.holder.pid}.tmp`;
    writeFileSync(tmp, serialize(this.holder), { mode: PRIVATE_FILE_MODE });
    renameSync(tmp, this.path);
  }

  /** Removes the lock if it is still ours (a lock taken over meanwhile belongs to someone else). Safe to call twice. */
  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this);
    if (this.heartbeat !== undefined) this.o.scheduler.clearTimeout(this.heartbeat);
    try {
      if (readFileSync(this.path, 'utf8') === serialize(this.holder)) unlinkSync(this.path);
    } catch {
      // Already gone.
    }
  }

  private beat(): void {
    this.heartbeat = this.o.scheduler.setTimeout(() => {
      if (this.released) return;
      try {
        const now = new Date();
        utimesSync(this.path, now, now);
      } catch (err) {
        this.o.logger?.warn('could not refresh the database lock file', { path: this.path, error: messageOf(err) });
      }
      this.beat();
    }, this.o.heartbeatMs);
  }
}

function serialize(h: LockHolder): string {
  return `${JSON.stringify({ pid: h.pid, hostname: h.hostname, address: h.address, started_at: h.startedAt })}\n`;
}

function parse(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (typeof v.pid !== 'number' || typeof v.hostname !== 'string' || typeof v.address !== 'string' || typeof v.started_at !== 'string') return undefined;
    return { pid: v.pid, hostname: v.hostname, address: v.address, startedAt: v.started_at };
  } catch {
    return undefined;
  }
}

/** What is in a lock file now; undefined when it vanished meanwhile. */
function readLock(path: string): { raw: string; holder: LockHolder | undefined; mtimeMs: number } | undefined {
  try {
    const mtimeMs = statSync(path).mtimeMs;
    const raw = readFileSync(path, 'utf8');
    return { raw, holder: parse(raw), mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Takes the database's lock, taking over a stale one, or throws DbLockedError naming the gateway that holds it.
 * `:memory:` databases need none.
 */
export function acquireDbLock(dbPath: string, options: DbLockOptions): DbLock {
  const path = `${dbPath}.lock`;
  const pid = options.pid ?? process.pid;
  const hostname = options.hostname ?? osHostname();
  const now = options.now ?? Date.now;
  const isAlive = options.isAlive ?? processAlive;
  const staleAfterMs = options.staleAfterMs ?? 60_000;
  const holder: LockHolder = { pid, hostname, address: options.address, startedAt: new Date(now()).toISOString() };
  ensurePrivateDir(dirname(dbPath));

  /** Why the lock found is stale, or undefined when its holder may be alive. */
  const staleness = (found: { holder: LockHolder | undefined; mtimeMs: number }): string | undefined => {
    const age = now() - found.mtimeMs;
    const h = found.holder;
    // Unreadable: a gateway may be between creating and writing it; only an old one is garbage.
    if (h === undefined) return age > staleAfterMs ? 'its content is unreadable' : undefined;
    if (h.hostname !== hostname) return age > staleAfterMs ? `it was last refreshed ${Math.round(age / 1000)} s ago from host ${h.hostname}` : undefined;
    if (h.pid === pid) {
      // Our own PID: held by this very process, or left by an earlier process that had the same PID (containers).
      return [...held].some((l) => l.path === path) ? undefined : `PID ${h.pid} is this process, which did not take it`;
    }
    return isAlive(h.pid) ? undefined : `PID ${h.pid} is not running`;
  };

  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      writeFileSync(path, serialize(holder), { flag: 'wx', mode: PRIVATE_FILE_MODE });
      const lock = new DbLock(path, holder, { heartbeatMs: options.heartbeatMs ?? 15_000, scheduler: options.scheduler ?? systemTimers, logger: options.logger });
      held.add(lock);
      if (!exitHookInstalled) {
        exitHookInstalled = true;
        // SIGINT/SIGTERM close the gateway (which releases); this covers any other exit that still runs JS.
        process.on('exit', () => {
          for (const l of [...held]) l.release();
        });
      }
      return lock;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const found = readLock(path);
    if (found === undefined) continue;
    const stale = staleness(found);
    if (stale === undefined) throw new DbLockedError(path, found.holder, dbPath);
    if (takeOver(path, found.raw, pid)) {
      options.logger?.warn('took over a stale database lock left by a gateway that is gone', {
        path,
        reason: stale,
        pid: found.holder?.pid,
        address: found.holder?.address,
        started_at: found.holder?.startedAt,
      });
    }
  }
  throw new DbLockedError(path, readLock(path)?.holder, dbPath);
}

/**
 * Moves a stale lock aside, unless it changed since it was read (another gateway took it over first): then it
 * is put back. Returns whether the stale lock was removed.
 */
function takeOver(path: string, staleRaw: string, pid: number): boolean {
  const aside = `${path}.stale-${pid}`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  let raw: string | undefined;
  try {
    raw = readFileSync(aside, 'utf8');
  } catch {
    raw = undefined;
  }
  if (raw !== staleRaw) {
    try {
      linkSync(aside, path);
    } catch {
      // Yet another lock appeared in the meantime; it stands.
    }
  }
  unlinkSync(aside);
  return raw === staleRaw;
}
