/** Shared by the client subcommands: where the gateway is, and a management client that says who is asking. */
import { readConfig } from '../../config/index.js';
import { parseSince, SINCE_HINT } from '../../core/since.js';
import { ManagementClient } from '../../client/index.js';
import { UserError, EXIT_USAGE } from '../exit.js';
import type { ClientFlags } from '../program.js';

export function gatewayUrl(flags: ClientFlags): string {
  if (flags.url) return flags.url.replace(/\/+$/, '');
  // The address comes from the config when there is one; a broken config still leaves the default.
  const result = readConfig(flags.config ? { path: flags.config } : {});
  const g = result.config?.gateway;
  const host = !g || g.host === '0.0.0.0' || g.host === '::' ? '127.0.0.1' : g.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${flags.port ?? g?.port ?? 8080}`;
}

export function clientFor(flags: ClientFlags, actor: 'cli' | 'tui' = 'cli'): ManagementClient {
  const token = process.env.AI_GATEWAY_ADMIN_TOKEN;
  return new ManagementClient({ baseUrl: gatewayUrl(flags), ...(token ? { token } : {}), actor });
}

/** `--since` as epoch ms, by the parser the management API uses too; a usage error when it is neither a duration nor a date. */
export function sinceFlag(since: string, now = Date.now()): number {
  const t = parseSince(since, now);
  if (t === undefined) throw new UserError(`--since takes ${SINCE_HINT}; got "${since}"`, EXIT_USAGE);
  return t;
}
