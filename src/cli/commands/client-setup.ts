/** Shared by the client subcommands: where the gateway is, and a management client that says who is asking. */
import { readConfig } from '../../config/index.js';
import { parseDuration } from '../../config/index.js';
import { ManagementClient } from '../../client/index.js';
import { UserError, EXIT_USAGE } from '../exit.js';
import type { ClientFlags } from '../program.js';

export function gatewayUrl(flags: ClientFlags): string {
  if (flags.url) return flags.url.replace(/\/+$/, '');
  // The address comes from the config when there is one; a broken config still leaves the default.
  const result = readConfig(flags.config ? { path: flags.config } : {});
  const g = result.config?.gateway;
  const host = !g || g.host === '0.0.0.0' || g.host === '::' ? '127.0.0.1' : g.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${g?.port ?? 8080}`;
}

export function clientFor(flags: ClientFlags, actor: 'cli' | 'tui' = 'cli'): ManagementClient {
  const token = process.env.AI_GATEWAY_ADMIN_TOKEN;
  return new ManagementClient({ baseUrl: gatewayUrl(flags), ...(token ? { token } : {}), actor });
}

/** `15m`, `2h`, `7d` ago, or an ISO date. */
export function sinceToMs(since: string | undefined, now = Date.now()): number | undefined {
  if (since === undefined) return undefined;
  const ms = parseDuration(since);
  if (ms !== undefined) return now - ms;
  const t = Date.parse(since);
  if (Number.isNaN(t)) throw new UserError(`--since takes a duration like 15m, 2h, 7d or a date, got "${since}"`, EXIT_USAGE);
  return t;
}
