/**
 * The questions the dashboard and the management API ask of past requests: a log search over the whole audit,
 * one request in full, and spend by provider and model. Live counters answer what they hold (the last hour, the
 * last requests); SQLite answers the rest. Called on demand, never on the proxy path.
 */
import type { Clock } from '../core/clock.js';
import { parseLogSearch } from '../core/log-search.js';
import type { WritableStore } from '../store/index.js';
import type { LogEntry, RequestDetail, UsageReport } from '../live/snapshot.js';
import { logEntryOf, requestDetailOf } from '../live/events.js';
import type { LiveState } from '../live/live-state.js';

export interface RequestQueriesDeps {
  clock: Clock;
  store: Pick<WritableStore, 'queries' | 'sink'>;
  live: LiveState;
  /** Epoch ms of the start of the current local day (the daily budgets' day). */
  dayStart: () => number;
}

/** Rows a dashboard search brings back. */
export const SEARCH_LIMIT = 500;

export class RequestQueries {
  constructor(private readonly d: RequestQueriesDeps) {}

  /** The newest rows (newest first) matching a log filter, from everything stored. */
  searchLogs(filter: string, options: { agent?: string | undefined; sinceMs?: number | undefined; limit?: number } = {}): LogEntry[] {
    // Rows still queued for the disk are part of the history asked about.
    this.d.store.sink.flush();
    return this.d.store.queries
      .recentRequests({ search: parseLogSearch(filter), agent: options.agent, sinceMs: options.sinceMs, limit: options.limit ?? SEARCH_LIMIT })
      .map(logEntryOf);
  }

  requestDetail(id: string): RequestDetail | undefined {
    const live = this.d.live.row(id);
    if (live) return requestDetailOf(live);
    this.d.store.sink.flush();
    const stored = this.d.store.queries.requestById(id);
    return stored ? requestDetailOf(stored) : undefined;
  }

  usage(): UsageReport {
    const dayFrom = this.d.dayStart();
    this.d.store.sink.flush();
    return { now: this.d.clock.now(), hour: this.d.live.usageHour(), day: this.d.store.queries.usageByModel(dayFrom), dayFrom };
  }
}
