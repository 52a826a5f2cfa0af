/**
 * The stream event parser gives exactly what JSON.parse gives, event after event, whatever the events: deltas of
 * one shape with any string in them (escapes, quotes, unicode, control characters), shapes that change, text
 * that is not JSON, and the same key appearing twice. It also reads the repeated shape without parsing it whole.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFrameParser, type FramePath } from '../../../src/wire/shared/frame-parser.js';
import { tryParseJson } from '../../../src/wire/shared/json.js';

const OPENAI_PATHS: readonly FramePath[] = [
  ['choices', 0, 'delta', 'content'],
  ['choices', 0, 'delta', 'tool_calls', 0, 'function', 'arguments'],
];

const openaiChunk = (content: unknown, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, delta: { content, ...extra }, logprobs: null, finish_reason: null }],
  });

const toolChunk = (args: string): string =>
  JSON.stringify({ id: 'chatcmpl-1', choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: args } }] } }] });

const anthropicDelta = (text: string): string => JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });

/** Any string JSON can hold, control characters and lone surrogates included. */
const anyString = fc.string({ unit: 'binary', maxLength: 40 });

/** An event's text: a well-formed delta of some shape, or that text damaged. */
const eventText = fc.oneof(
  { weight: 6, arbitrary: anyString.map((s) => openaiChunk(s)) },
  { weight: 2, arbitrary: anyString.map(toolChunk) },
  { weight: 2, arbitrary: anyString.map(anthropicDelta) },
  { weight: 1, arbitrary: anyString.map((s) => openaiChunk(s, { role: 'assistant' })) },
  { weight: 1, arbitrary: fc.constantFrom('', '[DONE]', '{}', 'null', '{"content":"a","content":"b"}', ' {"a":1} ') },
  {
    weight: 3,
    arbitrary: fc
      .tuple(anyString.map((s) => openaiChunk(s)), fc.nat(), fc.string({ maxLength: 3 }), fc.nat({ max: 3 }))
      .map(([text, at, insert, cut]) => {
        const i = at % (text.length + 1);
        return text.slice(0, i) + insert + text.slice(i + cut);
      }),
  },
);

describe('the stream event parser', () => {
  it('gives what JSON.parse gives for every event of any sequence', () => {
    fc.assert(
      fc.property(fc.array(eventText, { maxLength: 30 }), (events) => {
        const parser = createFrameParser(OPENAI_PATHS);
        for (const text of events) expect(parser.parse(text)).toStrictEqual(tryParseJson(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads strings with escapes that end in a backslash or hold quotes', () => {
    const parser = createFrameParser(OPENAI_PATHS);
    for (const s of ['plain', 'a"b', 'ends with \\', '\\"', '\u0000\u001f', '\ud800', 'é😀', '']) {
      const text = openaiChunk(s);
      expect(parser.parse(text)).toStrictEqual(JSON.parse(text));
    }
    // A raw control character or a bad escape in place of the string: not JSON, for both.
    const bad = openaiChunk('x').replace('"x"', '"\u0001"');
    expect(parser.parse(bad)).toBeUndefined();
    expect(parser.parse(openaiChunk('x').replace('"x"', '"\\q"'))).toBeUndefined();
  });

  it('parses a repeated shape by its string only, updating the value it returned before', () => {
    const parser = createFrameParser(OPENAI_PATHS);
    const first = parser.parse(openaiChunk('a')) as { choices: { delta: { content: string } }[] };
    const parse = JSON.parse;
    const parsed: string[] = [];
    JSON.parse = ((text: string) => {
      parsed.push(text);
      return parse(text) as unknown;
    }) as typeof JSON.parse;
    let second: typeof first;
    try {
      second = parser.parse(openaiChunk('b"c')) as typeof first;
    } finally {
      JSON.parse = parse;
    }
    expect(parsed).toEqual(['"b\\"c"']);
    expect(second.choices[0]!.delta.content).toBe('b"c');
    expect(second).toStrictEqual(JSON.parse(openaiChunk('b"c')));
    // The template's own object: what a caller keeps from an event must be copied before the next one.
    expect(second).toBe(first);
  });
});
