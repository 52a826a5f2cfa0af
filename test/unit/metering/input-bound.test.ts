/**
 * The input bound a budget hold uses is a true upper bound: a text never has more tokens than UTF-8 bytes,
 * images and documents are priced at their documented per-item maximum instead of their base64 bytes, and tools
 * add the prompt a provider wraps them in.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InProcessTokenCounter } from '../../../src/app/token-counter.js';
import { countText, imageTokenBound, inputTokenBound } from '../../../src/metering/index.js';
import { codecFor } from '../../../src/wire/index.js';

const tokens = new InProcessTokenCounter();

function decode(body: Record<string, unknown>) {
  const text = JSON.stringify(body);
  return { request: codecFor('openai-chat').decodeRequest(body), bytes: Buffer.byteLength(text) };
}

describe('inputTokenBound', () => {
  it('is at least the tokens of any text, in any script (the tokenizer never makes a token of less than a byte)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 400 }), async (text) => {
        const { request, bytes } = decode({ model: 'gpt-4o', messages: [{ role: 'user', content: text }] });
        expect(await countText(tokens, text)).toBeLessThanOrEqual(inputTokenBound(request, bytes, { upstream: 'openai', model: 'gpt-4o' }));
      }),
      { numRuns: 200 },
    );
  });

  it('prices an image at its per-image maximum, not at its base64 bytes', () => {
    const data = 'A'.repeat(300_000);
    const { request, bytes } = decode({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${data}` } }] }],
    });
    const openai = inputTokenBound(request, bytes, { upstream: 'openai', model: 'gpt-4o' });
    expect(openai).toBe(bytes - data.length + imageTokenBound('openai', 'gpt-4o'));
    expect(inputTokenBound(request, bytes, { upstream: 'anthropic', model: 'claude-sonnet-4-5' })).toBe(bytes - data.length + imageTokenBound('anthropic', 'x'));
    // GPT-4o mini bills images at many more tokens (for the same dollars): its bound says so.
    expect(imageTokenBound('openai', 'gpt-4o-mini-2024-07-18')).toBe(48_169);
  });

  it('adds the per-image bound for images given by URL, and the tool prompt when tools are declared', () => {
    const { request, bytes } = decode({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
    });
    expect(inputTokenBound(request, bytes, { upstream: 'anthropic', model: 'claude-sonnet-4-5' })).toBe(bytes + 8_464 + 2_000);
  });
});
