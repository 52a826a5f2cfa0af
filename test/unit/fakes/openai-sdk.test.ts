// The fake OpenAI upstream driven by the official `openai` SDK: if the SDK accepts its bytes, so will clients.
import OpenAI, { APIError, RateLimitError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { scenarioHeaders, startFakeOpenAI, type FakeUpstream, type Scenario } from '../../fakes/index.js';

let fake: FakeUpstream;
let client: OpenAI;
const MODEL = 'gpt-4o-mini';
const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Say hello' }];

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: 'sk-test' });
  client = new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const opts = (s: Scenario): { headers: Record<string, string> } => ({ headers: scenarioHeaders(s) });

describe('non-stream', () => {
  it('returns a chat.completion with mapped usage and the request id header', async () => {
    const usage = { input: 100, cacheRead: 30, cacheWrite: 5, output: 20, reasoning: 7 };
    const { data, response, request_id } = await client.chat.completions
      .create({ model: MODEL, messages }, opts({ kind: 'text', text: 'Hi there', usage }))
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.id).toMatch(/^chatcmpl-[A-Za-z0-9]{29}$/);
    expect(data.model).toBe(MODEL);
    expect(data.choices[0]?.message).toMatchObject({ role: 'assistant', content: 'Hi there', refusal: null });
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.usage).toEqual({
      prompt_tokens: 135,
      completion_tokens: 20,
      total_tokens: 155,
      prompt_tokens_details: { cached_tokens: 30, audio_tokens: 0, cache_write_tokens: 5 },
      completion_tokens_details: {
        reasoning_tokens: 7,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    });
    expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    expect(request_id).toBe(response.headers.get('x-request-id'));
    expect(fake.lastRequest?.headers['authorization']).toBe('Bearer sk-test');
    expect(fake.lastRequest?.body?.['model']).toBe(MODEL);
  });

  it('returns parallel tool calls with finish_reason tool_calls and null content', async () => {
    const calls = [
      { name: 'get_weather', arguments: { city: 'Paris' } },
      { id: 'call_fixed', name: 'get_time', arguments: { tz: 'Europe/Paris' } },
    ];
    const res = await client.chat.completions.create({ model: MODEL, messages }, opts({ kind: 'tools', calls }));
    const choice = res.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    const toolCalls = choice?.message.tool_calls ?? [];
    expect(toolCalls).toHaveLength(2);
    expect(toolCalls[0]).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
    expect(toolCalls[0]?.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    expect(toolCalls[1]).toMatchObject({ id: 'call_fixed', function: { name: 'get_time' } });
  });

  it('maps length and stop_sequence to their finish reasons', async () => {
    const length = await client.chat.completions.create({ model: MODEL, messages }, opts({ kind: 'length' }));
    expect(length.choices[0]?.finish_reason).toBe('length');
    const stop = await client.chat.completions.create({ model: MODEL, messages, stop: ['END'] }, opts({ kind: 'stop_sequence' }));
    expect(stop.choices[0]?.finish_reason).toBe('stop');
  });

  it('echoes the last user text', async () => {
    const res = await client.chat.completions.create(
      {
        model: MODEL,
        messages: [
          { role: 'user', content: 'first' },
          { role: 'assistant', content: 'ok' },
          { role: 'user', content: [{ type: 'text', text: 'echo me, please' }] },
        ],
      },
      opts({ kind: 'echo' }),
    );
    expect(res.choices[0]?.message.content).toBe('echo me, please');
  });

  it('echoes the tool messages after the last assistant turn', async () => {
    const res = await client.chat.completions.create(
      {
        model: MODEL,
        messages: [
          { role: 'user', content: 'run it' },
          { role: 'tool', tool_call_id: 'call_old', content: 'stale' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'call_a', type: 'function', function: { name: 'Bash', arguments: '{}' } },
              { id: 'call_b', type: 'function', function: { name: 'Bash', arguments: '{}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_a', content: 'marker-1' },
          { role: 'tool', tool_call_id: 'call_b', content: [{ type: 'text', text: 'marker-2' }] },
        ],
      },
      opts({ kind: 'tool_output' }),
    );
    expect(res.choices[0]?.message.content).toBe('marker-1\nmarker-2');
  });
});

describe('stream', () => {
  it('sends role first, constant id/created, no usage key without include_usage, then [DONE]', async () => {
    const stream = await client.chat.completions.create(
      { model: MODEL, messages, stream: true },
      opts({ kind: 'text', text: 'abcdef', chunks: 3 }),
    );
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks).toHaveLength(5); // role, 3 deltas, finish
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '', refusal: null });
    expect(chunks.slice(1, 4).map((c) => c.choices[0]?.delta.content)).toEqual(['ab', 'cd', 'ef']);
    expect(chunks[4]?.choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' });
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(new Set(chunks.map((c) => c.created)).size).toBe(1);
    for (const c of chunks) {
      expect(c.object).toBe('chat.completion.chunk');
      expect(c.system_fingerprint).toMatch(/^fp_[0-9a-f]{10}$/);
      expect('usage' in c).toBe(false);
    }
    expect(fake.lastResponseBytes?.toString('utf8').endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('with include_usage sends usage:null on every chunk and a final choices:[] usage chunk', async () => {
    const stream = await client.chat.completions.create(
      { model: MODEL, messages, stream: true, stream_options: { include_usage: true } },
      opts({ kind: 'text', usage: { input: 9, output: 4, cacheRead: 2 } }),
    );
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 4, total_tokens: 15, prompt_tokens_details: { cached_tokens: 2 } });
    for (const c of chunks.slice(0, -1)) expect(c.usage).toBeNull();
  });

  it('finalChatCompletion() assembles parallel tool calls split across fragments', async () => {
    const calls = [
      { name: 'get_weather', arguments: { location: 'Paris, France', unit: 'celsius' } },
      { name: 'lookup', arguments: '{"q":"fake upstreams"}' },
    ];
    const runner = client.chat.completions.stream(
      { model: MODEL, messages, stream_options: { include_usage: true } },
      opts({ kind: 'tools', calls, fragments: 4, text: 'Let me check.' }),
    );
    const fragmentCounts = new Map<number, number>();
    runner.on('chunk', (c) => {
      for (const tc of c.choices[0]?.delta.tool_calls ?? []) {
        if (tc.id === undefined) fragmentCounts.set(tc.index, (fragmentCounts.get(tc.index) ?? 0) + 1);
      }
    });
    const done = await runner.finalChatCompletion();
    const msg = done.choices[0]?.message;
    expect(done.choices[0]?.finish_reason).toBe('tool_calls');
    expect(msg?.content).toBe('Let me check.');
    expect(msg?.tool_calls?.map((t) => (t.type === 'function' ? [t.function.name, JSON.parse(t.function.arguments)] : null))).toEqual([
      ['get_weather', { location: 'Paris, France', unit: 'celsius' }],
      ['lookup', { q: 'fake upstreams' }],
    ]);
    expect(fragmentCounts).toEqual(new Map([[0, 4], [1, 4]]));
    expect(done.usage?.total_tokens).toBe(20);
  });

  it('finalChatCompletion() works for a tool-only reply whose first chunk carries the role', async () => {
    const done = await client.chat.completions.stream({ model: MODEL, messages }, opts({ kind: 'tools' })).finalChatCompletion();
    expect(done.choices[0]?.message.content).toBeNull();
    expect(done.choices[0]?.message.tool_calls).toHaveLength(1);
  });

  it('a mid-stream error frame makes the SDK throw APIError after the first deltas', async () => {
    const stream = await client.chat.completions.create(
      { model: MODEL, messages, stream: true },
      opts({ kind: 'midstream_error', afterDeltas: 2, message: 'boom mid-stream' }),
    );
    const seen: string[] = [];
    const consume = async (): Promise<void> => {
      for await (const c of stream) seen.push(c.choices[0]?.delta.content ?? '');
    };
    await expect(consume()).rejects.toThrow(OpenAI.APIError);
    await expect(
      client.chat.completions.stream({ model: MODEL, messages }, opts({ kind: 'midstream_error' })).finalChatCompletion(),
    ).rejects.toThrow(/The server had an error/);
    expect(seen).toHaveLength(3); // role chunk + 2 deltas
    expect(fake.requests[0]?.responseBytes.toString()).not.toContain('[DONE]');
  });

  it('malformed JSON in a frame makes the SDK fail to parse', async () => {
    const stream = await client.chat.completions.create({ model: MODEL, messages, stream: true }, opts({ kind: 'malformed_json' }));
    const consume = async (): Promise<void> => {
      for await (const _ of stream) void _;
    };
    await expect(consume()).rejects.toThrow(SyntaxError);
  });
});

describe('errors', () => {
  const cases: Array<[number, new (...args: never[]) => APIError, string]> = [
    [400, OpenAI.BadRequestError, 'invalid_request_error'],
    [401, OpenAI.AuthenticationError, 'invalid_request_error'],
    [402, OpenAI.APIError, 'insufficient_quota'],
    [403, OpenAI.PermissionDeniedError, 'invalid_request_error'],
    [404, OpenAI.NotFoundError, 'invalid_request_error'],
    [429, OpenAI.RateLimitError, 'tokens'],
    [500, OpenAI.InternalServerError, 'server_error'],
    [503, OpenAI.InternalServerError, 'server_error'],
  ];
  it.each(cases)('status %i raises the SDK error class with the body and request id', async (status, cls, type) => {
    const err = await client.chat.completions.create({ model: MODEL, messages }, opts({ kind: 'error', status })).catch((e: unknown) => e);
    expect(Object.getPrototypeOf(err)).toBe(cls.prototype);
    const apiErr = err as APIError;
    expect(apiErr.status).toBe(status);
    expect(apiErr.type).toBe(type);
    expect(apiErr.requestID).toMatch(/^req_/);
    expect(apiErr.requestID).toBe(fake.lastRequest?.responseHeaders?.['x-request-id']);
  });

  it('429 carries retry-after and the rate-limit code', async () => {
    const err = (await client.chat.completions
      .create({ model: MODEL, messages }, opts({ kind: 'error', status: 429 }))
      .catch((e: unknown) => e)) as RateLimitError;
    expect(err.code).toBe('rate_limit_exceeded');
    expect(err.headers?.get('retry-after')).toBe('1');
  });

  it('error bodies are pretty-printed like the real API', async () => {
    await client.chat.completions.create({ model: MODEL, messages }, opts({ kind: 'error', status: 401 })).catch(() => undefined);
    const text = fake.lastResponseBytes?.toString('utf8') ?? '';
    expect(text.startsWith('{\n    "error": {\n        "message": "Incorrect API key provided')).toBe(true);
    expect(JSON.parse(text)).toMatchObject({ error: { type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
  });

  it('the SDK retries a 429 honouring retry-after-ms, then succeeds', async () => {
    const retrying = new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 1 });
    fake.queueScenarios({ kind: 'error', status: 429, retryAfterMs: 5 }, { kind: 'text', text: 'second time lucky' });
    const res = await retrying.chat.completions.create({ model: MODEL, messages });
    expect(res.choices[0]?.message.content).toBe('second time lucky');
    expect(fake.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  it('a wrong key gets a 401 AuthenticationError', async () => {
    const wrong = new OpenAI({ apiKey: 'sk-wrong', baseURL: fake.baseURL, maxRetries: 0 });
    await expect(wrong.chat.completions.create({ model: MODEL, messages })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

describe("the API's per-model and length checks", () => {
  const refused = (body: Partial<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming>) =>
    client.chat.completions.create({ model: MODEL, messages, ...body }).catch((e: unknown) => e as APIError);

  it.each<[string, Partial<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming>, string, string | null, string]>([
    ['reasoning_effort on a model without reasoning', { reasoning_effort: 'high' }, 'reasoning_effort', 'unsupported_parameter', "Unsupported parameter: 'reasoning_effort' is not supported with this model."],
    ['an effort the model does not list', { model: 'o3-mini', reasoning_effort: 'minimal' }, 'reasoning_effort', 'unsupported_value', "Unsupported value: 'minimal' is not supported with this model. Supported values are: 'low', 'medium', and 'high'."],
    ['max_completion_tokens above the limit', { max_completion_tokens: 32000 }, 'max_tokens', null, 'max_tokens is too large: 32000. This model supports at most 16384 completion tokens, whereas you provided 32000.'],
    ['max_tokens above the limit of a dated snapshot', { model: 'gpt-4o-mini-2024-07-18', max_tokens: 20000 }, 'max_tokens', null, 'max_tokens is too large: 20000. This model supports at most 16384 completion tokens, whereas you provided 20000.'],
    ['a user over 64 characters', { user: 'u'.repeat(65) }, 'user', 'string_above_max_length', "Invalid 'user': string too long. Expected a string with maximum length 64, but got a string with length 65 instead."],
    ['a safety_identifier over 64 characters, on any model', { model: 'my-finetune', safety_identifier: 's'.repeat(100) }, 'safety_identifier', 'string_above_max_length', "Invalid 'safety_identifier': string too long. Expected a string with maximum length 64, but got a string with length 100 instead."],
  ])('refuses %s with a 400 the SDK reads', async (_name, body, param, code, message) => {
    const err = await refused(body);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, type: 'invalid_request_error', param, code });
    expect((err as APIError).error).toMatchObject({ message });
  });

  it.each<[string, Partial<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming>]>([
    ['the limit itself', { max_completion_tokens: 16384, user: 'u'.repeat(64) }],
    ['a listed effort on a reasoning model', { model: 'o4-mini', reasoning_effort: 'high', max_completion_tokens: 100000 }],
    ['anything on a model it does not know', { model: 'my-finetune', reasoning_effort: 'high', max_completion_tokens: 1_000_000 }],
  ])('accepts %s', async (_name, body) => {
    const res = await client.chat.completions.create({ model: MODEL, messages, ...body });
    expect(res.object).toBe('chat.completion');
  });
});

describe('models and embeddings', () => {
  it('lists models', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toContain('gpt-4o-mini');
  });

  it('embeds with the SDK default base64 encoding, matching the float encoding', async () => {
    const viaSdk = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'] });
    expect(fake.lastRequest?.body?.['encoding_format']).toBe('base64');
    expect(viaSdk.data).toHaveLength(2);
    const asFloat = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'], encoding_format: 'float' });
    expect(viaSdk.data[0]?.embedding).toEqual(asFloat.data[0]?.embedding);
    expect(viaSdk.data[0]?.embedding).toHaveLength(8);
    expect(viaSdk.data[0]?.embedding).not.toEqual(viaSdk.data[1]?.embedding);
    expect(viaSdk.usage.prompt_tokens).toBe(3); // ceil(5/4) + ceil(4/4)
  });
});
