/**
 * Every path the gateway forwards is under the agent's controls and in the audit, not only the metered chat
 * endpoints: pause, deny policies, a spent budget, rate limits and the unknown-agent rule refuse
 * /v1/completions, /v1/embeddings, /v1/images/generations, /v1/audio/speech, /v1/batches and count_tokens
 * before any byte reaches a provider, and each call gets a row with its path, status, bytes and latency,
 * priced where the price table knows the endpoint and NULL (unpriced) where it does not. Pass-through can be
 * switched off in the config.
 *
 * Prices (config overrides, USD per 1M tokens): gpt-3.5-turbo-instruct input 1.5, output 2;
 * text-embedding-3-small input 0.02.
 */
import { describe, expect, it } from 'vitest';
import { startFakeAnthropic, startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { deferAfterEach, postJson, rawRequest, type RawResponse } from './fakes-gateway.js';

const defer = deferAfterEach();

interface Bed {
  openai: FakeUpstream;
  anthropic: FakeUpstream;
  gw: TestGateway;
}

async function bed(extra: { gateway?: string[]; agents?: string[]; policies?: string[] } = {}): Promise<Bed> {
  const openai = await startFakeOpenAI();
  const anthropic = await startFakeAnthropic();
  defer(() => openai.close());
  defer(() => anthropic.close());
  const gw = await startTestGateway({
    yaml: [
      'gateway:',
      '  embedded_defaults: false',
      ...(extra.gateway ?? []),
      'providers:',
      `  fo: { type: openai, base_url: ${openai.baseURL}, api_key: sk-provider-o }`,
      `  fa: { type: anthropic, base_url: ${anthropic.url}, api_key: sk-ant-provider-a }`,
      'models:',
      '  "gpt-*": fo',
      '  "text-embedding-*": fo',
      '  "claude-*": fa',
      'prices:',
      '  gpt-3.5-turbo-instruct: { input: 1.5, output: 2 }',
      '  text-embedding-3-small: { input: 0.02, output: 0 }',
      'agents:',
      '  bot: {}',
      ...(extra.agents ?? []),
      ...(extra.policies ?? []),
    ].join('\n'),
  });
  defer(() => gw.stop());
  return { openai, anthropic, gw };
}

/** One request per forwarded side path, each as a real client sends it. */
const SIDE_CALLS: { path: string; body: unknown; anthropic?: boolean }[] = [
  { path: '/v1/completions', body: { model: 'gpt-3.5-turbo-instruct', prompt: 'Say hello', max_tokens: 20 } },
  { path: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: 'hello world' } },
  { path: '/v1/images/generations', body: { model: 'gpt-image-1', prompt: 'a red square', n: 1 } },
  { path: '/v1/audio/speech', body: { model: 'gpt-4o-mini-tts', input: 'Hello there', voice: 'alloy' } },
  { path: '/v1/batches', body: { input_file_id: 'file-abc123', endpoint: '/v1/chat/completions', completion_window: '24h' } },
  { path: '/v1/messages/count_tokens', body: { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] }, anthropic: true },
];

function call(gw: TestGateway, agent: string | undefined, c: (typeof SIDE_CALLS)[number]): Promise<RawResponse> {
  const prefix = agent === undefined ? '' : `/agents/${agent}`;
  const headers: Record<string, string> = c.anthropic ? { 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-client' } : { authorization: 'Bearer sk-client' };
  return postJson(`${gw.url}${prefix}${c.path}`, c.body, headers);
}

function forwarded(b: Bed): number {
  return b.openai.requests.length + b.anthropic.requests.length;
}

async function rowsFor(gw: TestGateway, count: number): Promise<Record<string, unknown>[]> {
  await eventually(() => gw.rows().length >= count);
  return gw.rows();
}

describe('controls on every forwarded path', () => {
  it('a paused agent reaches no provider on any side path, and each refusal is in the audit with its path', async () => {
    const b = await bed();
    expect((await postJson(`${b.gw.url}/api/agents/bot/pause`, { reason: 'weekend' })).status).toBe(200);
    for (const c of SIDE_CALLS) {
      const res = await call(b.gw, 'bot', c);
      expect(res.status, c.path).toBe(403);
      const body = JSON.parse(res.text) as { error: { type: string } } & { type?: string };
      if (c.anthropic) expect(body).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
      else expect(body).toMatchObject({ error: { code: 'agent_paused' } });
    }
    expect(forwarded(b)).toBe(0);
    const rows = await rowsFor(b.gw, SIDE_CALLS.length);
    expect(rows.map((r) => r.path).sort()).toEqual(SIDE_CALLS.map((c) => c.path).sort());
    for (const r of rows) expect(r).toMatchObject({ agent: 'bot', status: 403, error_code: 'agent_paused', cost_usd: null });
  });

  it('a deny policy refuses every side path', async () => {
    const b = await bed({ policies: ['policies:', '  - { name: lockdown, condition: "call_count >= 0", action: deny }'] });
    for (const c of SIDE_CALLS) expect((await call(b.gw, 'bot', c)).status, c.path).toBe(403);
    expect(forwarded(b)).toBe(0);
    const rows = await rowsFor(b.gw, SIDE_CALLS.length);
    expect(rows.every((r) => r.error_code === 'policy_denied')).toBe(true);
  });

  it('a budget already spent refuses every side path, priced or not', async () => {
    const b = await bed({ agents: ['  spent: { budget: { max_cost_total: 0 } }'] });
    for (const c of SIDE_CALLS) {
      const res = await call(b.gw, 'spent', c);
      expect(res.status, c.path).toBe(c.anthropic ? 402 : 429);
      expect(res.text).toMatch(/budget/);
    }
    expect(forwarded(b)).toBe(0);
    const rows = await rowsFor(b.gw, SIDE_CALLS.length);
    expect(rows.every((r) => r.error_code === 'budget_exceeded')).toBe(true);
  });

  it('a rate limit counts side calls like any other', async () => {
    const b = await bed({ agents: ['  slow: { rate_limit: 2/min }'] });
    const statuses: number[] = [];
    for (const c of SIDE_CALLS.slice(2, 5)) statuses.push((await call(b.gw, 'slow', c)).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect(forwarded(b)).toBe(2);
  });

  it('unknown_agents: deny refuses an unidentified side call with 401, before any upstream contact', async () => {
    const b = await bed({ gateway: ['  unknown_agents: deny'] });
    for (const c of SIDE_CALLS) expect((await call(b.gw, undefined, c)).status, c.path).toBe(401);
    expect(forwarded(b)).toBe(0);
  });
});

describe('the audit row of a side call', () => {
  it('records path, status, bytes and latency; prices completions and embeddings from usage, the rest stays unpriced', async () => {
    const b = await bed();
    b.openai.setScenario({ kind: 'text', text: 'Hello!', usage: { input: 1000, output: 500 } });
    const responses = new Map<string, RawResponse>();
    for (const c of SIDE_CALLS) {
      const res = await call(b.gw, 'bot', c);
      expect(res.status, `${c.path}: ${res.text.slice(0, 200)}`).toBe(200);
      responses.set(c.path, res);
    }
    expect(forwarded(b)).toBe(SIDE_CALLS.length);
    // The provider's key replaced the client's on the way.
    for (const r of b.openai.requests) expect(r.headers.authorization).toBe('Bearer sk-provider-o');

    const rows = await rowsFor(b.gw, SIDE_CALLS.length);
    const row = (path: string): Record<string, unknown> => rows.find((r) => r.path === path)!;
    for (const c of SIDE_CALLS) {
      const r = row(c.path);
      const sent = responses.get(c.path)!;
      expect(r).toMatchObject({ agent: 'bot', status: 200, error_code: null, bytes_in: Buffer.byteLength(JSON.stringify(c.body)), bytes_out: sent.body.length });
      expect(Number(r.latency_ms)).toBeGreaterThanOrEqual(0);
      expect(r.id).toBe(sent.headers['x-request-id']);
    }
    // 1000 × 1.5 + 500 × 2 = 2500 USD per 1M tokens: $0.0025.
    expect(row('/v1/completions')).toMatchObject({ model: 'gpt-3.5-turbo-instruct', input_tokens: 1000, output_tokens: 500, estimated: 0, price_version: 'config' });
    expect(row('/v1/completions').cost_usd).toBeCloseTo(0.0025, 12);
    // The fake reports ceil(11 / 4) = 3 prompt tokens for 'hello world': 3 × 0.02 / 1e6.
    expect(row('/v1/embeddings')).toMatchObject({ model: 'text-embedding-3-small', input_tokens: 3, estimated: 0 });
    expect(row('/v1/embeddings').cost_usd).toBeCloseTo(6e-8, 15);
    // Anthropic documents token counting as free: a known $0, marked as such.
    expect(row('/v1/messages/count_tokens')).toMatchObject({ cost_usd: 0, price_version: 'free', provider: 'fa' });
    for (const path of ['/v1/images/generations', '/v1/audio/speech', '/v1/batches']) {
      expect(row(path), path).toMatchObject({ provider: 'fo', cost_usd: null, price_version: null });
    }
    // Audio is relayed as bytes, untouched.
    expect(responses.get('/v1/audio/speech')!.headers['content-type']).toBe('audio/mpeg');
    expect(responses.get('/v1/audio/speech')!.body.equals(b.openai.requests.find((r) => r.pathname === '/v1/audio/speech')!.responseBytes)).toBe(true);
  });

  it('a streamed legacy completion is billed from its usage chunk', async () => {
    const b = await bed();
    b.openai.setScenario({ kind: 'text', chunks: 3, usage: { input: 40, output: 12 } });
    const res = await postJson(`${b.gw.url}/agents/bot/v1/completions`, { model: 'gpt-3.5-turbo-instruct', prompt: 'Hi', stream: true, stream_options: { include_usage: true } });
    expect(res.status).toBe(200);
    expect(res.text.endsWith('data: [DONE]\n\n')).toBe(true);
    const [row] = await rowsFor(b.gw, 1);
    expect(row).toMatchObject({ stream: 1, input_tokens: 40, output_tokens: 12 });
    expect(row!.cost_usd).toBeCloseTo((40 * 1.5 + 12 * 2) / 1e6, 15);
  });
});

describe('gateway.passthrough', () => {
  it('false switches every other /v1 path off: 404 passthrough_disabled, nothing forwarded, the refusal audited', async () => {
    const b = await bed({ gateway: ['  passthrough: false'] });
    for (const path of ['/v1/completions', '/v1/images/generations', '/v1/batches']) {
      const res = await postJson(`${b.gw.url}${path}`, { model: 'gpt-3.5-turbo-instruct', prompt: 'x' });
      expect(res.status, path).toBe(404);
      expect(res.text).toMatch(/passthrough_disabled/);
    }
    expect((await rawRequest(`${b.gw.url}/v1/files`)).status).toBe(404);
    expect(forwarded(b)).toBe(0);
    // Endpoints the gateway itself serves are not pass-through, and keep working.
    expect((await postJson(`${b.gw.url}/v1/embeddings`, { model: 'text-embedding-3-small', input: 'x' })).status).toBe(200);
    const rows = await rowsFor(b.gw, 5);
    expect(rows.filter((r) => r.error_code === 'passthrough_disabled')).toHaveLength(4);
  });

  it('a list allows only the paths under its prefixes', async () => {
    const b = await bed({ gateway: ['  passthrough: [/v1/batches, /v1/files]'] });
    expect((await postJson(`${b.gw.url}/v1/batches`, { input_file_id: 'file-1', endpoint: '/v1/chat/completions', completion_window: '24h' })).status).toBe(200);
    expect((await postJson(`${b.gw.url}/v1/images/generations`, { prompt: 'x' })).status).toBe(404);
    // A prefix is whole path segments: /v1/batches does not open /v1/batchesX.
    expect((await postJson(`${b.gw.url}/v1/batchesX`, {})).status).toBe(404);
    expect(b.openai.requests.map((r) => r.pathname)).toEqual(['/v1/batches']);
  });
});
