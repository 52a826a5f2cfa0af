import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchedAuditWriter, openStore, type RequestRow, type WritableStore } from '../../../src/store/index.js';
import { systemTimers } from '../../../src/core/clock.js';
import { FakeScheduler, RecordingLogger, makeRow, tempDir } from './helpers.js';

let t: ReturnType<typeof tempDir>;
let store: WritableStore;
let scheduler: FakeScheduler;
let logger: RecordingLogger;

function countRows(): number {
  return store.db.prepare('SELECT count(*) FROM requests').pluck().get() as number;
}

beforeEach(() => {
  t = tempDir();
  scheduler = new FakeScheduler();
  logger = new RecordingLogger();
  store = openStore(t.dbPath, { scheduler, logger, maxBatch: 4 });
});
afterEach(() => {
  store.close();
  t.cleanup();
});

describe('BatchedAuditWriter', () => {
  it('queues without writing and flushes on the interval timer', () => {
    store.sink.record(makeRow());
    store.sink.record(makeRow());
    expect(countRows()).toBe(0);
    expect(scheduler.delays()).toEqual([50]);
    scheduler.fireAll();
    expect(countRows()).toBe(2);
    expect(scheduler.delays()).toEqual([]);
    expect(store.sink.stats()).toMatchObject({ queued: 0, written: 2, dropped: 0 });
  });

  it('round-trips every field, including nulls and booleans', () => {
    const full = makeRow({
      stream: true,
      estimated: true,
      dropped: 'seed,top_k',
      adjusted: 'max_completion_tokens:32000->16384,user:hashed',
      errorCode: 'upstream_timeout',
      status: 504,
      errorMessage: 'the provider sent no first byte within 60 s',
      fallbackFrom: 'openai',
      attempts: 3,
      routeRule: 'thinking',
    });
    const sparse = makeRow({
      provider: null,
      upstreamModel: null,
      upstreamFormat: null,
      stream: false,
      costUsd: null,
      costInput: null,
      costCacheRead: null,
      costCacheWrite: null,
      costOutput: null,
      costReasoning: null,
      priceVersion: null,
      ttfbMs: null,
      estimated: false,
      attempts: null,
      routeRule: null,
    });
    store.sink.record(full);
    store.sink.record(sparse);
    store.sink.flush();
    expect(store.queries.requestById(full.id)).toEqual(full);
    expect(store.queries.requestById(sparse.id)).toEqual(sparse);
  });

  it('flush() writes synchronously and cancels the pending timer', () => {
    store.sink.record(makeRow());
    store.sink.flush();
    expect(countRows()).toBe(1);
    expect(scheduler.delays()).toEqual([]);
    store.sink.flush(); // nothing queued: no-op
    expect(countRows()).toBe(1);
  });

  it('a full batch asks for an immediate flush instead of waiting for the interval', () => {
    for (let i = 0; i < 3; i++) store.sink.record(makeRow());
    expect(scheduler.delays()).toEqual([50]);
    store.sink.record(makeRow());
    expect(scheduler.delays()).toEqual([0]);
    expect(countRows()).toBe(0); // still not on the caller's path
    scheduler.fireAll();
    expect(countRows()).toBe(4);
  });

  it('a timed flush writes a slice per transaction and the rest on the following timer turns; flush() writes all', () => {
    const sliced = openStore(`${t.dbPath}-sliced`, { scheduler, logger, sliceRows: 10 });
    const count = (): number => sliced.db.prepare('SELECT count(*) FROM requests').pluck().get() as number;
    for (let i = 0; i < 25; i++) sliced.sink.record(makeRow());
    expect(scheduler.delays()).toEqual([50]);
    scheduler.fireAll();
    expect(count()).toBe(10);
    // The next slice is due at once: only the I/O that waited for this one goes first.
    expect(scheduler.delays()).toEqual([0]);
    scheduler.fireAll();
    expect(count()).toBe(20);
    scheduler.fireAll();
    expect(count()).toBe(25);
    expect(scheduler.delays()).toEqual([]);
    for (let i = 0; i < 25; i++) sliced.sink.record(makeRow());
    sliced.sink.flush();
    expect(count()).toBe(50);
    sliced.close();
  });

  it('a backlog that grows faster than a slice per turn is written in slices of an eighth of it, and stays bounded', () => {
    const sliced = openStore(`${t.dbPath}-busy`, { scheduler, logger, sliceRows: 10 });
    let longest = 0;
    // 100 rows finish in every timer turn, ten times a slice.
    for (let turn = 0; turn < 200; turn++) {
      for (let i = 0; i < 100; i++) sliced.sink.record(makeRow());
      longest = Math.max(longest, sliced.sink.stats().queued);
      scheduler.fireAll();
    }
    // A fixed slice would have left 18,000 rows waiting; an eighth of the queue keeps up at about 800.
    expect(longest).toBeLessThan(1000);
    while (sliced.sink.stats().queued > 0) scheduler.fireAll();
    expect(sliced.db.prepare('SELECT count(*) FROM requests').pluck().get()).toBe(20_000);
    sliced.close();
  });

  it('records control events with JSON values', () => {
    store.sink.recordControlEvent({
      ts: 1000,
      agent: 'researcher',
      kind: 'budget_change',
      actor: 'tui',
      oldValue: { hourly: 5 },
      newValue: { hourly: 10 },
      reason: 'deadline',
    });
    store.sink.recordControlEvent({ ts: 1001, agent: null, kind: 'config_reload', actor: 'config' });
    store.sink.flush();
    const events = store.queries.controlEvents();
    expect(events).toEqual([
      { id: 2, ts: 1001, agent: null, kind: 'config_reload', actor: 'config', oldValue: null, newValue: null, reason: null },
      { id: 1, ts: 1000, agent: 'researcher', kind: 'budget_change', actor: 'tui', oldValue: { hourly: 5 }, newValue: { hourly: 10 }, reason: 'deadline' },
    ]);
  });

  it('a second row with the same id replaces the first instead of failing the batch', () => {
    const a = makeRow({ id: 'dup', status: 200 });
    const other = makeRow();
    store.sink.record(a);
    store.sink.record(other);
    store.sink.record({ ...a, status: 499, errorCode: 'client_disconnect' });
    store.sink.flush();
    expect(countRows()).toBe(2);
    expect(store.queries.requestById('dup')?.status).toBe(499);
  });

  it('isolates a row the database rejects: the others are written, the bad one is logged by id and kept aside', () => {
    store.db.exec(`CREATE TRIGGER reject_poison BEFORE INSERT ON requests WHEN NEW.agent = 'poison'
      BEGIN SELECT RAISE(ABORT, 'poison row'); END`);
    const bad = makeRow({ agent: 'poison' });
    store.sink.record(makeRow());
    store.sink.record(bad);
    store.sink.record(makeRow());
    store.sink.flush();
    expect(countRows()).toBe(2);
    expect(store.sink.stats()).toMatchObject({ queued: 0, written: 2, dropped: 1, failedFlushes: 1 });
    const rejected = logger.lines.find((l) => l.msg.includes('rejected'));
    expect(rejected?.level).toBe('error');
    expect(rejected?.fields?.id).toBe(bad.id);
    expect(readFileSync(`${t.dbPath}-unwritten.jsonl`, 'utf8')).toContain(bad.id);
  });

  it('close() flushes; rows recorded afterwards are counted, logged and kept aside, not silently lost', () => {
    const writer = new BatchedAuditWriter(store.db, { scheduler, logger, deadLetterPath: `${t.dbPath}-unwritten.jsonl` });
    writer.record(makeRow());
    writer.close();
    expect(countRows()).toBe(1);
    writer.record(makeRow({ id: 'late' }));
    expect(writer.stats().dropped).toBe(1);
    expect(logger.lines.some((l) => l.fields?.id === 'late')).toBe(true);
    expect(readFileSync(`${t.dbPath}-unwritten.jsonl`, 'utf8')).toContain('"reason":"after_close"');
  });

  it('hands committed request rows to the mirror, after the commit', () => {
    const seen: RequestRow[][] = [];
    const rowsInDbAtAppend: number[] = [];
    const writer = new BatchedAuditWriter(store.db, {
      scheduler,
      mirror: {
        append: (rows) => {
          seen.push([...rows]);
          rowsInDbAtAppend.push(countRows());
        },
        pendingRows: () => 0,
        trouble: () => undefined,
      },
    });
    const row = makeRow();
    writer.record(row);
    writer.recordControlEvent({ ts: 1, agent: 'a', kind: 'pause', actor: 'cli' });
    writer.flush();
    expect(seen).toEqual([[row]]);
    expect(rowsInDbAtAppend).toEqual([1]);
  });

  it('flushes on its own with real timers', async () => {
    const writer = new BatchedAuditWriter(store.db, { scheduler: systemTimers, flushIntervalMs: 5 });
    writer.record(makeRow({ id: 'timed' }));
    await vi.waitFor(() => expect(store.queries.requestById('timed')).toBeDefined(), { timeout: 2000, interval: 5 });
    writer.close();
  });
});
