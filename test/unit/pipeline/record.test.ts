import { describe, expect, it } from 'vitest';
import { ZERO_USAGE } from '../../../src/core/usage.js';
import { PriceTable, costOf } from '../../../src/metering/index.js';
import { meteredColumns } from '../../../src/pipeline/steps/record.js';

describe('meteredColumns', () => {
  const usage = { ...ZERO_USAGE, inputUncached: 1000, cacheRead: 2000, cacheWrite5m: 500, cacheWrite1h: 100, output: 300, reasoning: 120 };

  it('maps usage and cost onto the row columns (input is the uncached part, writes are summed)', () => {
    const price = new PriceTable().lookup('claude-sonnet-4-5', { provider: 'anthropic' });
    if (!price) throw new Error('expected a price');
    const cols = meteredColumns(usage, costOf(usage, price), price);
    expect(cols).toEqual({
      inputTokens: 1000,
      cacheReadTokens: 2000,
      cacheWriteTokens: 600,
      outputTokens: 300,
      reasoningTokens: 120,
      costUsd: 0.010575,
      costInput: 0.003,
      costCacheRead: 0.0006,
      costCacheWrite: 0.002475,
      costOutput: 0.0045,
      costReasoning: 0.0018,
      priceVersion: price.version,
    });
  });

  it('leaves every cost column null for an unpriced model', () => {
    const cols = meteredColumns(usage, undefined, undefined);
    expect(cols.costUsd).toBeNull();
    expect(cols.costOutput).toBeNull();
    expect(cols.priceVersion).toBeNull();
    expect(cols.outputTokens).toBe(300);
  });
});
