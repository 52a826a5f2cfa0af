/** The pipeline's Meter over the bundled price table plus config overrides (rebuilt on reload), and the token counter. */
import type { GatewayConfig } from '../config/types.js';
import { PriceTable, type ModelPrice, type PriceOverrideInput, type TokenCounter, type TokenCounts } from '../metering/index.js';
import type { Clock } from '../core/clock.js';
import type { Meter, ProviderRef } from '../pipeline/ports.js';

export class PriceMeter implements Meter {
  private table: PriceTable;

  constructor(
    config: GatewayConfig,
    private readonly clock: Clock,
    private readonly tokens: TokenCounter,
  ) {
    this.table = buildTable(config, clock);
  }

  reconfigure(config: GatewayConfig): void {
    this.table = buildTable(config, this.clock);
  }

  priceFor(provider: ProviderRef, model: string): ModelPrice | undefined {
    return this.table.lookup(model, { provider: [provider.name, provider.type] });
  }

  countTokens(texts: readonly string[]): Promise<TokenCounts> {
    return this.tokens.countTokens(texts);
  }

  prepareTokens(): void {
    this.tokens.prepare();
  }

  /** Stops the tokenizer's worker (gateway stop). */
  close(): Promise<void> {
    return this.tokens.close();
  }
}

function buildTable(config: GatewayConfig, clock: Clock): PriceTable {
  const overrides: Record<string, PriceOverrideInput> = {};
  for (const [model, p] of config.prices) {
    overrides[model] = {
      input: p.input,
      output: p.output,
      ...(p.cacheRead !== undefined ? { cache_read: p.cacheRead } : {}),
      ...(p.cacheWrite !== undefined ? { cache_write: p.cacheWrite } : {}),
      ...(p.cacheWrite1h !== undefined ? { cache_write_1h: p.cacheWrite1h } : {}),
    };
  }
  return new PriceTable({ overrides, clock });
}
