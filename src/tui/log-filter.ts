/**
 * Log filtering for `/`: whitespace-separated words, all of which must match. A word matches when it
 * is contained (case-insensitively) in the agent, model, provider, status or error code; `4xx`/`5xx`
 * match status classes; `stream` means streamed requests.
 */
import type { LogEntry } from './source.js';

export function parseFilter(text: string): string[] {
  return text
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w !== '');
}

function wordMatches(entry: LogEntry, word: string): boolean {
  const cls = /^([1-5])xx$/.exec(word);
  if (cls) return Math.floor(entry.status / 100) === Number(cls[1]);
  if (word === 'stream') return entry.stream;
  const fields = [entry.agent, entry.model, entry.provider, String(entry.status), entry.errorCode ?? ''];
  return fields.some((f) => f.toLowerCase().includes(word));
}

export function matchesFilter(entry: LogEntry, words: readonly string[]): boolean {
  return words.every((w) => wordMatches(entry, w));
}

/** Entries newest first (later entries first on equal timestamps), filtered. */
export function visibleLog(entries: readonly LogEntry[], filter: string): LogEntry[] {
  const words = parseFilter(filter);
  return entries
    .map((entry, index) => ({ entry, index }))
    .filter(({ entry }) => matchesFilter(entry, words))
    .sort((a, b) => b.entry.ts - a.entry.ts || b.index - a.index)
    .map(({ entry }) => entry);
}
