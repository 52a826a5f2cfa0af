/**
 * Audit export straight from the SQLite file, read-only, so it works whether the gateway runs or not.
 * Rows stream through `iterate()`: memory stays flat however large the history is.
 */
import { openReadonlyDb, type OpenDbOptions } from './open-db.js';
import { agentSinceFilter, whereSql } from './row-filter.js';
import { REQUEST_COLUMNS, toDbRow, type RequestDbRow, type RequestRow } from './rows.js';

export type ExportFormat = 'jsonl' | 'csv';

export interface ExportOptions extends OpenDbOptions {
  format: ExportFormat;
  sinceMs?: number | undefined;
  agent?: string | undefined;
}

export type ExportValue = string | number | boolean | null;

/** Field names of an exported row: an ISO `time`, then the columns of the `requests` table. */
export const EXPORT_FIELDS: readonly string[] = ['time', ...REQUEST_COLUMNS];

/** The exported form of a row (also what the JSONL mirror writes): snake_case, booleans as booleans. */
export function exportRecord(d: RequestDbRow): Record<string, ExportValue> {
  const out: Record<string, ExportValue> = { time: new Date(d.ts).toISOString() };
  for (const c of REQUEST_COLUMNS) out[c] = d[c];
  out.stream = d.stream !== 0;
  out.estimated = d.estimated !== 0;
  return out;
}

export function exportRecordOf(row: RequestRow): Record<string, ExportValue> {
  return exportRecord(toDbRow(row));
}

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF or edge spaces, with quotes doubled.
 * Text starting with = + - @ tab or CR gets a leading apostrophe so spreadsheets show it instead of running it
 * as a formula; agent names and models come from clients and are not trusted.
 */
export function csvField(v: ExportValue): string {
  if (v === null) return '';
  if (typeof v !== 'string') return String(v);
  let s = v;
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  if (/[",\r\n]/.test(s) || s !== s.trim()) s = `"${s.replace(/"/g, '""')}"`;
  return s;
}

export function csvLine(values: readonly ExportValue[]): string {
  return values.map(csvField).join(',') + '\r\n';
}

const CHUNK_CHARS = 64 * 1024;

/** Writes matching rows, oldest first, in chunks of about 64 KB; returns how many rows were written. */
export function exportRows(dbPath: string, options: ExportOptions, write: (chunk: string) => void): number {
  const db = openReadonlyDb(dbPath, options);
  try {
    const { conditions, params } = agentSinceFilter(options);
    const stmt = db.prepare<[Record<string, string | number>], RequestDbRow>(
      `SELECT ${REQUEST_COLUMNS.join(', ')} FROM requests ${whereSql(conditions)} ORDER BY ts, id`,
    );
    let buffer = options.format === 'csv' ? csvLine(EXPORT_FIELDS) : '';
    let rows = 0;
    for (const d of stmt.iterate(params)) {
      const rec = exportRecord(d);
      buffer += options.format === 'csv' ? csvLine(EXPORT_FIELDS.map((f) => rec[f] ?? null)) : JSON.stringify(rec) + '\n';
      rows++;
      if (buffer.length >= CHUNK_CHARS) {
        write(buffer);
        buffer = '';
      }
    }
    if (buffer.length > 0) write(buffer);
    return rows;
  } finally {
    db.close();
  }
}
