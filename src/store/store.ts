/** The store as the rest of the gateway sees it: one call to open, one to close. */
import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { BatchedAuditWriter, type BatchedAuditWriterOptions, type StoreLogger } from './audit-writer.js';
import { JsonlMirror } from './jsonl-mirror.js';
import { openReadonlyDb, openWritableDb, type OpenDbOptions } from './open-db.js';
import { AgentOverrides, type AgentOverridesReader } from './overrides.js';
import { StoreQueries } from './queries.js';
import { Retention } from './retention.js';

export interface OpenStoreOptions extends OpenDbOptions, Omit<BatchedAuditWriterOptions, 'mirror' | 'logger' | 'deadLetterPath'> {
  logger?: StoreLogger;
  /** Also append every committed audit row to this JSONL file. */
  jsonlPath?: string | null | undefined;
}

export interface WritableStore {
  readonly db: Database.Database;
  readonly sink: BatchedAuditWriter;
  readonly queries: StoreQueries;
  readonly overrides: AgentOverrides;
  readonly retention: Retention;
  readonly mirror: JsonlMirror | undefined;
  /** Rows the database rejected, and rows unwritten at shutdown, as JSON lines next to the database. */
  readonly deadLetterPath: string | undefined;
  /** Flushes queued rows (and the mirror, synchronously) and closes the file. Safe to call twice. */
  close(): void;
}

export interface ReadonlyStore {
  readonly db: Database.Database;
  readonly queries: StoreQueries;
  readonly overrides: AgentOverridesReader;
  close(): void;
}

export function openStore(path: string, options: OpenStoreOptions = {}): WritableStore {
  const db = openWritableDb(path, options);
  try {
    if (path !== ':memory:') warnIfShared(path, options.logger);
    const mirror = options.jsonlPath
      ? new JsonlMirror(options.jsonlPath, { logger: options.logger, scheduler: options.scheduler, retryBaseMs: options.retryBaseMs, retryMaxMs: options.retryMaxMs })
      : undefined;
    const deadLetterPath = path === ':memory:' ? undefined : `${path}-unwritten.jsonl`;
    const writerOptions: BatchedAuditWriterOptions = {};
    if (options.flushIntervalMs !== undefined) writerOptions.flushIntervalMs = options.flushIntervalMs;
    if (options.maxBatch !== undefined) writerOptions.maxBatch = options.maxBatch;
    if (options.sliceRows !== undefined) writerOptions.sliceRows = options.sliceRows;
    if (options.pendingLimit !== undefined) writerOptions.pendingLimit = options.pendingLimit;
    if (options.retryBaseMs !== undefined) writerOptions.retryBaseMs = options.retryBaseMs;
    if (options.retryMaxMs !== undefined) writerOptions.retryMaxMs = options.retryMaxMs;
    if (options.scheduler !== undefined) writerOptions.scheduler = options.scheduler;
    if (options.logger !== undefined) writerOptions.logger = options.logger;
    if (mirror !== undefined) writerOptions.mirror = mirror;
    if (deadLetterPath !== undefined) writerOptions.deadLetterPath = deadLetterPath;
    const sink = new BatchedAuditWriter(db, writerOptions);
    let closed = false;
    return {
      db,
      sink,
      queries: new StoreQueries(db),
      overrides: new AgentOverrides(db),
      retention: new Retention(db),
      mirror,
      deadLetterPath,
      close() {
        if (closed) return;
        closed = true;
        try {
          sink.close();
          mirror?.close();
        } finally {
          db.close();
        }
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}

/** A database from before files were created private keeps its mode (the user may want it so), but is named. */
function warnIfShared(path: string, logger: StoreLogger | undefined): void {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    logger?.warn('the audit database is readable by other users; `chmod 600` it (and its -wal and -shm files) to keep spend and request history private', {
      path,
      mode: mode.toString(8).padStart(4, '0'),
    });
  }
}

/** For CLI commands and exports with the gateway stopped (or running: WAL allows a reader beside the writer). */
export function openReadonlyStore(path: string, options: OpenDbOptions = {}): ReadonlyStore {
  const db = openReadonlyDb(path, options);
  return {
    db,
    queries: new StoreQueries(db),
    overrides: new AgentOverrides(db),
    close() {
      if (db.open) db.close();
    },
  };
}

export const Store = { open: openStore, openReadonly: openReadonlyStore } as const;
