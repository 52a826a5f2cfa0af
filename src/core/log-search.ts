/**
 * The log search language, shared by the dashboard (rows in memory) and the audit store (rows in SQLite), so a
 * filter finds the same rows in both: whitespace-separated words, all of which must match. `4xx`/`5xx` match a
 * status class, `stream` streamed requests, `fallback` requests a fallback provider took; any other word matches
 * when it is contained, ignoring case, in the id, agent, model, provider, status, error code or error message.
 */

export type LogSearchTerm = { kind: 'class'; digit: number } | { kind: 'stream' } | { kind: 'fallback' } | { kind: 'text'; text: string };

/** The fields a term reads; a dashboard log entry has them all. */
export interface SearchableRow {
  id: string;
  agent: string;
  model: string;
  provider: string | null;
  status: number;
  stream: boolean;
  errorCode?: string | null | undefined;
  errorMessage?: string | null | undefined;
  fallbackFrom?: string | null | undefined;
}

export function parseLogSearch(text: string): LogSearchTerm[] {
  return text
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w !== '')
    .map((word): LogSearchTerm => {
      const cls = /^([1-5])xx$/.exec(word);
      if (cls) return { kind: 'class', digit: Number(cls[1]) };
      if (word === 'stream') return { kind: 'stream' };
      if (word === 'fallback') return { kind: 'fallback' };
      return { kind: 'text', text: word };
    });
}

function termMatches(row: SearchableRow, term: LogSearchTerm): boolean {
  switch (term.kind) {
    case 'class':
      return Math.floor(row.status / 100) === term.digit;
    case 'stream':
      return row.stream;
    case 'fallback':
      return row.fallbackFrom !== undefined && row.fallbackFrom !== null && row.fallbackFrom !== '';
    case 'text': {
      const fields = [row.id, row.agent, row.model, row.provider ?? '', String(row.status), row.errorCode ?? '', row.errorMessage ?? ''];
      return fields.some((f) => f.toLowerCase().includes(term.text));
    }
  }
}

export function matchesLogSearch(row: SearchableRow, terms: readonly LogSearchTerm[]): boolean {
  return terms.every((t) => termMatches(row, t));
}
