/** `ai-gateway logs [-f]`: recent audit rows from the running gateway; -f follows its live stream. */
import { formatClockTime, formatCost, formatLatency, formatTokens } from '../../core/format.js';
import type { LogEntry } from '../../live/snapshot.js';
import type { LogsFlags } from '../program.js';
import { clientFor, sinceFlag } from './client-setup.js';

export async function runLogs(flags: LogsFlags): Promise<void> {
  // Checked here so a typo is a usage error before any request; the gateway resolves the text against its own clock.
  if (flags.since !== undefined) sinceFlag(flags.since);
  const client = clientFor(flags);
  const print = (e: LogEntry): void => {
    process.stdout.write((flags.json ? JSON.stringify(e) : line(e)) + '\n');
  };
  try {
    const entries = await client.getLogs({ ...(flags.agent ? { agent: flags.agent } : {}), ...(flags.since !== undefined ? { since: flags.since } : {}), limit: flags.limit });
    for (const e of [...entries].sort((a, b) => a.ts - b.ts)) print(e);
    if (!flags.follow) return;
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await client.streamLogs(flags.agent ? { agent: flags.agent } : {}, print, controller.signal);
  } finally {
    await client.close();
  }
}

/** One request per line, spelled as the dashboard's log panel spells it. */
function line(e: LogEntry): string {
  const outcome = e.errorCode ? `${e.status} ${e.errorCode}` : String(e.status);
  const flags = [e.stream ? 'stream' : '', e.estimated ? 'estimated' : '', e.attempts ? `attempts: ${e.attempts}` : '', e.dropped?.length ? `dropped: ${e.dropped.join(',')}` : '', e.adjusted?.length ? `adjusted: ${e.adjusted.join(',')}` : ''].filter(Boolean).join(' ');
  const tokens = `${formatTokens(e.tokensIn).padStart(5)}→${formatTokens(e.tokensOut).padEnd(5)}`;
  // The provider that answered, after the first choice it stood in for: `first↩fallback`.
  const provider = e.fallbackFrom ? `${e.fallbackFrom}↩${e.provider}` : e.provider || '—';
  return `${formatClockTime(e.ts)} ${e.agent.padEnd(12)} ${provider.padEnd(16)} ${e.model.padEnd(20)} ${outcome.padEnd(24)} ${tokens} ${formatCost(e.costUsd).padStart(9)} ${formatLatency(e.latencyMs).padStart(6)} ${flags}`.trimEnd();
}
