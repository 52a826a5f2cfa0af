/** `ai-gateway status`: the running gateway's agents, spend and breakers, as a table or JSON. */
import { formatCost, formatCount, formatCountdown, formatPercent, formatTokens, formatUptime } from '../../core/format.js';
import type { ClientFlags } from '../program.js';
import { clientFor } from './client-setup.js';
import { renderTable } from './table.js';

export async function runStatus(flags: ClientFlags & { json?: boolean }): Promise<void> {
  const client = clientFor(flags);
  try {
    const s = await client.getStatus();
    if (flags.json) {
      process.stdout.write(JSON.stringify(s, null, 2) + '\n');
      return;
    }
    const g = s.gateway;
    process.stdout.write(`ai-gateway ${g.version} at ${g.address} — up ${formatUptime(g.now - g.startedAt)} — today ${formatCost(g.spendTodayUsd)}\n\n`);
    const spend = (usd: number, limit: number | null | undefined): string => formatCost(usd) + (limit != null ? ` / ${formatCost(limit)}` : '');
    const rows = s.agents.map((a) => [
      a.id,
      a.status === 'paused' ? `paused (${a.pauseReason ?? ''}${a.pausedBy ? ` by ${a.pausedBy}` : ''})` : a.status,
      a.model ?? '',
      formatCount(a.calls),
      formatCount(a.errors),
      `${formatTokens(a.tokensIn)}/${formatTokens(a.tokensOut)}`,
      spend(a.costHourUsd, a.budget.hourly),
      spend(a.costTodayUsd, a.budget.daily),
      spend(a.costTotalUsd, a.budget.total) + (a.unpriced ? ' +unpriced' : ''),
    ]);
    process.stdout.write(renderTable(['AGENT', 'STATUS', 'MODEL', 'CALLS', 'ERRORS', 'TOKENS in/out', 'HOUR', 'TODAY', 'TOTAL'], rows) + '\n');
    if (s.breakers.length > 0) {
      const breakers = s.breakers.map((b) => [b.key, b.state.toUpperCase(), formatPercent(b.errorRate), b.retryInMs ? formatCountdown(b.retryInMs) : '']);
      process.stdout.write('\n' + renderTable(['BREAKER', 'STATE', 'ERROR RATE', 'RETRY IN'], breakers) + '\n');
    }
  } finally {
    await client.close();
  }
}
