// The fake Anthropic upstream driven by the official `@anthropic-ai/sdk`: if the SDK accepts its bytes, so will clients.
import Anthropic, { APIError, RateLimitError } from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { scenarioHeaders, startFakeAnthropic, type FakeUpstream, type Scenario } from '../../fakes/index.js';

let fake: FakeUpstream;
let client: Anthropic;
const MODEL = 'claude-sonnet-4-5';
const base = { model: MODEL, max_tokens: 2048, messages: [{ role: 'user' as const, content: 'Say hello' }] };

beforeAll(async () => {
  fake = await startFakeAnthropic({ apiKey: 'sk-ant-test' });
  client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: fake.baseURL, maxRetries: 0 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const opts = (s: Scenario): { headers: Record<string, string> } => ({ headers: scenarioHeaders(s) });

/** SSE frames of a recorded response as [event, parsed data]. */
function events(bytes: Buffer | undefined): Array<[string, Record<string, unknown>]> {
  const text = bytes?.toString('utf8') ?? '';
  return text
    .split('\n\n')
    .filter((f) => f.length > 0)
    .map((frame) => {
      const [eventLine, dataLine] = frame.split('\n');
      return [eventLine?.replace(/^event: /, '') ?? '', JSON.parse(dataLine?.replace(/^data: /, '') ?? 'null') as Record<string, unknown>];
    });
}

describe('non-stream', () => {
  it('returns a Message with additive cache usage and the request-id header', async () => {
    const usage = { input: 50, cacheRead: 1000, cacheWrite: 200, cacheWrite1h: 100, output: 30 };
    const { data, response, request_id } = await client.messages
      .create(base, opts({ kind: 'text', text: 'Hello!', usage }))
      .withResponse();
    expect(data).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: MODEL,
      content: [{ type: 'text', text: 'Hello!' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
    });
    expect(data.id).toMatch(/^msg_01[1-9A-HJ-NP-Za-km-z]{22}$/);
    expect(data.usage).toEqual({
      input_tokens: 50,
      cache_creation_input_tokens: 300,
      cache_read_input_tokens: 1000,
      cache_creation: { ephemeral_5m_input_tokens: 200, ephemeral_1h_input_tokens: 100 },
      output_tokens: 30,
      service_tier: 'standard',
    });
    expect(response.headers.get('request-id')).toMatch(/^req_011C/);
    expect(request_id).toBe(response.headers.get('request-id'));
    const sent = fake.lastRequest?.headers;
    // This SDK version authenticates with a bearer token; the fake accepts that or x-api-key.
    expect(sent?.['authorization'] ?? sent?.['x-api-key']).toMatch(/sk-ant-test$/);
    expect(sent?.['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('returns thinking, then text, with the signature', async () => {
    const msg = await client.messages.create(
      { ...base, thinking: { type: 'enabled', budget_tokens: 1024 } },
      opts({ kind: 'thinking', thinking: 'Let me think.', signature: 'EqSIG', text: 'Done.' }),
    );
    expect(msg.content).toEqual([
      { type: 'thinking', thinking: 'Let me think.', signature: 'EqSIG' },
      { type: 'text', text: 'Done.' },
    ]);
  });

  it('returns tool_use blocks with object inputs and stop_reason tool_use', async () => {
    const msg = await client.messages.create(
      base,
      opts({ kind: 'tools', calls: [{ name: 'a', arguments: { x: 1 } }, { id: 'toolu_fixed', name: 'b', arguments: '{"y":[2]}' }] }),
    );
    expect(msg.stop_reason).toBe('tool_use');
    expect(msg.content).toEqual([
      { type: 'tool_use', id: expect.stringMatching(/^toolu_01/) as unknown as string, name: 'a', input: { x: 1 } },
      { type: 'tool_use', id: 'toolu_fixed', name: 'b', input: { y: [2] } },
    ]);
  });

  it('reports the matched stop sequence and max_tokens', async () => {
    const stop = await client.messages.create({ ...base, stop_sequences: ['<END>'] }, opts({ kind: 'stop_sequence' }));
    expect([stop.stop_reason, stop.stop_sequence]).toEqual(['stop_sequence', '<END>']);
    const length = await client.messages.create(base, opts({ kind: 'length' }));
    expect(length.stop_reason).toBe('max_tokens');
  });

  it('echoes the last user text from content blocks', async () => {
    const msg = await client.messages.create(
      { ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 'repeat after me' }] }] },
      opts({ kind: 'echo' }),
    );
    expect(msg.content).toEqual([{ type: 'text', text: 'repeat after me' }]);
  });

  it('echoes what the tools printed when the conversation ends with tool results', async () => {
    const messages: Anthropic.MessageParam[] = [
      { role: 'user', content: 'run it' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_a', name: 'Bash', input: { command: 'echo hi' } }] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_a', content: 'marker-1' },
          { type: 'tool_result', tool_use_id: 'toolu_b', content: [{ type: 'text', text: 'marker-2' }] },
        ],
      },
    ];
    const msg = await client.messages.create({ ...base, messages }, opts({ kind: 'tool_output' }));
    expect(msg.content).toEqual([{ type: 'text', text: 'marker-1\nmarker-2' }]);
  });
});

describe('server-side web search and tool loops', () => {
  const searchTool = { type: 'web_search_20250305' as const, name: 'web_search' as const };

  it('a search is server_tool_use then its web_search_tool_result, then the answer, and the usage counts it', async () => {
    const message = await client.messages.create({ ...base, tools: [searchTool] }, opts({ kind: 'web_search', query: 'gateway docs' }));
    expect(message.content.map((b) => b.type)).toEqual(['server_tool_use', 'web_search_tool_result', 'text']);
    const [use, result] = message.content;
    expect(use).toMatchObject({ type: 'server_tool_use', name: 'web_search', input: { query: 'gateway docs' } });
    expect(use?.type === 'server_tool_use' ? use.id : '').toMatch(/^srvtoolu_01/);
    expect(result).toMatchObject({ type: 'web_search_tool_result', tool_use_id: use?.type === 'server_tool_use' ? use.id : '' });
    expect(message.usage.server_tool_use).toMatchObject({ web_search_requests: 1 });
  });

  it('streamed, finalMessage() assembles the search query and its results', async () => {
    const message = await client.messages.stream({ ...base, tools: [searchTool] }, opts({ kind: 'web_search' })).finalMessage();
    expect(message.content.map((b) => b.type)).toEqual(['server_tool_use', 'web_search_tool_result', 'text']);
    expect(message.content[0]).toMatchObject({ input: { query: 'ai gateway' } });
    const result = message.content[1];
    expect(result?.type === 'web_search_tool_result' && Array.isArray(result.content) ? result.content.map((r) => r.url) : []).toEqual(['https://example.com/gateway', 'https://example.org/proxy']);
  });

  it('tool_output answers with the last tool result of the conversation', async () => {
    const message = await client.messages.create(
      {
        ...base,
        messages: [
          { role: 'user', content: 'run it' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'echo hi' } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'hi\n' }] }] },
        ],
      },
      opts({ kind: 'tool_output', text: 'It printed: ' }),
    );
    expect(message.content).toEqual([{ type: 'text', text: 'It printed: hi\n' }]);
  });
});

describe('stream', () => {
  it('sends named events in the canonical order with a ping and message_start usage', async () => {
    const stream = await client.messages.create(
      { ...base, stream: true },
      opts({ kind: 'text', text: 'abcdef', chunks: 3, usage: { input: 7, cacheRead: 3, output: 5 } }),
    );
    const types: string[] = [];
    for await (const ev of stream) types.push(ev.type);
    // The SDK drops pings; the bytes keep them.
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const raw = events(fake.lastResponseBytes);
    expect(raw.map(([e]) => e)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    for (const [event, data] of raw) expect(data['type']).toBe(event);
    expect(raw[0]?.[1]).toMatchObject({
      message: { content: [], stop_reason: null, usage: { input_tokens: 7, cache_read_input_tokens: 3, output_tokens: 1 } },
    });
    expect(raw[7]?.[1]).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 5 },
    });
    expect(fake.lastResponseBytes?.toString('utf8')).toContain('event: ping\ndata: {"type": "ping"}\n\n');
    expect(fake.lastRequest?.responseHeaders?.['content-type']).toBe('text/event-stream; charset=utf-8');
  });

  it('finalMessage() assembles thinking + signature + text', async () => {
    const msg = await client.messages
      .stream({ ...base, thinking: { type: 'enabled', budget_tokens: 1024 } }, opts({ kind: 'thinking', thinking: 'step one, step two', text: 'Answer.' }))
      .finalMessage();
    expect(msg.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    const thinking = msg.content[0];
    expect(thinking?.type === 'thinking' ? thinking.thinking : '').toBe('step one, step two');
    expect(thinking?.type === 'thinking' ? thinking.signature : '').toMatch(/^Eq/);
    const deltas = events(fake.lastResponseBytes).filter(([e]) => e === 'content_block_delta').map(([, d]) => d['delta'] as { type: string });
    expect(deltas.filter((d) => d.type === 'signature_delta')).toHaveLength(1);
    expect(deltas.findIndex((d) => d.type === 'signature_delta')).toBe(deltas.filter((d) => d.type === 'thinking_delta').length);
  });

  it('omitted thinking sends only the signature', async () => {
    const msg = await client.messages.stream(base, opts({ kind: 'thinking', omitThinking: true })).finalMessage();
    const thinking = msg.content[0];
    expect(thinking?.type === 'thinking' ? thinking.thinking : null).toBe('');
    const kinds = events(fake.lastResponseBytes).map(([, d]) => (d['delta'] as { type?: string } | undefined)?.type);
    expect(kinds).not.toContain('thinking_delta');
  });

  it('finalMessage() parses tool input streamed as input_json_delta fragments', async () => {
    const calls = [
      { name: 'get_weather', arguments: { location: 'San Francisco, CA', unit: 'fahrenheit' } },
      { name: 'get_time', arguments: { tz: 'America/Los_Angeles' } },
    ];
    const msg = await client.messages.stream(base, opts({ kind: 'tools', calls, fragments: 5, text: 'Checking.' })).finalMessage();
    expect(msg.stop_reason).toBe('tool_use');
    expect(msg.content.map((b) => (b.type === 'tool_use' ? [b.name, b.input] : b.type === 'text' ? b.text : b.type))).toEqual([
      'Checking.',
      ['get_weather', { location: 'San Francisco, CA', unit: 'fahrenheit' }],
      ['get_time', { tz: 'America/Los_Angeles' }],
    ]);
    const raw = events(fake.lastResponseBytes);
    const toolStart = raw.findIndex(([e, d]) => e === 'content_block_start' && (d['content_block'] as { type: string }).type === 'tool_use');
    expect(raw[toolStart]?.[1]['content_block']).toMatchObject({ input: {} });
    expect(raw[toolStart + 1]?.[1]['delta']).toEqual({ type: 'input_json_delta', partial_json: '' });
  });

  it('full delta usage repeats input and cache counts in message_delta', async () => {
    const msg = await client.messages
      .stream(base, opts({ kind: 'text', fullDeltaUsage: true, usage: { input: 4, cacheWrite: 6, output: 2 } }))
      .finalMessage();
    expect(msg.usage).toMatchObject({ input_tokens: 4, cache_creation_input_tokens: 6, output_tokens: 2 });
    const delta = events(fake.lastResponseBytes).find(([e]) => e === 'message_delta');
    expect(delta?.[1]['usage']).toEqual({ input_tokens: 4, cache_creation_input_tokens: 6, cache_read_input_tokens: 0, output_tokens: 2 });
  });

  it('an error event after 200 makes the SDK throw with overloaded_error and no message_stop is sent', async () => {
    const stream = await client.messages.create({ ...base, stream: true }, opts({ kind: 'midstream_error', afterDeltas: 1 }));
    const seen: string[] = [];
    const consume = async (): Promise<void> => {
      for await (const ev of stream) seen.push(ev.type);
    };
    const err = await consume().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as APIError).error).toMatchObject({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    expect(seen).toEqual(['message_start', 'content_block_start', 'content_block_delta']);
    expect(fake.lastResponseBytes?.toString('utf8')).not.toContain('message_stop');
    await expect(client.messages.stream(base, opts({ kind: 'midstream_error' })).finalMessage()).rejects.toThrow(/Overloaded/);
  });

  it('malformed JSON in a frame makes the SDK fail to parse', async () => {
    const stream = await client.messages.create({ ...base, stream: true }, opts({ kind: 'malformed_json', afterFrames: 3 }));
    const consume = async (): Promise<void> => {
      for await (const _ of stream) void _;
    };
    await expect(consume()).rejects.toThrow(SyntaxError);
  });
});

describe('errors', () => {
  const cases: Array<[number, new (...args: never[]) => APIError, string]> = [
    [400, Anthropic.BadRequestError, 'invalid_request_error'],
    [401, Anthropic.AuthenticationError, 'authentication_error'],
    [402, Anthropic.PaymentRequiredError, 'billing_error'],
    [403, Anthropic.PermissionDeniedError, 'permission_error'],
    [404, Anthropic.NotFoundError, 'not_found_error'],
    [413, Anthropic.ContentTooLargeError, 'request_too_large'],
    [429, Anthropic.RateLimitError, 'rate_limit_error'],
    [500, Anthropic.InternalServerError, 'api_error'],
    [503, Anthropic.ServiceUnavailableError, 'api_error'],
    [529, Anthropic.OverloadedError, 'overloaded_error'],
  ];
  it.each(cases)('status %i raises the SDK error class with the error body and request id', async (status, cls, type) => {
    const err = await client.messages.create(base, opts({ kind: 'error', status })).catch((e: unknown) => e);
    expect(Object.getPrototypeOf(err)).toBe(cls.prototype);
    const apiErr = err as APIError;
    expect(apiErr.status).toBe(status);
    expect(apiErr.error).toMatchObject({ type: 'error', error: { type } });
    expect(apiErr.requestID).toMatch(/^req_011C/);
    expect((apiErr.error as { request_id?: string }).request_id).toBe(apiErr.requestID);
  });

  it('429 carries retry-after, and custom type/message/headers pass through', async () => {
    const err = (await client.messages
      .create(base, opts({ kind: 'error', status: 429, retryAfter: 7, shouldRetry: false, message: 'slow down' }))
      .catch((e: unknown) => e)) as RateLimitError;
    expect(err.headers?.get('retry-after')).toBe('7');
    expect(err.headers?.get('x-should-retry')).toBe('false');
    expect(err.error).toMatchObject({ error: { message: 'slow down' } });
  });

  it('the SDK retries a 529 and then succeeds', async () => {
    const retrying = new Anthropic({ apiKey: 'sk-ant-test', baseURL: fake.baseURL, maxRetries: 1 });
    fake.queueScenarios({ kind: 'error', status: 529, retryAfterMs: 5 });
    const msg = await retrying.messages.create(base);
    expect(msg.content).toEqual([{ type: 'text', text: 'Hello from the fake upstream.' }]);
    expect(fake.requests.map((r) => r.status)).toEqual([529, 200]);
  });

  it('a wrong key gets a 401 AuthenticationError', async () => {
    const wrong = new Anthropic({ apiKey: 'nope', baseURL: fake.baseURL, maxRetries: 0 });
    await expect(wrong.messages.create(base)).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it('rejects a thinking budget the API would reject', async () => {
    await expect(
      client.messages.create({ ...base, max_tokens: 1000, thinking: { type: 'enabled', budget_tokens: 1024 } }),
    ).rejects.toThrow(/max_tokens/);
  });
});

describe("the API's per-model and length checks", () => {
  // An explicit timeout lets the SDK send a large max_tokens without streaming.
  const LONG = { timeout: 60_000 };
  it.each<[string, Partial<Anthropic.MessageCreateParamsNonStreaming>, string]>([
    ['max_tokens above the limit', { max_tokens: 64001 }, 'max_tokens: 64001 > 64000, which is the maximum allowed number of output tokens for claude-sonnet-4-5'],
    [
      'max_tokens above the limit of a dated alias',
      { model: 'claude-3-5-haiku-20241022', max_tokens: 32000 },
      'max_tokens: 32000 > 8192, which is the maximum allowed number of output tokens for claude-3-5-haiku-20241022',
    ],
    ['a metadata.user_id over 256 characters', { metadata: { user_id: 'u'.repeat(257) } }, 'metadata.user_id: String should have at most 256 characters'],
  ])('refuses %s with a 400 the SDK reads', async (_name, body, message) => {
    const err = await client.messages.create({ ...base, ...body }, LONG).catch((e: unknown) => e as APIError);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as APIError).error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message } });
  });

  it('accepts the limits themselves, and a model it does not know', async () => {
    await expect(client.messages.create({ ...base, max_tokens: 64000, metadata: { user_id: 'u'.repeat(256) } }, LONG)).resolves.toMatchObject({ type: 'message' });
    await expect(client.messages.create({ ...base, model: 'claude-house', max_tokens: 1_000_000 }, LONG)).resolves.toMatchObject({ type: 'message' });
  });
});

describe('count_tokens and models', () => {
  it('counts tokens, through the beta resource too', async () => {
    const res = await client.messages.countTokens({ model: MODEL, messages: base.messages });
    expect(res.input_tokens).toBeGreaterThan(0);
    const beta = await client.beta.messages.countTokens({ model: MODEL, messages: base.messages });
    expect(beta.input_tokens).toBe(res.input_tokens);
    expect(fake.lastRequest?.headers['anthropic-beta']).toBeDefined();
  });

  it('routes on the path without its query string', async () => {
    const res = await fetch(`${fake.url}/v1/messages/count_tokens?beta=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-test' },
      body: JSON.stringify({ model: MODEL, messages: base.messages }),
    });
    expect(res.status).toBe(200);
    expect(fake.lastRequest?.path).toBe('/v1/messages/count_tokens?beta=true');
    expect(fake.lastRequest?.pathname).toBe('/v1/messages/count_tokens');
  });

  it('lists models', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(['claude-sonnet-4-5', 'claude-opus-4-1', 'claude-haiku-4-5']);
  });
});
