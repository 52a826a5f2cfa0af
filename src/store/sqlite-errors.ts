/**
 * Whose fault a failed write is. better-sqlite3 throws a SqliteError carrying SQLite's extended result code.
 * Only a few codes blame the row's own values (a constraint, a value too big or of the wrong type); every other
 * code is the environment: a full disk, an I/O error, a lock, a file that cannot be opened or is read-only. A row
 * that met the environment may well be written later, so it must be kept, never discarded.
 */
const ROW_FAULTS = ['SQLITE_CONSTRAINT', 'SQLITE_TOOBIG', 'SQLITE_MISMATCH', 'SQLITE_RANGE'];
import { messageOf } from '../core/errors.js';

export function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/**
 * True when retrying this row can never succeed. Without a SQLite code, a TypeError or RangeError is
 * better-sqlite3 refusing to bind one of the row's values; anything else unknown is treated as the environment,
 * which keeps the row (the safe side: a stuck row is loud, a discarded one is silent).
 */
export function blamesRow(err: unknown): boolean {
  const code = sqliteCode(err);
  if (code === undefined) return err instanceof TypeError || err instanceof RangeError;
  return ROW_FAULTS.some((prefix) => code === prefix || code.startsWith(`${prefix}_`));
}

/** `SQLITE_FULL: database or disk is full`, for logs and banners. */
export function describeDbError(err: unknown): string {
  const message = messageOf(err);
  const code = sqliteCode(err) ?? (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && !message.startsWith(code) ? `${code}: ${message}` : message;
}
