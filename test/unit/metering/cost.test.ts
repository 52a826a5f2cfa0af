import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZERO_USAGE, totalInput, type Usage } from '../../../src/core/usage.js';
import { ratesFor } from '../../../src/metering/rates.js';
import { PriceTable, costOf, maxCostOf, priceFromOverride, type ModelPrice } from '../../../src/metering/index.js';

const table = new PriceTable({ clock: { now: () => Date.parse('2025-11-01T20:00:00Z'), monotonic: () => 0 } });
function mustPrice(model: string, provider: string): ModelPrice {
  const p = table.lookup(model, { provider });
  if (!p) throw new Error(`no price for ${model}`);
  return p;
}
const sonnet = mustPrice('claude-sonnet-4-5', 'anthropic');
const mini = mustPrice('gpt-4o-mini', 'openai');
const u = (partial: Partial<Usage>): Usage => ({ ...ZERO_USAGE, ...partial });

describe('costOf, hand-checked against the table', () => {
  it('claude-sonnet-4-5 with cache reads, 5m and 1h writes and reasoning', () => {
    // $3 in, $0.30 cache read, $3.75 5m write, $6 1h write, $15 out per 1M tokens.
    const c = costOf(u({ inputUncached: 1000, cacheRead: 2000, cacheWrite5m: 500, cacheWrite1h: 100, output: 300, reasoning: 120 }), sonnet);
    expect(c.pico).toEqual({
      input: 3_000_000_000, // 1000 × 3e6 pUSD
      cacheRead: 600_000_000, // 2000 × 3e5
      cacheWrite: 2_475_000_000, // 500 × 3.75e6 + 100 × 6e6
      output: 4_500_000_000, // 300 × 15e6; reasoning is inside, not added again
      reasoning: 1_800_000_000, // the 120 of the 300 output tokens that were reasoning
      total: 10_575_000_000,
    });
    expect(c.totalUsd).toBe(0.010575);
    expect(c.breakdown).toEqual({ input: 0.003, cacheRead: 0.0006, cacheWrite: 0.002475, output: 0.0045, reasoning: 0.0018 });
  });

  it('reasoning tokens never add to the cost when priced like output', () => {
    const without = costOf(u({ inputUncached: 10, output: 1000 }), sonnet);
    const withReasoning = costOf(u({ inputUncached: 10, output: 1000, reasoning: 900 }), sonnet);
    expect(withReasoning.pico).toEqual({ ...without.pico, reasoning: 900 * 15_000_000 });
  });

  it('claude-sonnet-4-5 above 200k input tokens uses the long-context rates for every kind', () => {
    const c = costOf(u({ inputUncached: 150_000, cacheRead: 60_000, output: 1000 }), sonnet);
    // 150k × $6 + 60k × $0.60 + 1k × $22.50 per 1M
    expect(c.totalUsd).toBe(0.9585);
    const atBoundary = costOf(u({ inputUncached: 200_000, output: 1000 }), sonnet);
    expect(atBoundary.totalUsd).toBe(0.615); // exactly 200k is still the base tier: 0.6 + 0.015
  });

  it('gpt-4o-mini with cached prompt tokens', () => {
    // prompt_tokens 10000 of which 4000 cached; $0.15 in, $0.075 cached, $0.60 out.
    const c = costOf(u({ inputUncached: 6000, cacheRead: 4000, output: 500, reasoning: 0 }), mini);
    expect(c.breakdown).toEqual({ input: 0.0009, cacheRead: 0.0003, cacheWrite: 0, output: 0.0003, reasoning: 0 });
    expect(c.totalUsd).toBe(0.0015);
  });

  it('prices reasoning apart when the table does (sonar-deep-research: $8 out, $3 reasoning)', () => {
    const p = mustPrice('sonar-deep-research', 'perplexity');
    const c = costOf(u({ output: 1000, reasoning: 400 }), p);
    expect(c.totalUsd).toBe(0.006); // 600 × 8 + 400 × 3 per 1M
    expect(c.breakdown.reasoning).toBe(0.0012);
  });

  it('clamps nonsense counts instead of producing NaN', () => {
    const c = costOf(u({ inputUncached: Number.NaN, output: -5, reasoning: 99 }), mini);
    expect(c.totalUsd).toBe(0);
  });

  it('a zero-priced override costs exactly zero', () => {
    const free = priceFromOverride('llama3.1:8b', { input: 0, output: 0 });
    expect(costOf(u({ inputUncached: 1e6, output: 1e6 }), free).totalUsd).toBe(0);
  });
});

describe('costOf is additive', () => {
  // 4 input kinds × 25k × 2 calls stays at or under the 200k long-context threshold.
  const count = fc.integer({ min: 0, max: 25_000 });
  const usageArb = fc.record({
    inputUncached: count,
    cacheRead: count,
    cacheWrite5m: count,
    cacheWrite1h: count,
    output: count,
    reasoning: count,
  }).map((x) => ({ ...x, reasoning: Math.min(x.reasoning, x.output) }));
  const add = (a: Usage, b: Usage): Usage => ({
    inputUncached: a.inputUncached + b.inputUncached,
    cacheRead: a.cacheRead + b.cacheRead,
    cacheWrite5m: a.cacheWrite5m + b.cacheWrite5m,
    cacheWrite1h: a.cacheWrite1h + b.cacheWrite1h,
    output: a.output + b.output,
    reasoning: a.reasoning + b.reasoning,
  });

  it('cost(a + b) equals cost(a) + cost(b) exactly in pico-dollars (within one tier)', () => {
    const reasoningPriced = mustPrice('sonar-deep-research', 'perplexity');
    fc.assert(
      fc.property(usageArb, usageArb, fc.constantFrom(sonnet, mini, reasoningPriced), (a, b, price) => {
        const ab = costOf(add(a, b), price).pico;
        const ca = costOf(a, price).pico;
        const cb = costOf(b, price).pico;
        expect(ab.total).toBe(ca.total + cb.total);
        expect(ab.input).toBe(ca.input + cb.input);
        expect(ab.cacheRead).toBe(ca.cacheRead + cb.cacheRead);
        expect(ab.cacheWrite).toBe(ca.cacheWrite + cb.cacheWrite);
        expect(ab.output).toBe(ca.output + cb.output);
        expect(ab.total).toBe(ab.input + ab.cacheRead + ab.cacheWrite + ab.output);
      }),
      { numRuns: 300 },
    );
  });
});

describe('costOf, exact at any size', () => {
  /** The cost summed in BigInt throughout, each amount converted once at the end: what costOf must equal. */
  function reference(usage: Usage, price: ModelPrice): Record<string, number> {
    const r = ratesFor(price, totalInput(usage));
    const t = (x: number): bigint => (Number.isFinite(x) && x > 0 ? BigInt(Math.round(x)) : 0n);
    const output = t(usage.output);
    const reasoning = t(usage.reasoning) < output ? t(usage.reasoning) : output;
    // Output at its rate, with the reasoning part moved to the reasoning rate.
    const parts = {
      input: t(usage.inputUncached) * BigInt(r.input),
      cacheRead: t(usage.cacheRead) * BigInt(r.cacheRead),
      cacheWrite: t(usage.cacheWrite5m) * BigInt(r.cacheWrite5m) + t(usage.cacheWrite1h) * BigInt(r.cacheWrite1h),
      output: output * BigInt(r.output) + reasoning * (BigInt(r.reasoning) - BigInt(r.output)),
      reasoning: reasoning * BigInt(r.reasoning),
    };
    const total = parts.input + parts.cacheRead + parts.cacheWrite + parts.output;
    return Object.fromEntries(Object.entries({ ...parts, total }).map(([k, v]) => [k, Number(v)]));
  }

  it('equals a BigInt sum on both sides of 2^53 pico-dollars (small calls take a faster path)', () => {
    const dear = priceFromOverride('dear', { input: 150, output: 600, cache_read: 75, cache_write: 187.5 });
    // Counts from a handful to past what doubles hold exactly once multiplied by a rate.
    const count = fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 2 ** 40 }), fc.double({ min: 0, max: 1e18, noNaN: true }));
    const usage = fc.record({ inputUncached: count, cacheRead: count, cacheWrite5m: count, cacheWrite1h: count, output: count, reasoning: count });
    fc.assert(
      fc.property(usage, fc.constantFrom(sonnet, mini, dear), (parts, price) => {
        const usageNow = u(parts);
        expect(costOf(usageNow, price).pico).toEqual(reference(usageNow, price));
      }),
      { numRuns: 500 },
    );
    // Just under and just over 2^53 pUSD: $600 / 1M output is 6e8 pUSD a token.
    for (const output of [15_011_998, 15_011_999, 15_012_000]) {
      expect(costOf(u({ output }), dear).pico).toEqual(reference(u({ output }), dear));
    }
  });
});

describe('maxCostOf', () => {
  it('bounds the real cost of any split of the same input and output', () => {
    const bound = maxCostOf(sonnet, 10_000, 2000);
    // Dearest input-side rate is the 1h cache write ($6), output $15.
    expect(bound.totalUsd).toBe(0.09);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 2000 }), (a, b, out) => {
        const read = Math.min(a, 10_000);
        const write = Math.min(b, 10_000 - read);
        const c = costOf(u({ inputUncached: 10_000 - read - write, cacheRead: read, cacheWrite1h: write, output: out }), sonnet);
        expect(c.pico.total).toBeLessThanOrEqual(bound.totalPico);
      }),
    );
  });

  it('uses plain input when the request cannot write a cache, and the tier the input selects', () => {
    expect(maxCostOf(sonnet, 10_000, 2000, { mayWriteCache: false }).totalUsd).toBe(0.06);
    expect(maxCostOf(sonnet, 300_000, 0, { mayWriteCache: false }).totalUsd).toBe(1.8);
    expect(maxCostOf(mini, 1_000_000, 1_000_000).totalUsd).toBe(0.75);
  });
});
