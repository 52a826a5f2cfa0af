/**
 * The official `openai` client, through the gateway, to a `claude-*` model served by the fake Anthropic
 * upstream. Each case runs streamed (`chat.completions.stream(...).finalChatCompletion()`, which throws on
 * a malformed chunk sequence) and non-streamed (`create()`), and checks both what the SDK returned and the
 * Anthropic body the fake received.
 */
import { describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import { DEFAULT_TEXT, DEFAULT_THINKING } from '../fakes/index.js';
import {
  bodyOf,
  messagesOf,
  PNG_1X1,
  shareTranslationRig,
  WEATHER_TOOL_PARAMS,
  type TranslationRig,
} from './translation-helpers.js';

type Mode = 'stream' | 'create';
type Params = Omit<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, 'stream'>;

let rig: TranslationRig;
let seq = 0;

shareTranslationRig((started) => (rig = started));

const MODEL = 'claude-sonnet-4-5';
const weatherTool: OpenAI.Chat.ChatCompletionFunctionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Current weather for a place', parameters: { ...WEATHER_TOOL_PARAMS } },
};

/** One exchange in the given mode; the streamed one asks for usage so both modes report it. */
async function complete(mode: Mode, params: Params): Promise<{ completion: OpenAI.Chat.ChatCompletion; agent: string }> {
  const agent = `oa-${mode}-${++seq}`;
  const client = rig.openaiClient(agent);
  const completion =
    mode === 'stream'
      ? await client.chat.completions.stream({ ...params, stream: true, stream_options: { include_usage: true } }).finalChatCompletion()
      : await client.chat.completions.create({ ...params, stream: false });
  return { completion, agent };
}

describe.each<Mode>(['stream', 'create'])('openai client → claude model (%s)', (mode) => {
  it('text: the reply, stop, usage, the row; the fake got an Anthropic body with max_tokens', async () => {
    const { completion, agent } = await complete(mode, { model: MODEL, messages: [{ role: 'user', content: 'hello' }] });
    const choice = completion.choices[0]!;
    expect(choice.message.content).toBe(DEFAULT_TEXT);
    expect(choice.message.role).toBe('assistant');
    expect(choice.finish_reason).toBe('stop');
    expect(completion.model).toBe(MODEL);
    // Fake default usage: 12 input, 8 output, no cache.
    expect(completion.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 });

    const received = rig.anthropic.lastRequest;
    expect(received?.pathname).toBe('/v1/messages');
    expect(received?.headers['anthropic-version']).toBe('2023-06-01');
    const body = bodyOf(received);
    expect(body['model']).toBe(MODEL);
    expect(body['max_tokens']).toBe(8192);
    expect(body['stream'] ?? false).toBe(mode === 'stream');
    expect(body).not.toHaveProperty('stream_options');
    expect(messagesOf(received)).toEqual([{ role: 'user', content: [{ type: 'text', text: 'hello' }] }]);

    const row = await rig.rowOf(agent);
    expect(row).toMatchObject({
      status: 200,
      client_format: 'openai-chat',
      upstream_format: 'anthropic-messages',
      provider: 'fa',
      input_tokens: 12,
      output_tokens: 8,
      estimated: 0,
      stream: mode === 'stream' ? 1 : 0,
    });
  });

  it('system and developer messages become the top-level system, in order', async () => {
    await complete(mode, {
      model: MODEL,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'developer', content: 'Answer in French.' },
        { role: 'user', content: 'hi' },
      ],
    });
    const body = bodyOf(rig.anthropic.lastRequest);
    expect(body['system']).toEqual([
      { type: 'text', text: 'You are terse.' },
      { type: 'text', text: 'Answer in French.' },
    ]);
    expect(messagesOf(rig.anthropic.lastRequest)).toEqual([{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
  });

  it('multi-turn history keeps roles and text in order', async () => {
    const { completion } = await complete(mode, {
      model: MODEL,
      messages: [
        { role: 'user', content: 'My name is Ada.' },
        { role: 'assistant', content: 'Nice to meet you, Ada.' },
        { role: 'user', content: 'What is my name?' },
      ],
    });
    expect(completion.choices[0]?.message.content).toBe(DEFAULT_TEXT);
    expect(messagesOf(rig.anthropic.lastRequest)).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'My name is Ada.' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Nice to meet you, Ada.' }] },
      { role: 'user', content: [{ type: 'text', text: 'What is my name?' }] },
    ]);
  });

  it('a single tool call: id, name, arguments and finish_reason tool_calls; tools sent as input_schema', async () => {
    rig.anthropic.setScenario({ kind: 'tools', calls: [{ id: 'toolu_01Single', name: 'get_weather', arguments: { location: 'Paris, France', unit: 'celsius' } }] });
    const { completion } = await complete(mode, {
      model: MODEL,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [weatherTool],
      tool_choice: 'auto',
    });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toHaveLength(1);
    const call = choice.message.tool_calls![0]!;
    expect(call.type).toBe('function');
    if (call.type !== 'function') throw new Error('not a function call');
    expect(call.id).toBe('toolu_01Single');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ location: 'Paris, France', unit: 'celsius' });

    const body = bodyOf(rig.anthropic.lastRequest);
    expect(body['tools']).toEqual([{ name: 'get_weather', description: 'Current weather for a place', input_schema: WEATHER_TOOL_PARAMS }]);
    expect(body['tool_choice']).toEqual({ type: 'auto' });
  });

  it('parallel tool calls keep their order, ids and arguments', async () => {
    rig.anthropic.setScenario({
      kind: 'tools',
      text: 'Checking both.',
      calls: [
        { id: 'toolu_01Paris', name: 'get_weather', arguments: { location: 'Paris' } },
        { id: 'toolu_02Rome', name: 'get_weather', arguments: { location: 'Rome', unit: 'celsius' } },
      ],
    });
    const { completion } = await complete(mode, {
      model: MODEL,
      messages: [{ role: 'user', content: 'Weather in Paris and Rome?' }],
      tools: [weatherTool],
    });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBe('Checking both.');
    const calls = (choice.message.tool_calls ?? []).map((c) => (c.type === 'function' ? { id: c.id, name: c.function.name, args: JSON.parse(c.function.arguments) as unknown } : null));
    expect(calls).toEqual([
      { id: 'toolu_01Paris', name: 'get_weather', args: { location: 'Paris' } },
      { id: 'toolu_02Rome', name: 'get_weather', args: { location: 'Rome', unit: 'celsius' } },
    ]);
  });

  it('tool_result round trip: the tool message reaches Anthropic as a tool_result right after its tool_use, same id', async () => {
    rig.anthropic.queueScenarios({ kind: 'tools', calls: [{ id: 'toolu_01RoundTrip', name: 'get_weather', arguments: { location: 'Oslo' } }] }, 'text');
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Oslo?' }];
    const first = await complete(mode, { model: MODEL, messages, tools: [weatherTool] });
    const assistant = first.completion.choices[0]!.message;
    const call = assistant.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(call.id).toBe('toolu_01RoundTrip');

    const second = await complete(mode, {
      model: MODEL,
      tools: [weatherTool],
      messages: [
        ...messages,
        { role: 'assistant', content: assistant.content, tool_calls: assistant.tool_calls ?? [] },
        { role: 'tool', tool_call_id: call.id, content: '{"temp_c":-3}' },
      ],
    });
    expect(second.completion.choices[0]?.message.content).toBe(DEFAULT_TEXT);
    expect(messagesOf(rig.anthropic.requests[1])).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Oslo?' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01RoundTrip', name: 'get_weather', input: { location: 'Oslo' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01RoundTrip', content: '{"temp_c":-3}' }] },
    ]);
  });

  it('thinking from Claude: reasoning_effort becomes a valid thinking budget; only the answer text reaches the client', async () => {
    rig.anthropic.setScenario({ kind: 'thinking' });
    const { completion, agent } = await complete(mode, {
      model: MODEL,
      reasoning_effort: 'low',
      messages: [{ role: 'user', content: 'Say hi.' }],
    });
    const choice = completion.choices[0]!;
    expect(choice.message.content).toBe(DEFAULT_TEXT);
    expect(choice.message.content).not.toContain(DEFAULT_THINKING.slice(0, 20));
    expect(choice.finish_reason).toBe('stop');
    const body = bodyOf(rig.anthropic.lastRequest);
    // The fake itself rejects a budget under 1024 or not below max_tokens (pitfalls 6 and 12).
    expect(body['thinking']).toEqual({ type: 'enabled', budget_tokens: 4096 });
    expect(body['max_tokens']).toBeGreaterThan(4096);
    expect((await rig.rowOf(agent)).status).toBe(200);
  });

  it('a base64 image data URL becomes an Anthropic base64 image block (jpg normalised to jpeg)', async () => {
    await complete(mode, {
      model: MODEL,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_1X1}`, detail: 'high' } },
            { type: 'image_url', image_url: { url: `data:image/jpg;base64,${PNG_1X1}` } },
          ],
        },
      ],
    });
    expect(messagesOf(rig.anthropic.lastRequest)).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in these?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_1X1 } },
          { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: PNG_1X1 } },
        ],
      },
    ]);
  });

  it('a stop sequence: sent as stop_sequences, the match ends with finish_reason stop', async () => {
    rig.anthropic.setScenario({ kind: 'stop_sequence' });
    const { completion } = await complete(mode, { model: MODEL, stop: ['###', 'END'], messages: [{ role: 'user', content: 'count' }] });
    expect(bodyOf(rig.anthropic.lastRequest)['stop_sequences']).toEqual(['###', 'END']);
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.choices[0]?.message.content).toBe(DEFAULT_TEXT);
  });

  it('a length stop: max_completion_tokens becomes max_tokens, max_tokens comes back as finish_reason length', async () => {
    rig.anthropic.setScenario({ kind: 'length', usage: { input: 5, output: 16 } });
    const { completion, agent } = await complete(mode, { model: MODEL, max_completion_tokens: 16, messages: [{ role: 'user', content: 'long story' }] });
    expect(bodyOf(rig.anthropic.lastRequest)['max_tokens']).toBe(16);
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 16 });
    expect(await rig.rowOf(agent)).toMatchObject({ input_tokens: 5, output_tokens: 16, status: 200 });
  });
});
