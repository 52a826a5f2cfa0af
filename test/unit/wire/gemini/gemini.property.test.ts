/**
 * The Gemini codec under random input: canonical → Gemini → canonical keeps requests and responses (over what
 * Gemini can say: call ids are positional in a request, as Gemini has none), and any byte split of a
 * `streamGenerateContent` stream decodes to the same events as the whole.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AssistantPart, CanonicalMessage, CanonicalRequest, CanonicalResponse, CanonicalStreamEvent, StopReason, ToolResultPart, UserPart } from '../../../../src/wire/canonical.js';
import { geminiCodec } from '../../../../src/wire/gemini/index.js';
import { decodeGeminiRequest } from '../../../../src/wire/gemini/decode-request.js';
import { createSseReader } from '../../../../src/wire/sse.js';

const word = fc.stringMatching(/^[A-Za-z0-9 .,!?é☕]{1,12}$/).filter((s) => s.trim() === s && s !== '');
const toolName = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_-]{0,20}$/);
const signature = fc.base64String({ minLength: 4, maxLength: 16 }).filter((s) => s !== '');
const jsonObject = fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 3 });

const userParts: fc.Arbitrary<UserPart[]> = fc.array(
  fc.oneof(
    word.map((text): UserPart => ({ type: 'text', text })),
    fc.tuple(fc.constantFrom('image/png', 'image/jpeg', 'image/webp'), fc.base64String({ minLength: 4, maxLength: 12 })).map(
      ([mediaType, data]): UserPart => ({ type: 'image', source: { kind: 'base64', mediaType, data } }),
    ),
    fc.base64String({ minLength: 4, maxLength: 12 }).map((data): UserPart => ({ type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data } })),
  ),
  { minLength: 1, maxLength: 3 },
);

/** Model turns as Gemini has them: signed thoughts, a signature alone before a part, text, calls. */
function modelParts(idOf: (i: number) => string): fc.Arbitrary<AssistantPart[]> {
  const thought = fc.tuple(word, fc.option(signature, { nil: undefined })).map(([text, sig]): AssistantPart => ({ type: 'thinking', text, ...(sig === undefined ? {} : { signature: sig }) }));
  const calls = fc.array(fc.tuple(toolName, jsonObject, fc.option(signature, { nil: undefined })), { maxLength: 2 });
  return fc.tuple(fc.option(thought, { nil: undefined }), fc.option(word, { nil: undefined }), calls).map(([think, text, tools]) => {
    const parts: AssistantPart[] = [];
    if (think !== undefined) parts.push(think);
    if (text !== undefined) parts.push({ type: 'text', text });
    tools.forEach(([name, input, sig], i) => {
      if (sig !== undefined) parts.push({ type: 'thinking', text: '', signature: sig });
      parts.push({ type: 'tool-call', id: idOf(i), name, input });
    });
    return parts.length === 0 ? [{ type: 'text', text: 'ok' }] : parts;
  });
}

const conversation: fc.Arbitrary<CanonicalMessage[]> = fc
  .array(fc.tuple(userParts, modelParts((i) => `id${i}`), fc.boolean()), { minLength: 1, maxLength: 4 })
  .map((turns) => {
    const messages: CanonicalMessage[] = [];
    let pending: string[] = [];
    turns.forEach(([user, assistant, isError], turn) => {
      const results: ToolResultPart[] = pending.map((id) => ({ type: 'tool-result', toolCallId: id, content: [{ type: 'text', text: `result ${id}` }], isError }));
      messages.push({ role: 'user', content: [...results, ...user] });
      if (turn < turns.length - 1) {
        // Ids unique across the conversation, as clients keep them.
        const content = assistant.map((p) => (p.type === 'tool-call' ? { ...p, id: `t${turn}-${p.id}` } : p));
        messages.push({ role: 'assistant', content });
        pending = content.flatMap((p) => (p.type === 'tool-call' ? [p.id] : []));
      }
    });
    return messages;
  });

/** Call ids by order of appearance: what survives a format whose calls have no ids. */
function renumber(messages: CanonicalMessage[]): CanonicalMessage[] {
  const ids = new Map<string, string>();
  const idOf = (id: string): string => {
    if (!ids.has(id)) ids.set(id, `#${ids.size}`);
    return ids.get(id)!;
  };
  return messages.map((m) =>
    m.role === 'assistant'
      ? { ...m, content: m.content.map((p) => (p.type === 'tool-call' ? { ...p, id: idOf(p.id) } : p)) }
      : { ...m, content: m.content.map((p) => (p.type === 'tool-result' ? { ...p, toolCallId: idOf(p.toolCallId) } : p)) },
  );
}

const schemaArb = fc.constantFrom(
  { type: 'object', properties: { location: { type: 'string', description: 'City' } }, required: ['location'] },
  { type: 'object', properties: { n: { type: 'integer', minimum: 1 }, tags: { type: 'array', items: { type: 'string', enum: ['a', 'b'] } } } },
  { type: 'object', properties: { maybe: { type: ['string', 'null'] } } },
);

const request: fc.Arbitrary<CanonicalRequest> = fc
  .record({
    messages: conversation,
    system: fc.array(word, { maxLength: 2 }),
    tools: fc.uniqueArray(fc.tuple(toolName, fc.option(word, { nil: undefined }), schemaArb), { maxLength: 2, selector: ([n]) => n }),
    temperature: fc.option(fc.double({ min: 0, max: 2, noNaN: true }), { nil: undefined }),
    topP: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
    topK: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
    maxTokens: fc.option(fc.integer({ min: 1, max: 65536 }), { nil: undefined }),
    stop: fc.array(word, { maxLength: 2 }),
    stream: fc.boolean(),
    choice: fc.option(fc.constantFrom({ type: 'auto' as const }, { type: 'required' as const }, { type: 'none' as const }), { nil: undefined }),
    reasoning: fc.option(
      fc.oneof(
        fc.constant({ type: 'disabled' as const }),
        fc.integer({ min: 128, max: 32768 }).map((budgetTokens) => ({ type: 'budget' as const, budgetTokens })),
        fc.constant({ type: 'adaptive' as const }),
      ),
      { nil: undefined },
    ),
  })
  .map((r) => ({
    source: 'openai-chat',
    model: 'gemini-2.5-flash',
    stream: r.stream,
    includeUsage: false,
    system: r.system.map((text) => ({ type: 'text' as const, text })),
    messages: r.messages,
    tools: r.tools.map(([name, description, inputSchema]) => ({ type: 'function' as const, name, ...(description === undefined ? {} : { description }), inputSchema })),
    ...(r.tools.length > 0 && r.choice !== undefined ? { toolChoice: r.choice } : {}),
    ...(r.temperature === undefined ? {} : { temperature: r.temperature }),
    ...(r.topP === undefined ? {} : { topP: r.topP }),
    ...(r.topK === undefined ? {} : { topK: r.topK }),
    ...(r.maxTokens === undefined ? {} : { maxTokens: r.maxTokens }),
    stopSequences: r.stop,
    ...(r.reasoning === undefined ? {} : { reasoning: r.reasoning }),
    extensions: [],
    raw: {},
  }));

describe('canonical → Gemini → canonical', () => {
  it('requests keep system, turns, tools, choice, sampling, limits and thinking', () => {
    fc.assert(
      fc.property(request, (req) => {
        const { body, dropped } = geminiCodec.encodeRequest(req, { model: req.model, defaultMaxTokens: 4096, strict: true });
        expect(dropped).toEqual([]);
        const back = decodeGeminiRequest(JSON.parse(JSON.stringify(body)), { model: req.model, stream: req.stream });
        expect(renumber(back.messages)).toEqual(renumber(req.messages));
        expect(back.system).toEqual(req.system);
        expect(back.tools).toEqual(req.tools);
        expect(back.toolChoice).toEqual(req.toolChoice);
        expect([back.temperature, back.topP, back.topK, back.maxTokens, back.stream]).toEqual([req.temperature, req.topP, req.topK, req.maxTokens, req.stream]);
        expect(back.stopSequences).toEqual(req.stopSequences);
        expect(back.reasoning).toEqual(req.reasoning);
        expect(back.extensions).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  const usage = fc
    .record({ inputUncached: fc.nat(100000), cacheRead: fc.nat(100000), output: fc.nat(10000), reasoning: fc.nat(10000) })
    .map((u) => ({ ...u, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: Math.min(u.reasoning, u.output) }));
  const response: fc.Arbitrary<CanonicalResponse> = fc
    .tuple(modelParts((i) => `call_${i}`), usage, fc.constantFrom<StopReason>('stop', 'length', 'content-filter', 'other'), fc.stringMatching(/^[A-Za-z0-9]{10,23}$/))
    .map(([content, u, stop, id]) => ({
      id,
      model: 'gemini-2.5-flash',
      content,
      stopReason: content.some((p) => p.type === 'tool-call') && stop === 'stop' ? 'tool-calls' : stop,
      usage: u,
    }));

  it('responses keep parts, call ids, the stop reason and the usage (cached tokens inside the prompt count, thoughts inside output)', () => {
    fc.assert(
      fc.property(response, (res) => {
        const body = geminiCodec.encodeResponse(res, { model: res.model });
        expect(geminiCodec.decodeResponse(JSON.parse(JSON.stringify(body)))).toEqual(res);
      }),
      { numRuns: 300 },
    );
  });

  /** The events a decoder would give for a response, streamed in pieces. */
  function eventsOf(res: CanonicalResponse, pieces: number): CanonicalStreamEvent[] {
    const events: CanonicalStreamEvent[] = [{ type: 'start', id: res.id, model: res.model, usage: { inputUncached: res.usage.inputUncached, cacheRead: res.usage.cacheRead } }];
    let tool = 0;
    for (const part of res.content) {
      if (part.type === 'text' || part.type === 'thinking') {
        const kind = part.type === 'text' ? 'text-delta' : 'thinking-delta';
        const size = Math.max(1, Math.ceil(part.text.length / pieces));
        for (let i = 0; i < part.text.length; i += size) events.push(kind === 'text-delta' ? { type: kind, text: part.text.slice(i, i + size) } : { type: kind, text: part.text.slice(i, i + size) });
        if (part.type === 'thinking' && part.signature !== undefined) events.push({ type: 'signature', signature: part.signature });
        events.push({ type: 'block-stop' });
      } else if (part.type === 'tool-call') {
        events.push({ type: 'tool-call-start', index: tool, id: part.id, name: part.name }, { type: 'tool-call-delta', index: tool++, argsJson: JSON.stringify(part.input) }, { type: 'block-stop' });
      }
    }
    events.push({ type: 'finish', stopReason: res.stopReason, usage: res.usage });
    return events;
  }

  function decode(chunks: Uint8Array[]): CanonicalStreamEvent[] {
    const decoder = geminiCodec.createStreamDecoder();
    const out: CanonicalStreamEvent[] = [];
    const reader = createSseReader((e) => out.push(...decoder.push(e)));
    for (const c of chunks) reader.feed(c);
    reader.end();
    out.push(...decoder.end());
    return out;
  }

  it('streams: any byte split decodes to the same events, which carry the same answer', () => {
    fc.assert(
      fc.property(response, fc.integer({ min: 1, max: 4 }), fc.array(fc.nat(), { maxLength: 8 }), (res, pieces, cuts) => {
        const encoder = geminiCodec.createStreamEncoder({ model: res.model, id: res.id, created: 0, includeUsage: false });
        const text = eventsOf(res, pieces).map((e) => encoder.push(e)).join('');
        expect(encoder.finished).toBe(true);
        const bytes = new TextEncoder().encode(text);
        const whole = decode([bytes]);
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const parts: Uint8Array[] = [];
        let from = 0;
        for (const p of points) {
          parts.push(bytes.subarray(from, p));
          from = p;
        }
        parts.push(bytes.subarray(from));
        expect(decode(parts)).toEqual(whole);
        expect(decode(Array.from(bytes, (b) => Uint8Array.of(b)))).toEqual(whole);
        // The same answer as the whole response.
        const finish = whole.at(-1);
        expect(finish).toMatchObject({ type: 'finish', stopReason: res.stopReason, usage: res.usage });
        const textOut = whole.flatMap((e) => (e.type === 'text-delta' ? [e.text] : [])).join('');
        expect(textOut).toBe(res.content.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join(''));
        const calls = whole.flatMap((e) => (e.type === 'tool-call-start' ? [[e.id, e.name]] : []));
        expect(calls).toEqual(res.content.flatMap((p) => (p.type === 'tool-call' ? [[p.id, p.name]] : [])));
        const signatures = whole.flatMap((e) => (e.type === 'signature' ? [e.signature] : []));
        expect(signatures).toEqual(res.content.flatMap((p) => (p.type === 'thinking' && p.signature !== undefined ? [p.signature] : [])));
      }),
      { numRuns: 200 },
    );
  });
});
