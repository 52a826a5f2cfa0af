/**
 * The management API over real HTTP (contract §4): status, agent detail, budget changes, logs and their live
 * SSE stream, breakers and their reset, and who may call it at all.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createParser } from 'eventsource-parser';
import { startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { FakeClock } from '../helpers/clock.js';
import { authorized, handleAdmin, type AdminDeps } from '../../src/server/admin-routes.js';
import { managementApi } from '../../src/app/adapters/management.js';
import { isLoopback } from '../../src/server/edge-policy.js';
import { systemClock } from '../../src/core/clock.js';

interface Res {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

async function api(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> {
  const res = await fetch(url + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

async function chat(url: string, agent: string): Promise<number> {
  const res = await fetch(`${url}/agents/${agent}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-client' },
    body: JSON.stringify({ model: 'gpt-mgmt', messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Runs the admin handler on a hand-made request (any remote address) and captures what it writes. */
async function respond(req: IncomingMessage, path: string, deps: AdminDeps, method: string): Promise<{ status: number; body: string }> {
  const out = { status: 0, body: '' };
  let sent = false;
  const res = {
    getHeader: () => 'req_direct',
    get headersSent() {
      return sent;
    },
    writableEnded: false,
    writeHead(status: number) {
      out.status = status;
      sent = true;
      return res;
    },
    end(body?: string) {
      out.body = body ?? '';
    },
  };
  Object.assign(req, { method });
  await handleAdmin(req, res as unknown as ServerResponse, path, new URLSearchParams(), deps);
  return out;
}

function yamlFor(fake: FakeUpstream, extra: string[] = []): string {
  return [
    ...extra,
    'providers:',
    `  fo: { type: openai, base_url: ${fake.baseURL}, api_key: sk-x }`,
    'models:',
    '  "gpt-*": fo',
    'prices:',
    '  gpt-mgmt: { input: 1000, output: 1000 }',
    'agents:',
    '  alpha: { budget: { max_cost_per_hour: 2, max_cost_per_day: 10 }, rate_limit: 100/min }',
    '  beta:',
    '    circuit_breaker: { error_threshold: 1, window: 60s, reset_timeout: 30s, half_open_requests: 1 }',
  ].join('\n');
}

describe('management API', () => {
  const clock = new FakeClock('2025-06-02T09:00:00Z');
  let fake: FakeUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    // 12 + 8 tokens at $0.001 each: $0.02 a call.
    fake.setScenario({ kind: 'text', usage: { input: 12, output: 8 } });
    gw = await startTestGateway({ clock, yaml: yamlFor(fake) });
  });
  afterAll(async () => {
    await gw.stop();
    await fake.close();
  });

  it('GET /api/status: gateway info, every configured agent with spend and budget, breakers, recent requests', async () => {
    expect(await chat(gw.url, 'alpha')).toBe(200);
    await eventually(() => gw.rows().length === 1);
    const r = await api(gw.url, 'GET', '/api/status');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(Object.keys(r.json).sort()).toEqual(['agents', 'breakers', 'controlEvents', 'gateway', 'recent']);
    const g = r.json.gateway as Record<string, unknown>;
    // fo plus the embedded openai and anthropic providers (gateway.embedded_defaults).
    expect(g).toMatchObject({ address: gw.url, now: clock.now(), providers: 3 });
    expect(typeof g.version).toBe('string');
    expect(g.spendTodayUsd).toBeCloseTo(0.02, 12);
    const agents = r.json.agents as Record<string, unknown>[];
    expect(agents.map((a) => a.id)).toEqual(expect.arrayContaining(['alpha', 'beta']));
    const alpha = agents.find((a) => a.id === 'alpha')!;
    expect(alpha).toMatchObject({
      status: 'active',
      calls: 1,
      errors: 0,
      tokensIn: 12,
      tokensOut: 8,
      unpriced: false,
      budget: { hourly: 2, daily: 10, total: null },
      rateLimit: '100/min',
      model: 'gpt-mgmt',
      lastSeen: clock.now(),
    });
    expect(alpha.costHourUsd).toBeCloseTo(0.02, 12);
    expect(alpha.costTotalUsd).toBeCloseTo(0.02, 12);
    expect(agents.find((a) => a.id === 'beta')).toMatchObject({ status: 'idle', calls: 0, budget: { hourly: null, daily: null, total: null } });
    expect(r.json.recent).toEqual([expect.objectContaining({ agent: 'alpha', status: 200, provider: 'fo', tokensIn: 12, tokensOut: 8 })]);
  });

  it('GET /api/agents/{id}: the status row plus recent requests and control events; 404 for an unknown id', async () => {
    expect(await api(gw.url, 'POST', '/api/agents/alpha/pause', { reason: 'checking' })).toMatchObject({ status: 200, json: { agent: 'alpha' } });
    expect(await api(gw.url, 'POST', '/api/agents/alpha/resume', {}, { 'x-ai-gateway-actor': 'tui' })).toMatchObject({ status: 200, json: { agent: 'alpha', resumed: true } });
    const r = await api(gw.url, 'GET', '/api/agents/alpha');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id: 'alpha', status: 'active', calls: 1 });
    expect(r.json.recent).toEqual([expect.objectContaining({ agent: 'alpha', model: 'gpt-mgmt', status: 200, stream: false })]);
    expect((r.json.controlEvents as Record<string, unknown>[]).map((e) => [e.kind, e.actor])).toEqual(
      expect.arrayContaining([
        ['pause', 'api'],
        ['resume', 'tui'],
      ]),
    );

    const missing = await api(gw.url, 'GET', '/api/agents/nobody');
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ error: { type: 'invalid_request_error', message: 'no agent "nobody"' } });
    expect((await api(gw.url, 'POST', '/api/agents/nobody/pause', {})).status).toBe(404);
  });

  it('PUT /api/agents/{id}/budget: numbers set windows, null clears one, omitted windows stay; bad values are 400', async () => {
    const set = await api(gw.url, 'PUT', '/api/agents/alpha/budget', { hourly: 0.5, total: 100 });
    expect(set).toMatchObject({ status: 200, json: { agent: 'alpha', budget: { hourly: 0.5, daily: 10, total: 100 } } });
    const cleared = await api(gw.url, 'PUT', '/api/agents/alpha/budget', { daily: null });
    expect(cleared.json).toMatchObject({ budget: { hourly: 0.5, daily: null, total: 100 } });
    const status = await api(gw.url, 'GET', '/api/agents/alpha');
    expect(status.json.budget).toEqual({ hourly: 0.5, daily: null, total: 100 });

    const wrongType = await api(gw.url, 'PUT', '/api/agents/alpha/budget', { hourly: '5' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json).toMatchObject({ error: { param: 'hourly', message: 'hourly must be a number of USD or null' } });
    const negative = await api(gw.url, 'PUT', '/api/agents/alpha/budget', { daily: -1 });
    expect(negative.status).toBe(400);
    expect(negative.json).toMatchObject({ error: { param: 'daily' } });
    expect((await api(gw.url, 'PUT', '/api/agents/alpha/budget', '{not json')).status).toBe(400);
    expect((await api(gw.url, 'PUT', '/api/agents/alpha/budget', [1, 2])).status).toBe(400);
    // Nothing invalid was applied.
    expect((await api(gw.url, 'GET', '/api/agents/alpha')).json.budget).toEqual({ hourly: 0.5, daily: null, total: 100 });

    const changes = gw.controlEvents().filter((e) => e.kind === 'budget_change');
    expect(changes).toHaveLength(2);
    expect(JSON.parse(String(changes[1]!.new_value))).toEqual({ hourly: 0.5, daily: null, total: 100 });
    expect(changes[1]).toMatchObject({ agent: 'alpha', actor: 'api' });
  });

  it('GET /api/logs filters by agent, since and limit, newest first', async () => {
    clock.advance(2 * 3_600_000);
    for (const agent of ['beta', 'alpha', 'beta']) {
      clock.advance(1000);
      expect(await chat(gw.url, agent)).toBe(200);
    }
    await eventually(() => gw.rows().length === 4);

    const all = await api(gw.url, 'GET', '/api/logs');
    expect((all.json.entries as { agent: string }[]).map((e) => e.agent)).toEqual(['beta', 'alpha', 'beta', 'alpha']);
    const recent = await api(gw.url, 'GET', '/api/logs?since=1h');
    expect((recent.json.entries as unknown[]).length).toBe(3);
    const alphaRecent = await api(gw.url, 'GET', '/api/logs?agent=alpha&since=1h');
    expect(alphaRecent.json.entries).toEqual([expect.objectContaining({ agent: 'alpha', ts: clock.now() - 1000, costUsd: 0.02, tokensIn: 12, tokensOut: 8 })]);
    const limited = await api(gw.url, 'GET', '/api/logs?agent=beta&limit=1');
    expect(limited.json.entries).toEqual([expect.objectContaining({ agent: 'beta', ts: clock.now() })]);
    const sinceDate = await api(gw.url, 'GET', `/api/logs?since=${encodeURIComponent(new Date(clock.now() - 1500).toISOString())}`);
    expect((sinceDate.json.entries as { agent: string }[]).map((e) => e.agent)).toEqual(['beta', 'alpha']);

    expect(await api(gw.url, 'GET', '/api/logs?limit=0')).toMatchObject({ status: 400, json: { error: { param: 'limit' } } });
    expect(await api(gw.url, 'GET', '/api/logs?since=yesterday-ish')).toMatchObject({ status: 400, json: { error: { param: 'since' } } });
  });

  it('GET /api/logs/stream delivers entries live as server-sent events, filtered by agent', async () => {
    const abort = new AbortController();
    const res = await fetch(`${gw.url}/api/logs/stream?agent=beta`, { signal: abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const entries: Record<string, unknown>[] = [];
    const parser = createParser({ onEvent: (e) => entries.push(JSON.parse(e.data) as Record<string, unknown>) });
    const decoder = new TextDecoder();
    const reading = (async () => {
      try {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
      } catch {
        /* aborted at the end of the test */
      }
    })();
    try {
      expect(await chat(gw.url, 'alpha')).toBe(200);
      expect(await chat(gw.url, 'beta')).toBe(200);
      await eventually(() => entries.length === 1, 3000);
      expect(entries[0]).toMatchObject({ agent: 'beta', status: 200, provider: 'fo', model: 'gpt-mgmt', tokensIn: 12, tokensOut: 8 });
      expect(entries[0]!.costUsd).toBeCloseTo(0.02, 12);
      // Entries arrive as requests finish, not on a poll.
      expect(await chat(gw.url, 'beta')).toBe(200);
      await eventually(() => entries.length === 2, 3000);
      expect(entries.every((e) => e.agent === 'beta')).toBe(true);
      expect(entries[0]!.id).not.toBe(entries[1]!.id);
    } finally {
      abort.abort();
      await reading;
    }
  });

  it('GET /api/breakers and POST /api/breakers/{key}/reset close an open breaker, recorded as a control event', async () => {
    fake.queueScenarios({ kind: 'error', status: 500 });
    expect(await chat(gw.url, 'beta')).toBe(500);
    const open = await api(gw.url, 'GET', '/api/breakers');
    expect(open.status).toBe(200);
    const list = open.json.breakers as Record<string, unknown>[];
    expect(list).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'beta:fo', state: 'open', retryAfterSeconds: 30, failuresInWindow: 0 })]));
    const calls = fake.requests.length;
    expect(await chat(gw.url, 'beta')).toBe(503);
    expect(fake.requests).toHaveLength(calls);

    const reset = await api(gw.url, 'POST', '/api/breakers/beta%3Afo/reset');
    expect(reset).toMatchObject({ status: 200, json: { key: 'beta:fo', reset: true } });
    const after = await api(gw.url, 'GET', '/api/breakers');
    expect(after.json.breakers).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'beta:fo', state: 'closed' })]));
    expect(await chat(gw.url, 'beta')).toBe(200);
    expect(gw.controlEvents().filter((e) => e.kind === 'breaker_reset')).toEqual([
      expect.objectContaining({ actor: 'api', old_value: '"open"', new_value: '"closed"', reason: 'beta:fo: open → closed (manual)' }),
    ]);

    expect((await api(gw.url, 'POST', '/api/breakers/nope/reset')).status).toBe(404);
    expect((await api(gw.url, 'GET', '/api/nothing-here')).status).toBe(404);
  });
});

describe('admin token', () => {
  let fake: FakeUpstream;
  let gw: TestGateway | undefined;
  const TOKEN = 'adm-7f3c9e1b2d';

  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
  });
  afterAll(async () => {
    await fake.close();
  });

  it('with gateway.admin_token set: no or wrong token → 401, the right one → 200; the proxy does not need it', async () => {
    gw = await startTestGateway({
      yaml: yamlFor(fake, ['gateway:', '  admin_token: ${AI_GATEWAY_ADMIN_TOKEN}']),
      env: { AI_GATEWAY_ADMIN_TOKEN: TOKEN },
    });
    const none = await api(gw.url, 'GET', '/api/status');
    expect(none.status).toBe(401);
    expect(none.json).toMatchObject({ error: { type: 'authentication_error', code: 'admin_unauthorized', param: null } });
    expect((none.json.error as { message: string }).message).toMatch(/Authorization: Bearer <token>/);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(JSON.stringify(none.json)).not.toContain(TOKEN);
    expect((await api(gw.url, 'GET', '/api/status', undefined, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await api(gw.url, 'GET', '/api/status', undefined, { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await api(gw.url, 'POST', '/api/agents/alpha/pause', {}, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect(gw.controlEvents()).toEqual([]);

    expect((await api(gw.url, 'GET', '/api/status', undefined, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await api(gw.url, 'GET', '/api/status', undefined, { 'x-admin-token': TOKEN })).status).toBe(200);
    expect((await api(gw.url, 'POST', '/api/agents/alpha/pause', {}, { authorization: `bearer ${TOKEN}` })).status).toBe(200);
    // The token guards the management API only; health and the proxy answer without it.
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
    expect(await chat(gw.url, 'beta')).toBe(200);
    expect(gw.logs.join('\n')).not.toContain(TOKEN);
  });

  it('without a token, loopback callers are allowed and every other address is refused', async () => {
    gw = await startTestGateway({ yaml: yamlFor(fake) });
    expect((await api(gw.url, 'GET', '/api/status')).status).toBe(200);

    const from = (remoteAddress: string, headers: Record<string, string> = {}): IncomingMessage =>
      ({ socket: { remoteAddress }, headers }) as unknown as IncomingMessage;
    expect(authorized(from('10.0.0.5'), undefined)).toBe(false);
    expect(authorized(from('10.0.0.5'), '')).toBe(false);
    expect(authorized(from('::ffff:10.0.0.5'), undefined)).toBe(false);
    expect(authorized(from('192.168.1.20'), undefined)).toBe(false);
    expect(authorized(from('127.0.0.1'), undefined)).toBe(true);
    expect(authorized(from('127.0.0.2'), undefined)).toBe(true);
    expect(authorized(from('::1'), undefined)).toBe(true);
    expect(authorized(from('::ffff:127.0.0.1'), undefined)).toBe(true);
    // With a token, the address no longer matters: the token does.
    expect(authorized(from('10.0.0.5', { authorization: `Bearer ${TOKEN}` }), TOKEN)).toBe(true);
    expect(authorized(from('10.0.0.5', { authorization: 'Bearer nope' }), TOKEN)).toBe(false);
    expect(authorized(from('127.0.0.1'), TOKEN)).toBe(false);
    expect(isLoopback(undefined)).toBe(false);

    // The whole handler refuses a non-loopback caller with 403 (no token would help), before any route runs.
    const running = gw;
    const deps: AdminDeps = managementApi({
      clock: systemClock,
      adminToken: () => undefined,
      snapshot: () => running.gateway.dashboard.snapshot(),
      store: running.gateway.store,
      bus: running.gateway.bus,
      actions: running.gateway.actions,
      controls: running.gateway.controls,
      queries: running.gateway.queries,
    });
    const remote = await respond(from('10.0.0.5'), '/api/agents/alpha/pause', deps, 'POST');
    expect(remote.status).toBe(403);
    expect(JSON.parse(remote.body)).toMatchObject({ error: { type: 'permission_error', code: 'admin_unauthorized' } });
    expect(JSON.parse(remote.body).error.message).toMatch(/only answers loopback callers/);
    expect(running.gateway.controls.registry.agent('alpha')?.status).not.toBe('paused');
    const local = await respond(from('127.0.0.1'), '/api/breakers', deps, 'GET');
    expect(local).toMatchObject({ status: 200, body: '{"breakers":[]}' });

    // A web page in a local browser is a loopback caller too, but it sends Origin: refused.
    const page = await api(gw.url, 'POST', '/api/agents/alpha/pause', {}, { origin: 'http://example.com' });
    expect(page.status).toBe(403);
    expect(gw.controlEvents()).toEqual([]);
  });
});
