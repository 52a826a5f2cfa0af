/** One test per pitfall group of translation spec §11 that applies to the pure wire layer (18 is count_tokens, elsewhere). */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import type { CanonicalStreamEvent } from '../../../src/wire/canonical.js';
import { anthropicMessagesCodec } from '../../../src/wire/anthropic-messages/index.js';
import { openAIChatCodec } from '../../../src/wire/openai-chat/index.js';
import { restoreToolNamesInResponse, toolNameRestorer } from '../../../src/wire/shared/tool-names.js';
import { anthropicViolations, fixtureBytes, parseAnthropicOutput, translate } from './helpers.js';

const A = openAIChatCodec;
const B = anthropicMessagesCodec;
const LAX = { model: 'upstream-model', defaultMaxTokens: 8192, strict: false };
const STRICT = { ...LAX, strict: true };
type Json = Record<string, unknown>;

const toB = (body: Json, opts = LAX) => B.encodeRequest(A.decodeRequest(body), opts);
const toA = (body: Json, opts = LAX) => A.encodeRequest(B.decodeRequest(body), opts);
const messagesOf = (body: Json) => body['messages'] as Array<{ role: string; content: Json[] | string }>;
const weatherCall = (id: string, args = '{"city":"Paris"}') => ({ id, type: 'function', function: { name: 'weather', arguments: args } });

function runEncoder(codec: typeof A | typeof B, events: CanonicalStreamEvent[]): string {
  const enc = codec.createStreamEncoder({ id: 'gw1', created: 1, model: 'm', includeUsage: true });
  return events.map((e) => enc.push(e)).join('');
}

describe('spec §11 pitfalls', () => {
  it('pitfall 1: no empty text blocks, and no cache_control on them, reach Anthropic', () => {
    const { body, dropped } = B.encodeRequest(
      {
        ...A.decodeRequest({ model: 'm', messages: [{ role: 'system', content: '' }, { role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'hi' }] }, { role: 'assistant', content: '' }, { role: 'user', content: 'again' }] }),
      },
      LAX,
    );
    expect(body['system']).toBeUndefined();
    expect(messagesOf(body)).toEqual([{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'text', text: 'again' }] }]);
    const withCache = B.decodeRequest({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'text', text: '', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'x' }] }] });
    const encoded = B.encodeRequest({ ...withCache, source: 'openai-chat' }, LAX);
    expect(messagesOf(encoded.body)[0]?.content).toEqual([{ type: 'text', text: 'x' }]);
    expect(encoded.dropped).toContain('messages[].cache_control');
    expect(dropped).toEqual([]);
  });

  it('pitfall 2: tool_result blocks follow their tool_use in the next message and come first; missing ones are synthesised', () => {
    const { body } = toB({
      model: 'm',
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: null, tool_calls: [weatherCall('call_1'), weatherCall('call_2')] },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
        { role: 'tool', tool_call_id: 'call_2', content: 'rain' },
        { role: 'user', content: 'thanks, and tomorrow?' },
      ],
    });
    expect(messagesOf(body)[2]).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'call_1', content: 'sunny' },
        { type: 'tool_result', tool_use_id: 'call_2', content: 'rain' },
        { type: 'text', text: 'thanks, and tomorrow?' },
      ],
    });
    const cancelled = { model: 'm', messages: [{ role: 'user', content: 'go' }, { role: 'assistant', content: null, tool_calls: [weatherCall('call_9')] }, { role: 'user', content: 'never mind' }] };
    const lax = toB(cancelled);
    expect(messagesOf(lax.body)[2]?.content).toEqual([{ type: 'tool_result', tool_use_id: 'call_9', content: '(no result)', is_error: true }, { type: 'text', text: 'never mind' }]);
    expect(lax.dropped).toEqual(['messages']);
    expect(() => toB(cancelled, STRICT)).toThrow(GatewayError);
  });

  it('pitfall 3: tool results and user text share one user turn; same-role runs merge; system hoists', () => {
    const { body } = toB({
      model: 'm',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'a' },
        { role: 'user', content: 'b' },
        { role: 'developer', content: 'mid-conversation rule' },
        { role: 'assistant', content: 'c' },
        { role: 'assistant', content: 'd' },
        { role: 'user', content: 'e' },
      ],
    });
    expect(body['system']).toEqual([{ type: 'text', text: 'be brief' }, { type: 'text', text: 'mid-conversation rule' }]);
    expect(messagesOf(body).map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(messagesOf(body)[1]?.content).toEqual([{ type: 'text', text: 'c' }, { type: 'text', text: 'd' }]);
    // B→A: a user turn with tool results becomes tool messages first, then the user's text.
    const a = toA({
      model: 'c', max_tokens: 10,
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'weather', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok' }, { type: 'text', text: 'next' }] },
      ],
    });
    expect(messagesOf(a.body).slice(2)).toEqual([{ role: 'tool', tool_call_id: 'toolu_1', content: 'ok' }, { role: 'user', content: 'next' }]);
  });

  it('pitfall 4: tool ids and names are sanitised deterministically on both sides of the pair', () => {
    const { body } = toB({
      model: 'm',
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'functions.Bash:0', type: 'function', function: { name: 'Bash', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'functions.Bash:0', content: 'done' },
      ],
    });
    const use = (messagesOf(body)[1]?.content as Json[])[0];
    const result = (messagesOf(body)[2]?.content as Json[])[0];
    expect(use?.['id']).toMatch(/^[a-zA-Z0-9_-]+$/);
    expect(use?.['id']).toBe(result?.['tool_use_id']);
    // A 100-character Anthropic tool name is too long for OpenAI (64): shortened, unique, and restorable.
    const longName = `mcp__server__${'x'.repeat(87)}`;
    const request = B.decodeRequest({ model: 'c', max_tokens: 10, tools: [{ name: longName, input_schema: { type: 'object' } }], messages: [{ role: 'user', content: 'hi' }] });
    const sent = ((A.encodeRequest(request, LAX).body['tools'] as Json[])[0]?.['function'] as Json)['name'] as string;
    expect(sent.length).toBeLessThanOrEqual(64);
    expect(sent).toMatch(/^[a-zA-Z0-9_-]+$/);
    const restored = restoreToolNamesInResponse(
      { id: 'x', model: 'm', content: [{ type: 'tool-call', id: 'c', name: sent, input: {} }], stopReason: 'tool-calls', usage: { inputUncached: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0, reasoning: 0 } },
      toolNameRestorer(request, 64) ?? ((name) => ({ name })),
    );
    expect(restored.content[0]).toMatchObject({ name: longName });
    expect(restored.content[0]).not.toHaveProperty('namespace');
  });

  it('pitfall 5: signed thinking is replayed byte-identical and in order; unsigned is dropped; signature-only blocks survive streaming', () => {
    const history = {
      model: 'c', max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 2048 },
      messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: '', signature: 'sig-only==' }, { type: 'redacted_thinking', data: 'EmwKAhgBEgy' }, { type: 'thinking', thinking: 'step', signature: 'sig2' }, { type: 'tool_use', id: 'toolu_1', name: 't', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'r' }] },
      ],
    };
    const encoded = B.encodeRequest({ ...B.decodeRequest(history), source: 'openai-chat' }, LAX);
    expect(messagesOf(encoded.body)[1]?.content).toEqual((history.messages[1] as { content: unknown }).content);
    expect(encoded.body['thinking']).toEqual({ type: 'enabled', budget_tokens: 2048 });
    const unsigned = toB({ model: 'm', messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a', reasoning_content: 'private musing' }, { role: 'user', content: 'q2' }] });
    expect(JSON.stringify(unsigned.body)).not.toContain('private musing');
    const out = parseAnthropicOutput(runEncoder(B, [{ type: 'start' }, { type: 'signature', signature: 'abc' }, { type: 'block-stop' }, { type: 'text-delta', text: 'hi' }, { type: 'finish', stopReason: 'stop', usage: { inputUncached: 1, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 1, reasoning: 0 } }]));
    expect(anthropicViolations(out)).toEqual([]);
    expect(out[1]?.data).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } });
    expect(out[2]?.data).toEqual({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'abc' } });
    // Thinking is never turned into text for OpenAI clients.
    expect(runEncoder(A, [{ type: 'thinking-delta', text: 'secret' }])).not.toContain('secret');
  });

  it('pitfall 6: forced tool_choice or temperature never go with thinking; max_tokens stays above the budget', () => {
    const forced = { model: 'm', reasoning_effort: 'high', tool_choice: 'required', temperature: 0.2, tools: [{ type: 'function', function: { name: 't', parameters: { type: 'object' } } }], messages: [{ role: 'user', content: 'x' }] };
    const lax = toB(forced);
    expect(lax.body['thinking']).toBeUndefined();
    expect(lax.body['tool_choice']).toEqual({ type: 'any' });
    expect(lax.dropped).toContain('reasoning_effort');
    expect(() => toB(forced, STRICT)).toThrow(/reasoning_effort/);
    const thinking = toB({ model: 'm', reasoning_effort: 'high', temperature: 0.2, messages: [{ role: 'user', content: 'x' }] });
    expect(thinking.body['thinking']).toEqual({ type: 'enabled', budget_tokens: 16384 });
    expect(thinking.body['temperature']).toBeUndefined();
    expect(thinking.dropped).toContain('temperature');
    expect(thinking.body['max_tokens'] as number).toBeGreaterThan(16384);
    const capped = toB({ model: 'm', reasoning_effort: 'high', max_completion_tokens: 3000, messages: [{ role: 'user', content: 'x' }] });
    expect(capped.body).toMatchObject({ max_tokens: 3000, thinking: { type: 'enabled', budget_tokens: 2999 } });
  });

  it('pitfall 7: usage is always requested upstream, message_start never says 0 input when estimated, late deltas overwrite', () => {
    const a = A.encodeRequest(B.decodeRequest({ model: 'c', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'x' }] }), LAX);
    expect(a.body['stream_options']).toEqual({ include_usage: true });
    const events: CanonicalStreamEvent[] = [];
    const { text } = fixtureBytes('openai-text-usage');
    const { output } = translate('openai-chat', 'anthropic-messages', [text]);
    expect(parseAnthropicOutput(output).at(-2)?.data['usage']).toMatchObject({ input_tokens: 176, cache_read_input_tokens: 1024, output_tokens: 9 });
    // An Anthropic-compatible upstream that reports input_tokens:0 at start and the real count in the delta.
    const dec = B.createStreamDecoder();
    for (const data of [
      { type: 'message_start', message: { id: 'msg_1', model: 'm', usage: { input_tokens: 0, output_tokens: 1 } } },
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { input_tokens: 321, output_tokens: 40 } },
      { type: 'message_delta', delta: {}, usage: { output_tokens: 44 } },
      { type: 'message_stop' },
    ]) events.push(...dec.push({ event: data.type, data: JSON.stringify(data) }));
    expect(events.at(-1)).toMatchObject({ type: 'finish', usage: { inputUncached: 321, output: 44 } });
  });

  it('pitfall 8: cache tokens are neither dropped nor counted twice', () => {
    const fromB = B.decodeResponse({ id: 'msg_1', model: 'c', content: [{ type: 'text', text: 'x' }], stop_reason: 'end_turn', usage: { input_tokens: 10, cache_read_input_tokens: 1000, cache_creation_input_tokens: 300, cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 200 }, output_tokens: 50, output_tokens_details: { thinking_tokens: 20 } } });
    expect(fromB.usage).toEqual({ inputUncached: 10, cacheRead: 1000, cacheWrite5m: 100, cacheWrite1h: 200, output: 50, reasoning: 20 });
    const asA = A.encodeResponse(fromB, { model: 'x' })['usage'];
    expect(asA).toEqual({ prompt_tokens: 1310, completion_tokens: 50, total_tokens: 1360, prompt_tokens_details: { cached_tokens: 1000, cache_write_tokens: 300 }, completion_tokens_details: { reasoning_tokens: 20 } });
    const fromA = A.decodeResponse({ id: 'c', created: 5, model: 'g', choices: [{ index: 0, message: { role: 'assistant', content: 'x' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1200, completion_tokens: 90, total_tokens: 1290, prompt_tokens_details: { cached_tokens: 1024 }, completion_tokens_details: { reasoning_tokens: 64 } } });
    expect(fromA.usage).toEqual({ inputUncached: 176, cacheRead: 1024, cacheWrite5m: 0, cacheWrite1h: 0, output: 90, reasoning: 64 });
    expect(B.encodeResponse(fromA, { model: 'x' })['usage']).toMatchObject({ input_tokens: 176, cache_read_input_tokens: 1024, cache_creation_input_tokens: 0, output_tokens: 90 });
  });

  it('pitfall 9: parallel Anthropic tool blocks get incrementing OpenAI indices and the {} placeholder is never sent as arguments', () => {
    const { text } = fixtureBytes('anthropic-tool-use-parallel');
    const { output, events } = translate('anthropic-messages', 'openai-chat', [text]);
    expect(events.filter((e) => e.type === 'tool-call-start').map((e) => (e.type === 'tool-call-start' ? e.index : -1))).toEqual([0, 1, 2]);
    const args = new Map<number, string>();
    for (const line of output.split('\n\n')) {
      const match = /^data: (\{.*\})$/.exec(line);
      if (!match?.[1]) continue;
      const chunk = JSON.parse(match[1]) as { choices: Array<{ delta: { tool_calls?: Array<{ index: number; function: { arguments?: string } }> } }> };
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) args.set(call.index, (args.get(call.index) ?? '') + (call.function.arguments ?? ''));
    }
    expect([...args.entries()]).toEqual([[0, '{"location": "San Francisco, CA"}'], [1, '{"location": "Paris"}'], [2, '{}']]);
  });

  it('pitfall 10: OpenAI tool-delta quirks (late name, id only first, "" as absent, missing id) still give complete tool calls', () => {
    const { text } = fixtureBytes('openai-tool-quirks');
    const { events } = translate('openai-chat', 'openai-chat', [text]);
    const starts = events.filter((e) => e.type === 'tool-call-start');
    expect(starts).toEqual([
      { type: 'tool-call-start', index: 0, id: 'functions.Bash:0', name: 'Bash' },
      { type: 'tool-call-start', index: 1, id: 'call_chatcmpl-local-7f3a_1', name: 'Read' },
      { type: 'tool-call-start', index: 2, id: 'call_noargs', name: 'Pwd' },
    ]);
    const args = events.flatMap((e) => (e.type === 'tool-call-delta' && e.index === 0 ? [e.argsJson] : [])).join('');
    expect(JSON.parse(args)).toEqual({ command: 'ls' });
    // Role always comes in the first delta, even when the upstream sent none.
    const out = runEncoder(A, [{ type: 'text-delta', text: 'x' }]);
    expect(out.split('\n\n')[0]).toContain('"delta":{"role":"assistant","content":""}');
  });

  it('pitfall 11: empty tool arguments become {}, non-object arguments are refused in strict mode', () => {
    const messages = (args: string) => [{ role: 'user', content: 'x' }, { role: 'assistant', content: null, tool_calls: [weatherCall('c1', args)] }, { role: 'tool', tool_call_id: 'c1', content: 'ok' }];
    const empty = toB({ model: 'm', messages: messages('') });
    expect((messagesOf(empty.body)[1]?.content as Json[])[0]?.['input']).toEqual({});
    const list = toB({ model: 'm', messages: messages('[1,2]') });
    expect((messagesOf(list.body)[1]?.content as Json[])[0]?.['input']).toEqual({});
    expect(list.dropped).toEqual(['messages[1].content[0].function.arguments']);
    expect(() => toB({ model: 'm', messages: messages('{"a":') }, STRICT)).toThrow(GatewayError);
    // A tool block with no argument bytes gives OpenAI clients "{}".
    const out = runEncoder(A, [{ type: 'tool-call-start', index: 0, id: 't', name: 'n' }, { type: 'block-stop' }]);
    expect(out).toContain('"function":{"arguments":"{}"}');
  });

  it('pitfall 12: Anthropic always gets max_tokens, from the request or the configured default', () => {
    expect(toB({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).body['max_tokens']).toBe(8192);
    expect(toB({ model: 'm', max_tokens: 100, messages: [{ role: 'user', content: 'x' }] }).body['max_tokens']).toBe(100);
    expect(toB({ model: 'm', max_completion_tokens: 200, max_tokens: 100, messages: [{ role: 'user', content: 'x' }] }).body['max_tokens']).toBe(200);
    // Toward OpenAI the cap is always max_completion_tokens (reasoning models reject max_tokens).
    expect(toA({ model: 'c', max_tokens: 300, messages: [{ role: 'user', content: 'x' }] }).body).toMatchObject({ max_completion_tokens: 300 });
  });

  it('pitfall 13: mid-stream errors and cut-offs are errors, never a fabricated success', () => {
    const fromB = translate('anthropic-messages', 'openai-chat', [fixtureBytes('anthropic-midstream-error').text]).output;
    expect(fromB).toContain('data: {"error":{"message":"Overloaded"');
    expect(fromB).not.toContain('[DONE]');
    expect(fromB).not.toContain('finish_reason":"');
    const fromA = translate('openai-chat', 'anthropic-messages', [fixtureBytes('openai-midstream-error').text]).output;
    expect(fromA).toContain('event: error');
    expect(fromA).not.toContain('message_stop');
    expect(fromA).not.toContain('message_delta');
    const { text } = fixtureBytes('anthropic-text');
    const cut = translate('anthropic-messages', 'anthropic-messages', [text.slice(0, text.indexOf('event: message_delta'))]).output;
    expect(cut.endsWith('event: error\ndata: {"type":"error","error":{"type":"api_error","message":"The upstream stream ended before it completed."}}\n\n')).toBe(true);
  });

  it('pitfall 14: the final assistant prefill loses its trailing whitespace', () => {
    const { body } = toB({ model: 'm', messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: 'Sure, here it is:  \n' }] });
    expect(messagesOf(body)[1]?.content).toEqual([{ type: 'text', text: 'Sure, here it is:' }]);
    const blank = toB({ model: 'm', messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: '   ' }] });
    expect(messagesOf(blank.body)).toHaveLength(1);
  });

  it('pitfall 15: the first non-system message is made a user turn (a ⚠ fallback, refused in strict mode)', () => {
    const req = { model: 'm', messages: [{ role: 'system', content: 's' }, { role: 'assistant', content: 'hello' }, { role: 'user', content: 'hi' }] };
    const lax = toB(req);
    expect(messagesOf(lax.body).map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(lax.dropped).toEqual(['messages[0].role']);
    expect(() => toB(req, STRICT)).toThrow(/messages\[0\]\.role/);
  });

  it('pitfall 16: image media types are normalised or refused; URLs stay URLs; base64 becomes a data URL; tool-result images move to the user turn', () => {
    const image = (url: string) => ({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url, detail: 'high' } }] }] });
    expect((messagesOf(toB(image('data:image/jpg;base64,AAAA')).body)[0]?.content as Json[])[0]).toEqual({ type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: 'AAAA' } });
    expect((messagesOf(toB(image('https://example.com/cat.png')).body)[0]?.content as Json[])[0]).toEqual({ type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } });
    try {
      toB(image('data:image/bmp;base64,AAAA'));
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ kind: 'invalid_request', param: 'messages[0].content[0]' });
    }
    const a = toA({
      model: 'c', max_tokens: 5,
      messages: [
        { role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'shot', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'captured' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'QUJD' } }] }] },
      ],
    });
    expect(messagesOf(a.body)[0]?.content).toEqual([{ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR' } }]);
    expect(messagesOf(a.body).slice(2)).toEqual([
      { role: 'tool', tool_call_id: 'toolu_1', content: 'captured' },
      { role: 'user', content: [{ type: 'text', text: '[attachments from tool call toolu_1]' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,QUJD' } }] },
    ]);
  });

  it('pitfall 17: Anthropic-only features never reach OpenAI; at most 4 cache breakpoints toward Anthropic', () => {
    const a = toA({ model: 'c', max_tokens: 5, cache_control: { type: 'ephemeral' }, system: [{ type: 'text', text: 's', cache_control: { type: 'ephemeral', ttl: '1h' } }], messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral' } }] }] });
    expect(JSON.stringify(a.body)).not.toContain('cache_control');
    expect(a.dropped).toEqual(expect.arrayContaining(['system[].cache_control', 'messages[].cache_control', 'cache_control']));
    const server = toA({ model: 'c', max_tokens: 5, tools: [{ type: 'web_search_20250305', name: 'web_search' }], messages: [{ role: 'user', content: 'x' }] });
    expect(server.body).not.toHaveProperty('tools');
    expect(server.dropped).toContain('tools[web_search]');
    const canonical = B.decodeRequest({
      model: 'c', max_tokens: 5,
      system: [1, 2, 3].map((n) => ({ type: 'text', text: `s${n}`, cache_control: { type: 'ephemeral' } })),
      messages: [{ role: 'user', content: [1, 2, 3].map((n) => ({ type: 'text', text: `u${n}`, cache_control: { type: 'ephemeral' } })) }],
    });
    const limited = B.encodeRequest({ ...canonical, source: 'openai-responses' }, LAX);
    expect(JSON.stringify(limited.body).match(/cache_control/g)).toHaveLength(4);
    expect(JSON.stringify((messagesOf(limited.body)[0]?.content as Json[]).at(-1))).toContain('cache_control');
  });

  it('pitfall 19: tool history and tool_use_id survive both directions', () => {
    const a = toA({
      model: 'c', max_tokens: 5,
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: [{ type: 'text', text: 'calling' }, { type: 'tool_use', id: 'toolu_01A', name: 'weather', input: { city: 'Oslo' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01A', content: 'cold', is_error: true }] },
      ],
    });
    expect(messagesOf(a.body).slice(1)).toEqual([
      { role: 'assistant', content: 'calling', tool_calls: [{ id: 'toolu_01A', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] },
      { role: 'tool', tool_call_id: 'toolu_01A', content: '[tool error] cold' },
    ]);
  });

  it('pitfall 20: text before thinking closes the text block before the thinking block opens', () => {
    const out = parseAnthropicOutput(translate('openai-chat', 'anthropic-messages', [fixtureBytes('openai-reasoning-then-text').text]).output);
    expect(anthropicViolations(out)).toEqual([]);
    const kinds = out.filter((e) => e.data['type'] === 'content_block_start').map((e) => (e.data['content_block'] as Json)['type']);
    expect(kinds).toEqual(['text', 'thinking', 'text']);
  });
});
