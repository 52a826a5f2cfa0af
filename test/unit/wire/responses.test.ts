/** The OpenAI Responses codec, stateless subset (spec §3, §4.8, §6.3). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import type { CanonicalRequest, CanonicalStreamEvent } from '../../../src/wire/canonical.js';
import type { WireFormat } from '../../../src/wire/codec.js';
import { anthropicMessagesCodec } from '../../../src/wire/anthropic-messages/index.js';
import { openAIChatCodec } from '../../../src/wire/openai-chat/index.js';
import { openAIResponsesCodec } from '../../../src/wire/openai-responses/index.js';
import {
  ENCODER_OPTIONS,
  anthropicViolations,
  fixtureBytes,
  openAIViolations,
  parseAnthropicOutput,
  responsesViolations,
  translate,
} from './helpers.js';

const A = openAIChatCodec;
const B = anthropicMessagesCodec;
const C = openAIResponsesCodec;
const LAX = { model: 'up', defaultMaxTokens: 4096, strict: false };

describe('stateless subset', () => {
  const stateful: Array<[string, Record<string, unknown>]> = [
    ['previous_response_id', { previous_response_id: 'resp_123' }],
    ['conversation', { conversation: 'conv_1' }],
    ['background', { background: true }],
    ['prompt', { prompt: { id: 'pmpt_1' } }],
  ];
  for (const [param, extra] of stateful) {
    it(`${param} is refused with a 400 when translated, kept for same-format passthrough`, () => {
      const request = C.decodeRequest({ model: 'gpt', input: 'hi', ...extra });
      for (const target of [A, B]) {
        const error = (() => {
          try {
            target.encodeRequest(request, LAX);
          } catch (e) {
            return e;
          }
          return undefined;
        })();
        expect(error).toBeInstanceOf(GatewayError);
        expect(error).toMatchObject({ kind: 'invalid_request', status: 400, param });
        expect((error as GatewayError).message).toMatch(/stateful/);
        expect(A.renderError(error as GatewayError, 'r').body).toMatchObject({ error: { param, type: 'invalid_request_error' } });
      }
      expect(C.encodeRequest(request, LAX).body).toMatchObject(extra);
    });
  }

  it('an item reference left unresolved is refused across formats (the pipeline resolves them first)', () => {
    const ref = C.decodeRequest({ model: 'g', input: [{ type: 'item_reference', id: 'msg_1' }, { role: 'user', content: 'x' }] });
    expect(() => B.encodeRequest(ref, LAX)).toThrow(/item_reference/);
    const untyped = C.decodeRequest({ model: 'g', input: [{ id: 'msg_1' }, { role: 'user', content: 'x' }] });
    expect(untyped.messages[0]?.content[0]).toMatchObject({ type: 'foreign', raw: { type: 'item_reference', id: 'msg_1' } });
  });

  it('validates input and model', () => {
    expect(() => C.decodeRequest({ model: 'g' })).toThrow(GatewayError);
    expect(() => C.decodeRequest({ input: 'x' })).toThrow(/model/);
  });

  it('maps items to turns (spec §4.8): instructions first, call runs grouped, outputs then user text in one turn', () => {
    const request = C.decodeRequest({
      model: 'g',
      instructions: 'be terse',
      max_output_tokens: 500,
      reasoning: { effort: 'low', summary: 'auto' },
      text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true } },
      tools: [{ type: 'function', name: 'w', parameters: { type: 'object' }, strict: true }],
      input: [
        { role: 'developer', content: 'rule' },
        { role: 'user', content: [{ type: 'input_text', text: 'weather?' }, { type: 'input_image', image_url: 'data:image/png;base64,AAA', detail: 'low' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'checking', annotations: [] }] },
        { type: 'function_call', call_id: 'call_1', name: 'w', arguments: '{"c":"Oslo"}' },
        { type: 'function_call', call_id: 'call_2', name: 'w', arguments: '' },
        { type: 'function_call_output', call_id: 'call_1', output: 'cold' },
        { type: 'function_call_output', call_id: 'call_2', output: 'warm' },
        { role: 'user', content: 'thanks' },
      ],
    });
    const { body, dropped } = B.encodeRequest(request, LAX);
    // The effort is dropped: 500 output tokens leave no room for a thinking budget.
    expect(dropped).toEqual(['input[].content[].detail', 'reasoning.effort', 'reasoning.summary']);
    expect(body['system']).toEqual([{ type: 'text', text: 'be terse' }, { type: 'text', text: 'rule' }]);
    expect(body['max_tokens']).toBe(500);
    expect(body['messages']).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'weather?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAA' } }] },
      { role: 'assistant', content: [{ type: 'text', text: 'checking' }, { type: 'tool_use', id: 'call_1', name: 'w', input: { c: 'Oslo' } }, { type: 'tool_use', id: 'call_2', name: 'w', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: 'cold' }, { type: 'tool_result', tool_use_id: 'call_2', content: 'warm' }, { type: 'text', text: 'thanks' }] },
    ]);
  });
});

describe('non-streaming responses', () => {
  it('Anthropic message → Response object, with the signature carried in encrypted_content and back', () => {
    const canonical = B.decodeResponse({
      id: 'msg_01', model: 'c', stop_reason: 'max_tokens', usage: { input_tokens: 5, cache_read_input_tokens: 100, output_tokens: 7 },
      content: [{ type: 'thinking', thinking: 'hm', signature: 'sig' }, { type: 'text', text: 'Hi' }, { type: 'tool_use', id: 'toolu_1', name: 'w', input: { a: 1 } }],
    });
    const response = C.encodeResponse({ ...canonical, created: 9 }, { model: 'alias' });
    expect(response).toMatchObject({
      id: 'resp_msg_01', object: 'response', created_at: 9, status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, model: 'alias',
      output: [
        { type: 'reasoning', id: 'rs_msg_01_0', summary: [{ type: 'summary_text', text: 'hm' }], encrypted_content: 'gw-anthropic-signature:sig' },
        { type: 'message', id: 'msg_msg_01_1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hi', annotations: [] }] },
        { type: 'function_call', id: 'fc_msg_01_2', call_id: 'toolu_1', name: 'w', arguments: '{"a":1}', status: 'completed' },
      ],
      usage: { input_tokens: 105, input_tokens_details: { cached_tokens: 100 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 112 },
    });
    const back = C.decodeResponse(response);
    expect(back.content).toEqual(canonical.content);
    expect(back.usage).toEqual(canonical.usage);
    // A reasoning item from OpenAI itself is never mistaken for an Anthropic signature.
    expect(C.decodeResponse({ ...response, output: [{ type: 'reasoning', id: 'rs', summary: [], encrypted_content: 'gAAAA' }] }).content).toEqual([{ type: 'thinking', text: '' }]);
  });

  it('a failed Response becomes an upstream error', () => {
    expect(() => C.decodeResponse({ id: 'r', status: 'failed', output: [], error: { code: 'server_error', message: 'boom' } })).toThrow(/boom/);
  });
});

describe('streams', () => {
  const targets: Array<[WireFormat, string]> = [['openai-chat', 'to-openai'], ['anthropic-messages', 'to-anthropic'], ['openai-responses', 'to-responses']];
  for (const [target, suffix] of targets) {
    it(`golden: responses-reasoning-tool → ${target}`, async () => {
      const { format, text } = fixtureBytes('responses-reasoning-tool');
      const { output } = translate(format, target, [text]);
      await expect(output).toMatchFileSnapshot(`../../fixtures/wire/responses-reasoning-tool.${suffix}.golden.sse`);
      if (target === 'openai-chat') expect(openAIViolations(output, true)).toEqual([]);
      if (target === 'anthropic-messages') expect(anthropicViolations(parseAnthropicOutput(output))).toEqual([]);
      if (target === 'openai-responses') expect(responsesViolations(output)).toEqual([]);
    });
  }
  for (const name of ['anthropic-thinking-text', 'anthropic-tool-use-parallel', 'anthropic-midstream-error', 'openai-tool-quirks']) {
    it(`golden: ${name} → openai-responses`, async () => {
      const { format, text } = fixtureBytes(name);
      const { output } = translate(format, 'openai-responses', [text]);
      await expect(output).toMatchFileSnapshot(`../../fixtures/wire/${name}.to-responses.golden.sse`);
      expect(responsesViolations(output)).toEqual([]);
    });
  }

  it('any canonical event sequence gives a well-formed Responses stream', () => {
    const event: fc.Arbitrary<CanonicalStreamEvent> = fc.oneof(
      fc.string({ maxLength: 4 }).map((text): CanonicalStreamEvent => ({ type: 'text-delta', text })),
      fc.string({ maxLength: 4 }).map((text): CanonicalStreamEvent => ({ type: 'thinking-delta', text })),
      fc.constant<CanonicalStreamEvent>({ type: 'signature', signature: 's' }),
      fc.constant<CanonicalStreamEvent>({ type: 'redacted-thinking', data: 'r' }),
      fc.nat(3).map((index): CanonicalStreamEvent => ({ type: 'tool-call-start', index, id: `c${index}`, name: 'n' })),
      fc.tuple(fc.nat(3), fc.string({ maxLength: 4 })).map(([index, argsJson]): CanonicalStreamEvent => ({ type: 'tool-call-delta', index, argsJson })),
      fc.constant<CanonicalStreamEvent>({ type: 'block-stop' }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 25 }), fc.constantFrom('stop', 'length', 'error', 'cut'), (events, end) => {
        const encoder = C.createStreamEncoder({ ...ENCODER_OPTIONS, includeUsage: false });
        let out = encoder.push({ type: 'start' });
        for (const e of events) out += encoder.push(e);
        const zero = { inputUncached: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0, reasoning: 0 };
        if (end === 'stop' || end === 'length') out += encoder.push({ type: 'finish', stopReason: end, usage: zero });
        else out += encoder.fail(new GatewayError('upstream_timeout', 'late'));
        expect(encoder.push({ type: 'text-delta', text: 'x' })).toBe('');
        expect(responsesViolations(out)).toEqual([]);
        // The terminal response carries every item the deltas built.
        const last = JSON.parse(out.trim().split('\n').at(-1)?.slice(6) ?? '{}') as { response: { output: unknown[] } };
        if (end === 'stop') expect(last.response.output.length).toBe((out.match(/response\.output_item\.added/g) ?? []).length / 2);
      }),
      { numRuns: 300 },
    );
  });
});

describe('canonical requests survive encode → decode (Responses)', () => {
  it('for generated conversations', () => {
    const word = fc.stringMatching(/^[A-Za-z0-9 ,.]{1,10}$/);
    const request: fc.Arbitrary<CanonicalRequest> = fc
      .record({
        instructions: fc.option(word, { nil: undefined }),
        turns: fc.array(fc.tuple(word, fc.option(word, { nil: undefined }), fc.array(fc.tuple(fc.stringMatching(/^call_[a-z0-9]{3}$/), fc.dictionary(fc.stringMatching(/^[a-z]{1,4}$/), fc.integer(), { maxKeys: 2 })), { maxLength: 2 })), { minLength: 1, maxLength: 3 }),
        maxTokens: fc.option(fc.integer({ min: 1, max: 9999 }), { nil: undefined }),
        effort: fc.option(fc.constantFrom('low' as const, 'high' as const), { nil: undefined }),
        stream: fc.boolean(),
      })
      .map((r) => {
        const messages: CanonicalRequest['messages'] = [];
        let pending: string[] = [];
        for (const [userText, reply, calls] of r.turns) {
          const ids = [...new Set(calls.map(([id]) => id))];
          messages.push({ role: 'user', content: [...pending.map((id) => ({ type: 'tool-result' as const, toolCallId: id, content: [{ type: 'text' as const, text: `r-${id}` }], isError: false })), { type: 'text', text: userText }] });
          const content = [
            ...(reply === undefined ? [] : [{ type: 'text' as const, text: reply }]),
            ...ids.map((id) => ({ type: 'tool-call' as const, id, name: 'tool', input: Object.fromEntries(calls.find(([c]) => c === id)?.[1] ? Object.entries(calls.find(([c]) => c === id)?.[1] ?? {}) : []) })),
          ];
          if (content.length > 0) messages.push({ role: 'assistant', content });
          pending = ids;
        }
        return {
          source: 'openai-responses' as const,
          model: 'g',
          stream: r.stream,
          ...(r.maxTokens === undefined ? {} : { maxTokens: r.maxTokens }),
          includeUsage: false,
          system: r.instructions === undefined ? [] : [{ type: 'text' as const, text: r.instructions }],
          messages,
          tools: [],
          stopSequences: [],
          ...(r.effort === undefined ? {} : { reasoning: { type: 'effort' as const, effort: r.effort } }),
          extensions: [],
          raw: {},
        };
      });
    fc.assert(
      fc.property(request, (req) => {
        const { body, dropped } = C.encodeRequest(req, { model: 'g', defaultMaxTokens: 1, strict: true });
        expect(dropped).toEqual([]);
        const { raw: _raw, extensions, ...decoded } = C.decodeRequest(JSON.parse(JSON.stringify(body)));
        const { raw: _raw2, extensions: _ext, ...original } = req;
        expect(decoded).toEqual(original);
        expect(extensions).toEqual([{ format: 'openai-responses', path: 'store', value: false, policy: 'hint' }]);
      }),
      { numRuns: 200 },
    );
  });
});
