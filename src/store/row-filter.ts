/** The filters the row listings and the export share: one agent, and rows from a moment on. */

export interface RowFilter {
  /** Conditions joined with AND; add more before calling `whereSql`. */
  conditions: string[];
  /** Named parameters for better-sqlite3 (`@agent`, `@since`). */
  params: Record<string, string | number>;
}

export function agentSinceFilter(q: { agent?: string | undefined; sinceMs?: number | undefined }): RowFilter {
  const filter: RowFilter = { conditions: [], params: {} };
  if (q.agent !== undefined) {
    filter.conditions.push('agent = @agent');
    filter.params.agent = q.agent;
  }
  if (q.sinceMs !== undefined) {
    filter.conditions.push('ts >= @since');
    filter.params.since = q.sinceMs;
  }
  return filter;
}

/** `WHERE …`, or nothing when there are no conditions. */
export function whereSql(conditions: readonly string[]): string {
  return conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
}
