/** `ai-gateway status`: the running gateway's agents, spend and breakers, as a table or JSON. */
import type { ClientFlags } from '../program.js';
import { clientFor } from './client-setup.js';
import { renderTable, usd } from './table.js';

export async function runStatus(flags: ClientFlags & { json?: boolean }): Promise<void> {
  const client = clientFor(flags);
  try {
    const s = await client.getStatus();
    if (flags.json) {
      process.stdout.write(JSON.stringify(s, null, 2) + '\n');
      return;
    }
    const g = s.gateway;
    process.stdout.write(`ai-gateway ${g.version} at ${g.address} — up ${Math.round((g.now - g.startedAt) / 1000)}s — today ${usd(g.spendTodayUsd)}\n\n`);
    const rows = s.agents.map((a) => [
      a.id,
      a.status === 'paused' ? `paused (${a.pauseReason ?? ''}${a.pausedBy ? ` by ${a.pausedBy}` : ''})` : a.status,
      a.model ?? '',
      String(a.calls),
      String(a.errors),
      `${a.tokensIn}/${a.tokensOut}`,
      usd(a.costHourUsd) + (a.budget.hourly != null ? ` / ${usd(a.budget.hourly)}` : ''),
      usd(a.costTodayUsd) + (a.budget.daily != null ? ` / ${usd(a.budget.daily)}` : ''),
      usd(a.costTotalUsd) + (a.budget.total != null ? ` / ${usd(a.budget.total)}` : '') + (a.unpriced ? ' +unpriced' : ''),
    ]);
    process.stdout.write(renderTable(['AGENT', 'STATUS', 'MODEL', 'CALLS', 'ERRORS', 'TOKENS in/out', 'HOUR', 'TODAY', 'TOTAL'], rows) + '\n');
    if (s.breakers.length > 0) {
      process.stdout.write('\n' + renderTable(['BREAKER', 'STATE', 'ERROR RATE', 'RETRY IN'], s.breakers.map((b) => [b.key, b.state.toUpperCase(), `${(b.errorRate * 100).toFixed(1)}%`, b.retryInMs ? `${Math.ceil(b.retryInMs / 1000)}s` : ''])) + '\n');
    }
  } finally {
    await client.close();
  }
}
