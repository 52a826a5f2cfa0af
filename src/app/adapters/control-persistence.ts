/** The controls' persistence over the audit store: agent overrides (pause state, budget changes) survive restarts. */
import type { AgentOverride, ControlPersistence } from '../../control/index.js';
import type { AgentOverrides } from '../../store/index.js';

/** Agent overrides (pause state, budget changes) kept in SQLite so they survive restarts. */
export class SqliteControlPersistence implements ControlPersistence {
  constructor(private readonly overrides: AgentOverrides) {}

  loadOverrides(): AgentOverride[] {
    return this.overrides.list().map((o) => ({
      agent: o.agent,
      pause:
        o.paused && o.pauseReason !== null
          ? { kind: o.pauseReason.startsWith('policy:') ? 'policy' : 'manual', reason: o.pauseReason, actor: o.pauseActor ?? 'unknown', since: o.pausedAt ?? o.updatedAt }
          : null,
      budget: {
        ...(o.budgetHourly !== null ? { hourly: fromStored(o.budgetHourly) } : {}),
        ...(o.budgetDaily !== null ? { daily: fromStored(o.budgetDaily) } : {}),
        ...(o.budgetTotal !== null ? { total: fromStored(o.budgetTotal) } : {}),
      },
      updatedAt: o.updatedAt,
    }));
  }

  saveOverride(o: AgentOverride): void {
    this.overrides.upsert(
      o.agent,
      {
        paused: o.pause !== null,
        pauseReason: o.pause?.reason ?? null,
        pauseActor: o.pause?.actor ?? null,
        pausedAt: o.pause?.since ?? null,
        budgetHourly: toStored(o.budget.hourly),
        budgetDaily: toStored(o.budget.daily),
        budgetTotal: toStored(o.budget.total),
      },
      o.updatedAt,
    );
  }
}

/** Store: null = follow the config, Infinity = explicitly unlimited. Controls: absent = config, null = unlimited. */
function fromStored(v: number): number | null {
  return v === Infinity ? null : v;
}
function toStored(v: number | null | undefined): number | null {
  if (v === undefined) return null;
  return v === null ? Infinity : v;
}
