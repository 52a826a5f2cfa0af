/** Pause state and budget changes made at run time, kept so they survive a restart. */
import type Database from 'better-sqlite3';
import type { AgentOverride, AgentOverrideDbRow } from './rows.js';

/** Fields to change; absent fields keep their stored value. */
export type AgentOverridePatch = Partial<Omit<AgentOverride, 'agent' | 'updatedAt'>>;

function fromDb(d: AgentOverrideDbRow): AgentOverride {
  return {
    agent: d.agent,
    paused: d.paused !== 0,
    pauseReason: d.pause_reason,
    pauseActor: d.pause_actor,
    pausedAt: d.paused_at,
    budgetHourly: d.budget_hourly,
    budgetDaily: d.budget_daily,
    budgetTotal: d.budget_total,
    updatedAt: d.updated_at,
  };
}

function toDb(o: AgentOverride): AgentOverrideDbRow {
  return {
    agent: o.agent,
    paused: o.paused ? 1 : 0,
    pause_reason: o.pauseReason,
    pause_actor: o.pauseActor,
    paused_at: o.pausedAt,
    budget_hourly: o.budgetHourly,
    budget_daily: o.budgetDaily,
    budget_total: o.budgetTotal,
    updated_at: o.updatedAt,
  };
}

export interface AgentOverridesReader {
  get(agent: string): AgentOverride | undefined;
  list(): AgentOverride[];
}

export class AgentOverrides implements AgentOverridesReader {
  private readonly getStmt: Database.Statement<[string], AgentOverrideDbRow>;
  private readonly listStmt: Database.Statement<[], AgentOverrideDbRow>;
  private readonly db: Database.Database;
  private upsertStmt: Database.Statement<[AgentOverrideDbRow]> | undefined;
  private deleteStmt: Database.Statement<[string]> | undefined;

  constructor(db: Database.Database) {
    this.db = db;
    this.getStmt = db.prepare<[string], AgentOverrideDbRow>('SELECT * FROM agent_overrides WHERE agent = ?');
    this.listStmt = db.prepare<[], AgentOverrideDbRow>('SELECT * FROM agent_overrides ORDER BY agent');
  }

  get(agent: string): AgentOverride | undefined {
    const row = this.getStmt.get(agent);
    return row ? fromDb(row) : undefined;
  }

  list(): AgentOverride[] {
    return this.listStmt.all().map(fromDb);
  }

  /** Merges the patch into the stored override (or a fresh one) and returns the result. Written immediately. */
  upsert(agent: string, patch: AgentOverridePatch, nowMs: number): AgentOverride {
    // Prepared lazily: a read-only connection can read overrides but could not prepare these.
    this.upsertStmt ??= this.db.prepare<[AgentOverrideDbRow]>(
      `INSERT INTO agent_overrides (agent, paused, pause_reason, pause_actor, paused_at, budget_hourly, budget_daily, budget_total, updated_at)
       VALUES (@agent, @paused, @pause_reason, @pause_actor, @paused_at, @budget_hourly, @budget_daily, @budget_total, @updated_at)
       ON CONFLICT (agent) DO UPDATE SET paused = excluded.paused, pause_reason = excluded.pause_reason,
         pause_actor = excluded.pause_actor, paused_at = excluded.paused_at, budget_hourly = excluded.budget_hourly,
         budget_daily = excluded.budget_daily, budget_total = excluded.budget_total, updated_at = excluded.updated_at`,
    );
    const stmt = this.upsertStmt;
    return this.db
      .transaction(() => {
        const current = this.get(agent) ?? {
          agent,
          paused: false,
          pauseReason: null,
          pauseActor: null,
          pausedAt: null,
          budgetHourly: null,
          budgetDaily: null,
          budgetTotal: null,
          updatedAt: nowMs,
        };
        const next: AgentOverride = {
          agent,
          paused: patch.paused ?? current.paused,
          // null is a value here (clears the field), so only undefined means "keep".
          pauseReason: patch.pauseReason === undefined ? current.pauseReason : patch.pauseReason,
          pauseActor: patch.pauseActor === undefined ? current.pauseActor : patch.pauseActor,
          pausedAt: patch.pausedAt === undefined ? current.pausedAt : patch.pausedAt,
          budgetHourly: patch.budgetHourly === undefined ? current.budgetHourly : patch.budgetHourly,
          budgetDaily: patch.budgetDaily === undefined ? current.budgetDaily : patch.budgetDaily,
          budgetTotal: patch.budgetTotal === undefined ? current.budgetTotal : patch.budgetTotal,
          updatedAt: nowMs,
        };
        stmt.run(toDb(next));
        return next;
      })
      .immediate();
  }

  /** Forgets an agent's overrides so its config applies again. Returns whether there was one. */
  remove(agent: string): boolean {
    this.deleteStmt ??= this.db.prepare<[string]>('DELETE FROM agent_overrides WHERE agent = ?');
    return this.deleteStmt.run(agent).changes > 0;
  }
}
