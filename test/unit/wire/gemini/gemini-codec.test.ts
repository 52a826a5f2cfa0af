/** The Gemini codec's mapping tables, one case each: schema narrowing, finish reasons, usage, errors, ids. */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../../src/core/errors.js';
import { anthropicMessagesCodec } from '../../../../src/wire/anthropic-messages/index.js';
import { decodeGeminiRequest } from '../../../../src/wire/gemini/decode-request.js';
import { geminiCodec, toGeminiSchema } from '../../../../src/wire/gemini/index.js';
import { openAIChatCodec } from '../../../../src/wire/openai-chat/index.js';
import { parseSseText } from '../../../../src/wire/sse.js';

const target = { model: 'gemini-2.5-flash', stream: false };

describe('JSON Schema → Gemini Schema', () => {
  it('drops what Gemini refuses and rewrites what it can say another way', () => {
    const schema = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      additionalProperties: false,
      $defs: { unit: { type: 'string', enum: ['c', 'f'] } },
      properties: {
        unit: { $ref: '#/$defs/unit', description: 'Unit' },
        kind: { const: 'weather' },
        count: { type: 'integer', exclusiveMinimum: 0, format: 'uint32' },
        when: { type: 'string', format: 'date-time' },
        either: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'null' }] },
        one: { oneOf: [{ type: 'boolean' }, { type: 'null' }] },
        list: { type: 'array', items: { type: 'object', properties: { x: { type: 'number' } }, patternProperties: { '^y': {} } }, examples: [[]] },
      },
      required: ['unit', 'ghost'],
    };
    expect(toGeminiSchema(schema)).toEqual({
      type: 'OBJECT',
      properties: {
        unit: { type: 'STRING', format: 'enum', enum: ['c', 'f'], description: 'Unit' },
        kind: { type: 'STRING', format: 'enum', enum: ['weather'] },
        count: { type: 'INTEGER', minimum: 0 },
        when: { type: 'STRING', format: 'date-time' },
        either: { anyOf: [{ type: 'STRING' }, { type: 'NUMBER' }], nullable: true },
        one: { type: 'BOOLEAN', nullable: true },
        list: { type: 'ARRAY', items: { type: 'OBJECT', properties: { x: { type: 'NUMBER' } } }, example: [] },
      },
      required: ['unit'],
    });
  });

  it('bounds a recursive $ref instead of looping', () => {
    const tree = { type: 'object', properties: { child: { $ref: '#' } } };
    const out = JSON.stringify(toGeminiSchema(tree));
    expect(out.length).toBeLessThan(2000);
  });
});

describe('finish reasons and blocked prompts', () => {
  const response = (finishReason: string, parts: unknown[] = [{ text: 'x' }]) => ({
    candidates: [{ content: { role: 'model', parts }, finishReason, index: 0 }],
    usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 1, totalTokenCount: 6 },
    modelVersion: 'gemini-2.5-flash',
    responseId: 'r1',
  });
  it.each([
    ['STOP', 'stop'],
    ['MAX_TOKENS', 'length'],
    ['SAFETY', 'content-filter'],
    ['RECITATION', 'content-filter'],
    ['BLOCKLIST', 'content-filter'],
    ['PROHIBITED_CONTENT', 'content-filter'],
    ['SPII', 'content-filter'],
    ['MALFORMED_FUNCTION_CALL', 'other'],
    ['LANGUAGE', 'other'],
    ['SOMETHING_NEW', 'other'],
  ])('%s → %s', (reason, stop) => {
    expect(geminiCodec.decodeResponse(response(reason)).stopReason).toBe(stop);
  });
  it('STOP after function calls is tool-calls, and they get stable ids', () => {
    const body = response('STOP', [{ functionCall: { name: 'f', args: { a: 1 } } }, { functionCall: { name: 'f', args: {} } }]);
    const one = geminiCodec.decodeResponse(body);
    expect(one.stopReason).toBe('tool-calls');
    const ids = one.content.map((p) => (p.type === 'tool-call' ? p.id : ''));
    expect(new Set(ids).size).toBe(2);
    expect(geminiCodec.decodeResponse(body).content).toEqual(one.content);
    // Anthropic clients see tool_use.
    expect(anthropicMessagesCodec.encodeResponse(one, { model: 'm' }).stop_reason).toBe('tool_use');
  });
  it('a prompt blocked before any candidate is a content filter stop', () => {
    const res = geminiCodec.decodeResponse({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 }, responseId: 'r' });
    expect(res).toMatchObject({ stopReason: 'content-filter', content: [], usage: { inputUncached: 9, output: 0 } });
    expect(res.usageGaps).toBeUndefined();
  });
});

describe('usageMetadata', () => {
  it('cached tokens are inside promptTokenCount, thoughts outside candidatesTokenCount, tool-use prompt tokens are input', () => {
    const res = geminiCodec.decodeResponse({
      candidates: [{ content: { role: 'model', parts: [{ text: 'x' }] }, finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 1000, cachedContentTokenCount: 600, toolUsePromptTokenCount: 50, candidatesTokenCount: 30, thoughtsTokenCount: 70, totalTokenCount: 1150 },
    });
    expect(res.usage).toEqual({ inputUncached: 450, cacheRead: 600, cacheWrite5m: 0, cacheWrite1h: 0, output: 100, reasoning: 70 });
  });
  it('a count that is no count is not billed: that side is a gap', () => {
    const res = geminiCodec.decodeResponse({ candidates: [], usageMetadata: { promptTokenCount: 1e300, candidatesTokenCount: 3 } });
    expect(res.usageGaps).toEqual({ input: true, output: false, rejected: ['promptTokenCount'] });
  });
});

describe('errors', () => {
  it('decodes 429 RESOURCE_EXHAUSTED with its RetryInfo delay', () => {
    const error = geminiCodec.decodeError(
      429,
      { error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37.2s' }] } },
      {},
    );
    expect(error).toMatchObject({ kind: 'rate_limited', status: 429, retryAfter: 38, upstreamType: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded' });
    expect(openAIChatCodec.renderError(error, 'req').status).toBe(429);
  });
  it('decodes 400 INVALID_ARGUMENT and renders gateway errors in Google’s envelope', () => {
    const error = geminiCodec.decodeError(400, { error: { code: 400, message: 'bad', status: 'INVALID_ARGUMENT' } }, {});
    expect(error).toMatchObject({ kind: 'upstream_error', status: 400 });
    expect(geminiCodec.renderError(new GatewayError('budget_exceeded', 'over budget'), 'r')).toMatchObject({ status: 429, body: { error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'over budget' } } });
    expect(geminiCodec.renderError(new GatewayError('invalid_request', 'no'), 'r').body).toEqual({ error: { code: 400, message: 'no', status: 'INVALID_ARGUMENT' } });
    expect(geminiCodec.renderError(new GatewayError('agent_paused', 'paused'), 'r').body.error.status).toBe('PERMISSION_DENIED');
  });
  it('a mid-stream error chunk ends the stream with the upstream status', () => {
    const decoder = geminiCodec.createStreamDecoder();
    const events = parseSseText('data: {"candidates": [{"content": {"parts": [{"text": "Hi"}],"role": "model"},"index": 0}]}\r\n\r\ndata: {"error": {"code": 503,"message": "overloaded","status": "UNAVAILABLE"}}\r\n\r\n').flatMap((e) => decoder.push(e));
    expect(events.map((e) => e.type)).toEqual(['start', 'text-delta', 'error']);
    const last = events.at(-1);
    expect(last?.type === 'error' && last.error.status).toBe(503);
  });
});

describe('requests from Gemini clients', () => {
  it('pairs functionResponses without ids with calls by name and order', () => {
    const req = decodeGeminiRequest(
      {
        contents: [
          { role: 'user', parts: [{ text: 'go' }] },
          { role: 'model', parts: [{ functionCall: { name: 'f', args: { n: 1 } } }, { functionCall: { name: 'g', args: {} } }, { functionCall: { name: 'f', args: { n: 2 } } }] },
          { role: 'user', parts: [{ functionResponse: { name: 'g', response: { output: 'G' } } }, { functionResponse: { name: 'f', response: { output: 'F1' } } }, { functionResponse: { name: 'f', response: { error: 'F2 failed' } } }] },
        ],
      },
      target,
    );
    const calls = req.messages[1]!.content.flatMap((p) => (p.type === 'tool-call' ? [p.id] : []));
    const results = req.messages[2]!.content.flatMap((p) => (p.type === 'tool-result' ? [[p.toolCallId, p.isError]] : []));
    expect(results).toEqual([
      [calls[1], false],
      [calls[0], false],
      [calls[2], true],
    ]);
  });

  it('refuses a functionResponse that answers no call', () => {
    expect(() => decodeGeminiRequest({ contents: [{ role: 'user', parts: [{ functionResponse: { name: 'f', response: {} } }] }] }, target)).toThrow(/answers no function call/);
  });

  it('sorts generationConfig fields by policy: candidateCount 2 cannot cross formats, a seed is dropped and reported', () => {
    const req = decodeGeminiRequest({ contents: [{ parts: [{ text: 'x' }] }], generationConfig: { candidateCount: 2, seed: 7 }, safetySettings: [] }, target);
    expect(req.extensions.map((f) => [f.path, f.policy])).toEqual([
      ['safetySettings', 'hint'],
      ['generationConfig.candidateCount', 'contract'],
      ['generationConfig.seed', 'sampling'],
    ]);
    expect(() => openAIChatCodec.encodeRequest(req, { model: 'gpt-4o-mini', defaultMaxTokens: 100, strict: false })).toThrow(/candidateCount/);
    // The Gemini encoder puts its own fields back where they were.
    const same = decodeGeminiRequest({ contents: [{ parts: [{ text: 'x' }] }], generationConfig: { seed: 7 }, safetySettings: [{ category: 'HARM_CATEGORY_HATE_SPEECH', threshold: 'BLOCK_NONE' }] }, target);
    expect(geminiCodec.encodeRequest(same, { model: 'm', defaultMaxTokens: 1, strict: true }).body).toMatchObject({ generationConfig: { seed: 7 }, safetySettings: [{ category: 'HARM_CATEGORY_HATE_SPEECH' }] });
  });

  it('maps thinkingConfig to canonical reasoning and back to Anthropic thinking', () => {
    const req = decodeGeminiRequest({ contents: [{ parts: [{ text: 'x' }] }], generationConfig: { thinkingConfig: { thinkingBudget: 2048, includeThoughts: true }, maxOutputTokens: 4096 } }, target);
    expect(req.reasoning).toEqual({ type: 'budget', budgetTokens: 2048 });
    expect(anthropicMessagesCodec.encodeRequest(req, { model: 'claude-sonnet-4-5', defaultMaxTokens: 1024, strict: true }).body).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 2048 }, max_tokens: 4096 });
    expect(decodeGeminiRequest({ contents: [{ parts: [{ text: 'x' }] }], generationConfig: { thinkingConfig: { thinkingLevel: 'HIGH' } } }, target).reasoning).toEqual({ type: 'effort', effort: 'high' });
    expect(decodeGeminiRequest({ contents: [{ parts: [{ text: 'x' }] }], generationConfig: { thinkingConfig: { thinkingBudget: 0 } } }, target).reasoning).toEqual({ type: 'disabled' });
  });
});

describe('requests to Gemini', () => {
  const base = { source: 'anthropic-messages' as const, model: 'gemini-2.5-flash', stream: false, includeUsage: false, system: [], tools: [], stopSequences: [], extensions: [], raw: {} };
  const options = { model: 'gemini-2.5-flash', defaultMaxTokens: 1024, strict: false };

  it('a tool result with an image: the functionResponse, then the image inline, in one user turn', () => {
    const { body } = geminiCodec.encodeRequest(
      {
        ...base,
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'look' }] },
          { role: 'assistant', content: [{ type: 'tool-call', id: 't1', name: 'screenshot', input: {} }] },
          {
            role: 'user',
            content: [{ type: 'tool-result', toolCallId: 't1', isError: false, content: [{ type: 'text', text: 'done' }, { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AAAA' } }] }],
          },
        ],
      },
      options,
    );
    expect(body.contents[2]).toEqual({
      role: 'user',
      parts: [{ functionResponse: { name: 'screenshot', response: { output: 'done' } } }, { inlineData: { mimeType: 'image/png', data: 'AAAA' } }],
    });
  });

  it('a JSON object result is given as that object; a result answering no call is refused', () => {
    const messages = (result: string, id = 't1') => [
      { role: 'user' as const, content: [{ type: 'text' as const, text: 'go' }] },
      { role: 'assistant' as const, content: [{ type: 'tool-call' as const, id: 't1', name: 'f', input: {} }] },
      { role: 'user' as const, content: [{ type: 'tool-result' as const, toolCallId: id, isError: false, content: [{ type: 'text' as const, text: result }] }] },
    ];
    expect(geminiCodec.encodeRequest({ ...base, messages: messages('{"temp":18}') }, options).body.contents[2]!.parts).toEqual([{ functionResponse: { name: 'f', response: { temp: 18 } } }]);
    expect(() => geminiCodec.encodeRequest({ ...base, messages: messages('x', 'nope') }, options)).toThrow(/answers no tool call/);
  });

  it('a data: URL image goes inline; a file id of another provider is refused', () => {
    const img = (url: string) => ({ ...base, messages: [{ role: 'user' as const, content: [{ type: 'image' as const, source: { kind: 'url' as const, url } }] }] });
    expect(geminiCodec.encodeRequest(img('data:image/jpeg;base64,/9j/'), options).body.contents[0]!.parts).toEqual([{ inlineData: { mimeType: 'image/jpeg', data: '/9j/' } }]);
    const file = { ...base, messages: [{ role: 'user' as const, content: [{ type: 'document' as const, source: { kind: 'file' as const, fileId: 'file-abc' } }] }] };
    expect(() => geminiCodec.encodeRequest(file, options)).toThrow(/belongs to another provider/);
  });
});

describe('the stream encoder for Gemini clients', () => {
  it('writes Google’s CRLF framing, a call whole with its signature, and usage with the finish reason', () => {
    const encoder = geminiCodec.createStreamEncoder({ model: 'gpt-4o-mini', id: 'resp1', created: 0, includeUsage: false });
    const out = [
      encoder.push({ type: 'start', usage: { inputUncached: 10 } }),
      encoder.push({ type: 'text-delta', text: 'Hi' }),
      encoder.push({ type: 'signature', signature: 'c2ln' }),
      encoder.push({ type: 'tool-call-start', index: 0, id: 'call_1', name: 'f' }),
      encoder.push({ type: 'tool-call-delta', index: 0, argsJson: '{"a":' }),
      encoder.push({ type: 'tool-call-delta', index: 0, argsJson: '1}' }),
      encoder.push({ type: 'finish', stopReason: 'tool-calls', usage: { inputUncached: 10, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 5, reasoning: 0 } }),
    ].join('');
    const frames = out.split('\r\n\r\n').filter((f) => f !== '');
    expect(frames.map((f) => JSON.parse(f.slice('data: '.length)) as unknown)).toEqual([
      { candidates: [{ content: { parts: [{ text: 'Hi' }], role: 'model' }, index: 0 }], modelVersion: 'gpt-4o-mini', responseId: 'resp1' },
      {
        candidates: [{ content: { parts: [{ functionCall: { id: 'call_1', name: 'f', args: { a: 1 } }, thoughtSignature: 'c2ln' }], role: 'model' }, finishReason: 'STOP', index: 0 }],
        usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
        modelVersion: 'gpt-4o-mini',
        responseId: 'resp1',
      },
    ]);
    expect(encoder.finished).toBe(true);
  });
});
