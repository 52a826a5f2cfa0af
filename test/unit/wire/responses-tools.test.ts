/**
 * Responses tools crossing to providers without them: namespace tools flattened into functions whose calls come
 * back split again, hosted web search mapped to Anthropic's server-side search (and its blocks back to
 * web_search_call items), and hosted tools with no equivalent dropped and named.
 */
import { describe, expect, it } from 'vitest';
import type { AssistantPart, CanonicalResponse, CanonicalStreamEvent } from '../../../src/wire/canonical.js';
import { anthropicMessagesCodec } from '../../../src/wire/anthropic-messages/index.js';
import { openAIChatCodec } from '../../../src/wire/openai-chat/index.js';
import { openAIResponsesCodec } from '../../../src/wire/openai-responses/index.js';
import { createStreamTranslator } from '../../../src/wire/stream-translator.js';
import { parseSseText } from '../../../src/wire/sse.js';
import {
  ANTHROPIC_TOOL_NAME_MAX,
  OPENAI_TOOL_NAME_MAX,
  restoreToolNameInEvent,
  restoreToolNamesInResponse,
  toolNameRestorer,
  upstreamToolName,
} from '../../../src/wire/shared/tool-names.js';
import { ENCODER_OPTIONS, fixtureBytes } from './helpers.js';

const A = openAIChatCodec;
const B = anthropicMessagesCodec;
const C = openAIResponsesCodec;
const LAX = { model: 'up', defaultMaxTokens: 4096, strict: false };
type Json = Record<string, unknown>;

const params = { type: 'object', properties: { task: { type: 'string' } } };
/** What Codex sends for a model it does not know: plain functions, a namespace, and hosted web search. */
const codexLike = {
  model: 'claude-sonnet-4-5',
  input: [{ role: 'user', content: 'spawn a helper' }],
  tools: [
    { type: 'function', name: 'exec_command', parameters: params, strict: false },
    { type: 'namespace', name: 'multi_agent_v1', description: 'Sub-agents', tools: [{ type: 'function', name: 'spawn_agent', description: 'Spawn', parameters: params }, { type: 'function', name: '_wait_agent', parameters: params }] },
    { type: 'web_search', external_web_access: true, filters: { allowed_domains: ['example.com'] }, user_location: { type: 'approximate', country: 'US', city: 'Boston' } },
    { type: 'image_generation' },
  ],
};

describe('namespace tools', () => {
  it('become functions named <namespace>__<name>, within each target’s length limit', () => {
    const request = C.decodeRequest(codexLike);
    expect(request.tools.slice(0, 3).map((t) => (t.type === 'function' ? [t.namespace, t.name] : t.type))).toEqual([
      [undefined, 'exec_command'],
      ['multi_agent_v1', 'spawn_agent'],
      ['multi_agent_v1', '_wait_agent'],
    ]);
    const anthropic = B.encodeRequest(request, LAX).body['tools'] as Json[];
    expect(anthropic.map((t) => t['name'])).toEqual(['exec_command', 'multi_agent_v1__spawn_agent', 'multi_agent_v1__wait_agent', 'web_search']);
    expect(anthropic[1]).toMatchObject({ description: 'Spawn', input_schema: params });
    const chat = A.encodeRequest(request, LAX).body['tools'] as Json[];
    expect(chat.map((t) => (t['function'] as Json)['name'])).toEqual(['exec_command', 'multi_agent_v1__spawn_agent', 'multi_agent_v1__wait_agent']);

    const long = { name: `${'n'.repeat(60)}_tool`, namespace: 'mcp__server' };
    const toChat = upstreamToolName(long, OPENAI_TOOL_NAME_MAX);
    const toAnthropic = upstreamToolName(long, ANTHROPIC_TOOL_NAME_MAX);
    expect(toChat).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(toAnthropic).toMatch(/^[a-zA-Z0-9_-]{1,128}$/);
    expect(toAnthropic).toBe(`${long.namespace}__${long.name}`);
    expect(upstreamToolName({ ...long, name: `${'n'.repeat(60)}_other` }, OPENAI_TOOL_NAME_MAX)).not.toBe(toChat);
    const longer = { ...long, namespace: `mcp__${'server'.repeat(10)}` };
    expect(upstreamToolName(longer, ANTHROPIC_TOOL_NAME_MAX)).toMatch(/^[a-zA-Z0-9_-]{1,128}$/);
    expect(upstreamToolName(longer, ANTHROPIC_TOOL_NAME_MAX)).not.toBe(upstreamToolName({ ...longer, name: 'x' }, ANTHROPIC_TOOL_NAME_MAX));
  });

  it('calls come back with the bare name and the namespace apart, streamed or not', () => {
    const request = C.decodeRequest({ ...codexLike, tools: [...codexLike.tools, { type: 'namespace', name: `mcp__${'x'.repeat(70)}`, description: 'd', tools: [{ type: 'function', name: 'read_file', parameters: params }] }] });
    for (const max of [OPENAI_TOOL_NAME_MAX, ANTHROPIC_TOOL_NAME_MAX]) {
      const restore = toolNameRestorer(request, max);
      if (restore === undefined) throw new Error('namespaced tools need restoring');
      expect(restore('multi_agent_v1__spawn_agent')).toEqual({ name: 'spawn_agent', namespace: 'multi_agent_v1' });
      expect(restore(upstreamToolName({ name: 'read_file', namespace: `mcp__${'x'.repeat(70)}` }, max))).toEqual({ name: 'read_file', namespace: `mcp__${'x'.repeat(70)}` });
      expect(restore('exec_command')).toEqual({ name: 'exec_command' });
    }
    const restore = toolNameRestorer(request, ANTHROPIC_TOOL_NAME_MAX)!;
    const response: CanonicalResponse = {
      id: 'msg_1',
      model: 'm',
      content: [{ type: 'tool-call', id: 'toolu_1', name: 'multi_agent_v1__spawn_agent', input: { task: 'x' } }],
      stopReason: 'tool-calls',
      usage: { inputUncached: 1, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 1, reasoning: 0 },
    };
    const encoded = C.encodeResponse(restoreToolNamesInResponse(response, restore), { model: 'claude' });
    expect((encoded['output'] as Json[])[0]).toMatchObject({ type: 'function_call', call_id: 'toolu_1', name: 'spawn_agent', namespace: 'multi_agent_v1', arguments: '{"task":"x"}' });
    const event: CanonicalStreamEvent = { type: 'tool-call-start', index: 0, id: 'toolu_1', name: 'multi_agent_v1__spawn_agent' };
    expect(restoreToolNameInEvent(event, restore)).toEqual({ ...event, name: 'spawn_agent', namespace: 'multi_agent_v1' });
    const encoder = C.createStreamEncoder({ ...ENCODER_OPTIONS, includeUsage: false });
    const added = parseSseText(encoder.push(restoreToolNameInEvent(event, restore))).find((e) => e.event === 'response.output_item.added');
    expect(JSON.parse(added?.data ?? '{}')).toMatchObject({ item: { type: 'function_call', name: 'spawn_agent', namespace: 'multi_agent_v1' } });
  });

  it('a namespaced call in the history is replayed under its flat name', () => {
    const request = C.decodeRequest({
      ...codexLike,
      input: [
        { role: 'user', content: 'go' },
        { type: 'function_call', call_id: 'call_1', name: 'spawn_agent', namespace: 'multi_agent_v1', arguments: '{"task":"x"}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'spawned' },
      ],
    });
    const messages = B.encodeRequest(request, LAX).body['messages'] as Json[];
    expect(messages[1]).toMatchObject({ role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'multi_agent_v1__spawn_agent' }] });
  });
});

describe('hosted tools', () => {
  it('web search becomes Anthropic’s server-side web search, with its domain and location filters', () => {
    const encoded = B.encodeRequest(C.decodeRequest(codexLike), LAX);
    expect((encoded.body['tools'] as Json[])[3]).toEqual({
      type: 'web_search_20250305',
      name: 'web_search',
      allowed_domains: ['example.com'],
      user_location: { type: 'approximate', country: 'US', city: 'Boston' },
    });
    // image_generation has no Anthropic equivalent: the model is not offered it, and the header says so.
    expect(encoded.dropped).toEqual(['tools[image_generation]']);
  });

  it('toward Chat Completions, web search has no tool form either: both are dropped and named', () => {
    expect(A.encodeRequest(C.decodeRequest(codexLike), LAX).dropped).toEqual(['tools[web_search]', 'tools[image_generation]']);
  });

  it('strict mode refuses to drop one', () => {
    expect(() => B.encodeRequest(C.decodeRequest(codexLike), { ...LAX, strict: true })).toThrow(/image_generation.*strict mode/);
  });

  it('a web_search_call in the history cannot be replayed to another provider: dropped and reported', () => {
    const request = C.decodeRequest({
      model: 'c',
      input: [
        { role: 'user', content: 'weather?' },
        { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'weather' } },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Sunny.', annotations: [] }] },
        { role: 'user', content: 'thanks' },
      ],
    });
    const encoded = B.encodeRequest(request, LAX);
    expect(encoded.body['messages']).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'weather?' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Sunny.' }] },
      { role: 'user', content: [{ type: 'text', text: 'thanks' }] },
    ]);
    expect(encoded.dropped).toEqual(['input[1].content[0]']);
    expect(() => B.encodeRequest(request, { ...LAX, strict: true })).toThrow(/web search/);
  });
});

describe('Anthropic’s web search back to a Responses client', () => {
  const search: AssistantPart[] = [
    { type: 'text', text: 'Looking.' },
    {
      type: 'web-search',
      id: 'srvtoolu_1',
      query: 'weather NYC',
      sources: [{ url: 'https://weather.example.com/nyc', title: 'Weather' }],
      format: 'anthropic-messages',
      raw: [{ type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'weather NYC' } }, { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [] }],
    },
    { type: 'text', text: 'Sunny.' },
  ];

  it('a whole message: its two blocks are one web_search_call item between the texts', () => {
    const message = {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude',
      content: [
        { type: 'text', text: 'Looking.' },
        { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'weather NYC' } },
        { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [{ type: 'web_search_result', url: 'https://weather.example.com/nyc', title: 'Weather', encrypted_content: 'E1' }] },
        { type: 'text', text: 'Sunny.' },
      ],
      stop_reason: 'end_turn',
      usage: { input_tokens: 10, output_tokens: 5, server_tool_use: { web_search_requests: 1 } },
    };
    const decoded = B.decodeResponse(message);
    expect(decoded.content[1]).toMatchObject({ type: 'web-search', id: 'srvtoolu_1', query: 'weather NYC', sources: [{ url: 'https://weather.example.com/nyc', title: 'Weather' }] });
    const output = C.encodeResponse(decoded, { model: 'claude' })['output'] as Json[];
    expect(output.map((o) => o['type'])).toEqual(['message', 'web_search_call', 'message']);
    expect(output[1]).toMatchObject({ status: 'completed', action: { type: 'search', query: 'weather NYC', sources: [{ type: 'url', url: 'https://weather.example.com/nyc' }] } });
    // Replayed to Anthropic on a later turn, the blocks go back exactly as they came.
    const replay = B.encodeRequest({ ...C.decodeRequest({ model: 'c', input: 'x' }), messages: [{ role: 'user', content: [{ type: 'text', text: 'q' }] }, { role: 'assistant', content: decoded.content }] }, LAX);
    expect((replay.body['messages'] as Json[])[1]).toEqual({ role: 'assistant', content: message.content });
  });

  it('a stream: the search arrives as one web_search_call item with its whole life cycle', () => {
    const { text } = fixtureBytes('anthropic-web-search');
    const items: Array<[string, AssistantPart[]]> = [];
    const translator = createStreamTranslator(B, C, { ...ENCODER_OPTIONS, includeUsage: false, onOutputItem: (id, parts) => items.push([id, parts]) });
    const events = parseSseText(translator.feed(text) + translator.end()).map((e) => JSON.parse(e.data) as Json);
    const types = events.map((e) => e['type']);
    const at = types.indexOf('response.web_search_call.in_progress');
    expect(types.slice(at - 1, at + 4)).toEqual([
      'response.output_item.added',
      'response.web_search_call.in_progress',
      'response.web_search_call.searching',
      'response.web_search_call.completed',
      'response.output_item.done',
    ]);
    const completed = events.at(-1)?.['response'] as Json;
    expect((completed['output'] as Json[]).map((o) => o['type'])).toEqual(['message', 'web_search_call', 'message']);
    expect((completed['output'] as Json[])[1]).toMatchObject({ action: { query: 'weather NYC today', sources: [{ url: 'https://weather.example.com/nyc' }, { url: 'https://news.example.org/forecast' }] } });
    // What the store keeps of it replays the Anthropic blocks verbatim, the query rebuilt from its deltas.
    const [, parts] = items[1]!;
    expect(parts[0]).toMatchObject({ type: 'web-search', raw: [{ type: 'server_tool_use', input: { query: 'weather NYC today' } }, { type: 'web_search_tool_result' }] });
    expect(items.map(([id]) => id)).toEqual((completed['output'] as Json[]).map((o) => o['id']));
  });

  it('encodes parts for the store alongside the items it sends', () => {
    const response: CanonicalResponse = { id: 'msg_9', model: 'm', content: search, stopReason: 'stop', usage: { inputUncached: 1, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 1, reasoning: 0 } };
    const output = C.encodeResponse(response, { model: 'c' })['output'] as Json[];
    expect(output.map((o) => o['id'])).toEqual(['msg_msg_9_0', 'ws_msg_9_1', 'msg_msg_9_2']);
  });
});
