/**
 * The audit writer against a database that fails the way a full, broken or busy disk does (SqliteError codes
 * from a fake connection over a real file). No row may be discarded for an environmental failure; only a row
 * the database rejects for itself is set aside, and then into a file, never silently.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatchedAuditWriter, openStore, type RequestRow, type RowMirror, type WritableStore } from '../../../src/store/index.js';
import { FaultyDb } from './faulty-db.js';
import { FakeScheduler, RecordingLogger, makeRow, tempDir } from './helpers.js';

let t: ReturnType<typeof tempDir>;
let store: WritableStore;
let db: FaultyDb;
let scheduler: FakeScheduler;
let logger: RecordingLogger;
let mirrored: RequestRow[];
let deadLetter: string;

const mirror: RowMirror = {
  append: (rows) => void mirrored.push(...rows),
  pendingRows: () => 0,
  trouble: () => undefined,
};

function writer(extra: Partial<ConstructorParameters<typeof BatchedAuditWriter>[1]> = {}): BatchedAuditWriter {
  return new BatchedAuditWriter(db, { scheduler, logger, mirror, deadLetterPath: deadLetter, maxBatch: 1000, ...extra });
}

function storedIds(): string[] {
  return (store.db.prepare('SELECT id FROM requests ORDER BY rowid').pluck().all() as string[]);
}

/** Fires timers until the writer has nothing queued (or gives up after `max` rounds). */
function drain(w: BatchedAuditWriter, max = 50): number {
  let rounds = 0;
  while (w.stats().queued > 0 && rounds < max) {
    scheduler.fireAll();
    rounds++;
  }
  return rounds;
}

beforeEach(() => {
  t = tempDir();
  scheduler = new FakeScheduler();
  logger = new RecordingLogger();
  store = openStore(t.dbPath, { scheduler: new FakeScheduler() });
  db = new FaultyDb(store.db);
  mirrored = [];
  deadLetter = join(t.dir, 'audit.db-unwritten.jsonl');
});
afterEach(() => {
  store.close();
  t.cleanup();
});

describe('audit writer under environmental failures', () => {
  it('a disk with room for 4 of 400 rows: 4 land, 396 wait in order, and every row lands once space returns (mirror too)', () => {
    const w = writer();
    db.capacity = 4;
    const rows = Array.from({ length: 400 }, () => makeRow());
    for (const r of rows) w.record(r);
    w.flush();
    expect(storedIds()).toEqual(rows.slice(0, 4).map((r) => r.id));
    expect(w.stats()).toMatchObject({ queued: 396, written: 4, dropped: 0 });
    expect(logger.lines.filter((l) => l.level === 'error' && l.msg.includes('refuses writes'))).toHaveLength(1);
    expect(String(logger.lines.find((l) => l.msg.includes('refuses writes'))?.fields?.error)).toContain('SQLITE_FULL');

    db.heal();
    drain(w);
    expect(storedIds()).toEqual(rows.map((r) => r.id));
    expect(mirrored.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    expect(w.stats()).toMatchObject({ queued: 0, written: 400, dropped: 0 });
    expect(logger.lines.some((l) => l.msg.includes('recovered'))).toBe(true);
    expect(existsSync(deadLetter)).toBe(false);
  });

  const environmental = [
    'SQLITE_FULL',
    'SQLITE_IOERR',
    'SQLITE_IOERR_WRITE',
    'SQLITE_IOERR_FSYNC',
    'SQLITE_IOERR_SHMSIZE',
    'SQLITE_IOERR_NOMEM',
    'SQLITE_BUSY',
    'SQLITE_BUSY_SNAPSHOT',
    'SQLITE_LOCKED',
    'SQLITE_LOCKED_SHAREDCACHE',
    'SQLITE_CANTOPEN',
    'SQLITE_READONLY',
    'SQLITE_READONLY_DBMOVED',
    'SQLITE_NOMEM',
    'SQLITE_CORRUPT',
    'SQLITE_PROTOCOL',
  ];
  it.each(environmental)('%s never discards a row: all are kept in order, retried, and written after recovery', (code) => {
    const w = writer();
    // Fails the batch, then the first few one-by-one attempts: a flaky disk that comes back part-way through.
    db.failNext(code, 5);
    const rows = Array.from({ length: 10 }, () => makeRow());
    for (const r of rows) w.record(r);
    drain(w);
    expect(storedIds()).toEqual(rows.map((r) => r.id));
    expect(mirrored.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    expect(w.stats()).toMatchObject({ queued: 0, written: 10, dropped: 0 });
    expect(existsSync(deadLetter)).toBe(false);
  });

  it('retries with exponential backoff up to a cap, and new rows do not bring the next attempt forward', () => {
    const w = writer({ retryBaseMs: 100, retryMaxMs: 1000 });
    db.failNext('SQLITE_IOERR_WRITE');
    w.record(makeRow());
    expect(scheduler.delays()).toEqual([50]);
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      scheduler.fireAll();
      delays.push(...scheduler.delays());
      // A full batch's worth of new rows would normally ask for an immediate flush.
      for (let j = 0; j < 1000; j++) w.record(makeRow());
      expect(scheduler.delays()).toEqual(delays.slice(-1));
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    const attemptsWhileFailing = db.runs;
    expect(attemptsWhileFailing).toBe(6);

    db.heal();
    // The backlog goes out a slice (an eighth of it) per timer turn, each turn right after the one before.
    scheduler.fireAll();
    expect(w.stats()).toMatchObject({ queued: 6001 - 751, written: 751 });
    expect(scheduler.delays()).toEqual([0]);
    drain(w, 200);
    expect(w.stats()).toMatchObject({ queued: 0, written: 6001, dropped: 0 });
    // Back to the normal interval after recovery.
    w.record(makeRow());
    expect(scheduler.delays()).toEqual([50]);
  });

  it('a row the database rejects for itself is set aside alone: logged by id, kept in the dead-letter file', () => {
    const w = writer();
    store.db.exec(`CREATE TRIGGER reject_poison BEFORE INSERT ON requests WHEN NEW.agent = 'poison'
      BEGIN SELECT RAISE(ABORT, 'poison row'); END`);
    const bad = makeRow({ agent: 'poison', costUsd: 0.25 });
    const good = [makeRow(), makeRow()];
    w.record(good[0]!);
    w.record(bad);
    w.record(good[1]!);
    w.flush();
    expect(storedIds()).toEqual(good.map((r) => r.id));
    expect(w.stats()).toMatchObject({ queued: 0, written: 2, dropped: 1 });
    const logged = logger.lines.find((l) => l.msg.includes('rejected'));
    expect(logged?.level).toBe('error');
    expect(logged?.fields?.id).toBe(bad.id);
    expect(logged?.fields?.file).toBe(deadLetter);
    const lines = readFileSync(deadLetter, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ reason: 'rejected', kind: 'request', row: { id: bad.id, agent: 'poison', cost_usd: 0.25 } });
    expect(String(lines[0]!.error)).toContain('SQLITE_CONSTRAINT');
  });

  it('over its pending limit it refuses admission but keeps recording, says so once per episode, and reopens when drained', () => {
    const w = writer({ pendingLimit: 5 });
    db.failNext('SQLITE_FULL', Number.POSITIVE_INFINITY, 'database or disk is full');
    for (let i = 0; i < 4; i++) w.record(makeRow());
    w.flush();
    expect(w.admitting()).toBe(true);
    expect(w.trouble()).toMatch(/database or disk is full/);
    w.record(makeRow());
    expect(w.admitting()).toBe(false);
    // Requests already admitted still get their rows: recording goes on over the limit.
    for (let i = 0; i < 3; i++) w.record(makeRow());
    expect(w.stats()).toMatchObject({ queued: 8, dropped: 0 });
    expect(w.admitting()).toBe(false);
    expect(w.trouble()).toMatch(/refused/);
    for (let i = 0; i < 3; i++) scheduler.fireAll();
    const full = logger.lines.filter((l) => l.msg.includes('new requests are refused'));
    expect(full).toHaveLength(1);
    expect(full[0]!.level).toBe('error');

    db.heal();
    drain(w);
    expect(w.admitting()).toBe(true);
    expect(w.trouble()).toBeUndefined();
    expect(storedIds()).toHaveLength(8);
    expect(logger.lines.filter((l) => l.msg.includes('refuses writes'))).toHaveLength(1);

    // A second episode is announced again.
    db.failNext('SQLITE_FULL');
    for (let i = 0; i < 5; i++) w.record(makeRow());
    w.flush();
    expect(w.admitting()).toBe(false);
    expect(logger.lines.filter((l) => l.msg.includes('new requests are refused'))).toHaveLength(2);
  });

  it('a backlog that reaches the limit before any write fails is written on the next tick, and says why requests wait', () => {
    const w = writer({ pendingLimit: 3 });
    w.record(makeRow());
    w.record(makeRow());
    expect(scheduler.delays()).toEqual([50]);
    w.record(makeRow());
    // Refusing requests because of the interval alone would be wrong: the flush comes now.
    expect(scheduler.delays()).toEqual([0]);
    expect(w.admitting()).toBe(false);
    expect(w.trouble()).toBe('3 audit rows are waiting to be written; new requests are refused until they are written');
    scheduler.fireAll();
    expect(storedIds()).toHaveLength(3);
    expect(w.admitting()).toBe(true);
    expect(w.trouble()).toBeUndefined();
  });

  it('counts what the mirror still holds against the limit', () => {
    let held = 0;
    const w = writer({ pendingLimit: 3, mirror: { append: () => {}, pendingRows: () => held, trouble: () => (held > 0 ? 'mirror disk full' : undefined) } });
    expect(w.admitting()).toBe(true);
    held = 3;
    expect(w.admitting()).toBe(false);
    expect(w.trouble()).toContain('mirror disk full');
    held = 0;
    expect(w.admitting()).toBe(true);
  });

  it('close() while the database refuses writes puts the rows in the dead-letter file and says so', () => {
    const w = writer();
    db.failNext('SQLITE_IOERR_FSYNC');
    const rows = [makeRow(), makeRow()];
    for (const r of rows) w.record(r);
    w.recordControlEvent({ ts: 5, agent: 'researcher', kind: 'pause', actor: 'cli', reason: 'night' });
    w.close();
    expect(storedIds()).toEqual([]);
    const lines = readFileSync(deadLetter, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { reason: string; kind: string; row?: { id: string }; event?: { kind: string } });
    expect(lines.map((l) => l.reason)).toEqual(['shutdown', 'shutdown', 'shutdown']);
    expect(lines.filter((l) => l.kind === 'request').map((l) => l.row?.id)).toEqual(rows.map((r) => r.id));
    expect(lines.find((l) => l.kind === 'event')?.event?.kind).toBe('pause');
    const said = logger.lines.find((l) => l.msg.includes('could not be written before shutdown'));
    expect(said?.level).toBe('error');
    expect(said?.fields).toMatchObject({ count: 3, file: deadLetter });
  });
});
