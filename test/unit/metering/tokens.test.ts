import { describe, expect, it } from 'vitest';
import { countTokens, encode } from 'gpt-tokenizer/encoding/o200k_base';
import { InProcessTokenCounter } from '../../../src/app/token-counter.js';
import { longPrompt } from '../../helpers/prompts.js';
import {
  SLICE_CHARS,
  SlicedCounter,
  TOKENS_PER_MESSAGE,
  TOKENS_REPLY_PRIMER,
  byteEstimate,
  countText,
  estimateRequestInputTokens,
  loadO200k,
  sliceEnd,
} from '../../../src/metering/tokens.js';

const counter = new InProcessTokenCounter();
const direct = (text: string): number => countTokens(text, { disallowedSpecial: new Set() });

describe('o200k counts', () => {
  it('counts o200k tokens', async () => {
    expect(await countText(counter, '')).toBe(0);
    expect(await countText(counter, 'Hello, world!')).toBe(4);
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(50);
    expect(await countText(counter, text)).toBe(encode(text).length);
  });

  it('counts special-token strings in user text as text instead of throwing', async () => {
    const text = 'say <|endoftext|> please <|im_start|>';
    expect(await countText(counter, text)).toBe(direct(text));
    expect(await countText(counter, text)).toBeGreaterThan(5);
  });

  it('counts a 300 KB prompt in slices to exactly its whole count', async () => {
    const text = longPrompt();
    expect(text.length).toBeGreaterThan(9 * SLICE_CHARS);
    expect(await countText(counter, text)).toBe(direct(text));
  });

  it('cuts slices before a space that follows a visible character, never inside a surrogate pair', () => {
    const text = longPrompt(100_000);
    for (let start = 0; start < text.length; ) {
      const end = sliceEnd(text, start);
      expect(end).toBeGreaterThan(start);
      expect(end - start).toBeLessThanOrEqual(SLICE_CHARS);
      if (end < text.length) {
        expect(text[end]).toBe(' ');
        expect(text.charCodeAt(end - 1)).toBeGreaterThan(0x20);
      }
      start = end;
    }
    // No space to cut before: cut at the limit, but not between the halves of an emoji.
    const emoji = '😀'.repeat(SLICE_CHARS);
    expect(sliceEnd(emoji, 1)).toBe(SLICE_CHARS);
    expect(sliceEnd(emoji, 2)).toBe(SLICE_CHARS + 2);
  });

  it('serves a short count between the slices of a long one, and lets the event loop turn', async () => {
    const sliced = new SlicedCounter(await loadO200k());
    const order: string[] = [];
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const long = sliced.count([longPrompt(1_000_000)]).then(() => order.push('long'));
    const short = sliced.count(['hi there']).then(() => order.push('short'));
    await Promise.all([long, short]);
    clearInterval(ticker);
    expect(order).toEqual(['short', 'long']);
    expect(turns).toBeGreaterThan(0);
  });

  it('estimates from bytes when there is no tokenizer, never 0 for text', () => {
    expect(byteEstimate('')).toBe(0);
    expect(byteEstimate('a')).toBe(1);
    expect(byteEstimate('abcdefgh')).toBe(2);
    expect(byteEstimate('漢字')).toBe(2);
  });
});

describe('estimateRequestInputTokens', () => {
  it('adds framing per message and the tool JSON, counting every text in one batch', async () => {
    const tools = [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];
    const batches: (readonly string[])[] = [];
    const spy = { countTokens: (texts: readonly string[]) => (batches.push(texts), counter.countTokens(texts)) };
    const n = await estimateRequestInputTokens(spy, { system: 'You are terse.', messages: ['Hi there', 'Hello!'], tools, fixedTokens: 85 });
    const expected = TOKENS_REPLY_PRIMER + 3 * TOKENS_PER_MESSAGE + direct('You are terse.') + direct('Hi there') + direct('Hello!') + direct(JSON.stringify(tools)) + 85;
    expect(n).toBe(expected);
    expect(batches).toHaveLength(1);
  });

  it('counts an empty request as just the reply primer', async () => {
    expect(await estimateRequestInputTokens(counter, {})).toBe(TOKENS_REPLY_PRIMER);
    expect(await estimateRequestInputTokens(counter, { tools: [] })).toBe(TOKENS_REPLY_PRIMER);
  });
});
