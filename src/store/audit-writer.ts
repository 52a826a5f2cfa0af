/**
 * The batched audit writer. `record` only queues (the proxy path never touches the disk); a timer flushes the
 * queue in one transaction. A failed flush is retried once, then rows are written one by one so a single bad
 * row cannot block the rest; rows that still fail are logged by id, and a disk that keeps failing keeps rows
 * queued (up to a cap, with a logged count of any dropped) until it recovers.
 */
import type Database from 'better-sqlite3';
import type { Logger } from '../observe/logger.js';
import {
  REQUEST_COLUMNS,
  controlEventParams,
  toDbRow,
  type ControlEvent,
  type ControlEventDbRow,
  type RequestDbRow,
  type RequestRow,
} from './rows.js';

export interface AuditSink {
  record(row: RequestRow): void;
  recordControlEvent(ev: ControlEvent): void;
  /** Writes everything queued now, synchronously (shutdown, `q` in the TUI, before a query that must see it). */
  flush(): void;
  /** Flushes and stops accepting rows. Does not close the database. */
  close(): void;
}

/** Timers, injected so tests drive flushes without sleeping. */
export interface Scheduler {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realScheduler: Scheduler = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    // A pending flush alone must not keep the process alive; shutdown flushes explicitly.
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/** Receives rows after they are committed (the JSONL mirror). */
export interface RowMirror {
  append(rows: readonly RequestRow[]): void;
}

export type StoreLogger = Pick<Logger, 'warn' | 'error'>;

export interface BatchedAuditWriterOptions {
  /** Longest a row waits in memory. Default 50 ms. */
  flushIntervalMs?: number;
  /** Queue length that triggers a flush on the next tick instead of waiting for the interval. Default 256. */
  maxBatch?: number;
  /** Rows kept in memory while the disk refuses writes; beyond this the oldest are dropped (and logged). */
  maxQueued?: number;
  scheduler?: Scheduler;
  logger?: StoreLogger;
  mirror?: RowMirror;
}

export interface AuditWriterStats {
  /** Rows and events waiting to be written. */
  queued: number;
  written: number;
  /** Flushes whose batch transaction failed twice. */
  failedFlushes: number;
  /** Rows and events given up on (rejected one by one, over the cap, or recorded after close). */
  dropped: number;
}

type Item = { kind: 'request'; row: RequestRow } | { kind: 'event'; ev: ControlEvent };

const REQUEST_INSERT_SQL = `INSERT INTO requests (${REQUEST_COLUMNS.join(', ')})
  VALUES (${REQUEST_COLUMNS.map((c) => `@${c}`).join(', ')})
  ON CONFLICT (id) DO UPDATE SET ${REQUEST_COLUMNS.filter((c) => c !== 'id')
    .map((c) => `${c} = excluded.${c}`)
    .join(', ')}`;

const EVENT_INSERT_SQL = `INSERT INTO control_events (ts, agent, kind, actor, old_value, new_value, reason)
  VALUES (@ts, @agent, @kind, @actor, @old_value, @new_value, @reason)`;

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class BatchedAuditWriter implements AuditSink {
  private queue: Item[] = [];
  private timer: unknown = undefined;
  /** Delay the armed timer was set with. */
  private timerDue = Number.POSITIVE_INFINITY;
  private closed = false;
  private flushing = false;
  private readonly s = { written: 0, failedFlushes: 0, dropped: 0 };
  private readonly insertRequest: Database.Statement<[RequestDbRow]>;
  private readonly insertEvent: Database.Statement<[Omit<ControlEventDbRow, 'id'>]>;
  private readonly writeBatch: (items: readonly Item[]) => void;
  private readonly intervalMs: number;
  private readonly maxBatch: number;
  private readonly maxQueued: number;
  private readonly scheduler: Scheduler;

  constructor(
    db: Database.Database,
    private readonly options: BatchedAuditWriterOptions = {},
  ) {
    this.intervalMs = options.flushIntervalMs ?? 50;
    this.maxBatch = options.maxBatch ?? 256;
    this.maxQueued = options.maxQueued ?? 100_000;
    this.scheduler = options.scheduler ?? realScheduler;
    this.insertRequest = db.prepare<[RequestDbRow]>(REQUEST_INSERT_SQL);
    this.insertEvent = db.prepare<[Omit<ControlEventDbRow, 'id'>]>(EVENT_INSERT_SQL);
    this.writeBatch = db.transaction((items: readonly Item[]) => {
      for (const item of items) this.writeOne(item);
    });
  }

  record(row: RequestRow): void {
    this.enqueue({ kind: 'request', row });
  }

  recordControlEvent(ev: ControlEvent): void {
    this.enqueue({ kind: 'event', ev });
  }

  flush(): void {
    this.cancelTimer();
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    const batch = this.queue;
    this.queue = [];
    try {
      const kept = this.persist(batch);
      if (kept.length > 0) {
        // Failed rows go back in front so order is preserved, then the cap applies.
        this.queue = kept.concat(this.queue);
        this.applyCap();
      }
    } finally {
      this.flushing = false;
    }
    if (this.queue.length > 0 && !this.closed) this.schedule(this.intervalMs);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.cancelTimer();
    if (this.queue.length > 0) {
      this.s.dropped += this.queue.length;
      this.options.logger?.error('audit rows could not be written before shutdown', { count: this.queue.length });
      this.queue = [];
    }
  }

  stats(): AuditWriterStats {
    return { queued: this.queue.length, ...this.s };
  }

  private enqueue(item: Item): void {
    if (this.closed) {
      this.s.dropped++;
      this.options.logger?.error('audit row recorded after the store closed; dropped', {
        kind: item.kind,
        id: item.kind === 'request' ? item.row.id : undefined,
      });
      return;
    }
    this.queue.push(item);
    this.applyCap();
    this.schedule(this.queue.length >= this.maxBatch ? 0 : this.intervalMs);
  }

  /** Arms the timer unless one is armed with an equal or shorter delay (only 0 and the interval are used). */
  private schedule(delayMs: number): void {
    if (this.timer !== undefined && this.timerDue <= delayMs) return;
    this.cancelTimer();
    this.timerDue = delayMs;
    this.timer = this.scheduler.setTimeout(() => {
      this.timer = undefined;
      this.timerDue = Number.POSITIVE_INFINITY;
      this.flush();
    }, delayMs);
  }

  private cancelTimer(): void {
    if (this.timer === undefined) return;
    this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
  }

  private applyCap(): void {
    const excess = this.queue.length - this.maxQueued;
    if (excess <= 0) return;
    this.queue.splice(0, excess);
    this.s.dropped += excess;
    this.options.logger?.error('audit queue over its cap while the database refuses writes; oldest rows dropped', {
      count: excess,
    });
  }

  private writeOne(item: Item): void {
    if (item.kind === 'request') this.insertRequest.run(toDbRow(item.row));
    else this.insertEvent.run(controlEventParams(item.ev));
  }

  /** Writes a batch; returns the items to keep for a later attempt. */
  private persist(batch: Item[]): Item[] {
    let lastError: unknown;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        this.writeBatch(batch);
        this.committed(batch);
        return [];
      } catch (err) {
        lastError = err;
      }
    }
    this.s.failedFlushes++;
    this.options.logger?.warn('audit batch failed twice; writing rows one by one', {
      count: batch.length,
      error: describe(lastError),
    });
    return this.persistEach(batch);
  }

  /** Isolates bad rows: if nothing at all can be written the database is the problem and every row is kept. */
  private persistEach(batch: Item[]): Item[] {
    const ok: Item[] = [];
    const failed: { item: Item; error: unknown }[] = [];
    for (const item of batch) {
      try {
        this.writeOne(item);
        ok.push(item);
      } catch (error) {
        failed.push({ item, error });
      }
    }
    if (ok.length === 0) {
      this.options.logger?.error('audit database refuses writes; rows kept in memory for the next attempt', {
        count: batch.length,
        error: describe(failed[0]?.error),
      });
      return batch;
    }
    this.committed(ok);
    for (const f of failed) {
      this.s.dropped++;
      this.options.logger?.error('audit row rejected by the database; dropped', {
        kind: f.item.kind,
        id: f.item.kind === 'request' ? f.item.row.id : undefined,
        error: describe(f.error),
      });
    }
    return [];
  }

  private committed(items: readonly Item[]): void {
    this.s.written += items.length;
    const mirror = this.options.mirror;
    if (!mirror) return;
    const rows: RequestRow[] = [];
    for (const item of items) if (item.kind === 'request') rows.push(item.row);
    if (rows.length === 0) return;
    try {
      mirror.append(rows);
    } catch (err) {
      this.options.logger?.error('audit mirror failed', { error: describe(err) });
    }
  }
}
