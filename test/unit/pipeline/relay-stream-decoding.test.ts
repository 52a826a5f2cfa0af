/**
 * The same-format relay reads each frame of the provider's stream as text to meter it, while the bytes go out as
 * they came. Frames decode one by one; a byte-order mark before the first is dropped, as the SSE grammar asks, and
 * a character split between two upstream chunks is read whole.
 */
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { UsageMeter } from '../../../src/pipeline/steps/meter.js';
import { relayStream } from '../../../src/pipeline/steps/relay-stream.js';
import { ENCODER_OPTIONS, fixtureBytes } from '../wire/helpers.js';

async function relaySameFormat(chunks: Buffer[]): Promise<{ meter: UsageMeter; sent: Buffer }> {
  const writes: Buffer[] = [];
  const res = { destroyed: false, write: (chunk: Uint8Array) => writes.push(Buffer.from(chunk)) > 0, end: () => undefined };
  const meter = new UsageMeter();
  const result = await relayStream({
    res: res as unknown as ServerResponse,
    upstream: { status: 200, headers: {}, body: Readable.from(chunks) },
    providerName: 'fake',
    providerFormat: 'openai-chat',
    clientFormat: 'openai-chat',
    stripUsageChunk: false,
    encoder: { ...ENCODER_OPTIONS, includeUsage: true },
    meter,
    signal: new AbortController().signal,
    check: () => undefined,
    begin: () => undefined,
  });
  expect(result.error).toBeUndefined();
  return { meter, sent: Buffer.concat(writes) };
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

describe('the same-format relay reading frames', () => {
  // Without its role-only first chunk, so that the first frame carries text.
  const stream = Buffer.from(fixtureBytes('openai-text-usage').text.split(/(?<=\n\n)/).slice(1).join(''));

  it('meters a stream that opens with a byte-order mark, and relays its bytes unchanged', async () => {
    const plain = await relaySameFormat([stream]);
    const marked = await relaySameFormat([Buffer.concat([BOM, stream])]);
    expect(marked.sent.equals(Buffer.concat([BOM, stream]))).toBe(true);
    expect(marked.meter.finished).toBe(true);
    expect(marked.meter.receivedText().startsWith('Hello')).toBe(true);
    expect(marked.meter.receivedText()).toBe(plain.meter.receivedText());
    expect(marked.meter.receivedBytes).toBe(plain.meter.receivedBytes);
    expect(await marked.meter.result({ countTokens: () => Promise.reject(new Error('no count needed')) } as never, () => '')).toEqual(
      await plain.meter.result({ countTokens: () => Promise.reject(new Error('no count needed')) } as never, () => ''),
    );
  });

  it('reads a character whose bytes arrive in two chunks', async () => {
    const at = stream.indexOf(Buffer.from('ü')) + 1;
    expect(at).toBeGreaterThan(0);
    const split = await relaySameFormat([stream.subarray(0, at), stream.subarray(at)]);
    const whole = await relaySameFormat([stream]);
    expect(split.meter.receivedText()).toContain('Grüße');
    expect(split.meter.receivedText()).toBe(whole.meter.receivedText());
    expect(split.sent.equals(stream)).toBe(true);
  });
});
