/** SSE framing helpers and the usage read/write tables of spec §10. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Usage } from '../../../src/core/usage.js';
import { readAnthropicUsage, writeAnthropicUsage } from '../../../src/wire/anthropic-messages/usage.js';
import { isUsageOnlyChunk, readOpenAIUsage, writeOpenAIUsage } from '../../../src/wire/openai-chat/usage.js';
import { readResponsesUsage } from '../../../src/wire/openai-responses/usage.js';
import { createSseReader, formatSse, formatSseComment, formatSseJson, parseSseText } from '../../../src/wire/sse.js';

describe('sse', () => {
  it('formats events with and without names, splitting multi-line data', () => {
    expect(formatSse({ event: 'ping', data: '{}' })).toBe('event: ping\ndata: {}\n\n');
    expect(formatSse({ data: '[DONE]' })).toBe('data: [DONE]\n\n');
    expect(formatSse({ data: 'a\nb' })).toBe('data: a\ndata: b\n\n');
    expect(formatSseJson({ x: 'é' }, 'e')).toBe('event: e\ndata: {"x":"é"}\n\n');
    expect(formatSseComment('keep\nalive')).toBe(': keep alive\n\n');
  });

  it('writes serialised JSON on one data line, as the general formatter would', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.option(fc.constantFrom('ping', 'message_delta'), { nil: undefined }), (value, event) => {
        const data = JSON.stringify(value);
        expect(formatSseJson(value, event)).toBe(formatSse(event === undefined ? { data } : { event, data }));
      }),
    );
  });

  it('parses back what it formats, for any data and any chunking', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.option(fc.stringMatching(/^[a-z_]{1,10}$/), { nil: undefined }), fc.string({ unit: 'grapheme' }))), fc.array(fc.nat()), (events, cuts) => {
        const text = events.map(([event, data]) => formatSse(event === undefined ? { data } : { event, data })).join('');
        const bytes = new TextEncoder().encode(text);
        const seen: Array<{ event?: string | undefined; data: string }> = [];
        const reader = createSseReader((e) => seen.push(e));
        let from = 0;
        for (const cut of [...cuts.map((c) => c % (bytes.length + 1))].sort((a, b) => a - b)) {
          reader.feed(bytes.subarray(from, cut));
          from = cut;
        }
        reader.feed(bytes.subarray(from));
        reader.end();
        const expected = events.map(([event, data]) => ({ ...(event === undefined ? {} : { event }), data: data.replace(/\r\n|\r/g, '\n') }));
        expect(seen).toEqual(expected);
      }),
    );
  });

  it('ignores comments and discards an unterminated trailing event', () => {
    expect(parseSseText(': hi\n\ndata: 1\n\ndata: 2')).toEqual([{ data: '1' }]);
  });
});

const usage: fc.Arbitrary<Usage> = fc
  .record({
    inputUncached: fc.nat(10_000),
    cacheRead: fc.nat(10_000),
    cacheWrite5m: fc.nat(10_000),
    cacheWrite1h: fc.nat(10_000),
    output: fc.nat(10_000),
    reasoningShare: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ reasoningShare, ...u }) => ({ ...u, reasoning: Math.floor(u.output * reasoningShare) }));

describe('usage (spec §10)', () => {
  it('Anthropic write → read is the identity', () => {
    fc.assert(
      fc.property(usage, (u) => {
        expect(readAnthropicUsage(writeAnthropicUsage(u))).toEqual({ usage: u });
      }),
    );
  });

  it('OpenAI write → read keeps every total (the 5m/1h split collapses into one write count)', () => {
    fc.assert(
      fc.property(usage, (u) => {
        const back = readOpenAIUsage(writeOpenAIUsage(u)).usage;
        expect(back).toEqual({ ...u, cacheWrite5m: u.cacheWrite5m + u.cacheWrite1h, cacheWrite1h: 0 });
      }),
    );
  });

  it('OpenAI prompt_tokens includes cache reads and writes; reasoning stays inside completion_tokens', () => {
    fc.assert(
      fc.property(usage, (u) => {
        const w = writeOpenAIUsage(u) as { prompt_tokens: number; completion_tokens: number; total_tokens: number };
        expect(w.prompt_tokens).toBe(u.inputUncached + u.cacheRead + u.cacheWrite5m + u.cacheWrite1h);
        expect(w.completion_tokens).toBe(u.output);
        expect(w.total_tokens).toBe(w.prompt_tokens + w.completion_tokens);
      }),
    );
  });

  it('reads the tables exactly; a side with no count, or with a count that is none, is reported missing', () => {
    expect(readOpenAIUsage({ prompt_tokens: 100, completion_tokens: 20, prompt_tokens_details: { cached_tokens: 30, cache_write_tokens: 10 }, completion_tokens_details: { reasoning_tokens: 5 } })).toEqual({
      usage: { inputUncached: 60, cacheRead: 30, cacheWrite5m: 10, cacheWrite1h: 0, output: 20, reasoning: 5 },
    });
    expect(readAnthropicUsage({ input_tokens: 3, cache_read_input_tokens: null, cache_creation_input_tokens: 40, output_tokens: 9 })).toEqual({
      usage: { inputUncached: 3, cacheRead: 0, cacheWrite5m: 40, cacheWrite1h: 0, output: 9, reasoning: 0 },
    });
    expect(readOpenAIUsage(null)).toEqual({
      usage: { inputUncached: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0, reasoning: 0 },
      gaps: { input: true, output: true, rejected: [] },
    });
    expect(readOpenAIUsage({ prompt_tokens: 'x', completion_tokens: -4 })).toMatchObject({
      usage: { inputUncached: 0, output: 0 },
      gaps: { input: true, output: true, rejected: ['prompt_tokens', 'completion_tokens'] },
    });
  });

  it('refuses counts that are not finite, non-negative integers below 10^9, in every format', () => {
    const bad = [1e300, Infinity, -1, 2.5, 1e9, '12', NaN];
    for (const v of bad) {
      expect(readOpenAIUsage({ prompt_tokens: 10, completion_tokens: v }).gaps, String(v)).toEqual({ input: false, output: true, rejected: ['completion_tokens'] });
      expect(readResponsesUsage({ input_tokens: v, output_tokens: 3 }).gaps, String(v)).toEqual({ input: true, output: false, rejected: ['input_tokens'] });
      const anthropic = readAnthropicUsage({ input_tokens: 5, cache_read_input_tokens: v, output_tokens: 7 });
      // One bad field makes its whole side unknown: a cache count of 1e300 says the rest is no better.
      expect(anthropic.gaps, String(v)).toEqual({ input: true, output: false, rejected: ['cache_read_input_tokens'] });
      expect(anthropic.usage.output).toBe(7);
      expect(anthropic.usage.inputUncached).toBe(0);
    }
    expect(readOpenAIUsage({ prompt_tokens: 999_999_999, completion_tokens: 0 })).toEqual({
      usage: { inputUncached: 999_999_999, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0, reasoning: 0 },
    });
  });
});

describe('the OpenAI usage-only chunk', () => {
  const usage = { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 };
  const chunk = (choices: unknown[], u: unknown): Record<string, unknown> => ({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices, usage: u });
  const delta = { index: 0, delta: { content: 'Hi' }, finish_reason: null };

  it('is the chunk with no choices and a usage object, compact or spaced as Python servers write it', () => {
    expect(isUsageOnlyChunk(JSON.stringify(chunk([], usage)))).toBe(true);
    expect(isUsageOnlyChunk(JSON.stringify(chunk([], usage), null, 1))).toBe(true);
    expect(isUsageOnlyChunk(JSON.stringify(chunk([], usage)).replaceAll(':', ' : '))).toBe(true);
  });

  it('is not a chunk with a choice, a null usage or no usage at all', () => {
    expect(isUsageOnlyChunk(JSON.stringify(chunk([delta], null)))).toBe(false);
    expect(isUsageOnlyChunk(JSON.stringify(chunk([], null)))).toBe(false);
    // Usage on the finish chunk (some compatible servers): stripping it would lose the finish_reason.
    expect(isUsageOnlyChunk(JSON.stringify(chunk([{ ...delta, finish_reason: 'stop' }], usage)))).toBe(false);
    expect(isUsageOnlyChunk(JSON.stringify({ id: 'x', choices: [] }))).toBe(false);
    expect(isUsageOnlyChunk('[DONE]')).toBe(false);
  });

  it('is not text that only quotes the word usage, nor broken JSON', () => {
    expect(isUsageOnlyChunk(JSON.stringify(chunk([{ index: 0, delta: { content: '"usage":{' } }], null)))).toBe(false);
    expect(isUsageOnlyChunk('{"choices":[],"usage":{"prompt_tokens":1')).toBe(false);
  });

  it('agrees with parsing the chunk whole, for any usage value and spacing', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.constant(usage)), fc.boolean(), fc.nat(2), (u, empty, indent) => {
        const value = chunk(empty ? [] : [delta], u);
        const expected = empty && typeof u === 'object' && u !== null && !Array.isArray(u);
        expect(isUsageOnlyChunk(JSON.stringify(value, null, indent))).toBe(expected);
      }),
    );
  });
});
