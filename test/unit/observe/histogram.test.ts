/**
 * LabeledHistogram stands in for prom-client's Histogram on the request path: whatever is observed, a scrape must
 * read exactly as prom-client's own histogram would have it.
 */
import fc from 'fast-check';
import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LabeledHistogram } from '../../../src/observe/histogram.js';

const BUCKETS = [0.005, 0.01, 0.25, 1, 60];

async function both(observations: readonly { value: number; agent: string; provider: string }[]): Promise<[string, string]> {
  const ours = new client.Registry();
  const theirs = new client.Registry();
  const h = new LabeledHistogram('h_seconds', 'A histogram.', ['agent', 'provider'], BUCKETS);
  ours.registerMetric(h as unknown as client.Metric);
  const p = new client.Histogram({ name: 'h_seconds', help: 'A histogram.', labelNames: ['agent', 'provider'], buckets: BUCKETS, registers: [theirs] });
  for (const o of observations) {
    h.observe(o.value, o.agent, o.provider);
    p.observe({ agent: o.agent, provider: o.provider }, o.value);
  }
  return [await ours.metrics(), await theirs.metrics()];
}

describe('LabeledHistogram', () => {
  it('scrapes exactly as prom-client’s Histogram given the same observations, bounds included', async () => {
    const value = fc.oneof(fc.constantFrom(...BUCKETS, 0, 120), fc.double({ min: 0, max: 100, noNaN: true }));
    const observation = fc.record({ value, agent: fc.constantFrom('a', 'b', 'c"d'), provider: fc.constantFrom('openai', 'anthropic') });
    await fc.assert(
      fc.asyncProperty(fc.array(observation, { maxLength: 40 }), async (observations) => {
        const [ours, theirs] = await both(observations);
        // prom-client lists its series in the order its label hashes were first made; ours, in the order first seen.
        expect(ours.split('\n').sort()).toEqual(theirs.split('\n').sort());
      }),
      { numRuns: 200 },
    );
  });

  it('takes one label, and ignores a value that is not a number', async () => {
    const registry = new client.Registry();
    const h = new LabeledHistogram('t_seconds', 'One label.', ['provider'], BUCKETS);
    registry.registerMetric(h as unknown as client.Metric);
    h.observe(0.2, 'openai');
    h.observe(Number.NaN, 'openai');
    const text = await registry.metrics();
    expect(text).toContain('t_seconds_bucket{le="0.25",provider="openai"} 1');
    expect(text).toContain('t_seconds_count{provider="openai"} 1');
    expect(text).toContain('t_seconds_sum{provider="openai"} 0.2');
  });
});
