/** The request-decoding pieces every codec shares (src/wire/shared/request-decoding.ts). */
import { describe, expect, it } from 'vitest';
import { decodeResponsesRequest } from '../../../src/wire/openai-responses/decode-request.js';
import { canonicalRequest, decodeOpenAIEffort, functionTool, untypedFields } from '../../../src/wire/shared/request-decoding.js';

describe('untypedFields', () => {
  const classes = {
    known: new Set(['model']),
    hint: new Set(['store']),
    sampling: new Set(['seed']),
    contract: new Set(['background']),
    contractReason: 'it is stateful',
    defaults: { background: false },
  };

  it('sorts every field outside `known` by class, giving contract fields their reason', () => {
    const body = { model: 'm', store: true, seed: 7, background: true, brand_new: 1, nothing: null };
    expect(untypedFields(body, 'openai-responses', classes)).toEqual([
      { format: 'openai-responses', path: 'store', value: true, policy: 'hint' },
      { format: 'openai-responses', path: 'seed', value: 7, policy: 'sampling' },
      { format: 'openai-responses', path: 'background', value: true, policy: 'contract', reason: 'it is stateful' },
      { format: 'openai-responses', path: 'brand_new', value: 1, policy: 'unknown' },
    ]);
  });

  it('leaves out a field sent with its default value, and only that value', () => {
    expect(untypedFields({ model: 'm', background: false }, 'openai-responses', classes)).toEqual([]);
    // A key that is only on Object.prototype is no default.
    expect(untypedFields({ model: 'm', toString: 'x' }, 'openai-responses', classes)).toEqual([
      { format: 'openai-responses', path: 'toString', value: 'x', policy: 'unknown' },
    ]);
  });

  it('is what the Responses decoder uses: background:false is no stateful request', () => {
    expect(decodeResponsesRequest({ model: 'm', input: 'hi', background: false }).extensions).toEqual([]);
    expect(decodeResponsesRequest({ model: 'm', input: 'hi', background: true }).extensions).toMatchObject([
      { path: 'background', policy: 'contract', reason: expect.stringMatching(/stateful/) as unknown },
    ]);
  });
});

describe('decodeOpenAIEffort', () => {
  it('reads none as disabled, a known effort as itself, and names the field it was given otherwise', () => {
    expect(decodeOpenAIEffort(undefined, 'reasoning_effort')).toBeUndefined();
    expect(decodeOpenAIEffort('none', 'reasoning_effort')).toEqual({ type: 'disabled' });
    expect(decodeOpenAIEffort('xhigh', 'reasoning.effort')).toEqual({ type: 'effort', effort: 'xhigh' });
    expect(() => decodeOpenAIEffort('huge', 'reasoning.effort')).toThrow(/`reasoning.effort` must be one of/);
  });
});

describe('functionTool', () => {
  it('keeps description and a boolean strict, and gives a tool without a schema an empty object schema', () => {
    expect(functionTool('f', { description: 'd', strict: true, input_schema: { type: 'object' } }, 'input_schema')).toEqual({
      type: 'function',
      name: 'f',
      description: 'd',
      inputSchema: { type: 'object' },
      strict: true,
    });
    expect(functionTool('g', { strict: 'yes', parameters: 'not a schema' }, 'parameters')).toEqual({
      type: 'function',
      name: 'g',
      inputSchema: { type: 'object', properties: {} },
    });
  });
});

describe('canonicalRequest', () => {
  it('trims the model, keeps the body as raw, and leaves out what was not sent', () => {
    const body = { model: ' m ', messages: [] };
    const request = canonicalRequest('anthropic-messages', body, {
      stream: false,
      maxTokens: undefined,
      system: [],
      messages: [],
      tools: [],
      temperature: 0.5,
      topK: undefined,
      stopSequences: [],
      extensions: [],
    });
    expect(request).toEqual({
      source: 'anthropic-messages',
      model: 'm',
      stream: false,
      includeUsage: false,
      system: [],
      messages: [],
      tools: [],
      temperature: 0.5,
      stopSequences: [],
      extensions: [],
      raw: body,
    });
    expect(Object.keys(request)).not.toContain('maxTokens');
    expect(Object.keys(request)).not.toContain('topK');
  });
});
