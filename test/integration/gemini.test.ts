/**
 * Gemini both ways through a real gateway: the official `@google/genai` SDK as a client against the OpenAI,
 * Anthropic and Gemini fakes, and the OpenAI and Anthropic SDKs as clients against the Gemini fake. Streams and
 * tool calls included; each test checks what the SDK returned, what the fake received and the audit row's exact
 * tokens and cost.
 */
import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI, Type, type Content, type Part } from '@google/genai';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TEXT, startFakeAnthropic, startFakeGemini, startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { agentRows, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { ANTHROPIC_PROVIDER_KEY, OPENAI_PROVIDER_KEY } from './fakes-gateway.js';

const GEMINI_PROVIDER_KEY = 'AIzaSy-provider-gemini-K3y';
const VIRTUAL_KEY = 'vk-gemini-cli-bot-7h2';

let openai: FakeUpstream;
let anthropic: FakeUpstream;
let gemini: FakeUpstream;
let gw: TestGateway;
let seq = 0;

/** The provider entry the README shows, pointed at the fake. */
function geminiProviderYaml(baseUrl: string): string {
  return `  gemini: { type: gemini, base_url: ${baseUrl}, api_key: ${GEMINI_PROVIDER_KEY} }`;
}

beforeAll(async () => {
  openai = await startFakeOpenAI();
  anthropic = await startFakeAnthropic();
  gemini = await startFakeGemini({ apiKey: GEMINI_PROVIDER_KEY });
  gw = await startTestGateway({
    yaml: [
      'gateway:',
      '  embedded_defaults: false',
      'providers:',
      `  fo: { type: openai, base_url: ${openai.baseURL}, api_key: ${OPENAI_PROVIDER_KEY} }`,
      `  fa: { type: anthropic, base_url: ${anthropic.url}, api_key: ${ANTHROPIC_PROVIDER_KEY} }`,
      geminiProviderYaml(gemini.baseURL),
      'models:',
      '  "gpt-*": fo',
      '  "claude-*": fa',
      '  "gemini-*": gemini',
      'agents:',
      `  cli-bot: { keys: [${VIRTUAL_KEY}] }`,
    ].join('\n'),
  });
});
afterAll(async () => {
  await gw.stop();
  await Promise.all([openai.close(), anthropic.close(), gemini.close()]);
});
beforeEach(() => {
  openai.reset();
  anthropic.reset();
  gemini.reset();
});

function agent(prefix: string): string {
  return `${prefix}-${++seq}`;
}

function genai(name: string): GoogleGenAI {
  return new GoogleGenAI({ apiKey: 'client-gemini-key', httpOptions: { baseUrl: `${gw.url}/agents/${name}` } });
}

async function rowOf(name: string): Promise<Record<string, unknown>> {
  const rows = await agentRows(gw, name, 1);
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

const weather = {
  name: 'get_weather',
  description: 'Current weather for a place',
  parameters: { type: Type.OBJECT, properties: { location: { type: Type.STRING } }, required: ['location'] },
};

type Mode = 'stream' | 'create';

/** One generateContent call either way, as the SDK user sees it: the model turn's parts, finish reason and usage. */
async function generate(ai: GoogleGenAI, mode: Mode, params: Parameters<GoogleGenAI['models']['generateContent']>[0]) {
  if (mode === 'create') {
    const res = await ai.models.generateContent(params);
    return { parts: res.candidates?.[0]?.content?.parts ?? [], finish: res.candidates?.[0]?.finishReason, usage: res.usageMetadata, text: res.text ?? '' };
  }
  const parts: Part[] = [];
  let finish: string | undefined;
  let usage;
  for await (const chunk of await ai.models.generateContentStream(params)) {
    parts.push(...(chunk.candidates?.[0]?.content?.parts ?? []));
    finish = chunk.candidates?.[0]?.finishReason ?? finish;
    usage = chunk.usageMetadata ?? usage;
  }
  const text = parts.flatMap((p) => (p.text !== undefined && p.thought !== true ? [p.text] : [])).join('');
  return { parts, finish, usage, text };
}

describe.each<Mode>(['create', 'stream'])('@google/genai client (%s)', (mode) => {
  it('→ Gemini fake: the same format goes through, priced from gemini-2.5-flash’s table price', async () => {
    const name = agent('gg');
    gemini.queueScenarios({ kind: 'text', text: 'Hi there', usage: { input: 1000, cacheRead: 4000, output: 200, reasoning: 50 } });
    const res = await generate(genai(name), mode, { model: 'gemini-2.5-flash', contents: 'hello' });
    expect(res.text).toBe('Hi there');
    expect(res.finish).toBe('STOP');
    expect(res.usage).toMatchObject({ promptTokenCount: 5000, cachedContentTokenCount: 4000, candidatesTokenCount: 150, thoughtsTokenCount: 50 });
    const req = gemini.lastRequest!;
    expect(req.pathname).toBe(`/v1beta/models/gemini-2.5-flash:${mode === 'stream' ? 'streamGenerateContent' : 'generateContent'}`);
    // The provider's key, never the client's.
    expect(req.headers['x-goog-api-key']).toBe(GEMINI_PROVIDER_KEY);
    expect(req.body).toEqual({ contents: [{ parts: [{ text: 'hello' }], role: 'user' }] });
    const row = await rowOf(name);
    expect(row).toMatchObject({
      status: 200,
      client_format: 'gemini',
      upstream_format: 'gemini',
      provider: 'gemini',
      model: 'gemini-2.5-flash',
      input_tokens: 1000,
      cache_read_tokens: 4000,
      output_tokens: 200,
      reasoning_tokens: 50,
      estimated: 0,
    });
    // $0.30/M input, $0.03/M cached input, $2.50/M output (thoughts included).
    expect(row['cost_usd']).toBeCloseTo((1000 * 0.3 + 4000 * 0.03 + 200 * 2.5) / 1e6, 12);
  });

  it('→ OpenAI fake: text, then a tool call and its result, translated both ways', async () => {
    const name = agent('go');
    const ai = genai(name);
    openai.queueScenarios({ kind: 'tools', calls: [{ name: 'get_weather', arguments: { location: 'Paris' } }], usage: { input: 30, output: 9 } }, { kind: 'tool_output', text: 'Result: ' });
    const config = { tools: [{ functionDeclarations: [weather] }], systemInstruction: 'Be brief.' };
    const first = await generate(ai, mode, { model: 'gpt-4o-mini', contents: 'Weather in Paris?', config });
    const call = first.parts.find((p) => p.functionCall !== undefined)?.functionCall;
    expect(call).toMatchObject({ name: 'get_weather', args: { location: 'Paris' } });
    expect(call?.id).toEqual(expect.stringMatching(/^call_/));
    expect(first.finish).toBe('STOP');
    expect(first.usage).toMatchObject({ promptTokenCount: 30, candidatesTokenCount: 9 });
    const sent = openai.lastRequest!.body!;
    expect(sent['messages']).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Paris?' },
    ]);
    expect(sent['tools']).toEqual([
      { type: 'function', function: { name: 'get_weather', description: 'Current weather for a place', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } } },
    ]);

    const history: Content[] = [
      { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
      { role: 'model', parts: first.parts },
      // No id: the gateway pairs the response with the call by name, as Gemini does.
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: '18°C, clear' } } }] },
    ];
    const second = await generate(ai, mode, { model: 'gpt-4o-mini', contents: history, config });
    expect(second.text).toBe('Result: 18°C, clear');
    const messages = openai.lastRequest!.body!['messages'] as Record<string, unknown>[];
    expect(messages[2]).toMatchObject({ role: 'assistant', tool_calls: [{ id: call?.id, type: 'function', function: { name: 'get_weather' } }] });
    expect(messages[3]).toEqual({ role: 'tool', tool_call_id: call?.id, content: '18°C, clear' });

    const rows = await agentRows(gw, name, 2);
    expect(rows[0]).toMatchObject({ client_format: 'gemini', upstream_format: 'openai-chat', provider: 'fo', input_tokens: 30, output_tokens: 9, estimated: 0 });
    // gpt-4o-mini: $0.15/M input, $0.60/M output.
    expect(rows[0]!['cost_usd']).toBeCloseTo((30 * 0.15 + 9 * 0.6) / 1e6, 12);
  });

  it('→ Anthropic fake: thinking comes back as thought parts, the tool call with the signature on it', async () => {
    const name = agent('ga');
    anthropic.queueScenarios({ kind: 'tools', thinking: 'Look it up.', calls: [{ name: 'get_weather', arguments: { location: 'Oslo' } }], usage: { input: 40, output: 25 } });
    const res = await generate(genai(name), mode, {
      model: 'claude-sonnet-4-5',
      contents: 'Weather in Oslo?',
      config: { tools: [{ functionDeclarations: [weather] }], thinkingConfig: { includeThoughts: true, thinkingBudget: 2048 }, maxOutputTokens: 4096 },
    });
    const thought = res.parts.filter((p) => p.thought === true).map((p) => p.text ?? '').join('');
    expect(thought).toBe('Look it up.');
    expect(res.parts.some((p) => p.thoughtSignature !== undefined)).toBe(true);
    expect(res.parts.find((p) => p.functionCall)?.functionCall).toMatchObject({ name: 'get_weather', args: { location: 'Oslo' } });
    const sent = anthropic.lastRequest!.body!;
    expect(sent).toMatchObject({ model: 'claude-sonnet-4-5', max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 2048 } });
    expect(sent['tools']).toEqual([{ name: 'get_weather', description: 'Current weather for a place', input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } }]);
    expect(await rowOf(name)).toMatchObject({ client_format: 'gemini', upstream_format: 'anthropic-messages', input_tokens: 40, output_tokens: 25, estimated: 0 });

    // Next turn: the client sends the model turn back as it got it; Anthropic gets its signed thinking block back.
    const signed = anthropic.lastResponseBytes!.toString('utf8');
    anthropic.queueScenarios({ kind: 'tool_output' });
    const history: Content[] = [
      { role: 'user', parts: [{ text: 'Weather in Oslo?' }] },
      { role: 'model', parts: res.parts },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: '-3°C' } } }] },
    ];
    const next = await generate(genai(name), mode, {
      model: 'claude-sonnet-4-5',
      contents: history,
      config: { tools: [{ functionDeclarations: [weather] }], thinkingConfig: { includeThoughts: true, thinkingBudget: 2048 }, maxOutputTokens: 4096 },
    });
    expect(next.text).toBe('-3°C');
    const assistant = (anthropic.lastRequest!.body!['messages'] as { role: string; content: Record<string, unknown>[] }[])[1]!;
    const thinking = assistant.content.find((b) => b['type'] === 'thinking');
    expect(thinking?.['thinking']).toBe('Look it up.');
    expect(signed).toContain(String(thinking?.['signature']));
    expect(assistant.content.find((b) => b['type'] === 'tool_use')).toMatchObject({ name: 'get_weather', input: { location: 'Oslo' } });
  });
});

describe('other clients → Gemini fake', () => {
  const openaiClient = (name: string): OpenAI => new OpenAI({ baseURL: `${gw.url}/agents/${name}/v1`, apiKey: 'sk-client', maxRetries: 0 });
  const anthropicClient = (name: string): Anthropic => new Anthropic({ baseURL: `${gw.url}/agents/${name}`, apiKey: 'sk-ant-client', maxRetries: 0 });
  const tool: OpenAI.ChatCompletionTool = {
    type: 'function',
    function: {
      name: 'get_weather',
      parameters: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: { location: { type: 'string' }, unit: { type: ['string', 'null'], enum: ['c', 'f', null] } },
        required: ['location'],
        additionalProperties: false,
      },
    },
  };

  it('OpenAI SDK, streamed: text and usage, the schema narrowed to what Gemini accepts, exact cost', async () => {
    const name = agent('og');
    gemini.queueScenarios({ kind: 'text', text: 'Bonjour', usage: { input: 100, cacheRead: 300, output: 60, reasoning: 20 } });
    const stream = await openaiClient(name).chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'hello' }],
      tools: [tool],
      max_completion_tokens: 500,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe('Bonjour');
    expect(usage).toMatchObject({ prompt_tokens: 400, completion_tokens: 60, prompt_tokens_details: { cached_tokens: 300 }, completion_tokens_details: { reasoning_tokens: 20 } });
    const req = gemini.lastRequest!;
    expect(req.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(req.body).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'hello' }] }],
      systemInstruction: { parts: [{ text: 'Be kind.' }] },
      tools: [
        {
          functionDeclarations: [
            {
              name: 'get_weather',
              parameters: {
                type: 'OBJECT',
                properties: { location: { type: 'STRING' }, unit: { type: 'STRING', nullable: true, format: 'enum', enum: ['c', 'f'] } },
                required: ['location'],
              },
            },
          ],
        },
      ],
      generationConfig: { maxOutputTokens: 500 },
    });
    const row = await rowOf(name);
    expect(row).toMatchObject({ client_format: 'openai-chat', upstream_format: 'gemini', provider: 'gemini', input_tokens: 100, cache_read_tokens: 300, output_tokens: 60, reasoning_tokens: 20, estimated: 0 });
    expect(row['cost_usd']).toBeCloseTo((100 * 0.3 + 300 * 0.03 + 60 * 2.5) / 1e6, 12);
  });

  it('OpenAI SDK: a tool call gets a stable id, and its result goes back as a functionResponse', async () => {
    const name = agent('ogt');
    const client = openaiClient(name);
    gemini.queueScenarios({ kind: 'tools', calls: [{ name: 'get_weather', arguments: { location: 'Rome' } }] }, { kind: 'tool_output' });
    const first = await client.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Rome?' }], tools: [tool] });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    const call = choice.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function).toEqual({ name: 'get_weather', arguments: '{"location":"Rome"}' });
    const second = await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      tools: [tool],
      messages: [{ role: 'user', content: 'Rome?' }, choice.message, { role: 'tool', tool_call_id: call.id, content: 'warm' }],
    });
    expect(second.choices[0]!.message.content).toBe('warm');
    const contents = gemini.lastRequest!.body!['contents'] as Record<string, unknown>[];
    expect(contents[1]).toEqual({ role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { location: 'Rome' } } }] });
    expect(contents[2]).toEqual({ role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: 'warm' } } }] });
  });

  it('Anthropic SDK, streamed: the thought signature Gemini put on the call comes back on it next turn (Gemini 3 refuses otherwise)', async () => {
    const name = agent('ag');
    const client = anthropicClient(name);
    const tools: Anthropic.Tool[] = [{ name: 'get_weather', input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } }];
    gemini.queueScenarios({ kind: 'tools', thinking: 'Check.', calls: [{ name: 'get_weather', arguments: { location: 'Lima' } }] }, { kind: 'tool_output' });
    const model = 'gemini-3-pro-preview';
    const first = await client.messages
      .stream({ model, max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 }, tools, messages: [{ role: 'user', content: 'Lima?' }] })
      .finalMessage();
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((b) => b.type === 'tool_use')!;
    expect(first.content.some((b) => b.type === 'thinking' && b.signature !== '')).toBe(true);
    expect(gemini.lastRequest!.body!['generationConfig']).toEqual({ maxOutputTokens: 2000, thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 } });
    const second = await client.messages.create({
      model,
      max_tokens: 2000,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      tools,
      messages: [
        { role: 'user', content: 'Lima?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.type === 'tool_use' ? use.id : '', content: 'mild' }] },
      ],
    });
    expect(second.content).toEqual([expect.objectContaining({ type: 'text', text: 'mild' })]);
    const contents = gemini.lastRequest!.body!['contents'] as { parts: Record<string, unknown>[] }[];
    const callPart = contents[1]!.parts.find((p) => p['functionCall'] !== undefined);
    expect(callPart?.['thoughtSignature']).toEqual(expect.any(String));
    expect((await agentRows(gw, name, 2)).map((r) => r['status'])).toEqual([200, 200]);
  });

  it('OpenAI SDK → Gemini 3: a tool loop from a client that cannot keep signatures gets Google’s documented sentinel', async () => {
    const name = agent('og3');
    const client = openaiClient(name);
    gemini.queueScenarios({ kind: 'tools', calls: [{ name: 'get_weather', arguments: { location: 'Kyiv' } }] }, { kind: 'tool_output' });
    const first = await client.chat.completions.create({ model: 'gemini-3-pro-preview', messages: [{ role: 'user', content: 'Kyiv?' }], tools: [tool] });
    const message = first.choices[0]!.message;
    const second = await client.chat.completions.create({
      model: 'gemini-3-pro-preview',
      tools: [tool],
      messages: [{ role: 'user', content: 'Kyiv?' }, message, { role: 'tool', tool_call_id: message.tool_calls![0]!.id, content: 'cold' }],
    });
    expect(second.choices[0]!.message.content).toBe('cold');
    const contents = gemini.lastRequest!.body!['contents'] as { parts: Record<string, unknown>[] }[];
    expect(contents[1]!.parts[0]!['thoughtSignature']).toBe('skip_thought_signature_validator');
  });

  it('retries: a retryDelay only in Gemini’s 429 body, past the cap, sends the call to the fallback at once', async () => {
    const retrying = await startTestGateway({
      yaml: [
        'gateway:',
        '  embedded_defaults: false',
        '  retries: { max_attempts: 3, backoff: 1ms, max_retry_after: 30s }',
        'providers:',
        `  fo: { type: openai, base_url: ${openai.baseURL}, api_key: ${OPENAI_PROVIDER_KEY} }`,
        geminiProviderYaml(gemini.baseURL),
        'models:',
        '  "gemini-*": { provider: gemini, fallbacks: [{ provider: fo, model: gpt-4o-mini }] }',
      ].join('\n'),
    });
    try {
      gemini.queueScenarios({ kind: 'error', status: 429, retryAfter: 37 });
      const client = new GoogleGenAI({ apiKey: 'client-gemini-key', httpOptions: { baseUrl: `${retrying.url}/agents/gretry` } });
      const res = await client.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' });
      expect(res.text).toBe(DEFAULT_TEXT);
      // Waiting 37 s is past the 30 s cap: no second try on Gemini, the fallback answers.
      expect(gemini.requests).toHaveLength(1);
      expect(gemini.requests[0]!.headers['retry-after']).toBeUndefined();
      const [row] = await agentRows(retrying, 'gretry');
      expect(row).toMatchObject({ status: 200, provider: 'fo', fallback_from: 'gemini', attempts: 2 });
    } finally {
      await retrying.stop();
    }
  });

  it('errors: Gemini’s 429 RESOURCE_EXHAUSTED reaches an OpenAI client as a 429, with the retry delay', async () => {
    const name = agent('oge');
    gemini.queueScenarios({ kind: 'error', status: 429 });
    const err = await openaiClient(name).chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('retry-after')).toBe('30');
    expect(await rowOf(name)).toMatchObject({ status: 429, provider: 'gemini' });
  });
});

describe('Gemini client errors and side endpoints', () => {
  it('an OpenAI upstream failing mid-stream: the Gemini SDK throws the error chunk', async () => {
    const name = agent('gms');
    openai.queueScenarios({ kind: 'midstream_error', afterDeltas: 1 });
    const err = await generate(genai(name), 'stream', { model: 'gpt-4o-mini', contents: 'hi' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBeGreaterThanOrEqual(500);
    expect((await rowOf(name))['status']).toBeGreaterThanOrEqual(500);
  });

  it('an OpenAI upstream’s 400 reaches the Gemini SDK as ApiError 400 INVALID_ARGUMENT', async () => {
    const name = agent('gerr');
    openai.queueScenarios({ kind: 'error', status: 400, message: 'bad thing' });
    const err = await genai(name).models.generateContent({ model: 'gpt-4o-mini', contents: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).message).toContain('INVALID_ARGUMENT');
  });

  it('an image URL is refused clearly; inline images go as inlineData', async () => {
    const name = agent('gimg');
    const client = new OpenAI({ baseURL: `${gw.url}/agents/${name}/v1`, apiKey: 'sk-client', maxRetries: 0 });
    const err = await client.chat.completions
      .create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain('Gemini does not fetch image URLs');
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
    await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } }] }],
    });
    expect((gemini.lastRequest!.body!['contents'] as unknown[])[0]).toEqual({ role: 'user', parts: [{ text: 'what?' }, { inlineData: { mimeType: 'image/png', data: png } }] });
  });

  it('countTokens: counted by a Gemini provider, estimated for others', async () => {
    const viaGemini = await genai(agent('gct')).models.countTokens({ model: 'gemini-2.5-flash', contents: 'hello there, how are you?' });
    expect(gemini.lastRequest!.pathname).toBe('/v1beta/models/gemini-2.5-flash:countTokens');
    expect(viaGemini.totalTokens).toBeGreaterThan(0);
    const local = await genai(agent('gct')).models.countTokens({ model: 'gpt-4o-mini', contents: 'hello there, how are you?' });
    expect(local.totalTokens).toBeGreaterThan(5);
    expect(openai.requests).toHaveLength(0);
  });

  it('x-goog-api-key names the agent when it is a virtual key, and never reaches the provider', async () => {
    const ai = new GoogleGenAI({ apiKey: VIRTUAL_KEY, httpOptions: { baseUrl: gw.url, apiVersion: 'v1beta' } });
    const res = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' });
    expect(res.text).toBe(DEFAULT_TEXT);
    expect(gemini.lastRequest!.headers['x-goog-api-key']).toBe(GEMINI_PROVIDER_KEY);
    const row = await rowOf('cli-bot');
    expect(row).toMatchObject({ agent: 'cli-bot', path: '/v1beta/models/gemini-2.5-flash:generateContent', client_format: 'gemini' });
    expect(JSON.stringify(row)).not.toContain(VIRTUAL_KEY);
  });

  it('a key that is not a virtual key is the client’s own: passed through to a provider that has none', async () => {
    const open = await startFakeGemini({ apiKey: 'client-own-gemini-key' });
    const local = await startTestGateway({
      yaml: ['gateway:', '  embedded_defaults: false', 'providers:', `  g: { type: gemini, base_url: ${open.baseURL} }`, 'models:', '  "gemini-*": g'].join('\n'),
    });
    try {
      const ai = new GoogleGenAI({ apiKey: 'client-own-gemini-key', httpOptions: { baseUrl: local.url } });
      expect((await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' })).text).toBe(DEFAULT_TEXT);
      expect(open.lastRequest!.headers['x-goog-api-key']).toBe('client-own-gemini-key');
    } finally {
      await local.stop();
      await open.close();
    }
  });
});

describe('OpenAI Responses client → Gemini fake', () => {
  it('streams text and a function call, with the usage on the row', async () => {
    const name = agent('rg');
    const client = new OpenAI({ baseURL: `${gw.url}/agents/${name}/v1`, apiKey: 'sk-client', maxRetries: 0 });
    gemini.queueScenarios({ kind: 'tools', text: 'Checking.', calls: [{ name: 'lookup', arguments: { q: 'x' } }], usage: { input: 70, output: 12 } });
    const stream = await client.responses.create({
      model: 'gemini-2.5-flash',
      input: 'find x',
      tools: [{ type: 'function', name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] }, strict: false }],
      stream: true,
    });
    let done: OpenAI.Responses.Response | undefined;
    for await (const event of stream) if (event.type === 'response.completed') done = event.response;
    const text = done?.output.flatMap((o) => (o.type === 'message' ? o.content.flatMap((c) => (c.type === 'output_text' ? [c.text] : [])) : [])).join('');
    expect(text).toBe('Checking.');
    expect(done?.output.find((o) => o.type === 'function_call')).toMatchObject({ name: 'lookup', arguments: '{"q":"x"}' });
    expect(done?.usage).toMatchObject({ input_tokens: 70, output_tokens: 12 });
    expect(await rowOf(name)).toMatchObject({ client_format: 'openai-responses', upstream_format: 'gemini', input_tokens: 70, output_tokens: 12, estimated: 0 });
  });
});
