/**
 * Random canonical conversations survive encode → decode for each format, over the subset of the
 * canonical model each format can express (e.g. OpenAI carries no thinking, Anthropic no `n`).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  AssistantPart,
  CanonicalMessage,
  CanonicalRequest,
  ToolResultPart,
  UserPart,
} from '../../../src/wire/canonical.js';
import { anthropicMessagesCodec } from '../../../src/wire/anthropic-messages/index.js';
import { openAIChatCodec } from '../../../src/wire/openai-chat/index.js';

const word = fc.stringMatching(/^[A-Za-z0-9 .,!?é☕]{1,12}$/).filter((s) => s.trim() === s && s !== '');
const toolName = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_-]{0,20}$/);
const toolId = fc.stringMatching(/^[a-zA-Z0-9_-]{4,16}$/);
const jsonObject = fc.dictionary(
  fc.stringMatching(/^[a-z]{1,6}$/),
  fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null)),
  { maxKeys: 3 },
);
const cacheControl = fc.option(fc.constantFrom({ type: 'ephemeral' as const }, { type: 'ephemeral' as const, ttl: '1h' as const }), { nil: undefined });
const withCc = <T extends object>(part: T, cc: { type: 'ephemeral'; ttl?: '1h' } | undefined): T => (cc === undefined ? part : { ...part, cacheControl: cc });

type Style = 'openai' | 'anthropic';

function userParts(style: Style): fc.Arbitrary<UserPart[]> {
  const text = style === 'openai' ? word.map((t): UserPart => ({ type: 'text', text: t })) : fc.tuple(word, cacheControl).map(([t, cc]): UserPart => withCc({ type: 'text', text: t }, cc));
  const image = fc.oneof(
    fc.tuple(fc.constantFrom('image/png', 'image/jpeg', 'image/webp', 'image/gif'), fc.base64String({ minLength: 4, maxLength: 12 })).map(
      ([mediaType, data]): UserPart => ({ type: 'image', source: { kind: 'base64', mediaType, data } }),
    ),
    fc.webUrl({ validSchemes: ['https'] }).map((url): UserPart => ({ type: 'image', source: { kind: 'url', url } })),
  );
  const openaiImage = fc.tuple(image, fc.option(fc.constantFrom('low' as const, 'high' as const, 'auto' as const), { nil: undefined })).map(([img, detail]) =>
    detail === undefined || img.type !== 'image' ? img : { ...img, detail },
  );
  const pdf = fc.tuple(fc.base64String({ minLength: 4, maxLength: 12 }), word).map(
    ([data, title]): UserPart => ({ type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data }, title }),
  );
  const textDoc = word.map((data): UserPart => ({ type: 'document', source: { kind: 'text', data } }));
  const part = style === 'openai' ? fc.oneof(text, openaiImage, pdf) : fc.oneof(text, image, pdf, textDoc);
  return fc.array(part, { minLength: 1, maxLength: 3 });
}

function assistantParts(style: Style): fc.Arbitrary<AssistantPart[]> {
  const call = fc.tuple(toolId, toolName, jsonObject).map(([id, name, input]): AssistantPart => ({ type: 'tool-call', id, name, input }));
  const calls = fc.uniqueArray(call, { maxLength: 2, selector: (c) => (c.type === 'tool-call' ? c.id : '') });
  const thinking = fc.array(
    fc.oneof(
      fc.tuple(fc.string({ maxLength: 10 }), fc.base64String({ minLength: 4, maxLength: 12 })).map(([text, signature]): AssistantPart => ({ type: 'thinking', text, signature })),
      fc.base64String({ minLength: 4, maxLength: 12 }).map((data): AssistantPart => ({ type: 'redacted-thinking', data })),
    ),
    { maxLength: style === 'anthropic' ? 2 : 0 },
  );
  return fc
    .tuple(thinking, fc.option(word, { nil: undefined }), calls)
    .map(([think, text, tools]) => [...think, ...(text === undefined ? [] : [{ type: 'text' as const, text }]), ...tools])
    .filter((parts) => parts.some((p) => p.type === 'text' || p.type === 'tool-call'));
}

function conversation(style: Style): fc.Arbitrary<CanonicalMessage[]> {
  return fc.array(fc.tuple(userParts(style), assistantParts(style), fc.boolean()), { minLength: 1, maxLength: 4 }).map((turns) => {
    const messages: CanonicalMessage[] = [];
    let pendingCalls: string[] = [];
    turns.forEach(([user, assistant, isError], i) => {
      const results: ToolResultPart[] = pendingCalls.map((id) => ({
        type: 'tool-result',
        toolCallId: id,
        content: [{ type: 'text', text: `result ${id}` }],
        isError: style === 'anthropic' ? isError : false,
      }));
      messages.push({ role: 'user', content: [...results, ...user] });
      if (i < turns.length - 1 || turns.length % 2 === 0) {
        messages.push({ role: 'assistant', content: assistant });
        pendingCalls = assistant.flatMap((p) => (p.type === 'tool-call' ? [p.id] : []));
      }
    });
    // A final assistant turn must not leave calls unanswered.
    const last = messages[messages.length - 1];
    if (last?.role === 'assistant' && last.content.some((p) => p.type === 'tool-call')) {
      messages.push({ role: 'user', content: pendingCalls.map((id): UserPart => ({ type: 'tool-result', toolCallId: id, content: [{ type: 'text', text: 'ok' }], isError: false })) });
    }
    return messages;
  });
}

function tools(style: Style) {
  return fc.uniqueArray(
    fc.tuple(toolName, fc.option(word, { nil: undefined }), style === 'anthropic' ? cacheControl : fc.constant(undefined)).map(([name, description, cc]) =>
      withCc({ type: 'function' as const, name, ...(description === undefined ? {} : { description }), inputSchema: { type: 'object', properties: { q: { type: 'string' } } } }, cc),
    ),
    { maxLength: 3, selector: (t) => t.name },
  );
}

const openAIRequest: fc.Arbitrary<CanonicalRequest> = fc
  .record({
    stream: fc.boolean(),
    maxTokens: fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: undefined }),
    system: fc.array(word.map((text) => ({ type: 'text' as const, text })), { maxLength: 2 }),
    messages: conversation('openai'),
    tools: tools('openai'),
    temperature: fc.option(fc.integer({ min: 0, max: 20 }).map((n) => n / 10), { nil: undefined }),
    topP: fc.option(fc.integer({ min: 1, max: 10 }).map((n) => n / 10), { nil: undefined }),
    stopSequences: fc.array(word, { maxLength: 4 }),
    effort: fc.option(fc.constantFrom('low', 'medium', 'high', 'minimal') as fc.Arbitrary<'low'>, { nil: undefined }),
    user: fc.option(word, { nil: undefined }),
    parallel: fc.option(fc.boolean(), { nil: undefined }),
    schema: fc.option(fc.tuple(toolName, fc.boolean()), { nil: undefined }),
  })
  .map((r) => ({
    source: 'openai-chat' as const,
    model: 'm',
    stream: r.stream,
    ...(r.maxTokens === undefined ? {} : { maxTokens: r.maxTokens }),
    includeUsage: r.stream,
    system: r.system,
    messages: r.messages,
    tools: r.tools,
    ...(r.tools.length > 0 ? { toolChoice: { type: 'tool' as const, name: r.tools[0]?.name ?? '' } } : {}),
    ...(r.parallel === undefined || r.tools.length === 0 ? {} : { parallelToolCalls: r.parallel }),
    ...(r.temperature === undefined ? {} : { temperature: r.temperature }),
    ...(r.topP === undefined ? {} : { topP: r.topP }),
    stopSequences: r.stopSequences,
    ...(r.effort === undefined ? {} : { reasoning: { type: 'effort' as const, effort: r.effort } }),
    ...(r.schema === undefined ? {} : { responseFormat: { type: 'json_schema' as const, name: r.schema[0], schema: { type: 'object' }, strict: r.schema[1] } }),
    ...(r.user === undefined ? {} : { user: r.user }),
    extensions: [],
    raw: {},
  }));

const anthropicRequest: fc.Arbitrary<CanonicalRequest> = fc
  .record({
    stream: fc.boolean(),
    maxTokens: fc.integer({ min: 2048, max: 100_000 }),
    system: fc.array(fc.tuple(word, cacheControl).map(([text, cc]) => withCc({ type: 'text' as const, text }, cc)), { maxLength: 2 }),
    messages: conversation('anthropic'),
    tools: tools('anthropic'),
    sampling: fc.option(fc.record({ temperature: fc.integer({ min: 0, max: 10 }).map((n) => n / 10), topK: fc.integer({ min: 1, max: 50 }) }), { nil: undefined }),
    stopSequences: fc.array(word, { maxLength: 6 }),
    reasoning: fc.option(
      fc.oneof(
        fc.integer({ min: 1024, max: 2000 }).map((budgetTokens) => ({ type: 'budget' as const, budgetTokens })),
        fc.constantFrom('low', 'high', 'max').map((effort) => ({ type: 'adaptive' as const, effort: effort as 'low' })),
        fc.constant({ type: 'disabled' as const }),
      ),
      { nil: undefined },
    ),
    noParallel: fc.boolean(),
    user: fc.option(word, { nil: undefined }),
    schema: fc.boolean(),
  })
  .map((r) => {
    const thinking = r.reasoning !== undefined && r.reasoning.type !== 'disabled';
    return {
      source: 'anthropic-messages' as const,
      model: 'claude',
      stream: r.stream,
      maxTokens: r.maxTokens,
      includeUsage: false,
      system: r.system,
      messages: r.messages,
      tools: r.tools,
      ...(r.tools.length > 0 ? { toolChoice: thinking ? { type: 'auto' as const } : { type: 'required' as const } } : {}),
      ...(r.noParallel && r.tools.length > 0 ? { parallelToolCalls: false } : {}),
      ...(r.sampling === undefined || thinking ? {} : { temperature: r.sampling.temperature, topK: r.sampling.topK }),
      stopSequences: r.stopSequences,
      ...(r.reasoning === undefined ? {} : { reasoning: r.reasoning }),
      ...(r.schema ? { responseFormat: { type: 'json_schema' as const, schema: { type: 'object' } } } : {}),
      ...(r.user === undefined ? {} : { user: r.user }),
      extensions: [],
      raw: {},
    };
  });

const strip = ({ raw: _raw, ...rest }: CanonicalRequest) => rest;

describe('canonical requests survive encode → decode', () => {
  it('OpenAI chat', () => {
    fc.assert(
      fc.property(openAIRequest, (request) => {
        const encoded = openAIChatCodec.encodeRequest(request, { model: 'm', defaultMaxTokens: 4096, strict: true });
        expect(encoded.dropped).toEqual([]);
        const decoded = openAIChatCodec.decodeRequest(JSON.parse(JSON.stringify(encoded.body)));
        expect(strip(decoded)).toEqual(strip(request));
      }),
      { numRuns: 300 },
    );
  });

  it('Anthropic messages', () => {
    fc.assert(
      fc.property(anthropicRequest, (request) => {
        const encoded = anthropicMessagesCodec.encodeRequest(request, { model: 'claude', defaultMaxTokens: 4096, strict: true });
        expect(encoded.dropped).toEqual([]);
        const decoded = anthropicMessagesCodec.decodeRequest(JSON.parse(JSON.stringify(encoded.body)));
        expect(strip(decoded)).toEqual(strip(request));
      }),
      { numRuns: 300 },
    );
  });
});
