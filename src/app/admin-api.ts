/**
 * The management API (contract §4): status, agent detail, pause/resume, budget, logs (and their live
 * SSE stream), breakers. Guarded by the admin token when one is set (constant-time compare), otherwise
 * open to loopback callers only.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { GatewayError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import { parseSince, SINCE_HINT } from '../core/since.js';
import type { BudgetPatch } from '../control/index.js';
import type { WritableStore } from '../store/index.js';
import type { EventBus } from '../observe/event-bus.js';
import { sendError, sendJson, toGatewayError } from '../server/render-error.js';
import { isLoopback } from '../server/edge-policy.js';
import { formatSseJson, formatSseComment } from '../wire/sse.js';
import { readBody, parseJsonBody } from '../pipeline/steps/read-body.js';
import { actorFrom, type ControlActions } from './control-actions.js';
import { dashboardControlEvent, logEntryOf, type GatewayEvents } from '../live/events.js';
import type { LogEntry } from '../live/snapshot.js';
import type { RequestQueries } from './request-queries.js';

export interface AdminDeps {
  clock: Clock;
  adminToken: () => string | undefined;
  snapshot: () => unknown;
  store: WritableStore;
  bus: EventBus<GatewayEvents>;
  actions: ControlActions;
  breakers: () => unknown;
  /** Log search, request detail and spend by model, over the live state and the audit. */
  queries: RequestQueries;
  /** Aborted when the gateway shuts down: live log streams end then instead of holding the server open. */
  closing?: AbortSignal;
}

const ADMIN_BODY_LIMIT = 64 * 1024;
const STATUS_CLASS = /^[1-5]xx$/;
const STATUS_CODE = /^\d{3}$/;
const KEEPALIVE_MS = 15_000;

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export function authorized(req: IncomingMessage, token: string | undefined): boolean {
  // A browser on this machine is a loopback caller too: a page it loads must not drive the API (browsers send Origin).
  if (token === undefined || token === '') return isLoopback(req.socket.remoteAddress) && req.headers.origin === undefined;
  const auth = req.headers.authorization;
  const given = typeof auth === 'string' && auth.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : (req.headers['x-admin-token'] as string | undefined);
  if (given === undefined) return false;
  // Hash both sides so the comparison takes the same time whatever the lengths.
  return timingSafeEqual(digest(given), digest(token));
}

/**
 * /metrics: loopback callers (a Prometheus on this machine) always; others only with the admin token, so a gateway
 * bound to a network address does not publish agent names and spend to it.
 */
export function metricsAuthorized(req: IncomingMessage, token: string | undefined): boolean {
  if (isLoopback(req.socket.remoteAddress)) return true;
  return token !== undefined && token !== '' && authorized(req, token);
}

const USD_HINT = 'must be a number of USD or null';
const limitUsd = z.number({ error: USD_HINT }).nonnegative({ error: `${USD_HINT} (a limit cannot be negative)` }).nullable();
/** Bodies are strict: a misspelt field is a 400 naming it, never a 200 that changed nothing. */
const budgetBody = z.strictObject({ hourly: limitUsd.optional(), daily: limitUsd.optional(), total: limitUsd.optional() });
/** The agent-gateway format's names, at its path `PUT /api/budget/{id}`. */
const seedBudgetBody = z.strictObject({
  max_cost_per_hour: limitUsd.optional(),
  max_cost_per_day: limitUsd.optional(),
  max_cost_total: limitUsd.optional(),
});
const pauseBody = z.strictObject({ reason: z.string({ error: 'must be a string' }).optional() });
const emptyBody = z.strictObject({});

export async function handleAdmin(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams, d: AdminDeps): Promise<void> {
  const requestId = String(res.getHeader('x-request-id') ?? '');
  try {
    if (!authorized(req, d.adminToken())) {
      const why = d.adminToken() ? 'send the admin token as Authorization: Bearer <token> (AI_GATEWAY_ADMIN_TOKEN)' : 'without an admin token the management API only answers loopback callers, and not web pages';
      // Written here, not through a wire codec: that renders every authentication error as 401 invalid_api_key,
      // and a caller no token would admit must hear 403, not be asked for one.
      const status = d.adminToken() ? 401 : 403;
      const type = status === 401 ? 'authentication_error' : 'permission_error';
      const error = { message: `management API refused: ${why}`, type, param: null, code: 'admin_unauthorized' };
      return sendJson(res, status, { error }, { 'x-request-id': requestId, ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}) });
    }
    await route(req, res, path, query, d);
  } catch (err) {
    sendError(res, toGatewayError(err), 'openai-chat', requestId);
  }
}

async function route(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams, d: AdminDeps): Promise<void> {
  const method = req.method ?? 'GET';
  const parts = path.split('/').slice(2).map(safeDecode); // ['', 'api', ...]
  const actor = actorFrom(req.headers['x-ai-gateway-actor'], 'api');
  const [section, id, action] = parts;

  if (method === 'GET' && section === 'status' && parts.length === 1) return sendJson(res, 200, d.snapshot());
  if (method === 'GET' && section === 'breakers' && parts.length === 1) return sendJson(res, 200, { breakers: d.breakers() });
  if (method === 'POST' && section === 'breakers' && id !== undefined && action === 'reset') {
    d.actions.resetBreaker(id, actor);
    return sendJson(res, 200, { key: id, reset: true });
  }
  if (section === 'logs' && method === 'GET') {
    if (id === 'stream') return streamLogs(req, res, query, d);
    if (parts.length === 1) {
      const entries = d.queries.searchLogs(query.get('q') ?? '', {
        agent: query.get('agent') ?? undefined,
        sinceMs: sinceMs(query.get('since'), d.clock),
        limit: limit(query.get('limit')),
      });
      return sendJson(res, 200, { entries });
    }
    if (id !== undefined && parts.length === 2) {
      const detail = d.queries.requestDetail(id);
      if (!detail) throw new GatewayError('not_found', `no request "${id}"`);
      return sendJson(res, 200, detail);
    }
  }
  if (method === 'GET' && section === 'usage' && parts.length === 1) return sendJson(res, 200, d.queries.usage());
  if (section === 'agents' && id !== undefined) {
    if (method === 'GET' && action === undefined) {
      const snapshot = d.snapshot() as { agents: { id: string }[] };
      const agent = snapshot.agents.find((a) => a.id === id);
      if (!agent) throw new GatewayError('not_found', `no agent "${id}"`);
      d.store.sink.flush();
      return sendJson(res, 200, {
        ...agent,
        recent: d.store.queries.recentRequests({ agent: id, limit: 50 }).map(logEntryOf),
        controlEvents: d.store.queries.controlEvents({ agent: id, limit: 20 }).map(dashboardControlEvent),
      });
    }
    if (method === 'POST' && action === 'pause') {
      const body = await jsonBody(req, pauseBody);
      const reason = body.reason !== undefined && body.reason.length > 0 ? body.reason.slice(0, 200) : undefined;
      return sendJson(res, 200, { agent: id, paused: d.actions.pause(id, actor, reason) });
    }
    if (method === 'POST' && action === 'resume') {
      await jsonBody(req, emptyBody);
      const outcome = d.actions.resume(id, actor);
      const stillPaused = outcome.stillPaused === undefined ? {} : { paused: true, message: outcome.stillPaused };
      return sendJson(res, 200, { agent: id, resumed: outcome.resumed, ...stillPaused });
    }
    if (method === 'PUT' && action === 'budget') {
      const body = await jsonBody(req, budgetBody, ' (the agent-gateway names max_cost_per_* go to PUT /api/budget/{id})');
      return sendJson(res, 200, { agent: id, budget: d.actions.setBudget(id, definedOnly(body), actor) });
    }
  }
  if (method === 'PUT' && section === 'budget' && id !== undefined && action === undefined) {
    const body = await jsonBody(req, seedBudgetBody);
    const patch = definedOnly({ hourly: body.max_cost_per_hour, daily: body.max_cost_per_day, total: body.max_cost_total });
    return sendJson(res, 200, { agent: id, budget: d.actions.setBudget(id, patch, actor) });
  }
  throw new GatewayError('not_found', `no management route ${method} ${path}`);
}

function streamLogs(req: IncomingMessage, res: ServerResponse, query: URLSearchParams, d: AdminDeps): void {
  const agent = query.get('agent');
  const status = query.get('status');
  const matches = (e: LogEntry): boolean => {
    if (agent && e.agent !== agent) return false;
    if (status === 'error') return e.status >= 400 || e.errorCode !== undefined;
    if (status === 'ok') return e.status < 400 && e.errorCode === undefined;
    if (status && STATUS_CLASS.test(status)) return String(e.status)[0] === status[0];
    if (status && STATUS_CODE.test(status)) return e.status === Number(status);
    return true;
  };
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.write(formatSseComment('ai-gateway log stream'));
  const off = d.bus.on('request', (record) => {
    const entry = logEntryOf(record.row);
    if (matches(entry)) res.write(formatSseJson(entry));
  });
  const keepAlive = setInterval(() => res.write(formatSseComment('keep-alive')), KEEPALIVE_MS);
  keepAlive.unref();
  const stop = (): void => {
    off();
    clearInterval(keepAlive);
    d.closing?.removeEventListener('abort', end);
  };
  const end = (): void => {
    stop();
    res.end();
  };
  if (d.closing?.aborted) return end();
  d.closing?.addEventListener('abort', end, { once: true });
  req.on('close', stop);
}

/**
 * The body as `schema` describes it. A POST without a body (`curl -X POST …/resume`) is an empty object; a body
 * must be JSON. Unknown fields are named in the 400, with `hint` when there is a likely mix-up.
 */
async function jsonBody<T>(req: IncomingMessage, schema: z.ZodType<T>, hint = ''): Promise<T> {
  const empty = req.headers['content-length'] === '0' || (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined);
  const raw = empty ? Buffer.alloc(0) : await readBody(req, ADMIN_BODY_LIMIT);
  const parsed = schema.safeParse(raw.length === 0 ? {} : parseJsonBody(raw));
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const known = Object.keys((schema as unknown as z.ZodObject).shape);
    const names = issue.keys.map((k) => `"${k}"`).join(', ');
    const takes = known.length > 0 ? `this endpoint takes ${known.join(', ')}` : 'this endpoint takes no fields';
    throw new GatewayError('invalid_request', `unknown field${issue.keys.length === 1 ? '' : 's'} ${names}; ${takes}${hint}`, { param: issue.keys[0] ?? '' });
  }
  // Every field schema above carries its own message; at the root the body was not an object.
  if (issue.path.length === 0) throw new GatewayError('invalid_request', 'expected a JSON object');
  const field = issue.path.join('.');
  throw new GatewayError('invalid_request', `${field} ${issue.message}`, { param: field });
}

/** Drops the windows a body left out (an explicit null stays: it clears the limit). */
function definedOnly(patch: { hourly?: number | null | undefined; daily?: number | null | undefined; total?: number | null | undefined }): BudgetPatch {
  const out: BudgetPatch = {};
  for (const w of ['hourly', 'daily', 'total'] as const) {
    const v = patch[w];
    if (v !== undefined) out[w] = v;
  }
  return out;
}

function sinceMs(since: string | null, clock: Clock): number | undefined {
  if (!since) return undefined;
  const t = parseSince(since, clock.now());
  if (t === undefined) throw new GatewayError('invalid_request', `since must be ${SINCE_HINT}; got "${since}"`, { param: 'since' });
  return t;
}

function limit(v: string | null): number {
  if (v === null) return 100;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new GatewayError('invalid_request', `limit must be a positive whole number; got "${v}"`, { param: 'limit' });
  return Math.min(n, 10_000);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
