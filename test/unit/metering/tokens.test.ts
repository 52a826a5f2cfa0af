import { describe, expect, it } from 'vitest';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { TOKENS_PER_MESSAGE, TOKENS_REPLY_PRIMER, estimateRequestInputTokens, estimateTokens } from '../../../src/metering/index.js';

describe('estimateTokens', () => {
  it('counts o200k tokens', async () => {
    expect(await estimateTokens('')).toBe(0);
    expect(await estimateTokens('Hello, world!')).toBe(4);
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(50);
    expect(await estimateTokens(text)).toBe(encode(text).length);
  });

  it('scales roughly with text length', async () => {
    const n = await estimateTokens('lorem ipsum dolor sit amet '.repeat(1000));
    expect(n).toBeGreaterThan(3000);
    expect(n).toBeLessThan(7000);
  });

  it('counts a long prompt in slices, close to the whole count, letting other work run in between', async () => {
    const text = Array.from({ length: 40_000 }, (_, i) => `word${i % 97} said: "${i}".`).join(' ');
    expect(text.length).toBeGreaterThan(500_000);
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const ticks = (async () => {
      for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
    })();
    const n = await estimateTokens(text);
    clearInterval(ticker);
    await ticks;
    const whole = encode(text).length;
    // At most one token apart per 32 KB slice.
    expect(Math.abs(n - whole)).toBeLessThanOrEqual(Math.ceil(text.length / 32_768));
    expect(turns).toBeGreaterThan(0);
  });

  it('counts special-token strings in user text as text instead of throwing', async () => {
    expect(await estimateTokens('say <|endoftext|> please')).toBeGreaterThan(3);
  });
});

describe('estimateRequestInputTokens', () => {
  it('adds framing per message and the tool JSON', async () => {
    const tools = [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];
    const n = await estimateRequestInputTokens({ system: 'You are terse.', messages: ['Hi there', 'Hello!'], tools, fixedTokens: 85 });
    const expected =
      TOKENS_REPLY_PRIMER +
      3 * TOKENS_PER_MESSAGE +
      await estimateTokens('You are terse.') +
      await estimateTokens('Hi there') +
      await estimateTokens('Hello!') +
      await estimateTokens(JSON.stringify(tools)) +
      85;
    expect(n).toBe(expected);
  });

  it('counts an empty request as just the reply primer', async () => {
    expect(await estimateRequestInputTokens({})).toBe(TOKENS_REPLY_PRIMER);
    expect(await estimateRequestInputTokens({ tools: [] })).toBe(TOKENS_REPLY_PRIMER);
  });
});
