/**
 * The official `@anthropic-ai/sdk` client, through the gateway, to a `gpt-*` model served by the fake
 * OpenAI upstream. Each case runs streamed (`messages.stream(...).finalMessage()`, whose accumulator throws
 * on events out of order) and non-streamed (`create()`), and checks both what the SDK returned and the
 * Chat Completions body the fake received.
 */
import { describe, expect, it } from 'vitest';
import type Anthropic from '@anthropic-ai/sdk';
import { DEFAULT_TEXT } from '../fakes/index.js';
import {
  bodyOf,
  messagesOf,
  PNG_1X1,
  shareTranslationRig,
  WEATHER_TOOL_PARAMS,
  type TranslationRig,
} from './translation-helpers.js';

type Mode = 'stream' | 'create';
type Params = Omit<Anthropic.MessageCreateParamsNonStreaming, 'stream'>;

let rig: TranslationRig;
let seq = 0;

shareTranslationRig((started) => (rig = started));

const MODEL = 'gpt-4o-mini';
const weatherTool: Anthropic.Tool = { name: 'get_weather', description: 'Current weather for a place', input_schema: { ...WEATHER_TOOL_PARAMS } };

async function complete(mode: Mode, params: Params): Promise<{ message: Anthropic.Message; agent: string }> {
  const agent = `an-${mode}-${++seq}`;
  const client = rig.anthropicClient(agent);
  const message = mode === 'stream' ? await client.messages.stream(params).finalMessage() : await client.messages.create({ ...params, stream: false });
  return { message, agent };
}

/** The text of every text block, joined. */
function textOf(message: Anthropic.Message): string {
  return message.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
}

describe.each<Mode>(['stream', 'create'])('anthropic client → gpt model (%s)', (mode) => {
  it('text: the reply, end_turn, usage, the row; the fake got a Chat body with max_completion_tokens', async () => {
    const { message, agent } = await complete(mode, { model: MODEL, max_tokens: 256, messages: [{ role: 'user', content: 'hello' }] });
    expect(message.type).toBe('message');
    expect(message.role).toBe('assistant');
    expect(message.model).toBe(MODEL);
    expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: DEFAULT_TEXT })]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.stop_sequence).toBeNull();
    // Fake default usage: 12 prompt tokens, 8 completion tokens, no cache.
    expect(message.usage).toMatchObject({ input_tokens: 12, output_tokens: 8, cache_read_input_tokens: 0 });

    const received = rig.openai.lastRequest;
    expect(received?.pathname).toBe('/v1/chat/completions');
    const body = bodyOf(received);
    expect(body['model']).toBe(MODEL);
    expect(body['max_completion_tokens']).toBe(256);
    expect(body).not.toHaveProperty('max_tokens');
    if (mode === 'stream') {
      expect(body['stream']).toBe(true);
      // Forced upstream so the stream can be metered (spec §10).
      expect(body['stream_options']).toEqual({ include_usage: true });
    } else {
      expect(body['stream'] ?? false).toBe(false);
      expect(body).not.toHaveProperty('stream_options');
    }
    expect(messagesOf(received)).toEqual([{ role: 'user', content: 'hello' }]);

    expect(await rig.rowOf(agent)).toMatchObject({
      status: 200,
      client_format: 'anthropic-messages',
      upstream_format: 'openai-chat',
      provider: 'fo',
      input_tokens: 12,
      output_tokens: 8,
      estimated: 0,
      stream: mode === 'stream' ? 1 : 0,
    });
  });

  it('system (string and blocks) becomes a leading system message', async () => {
    await complete(mode, { model: MODEL, max_tokens: 64, system: 'You are terse.', messages: [{ role: 'user', content: 'hi' }] });
    expect(messagesOf(rig.openai.lastRequest)[0]).toEqual({ role: 'system', content: 'You are terse.' });
    await complete(mode, {
      model: MODEL,
      max_tokens: 64,
      system: [
        { type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'Answer in French.' },
      ],
      messages: [{ role: 'user', content: 'hi' }],
    });
    const messages = messagesOf(rig.openai.lastRequest);
    expect(messages[0]).toEqual({
      role: 'system',
      content: [
        { type: 'text', text: 'You are terse.' },
        { type: 'text', text: 'Answer in French.' },
      ],
    });
    expect(messages.slice(1)).toEqual([{ role: 'user', content: 'hi' }]);
  });

  it('multi-turn history keeps roles and text in order', async () => {
    const { message } = await complete(mode, {
      model: MODEL,
      max_tokens: 64,
      messages: [
        { role: 'user', content: 'My name is Ada.' },
        { role: 'assistant', content: [{ type: 'text', text: 'Nice to meet you, Ada.' }] },
        { role: 'user', content: [{ type: 'text', text: 'What is my name?' }] },
      ],
    });
    expect(textOf(message)).toBe(DEFAULT_TEXT);
    const sent = messagesOf(rig.openai.lastRequest).map((m) => ({ role: m['role'], text: flatText(m['content']) }));
    expect(sent).toEqual([
      { role: 'user', text: 'My name is Ada.' },
      { role: 'assistant', text: 'Nice to meet you, Ada.' },
      { role: 'user', text: 'What is my name?' },
    ]);
  });

  it('a single tool call: tool_use block with id, name, parsed input and stop_reason tool_use; tools sent as functions', async () => {
    rig.openai.setScenario({ kind: 'tools', calls: [{ id: 'call_Single01', name: 'get_weather', arguments: { location: 'Paris, France', unit: 'celsius' } }] });
    const { message } = await complete(mode, {
      model: MODEL,
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [weatherTool],
      tool_choice: { type: 'auto' },
    });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([
      { type: 'tool_use', id: 'call_Single01', name: 'get_weather', input: { location: 'Paris, France', unit: 'celsius' }, ...callerOf(message) },
    ]);
    const body = bodyOf(rig.openai.lastRequest);
    expect(body['tools']).toEqual([
      { type: 'function', function: { name: 'get_weather', description: 'Current weather for a place', parameters: WEATHER_TOOL_PARAMS } },
    ]);
    expect(body['tool_choice']).toBe('auto');
  });

  it('parallel tool calls become consecutive tool_use blocks after the text', async () => {
    rig.openai.setScenario({
      kind: 'tools',
      text: 'Checking both.',
      calls: [
        { id: 'call_Paris', name: 'get_weather', arguments: { location: 'Paris' } },
        { id: 'call_Rome', name: 'get_weather', arguments: { location: 'Rome', unit: 'celsius' } },
      ],
    });
    const { message } = await complete(mode, {
      model: MODEL,
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Weather in Paris and Rome?' }],
      tools: [weatherTool],
    });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content.map((b) => (b.type === 'text' ? { text: b.text } : b.type === 'tool_use' ? { id: b.id, name: b.name, input: b.input } : { other: b.type }))).toEqual([
      { text: 'Checking both.' },
      { id: 'call_Paris', name: 'get_weather', input: { location: 'Paris' } },
      { id: 'call_Rome', name: 'get_weather', input: { location: 'Rome', unit: 'celsius' } },
    ]);
  });

  it('tool_result round trip: the result reaches OpenAI as a tool message right after the tool_calls, same id', async () => {
    rig.openai.queueScenarios({ kind: 'tools', calls: [{ id: 'call_RoundTrip1', name: 'get_weather', arguments: { location: 'Oslo' } }] }, 'text');
    const first = await complete(mode, { model: MODEL, max_tokens: 256, tools: [weatherTool], messages: [{ role: 'user', content: 'Weather in Oslo?' }] });
    const use = first.message.content.find((b) => b.type === 'tool_use');
    if (use?.type !== 'tool_use') throw new Error('expected a tool_use block');
    expect(use.id).toBe('call_RoundTrip1');

    const second = await complete(mode, {
      model: MODEL,
      max_tokens: 256,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather in Oslo?' },
        { role: 'assistant', content: first.message.content.map(toParam) },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: use.id, content: '{"temp_c":-3}' },
            { type: 'text', text: 'And tomorrow?' },
          ],
        },
      ],
    });
    expect(textOf(second.message)).toBe(DEFAULT_TEXT);
    const sent = messagesOf(rig.openai.requests[1]);
    expect(sent).toHaveLength(4);
    expect(sent[0]).toEqual({ role: 'user', content: 'Weather in Oslo?' });
    expect(sent[1]).toMatchObject({
      role: 'assistant',
      tool_calls: [{ id: 'call_RoundTrip1', type: 'function', function: { name: 'get_weather' } }],
    });
    const args = (sent[1]?.['tool_calls'] as { function: { arguments: string } }[])[0]!.function.arguments;
    expect(JSON.parse(args)).toEqual({ location: 'Oslo' });
    expect(sent[2]).toEqual({ role: 'tool', tool_call_id: 'call_RoundTrip1', content: '{"temp_c":-3}' });
    expect(sent[3]).toMatchObject({ role: 'user' });
    expect(flatText(sent[3]?.['content'])).toBe('And tomorrow?');
  });

  it('thinking requested by the Anthropic client becomes reasoning_effort for the OpenAI model', async () => {
    const { message } = await complete(mode, {
      // A reasoning model: gpt-4o-mini refuses reasoning_effort, so the gateway would not send it there.
      model: 'gpt-5-mini',
      max_tokens: 8000,
      thinking: { type: 'enabled', budget_tokens: 4096 },
      messages: [{ role: 'user', content: 'Think, then say hi.' }],
    });
    expect(textOf(message)).toBe(DEFAULT_TEXT);
    const body = bodyOf(rig.openai.lastRequest);
    expect(body['reasoning_effort']).toBe('low');
    expect(body).not.toHaveProperty('thinking');
  });

  it('a base64 image block becomes an image_url data URL', async () => {
    await complete(mode, {
      model: MODEL,
      max_tokens: 64,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_1X1 } },
          ],
        },
      ],
    });
    expect(messagesOf(rig.openai.lastRequest)).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_1X1}` } },
        ],
      },
    ]);
  });

  it('stop sequences are sent as stop; OpenAI cannot say which matched, so end_turn with stop_sequence null', async () => {
    rig.openai.setScenario({ kind: 'stop_sequence' });
    const { message } = await complete(mode, { model: MODEL, max_tokens: 64, stop_sequences: ['###', 'END'], messages: [{ role: 'user', content: 'count' }] });
    expect(bodyOf(rig.openai.lastRequest)['stop']).toEqual(['###', 'END']);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.stop_sequence).toBeNull();
    expect(textOf(message)).toBe(DEFAULT_TEXT);
  });

  it('a length stop: finish_reason length comes back as stop_reason max_tokens', async () => {
    rig.openai.setScenario({ kind: 'length', usage: { input: 5, output: 16 } });
    const { message, agent } = await complete(mode, { model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'long story' }] });
    expect(bodyOf(rig.openai.lastRequest)['max_completion_tokens']).toBe(16);
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.usage).toMatchObject({ input_tokens: 5, output_tokens: 16 });
    expect(await rig.rowOf(agent)).toMatchObject({ input_tokens: 5, output_tokens: 16, status: 200 });
  });
});

/** Text of an OpenAI message content (string or text parts). */
function flatText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as { type?: string; text?: string }[]).flatMap((p) => (p.type === 'text' && typeof p.text === 'string' ? [p.text] : [])).join('');
}

/** A response block as a request block, for sending the assistant turn back. */
function toParam(block: Anthropic.ContentBlock): Anthropic.ContentBlockParam {
  if (block.type === 'text') return { type: 'text', text: block.text };
  if (block.type === 'tool_use') return { type: 'tool_use', id: block.id, name: block.name, input: block.input };
  throw new Error(`unexpected block ${block.type}`);
}

/** Newer SDKs add a `caller` field to tool_use blocks they parse; keep whatever the SDK put there. */
function callerOf(message: Anthropic.Message): Record<string, unknown> {
  const block = message.content[0] as unknown as Record<string, unknown> | undefined;
  return block !== undefined && 'caller' in block ? { caller: block['caller'] } : {};
}
