/**
 * What the gateway bills is what was spent, through the whole gateway and real fakes:
 * - an answer without usage (either format, streamed or not) is estimated with the tokenizer, billed, marked;
 * - a usage count that is no count (1e300, negative) is refused, estimated instead, logged once per provider,
 *   and never poisons the ledger;
 * - the money held by requests in flight is on /api/status and returns to 0;
 * - the mid-stream guard never cuts a stream its hold still covers;
 * - the overshoot bound holds when the real input is far larger than bytes / 3;
 * - a pause or a lowered budget reaches a running stream at its next chunk.
 */
import { describe, expect, it } from 'vitest';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { startFakeAnthropic, startFakeOpenAI, type FakeUpstream, type Scenario } from '../fakes/index.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { InProcessTokenCounter } from '../../src/app/token-counter.js';
import { countText } from '../../src/metering/index.js';
import { deferAfterEach, postJson } from './fakes-gateway.js';

const counter = new InProcessTokenCounter();

const defer = deferAfterEach();

/** $1000 per 1M output tokens = $0.001 a token, input free unless a test says otherwise. */
const OUT_USD = 0.001;

interface Bed {
  openai: FakeUpstream;
  anthropic: FakeUpstream;
  gw: TestGateway;
}

async function bed(lines: { agents?: string[]; prices?: string[]; gateway?: string[] } = {}): Promise<Bed> {
  const openai = await startFakeOpenAI();
  const anthropic = await startFakeAnthropic();
  defer(() => openai.close());
  defer(() => anthropic.close());
  const gw = await startTestGateway({
    yaml: [
      'gateway:',
      '  embedded_defaults: false',
      ...(lines.gateway ?? []),
      'providers:',
      `  fo: { type: openai, base_url: ${openai.baseURL}, api_key: sk-o }`,
      `  fa: { type: anthropic, base_url: ${anthropic.url}, api_key: sk-a }`,
      'models:',
      '  "gpt-*": fo',
      '  "claude-*": fa',
      '  "oa-claude": { provider: fa, model: claude-money }',
      'prices:',
      '  gpt-money: { input: 0, output: 1000 }',
      '  claude-money: { input: 0, output: 1000 }',
      ...(lines.prices ?? []),
      'agents:',
      '  bot: {}',
      ...(lines.agents ?? []),
    ].join('\n'),
  });
  defer(() => gw.stop());
  return { openai, anthropic, gw };
}

type Client = 'openai-chat' | 'anthropic' | 'responses';

function post(gw: TestGateway, client: Client, agent: string, body: Record<string, unknown>): ReturnType<typeof postJson> {
  const base = `${gw.url}/agents/${agent}/v1`;
  if (client === 'anthropic') return postJson(`${base}/messages`, { max_tokens: 200, ...body }, { 'anthropic-version': '2023-06-01' });
  if (client === 'responses') {
    const { messages, max_tokens, ...rest } = body as { messages: unknown; max_tokens?: number };
    return postJson(`${base}/responses`, { ...rest, input: messages, ...(max_tokens !== undefined ? { max_output_tokens: max_tokens } : {}) });
  }
  return postJson(`${base}/chat/completions`, body);
}

async function lastRow(gw: TestGateway, count: number): Promise<Record<string, unknown>> {
  await eventually(() => gw.rows().length >= count);
  return gw.rows().at(-1)!;
}

interface Status {
  gateway: { heldUsd: number };
  agents: { id: string; heldUsd: number; costHourUsd: number; status: string }[];
}

async function status(gw: TestGateway): Promise<Status> {
  return (await (await fetch(`${gw.url}/api/status`)).json()) as Status;
}

const messages = [{ role: 'user', content: 'Tell me something.' }];

describe('an answer without usage is estimated, billed and marked', () => {
  const cases: { client: Client; upstream: 'openai' | 'anthropic'; stream: boolean }[] = [
    { client: 'openai-chat', upstream: 'openai', stream: false },
    { client: 'openai-chat', upstream: 'openai', stream: true },
    { client: 'anthropic', upstream: 'anthropic', stream: false },
    { client: 'anthropic', upstream: 'anthropic', stream: true },
    { client: 'openai-chat', upstream: 'anthropic', stream: false },
    { client: 'anthropic', upstream: 'openai', stream: true },
    { client: 'responses', upstream: 'anthropic', stream: false },
    { client: 'responses', upstream: 'anthropic', stream: true },
  ];
  it.each(cases)('$client client → $upstream upstream, stream: $stream', async (c) => {
    const b = await bed();
    const text = 'The answer is forty-two, and it took a long time to compute it.';
    const fake = c.upstream === 'openai' ? b.openai : b.anthropic;
    fake.setScenario({ kind: 'text', text, usageWire: 'omit' });
    const model = c.upstream === 'openai' ? 'gpt-money' : 'claude-money';
    const res = await post(b.gw, c.client, 'bot', { model, messages, stream: c.stream });
    expect(res.status, res.text).toBe(200);

    const row = await lastRow(b.gw, 1);
    const outputTokens = await countText(counter, text);
    expect(row.estimated).toBe(1);
    expect(row.output_tokens).toBe(outputTokens);
    expect(Number(row.input_tokens)).toBeGreaterThan(0);
    expect(row.cost_usd).toBeCloseTo(outputTokens * OUT_USD, 12);
    if (!c.stream) expect(res.headers['x-ai-gateway-cost-usd']).toBe((outputTokens * OUT_USD).toFixed(6));
    const bot = (await status(b.gw)).agents.find((a) => a.id === 'bot')!;
    expect(bot.costHourUsd).toBeCloseTo(outputTokens * OUT_USD, 12);
  });
});

describe('usage counts that are no counts', () => {
  const broken: { name: string; upstream: 'openai' | 'anthropic'; wire: Record<string, unknown> }[] = [
    { name: 'completion_tokens: 1e300', upstream: 'openai', wire: { completion_tokens: 1e300 } },
    { name: 'completion_tokens: -5', upstream: 'openai', wire: { completion_tokens: -5 } },
    { name: 'prompt_tokens: 2.5', upstream: 'openai', wire: { prompt_tokens: 2.5 } },
    { name: 'output_tokens: 1e300', upstream: 'anthropic', wire: { output_tokens: 1e300 } },
    { name: 'input_tokens: -1', upstream: 'anthropic', wire: { input_tokens: -1 } },
  ];
  it.each(broken)('$name: estimated, billed a finite amount, held money back to 0, the agent never locked out', async (c) => {
    const b = await bed({ agents: ['  capped: { budget: { max_cost_per_hour: 5 } }'] });
    const fake = c.upstream === 'openai' ? b.openai : b.anthropic;
    const client: Client = c.upstream === 'openai' ? 'openai-chat' : 'anthropic';
    const model = c.upstream === 'openai' ? 'gpt-money' : 'claude-money';
    fake.setScenario({ kind: 'text', usage: { input: 10, output: 8 }, usageWire: c.wire });
    for (let i = 0; i < 6; i++) {
      const stream = i % 2 === 1;
      const res = await post(b.gw, client, 'capped', { model, messages, stream, max_tokens: 50 });
      expect(res.status, res.text).toBe(200);
      if (!stream) expect(Number(res.headers['x-ai-gateway-cost-usd'])).toBeLessThan(1);
    }
    await eventually(() => b.gw.rows().length === 6);
    for (const row of b.gw.rows()) {
      expect(row.estimated).toBe(1);
      expect(Number.isFinite(row.cost_usd)).toBe(true);
      expect(Number(row.cost_usd)).toBeLessThan(0.1);
      expect(Number(row.output_tokens)).toBeLessThan(100);
    }
    const s = await status(b.gw);
    expect(s.gateway.heldUsd).toBe(0);
    expect(s.agents.find((a) => a.id === 'capped')).toMatchObject({ heldUsd: 0, status: 'active' });
    // Logged once for the provider, not once per answer.
    const warnings = b.gw.logs.filter((l) => l.includes('not a token count'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(c.upstream === 'openai' ? '"provider":"fo"' : '"provider":"fa"');
  });
});

/** Reads an SSE response event by event, so a test can act while it streams. */
async function openStream(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ events: EventSourceMessage[]; next: () => Promise<boolean>; rest: () => Promise<void> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e) });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const next = async (): Promise<boolean> => {
    const { done, value } = await reader.read();
    if (done) return false;
    parser.feed(decoder.decode(value, { stream: true }));
    return true;
  };
  return {
    events,
    next,
    rest: async () => {
      while (await next());
    },
  };
}

function deltaText(events: EventSourceMessage[]): string {
  let out = '';
  for (const e of events) {
    if (e.data === '[DONE]') continue;
    const d = JSON.parse(e.data) as { choices?: { delta?: { content?: string } }[]; type?: string; delta?: { text?: string } };
    out += d.choices?.[0]?.delta?.content ?? (d.type === 'content_block_delta' ? (d.delta?.text ?? '') : '');
  }
  return out;
}

describe('money held by requests in flight', () => {
  it('shows on /api/status per agent and in total while a stream runs, and returns to 0', async () => {
    const b = await bed({ agents: ['  streamer: { budget: { max_cost_per_hour: 10 } }'] });
    b.openai.setScenario({ kind: 'text', chunks: 6, delayMs: 150, usage: { input: 5, output: 20 } });
    const s = await openStream(`${b.gw.url}/agents/streamer/v1/chat/completions`, { model: 'gpt-money', messages, stream: true, max_tokens: 300 });
    await s.next();
    const during = await status(b.gw);
    // The hold is the output cap at the output price: 300 × $0.001.
    expect(during.agents.find((a) => a.id === 'streamer')!.heldUsd).toBeCloseTo(0.3, 12);
    expect(during.gateway.heldUsd).toBeCloseTo(0.3, 12);
    await s.rest();
    await eventually(() => b.gw.rows().length === 1);
    const after = await status(b.gw);
    expect(after.gateway.heldUsd).toBe(0);
    expect(after.agents.find((a) => a.id === 'streamer')!.heldUsd).toBe(0);
  });
});

describe('the mid-stream budget guard', () => {
  // About 90 tokens of text in 20 deltas: within max_tokens 100, whose hold ($0.10) the budget ($0.12) covers.
  const text = 'The quick brown fox jumps over the lazy dog. '.repeat(9);
  it.each(['openai-chat', 'anthropic'] as const)('never cuts a %s stream its hold still covers', async (client) => {
    const b = await bed({ agents: ['  tight: { budget: { max_cost_per_hour: 0.12 } }'] });
    const tokens = await countText(counter, text);
    expect(tokens).toBeLessThan(100);
    const fake = client === 'openai-chat' ? b.openai : b.anthropic;
    fake.setScenario({ kind: 'text', text, chunks: 20, usage: { input: 12, output: tokens } });
    const model = client === 'openai-chat' ? 'gpt-money' : 'claude-money';
    const url = client === 'openai-chat' ? `${b.gw.url}/agents/tight/v1/chat/completions` : `${b.gw.url}/agents/tight/v1/messages`;
    const headers: Record<string, string> = client === 'anthropic' ? { 'anthropic-version': '2023-06-01' } : {};
    const s = await openStream(url, { model, messages, stream: true, max_tokens: 100 }, headers);
    await s.rest();
    expect(deltaText(s.events)).toBe(text);
    expect(s.events.some((e) => e.event === 'error' || e.data.includes('"error"'))).toBe(false);
    const row = await lastRow(b.gw, 1);
    expect(row).toMatchObject({ status: 200, error_code: null, output_tokens: tokens, estimated: 0 });
    expect(row.cost_usd).toBeCloseTo(tokens * OUT_USD, 12);
  });
});

describe('the overshoot bound', () => {
  it('holds however large the real input is: spend stays within the limit plus one request', async () => {
    // Input at $100 per 1M tokens, output free; the provider bills one input token per byte of the body,
    // three times what bytes / 3 would reserve.
    const b = await bed({ prices: ['  gpt-bulk: { input: 100, output: 0 }'], agents: ['  bulk: { budget: { max_cost_per_hour: 1 } }'] });
    const body = (i: number): Record<string, unknown> => ({ model: 'gpt-bulk', max_tokens: 1, messages: [{ role: 'user', content: `${String(i).padStart(4, '0')} ${'x'.repeat(900)}` }] });
    const bytes = Buffer.byteLength(JSON.stringify(body(0)));
    const perRequest = bytes * 100e-6;
    b.openai.setScenario({ kind: 'text', delayMs: 40, chunks: 2, usage: { input: bytes, output: 1 } });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => post(b.gw, 'openai-chat', 'bulk', body(i))));
    const ok = results.filter((r) => r.status === 200).length;
    expect(ok).toBeGreaterThan(0);
    await eventually(() => b.gw.rows().length === 40);
    const spent = b.gw.rows().reduce((sum, r) => sum + Number(r.cost_usd ?? 0), 0);
    expect(spent).toBeCloseTo(ok * perRequest, 9);
    expect(spent).toBeLessThanOrEqual(1 + perRequest + 1e-9);
    expect((await status(b.gw)).gateway.heldUsd).toBe(0);
  });
});

describe('a pause or a lowered budget reaches a running stream at its next chunk', () => {
  const slow: Scenario = { kind: 'text', text: 'One two three four five six seven eight nine ten eleven twelve.', chunks: 12, delayMs: 120, usage: { input: 5, output: 16 } };

  it.each(['openai-chat', 'anthropic'] as const)('a %s stream ends with agent_paused and is billed for what it produced', async (client) => {
    const b = await bed();
    (client === 'openai-chat' ? b.openai : b.anthropic).setScenario(slow);
    const url = client === 'openai-chat' ? `${b.gw.url}/agents/bot/v1/chat/completions` : `${b.gw.url}/agents/bot/v1/messages`;
    const headers: Record<string, string> = client === 'anthropic' ? { 'anthropic-version': '2023-06-01' } : {};
    const s = await openStream(url, { model: client === 'openai-chat' ? 'gpt-money' : 'claude-money', messages, stream: true, max_tokens: 200 }, headers);
    await s.next();
    expect((await postJson(`${b.gw.url}/api/agents/bot/pause`, { reason: 'stop now' })).status).toBe(200);
    await s.rest();
    const last = s.events.at(-1)!;
    const received = deltaText(s.events);
    expect(received.length).toBeLessThan(String(slow.text).length);
    if (client === 'openai-chat') expect(JSON.parse(last.data)).toMatchObject({ error: { code: 'agent_paused' } });
    else expect(last.event).toBe('error');
    const row = await lastRow(b.gw, 1);
    expect(row).toMatchObject({ error_code: 'agent_paused', estimated: 1 });
    const produced = await countText(counter, received);
    expect(Number(row.output_tokens)).toBeGreaterThanOrEqual(produced);
    expect(row.cost_usd).toBeCloseTo(Number(row.output_tokens) * OUT_USD, 12);
    expect((await status(b.gw)).gateway.heldUsd).toBe(0);
  });

  it('a budget lowered below spent + held ends the stream with budget_exceeded', async () => {
    const b = await bed({ agents: ['  payer: { budget: { max_cost_per_hour: 10 } }'] });
    b.openai.setScenario(slow);
    const s = await openStream(`${b.gw.url}/agents/payer/v1/chat/completions`, { model: 'gpt-money', messages, stream: true, max_tokens: 200 });
    await s.next();
    const put = await fetch(`${b.gw.url}/api/agents/payer/budget`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hourly: 0.05 }) });
    expect(put.status).toBe(200);
    await s.rest();
    expect(JSON.parse(s.events.at(-1)!.data)).toMatchObject({ error: { type: 'insufficient_quota', code: 'budget_exceeded' } });
    const row = await lastRow(b.gw, 1);
    expect(row).toMatchObject({ error_code: 'budget_exceeded', estimated: 1 });
    expect(Number(row.cost_usd)).toBeGreaterThan(0);
  });

  it('a budget raised, or lowered but still above spent + held, lets the stream finish', async () => {
    const b = await bed({ agents: ['  payer: { budget: { max_cost_per_hour: 10 } }'] });
    b.openai.setScenario(slow);
    const s = await openStream(`${b.gw.url}/agents/payer/v1/chat/completions`, { model: 'gpt-money', messages, stream: true, max_tokens: 200 });
    await s.next();
    // Holds $0.20; a $1 limit still covers it.
    await fetch(`${b.gw.url}/api/agents/payer/budget`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hourly: 1 }) });
    await s.rest();
    expect(s.events.at(-1)!.data).toBe('[DONE]');
    expect(deltaText(s.events)).toBe(slow.text);
  });
});
