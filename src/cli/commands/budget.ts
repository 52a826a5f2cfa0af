/** `ai-gateway budget AGENT [--hourly] [--daily] [--total]`: show, or change and show, an agent's budget. */
import { formatCost } from '../../core/format.js';
import type { BudgetPatch } from '../../live/snapshot.js';
import { UserError, EXIT_USAGE } from '../exit.js';
import type { BudgetFlags } from '../program.js';
import { clientFor } from './client-setup.js';

export async function runBudget(agent: string, flags: BudgetFlags): Promise<void> {
  const change: BudgetPatch = {};
  for (const w of ['hourly', 'daily', 'total'] as const) {
    const v = flags[w];
    if (v !== undefined) change[w] = parseLimit(w, v);
  }
  const client = clientFor(flags);
  try {
    if (Object.keys(change).length > 0) await client.setBudget(agent, change);
    const a = await client.getAgent(agent);
    const show = (limit: number | null | undefined, spent: number): string => `${formatCost(spent)} of ${limit == null ? 'no limit' : formatCost(limit)}`;
    process.stdout.write(`${agent}\n  hourly  ${show(a.budget.hourly, a.costHourUsd)}\n  daily   ${show(a.budget.daily, a.costTodayUsd)}\n  total   ${show(a.budget.total, a.costTotalUsd)}\n`);
  } finally {
    await client.close();
  }
}

function parseLimit(window: string, v: string): number | null {
  if (v === 'none' || v === 'off') return null;
  const n = Number(v.replace(/^\$/, ''));
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new UserError(`--${window} takes a number of USD ≥ 0, or "none"; got "${v}"`, EXIT_USAGE);
  return n;
}
