/** `ai-gateway pause AGENT [-r] [--reason]` and `ai-gateway resume AGENT`. */
import type { ClientFlags } from '../program.js';
import { clientFor } from './client-setup.js';

export async function runPause(agent: string, flags: ClientFlags & { resume?: boolean; reason?: string }): Promise<void> {
  const client = clientFor(flags);
  try {
    if (flags.resume) {
      await client.resume(agent);
      process.stdout.write(`${agent} resumed\n`);
    } else {
      await client.pause(agent, flags.reason);
      process.stdout.write(`${agent} paused${flags.reason ? ` (${flags.reason})` : ''}: its requests get 403 agent_paused until \`ai-gateway resume ${agent}\`\n`);
    }
  } finally {
    await client.close();
  }
}
