/** Opening the SQLite file with the settings the gateway relies on. */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { createPrivateFile, ensurePrivateDir } from './private-files.js';
import { SCHEMA_VERSION, migrate, userVersion } from './schema.js';

export interface OpenDbOptions {
  /** How long a statement waits for a lock held by another connection (an export, say). Default 5000 ms. */
  busyTimeoutMs?: number;
  /** Addon for better-sqlite3 when it cannot load its own (inside a single-file binary): a path or the addon exports. */
  nativeBinding?: string | object;
}

function options(extra: Record<string, unknown>, o: OpenDbOptions): Database.Options {
  const opts: Record<string, unknown> = { ...extra, timeout: o.busyTimeoutMs ?? 5000 };
  if (o.nativeBinding !== undefined) opts.nativeBinding = o.nativeBinding;
  // better-sqlite3 accepts an addon object for nativeBinding although its typings only list a path.
  return opts as Database.Options;
}

/**
 * Opens (creating if needed) the database for writing: WAL, synchronous=NORMAL, migrated to the current schema.
 * A new file is created 0600 first (SQLite treats an empty file as an empty database), because SQLite gives the
 * -wal and -shm files it creates later the database file's own mode.
 */
export function openWritableDb(path: string, o: OpenDbOptions = {}): Database.Database {
  if (path !== ':memory:') {
    ensurePrivateDir(dirname(path));
    createPrivateFile(path);
  }
  const db = new Database(path, options({}, o));
  try {
    // WAL lets readers (exports, a second CLI) run while the gateway writes; NORMAL is durable across
    // process crashes in WAL mode and only risks the last commits on power loss.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Opens an existing database read-only (export, status with the gateway stopped); never migrates. */
export function openReadonlyDb(path: string, o: OpenDbOptions = {}): Database.Database {
  if (path !== ':memory:' && !existsSync(path)) {
    throw new Error(`no ai-gateway database at ${path}`);
  }
  const db = new Database(path, options({ readonly: true, fileMustExist: true }, o));
  try {
    const version = userVersion(db);
    if (version === 0) throw new Error(`${path} is not an ai-gateway database (schema version 0)`);
    if (version > SCHEMA_VERSION) {
      throw new Error(`${path} has schema version ${version}, newer than this ai-gateway understands (${SCHEMA_VERSION})`);
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
