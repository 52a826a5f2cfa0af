/**
 * What the log panel shows, as pure functions: repeated rejections folded into one counted line, the selected
 * line kept across new arrivals, and the count of lines that arrived while the log was frozen.
 */
import type { LogEntry } from '../live/snapshot.js';

/** One line of the log: an entry, or the newest of `count` like rejections in a row. */
export interface LogLine {
  /** Stable while the line grows: the id of the oldest entry it holds. */
  key: string;
  /** The newest entry of the line. */
  entry: LogEntry;
  count: number;
}

/** Same agent, status and error code, and a refusal or failure. */
function sameRejection(a: LogEntry, b: LogEntry): boolean {
  return a.status >= 400 && a.agent === b.agent && a.status === b.status && a.errorCode === b.errorCode;
}

/** Entries newest first into lines: a run of the same rejection becomes one line with its count. */
export function foldRejections(entries: readonly LogEntry[]): LogLine[] {
  const lines: LogLine[] = [];
  for (const entry of entries) {
    const last = lines[lines.length - 1];
    if (last && sameRejection(last.entry, entry)) {
      last.count += 1;
      last.key = entry.id;
    } else {
      lines.push({ key: entry.id, entry, count: 1 });
    }
  }
  return lines;
}

/** Index of the selected line: the one with `cursor` as key, else the newest. */
export function cursorIndex(lines: readonly LogLine[], cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const i = lines.findIndex((l) => l.key === cursor);
  return i < 0 ? 0 : i;
}

/**
 * The cursor after moving `by` lines (positive: older). Back at the newest line the cursor is cleared, so the
 * selection follows new arrivals again.
 */
export function moveCursor(lines: readonly LogLine[], cursor: string | undefined, by: number): string | undefined {
  if (lines.length === 0) return undefined;
  const next = Math.min(lines.length - 1, Math.max(0, cursorIndex(lines, cursor) + by));
  return next === 0 ? undefined : lines[next]?.key;
}

/** Entries in `live` that a frozen log does not show. */
export function arrivedSince(frozen: readonly LogEntry[], live: readonly LogEntry[]): number {
  const shown = new Set(frozen.map((e) => e.id));
  let n = 0;
  for (const e of live) if (!shown.has(e.id)) n += 1;
  return n;
}
