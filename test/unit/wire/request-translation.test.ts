/** Request decoding/validation, the spec §8 field policy, and the §4 parameter mapping. */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { anthropicMessagesCodec } from '../../../src/wire/anthropic-messages/index.js';
import { codecFor } from '../../../src/wire/index.js';
import { openAIChatCodec } from '../../../src/wire/openai-chat/index.js';

const A = openAIChatCodec;
const B = anthropicMessagesCodec;
const LAX = { model: 'up', defaultMaxTokens: 4096, strict: false };
const STRICT = { ...LAX, strict: true };
const user = [{ role: 'user', content: 'hi' }];

function thrown(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
  throw new Error('expected a GatewayError');
}

describe('decodeRequest validates what matters', () => {
  for (const codec of [A, B]) {
    it(`${codec.format}: body object, model, messages`, () => {
      expect(thrown(() => codec.decodeRequest([1, 2]))).toMatchObject({ kind: 'invalid_request', status: 400, param: 'body' });
      expect(thrown(() => codec.decodeRequest({ messages: user }))).toMatchObject({ param: 'model' });
      expect(thrown(() => codec.decodeRequest({ model: '  ', messages: user }))).toMatchObject({ param: 'model' });
      expect(thrown(() => codec.decodeRequest({ model: 'm', messages: 'hi' }))).toMatchObject({ param: 'messages' });
      expect(thrown(() => codec.decodeRequest({ model: 'm', messages: [{ role: 'wizard', content: 'x' }] }))).toMatchObject({ param: 'messages[0].role' });
      expect(thrown(() => codec.decodeRequest({ model: 'm', max_tokens: -1, messages: user }))).toMatchObject({ param: 'max_tokens' });
      expect(thrown(() => codec.decodeRequest({ model: 'm', stream: 'yes', messages: user }))).toMatchObject({ param: 'stream' });
    });
  }

  it('is lenient about unknown fields and keeps the raw body', () => {
    const body = { model: 'gpt-x', messages: user, some_future_flag: { a: 1 }, stream: true, stream_options: { include_usage: true } };
    const req = A.decodeRequest(body);
    expect(req).toMatchObject({ source: 'openai-chat', model: 'gpt-x', stream: true, includeUsage: true, raw: body });
    expect(req.extensions).toEqual([{ format: 'openai-chat', path: 'some_future_flag', value: { a: 1 }, policy: 'unknown' }]);
    expect(B.encodeRequest(req, LAX).dropped).toEqual(['some_future_flag']);
    // Same format re-emits it.
    expect(A.encodeRequest(req, LAX).body['some_future_flag']).toEqual({ a: 1 });
    const b = B.decodeRequest({ model: 'claude', max_tokens: 10, messages: user, stream: true });
    expect(b).toMatchObject({ includeUsage: false, maxTokens: 10, stream: true });
  });

  it('codecFor returns the codec per format', () => {
    expect(codecFor('openai-chat')).toBe(A);
    expect(codecFor('anthropic-messages')).toBe(B);
  });
});

describe('field policy (spec §8)', () => {
  const hard: Array<[string, Record<string, unknown>]> = [
    ['n', { n: 2 }],
    ['modalities', { modalities: ['text', 'audio'] }],
    ['audio', { audio: { voice: 'alloy', format: 'wav' } }],
    ['prediction', { prediction: { type: 'content', content: 'x' } }],
    ['web_search_options', { web_search_options: {} }],
    ['messages[0].content[0]', { messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AA', format: 'wav' } }] }] }],
  ];
  for (const [param, extra] of hard) {
    it(`OpenAI → Anthropic refuses ${param} with a 400 naming it`, () => {
      const error = thrown(() => B.encodeRequest(A.decodeRequest({ model: 'm', messages: user, ...extra }), LAX));
      expect(error).toMatchObject({ kind: 'invalid_request', status: 400, param });
      expect(error.message).toContain(param);
    });
  }

  it('a tool the target has no equivalent for is dropped and named, so the model is not offered it; strict mode refuses', () => {
    const custom = A.decodeRequest({ model: 'm', messages: user, tools: [{ type: 'custom', custom: { name: 'grammar' } }, { type: 'function', function: { name: 'f', parameters: { type: 'object' } } }] });
    const encoded = B.encodeRequest(custom, LAX);
    expect(encoded.body['tools']).toEqual([{ name: 'f', input_schema: { type: 'object' } }]);
    expect(encoded.dropped).toContain('tools[grammar]');
    expect(thrown(() => B.encodeRequest(custom, { ...LAX, strict: true }))).toMatchObject({ kind: 'invalid_request', status: 400, param: 'tools' });
    const server = B.decodeRequest({ model: 'c', max_tokens: 5, messages: user, tools: [{ type: 'web_search_20250305', name: 'web_search' }] });
    expect(A.encodeRequest(server, LAX)).toMatchObject({ dropped: ['tools[web_search]'] });
    expect(A.encodeRequest(server, LAX).body).not.toHaveProperty('tools');
  });

  it('Anthropic → OpenAI refuses replaying server tool blocks, MCP servers, provider file ids and >4 stop sequences', () => {
    expect(thrown(() => A.encodeRequest(B.decodeRequest({ model: 'c', max_tokens: 5, messages: user, mcp_servers: [{ url: 'x' }] }), LAX))).toMatchObject({ param: 'mcp_servers' });
    expect(thrown(() => A.encodeRequest(B.decodeRequest({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'file_1' } }] }] }), LAX))).toMatchObject({ param: 'messages[0].content[0]' });
    expect(thrown(() => A.encodeRequest(B.decodeRequest({ model: 'c', max_tokens: 5, messages: user, stop_sequences: ['a', 'b', 'c', 'd', 'e'] }), LAX))).toMatchObject({ param: 'stop_sequences' });
    expect(thrown(() => A.encodeRequest(B.decodeRequest({ model: 'c', max_tokens: 5, messages: [{ role: 'assistant', content: [{ type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} }] }] }), LAX))).toMatchObject({ param: 'messages[0].content[0]' });
  });

  it('drops hints and class-2 knobs, reporting them; strict refuses class 2 but still drops hints', () => {
    const body = { model: 'm', messages: user, metadata: { a: 'b' }, store: true, seed: 7, service_tier: 'auto', frequency_penalty: 0.5, logit_bias: { '50256': -100 }, logprobs: false };
    const lax = B.encodeRequest(A.decodeRequest(body), LAX);
    expect(lax.dropped).toEqual(['metadata', 'store', 'seed', 'service_tier', 'frequency_penalty', 'logit_bias']);
    expect(lax.body).not.toHaveProperty('seed');
    expect(thrown(() => B.encodeRequest(A.decodeRequest(body), STRICT))).toMatchObject({ param: 'frequency_penalty' });
    const hintsOnly = B.encodeRequest(A.decodeRequest({ model: 'm', messages: user, metadata: { a: 'b' }, store: false }), STRICT);
    expect(hintsOnly.dropped).toEqual(['metadata', 'store']);
    const topK = A.encodeRequest(B.decodeRequest({ model: 'c', max_tokens: 5, top_k: 40, messages: user }), LAX);
    expect(topK.dropped).toEqual(['top_k']);
    expect(thrown(() => A.encodeRequest(B.decodeRequest({ model: 'c', max_tokens: 5, top_k: 40, messages: user }), STRICT))).toMatchObject({ param: 'top_k' });
  });

  it('json_object has no Anthropic counterpart: emulated with an instruction, refused when strict', () => {
    const req = A.decodeRequest({ model: 'm', messages: user, response_format: { type: 'json_object' } });
    const lax = B.encodeRequest(req, LAX);
    expect(lax.body['system']).toEqual([{ type: 'text', text: 'Respond with a single valid JSON object and nothing else.' }]);
    expect(lax.dropped).toEqual(['response_format']);
    expect(thrown(() => B.encodeRequest(req, STRICT))).toMatchObject({ param: 'response_format' });
  });
});

describe('parameter mapping (spec §4)', () => {
  it('OpenAI → Anthropic', () => {
    const { body, dropped } = B.encodeRequest(
      A.decodeRequest({
        model: 'm',
        messages: [{ role: 'system', content: 'sys' }, ...user],
        temperature: 1.7,
        top_p: 0.9,
        stop: 'END',
        user: 'u-42',
        stream: true,
        stream_options: { include_usage: true },
        parallel_tool_calls: false,
        tools: [{ type: 'function', function: { name: 'a', description: 'd', parameters: { type: 'object', properties: {} }, strict: true } }, { type: 'function', function: { name: 'b' } }],
        tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'b' } }] } },
        response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } },
      }),
      LAX,
    );
    expect(dropped).toEqual([]);
    expect(body).toEqual({
      model: 'up',
      system: 'sys',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      tools: [{ name: 'b', input_schema: { type: 'object', properties: {} } }],
      max_tokens: 4096,
      output_config: { format: { type: 'json_schema', schema: { type: 'object' } } },
      temperature: 1,
      top_p: 0.9,
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      stop_sequences: ['END'],
      metadata: { user_id: 'u-42' },
      stream: true,
    });
  });

  it('Anthropic → OpenAI', () => {
    const { body, dropped } = A.encodeRequest(
      B.decodeRequest({
        model: 'c',
        max_tokens: 2000,
        system: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }],
        messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBER' }, title: 'spec.pdf' }, { type: 'text', text: 'summarise' }] }],
        thinking: { type: 'enabled', budget_tokens: 8000 },
        tools: [{ name: 'calc', input_schema: { type: 'object' } }],
        tool_choice: { type: 'tool', name: 'calc' },
        metadata: { user_id: 'u' },
        output_config: { format: { type: 'json_schema', schema: { type: 'object' } } },
      }),
      LAX,
    );
    expect(dropped).toEqual([]);
    expect(body).toEqual({
      model: 'up',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }] },
        { role: 'user', content: [{ type: 'file', file: { file_data: 'data:application/pdf;base64,JVBER', filename: 'spec.pdf' } }, { type: 'text', text: 'summarise' }] },
      ],
      max_completion_tokens: 2000,
      tools: [{ type: 'function', function: { name: 'calc', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'calc' } },
      reasoning_effort: 'medium',
      response_format: { type: 'json_schema', json_schema: { name: 'output', schema: { type: 'object' }, strict: false } },
      user: 'u',
    });
  });

  it('adaptive thinking with effort maps both ways', () => {
    const a = A.encodeRequest(B.decodeRequest({ model: 'c', max_tokens: 9, thinking: { type: 'adaptive' }, output_config: { effort: 'xhigh' }, messages: user }), LAX);
    expect(a.body['reasoning_effort']).toBe('xhigh');
    const none = B.encodeRequest(A.decodeRequest({ model: 'm', reasoning_effort: 'none', messages: user }), LAX);
    expect(none.body['thinking']).toBeUndefined();
  });
});

describe('non-streaming responses', () => {
  it('Anthropic message → OpenAI chat completion', () => {
    const canonical = B.decodeResponse({
      id: 'msg_01', type: 'message', role: 'assistant', model: 'claude-x',
      content: [{ type: 'thinking', thinking: 'hm', signature: 's' }, { type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'toolu_1', name: 'w', input: { c: 1 } }],
      stop_reason: 'tool_use', stop_sequence: null, usage: { input_tokens: 5, output_tokens: 7 },
    });
    expect(A.encodeResponse({ ...canonical, created: 1_700_000_000 }, { model: 'alias' })).toEqual({
      id: 'msg_01', object: 'chat.completion', created: 1_700_000_000, model: 'alias',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Checking.', refusal: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'w', arguments: '{"c":1}' } }], annotations: [] }, finish_reason: 'tool_calls', logprobs: null }],
      usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } },
    });
  });

  it('OpenAI chat completion → Anthropic message', () => {
    const canonical = A.decodeResponse({
      id: 'chatcmpl-9', object: 'chat.completion', created: 3, model: 'gpt',
      choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: 'call.1', type: 'function', function: { name: 'w', arguments: '' } }] }, finish_reason: 'tool_calls', logprobs: null }],
      usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
    });
    expect(B.encodeResponse(canonical, { model: 'alias' })).toEqual({
      id: 'msg_chatcmpl-9', type: 'message', role: 'assistant', model: 'alias',
      content: [{ type: 'tool_use', id: expect.stringMatching(/^call_1_[0-9a-f]{8}$/) as unknown, name: 'w', input: {} }],
      stop_reason: 'tool_use', stop_sequence: null,
      usage: { input_tokens: 9, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 }, output_tokens: 4 },
    });
  });

  it('stop reasons map per spec §7', () => {
    const pairs: Array<[string, string, string]> = [
      ['end_turn', 'stop', 'end_turn'],
      ['stop_sequence', 'stop', 'end_turn'],
      ['max_tokens', 'length', 'max_tokens'],
      ['model_context_window_exceeded', 'length', 'max_tokens'],
      ['refusal', 'content_filter', 'refusal'],
      ['pause_turn', 'stop', 'end_turn'],
    ];
    for (const [b, a, back] of pairs) {
      const canonical = B.decodeResponse({ id: 'm', model: 'c', content: [{ type: 'text', text: 'x' }], stop_reason: b, usage: {} });
      const chat = A.encodeResponse(canonical, { model: 'x' });
      const finish = (chat['choices'] as Array<Record<string, unknown>>)[0]?.['finish_reason'];
      expect(finish).toBe(a);
      expect(B.encodeResponse(A.decodeResponse(chat), { model: 'x' })['stop_reason']).toBe(back);
    }
  });
});
