/** `ai-gateway pause AGENT [-r] [--reason]` and `ai-gateway resume AGENT`. */
import type { ClientFlags } from '../program.js';
import { UserError, EXIT_RUNTIME } from '../exit.js';
import { clientFor } from './client-setup.js';

export async function runPause(agent: string, flags: ClientFlags & { resume?: boolean; reason?: string }): Promise<void> {
  const client = clientFor(flags);
  try {
    if (flags.resume) {
      const result = await client.resume(agent);
      // Exit 1: the agent still cannot make calls, which a script needs to know.
      if (result.message !== undefined) throw new UserError(`${agent}: pause lifted, but ${result.message}`, EXIT_RUNTIME);
      process.stdout.write(`${agent} resumed\n`);
    } else {
      await client.pause(agent, flags.reason);
      process.stdout.write(`${agent} paused${flags.reason ? ` (${flags.reason})` : ''}: its requests get 403 agent_paused until \`ai-gateway resume ${agent}\`\n`);
    }
  } finally {
    await client.close();
  }
}
