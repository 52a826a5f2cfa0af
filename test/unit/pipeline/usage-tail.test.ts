/** The usage at the end of a relayed body is found by one scan of its last bytes, whatever the body's size. */
import { describe, expect, it } from 'vitest';
import { ByteTail } from '../../../src/pipeline/steps/usage-tail.js';

function tailOf(text: string, chunk = 7): ByteTail {
  const tail = new ByteTail();
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += chunk) tail.push(bytes.subarray(i, i + chunk));
  return tail;
}

describe('ByteTail', () => {
  it('finds the usage object at the end of a large JSON body and counts every byte', () => {
    const vectors = Array.from({ length: 3000 }, (_, i) => ({ object: 'embedding', index: i, embedding: [0.1, -0.2, 0.3] }));
    const text = JSON.stringify({ object: 'list', data: vectors, model: 'm', usage: { prompt_tokens: 12, total_tokens: 12 } }, null, 2);
    const tail = tailOf(text, 4096);
    expect(tail.bytes).toBe(Buffer.byteLength(text));
    expect(tail.usage()).toEqual({ prompt_tokens: 12, total_tokens: 12 });
  });

  it('takes the last usage chunk of a stream, past `"usage": null` and the [DONE] line', () => {
    const frames = [
      'data: {"choices":[{"text":"a","index":0}],"usage":null}\n\n',
      'data: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}\n\n',
      'data: [DONE]\n\n',
    ];
    expect(tailOf(frames.join('')).usage()).toEqual({ prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
  });

  it('skips "usage" inside strings and braces inside strings, and says nothing when no usage object ends', () => {
    expect(tailOf('{"text":"the \\"usage\\": {oops","usage":{"a":"}{","b":1}}').usage()).toEqual({ a: '}{', b: 1 });
    expect(tailOf('data: {"usage":null}\n\ndata: [DONE]\n\n').usage()).toBeUndefined();
    expect(tailOf('{"usage":{"prompt_tokens":5,').usage()).toBeUndefined();
    expect(tailOf('no json at all').usage()).toBeUndefined();
  });

  it('keeps only the end of a body: a usage object far from the end is out of reach', () => {
    const text = `{"usage":{"prompt_tokens":1},"pad":"${'x'.repeat(100_000)}"}`;
    expect(tailOf(text, 1000).usage()).toBeUndefined();
  });
});
