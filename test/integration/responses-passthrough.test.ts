/**
 * /v1/responses to a provider that speaks the Responses API: forwarded as it is (byte for byte, only the model
 * renamed for an alias), streamed frame by frame, metered from `response.completed`, and under every control:
 * a budget hold and mid-stream cut-off, pause, rate limit, audit row. State (previous_response_id, item
 * references, hosted tools) is the provider's own. A provider that speaks Chat Completions only gets the
 * request translated instead.
 *
 * Prices (config, USD per 1M tokens): gpt-pass input 1, cache_read 0.5, output 2; gpt-cut output 1000.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { startFakeOpenAI, type FakeUpstream, type Scenario } from '../fakes/index.js';
import { agentRows, startTestGateway, type TestGateway } from '../helpers/gateway.js';

let fake: FakeUpstream;
let gw: TestGateway;
let seq = 0;

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: 'sk-provider' });
  gw = await startTestGateway({
    yaml: [
      'gateway:',
      '  embedded_defaults: false',
      'providers:',
      `  fo: { type: openai, base_url: ${fake.baseURL}, api_key: sk-provider, apis: [chat, responses] }`,
      `  chatonly: { type: openai, base_url: ${fake.baseURL}, api_key: sk-provider }`,
      'models:',
      '  fast: { provider: fo, model: gpt-pass }',
      '  "gpt-*": fo',
      '  "local-*": chatonly',
      'prices:',
      '  gpt-pass: { input: 1, output: 2, cache_read: 0.5 }',
      '  gpt-cut: { input: 0, output: 1000 }',
      'agents:',
      '  capped: { budget: { max_cost_per_hour: 0.05 } }',
      '  limited: { rate_limit: 1/min }',
    ].join('\n'),
  });
});
afterAll(async () => {
  await gw.stop();
  await fake.close();
});
beforeEach(() => fake.reset());

/** The gateway forwards no unknown headers, so a request's scenario is queued on the fake. */
function post(agent: string, body: string, scenario?: Scenario): Promise<Response> {
  if (scenario) fake.queueScenarios(scenario);
  return fetch(`${gw.url}/agents/${agent}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-client' },
    body,
  });
}


function sse(text: string): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  createParser({ onEvent: (e) => events.push(e) }).feed(text);
  return events;
}

const usage = { input: 1000, cacheRead: 400, output: 300, reasoning: 120 };
/** input 1000 × $1 + 400 cached × $0.5 + 300 output × $2, per 1M tokens. */
const COST = (1000 * 1 + 400 * 0.5 + 300 * 2) / 1e6;

describe('forwarded as it is', () => {
  it('non-stream: the body goes up and the answer comes back byte for byte, metered from its usage', async () => {
    const agent = `pt-${++seq}`;
    // Odd spacing and key order, hosted tools, store/include: nothing of it is the gateway's business.
    const body = '{"model":"gpt-pass",  "input":"hi","tools":[{"type":"web_search"},{"type":"namespace","name":"multi_agent_v1","description":"Sub-agents","tools":[{"type":"function","name":"spawn_agent","parameters":{"type":"object"}}]}],"store":false,"include":["reasoning.encrypted_content"],"client_metadata":{"k":"v"}}';
    const res = await post(agent, body, { kind: 'text', usage });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(fake.lastRequest?.pathname).toBe('/v1/responses');
    expect(fake.lastRequest?.rawBody).toBe(body);
    expect(fake.lastRequest?.headers['authorization']).toBe('Bearer sk-provider');
    expect(text).toBe(fake.lastResponseBytes?.toString('utf8'));
    expect(res.headers.get('x-ai-gateway-cost-usd')).toBe(COST.toFixed(6));
    const [row] = await agentRows(gw, agent);
    expect(row).toMatchObject({
      provider: 'fo',
      client_format: 'openai-responses',
      upstream_format: 'openai-responses',
      status: 200,
      input_tokens: 1000,
      cache_read_tokens: 400,
      output_tokens: 300,
      reasoning_tokens: 120,
      estimated: 0,
      dropped: null,
    });
    expect(row?.cost_usd).toBeCloseTo(COST, 12);
  });

  it('an alias changes the model and nothing else', async () => {
    const body = { model: 'fast', input: [{ role: 'user', content: 'hi' }], reasoning: { effort: 'low' } };
    expect((await post(`pt-${++seq}`, JSON.stringify(body))).status).toBe(200);
    expect(JSON.parse(fake.lastRequest?.rawBody ?? '')).toEqual({ ...body, model: 'gpt-pass' });
  });

  it('stream: the provider frames reach the client as they are sent, unchanged, and the row is metered from response.completed', async () => {
    const agent = `pt-${++seq}`;
    const body = JSON.stringify({ model: 'gpt-pass', input: 'stream please', stream: true });
    const res = await post(agent, body, { kind: 'text', text: 'one two three four', chunks: 4, delayMs: 60, usage });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const first = await reader.read();
    // The first frame is here while the fake is still writing the rest: nothing was buffered.
    expect(new TextDecoder().decode(first.value)).toMatch(/^event: response\.created\n/);
    expect(fake.lastRequest?.completed).toBe(false);
    let text = new TextDecoder().decode(first.value);
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += new TextDecoder().decode(chunk.value);
    expect(text).toBe(fake.lastResponseBytes?.toString('utf8'));
    expect(sse(text).at(-1)?.event).toBe('response.completed');
    const [row] = await agentRows(gw, agent);
    expect(row).toMatchObject({ stream: 1, status: 200, input_tokens: 1000, cache_read_tokens: 400, output_tokens: 300, reasoning_tokens: 120, estimated: 0 });
    expect(row?.cost_usd).toBeCloseTo(COST, 12);
  });

  it('the provider keeps the state: previous_response_id and item references work through the gateway', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/agents/pt-${++seq}/v1`, apiKey: 'sk-client', maxRetries: 0 });
    fake.queueScenarios({ kind: 'tools', calls: [{ name: 'exec_command', arguments: { cmd: 'ls' } }] }, { kind: 'tool_output', text: 'Found ' }, { kind: 'tool_output' });
    const first = await client.responses.create({ model: 'gpt-pass', input: 'list files' });
    const call = first.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
    const next = await client.responses.create({ model: 'gpt-pass', previous_response_id: first.id, input: [{ type: 'function_call_output', call_id: call.call_id, output: 'a.txt' }] });
    expect(next.output_text).toBe('Found a.txt');
    const referenced = await client.responses.create({
      model: 'gpt-pass',
      input: [{ role: 'user', content: 'list files' }, { type: 'item_reference', id: call.id ?? '' }, { type: 'function_call_output', call_id: call.call_id, output: 'b.txt' }],
    });
    expect(referenced.output_text).toBe('b.txt');
  });

  it("the provider's own refusal (an id it does not hold) reaches the client as the provider wrote it", async () => {
    const res = await post(`pt-${++seq}`, JSON.stringify({ model: 'gpt-pass', input: 'x', previous_response_id: 'resp_gone' }));
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(fake.lastResponseBytes?.toString('utf8'));
  });
});

describe('under every control', () => {
  it('a stream outrunning its budget hold is cut off with error + response.failed continuing the provider stream', async () => {
    const long = 'The quick brown fox jumps over the lazy dog. '.repeat(134).slice(0, 6000);
    const res = await post('capped', JSON.stringify({ model: 'gpt-cut', input: 'essay', stream: true, max_output_tokens: 10 }), {
      kind: 'text',
      text: long,
      chunks: 120,
      delayMs: 2,
      usage: { input: 10, output: 1500 },
    });
    expect(res.status).toBe(200);
    const events = sse(await res.text());
    const data = events.map((e) => JSON.parse(e.data) as { type: string; sequence_number: number; response?: { id: string; status: string; error?: unknown } });
    const [error, failed] = data.slice(-2);
    expect(error).toMatchObject({ type: 'error', code: 'budget_exceeded' });
    expect(failed).toMatchObject({ type: 'response.failed', response: { status: 'failed', error: { code: 'budget_exceeded' } } });
    // The same response as the provider opened, numbered on from its last event.
    expect(failed?.response?.id).toBe(data[0]?.response?.id);
    expect(data.map((d) => d.sequence_number)).toEqual(data.map((_, i) => i));
    expect(data.some((d) => d.type === 'response.completed')).toBe(false);
    const [row] = await agentRows(gw, 'capped');
    expect(row).toMatchObject({ error_code: 'budget_exceeded', stream: 1, estimated: 1 });
    expect(Number(row?.output_tokens)).toBeLessThan(1500);
    expect(Number(row?.cost_usd)).toBeCloseTo(Number(row?.output_tokens) * 0.001, 12);
  });

  it('pausing the agent mid-stream ends its stream the same way', async () => {
    const agent = `pt-${++seq}`;
    const res = await post(agent, JSON.stringify({ model: 'gpt-pass', input: 'slow', stream: true }), { kind: 'text', chunks: 40, delayMs: 25 });
    const reader = res.body!.getReader();
    let text = new TextDecoder().decode((await reader.read()).value);
    const paused = await fetch(`${gw.url}/api/agents/${agent}/pause`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"reason":"test"}' });
    expect(paused.status).toBe(200);
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += new TextDecoder().decode(chunk.value);
    const last = sse(text).slice(-2).map((e) => JSON.parse(e.data) as { type: string; code?: string });
    expect(last).toMatchObject([{ type: 'error', code: 'agent_paused' }, { type: 'response.failed' }]);
    expect((await agentRows(gw, agent))[0]).toMatchObject({ error_code: 'agent_paused', provider: 'fo' });
  });

  it('a rate-limited request is refused before it reaches the provider, and recorded', async () => {
    expect((await post('limited', JSON.stringify({ model: 'gpt-pass', input: 'one' }))).status).toBe(200);
    const second = await post('limited', JSON.stringify({ model: 'gpt-pass', input: 'two' }));
    expect(second.status).toBe(429);
    expect(((await second.json()) as { error: { code: string } }).error.code).toBe('rate_limit_exceeded');
    expect(fake.requests).toHaveLength(1);
    const rows = await agentRows(gw, 'limited', 2);
    expect(rows[1]).toMatchObject({ status: 429, provider: null });
  });

  it('a frame that is not JSON ends the stream with the error events; nothing after it is relayed', async () => {
    const agent = `pt-${++seq}`;
    // Text has begun (so the client already has a 200 stream) when the broken frame arrives.
    const res = await post(agent, JSON.stringify({ model: 'gpt-pass', input: 'x', stream: true }), { kind: 'malformed_json', afterFrames: 5 });
    const events = sse(await res.text());
    const types = events.map((e) => (JSON.parse(e.data) as { type: string }).type);
    expect(types.slice(0, 5)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added', 'response.output_text.delta']);
    expect(types.slice(5)).toEqual(['error', 'response.failed']);
    expect((await agentRows(gw, agent))[0]).toMatchObject({ status: 502, error_code: 'invalid_upstream_response' });
  });
});

describe('a provider that speaks Chat Completions only', () => {
  it('gets the Responses request translated to its chat endpoint', async () => {
    const agent = `pt-${++seq}`;
    const res = await post(agent, JSON.stringify({ model: 'local-llama', input: 'hi' }));
    expect(res.status).toBe(200);
    expect(fake.lastRequest?.pathname).toBe('/v1/chat/completions');
    expect(((await res.json()) as { object: string }).object).toBe('response');
    expect((await agentRows(gw, agent))[0]).toMatchObject({ provider: 'chatonly', upstream_format: 'openai-chat' });
  });
});
