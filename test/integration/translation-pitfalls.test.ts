/**
 * The translation pitfalls of spec §11 that show at the gateway level, one test per group, each named by
 * its number. The official SDKs are the clients; the fakes (and, for upstream quirks the fakes do not
 * produce, a scripted OpenAI-compatible server) are the providers.
 * (Pitfall 8 is in translation-metering, pitfall 18 in translation-endpoints.)
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { DEFAULT_TEXT } from '../fakes/index.js';
import { rawRequest } from './fakes-gateway.js';
import {
  bodyOf,
  chunk,
  messagesOf,
  rejectionOf,
  startScriptedOpenAI,
  startTranslationRig,
  WEATHER_TOOL_PARAMS,
  type ScriptedOpenAI,
  type TranslationRig,
} from './translation-helpers.js';

let rig: TranslationRig;
let bare: ScriptedOpenAI;
let seq = 0;

beforeAll(async () => {
  bare = await startScriptedOpenAI();
  rig = await startTranslationRig({
    gateway: ['default_max_tokens: { "claude-haiku-*": 1234, "*": 8192 }'],
    providers: [`bare: { type: openai, base_url: ${bare.baseURL}, api_key: sk-bare }`],
    models: ['"bare-*": bare'],
  });
});
afterAll(async () => {
  await rig.stop();
  await bare.close();
});
beforeEach(() => {
  rig.reset();
  bare.bodies.length = 0;
});

const agent = (): string => `pf-${++seq}`;
const weather: OpenAI.Chat.ChatCompletionFunctionTool = { type: 'function', function: { name: 'get_weather', parameters: { ...WEATHER_TOOL_PARAMS } } };
const weatherB: Anthropic.Tool = { name: 'get_weather', input_schema: { ...WEATHER_TOOL_PARAMS } };

type AnthropicEvent = Anthropic.MessageStreamEvent;

/** Streams with the Anthropic SDK and keeps every event; the SDK's accumulator must also succeed. */
async function anthropicStream(params: Anthropic.MessageStreamParams): Promise<{ events: AnthropicEvent[]; message: Anthropic.Message; agent: string }> {
  const a = agent();
  const stream = rig.anthropicClient(a).messages.stream(params);
  const events: AnthropicEvent[] = [];
  stream.on('streamEvent', (ev) => events.push(ev));
  const message = await stream.finalMessage();
  return { events, message, agent: a };
}

/** Spec §6.2 invariants: indices contiguous from 0, start before deltas, one stop per start, nothing after message_stop. */
function expectWellFormed(events: AnthropicEvent[]): void {
  expect(events[0]?.type).toBe('message_start');
  expect(events.at(-1)?.type).toBe('message_stop');
  expect(events.filter((e) => e.type === 'message_stop')).toHaveLength(1);
  const open = new Set<number>();
  const closed = new Set<number>();
  let next = 0;
  for (const ev of events) {
    if (ev.type === 'content_block_start') {
      expect(ev.index).toBe(next++);
      expect(open.size).toBe(0);
      open.add(ev.index);
    } else if (ev.type === 'content_block_delta') {
      expect(open.has(ev.index)).toBe(true);
    } else if (ev.type === 'content_block_stop') {
      expect(open.has(ev.index)).toBe(true);
      open.delete(ev.index);
      closed.add(ev.index);
    } else if (ev.type === 'message_delta') {
      expect(open.size).toBe(0);
    }
  }
  expect(closed.size).toBe(next);
}

/** The `data:` payloads of a raw OpenAI stream. */
function openAIData(text: string): string[] {
  return text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
}

describe('spec §11 pitfalls, end to end', () => {
  it('pitfall 1: empty text parts and empty assistant content never reach Anthropic as empty text blocks', async () => {
    await rig.openaiClient(agent()).chat.completions.create({
      model: 'claude-haiku-4-5',
      tools: [weather],
      messages: [
        { role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'Weather?' }] },
        { role: 'assistant', content: '', tool_calls: [{ id: 'toolu_01A', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Oslo"}' } }] },
        { role: 'tool', tool_call_id: 'toolu_01A', content: 'cold' },
      ],
    });
    const sent = JSON.stringify(messagesOf(rig.anthropic.lastRequest));
    expect(sent).not.toContain('"text":""');
    expect(messagesOf(rig.anthropic.lastRequest)[0]).toEqual({ role: 'user', content: [{ type: 'text', text: 'Weather?' }] });
  });

  it('pitfalls 2 and 3: tool results go first in the next user turn, user text merged after them, a missing result synthesised', async () => {
    await rig.openaiClient(agent()).chat.completions.create({
      model: 'claude-haiku-4-5',
      tools: [weather],
      messages: [
        { role: 'user', content: 'Weather in Paris, Rome and Oslo?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'toolu_P', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
            { id: 'toolu_R', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Rome"}' } },
            { id: 'toolu_O', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Oslo"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_R', content: 'warm' },
        { role: 'tool', tool_call_id: 'toolu_P', content: 'mild' },
        { role: 'user', content: 'Summarise please.' },
      ],
    });
    const messages = messagesOf(rig.anthropic.lastRequest);
    expect(messages.map((m) => m['role'])).toEqual(['user', 'assistant', 'user']);
    const last = messages[2]!['content'] as Record<string, unknown>[];
    expect(last.map((b) => b['type'])).toEqual(['tool_result', 'tool_result', 'tool_result', 'text']);
    const byId = Object.fromEntries(last.slice(0, 3).map((b) => [String(b['tool_use_id']), b]));
    expect(Object.keys(byId).sort()).toEqual(['toolu_O', 'toolu_P', 'toolu_R']);
    expect(byId['toolu_P']).toMatchObject({ content: 'mild' });
    expect(byId['toolu_R']).toMatchObject({ content: 'warm' });
    expect(byId['toolu_O']).toMatchObject({ is_error: true });
    expect(last[3]).toEqual({ type: 'text', text: 'Summarise please.' });
  });

  it('pitfall 4: foreign tool ids are sanitised identically on tool_use and tool_result; long tool names are shortened for OpenAI and restored', async () => {
    await rig.openaiClient(agent()).chat.completions.create({
      model: 'claude-haiku-4-5',
      tools: [weather],
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'functions.get_weather:0', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'functions.get_weather:0', content: 'sunny' },
      ],
    });
    const messages = messagesOf(rig.anthropic.lastRequest);
    const use = (messages[1]!['content'] as Record<string, unknown>[])[0]!;
    const result = (messages[2]!['content'] as Record<string, unknown>[])[0]!;
    expect(use['id']).toMatch(/^[a-zA-Z0-9_-]+$/);
    expect(result['tool_use_id']).toBe(use['id']);

    // An Anthropic tool name longer than OpenAI's 64 characters.
    const longName = `lookup_${'very_long_segment_'.repeat(5)}weather`;
    expect(longName.length).toBeGreaterThan(64);
    const tools: Anthropic.Tool[] = [{ name: longName, input_schema: { ...WEATHER_TOOL_PARAMS } }];
    await rig.anthropicClient(agent()).messages.create({ model: 'gpt-4o-mini', max_tokens: 64, tools, messages: [{ role: 'user', content: 'hi' }] });
    const sentName = ((bodyOf(rig.openai.lastRequest)['tools'] as { function: { name: string } }[])[0]!).function.name;
    expect(sentName.length).toBeLessThanOrEqual(64);
    expect(sentName).toMatch(/^[a-zA-Z0-9_-]+$/);
    rig.openai.setScenario({ kind: 'tools', calls: [{ id: 'call_long', name: sentName, arguments: { location: 'Bergen' } }] });
    for (const stream of [false, true]) {
      const client = rig.anthropicClient(agent());
      const params = { model: 'gpt-4o-mini', max_tokens: 64, tools, messages: [{ role: 'user' as const, content: 'weather in Bergen' }] };
      const message = stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
      const block = message.content.find((b) => b.type === 'tool_use');
      expect(block).toMatchObject({ type: 'tool_use', id: 'call_long', name: longName, input: { location: 'Bergen' } });
    }
  });

  it('pitfall 5: a tool-loop continuation without a signed thinking block is sent without thinking (and says so)', async () => {
    const { response } = await rig
      .openaiClient(agent())
      .chat.completions.create({
        model: 'claude-haiku-4-5',
        reasoning_effort: 'medium',
        tools: [weather],
        messages: [
          { role: 'user', content: 'Weather?' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_T', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Oslo"}' } }] },
          { role: 'tool', tool_call_id: 'toolu_T', content: 'cold' },
        ],
      })
      .withResponse();
    const body = bodyOf(rig.anthropic.lastRequest);
    expect(body).not.toHaveProperty('thinking');
    expect(JSON.stringify(body['messages'])).not.toContain('"thinking"');
    expect(response.headers.get('x-ai-gateway-dropped')).toContain('reasoning_effort');
  });

  it('pitfall 6: a forced tool_choice wins over thinking; temperature is not sent with thinking', async () => {
    const forced = await rig
      .openaiClient(agent())
      .chat.completions.create({ model: 'claude-haiku-4-5', reasoning_effort: 'high', tool_choice: 'required', tools: [weather], messages: [{ role: 'user', content: 'Weather?' }] })
      .withResponse();
    let body = bodyOf(rig.anthropic.lastRequest);
    expect(body['tool_choice']).toEqual({ type: 'any' });
    expect(body).not.toHaveProperty('thinking');
    expect(forced.response.headers.get('x-ai-gateway-dropped')).toContain('reasoning_effort');

    await rig.openaiClient(agent()).chat.completions.create({ model: 'claude-sonnet-4-5', reasoning_effort: 'high', temperature: 0.2, messages: [{ role: 'user', content: 'Think.' }] });
    body = bodyOf(rig.anthropic.lastRequest);
    expect(body['thinking']).toEqual({ type: 'enabled', budget_tokens: 16384 });
    expect(body).not.toHaveProperty('temperature');
    expect(body['max_tokens']).toBeGreaterThan(16384);
  });

  it('pitfall 7: an OpenAI-compatible upstream that ignores include_usage still meters (estimated), and the Anthropic client gets usage', async () => {
    bare.script([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Bare upstream ' }),
      chunk({ content: 'reply without usage.' }),
      chunk({}, 'stop'),
      '[DONE]',
    ]);
    const { message, agent: a, events } = await anthropicStream({ model: 'bare-model', max_tokens: 64, messages: [{ role: 'user', content: 'Say something without usage.' }] });
    expect(bare.bodies[0]?.['stream_options']).toEqual({ include_usage: true });
    expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: 'Bare upstream reply without usage.' })]);
    expect(message.stop_reason).toBe('end_turn');
    // The client keeps the input announced in message_start (never 0) and gets an output estimate.
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBe(Math.ceil('Bare upstream reply without usage.'.length / 4));
    expectWellFormed(events);
    const row = await rig.rowOf(a);
    expect(row['estimated']).toBe(1);
    expect(Number(row['input_tokens'])).toBeGreaterThan(0);
    expect(Number(row['output_tokens'])).toBeGreaterThan(0);
    expect(row['status']).toBe(200);

    // Same format, OpenAI client → the same upstream: the row is estimated too, not a silent zero.
    bare.script([chunk({ role: 'assistant', content: '' }), chunk({ content: 'Plain reply.' }), chunk({}, 'stop'), '[DONE]']);
    const b = agent();
    const done = await rig.openaiClient(b).chat.completions.stream({ model: 'bare-model', messages: [{ role: 'user', content: 'hi' }] }).finalChatCompletion();
    expect(done.choices[0]?.message.content).toBe('Plain reply.');
    const plain = await rig.rowOf(b);
    expect(plain['estimated']).toBe(1);
    expect(Number(plain['input_tokens'])).toBeGreaterThan(0);
    expect(Number(plain['output_tokens'])).toBeGreaterThan(0);
  });

  it('pitfall 7: message_start never announces input_tokens 0 to an Anthropic client of an OpenAI model; message_delta corrects it', async () => {
    rig.openai.setScenario({ kind: 'text', usage: { input: 321, output: 9 } });
    const { events, message } = await anthropicStream({ model: 'gpt-4o-mini', max_tokens: 64, messages: [{ role: 'user', content: 'hello there' }] });
    const start = events[0];
    if (start?.type !== 'message_start') throw new Error('no message_start');
    expect(start.message.usage.input_tokens).toBeGreaterThan(0);
    const delta = events.find((e) => e.type === 'message_delta');
    if (delta?.type !== 'message_delta') throw new Error('no message_delta');
    expect(delta.usage.input_tokens).toBe(321);
    expect(message.usage).toMatchObject({ input_tokens: 321, output_tokens: 9 });
  });

  it('pitfall 9: parallel calls — OpenAI indices increment, no {} prefix on arguments; Anthropic block indices contiguous, one stop per start', async () => {
    const calls = [
      { id: 'toolu_01A', name: 'get_weather', arguments: { location: 'Paris' } },
      { id: 'toolu_02B', name: 'get_weather', arguments: { location: 'Rome' } },
    ];
    rig.anthropic.setScenario({ kind: 'tools', text: 'Both.', calls });
    const raw = await rawRequest(`${rig.gw.url}/agents/${agent()}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-haiku-4-5', stream: true, tools: [weather], messages: [{ role: 'user', content: 'go' }] }),
    });
    const args = new Map<number, string>();
    const ids = new Map<number, string>();
    for (const d of openAIData(raw.text)) {
      if (d === '[DONE]') continue;
      const parsed = JSON.parse(d) as { choices: { delta: { tool_calls?: { index: number; id?: string; function?: { arguments?: string } }[] } }[] };
      for (const tc of parsed.choices[0]?.delta.tool_calls ?? []) {
        if (tc.id !== undefined) ids.set(tc.index, tc.id);
        args.set(tc.index, (args.get(tc.index) ?? '') + (tc.function?.arguments ?? ''));
      }
    }
    expect([...ids.entries()]).toEqual([
      [0, 'toolu_01A'],
      [1, 'toolu_02B'],
    ]);
    expect(args.get(0)).toBe('{"location":"Paris"}');
    expect(args.get(1)).toBe('{"location":"Rome"}');

    rig.openai.setScenario({ kind: 'tools', text: 'Both.', calls: calls.map((c) => ({ ...c, id: c.id.replace('toolu', 'call') })) });
    const { events, message } = await anthropicStream({ model: 'gpt-4o-mini', max_tokens: 64, tools: [weatherB], messages: [{ role: 'user', content: 'go' }] });
    expectWellFormed(events);
    expect(message.content.map((b) => b.type)).toEqual(['text', 'tool_use', 'tool_use']);
    const jsonDeltas = events.flatMap((e) => (e.type === 'content_block_delta' && e.delta.type === 'input_json_delta' ? [e.delta.partial_json] : []));
    expect(jsonDeltas.join('')).toBe('{"location":"Paris"}{"location":"Rome"}');
  });

  it('pitfall 10: OpenAI tool-delta quirks (late name, id only first, "" ids later, a missing id) still give complete tool_use blocks', async () => {
    bare.script([
      chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_first', type: 'function', function: { arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, id: '', function: { name: 'get_weather', arguments: '{"loc' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { name: '', arguments: 'ation":"Paris"}' } }] }),
      chunk({ tool_calls: [{ index: 1, type: 'function', function: { name: 'get_weather', arguments: '{"location":"Rome"}' } }] }),
      chunk({}, 'tool_calls'),
      { id: 'chatcmpl-scripted', object: 'chat.completion.chunk', created: 1700000000, model: 'bare-model', choices: [], usage: { prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 } },
      '[DONE]',
    ]);
    const { events, message, agent: a } = await anthropicStream({ model: 'bare-model', max_tokens: 64, tools: [weatherB], messages: [{ role: 'user', content: 'go' }] });
    expectWellFormed(events);
    expect(message.stop_reason).toBe('tool_use');
    const uses = message.content.flatMap((b) => (b.type === 'tool_use' ? [b] : []));
    expect(uses.map((u) => ({ name: u.name, input: u.input }))).toEqual([
      { name: 'get_weather', input: { location: 'Paris' } },
      { name: 'get_weather', input: { location: 'Rome' } },
    ]);
    expect(uses[0]!.id).toBe('call_first');
    expect(uses[1]!.id).toMatch(/^[a-zA-Z0-9_-]+$/);
    expect(uses[1]!.id).not.toBe(uses[0]!.id);
    expect(await rig.rowOf(a)).toMatchObject({ input_tokens: 20, output_tokens: 10, estimated: 0 });

    // And toward an OpenAI client, the first delta always carries the role.
    const raw = await rawRequest(`${rig.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-haiku-4-5', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const first = JSON.parse(openAIData(raw.text)[0]!) as { choices: { delta: { role?: string } }[] };
    expect(first.choices[0]?.delta.role).toBe('assistant');
  });

  it('pitfall 11: empty tool arguments become {} both ways', async () => {
    rig.openai.setScenario({ kind: 'tools', calls: [{ id: 'call_empty', name: 'get_time', arguments: '' }] });
    const tools: Anthropic.Tool[] = [{ name: 'get_time', input_schema: { type: 'object', properties: {} } }];
    for (const stream of [false, true]) {
      const client = rig.anthropicClient(agent());
      const params = { model: 'gpt-4o-mini', max_tokens: 64, tools, messages: [{ role: 'user' as const, content: 'time?' }] };
      const message = stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
      expect(message.content.find((b) => b.type === 'tool_use')).toMatchObject({ id: 'call_empty', name: 'get_time', input: {} });
    }

    await rig.openaiClient(agent()).chat.completions.create({
      model: 'claude-haiku-4-5',
      tools: [{ type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } }],
      messages: [
        { role: 'user', content: 'time?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_E', type: 'function', function: { name: 'get_time', arguments: '' } }] },
        { role: 'tool', tool_call_id: 'toolu_E', content: '12:00' },
      ],
    });
    expect((messagesOf(rig.anthropic.lastRequest)[1]!['content'] as unknown[])[0]).toEqual({ type: 'tool_use', id: 'toolu_E', name: 'get_time', input: {} });
  });

  it('pitfall 12: Anthropic always gets max_tokens — the per-model default from config, raised above a thinking budget', async () => {
    await rig.openaiClient(agent()).chat.completions.create({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'hi' }] });
    expect(bodyOf(rig.anthropic.lastRequest)['max_tokens']).toBe(1234);
    await rig.openaiClient(agent()).chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] });
    expect(bodyOf(rig.anthropic.lastRequest)['max_tokens']).toBe(8192);
    // A 4096 thinking budget with a 1234 default: the fake refuses max_tokens <= budget, so this 200 proves it was raised.
    const done = await rig.openaiClient(agent()).chat.completions.create({ model: 'claude-haiku-4-5', reasoning_effort: 'low', messages: [{ role: 'user', content: 'hi' }] });
    expect(done.choices[0]?.message.content).toBe(DEFAULT_TEXT);
    const body = bodyOf(rig.anthropic.lastRequest);
    expect(body['thinking']).toEqual({ type: 'enabled', budget_tokens: 4096 });
    expect(body['max_tokens']).toBeGreaterThan(4096);
  });

  it('pitfall 13: an error as the first stream event becomes a real HTTP status; after content it is an error, never a fake success', async () => {
    rig.anthropic.setScenario({ kind: 'midstream_error', afterDeltas: 0, message: 'Overloaded' });
    const early = await rejectionOf(rig.openaiClient(agent()).chat.completions.stream({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'hi' }] }).finalChatCompletion());
    expect(early).toBeInstanceOf(OpenAI.InternalServerError);
    expect((early as InstanceType<typeof OpenAI.InternalServerError>).status).toBe(503);

    rig.openai.setScenario({ kind: 'midstream_error', afterDeltas: 0, message: 'engine down' });
    const earlyB = await rejectionOf(rig.anthropicClient(agent()).messages.stream({ model: 'gpt-4o-mini', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }).finalMessage());
    expect(earlyB).toBeInstanceOf(Anthropic.InternalServerError);
    expect((earlyB as InstanceType<typeof Anthropic.InternalServerError>).status).toBe(500);
    expect((earlyB as InstanceType<typeof Anthropic.InternalServerError>).message).toContain('engine down');

    rig.openai.setScenario({ kind: 'midstream_error', afterDeltas: 3, message: 'engine down later' });
    const a = agent();
    const stream = rig.anthropicClient(a).messages.stream({ model: 'gpt-4o-mini', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
    const types: string[] = [];
    stream.on('streamEvent', (e) => types.push(e.type));
    const late = await rejectionOf(stream.finalMessage());
    expect(late).toBeInstanceOf(Anthropic.APIError);
    expect(types).not.toContain('message_stop');
    expect(types.filter((t) => t === 'content_block_delta').length).toBeGreaterThan(0);
    const row = await rig.rowOf(a);
    expect(row['error_code']).not.toBeNull();
  });

  it('pitfall 14: the final assistant prefill loses its trailing whitespace toward Anthropic', async () => {
    await rig.openaiClient(agent()).chat.completions.create({
      model: 'claude-haiku-4-5',
      messages: [
        { role: 'user', content: 'Write a haiku.' },
        { role: 'assistant', content: 'Autumn moonlight \n ' },
      ],
    });
    const messages = messagesOf(rig.anthropic.lastRequest);
    expect(messages.at(-1)).toEqual({ role: 'assistant', content: [{ type: 'text', text: 'Autumn moonlight' }] });
  });

  it('pitfall 17: Anthropic-only features (cache_control, anthropic-beta) never reach an OpenAI upstream', async () => {
    const client = new Anthropic({ baseURL: `${rig.gw.url}/agents/${agent()}`, apiKey: 'sk-ant-client', maxRetries: 0, defaultHeaders: { 'anthropic-beta': 'extended-cache-ttl-2025-04-11' } });
    await client.messages.create({
      model: 'gpt-4o-mini',
      max_tokens: 64,
      system: [{ type: 'text', text: 'Long cached preamble.', cache_control: { type: 'ephemeral', ttl: '1h' } }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi', cache_control: { type: 'ephemeral' } }] }],
    });
    const received = rig.openai.lastRequest;
    expect(received?.rawBody).not.toContain('cache_control');
    expect(received?.headers['anthropic-beta']).toBeUndefined();
    expect(received?.headers['anthropic-version']).toBeUndefined();
    expect(received?.headers['x-api-key']).toBeUndefined();
  });

  it('pitfall 19: tool history and ids survive a B→A→B round trip of two tool turns', async () => {
    rig.openai.queueScenarios({ kind: 'tools', calls: [{ id: 'call_T1', name: 'get_weather', arguments: { location: 'Paris' } }] });
    const client = rig.anthropicClient(agent());
    const history: Anthropic.MessageParam[] = [{ role: 'user', content: 'Weather in Paris then Rome?' }];
    const first = await client.messages.create({ model: 'gpt-4o-mini', max_tokens: 64, tools: [weatherB], messages: history });
    history.push({ role: 'assistant', content: first.content.flatMap((b) => (b.type === 'tool_use' ? [{ type: 'tool_use' as const, id: b.id, name: b.name, input: b.input }] : [])) });
    history.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_T1', content: 'mild' }] });
    rig.openai.queueScenarios({ kind: 'tools', calls: [{ id: 'call_T2', name: 'get_weather', arguments: { location: 'Rome' } }] });
    const second = await client.messages.create({ model: 'gpt-4o-mini', max_tokens: 64, tools: [weatherB], messages: history });
    history.push({ role: 'assistant', content: second.content.flatMap((b) => (b.type === 'tool_use' ? [{ type: 'tool_use' as const, id: b.id, name: b.name, input: b.input }] : [])) });
    history.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_T2', content: 'warm' }] });
    await client.messages.create({ model: 'gpt-4o-mini', max_tokens: 64, tools: [weatherB], messages: history });

    const sent = messagesOf(rig.openai.lastRequest);
    expect(sent.map((m) => m['role'])).toEqual(['user', 'assistant', 'tool', 'assistant', 'tool']);
    expect((sent[1]!['tool_calls'] as { id: string }[])[0]!.id).toBe('call_T1');
    expect(sent[2]).toEqual({ role: 'tool', tool_call_id: 'call_T1', content: 'mild' });
    expect((sent[3]!['tool_calls'] as { id: string }[])[0]!.id).toBe('call_T2');
    expect(sent[4]).toEqual({ role: 'tool', tool_call_id: 'call_T2', content: 'warm' });
  });

  it('pitfall 20: text, then reasoning, then text from an OpenAI-compatible model gives three closed blocks in order', async () => {
    bare.script([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Let me think. ' }),
      chunk({ reasoning_content: 'Two plus two is four.' }),
      chunk({ content: 'It is four.' }),
      chunk({}, 'stop'),
      '[DONE]',
    ]);
    const { events, message } = await anthropicStream({ model: 'bare-model', max_tokens: 64, messages: [{ role: 'user', content: '2+2?' }] });
    expectWellFormed(events);
    expect(message.content.map((b) => b.type)).toEqual(['text', 'thinking', 'text']);
    expect(message.content[0]).toMatchObject({ text: 'Let me think. ' });
    expect(message.content[1]).toMatchObject({ thinking: 'Two plus two is four.' });
    expect(message.content[2]).toMatchObject({ text: 'It is four.' });
  });
});
