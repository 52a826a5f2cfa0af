import { describe, expect, it } from 'vitest';
import { ZERO_USAGE } from '../../../src/core/usage.js';
import { PriceTable, costOf } from '../../../src/metering/index.js';
import { completeRow, type RowFacts } from '../../../src/pipeline/steps/record.js';

describe('completeRow', () => {
  const usage = { ...ZERO_USAGE, inputUncached: 1000, cacheRead: 2000, cacheWrite5m: 500, cacheWrite1h: 100, output: 300, reasoning: 120 };
  const facts = (): RowFacts => ({
    id: 'req_1',
    ts: 1_700_000_000_000,
    agent: 'coder',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    upstreamModel: 'claude-sonnet-4-5',
    clientFormat: 'anthropic-messages',
    upstreamFormat: 'anthropic-messages',
    stream: false,
    status: 200,
    errorCode: null,
    latencyMs: 12,
    ttfbMs: 10,
    dropped: null,
  });

  it('maps usage and cost onto the row columns (input is the uncached part, writes are summed), keeping the facts', () => {
    const price = new PriceTable().lookup('claude-sonnet-4-5', { provider: 'anthropic' });
    if (!price) throw new Error('expected a price');
    expect(completeRow(facts(), usage, costOf(usage, price), price, true, true)).toEqual({
      ...facts(),
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
      estimated: true,
      isCall: true,
    });
  });

  it('leaves every cost column null for an unpriced model', () => {
    const row = completeRow(facts(), usage, undefined, undefined, false, true);
    expect(row.costUsd).toBeNull();
    expect(row.costOutput).toBeNull();
    expect(row.priceVersion).toBeNull();
    expect(row.outputTokens).toBe(300);
    expect(row.estimated).toBe(false);
  });
});
