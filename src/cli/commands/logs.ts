/** `ai-gateway logs [-f]`: recent audit rows from the running gateway; -f follows its live stream. */
import type { LogEntry } from '../../tui/source.js';
import type { LogsFlags } from '../program.js';
import { clientFor, sinceToMs } from './client-setup.js';
import { usd } from './table.js';

export async function runLogs(flags: LogsFlags): Promise<void> {
  const client = clientFor(flags);
  const print = (e: LogEntry): void => {
    process.stdout.write((flags.json ? JSON.stringify(e) : line(e)) + '\n');
  };
  try {
    const since = sinceToMs(flags.since);
    const entries = await client.getLogs({ ...(flags.agent ? { agent: flags.agent } : {}), ...(since !== undefined ? { since } : {}), limit: flags.limit });
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

function line(e: LogEntry): string {
  const time = new Date(e.ts).toISOString().slice(11, 19);
  const outcome = e.errorCode ? `${e.status} ${e.errorCode}` : String(e.status);
  const flags = [e.stream ? 'stream' : '', e.estimated ? 'estimated' : '', e.dropped?.length ? `dropped: ${e.dropped.join(',')}` : ''].filter(Boolean).join(' ');
  return `${time} ${e.agent.padEnd(12)} ${e.model.padEnd(20)} ${outcome.padEnd(24)} ${String(e.tokensIn).padStart(7)}→${String(e.tokensOut).padEnd(6)} ${usd(e.costUsd).padStart(9)} ${String(e.latencyMs).padStart(6)}ms ${flags}`.trimEnd();
}
