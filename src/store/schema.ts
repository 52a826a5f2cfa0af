/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many have run. Append new steps,
 * never edit a released one: files written by older versions upgrade by running only the steps they lack.
 */
import type Database from 'better-sqlite3';

export const MIGRATIONS: readonly string[] = [
  // 1: audit rows, control history, run-time overrides, and totals of rows removed by retention.
  `
  CREATE TABLE requests (
    id TEXT PRIMARY KEY,
    ts INTEGER NOT NULL,
    agent TEXT NOT NULL,
    provider TEXT,
    model TEXT NOT NULL,
    upstream_model TEXT,
    client_format TEXT NOT NULL,
    upstream_format TEXT,
    stream INTEGER NOT NULL DEFAULT 0,
    status INTEGER NOT NULL,
    error_code TEXT,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL,
    cost_input REAL,
    cost_cache_read REAL,
    cost_cache_write REAL,
    cost_output REAL,
    price_version TEXT,
    estimated INTEGER NOT NULL DEFAULT 0,
    latency_ms INTEGER NOT NULL DEFAULT 0,
    ttfb_ms INTEGER,
    dropped TEXT
  );
  CREATE INDEX requests_ts ON requests (ts);
  CREATE INDEX requests_agent_ts ON requests (agent, ts);

  CREATE TABLE control_events (
    id INTEGER PRIMARY KEY,
    ts INTEGER NOT NULL,
    agent TEXT,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    reason TEXT
  );
  CREATE INDEX control_events_agent ON control_events (agent, id);

  CREATE TABLE agent_overrides (
    agent TEXT PRIMARY KEY,
    paused INTEGER NOT NULL DEFAULT 0,
    pause_reason TEXT,
    pause_actor TEXT,
    paused_at INTEGER,
    budget_hourly REAL,
    budget_daily REAL,
    budget_total REAL,
    updated_at INTEGER NOT NULL
  );

  -- Lifetime totals must outlive retention: pruning folds removed rows in here before deleting them.
  CREATE TABLE pruned_totals (
    agent TEXT PRIMARY KEY,
    calls INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    unpriced_calls INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens INTEGER NOT NULL DEFAULT 0,
    last_ts INTEGER
  );
  `,
  // 2: what a call was when it is no chat call (pass-through paths), and its size on the wire.
  `
  ALTER TABLE requests ADD COLUMN path TEXT;
  ALTER TABLE requests ADD COLUMN bytes_in INTEGER;
  ALTER TABLE requests ADD COLUMN bytes_out INTEGER;
  `,
  // 3: request fields the gateway changed to fit the upstream model (reasoning removed, output cap lowered, ids hashed).
  `
  ALTER TABLE requests ADD COLUMN adjusted TEXT;
  `,
  // 4: what went wrong in words (redacted), the provider a fallback stood in for, and the reasoning share of output cost.
  `
  ALTER TABLE requests ADD COLUMN error_message TEXT;
  ALTER TABLE requests ADD COLUMN fallback_from TEXT;
  ALTER TABLE requests ADD COLUMN cost_reasoning REAL;
  `,
  // 5: whether a row counts as one of the agent's calls (refusals at admission do not), so totals rebuilt from the
  // audit at start agree with the live counters.
  `
  ALTER TABLE requests ADD COLUMN is_call INTEGER;
  `,
  // 6: how many upstream attempts a call took (retries and fallbacks included).
  `
  ALTER TABLE requests ADD COLUMN attempts INTEGER;
  `,
  // 7: which routing rule chose the model (background, thinking, long_context, web_search, vision).
  `
  ALTER TABLE requests ADD COLUMN route_rule TEXT;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** A call counts as an error when the client got an error status or it failed after a 200 (a broken stream). */
export const IS_ERROR_SQL = '(status >= 400 OR error_code IS NOT NULL)';

/** Rows that count as calls; rows from before migration 5 (is_call NULL) count, as they always did. */
export const IS_CALL_SQL = '(is_call IS NULL OR is_call = 1)';

export function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Runs the missing migrations, each in its own transaction together with its version bump. */
export function migrate(db: Database.Database, migrations: readonly string[] = MIGRATIONS): number {
  const current = userVersion(db);
  if (current > migrations.length) {
    throw new Error(
      `database schema version ${current} is newer than this ai-gateway understands (${migrations.length}); upgrade ai-gateway`,
    );
  }
  for (let v = current; v < migrations.length; v++) {
    const sql = migrations[v] ?? '';
    db.transaction(() => {
      db.exec(sql);
      // PRAGMA takes no bound parameters; `v + 1` is an integer we computed.
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
  return migrations.length;
}
