/** Read queries over the audit store: logs, control history, and the totals budgets are rebuilt from. */
import type Database from 'better-sqlite3';
import type { LogSearchTerm } from '../core/log-search.js';
import type { AgentLastError, ModelUsage } from '../live/snapshot.js';
import { IS_CALL_SQL, IS_ERROR_SQL } from './schema.js';
import { agentSinceFilter, whereSql } from './row-filter.js';
import {
  fromControlEventDbRow,
  fromDbRow,
  type ControlEventDbRow,
  type ControlEventRow,
  type RequestDbRow,
  type RequestRow,
} from './rows.js';

export interface RecentRequestsQuery {
  agent?: string | undefined;
  /** Only rows with ts >= sinceMs. */
  sinceMs?: number | undefined;
  /** Default 100, at most 10,000. */
  limit?: number | undefined;
  /** Paging: only rows older than this row (by ts, then id). An unknown id gives no rows. */
  beforeId?: string | undefined;
  /** Only rows every term matches (core/log-search.ts: the dashboard's filter, run over the whole history). */
  search?: readonly LogSearchTerm[] | undefined;
}

export interface ControlEventsQuery {
  agent?: string | undefined;
  /** Only events of this kind, e.g. `alert`. */
  kind?: string | undefined;
  sinceMs?: number | undefined;
  limit?: number | undefined;
  /** Paging: only events with a smaller id. */
  beforeId?: number | undefined;
}

export interface SpendTotals {
  calls: number;
  /** Error status, or a failure after the response started (error_code set). */
  errors: number;
  /** Priced calls only; see `unpricedCalls`. */
  costUsd: number;
  /** Calls whose model had no price: their cost is unknown, not zero. */
  unpricedCalls: number;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number;
}

export interface AgentSpend {
  agent: string;
  /** Everything ever recorded, including rows since removed by retention. */
  lifetime: SpendTotals;
  /** Rows with ts >= the `sinceMs` asked for (retained rows only). */
  since: SpendTotals;
  /** Newest row's ts, or null. */
  lastTs: number | null;
}

/** One call's contribution to a rolling window. */
export interface SpendPoint {
  agent: string;
  ts: number;
  /** Null = unpriced. */
  costUsd: number | null;
  error: boolean;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;

function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_LIMIT;
  return Math.min(MAX_LIMIT, Math.max(1, Math.floor(limit)));
}

const TOTAL_FIELDS: readonly [keyof SpendTotals, string][] = [
  ['calls', `CASE WHEN ${IS_CALL_SQL} THEN 1 ELSE 0 END`],
  ['errors', `CASE WHEN ${IS_CALL_SQL} AND ${IS_ERROR_SQL} THEN 1 ELSE 0 END`],
  ['costUsd', 'cost_usd'],
  ['unpricedCalls', `CASE WHEN ${IS_CALL_SQL} AND cost_usd IS NULL THEN 1 ELSE 0 END`],
  ['inputTokens', 'input_tokens'],
  ['cacheReadTokens', 'cache_read_tokens'],
  ['cacheWriteTokens', 'cache_write_tokens'],
  ['outputTokens', 'output_tokens'],
  ['reasoningTokens', 'reasoning_tokens'],
];

// TOTAL() skips NULLs (unpriced costs) and returns 0.0 for none, where SUM() would return NULL.
const AGENT_SPEND_SQL = `SELECT agent, MAX(ts) AS last_ts,
  ${TOTAL_FIELDS.map(([k, e]) => `TOTAL(${e}) AS l_${k}`).join(',\n  ')},
  ${TOTAL_FIELDS.map(([k, e]) => `TOTAL(CASE WHEN ts >= @since THEN ${e} END) AS s_${k}`).join(',\n  ')}
  FROM requests GROUP BY agent`;

const PRUNED_SQL = `SELECT agent, calls, errors, cost_usd, unpriced_calls, input_tokens, cache_read_tokens,
  cache_write_tokens, output_tokens, reasoning_tokens, last_ts FROM pruned_totals`;

interface PrunedDbRow {
  agent: string;
  calls: number;
  errors: number;
  cost_usd: number;
  unpriced_calls: number;
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  last_ts: number | null;
}

function zeroTotals(): SpendTotals {
  return {
    calls: 0,
    errors: 0,
    costUsd: 0,
    unpricedCalls: 0,
    inputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: 0,
    reasoningTokens: 0,
  };
}

/** Model names come from clients: a listing of them is bounded. */
export const MAX_USAGE_ROWS = 500;

// Every row, refusals included (as the live hour view counts them, under "(refused)"). A priced call's cost is
// counted; an unpriced one (cost NULL) is counted apart, never as $0.
const USAGE_BY_MODEL_SQL = `SELECT provider, COALESCE(upstream_model, model) AS model, COUNT(*) AS calls,
  TOTAL(CASE WHEN ${IS_ERROR_SQL} THEN 1 ELSE 0 END) AS errors,
  TOTAL(input_tokens + cache_read_tokens + cache_write_tokens) AS tokens_in, TOTAL(output_tokens) AS tokens_out,
  TOTAL(cost_usd) AS cost_usd, TOTAL(CASE WHEN cost_usd IS NULL AND provider IS NOT NULL AND status < 400 THEN 1 ELSE 0 END) AS unpriced
  FROM requests WHERE ts >= @since GROUP BY provider, COALESCE(upstream_model, model)
  ORDER BY calls DESC LIMIT ${MAX_USAGE_ROWS}`;

// SQLite gives the bare columns of the row that holds the MAX().
const LAST_ERRORS_SQL = `SELECT agent, MAX(ts) AS ts, status, error_code, error_message FROM requests
  WHERE ${IS_ERROR_SQL} GROUP BY agent`;

/** The columns a free-text search word is looked for in (see core/log-search.ts). */
const SEARCH_TEXT_COLUMNS = ['id', 'agent', 'model', 'provider', 'CAST(status AS TEXT)', 'error_code', 'error_message'];

/** SQL conditions for search terms, their parameters added to `params` (LIKE ignores ASCII case, as the filter does). */
function searchConditions(terms: readonly LogSearchTerm[], params: Record<string, string | number>): string[] {
  return terms.map((term, i) => {
    switch (term.kind) {
      case 'class':
        params[`class${i}`] = term.digit;
        return `status / 100 = @class${i}`;
      case 'stream':
        return 'stream = 1';
      case 'fallback':
        return "COALESCE(fallback_from, '') <> ''";
      case 'text':
        params[`word${i}`] = `%${term.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        return `(${SEARCH_TEXT_COLUMNS.map((c) => `${c} LIKE @word${i} ESCAPE '\\'`).join(' OR ')})`;
    }
  });
}

export class StoreQueries {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  /** Newest first. */
  recentRequests(q: RecentRequestsQuery = {}): RequestRow[] {
    const { conditions: where, params } = agentSinceFilter(q);
    params.limit = clampLimit(q.limit);
    if (q.search) where.push(...searchConditions(q.search, params));
    if (q.beforeId !== undefined) {
      const anchor = this.stmt('SELECT ts FROM requests WHERE id = ?').get(q.beforeId) as { ts: number } | undefined;
      if (!anchor) return [];
      where.push('(ts < @beforeTs OR (ts = @beforeTs AND id < @beforeId))');
      params.beforeTs = anchor.ts;
      params.beforeId = q.beforeId;
    }
    const sql = `SELECT * FROM requests ${whereSql(where)}
      ORDER BY ts DESC, id DESC LIMIT @limit`;
    return (this.stmt(sql).all(params) as RequestDbRow[]).map(fromDbRow);
  }

  requestById(id: string): RequestRow | undefined {
    const row = this.stmt('SELECT * FROM requests WHERE id = ?').get(id) as RequestDbRow | undefined;
    return row ? fromDbRow(row) : undefined;
  }

  /** Newest first. */
  controlEvents(q: ControlEventsQuery = {}): ControlEventRow[] {
    const { conditions: where, params } = agentSinceFilter(q);
    params.limit = clampLimit(q.limit);
    if (q.kind !== undefined) {
      where.push('kind = @kind');
      params.kind = q.kind;
    }
    if (q.beforeId !== undefined) {
      where.push('id < @beforeId');
      params.beforeId = q.beforeId;
    }
    const sql = `SELECT * FROM control_events ${whereSql(where)}
      ORDER BY id DESC LIMIT @limit`;
    return (this.stmt(sql).all(params) as ControlEventDbRow[]).map(fromControlEventDbRow);
  }

  /**
   * Per-agent totals for rebuilding counters at start: lifetime (for total budgets, call and error counts)
   * and since a moment (start of the local day for daily budgets). One pass over the table.
   */
  agentSpend(sinceMs: number): AgentSpend[] {
    const byAgent = new Map<string, AgentSpend>();
    for (const r of this.stmt(AGENT_SPEND_SQL).all({ since: sinceMs }) as Record<string, number | string | null>[]) {
      const lifetime = zeroTotals();
      const since = zeroTotals();
      for (const [k] of TOTAL_FIELDS) {
        lifetime[k] = Number(r[`l_${k}`] ?? 0);
        since[k] = Number(r[`s_${k}`] ?? 0);
      }
      const agent = String(r.agent);
      byAgent.set(agent, { agent, lifetime, since, lastTs: r.last_ts === null ? null : Number(r.last_ts) });
    }
    for (const p of this.stmt(PRUNED_SQL).all() as PrunedDbRow[]) {
      let entry = byAgent.get(p.agent);
      if (!entry) {
        entry = { agent: p.agent, lifetime: zeroTotals(), since: zeroTotals(), lastTs: p.last_ts };
        byAgent.set(p.agent, entry);
      }
      const l = entry.lifetime;
      l.calls += p.calls;
      l.errors += p.errors;
      l.costUsd += p.cost_usd;
      l.unpricedCalls += p.unpriced_calls;
      l.inputTokens += p.input_tokens;
      l.cacheReadTokens += p.cache_read_tokens;
      l.cacheWriteTokens += p.cache_write_tokens;
      l.outputTokens += p.output_tokens;
      l.reasoningTokens += p.reasoning_tokens;
      if (entry.lastTs === null || (p.last_ts !== null && p.last_ts > entry.lastTs)) entry.lastTs = p.last_ts;
    }
    return [...byAgent.values()].sort((a, b) => (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0));
  }

  /** Per provider and model totals of the rows with ts >= sinceMs (the dashboard's "today" view). */
  usageByModel(sinceMs: number): ModelUsage[] {
    const rows = this.stmt(USAGE_BY_MODEL_SQL).all({ since: sinceMs }) as {
      provider: string | null;
      model: string;
      calls: number;
      errors: number;
      tokens_in: number;
      tokens_out: number;
      cost_usd: number;
      unpriced: number;
    }[];
    return rows.map((r) => ({
      provider: r.provider,
      model: r.model,
      calls: r.calls,
      errors: r.errors,
      tokensIn: r.tokens_in,
      tokensOut: r.tokens_out,
      costUsd: r.cost_usd,
      unpricedCalls: r.unpriced,
    }));
  }

  /** Each agent's newest failed request (the audit's error rule), to show after a restart. */
  lastErrors(): AgentLastError[] {
    const rows = this.stmt(LAST_ERRORS_SQL).all() as { agent: string; ts: number; status: number; error_code: string | null; error_message: string | null }[];
    return rows.map((r) => ({ agent: r.agent, ts: r.ts, status: r.status, errorCode: r.error_code, errorMessage: r.error_message }));
  }

  /** Calls with ts >= sinceMs, oldest first: replayed into rolling windows (the hourly budget, calls this hour). */
  spendPoints(sinceMs: number, agent?: string): SpendPoint[] {
    const { conditions, params } = agentSinceFilter({ agent, sinceMs });
    const sql = `SELECT agent, ts, cost_usd, ${IS_ERROR_SQL} AS error FROM requests ${whereSql(conditions)} ORDER BY ts, id`;
    const rows = this.stmt(sql).all(params) as { agent: string; ts: number; cost_usd: number | null; error: number }[];
    return rows.map((r) => ({ agent: r.agent, ts: r.ts, costUsd: r.cost_usd, error: r.error !== 0 }));
  }

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }
}
