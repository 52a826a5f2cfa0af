/**
 * What a dashboard session cost, printed once the dashboard has left the screen: how long it was open, the
 * requests answered meanwhile, and the spend of each agent that spent or called, with the total.
 */
import { fit, formatCost, formatCount, formatUptime } from '../core/format.js';
import type { DashboardSnapshot } from '../live/snapshot.js';

export function sessionSummary(first: DashboardSnapshot, last: DashboardSnapshot, openedAt: number, closedAt: number): string[] {
  const before = new Map(first.agents.map((a) => [a.id, a]));
  const rows = last.agents
    .map((a) => {
      const b = before.get(a.id);
      return { id: a.id, calls: Math.max(0, a.calls - (b?.calls ?? 0)), spent: Math.max(0, a.costTotalUsd - (b?.costTotalUsd ?? 0)) };
    })
    .filter((r) => r.calls > 0 || r.spent > 0)
    .sort((a, b) => b.spent - a.spent || a.id.localeCompare(b.id));
  const total = rows.reduce((sum, r) => sum + r.spent, 0);
  const served = last.gateway.requestsServed !== undefined && first.gateway.requestsServed !== undefined ? last.gateway.requestsServed - first.gateway.requestsServed : undefined;
  const requests = served ?? rows.reduce((sum, r) => sum + r.calls, 0);
  const lines = [`ai-gateway: session ${formatUptime(closedAt - openedAt)} · ${formatCount(requests)} request${requests === 1 ? '' : 's'} · ${formatCost(total)} spent`];
  const name = Math.min(24, rows.reduce((w, r) => Math.max(w, r.id.length), 5));
  const callsWidth = rows.reduce((w, r) => Math.max(w, formatCount(r.calls).length), 1);
  for (const r of rows) lines.push(`  ${fit(r.id, name)}  ${fit(formatCount(r.calls), callsWidth, 'right')} call${r.calls === 1 ? ' ' : 's'}  ${formatCost(r.spent)}`);
  if (rows.length > 0) lines.push(`  ${fit('total', name)}  ${' '.repeat(callsWidth + 6)}  ${formatCost(total)}`);
  return lines;
}
