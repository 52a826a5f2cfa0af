/**
 * The SSE framer hands a relay whole frames, byte for byte, however the bytes were chunked: every line-end
 * style of the SSE grammar, CRLF split across chunks, multi-byte characters split across chunks.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createSseFramer, createSseReader, parseSseText } from '../../../src/wire/sse.js';
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
