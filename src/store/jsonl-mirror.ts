/**
 * Optional copy of every committed audit row as a JSON line (config `storage.jsonl`, or the seed format's
 * `audit.log_file`). Appends are asynchronous and batched: rows arriving while a write is in flight are
 * joined into the next one.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RowMirror, StoreLogger } from './audit-writer.js';
import { exportRecordOf } from './export.js';
import type { RequestRow } from './rows.js';

export class JsonlMirror implements RowMirror {
  private pending = '';
  private inFlight: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly logger?: StoreLogger,
  ) {
    mkdirSync(dirname(path), { recursive: true });
  }

  append(rows: readonly RequestRow[]): void {
    if (this.closed) return;
    for (const row of rows) this.pending += JSON.stringify(exportRecordOf(row)) + '\n';
    if (!this.inFlight) this.inFlight = this.drain();
  }

  /** Resolves when everything appended so far is on disk (or has failed and been logged). */
  async whenIdle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  /**
   * Writes what is still pending synchronously, for process exit where promises will not run. A write already
   * in flight completes on its own; its lines may land after these.
   */
  flushSync(): void {
    if (this.pending.length === 0) return;
    const chunk = this.pending;
    this.pending = '';
    try {
      appendFileSync(this.path, chunk);
    } catch (err) {
      this.fail(err, chunk);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.whenIdle();
    this.flushSync();
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const chunk = this.pending;
        this.pending = '';
        try {
          await appendFile(this.path, chunk);
        } catch (err) {
          this.fail(err, chunk);
        }
      }
    } finally {
      this.inFlight = undefined;
    }
  }

  private fail(err: unknown, chunk: string): void {
    // The SQLite row is already committed; the mirror is a copy, so log and move on rather than retry forever.
    let lines = 0;
    for (const ch of chunk) if (ch === '\n') lines++;
    this.logger?.error('could not append audit rows to the JSONL mirror', {
      path: this.path,
      rows: lines,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}
