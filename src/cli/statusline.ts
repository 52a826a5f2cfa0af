/**
 * `ai-gateway statusline`: one short line for Claude Code's status line (or any tool that runs a command and shows
 * what it prints): an agent's spend this hour and today against its budget, read from the running gateway's
 * `GET /api/status`. A status line runs after every message, so this answers fast and never fails loudly: it loads
 * only node's http and the shared formatting, and every problem (nothing running, a refused token, a timeout)
 * becomes a short line and exit 0, since the tool would blank its status line on a non-zero exit.
 *
 * The JSON Claude Code writes on stdin (session, model, workspace, its own cost estimate) is not needed here and is
 * left unread; the gateway is the source of every figure.
 */
import type { IncomingMessage } from 'node:http';
import { parseArgs } from 'node:util';
import { isConnectionRefused } from '../client/errors.js';
import { formatCost } from '../core/format.js';
import type { AgentStatus, DashboardSnapshot } from '../live/snapshot.js';
import { messageOf } from '../core/errors.js';

export interface StatuslineOptions {
  agent?: string | undefined;
  url?: string | undefined;
  port?: number | undefined;
}

const DEFAULT_URL = 'http://127.0.0.1:8080';
/** A gateway that does not answer in this time is reported as such rather than holding up the tool. */
const TIMEOUT_MS = 400;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The agent the line is about: the `/agents/{id}` path of ANTHROPIC_BASE_URL, else an `x-agent-id` header in
 * ANTHROPIC_CUSTOM_HEADERS ("Name: value" lines), else `default` — the gateway's own order for naming an agent.
 */
export function agentFromEnv(env: NodeJS.ProcessEnv): string {
  const path = baseUrl(env)?.pathname ?? '';
  const fromPath = /\/agents\/([^/]+)/.exec(path)?.[1];
  if (fromPath) return safeDecode(fromPath);
  for (const line of (env.ANTHROPIC_CUSTOM_HEADERS ?? '').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === 'x-agent-id') {
      const id = line.slice(colon + 1).trim();
      if (id) return id;
    }
  }
  return 'default';
}

/**
 * Where the gateway is: --url, else 127.0.0.1 at --port, else the origin of ANTHROPIC_BASE_URL when that is this
 * machine, else the default address. A base URL elsewhere may be the provider itself: it is never asked, and never
 * sent the admin token.
 */
export function gatewayUrl(options: StatuslineOptions, env: NodeJS.ProcessEnv): string {
  if (options.url) return options.url.replace(/\/+$/, '');
  if (options.port !== undefined) return `http://127.0.0.1:${options.port}`;
  const base = baseUrl(env);
  if (base && base.protocol === 'http:' && (LOOPBACK_HOSTS.has(base.hostname) || base.hostname.startsWith('127.'))) return base.origin;
  return DEFAULT_URL;
}

/** e.g. `ai-gateway coder · $1.20/h of $5 · today $8.40 of $20`. */
export function renderStatusline(agentId: string, snapshot: Pick<DashboardSnapshot, 'agents'>): string {
  const a: AgentStatus | undefined = snapshot.agents.find((x) => x.id === agentId);
  if (!a) return `ai-gateway ${agentId} · no requests yet`;
  const of = (limit: number | null | undefined): string => (limit == null ? '' : ` of ${formatCost(limit)}`);
  const parts = [`ai-gateway ${a.id}`];
  if (a.status === 'paused') parts.push(`paused${a.pauseReason ? ` (${a.pauseReason})` : ''}`);
  parts.push(`${formatCost(a.costHourUsd)}/h${of(a.budget.hourly)}`, `today ${formatCost(a.costTodayUsd)}${of(a.budget.daily)}`);
  if (a.budget.total != null) parts.push(`total ${formatCost(a.costTotalUsd)}${of(a.budget.total)}`);
  // Unpriced calls are not in the figures above: say so rather than let them read as complete.
  if (a.unpriced) parts.push('+unpriced');
  return parts.join(' · ');
}

/** Prints the line. Never rejects and never exits non-zero. */
export async function runStatusline(options: StatuslineOptions, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const url = gatewayUrl(options, env);
  const agent = options.agent || agentFromEnv(env);
  let line: string;
  try {
    const answer = await getStatus(url, env.AI_GATEWAY_ADMIN_TOKEN);
    line = answer.kind === 'ok' ? renderStatusline(agent, answer.snapshot) : answer.line;
  } catch {
    line = `ai-gateway: no status from ${url}`;
  }
  process.stdout.write(line + '\n');
}

/** The fast path's own argument parsing (main.ts runs this without loading commander). */
export async function runStatuslineCommand(argv: string[]): Promise<void> {
  let options: StatuslineOptions;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { agent: { type: 'string' }, url: { type: 'string' }, port: { type: 'string', short: 'p' } },
    });
    const port = values.port === undefined ? undefined : Number(values.port);
    if (port !== undefined && (!Number.isInteger(port) || port <= 0 || port > 65535)) throw new Error(`--port takes a port number, got "${values.port}"`);
    options = { agent: values.agent, url: values.url, port };
  } catch (err) {
    process.stderr.write(`ai-gateway statusline: ${messageOf(err)} (see ai-gateway statusline --help)\n`);
    process.exitCode = 2;
    return;
  }
  await runStatusline(options);
}

type StatusAnswer = { kind: 'ok'; snapshot: DashboardSnapshot } | { kind: 'problem'; line: string };

function getStatus(url: string, token: string | undefined): Promise<StatusAnswer> {
  const target = new URL(`${url}/api/status`);
  // getBuiltinModule, not import: an ES import of node:http builds its whole namespace, whose lazy getters load
  // node's bundled fetch and http2 (about 60 ms, most of this command's budget).
  const { request } = target.protocol === 'https:' ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http');
  return new Promise((resolve) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const req = request(target, { headers, timeout: TIMEOUT_MS }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('error', () => resolve({ kind: 'problem', line: `ai-gateway: no status from ${url}` }));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status === 401 || status === 403) return resolve({ kind: 'problem', line: 'ai-gateway: admin token refused (set AI_GATEWAY_ADMIN_TOKEN)' });
        if (status !== 200) return resolve({ kind: 'problem', line: `ai-gateway: status unavailable (HTTP ${status})` });
        try {
          const snapshot = JSON.parse(body) as DashboardSnapshot;
          if (!Array.isArray(snapshot.agents)) throw new Error('no agents');
          resolve({ kind: 'ok', snapshot });
        } catch {
          resolve({ kind: 'problem', line: `ai-gateway: unexpected answer from ${url}` });
        }
      });
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ kind: 'problem', line: `ai-gateway: no answer from ${url} in ${TIMEOUT_MS} ms` });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      resolve({ kind: 'problem', line: isConnectionRefused(err) ? 'ai-gateway: not running' : `ai-gateway: no status from ${url} (${err.code ?? err.message})` });
    });
    req.end();
  });
}

function baseUrl(env: NodeJS.ProcessEnv): URL | undefined {
  const raw = env.ANTHROPIC_BASE_URL;
  if (!raw) return undefined;
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
