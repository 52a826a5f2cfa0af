/** The request span's name and attributes (GenAI semantic conventions), and the captured messages, as pure mappings. */
import { describe, expect, it } from 'vitest';
import { finishReason, genAiProvider, inputContent, operationOf, outputContent, requestSpan, type RequestFacts } from '../../../src/app/adapters/trace-attributes.js';
import type { CanonicalRequest } from '../../../src/wire/canonical.js';

const facts = (over: Partial<RequestFacts> = {}): RequestFacts => ({
  clientFormat: 'anthropic-messages',
  requestId: 'req_1',
  agent: 'coder',
  requestModel: 'claude-sonnet-4-5',
  provider: 'main',
  providerType: 'anthropic',
  upstreamModel: 'claude-sonnet-4-5-20250929',
  responseModel: 'claude-sonnet-4-5-20250929',
  stream: true,
  status: 200,
  errorCode: null,
  attempts: 1,
  fallbackFrom: null,
  routeRule: null,
  usage: { inputUncached: 100, cacheRead: 50, cacheWrite5m: 20, cacheWrite1h: 5, output: 40, reasoning: 0 },
  estimated: false,
  costUsd: 0.0012,
  stopReason: 'tool-calls',
  ...over,
});

describe('requestSpan', () => {
  it('names the span `{operation} {model}` and reports usage with cached input included in input_tokens', () => {
    const s = requestSpan(facts());
    expect(s.name).toBe('chat claude-sonnet-4-5');
    expect(s.failed).toBe(false);
    expect(s.attributes).toEqual({
      'ai_gateway.request_id': 'req_1',
      'ai_gateway.agent': 'coder',
      'ai_gateway.client_format': 'anthropic-messages',
      'http.response.status_code': 200,
      'ai_gateway.attempts': 1,
      'gen_ai.request.stream': true,
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.system': 'anthropic',
      'ai_gateway.provider': 'main',
      'ai_gateway.upstream_model': 'claude-sonnet-4-5-20250929',
      'gen_ai.response.model': 'claude-sonnet-4-5-20250929',
      'gen_ai.usage.input_tokens': 175,
      'gen_ai.usage.output_tokens': 40,
      'gen_ai.usage.cache_read.input_tokens': 50,
      'gen_ai.usage.cache_creation.input_tokens': 25,
      'ai_gateway.cost_estimated': false,
      'ai_gateway.cost_usd': 0.0012,
      'gen_ai.response.finish_reasons': ['tool_call'],
    });
  });

  it('a failure is an error with error.type; a client that left is not, as in the audit', () => {
    const failed = requestSpan(facts({ status: 429, errorCode: 'rate_limit_exceeded', usage: undefined, costUsd: undefined, stopReason: undefined, responseModel: undefined }));
    expect(failed.failed).toBe(true);
    expect(failed.attributes['error.type']).toBe('rate_limit_exceeded');
    expect(failed.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect(failed.attributes['ai_gateway.cost_usd']).toBeUndefined();
    expect(failed.attributes['gen_ai.response.model']).toBeUndefined();
    const left = requestSpan(facts({ status: 499, errorCode: 'client_closed' }));
    expect(left.failed).toBe(false);
    expect(left.attributes['error.type']).toBe('client_closed');
  });

  it('an unpriced call has no cost; an estimated one says so; a fallback and a routing rule are named', () => {
    const s = requestSpan(facts({ costUsd: undefined, estimated: true, fallbackFrom: 'primary', routeRule: 'background' }));
    expect(s.attributes['ai_gateway.cost_usd']).toBeUndefined();
    expect(s.attributes['ai_gateway.cost_estimated']).toBe(true);
    expect(s.attributes['ai_gateway.fallback_from']).toBe('primary');
    expect(s.attributes['ai_gateway.route_rule']).toBe('background');
  });

  it('side calls: embeddings are a GenAI operation, token counting and pass-through are not', () => {
    expect(requestSpan(facts({ clientFormat: 'openai-embeddings', requestModel: 'text-embedding-3-small' })).name).toBe('embeddings text-embedding-3-small');
    const count = requestSpan(facts({ clientFormat: 'anthropic-count-tokens' }));
    expect(count.name).toBe('count_tokens claude-sonnet-4-5');
    expect(count.attributes['gen_ai.operation.name']).toBeUndefined();
    const pass = requestSpan(facts({ clientFormat: 'passthrough', requestModel: '', upstreamModel: null }));
    expect(pass.name).toBe('passthrough');
    expect(operationOf('gemini')).toEqual({ genAi: 'generate_content', name: 'generate_content' });
  });

  it('maps provider types and stop reasons to the conventions’ values', () => {
    expect(['openai', 'anthropic', 'gemini', 'azure', 'mock'].map(genAiProvider)).toEqual(['openai', 'anthropic', 'gcp.gemini', 'azure.ai.openai', 'mock']);
    expect((['stop', 'stop-sequence', 'length', 'context-length', 'tool-calls', 'content-filter', 'pause', 'other'] as const).map(finishReason)).toEqual([
      'stop',
      'stop',
      'length',
      'length',
      'tool_call',
      'content_filter',
      'pause',
      'other',
    ]);
  });
});

describe('captured content', () => {
  it('writes system instructions and messages with tool calls and results, leaving image bytes out', () => {
    const request = {
      system: [{ type: 'text', text: 'be brief' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'weather?' }, { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBORw0KGgo' } }] },
        { role: 'assistant', content: [{ type: 'thinking', text: 'use the tool' }, { type: 'tool-call', id: 'call_1', name: 'weather', input: { city: 'Oslo' } }] },
        { role: 'user', content: [{ type: 'tool-result', toolCallId: 'call_1', isError: false, content: [{ type: 'text', text: 'rain' }] }] },
      ],
    } as unknown as CanonicalRequest;
    const a = inputContent(request);
    expect(JSON.parse(a['gen_ai.system_instructions'] as string)).toEqual([{ type: 'text', content: 'be brief' }]);
    expect(JSON.parse(a['gen_ai.input.messages'] as string)).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'weather?' }, { type: 'image' }] },
      { role: 'assistant', parts: [{ type: 'reasoning', content: 'use the tool' }, { type: 'tool_call', id: 'call_1', name: 'weather', arguments: { city: 'Oslo' } }] },
      { role: 'user', parts: [{ type: 'tool_call_response', id: 'call_1', response: 'rain' }] },
    ]);
    expect(a['gen_ai.input.messages']).not.toContain('iVBORw0KGgo');
    expect(JSON.parse(outputContent([{ type: 'text', content: 'done' }], 'stop'))).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'done' }], finish_reason: 'stop' }]);
  });
});
