/**
 * The SSE framer hands a relay whole frames, byte for byte, however the bytes were chunked: every line-end
 * style of the SSE grammar, CRLF split across chunks, multi-byte characters split across chunks.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createSseFrameReader, createSseFramer, createSseReader, parseSseText } from '../../../src/wire/sse.js';
import type { SseEvent } from '../../../src/wire/codec.js';

function frameAll(bytes: Buffer, cuts: number[]): { frames: Buffer[]; rest: Buffer } {
  const framer = createSseFramer();
  const frames: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length)].sort((a, b) => a - b)) {
    frames.push(...framer.push(bytes.subarray(at, cut)));
    at = cut;
  }
  frames.push(...framer.push(bytes.subarray(at)));
  return { frames, rest: framer.rest() };
}

const lineEnd = fc.constantFrom('\n', '\r\n', '\r');
const line = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => `data: ${s.replace(/[\r\n]/g, ' ')}`),
  fc.constantFrom('event: message_delta', ': keep-alive', 'id: 7', 'data: {"x":"é✓😀"}'),
);
const frame = fc.tuple(fc.array(fc.tuple(line, lineEnd), { minLength: 1, maxLength: 4 }), lineEnd).map(([lines, end]) => lines.map(([l, e]) => l + e).join('') + end);

describe('createSseFramer', () => {
  it('gives back the same bytes, cut only after blank lines, for any chunking', () => {
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(400), { maxLength: 12 }), (frames, cuts) => {
        const text = frames.join('');
        const bytes = Buffer.from(text, 'utf8');
        const out = frameAll(bytes, cuts);
        expect(Buffer.concat([...out.frames, out.rest]).equals(bytes)).toBe(true);
        // Fed frame by frame to one reader (as the relay does), they parse to what the whole text parses to.
        const events: SseEvent[] = [];
        const reader = createSseReader((e) => events.push(e));
        for (const f of [...out.frames, out.rest]) reader.feed(f);
        reader.end();
        expect(events).toEqual(parseSseText(text));
        // Every frame but a trailing one ends with its blank line.
        for (const f of out.frames) expect(f.toString('utf8')).toMatch(/(\r\n|\n|\r)(\r\n|\n|\r)$/);
      }),
    );
  });

  it('frames LF-only streams (the common case, searched natively) the same for any chunking', () => {
    const lfFrame = fc.array(line, { minLength: 1, maxLength: 4 }).map((lines) => `${lines.join('\n')}\n\n`);
    fc.assert(
      fc.property(fc.array(lfFrame, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(400), { maxLength: 12 }), fc.boolean(), (frames, cuts, open) => {
        const text = frames.join('') + (open ? 'data: unfinished\n' : '');
        const out = frameAll(Buffer.from(text, 'utf8'), cuts);
        expect(out.frames.map(String)).toEqual(frames);
        expect(String(out.rest)).toBe(open ? 'data: unfinished\n' : '');
      }),
    );
  });

  it('keeps a frame whose CR ended it until it knows whether an LF follows', () => {
    const framer = createSseFramer();
    expect(framer.push(Buffer.from('data: a\r\n\r'))).toEqual([]);
    expect(framer.push(Buffer.from('\ndata: b\n\n')).map(String)).toEqual(['data: a\r\n\r\n', 'data: b\n\n']);
    expect(framer.push(Buffer.from('data: c\r\r')).map(String)).toEqual([]);
    expect(framer.push(Buffer.from('data: d')).map(String)).toEqual(['data: c\r\r']);
    expect(String(framer.rest())).toBe('data: d');
  });

  it('does not split a multi-byte character cut between two chunks', () => {
    const bytes = Buffer.from('data: 😀\n\n', 'utf8');
    const out = frameAll(bytes, [7, 8]);
    expect(out.frames.map((f) => f.toString('utf8'))).toEqual(['data: 😀\n\n']);
  });
});

describe('createSseFrameReader', () => {
  /** Lines as providers send them, and the forms a shortcut could get wrong. */
  const anyLine = fc.oneof(
    line,
    fc.constantFrom('event: ', 'event:x', 'data:no-space', 'data: ', 'data', 'retry: 10', 'event: content_block_delta'),
    fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => `event: ${s.replace(/[\r\n]/g, ' ')}`),
  );
  const anyFrame = fc.tuple(fc.array(fc.tuple(anyLine, lineEnd), { minLength: 1, maxLength: 3 }), lineEnd).map(([lines, end]) => lines.map(([l, e]) => l + e).join('') + end);
  /** Text bytes, maybe a byte order mark before one frame (the first or another), now and then a byte that is not UTF-8. */
  const stream = fc.tuple(fc.array(anyFrame, { minLength: 1, maxLength: 10 }), fc.option(fc.nat(10)), fc.array(fc.nat(600), { maxLength: 3 })).map(([frames, bom, bad]) => {
    const bytes = Buffer.from(frames.map((f, i) => (i === bom ? `\uFEFF${f}` : f)).join(''), 'utf8');
    for (const at of bad) if (bytes.length > 0) bytes[at % bytes.length] = 0xff;
    return bytes;
  });

  it('gives the events one full reader gives, frame after frame', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(600), { maxLength: 8 }), (bytes, cuts) => {
        const out = frameAll(bytes, cuts);
        const events: SseEvent[] = [];
        const reader = createSseFrameReader((e) => events.push(e));
        for (const f of out.frames) reader.feed(f);
        if (out.rest.length > 0) reader.feed(out.rest);
        reader.end();
        // The reference: one full reader fed every frame, and an LF after a frame that a lone CR ended.
        const expected: SseEvent[] = [];
        const fullReader = createSseReader((e) => expected.push(e));
        for (const f of [...out.frames, out.rest]) {
          fullReader.feed(f);
          if (f[f.length - 1] === 0x0d) fullReader.feed('\n');
        }
        fullReader.end();
        expect(events).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('drops a byte order mark at the start of the stream only, as one full reader does', () => {
    for (const [frames, data] of [
      [['\uFEFFdata: a\n\n', 'data: b\n\n'], ['a', 'b']],
      [['data: a\n\n', '\uFEFFdata: b\n\n', 'data: c\n\n'], ['a', 'c']],
    ] as const) {
      const events: SseEvent[] = [];
      const reader = createSseFrameReader((e) => events.push(e));
      for (const f of frames) reader.feed(Buffer.from(f));
      reader.end();
      expect(events.map((e) => e.data)).toEqual(data);
    }
  });

  it('reads the events of a provider stream without the full reader', () => {
    const events: SseEvent[] = [];
    const reader = createSseFrameReader((e) => events.push(e));
    const frames = ['data: {"a":1}\n\n', 'event: content_block_delta\ndata: {"b":"é"}\n\n', 'data: [DONE]\n\n'];
    for (const f of frames) reader.feed(Buffer.from(f));
    expect(events).toEqual([{ data: '{"a":1}' }, { event: 'content_block_delta', data: '{"b":"é"}' }, { data: '[DONE]' }]);
  });
});
