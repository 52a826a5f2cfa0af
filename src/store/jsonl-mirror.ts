/**
 * Optional copy of every committed audit row as a JSON line (config `storage.jsonl`, or the seed format's
 * `audit.log_file`). Rows arrive in batches from the audit writer's flush, which already runs off the request
 * path, and are appended synchronously, whole lines only. When the file's disk refuses them they are kept, in
 * order, and retried with backoff; until then they count against the writer's pending limit, so the mirror
 * misses no row either.
 */
import { dirname } from 'node:path';
import type { RowMirror, StoreLogger } from './audit-writer.js';
import { systemTimers, type Timers } from '../core/clock.js';
import { Backoff } from './backoff.js';
import { exportRecordOf } from './export.js';
import { appendWholeSync, ensurePrivateDir } from './private-files.js';
import type { RequestRow } from './rows.js';
import { describeDbError } from './sqlite-errors.js';

export interface JsonlMirrorOptions {
  logger?: StoreLogger | undefined;
  scheduler?: Timers | undefined;
  retryBaseMs?: number | undefined;
  retryMaxMs?: number | undefined;
}

export class JsonlMirror implements RowMirror {
  private pending: string[] = [];
  private timer: unknown = undefined;
  private failure: string | undefined;
  private readonly backoff: Backoff;
  private readonly scheduler: Timers;

  constructor(
    private readonly path: string,
    private readonly options: JsonlMirrorOptions = {},
  ) {
    ensurePrivateDir(dirname(path));
    this.scheduler = options.scheduler ?? systemTimers;
    this.backoff = new Backoff(options.retryBaseMs ?? 100, options.retryMaxMs ?? 2000);
  }

  append(rows: readonly RequestRow[]): void {
    for (const row of rows) this.pending.push(JSON.stringify(exportRecordOf(row)) + '\n');
    // While failing, the retry timer writes them in order with the rest.
    if (this.timer === undefined) this.write();
  }

  pendingRows(): number {
    return this.pending.length;
  }

  trouble(): string | undefined {
    return this.failure === undefined ? undefined : `JSONL mirror ${this.path} refuses writes (${this.failure}); ${this.pending.length} rows held in memory, retrying`;
  }

  /** One last attempt at shutdown; rows still unwritten are in the database, and the log says how many. */
  close(): void {
    if (this.timer !== undefined) this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
    this.write();
    if (this.pending.length > 0) {
      this.options.logger?.error('audit rows missing from the JSONL mirror at shutdown (they are in the database; `ai-gateway export --format jsonl` rebuilds it)', {
        path: this.path,
        rows: this.pending.length,
        error: this.failure,
      });
    }
  }

  private write(): void {
    if (this.pending.length === 0) return;
    try {
      appendWholeSync(this.path, this.pending.join(''));
      this.pending = [];
      if (this.failure !== undefined) {
        this.failure = undefined;
        this.options.logger?.info('JSONL mirror writes recovered', { path: this.path, failed_attempts: this.backoff.succeeded() });
      }
    } catch (err) {
      if (this.failure === undefined) {
        this.options.logger?.error('could not append audit rows to the JSONL mirror; they are kept in memory and retried', {
          path: this.path,
          rows: this.pending.length,
          error: describeDbError(err),
        });
      }
      this.failure = describeDbError(err);
      this.timer = this.scheduler.setTimeout(() => {
        this.timer = undefined;
        this.write();
      }, this.backoff.failed());
    }
  }
}
