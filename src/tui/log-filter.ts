/**
 * Log filtering for `/`, in the search language of core/log-search.ts: the rows in memory are filtered as the
 * filter is typed, and once it is applied the gateway's answer from the whole stored history joins them.
 */
import { matchesLogSearch, parseLogSearch } from '../core/log-search.js';
import type { LogEntry } from '../live/snapshot.js';

/** Entries newest first (later entries first on equal timestamps), filtered. */
export function visibleLog(entries: readonly LogEntry[], filter: string): LogEntry[] {
  const terms = parseLogSearch(filter);
  return entries
    .map((entry, index) => ({ entry, index }))
    .filter(({ entry }) => matchesLogSearch(entry, terms))
    .sort((a, b) => b.entry.ts - a.entry.ts || b.index - a.index)
    .map(({ entry }) => entry);
}

/** Rows from memory and from the stored history together, each once, newest first. */
export function withHistory(visible: readonly LogEntry[], history: readonly LogEntry[]): LogEntry[] {
  const seen = new Set(visible.map((e) => e.id));
  const older = history.filter((e) => !seen.has(e.id));
  if (older.length === 0) return [...visible];
  return [...visible, ...older].sort((a, b) => b.ts - a.ts || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}
