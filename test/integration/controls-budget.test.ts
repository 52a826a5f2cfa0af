/**
 * Budgets through the whole gateway: reservations hold under concurrency (spend passes a limit by at most one
 * request's real cost), and a stream that outruns its hold is cut off with the format's own error event and
 * billed for what it produced.
 */
import { afterEach, describe, expect, it } from 'vitest';
import OpenAI, { APIError } from 'openai';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { startFakeAnthropic, startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway | undefined;
const fakes: FakeUpstream[] = [];

afterEach(async () => {
  await gw?.stop();
  gw = undefined;
  for (const f of fakes.splice(0)) await f.close();
});

/** $1000 per 1M output tokens = exactly $0.001 a token; input is free, so a hold does not depend on body size. */
const OUTPUT_USD_PER_TOKEN = 0.001;

describe('budget reservations under concurrency', () => {
  it('50 concurrent requests against a budget for 4.5 requests: 5 succeed, the rest get budget_exceeded', async () => {
    const fake = await startFakeOpenAI();
    fakes.push(fake);
    // Every request asks for max_tokens 50 and the fake reports exactly 50 output tokens: hold = real = $0.05.
    fake.setScenario({ kind: 'text', usage: { input: 9, output: 50 }, delayMs: 5 });
    const perRequest = 50 * OUTPUT_USD_PER_TOKEN;
    const limit = 4.5 * perRequest;
    gw = await startTestGateway({
      yaml: [
        'providers:',
        `  fo: { type: openai, base_url: ${fake.baseURL}, api_key: sk-x }`,
        'models:',
        '  "gpt-*": fo',
        'prices:',
        '  gpt-budget: { input: 0, output: 1000 }',
        'agents:',
        `  bot: { budget: { max_cost_per_hour: ${limit} } }`,
      ].join('\n'),
    });
    const client = new OpenAI({ baseURL: `${gw.url}/agents/bot/v1`, apiKey: 'sk-client', maxRetries: 0 });

    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        client.chat.completions
          .create({ model: 'gpt-budget', max_tokens: 50, messages: [{ role: 'user', content: `request ${i}` }] })
          .then(
            (r) => ({ ok: true as const, usage: r.usage }),
            (err: unknown) => ({ ok: false as const, err }),
          ),
      ),
    );

    const ok = outcomes.filter((o) => o.ok);
    const denied = outcomes.filter((o) => !o.ok);
    // Holds equal real costs, so exactly the requests that fit while spend + holds < limit are admitted.
    expect(ok).toHaveLength(5);
    expect(fake.requests).toHaveLength(5);
    for (const o of denied) {
      expect(o.err).toBeInstanceOf(APIError);
      const e = o.err as APIError;
      expect(e.status).toBe(429);
      expect(e.type).toBe('insufficient_quota');
      expect(e.code).toBe('budget_exceeded');
      expect(e.headers?.get('x-should-retry')).toBe('false');
      expect(e.message).toMatch(/bot.*hourly budget/);
    }

    const g = gw;
    await eventually(() => g.rows().length === 50);
    const rows = g.rows();
    const spent = rows.reduce((sum, r) => sum + Number(r.cost_usd ?? 0), 0);
    expect(spent).toBeCloseTo(5 * perRequest, 12);
    expect(spent).toBeLessThanOrEqual(limit + perRequest + 1e-12);
    const billed = rows.filter((r) => r.status === 200);
    expect(billed).toHaveLength(5);
    for (const r of billed) expect(r.cost_usd).toBeCloseTo(perRequest, 12);
    const refused = rows.filter((r) => r.status !== 200);
    expect(refused.every((r) => r.status === 429 && r.error_code === 'budget_exceeded' && r.provider === null)).toBe(true);

    const status = (await (await fetch(`${gw.url}/api/status`)).json()) as { agents: { id: string; costHourUsd: number; status: string }[] };
    const bot = status.agents.find((a) => a.id === 'bot');
    expect(bot?.costHourUsd).toBeCloseTo(5 * perRequest, 12);
    expect(bot?.status).toBe('paused');
  });
});

interface StreamCase {
  client: 'openai-chat' | 'anthropic';
  upstream: 'openai' | 'anthropic';
}

/** Posts a streaming request without an output cap and returns the raw SSE events the client received. */
async function streamRaw(url: string, c: StreamCase, model: string): Promise<{ status: number; events: EventSourceMessage[]; text: string }> {
  const messages = [{ role: 'user', content: 'Write a long essay.' }];
  const res =
    c.client === 'openai-chat'
      ? await fetch(`${url}/agents/streamer/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer sk-client' },
          body: JSON.stringify({ model, stream: true, messages }),
        })
      : await fetch(`${url}/agents/streamer/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': 'sk-client', 'anthropic-version': '2023-06-01' },
          // Anthropic's own API requires max_tokens, so a same-format request carries a small one that the
          // fake (like a misbehaving upstream) overruns; translated requests leave it out.
          body: JSON.stringify({ model, stream: true, messages, ...(c.upstream === 'anthropic' ? { max_tokens: 10 } : {}) }),
        });
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e) });
  const raw = await res.text();
  parser.feed(raw);
  return { status: res.status, events, text: raw };
}

/** Text deltas the client saw, in its own format. */
function deltaText(events: EventSourceMessage[], client: StreamCase['client']): string {
  let out = '';
  for (const e of events) {
    if (e.data === '[DONE]') continue;
    const d = JSON.parse(e.data) as Record<string, unknown>;
    if (client === 'openai-chat') {
      const choices = d.choices as { delta?: { content?: string } }[] | undefined;
      out += choices?.[0]?.delta?.content ?? '';
    } else if (d.type === 'content_block_delta') {
      out += (d.delta as { text?: string }).text ?? '';
    }
  }
  return out;
}

describe('a stream that outruns its budget hold', () => {
  const cases: StreamCase[] = [
    { client: 'openai-chat', upstream: 'openai' },
    { client: 'anthropic', upstream: 'anthropic' },
    { client: 'openai-chat', upstream: 'anthropic' },
    { client: 'anthropic', upstream: 'openai' },
  ];

  it.each(cases)('is cut off with the $client error event and billed for what it produced (upstream $upstream)', async (c) => {
    const fake = c.upstream === 'openai' ? await startFakeOpenAI() : await startFakeAnthropic();
    fakes.push(fake);
    // ~6000 characters in 120 deltas, far more than the $0.05 budget (~50 tokens) pays for.
    const longText = 'The quick brown fox jumps over the lazy dog. '.repeat(134).slice(0, 6000);
    fake.setScenario({ kind: 'text', text: longText, chunks: 120, delayMs: 2, usage: { input: 10, output: 1500 } });
    const model = c.upstream === 'openai' ? 'gpt-stream' : 'claude-stream';
    gw = await startTestGateway({
      yaml: [
        'gateway:',
        '  default_output_cap: 10',
        'providers:',
        `  fo: { type: openai, base_url: ${fake.baseURL}, api_key: sk-x }`,
        `  fa: { type: anthropic, base_url: ${fake.url}, api_key: sk-ant-x }`,
        'models:',
        `  "gpt-*": ${c.upstream === 'openai' ? 'fo' : 'fa'}`,
        `  "claude-*": ${c.upstream === 'openai' ? 'fo' : 'fa'}`,
        'prices:',
        `  ${model}: { input: 0, output: 1000 }`,
        'agents:',
        '  streamer: { budget: { max_cost_per_hour: 0.05 } }',
      ].join('\n'),
    });

    const { status, events } = await streamRaw(gw.url, c, model);
    expect(status).toBe(200);
    const received = deltaText(events, c.client);
    expect(received.length).toBeGreaterThan(0);
    expect(received.length).toBeLessThan(longText.length);
    expect(longText.startsWith(received)).toBe(true);

    const last = events.at(-1);
    if (c.client === 'openai-chat') {
      // OpenAI streams end with a data chunk carrying `error` (no [DONE] after it).
      const body = JSON.parse(last?.data ?? '{}') as { error?: { type: string; code: string; message: string } };
      expect(body.error).toMatchObject({ type: 'insufficient_quota', code: 'budget_exceeded' });
      expect(body.error?.message).toMatch(/cut off/);
      expect(events.some((e) => e.data === '[DONE]')).toBe(false);
    } else {
      expect(last?.event).toBe('error');
      const body = JSON.parse(last?.data ?? '{}') as { type: string; error: { type: string; message: string } };
      expect(body.type).toBe('error');
      expect(body.error.type).toBe('billing_error');
      expect(body.error.message).toMatch(/budget/);
      expect(events.some((e) => e.event === 'message_stop')).toBe(false);
    }

    // The row is written after the last byte went out, so it may trail the client's read by a moment.
    const g = gw;
    await eventually(() => g.rows().length === 1);
    const row = g.rows()[0]!;
    expect(row.error_code).toBe('budget_exceeded');
    expect(row.stream).toBe(1);
    // The usage never arrived: output is estimated from the text relayed, and billed.
    expect(row.estimated).toBe(1);
    const out = Number(row.output_tokens);
    expect(out).toBeGreaterThan(0);
    expect(out).toBeLessThan(1500);
    expect(Number(row.cost_usd)).toBeGreaterThan(0);
    expect(Number(row.cost_usd)).toBeCloseTo(out * OUTPUT_USD_PER_TOKEN, 12);
    // The hold could grow only to the limit; what was billed is what was produced, not the fake's full usage.
    const status2 = (await (await fetch(`${gw.url}/api/agents/streamer`)).json()) as { costHourUsd: number };
    expect(status2.costHourUsd).toBeCloseTo(Number(row.cost_usd), 12);
  });
});
