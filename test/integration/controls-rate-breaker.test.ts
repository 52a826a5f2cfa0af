/**
 * Rate limits, circuit breakers and fallbacks through the whole gateway, on an injected clock: exact
 * Retry-After values, no sleeping, and the provider's request log as the proof of what was (not) sent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { FakeClock } from '../helpers/clock.js';

let gw: TestGateway | undefined;
const fakes: FakeUpstream[] = [];

afterEach(async () => {
  await gw?.stop();
  gw = undefined;
  for (const f of fakes.splice(0)) await f.close();
});

/** Audit rows in the order they were written: on a fake clock many rows share one timestamp. */
function rowsInOrder(t: TestGateway): Record<string, unknown>[] {
  t.gateway.store.sink.flush();
  const db = new Database(t.dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT * FROM requests ORDER BY rowid').all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

interface Reply {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

async function call(url: string, agent: string, format: 'openai' | 'anthropic', model?: string): Promise<Reply> {
  const res =
    format === 'openai'
      ? await fetch(`${url}/agents/${agent}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer sk-client' },
          body: JSON.stringify({ model: model ?? 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
        })
      : await fetch(`${url}/agents/${agent}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': 'sk-client', 'anthropic-version': '2023-06-01' },
          body: JSON.stringify({ model: model ?? 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }),
        });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

function openAIError(r: Reply): Record<string, unknown> {
  expect(Object.keys(r.json)).toEqual(['error']);
  return r.json.error as Record<string, unknown>;
}

function anthropicError(r: Reply): Record<string, unknown> {
  expect(r.json.type).toBe('error');
  return r.json.error as Record<string, unknown>;
}

describe('rate limit', () => {
  it('2/min: the third request gets 429 with Retry-After in seconds, in the client format; room returns on time', async () => {
    const clock = new FakeClock();
    const fake = await startFakeOpenAI();
    fakes.push(fake);
    gw = await startTestGateway({
      clock,
      yaml: [
        'providers:',
        `  fo: { type: openai, base_url: ${fake.baseURL}, api_key: sk-x }`,
        'models:',
        '  "gpt-*": fo',
        '  "claude-*": fo',
        'agents:',
        '  limited: { rate_limit: 2/min }',
      ].join('\n'),
    });

    expect((await call(gw.url, 'limited', 'openai')).status).toBe(200);
    expect((await call(gw.url, 'limited', 'anthropic')).status).toBe(200);

    const third = await call(gw.url, 'limited', 'openai');
    expect(third.status).toBe(429);
    // One request comes back every 30 s; no time has passed on the gateway's clock.
    expect(third.headers.get('retry-after')).toBe('30');
    expect(third.headers.get('x-should-retry')).toBe('true');
    expect(openAIError(third)).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded', param: null });
    expect(openAIError(third).message).toMatch(/limited.*2\/min.*retry in 30 s/);

    clock.advance(10_000);
    const fourth = await call(gw.url, 'limited', 'anthropic');
    expect(fourth.status).toBe(429);
    expect(fourth.headers.get('retry-after')).toBe('20');
    expect(anthropicError(fourth)).toMatchObject({ type: 'rate_limit_error' });
    expect(fake.requests).toHaveLength(2);

    clock.advance(20_000);
    expect((await call(gw.url, 'limited', 'openai')).status).toBe(200);
    expect((await call(gw.url, 'limited', 'openai')).status).toBe(429);
    expect(fake.requests).toHaveLength(3);

    const g = gw;
    await eventually(() => g.rows().length === 6);
    expect(rowsInOrder(g).map((r) => [r.status, r.error_code])).toEqual([
      [200, null],
      [200, null],
      [429, 'rate_limit_exceeded'],
      [429, 'rate_limit_exceeded'],
      [200, null],
      [429, 'rate_limit_exceeded'],
    ]);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/ai_gateway_rate_limited_total\{agent="limited"\} 3/);
  });
});

describe('circuit breaker', () => {
  it('opens after 3 failures, fails fast without calling the provider, re-opens on a failed probe and closes on a good one', async () => {
    const clock = new FakeClock();
    const fake = await startFakeOpenAI();
    fakes.push(fake);
    gw = await startTestGateway({
      clock,
      yaml: [
        'providers:',
        `  fo: { type: openai, base_url: ${fake.baseURL}, api_key: sk-x }`,
        'models:',
        '  "gpt-*": fo',
        '  "claude-*": fo',
        'agents:',
        '  fragile:',
        '    circuit_breaker: { error_threshold: 3, window: 60s, reset_timeout: 1s, half_open_requests: 1 }',
      ].join('\n'),
    });
    fake.queueScenarios({ kind: 'error', status: 500 }, { kind: 'error', status: 503 }, { kind: 'error', status: 500 });

    for (const expected of [500, 503, 500]) expect((await call(gw.url, 'fragile', 'openai')).status).toBe(expected);
    expect(fake.requests).toHaveLength(3);

    // Open: both formats fail fast with the time until the half-open probe.
    clock.advance(400);
    const fastO = await call(gw.url, 'fragile', 'openai');
    expect(fastO.status).toBe(503);
    expect(fastO.headers.get('retry-after')).toBe('1');
    expect(openAIError(fastO)).toMatchObject({ type: 'server_error', code: 'circuit_open' });
    expect(openAIError(fastO).message).toMatch(/provider fo .*circuit breaker is open/);
    const fastA = await call(gw.url, 'fragile', 'anthropic');
    expect(fastA.status).toBe(503);
    expect(fastA.headers.get('retry-after')).toBe('1');
    expect(anthropicError(fastA)).toMatchObject({ type: 'api_error' });
    expect(fake.requests).toHaveLength(3);

    const breakers = (await (await fetch(`${gw.url}/api/breakers`)).json()) as { breakers: { key: string; state: string; retryAfterSeconds: number }[] };
    expect(breakers.breakers).toEqual([expect.objectContaining({ key: 'fragile:fo', state: 'open', retryAfterSeconds: 1 })]);

    // Half-open after reset_timeout: the one probe fails (overloaded), so the breaker opens again.
    clock.advance(600);
    fake.queueScenarios({ kind: 'error', status: 503 });
    expect((await call(gw.url, 'fragile', 'openai')).status).toBe(503);
    expect(fake.requests).toHaveLength(4);
    expect((await call(gw.url, 'fragile', 'openai')).json).toMatchObject({ error: { code: 'circuit_open' } });
    expect(fake.requests).toHaveLength(4);

    // The next probe succeeds and closes it; traffic flows again.
    clock.advance(1000);
    expect((await call(gw.url, 'fragile', 'anthropic')).status).toBe(200);
    expect((await call(gw.url, 'fragile', 'openai')).status).toBe(200);
    expect(fake.requests).toHaveLength(6);

    const transitions = gw.controlEvents().filter((e) => e.kind === 'breaker_transition');
    expect(transitions.map((e) => [e.actor, e.old_value, e.new_value, e.reason])).toEqual([
      ['breaker', '"closed"', '"open"', 'fragile:fo: closed → open (failures)'],
      ['breaker', '"open"', '"half_open"', 'fragile:fo: open → half_open (reset_timeout)'],
      ['breaker', '"half_open"', '"open"', 'fragile:fo: half_open → open (probe_failed)'],
      ['breaker', '"open"', '"half_open"', 'fragile:fo: open → half_open (reset_timeout)'],
      ['breaker', '"half_open"', '"closed"', 'fragile:fo: half_open → closed (probes_succeeded)'],
    ]);
    const g = gw;
    await eventually(() => g.rows().length === 9);
    // Rows of failed calls name the provider that failed; fail-fast rows never reached one.
    expect(rowsInOrder(g).map((r) => [r.status, r.error_code, r.provider])).toEqual([
      [500, 'upstream_error', 'fo'],
      [503, 'upstream_error', 'fo'],
      [500, 'upstream_error', 'fo'],
      [503, 'circuit_open', null],
      [503, 'circuit_open', null],
      [503, 'upstream_error', 'fo'],
      [503, 'circuit_open', null],
      [200, null, 'fo'],
      [200, null, 'fo'],
    ]);
  });
});

describe('fallback', () => {
  it('while the primary is failing and then open, requests succeed through the fallback (row.provider = b)', async () => {
    const clock = new FakeClock();
    const a = await startFakeOpenAI();
    const b = await startFakeOpenAI();
    fakes.push(a, b);
    a.setScenario({ kind: 'error', status: 500 });
    gw = await startTestGateway({
      clock,
      yaml: [
        'providers:',
        `  a: { type: openai, base_url: ${a.baseURL}, api_key: sk-a }`,
        `  b: { type: openai, base_url: ${b.baseURL}, api_key: sk-b }`,
        'models:',
        '  "gpt-*": { provider: a, fallbacks: [b] }',
        'agents:',
        '  fb:',
        '    circuit_breaker: { error_threshold: 2, window: 60s, reset_timeout: 5s, half_open_requests: 1 }',
      ].join('\n'),
    });

    // Failing (breaker still closed): a is tried, fails, and b answers.
    for (let i = 0; i < 2; i++) {
      const r = await call(gw.url, 'fb', 'openai');
      expect(r.status).toBe(200);
      expect(r.json.object).toBe('chat.completion');
    }
    expect([a.requests.length, b.requests.length]).toEqual([2, 2]);
    expect(b.lastRequest?.headers.authorization).toBe('Bearer sk-b');

    // Open: a is skipped without a call.
    const r = await call(gw.url, 'fb', 'anthropic', 'gpt-4o-mini');
    expect(r.status).toBe(200);
    expect(r.json.type).toBe('message');
    expect([a.requests.length, b.requests.length]).toEqual([2, 3]);

    // a recovers: after reset_timeout its probe goes to a again.
    a.setScenario('text');
    clock.advance(5000);
    expect((await call(gw.url, 'fb', 'openai')).status).toBe(200);
    expect([a.requests.length, b.requests.length]).toEqual([3, 3]);

    const g = gw;
    await eventually(() => g.rows().length === 4);
    expect(rowsInOrder(g).map((row) => [row.status, row.provider])).toEqual([
      [200, 'b'],
      [200, 'b'],
      [200, 'b'],
      [200, 'a'],
    ]);
    expect(g.controlEvents().filter((e) => e.kind === 'breaker_transition').map((e) => e.reason)).toEqual([
      'fb:a: closed → open (failures)',
      'fb:a: open → half_open (reset_timeout)',
      'fb:a: half_open → closed (probes_succeeded)',
    ]);
  });
});
