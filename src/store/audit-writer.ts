/**
 * The batched audit writer. `record` only queues (the proxy path never touches the disk); a timer flushes the
 * queue in slices, one transaction each, a timer turn apart. A row costs SQLite about 8 µs and each transaction
 * about 25 more: one transaction for the 100 rows a single busy connection leaves every 50 ms held the event loop
 * for about a millisecond, which the requests in flight waited out; a slice of 32 holds it about 0.3. A slice is
 * `sliceRows` or an eighth of the queue, whichever is more, so that a backlog drains in a few turns however many
 * rows each turn adds.
 *
 * A row is never discarded because of the environment. When the database refuses writes (a full disk, an I/O
 * error, a lock, a read-only or vanished file) every row stays queued, in order, and the flush is retried with
 * exponential backoff; a full disk still takes the rows that fit. Only a row the database rejects for itself (a
 * constraint) is set aside, and then into the dead-letter file next to the database, with a log line naming it.
 * The queue has no cap on recording; instead, once the rows waiting (here and in the JSONL mirror) reach the
 * pending limit, `admitting()` turns false and the gateway refuses new requests, so no answered request is ever
 * without its row.
 */
import type { Logger } from '../observe/logger.js';
import { systemTimers, type Timers } from '../core/clock.js';
import { Backoff } from './backoff.js';
import { exportRecordOf } from './export.js';
import { appendWholeSync } from './private-files.js';
import { blamesRow, describeDbError, sqliteCode } from './sqlite-errors.js';
import {
  REQUEST_COLUMNS,
  controlEventParams,
  toDbRow,
  type ControlRecord,
  type RequestDbRow,
  type RequestRow,
} from './rows.js';

export interface AuditSink {
  record(row: RequestRow): void;
  recordControlEvent(ev: ControlRecord): void;
  /** Writes everything queued now, synchronously (shutdown, `q` in the TUI, before a query that must see it). */
  flush(): void;
  /** Flushes and stops accepting rows. Does not close the database. */
  close(): void;
}

/** Receives rows after they are committed (the JSONL mirror). */
export interface RowMirror {
  append(rows: readonly RequestRow[]): void;
  /** Rows handed over but not yet written (its own disk refuses them); they count against the pending limit. */
  pendingRows(): number;
  /** Why the mirror is behind, or undefined when it is not. */
  trouble(): string | undefined;
}

export type StoreLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

/** The part of a better-sqlite3 connection the writer uses (tests inject one that fails like a full disk). */
export interface WriterDb {
  readonly open: boolean;
  prepare(sql: string): { run(params: object): unknown };
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
}

export interface BatchedAuditWriterOptions {
  /** Longest a row waits in memory. Default 50 ms. */
  flushIntervalMs?: number;
  /** Queue length that triggers a flush on the next tick instead of waiting for the interval. Default 256. */
  maxBatch?: number;
  /**
   * Rows a timed flush writes in one transaction, unless an eighth of the queue is more; the rest follow on the
   * next timer turn. Default 32.
   */
  sliceRows?: number;
  /** Rows waiting to be written at which new requests are refused (recording itself goes on). Default 10 000. */
  pendingLimit?: number;
  /** First retry delay after a failed flush; doubles per failure up to `retryMaxMs`. Defaults 100 ms and 2 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** JSON-lines file for rows the database rejects, and rows still unwritten at shutdown. */
  deadLetterPath?: string;
  scheduler?: Timers;
  logger?: StoreLogger;
  mirror?: RowMirror;
}

export interface AuditWriterStats {
  /** Rows and events waiting to be written. */
  queued: number;
  written: number;
  /** Flush attempts that failed (each is retried). */
  failedFlushes: number;
  /** Rows and events set aside instead of written: rejected by the database, unwritten at shutdown, or recorded after close. */
  dropped: number;
}

type Item = { kind: 'request'; row: RequestRow } | { kind: 'event'; ev: ControlRecord };
type SetAsideReason = 'rejected' | 'shutdown' | 'after_close';

// Positional parameters: better-sqlite3 binds a named one by looking its name up on the object, 36 lookups a row
// that cost more than reading the values out in column order (a third fewer instructions per insert, measured).
const REQUEST_INSERT_SQL = `INSERT INTO requests (${REQUEST_COLUMNS.join(', ')})
  VALUES (${REQUEST_COLUMNS.map(() => '?').join(', ')})
  ON CONFLICT (id) DO UPDATE SET ${REQUEST_COLUMNS.filter((c) => c !== 'id')
    .map((c) => `${c} = excluded.${c}`)
    .join(', ')}`;

const EVENT_INSERT_SQL = `INSERT INTO control_events (ts, agent, kind, actor, old_value, new_value, reason)
  VALUES (@ts, @agent, @kind, @actor, @old_value, @new_value, @reason)`;

/** A row's values in REQUEST_COLUMNS order, for the positional insert. */
function columnValues(d: RequestDbRow): unknown[] {
  const values = new Array<unknown>(REQUEST_COLUMNS.length);
  for (let i = 0; i < REQUEST_COLUMNS.length; i++) values[i] = d[REQUEST_COLUMNS[i]!];
  return values;
}

export const DEFAULT_PENDING_LIMIT = 10_000;

export class BatchedAuditWriter implements AuditSink {
  private queue: Item[] = [];
  private timer: unknown = undefined;
  /** Delay the armed timer was set with. */
  private timerDue = Number.POSITIVE_INFINITY;
  private closed = false;
  private flushing = false;
  private readonly s = { written: 0, failedFlushes: 0, dropped: 0 };
  private readonly insertRequest: { run(params: object): unknown };
  private readonly insertEvent: { run(params: object): unknown };
  private readonly writeBatch: (items: readonly Item[]) => void;
  private readonly intervalMs: number;
  private readonly maxBatch: number;
  private readonly sliceRows: number;
  private pendingLimit: number;
  private readonly scheduler: Timers;
  private readonly backoff: Backoff;
  /** While the database refuses writes: what it said last, and when to try again. */
  private failure: { error: string; retryMs: number } | undefined;
  /** Last admission state seen, so that each change is logged once. */
  private refusing = false;

  constructor(
    private readonly db: WriterDb,
    private readonly options: BatchedAuditWriterOptions = {},
  ) {
    this.intervalMs = options.flushIntervalMs ?? 50;
    this.maxBatch = options.maxBatch ?? 256;
    this.sliceRows = Math.max(1, options.sliceRows ?? 32);
    this.pendingLimit = options.pendingLimit ?? DEFAULT_PENDING_LIMIT;
    this.scheduler = options.scheduler ?? systemTimers;
    this.backoff = new Backoff(options.retryBaseMs ?? 100, options.retryMaxMs ?? 2000);
    this.insertRequest = db.prepare(REQUEST_INSERT_SQL);
    this.insertEvent = db.prepare(EVENT_INSERT_SQL);
    this.writeBatch = db.transaction((items: readonly Item[]) => {
      for (const item of items) this.writeOne(item);
    });
  }

  record(row: RequestRow): void {
    this.enqueue({ kind: 'request', row });
  }

  recordControlEvent(ev: ControlRecord): void {
    this.enqueue({ kind: 'event', ev });
  }

  flush(): void {
    this.write(Number.POSITIVE_INFINITY);
  }

  /** Writes up to `limit` queued items in one transaction, then arms the timer for what is left. */
  private write(limit: number): void {
    this.cancelTimer();
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    const batch = this.queue.length <= limit ? this.queue : this.queue.slice(0, limit);
    this.queue = batch === this.queue ? [] : this.queue.slice(limit);
    try {
      const kept = this.persist(batch);
      // Kept rows go back in front, so order is preserved.
      if (kept.length > 0) this.queue = kept.concat(this.queue);
    } finally {
      this.flushing = false;
    }
    this.admitting();
    // The next slice follows on the next timer turn, after the I/O that waited for this one.
    if (this.queue.length > 0 && !this.closed) this.schedule(this.failure?.retryMs ?? (batch.length === limit ? 0 : this.intervalMs));
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.cancelTimer();
    if (this.queue.length === 0) return;
    const items = this.queue;
    this.queue = [];
    const file = this.setAside(items, 'shutdown', this.failure?.error);
    this.options.logger?.error('audit rows could not be written before shutdown; they are kept in the dead-letter file', {
      count: items.length,
      file,
      error: this.failure?.error,
    });
  }

  /**
   * Whether a new request may be admitted: false while the rows waiting to be written (here and in the mirror)
   * are at the pending limit, because a request admitted now might not get its row. Logs each change once.
   */
  admitting(): boolean {
    const open = this.pending() < this.pendingLimit;
    if (open === this.refusing) {
      this.refusing = !open;
      if (this.refusing) {
        this.options.logger?.error('audit backlog is full: new requests are refused (503) until the waiting rows are written', {
          pending: this.pending(),
          limit: this.pendingLimit,
          error: this.failure?.error ?? this.options.mirror?.trouble(),
        });
      } else {
        this.options.logger?.info('audit backlog is below its limit again: new requests are admitted', { pending: this.pending() });
      }
    }
    return open;
  }

  /** What is wrong with recording, for the dashboard banner and /health/ready; undefined when all is well. */
  trouble(): string | undefined {
    const parts: string[] = [];
    if (this.failure) parts.push(`audit database refuses writes (${this.failure.error}); ${this.queue.length} rows held in memory, retrying`);
    const mirror = this.options.mirror?.trouble();
    if (mirror) parts.push(mirror);
    const full = this.pending() >= this.pendingLimit;
    // A backlog can fill between two flushes before any write has failed: say so rather than nothing.
    if (full && parts.length === 0) parts.push(`${this.pending()} audit rows are waiting to be written`);
    if (parts.length === 0) return undefined;
    if (full) parts.push('new requests are refused until they are written');
    return parts.join('; ');
  }

  setPendingLimit(limit: number): void {
    this.pendingLimit = limit;
  }

  stats(): AuditWriterStats {
    return { queued: this.queue.length, ...this.s };
  }

  private pending(): number {
    return this.queue.length + (this.options.mirror?.pendingRows() ?? 0);
  }

  private enqueue(item: Item): void {
    if (this.closed) {
      const file = this.setAside([item], 'after_close', undefined);
      this.options.logger?.error('audit row recorded after the store closed; kept in the dead-letter file', {
        kind: item.kind,
        id: item.kind === 'request' ? item.row.id : undefined,
        file,
      });
      return;
    }
    this.queue.push(item);
    // While failing, the backoff timer is armed: new rows must not bring the next attempt forward. A backlog at
    // the pending limit refuses requests, so it is written on the next tick rather than at the interval.
    if (this.failure === undefined) this.schedule(this.queue.length >= this.maxBatch || this.pending() >= this.pendingLimit ? 0 : this.intervalMs);
  }

  /** Arms the timer unless one is armed with an equal or shorter delay. */
  private schedule(delayMs: number): void {
    if (this.timer !== undefined && this.timerDue <= delayMs) return;
    this.cancelTimer();
    this.timerDue = delayMs;
    this.timer = this.scheduler.setTimeout(() => {
      this.timer = undefined;
      this.timerDue = Number.POSITIVE_INFINITY;
      this.write(Math.max(this.sliceRows, Math.ceil(this.queue.length / 8)));
    }, delayMs);
  }

  private cancelTimer(): void {
    if (this.timer === undefined) return;
    this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
  }

  private writeOne(item: Item): void {
    if (item.kind === 'request') this.insertRequest.run(columnValues(toDbRow(item.row)));
    else this.insertEvent.run(controlEventParams(item.ev));
  }

  /** Writes a batch; returns the items to keep for a later attempt. */
  private persist(batch: Item[]): Item[] {
    let error: unknown;
    try {
      this.writeBatch(batch);
      this.committed(batch);
      this.recovered();
      return [];
    } catch (err) {
      error = err;
    }
    this.s.failedFlushes++;
    // A lock or an I/O error would only fail again row by row; keep everything and retry later. A full disk may
    // still hold some rows, and a row at fault must be found: both go one by one, in order.
    if (!this.blamesRow(error) && sqliteCode(error) !== 'SQLITE_FULL') {
      this.failed(error, batch.length);
      return batch;
    }
    const written: Item[] = [];
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i]!;
      try {
        this.writeOne(item);
        written.push(item);
      } catch (err) {
        if (this.blamesRow(err)) {
          this.reject(item, err);
          continue;
        }
        this.committed(written);
        this.failed(err, batch.length - i);
        return batch.slice(i);
      }
    }
    this.committed(written);
    this.recovered();
    return [];
  }

  private blamesRow(err: unknown): boolean {
    // A closed connection blames nothing in the row, whatever the error's class.
    return this.db.open && blamesRow(err);
  }

  private failed(err: unknown, kept: number): void {
    const first = this.failure === undefined;
    this.failure = { error: describeDbError(err), retryMs: this.backoff.failed() };
    if (!first) return;
    this.options.logger?.error('audit database refuses writes; rows are kept in memory, in order, and retried', {
      error: this.failure.error,
      queued: kept + this.queue.length,
      retry_ms: this.failure.retryMs,
    });
  }

  private recovered(): void {
    if (this.failure === undefined) return;
    const attempts = this.backoff.succeeded();
    this.failure = undefined;
    this.options.logger?.info('audit writes recovered: the database accepts rows again', { failed_attempts: attempts, written: this.s.written });
  }

  private reject(item: Item, err: unknown): void {
    const error = describeDbError(err);
    const file = this.setAside([item], 'rejected', error);
    this.options.logger?.error('audit row rejected by the database; kept in the dead-letter file', {
      kind: item.kind,
      id: item.kind === 'request' ? item.row.id : undefined,
      error,
      file,
    });
  }

  /**
   * Appends items to the dead-letter file; returns its path. When there is none, or it cannot be written either,
   * each item is logged whole instead, so it is still recoverable.
   */
  private setAside(items: readonly Item[], reason: SetAsideReason, error: string | undefined): string | undefined {
    this.s.dropped += items.length;
    const lines = items.map(
      (item) => JSON.stringify({ reason, error, kind: item.kind, ...(item.kind === 'request' ? { row: exportRecordOf(item.row) } : { event: item.ev }) }) + '\n',
    );
    const path = this.options.deadLetterPath;
    if (path !== undefined) {
      try {
        appendWholeSync(path, lines.join(''));
        return path;
      } catch (err) {
        this.options.logger?.error('could not write the audit dead-letter file; the records follow in the log', { file: path, error: describeDbError(err) });
      }
    }
    for (const line of lines) this.options.logger?.error('audit record not written to the database', { record: line.trimEnd() });
    return undefined;
  }

  private committed(items: readonly Item[]): void {
    this.s.written += items.length;
    const mirror = this.options.mirror;
    if (!mirror) return;
    const rows: RequestRow[] = [];
    for (const item of items) if (item.kind === 'request') rows.push(item.row);
    if (rows.length > 0) mirror.append(rows);
  }
}
