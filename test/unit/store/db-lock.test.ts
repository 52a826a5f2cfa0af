/** The database lock: one holder at a time, stale locks taken over, and nothing of someone else's removed. */
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireDbLock, DbLockedError, processAlive, type DbLock, type DbLockOptions } from '../../../src/store/index.js';
import { FakeScheduler, RecordingLogger, tempDir } from './helpers.js';

let t: ReturnType<typeof tempDir>;
let logger: RecordingLogger;
let scheduler: FakeScheduler;
const locks: DbLock[] = [];
const lockPath = (): string => `${t.dbPath}.lock`;

function acquire(extra: Partial<DbLockOptions> = {}): DbLock {
  const lock = acquireDbLock(t.dbPath, { address: 'http://127.0.0.1:8080', logger, scheduler, ...extra });
  locks.push(lock);
  return lock;
}

function plant(holder: { pid: number; hostname?: string; address?: string; started_at?: string }, ageMs = 0): void {
  writeFileSync(lockPath(), JSON.stringify({ hostname: 'this-host', address: 'http://127.0.0.1:9999', started_at: '2025-01-01T00:00:00.000Z', ...holder }));
  const when = new Date(Date.now() - ageMs);
  utimesSync(lockPath(), when, when);
}

beforeEach(() => {
  t = tempDir();
  logger = new RecordingLogger();
  scheduler = new FakeScheduler();
});
afterEach(() => {
  for (const l of locks.splice(0)) l.release();
  t.cleanup();
});

describe('database lock', () => {
  it('is a 0600 file naming its holder, replaced in place with the real address, and removed on release', () => {
    const lock = acquire({ address: 'starting on 127.0.0.1:0', hostname: 'this-host' });
    expect(statSync(lockPath()).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(lockPath(), 'utf8'))).toMatchObject({ pid: process.pid, hostname: 'this-host', address: 'starting on 127.0.0.1:0' });
    lock.setAddress('http://127.0.0.1:41234');
    expect(JSON.parse(readFileSync(lockPath(), 'utf8'))).toMatchObject({ pid: process.pid, address: 'http://127.0.0.1:41234' });
    expect(statSync(lockPath()).mode & 0o777).toBe(0o600);
    lock.release();
    expect(existsSync(lockPath())).toBe(false);
  });

  it('a second holder is refused with a message naming the first (PID and address)', () => {
    acquire({ address: 'http://127.0.0.1:8080' });
    let error: unknown;
    try {
      acquire({ address: 'http://127.0.0.1:8081' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DbLockedError);
    expect((error as Error).message).toContain(`PID ${process.pid}`);
    expect((error as Error).message).toContain('http://127.0.0.1:8080');
    expect((error as Error).message).toContain(t.dbPath);
  });

  it('a lock whose process is gone is taken over, with a log line naming it', () => {
    plant({ pid: 4242, hostname: 'this-host', address: 'http://127.0.0.1:9999' });
    acquire({ hostname: 'this-host', isAlive: (pid) => pid !== 4242 });
    expect(JSON.parse(readFileSync(lockPath(), 'utf8')).pid).toBe(process.pid);
    const line = logger.lines.find((l) => l.msg.includes('stale'));
    expect(line?.level).toBe('warn');
    expect(line?.fields).toMatchObject({ pid: 4242, address: 'http://127.0.0.1:9999', reason: 'PID 4242 is not running' });
  });

  it('a live process on this host keeps its lock', () => {
    plant({ pid: 4242, hostname: 'this-host' });
    expect(() => acquire({ hostname: 'this-host', isAlive: () => true })).toThrow(/PID 4242 at http:\/\/127\.0\.0\.1:9999/);
    expect(JSON.parse(readFileSync(lockPath(), 'utf8')).pid).toBe(4242);
  });

  it('a lock with this process\'s PID that this process never took is stale (a restarted container reuses PIDs)', () => {
    plant({ pid: process.pid, hostname: 'this-host' });
    acquire({ hostname: 'this-host' });
    expect(logger.lines.some((l) => l.msg.includes('stale'))).toBe(true);
  });

  it('a lock from another host counts as held while it is refreshed, and stale a minute after', () => {
    plant({ pid: 1, hostname: 'other-host' }, 10_000);
    expect(() => acquire({ hostname: 'this-host' })).toThrow(DbLockedError);
    plant({ pid: 1, hostname: 'other-host' }, 120_000);
    acquire({ hostname: 'this-host' });
    expect(logger.lines.find((l) => l.msg.includes('stale'))?.fields?.reason).toMatch(/refreshed 120 s ago from host other-host/);
  });

  it('the holder refreshes the file\'s mtime', () => {
    acquire();
    const old = new Date(Date.now() - 300_000);
    utimesSync(lockPath(), old, old);
    expect(scheduler.delays()).toEqual([15_000]);
    scheduler.fireAll();
    expect(Date.now() - statSync(lockPath()).mtimeMs).toBeLessThan(5_000);
    expect(scheduler.delays()).toEqual([15_000]);
  });

  it('an unreadable lock is left alone while fresh (a gateway may be writing it) and taken over when old', () => {
    writeFileSync(lockPath(), '');
    expect(() => acquire()).toThrow(/starting on .* right now/);
    const old = new Date(Date.now() - 120_000);
    utimesSync(lockPath(), old, old);
    acquire();
    expect(JSON.parse(readFileSync(lockPath(), 'utf8')).pid).toBe(process.pid);
  });

  it('release leaves alone a lock that someone else holds now', () => {
    const lock = acquire();
    plant({ pid: 4242 });
    lock.release();
    expect(JSON.parse(readFileSync(lockPath(), 'utf8')).pid).toBe(4242);
  });

  it('processAlive: this process is, a PID above the kernel maximum is not', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(2 ** 22 + 1)).toBe(false);
  });
});
