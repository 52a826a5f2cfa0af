/**
 * The stream guard compares output tokens with the output tokens the hold pays for: bytes while they prove the
 * stream fits (no text has more tokens than bytes), the tokenizer's count after. It asks for more room only past
 * the cover, and passes on the admission's interruptions (pause, lowered budget).
 */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { InProcessTokenCounter } from '../../../src/app/token-counter.js';
import { byteEstimate, countText, priceFromOverride, type CountsTokens } from '../../../src/metering/index.js';
import type { Admission } from '../../../src/pipeline/ports.js';
import { UsageMeter } from '../../../src/pipeline/steps/meter.js';
import { StreamGuard } from '../../../src/pipeline/steps/stream-guard.js';

/** $1000 per 1M output tokens: $0.001 a token. */
const price = priceFromOverride('m', { input: 0, output: 1000 });

function admission(roomUsd: number, interrupt?: GatewayError): Admission & { extensions: number[] } {
  let room = roomUsd;
  const extensions: number[] = [];
  return {
    limited: true,
    extensions,
    extend(usd) {
      if (usd > room + 1e-12) return false;
      room -= usd;
      extensions.push(usd);
      return true;
    },
    finish() {},
    abandon() {},
    interruption: () => interrupt,
  };
}

const tokens = new InProcessTokenCounter();
const count = (text: string): Promise<number> => countText(tokens, text);

function feed(meter: UsageMeter, text: string): void {
  meter.observe({ type: 'text-delta', text });
}

describe('StreamGuard', () => {
  it('never asks for room while the stream stays within its covered output tokens', async () => {
    let counts = 0;
    const a = admission(0);
    const counter: CountsTokens = { countTokens: (texts) => (counts++, tokens.countTokens(texts)) };
    const guard = new StreamGuard({ admission: a, price, inputTokens: 50, outputTokens: 100, counter, model: 'm' });
    const meter = new UsageMeter();
    const words = 'The quick brown fox jumps over the lazy dog. '.repeat(9);
    for (const piece of words.match(/.{1,20}/gs)!) {
      feed(meter, piece);
      const checked = guard.check(meter);
      // Synchronous while the bytes prove the stream fits: no count, no wait.
      if (meter.receivedBytes <= 100) expect(checked).toBeUndefined();
      expect(await checked).toBeUndefined();
    }
    expect(await count(words)).toBeLessThan(100);
    expect(a.extensions).toEqual([]);
    // The first 100 bytes needed no count at all.
    expect(counts).toBeLessThan(words.length / 20);
  });

  it('asks for room in steps once the stream outruns its cover, and cuts it when there is none', async () => {
    const a = admission(0.05);
    const guard = new StreamGuard({ admission: a, price, inputTokens: 50, outputTokens: 40, counter: tokens, model: 'gpt-x' });
    const meter = new UsageMeter();
    let cut: GatewayError | undefined;
    let fed = '';
    while (cut === undefined && fed.length < 10_000) {
      const piece = 'tokens and more tokens ';
      feed(meter, piece);
      fed += piece;
      cut = await guard.check(meter);
    }
    expect(cut).toMatchObject({ kind: 'budget_exceeded', code: 'budget_exceeded' });
    expect(cut!.message).toMatch(/gpt-x.*cut off/);
    // Granted in steps of at least a quarter of the cover (10 tokens = $0.01), never more than the room.
    expect(a.extensions.length).toBeGreaterThan(0);
    for (const usd of a.extensions) expect(usd).toBeGreaterThanOrEqual(0.01 - 1e-12);
    expect(a.extensions.reduce((s, x) => s + x, 0)).toBeLessThanOrEqual(0.05 + 1e-12);
    // What was produced when it was cut is past the cover and what the extensions bought.
    expect(await count(fed)).toBeGreaterThan(40 + a.extensions.reduce((s, x) => s + x, 0) / 0.001 - 1);
  });

  it('trusts a running output count the provider reports', async () => {
    const a = admission(0);
    const guard = new StreamGuard({ admission: a, price, inputTokens: 0, outputTokens: 40, counter: tokens, model: 'm' });
    const meter = new UsageMeter();
    meter.observe({ type: 'usage', usage: { output: 41 } });
    expect(await guard.check(meter)).toMatchObject({ kind: 'budget_exceeded' });
  });

  it('keeps the byte bound when the tokenizer is not available: its byte estimates could undercount', async () => {
    const estimates: CountsTokens = { countTokens: (texts) => Promise.resolve({ counts: texts.map(byteEstimate), estimated: true }) };
    const guard = new StreamGuard({ admission: admission(0), price, inputTokens: 0, outputTokens: 40, counter: estimates, model: 'm' });
    const meter = new UsageMeter();
    feed(meter, 'abcd '.repeat(8));
    expect(guard.check(meter)).toBeUndefined();
    // 60 bytes: a quarter is 15 "tokens", within the cover, but only the bytes bound what was produced.
    feed(meter, 'abcd '.repeat(4));
    expect(await guard.check(meter)).toMatchObject({ kind: 'budget_exceeded' });
  });

  it('ends the stream with the admission interruption, priced or not', () => {
    const paused = new GatewayError('agent_paused', 'paused');
    const guard = new StreamGuard({ admission: admission(1, paused), price: undefined, inputTokens: 0, outputTokens: 10, counter: tokens, model: 'm' });
    expect(guard.check(new UsageMeter())).toBe(paused);
  });
});
