/**
 * Price lookup: config overrides first (exact names, then globs in the order written), then the bundled table.
 * A model found nowhere is unpriced (`undefined`), never $0.
 */
import { systemClock, type Clock } from '../core/clock.js';
import { ModelPatternMap } from './model-glob.js';
import { priceFromOverride, type ModelPrice, type PriceOverrideInput } from './rates.js';
import { findInTable, priceAt, type TableMatch } from './table-source.js';

export interface PriceLookupOptions {
  /**
   * Provider ids to try first, in order: typically the configured provider name, then its type
   * (`openai`, `anthropic`). Names the table does not know are skipped; model-name matching follows.
   */
  provider?: string | readonly string[] | undefined;
  /** When the call happened; some table entries change price by date or time of day. Defaults to the clock. */
  atMs?: number;
}

export interface PriceTableOptions {
  /** The config's `prices:` map (USD per 1M tokens), keyed by exact model names or globs. */
  overrides?: Readonly<Record<string, PriceOverrideInput>> | undefined;
  clock?: Clock;
}

interface CachedMatch {
  match: TableMatch | undefined;
}

/** Distinct (provider, model) pairs seen are few; the bound only guards against clients inventing names. */
const MAX_CACHED = 2048;

export class PriceTable {
  private readonly overrides: ModelPatternMap<ModelPrice>;
  private readonly cache = new Map<string, CachedMatch>();
  private readonly clock: Clock;

  constructor(options: PriceTableOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.overrides = new ModelPatternMap(Object.entries(options.overrides ?? {}).map(([key, value]) => [key, priceFromOverride(key, value)] as const));
  }

  lookup(model: string, options: PriceLookupOptions = {}): ModelPrice | undefined {
    const override = this.override(model);
    if (override) return override;

    const hints = options.provider === undefined ? [] : typeof options.provider === 'string' ? [options.provider] : options.provider;
    const key = `${hints.join('\u0001')}\u0000${model}`;
    let cached = this.cache.get(key);
    if (!cached) {
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      cached = { match: findInTable(model, hints, this.at(options)) };
      this.cache.set(key, cached);
      return cached.match?.price;
    }
    const match = cached.match;
    if (!match) return undefined;
    // Most prices do not change with time: no Date for them on every lookup.
    return match.timeDependent ? priceAt(match, model, this.at(options)) : match.price;
  }

  private at(options: PriceLookupOptions): Date {
    return new Date(options.atMs ?? this.clock.now());
  }

  /** True when the config prices this model, so callers can tell a deliberate $0 from a table price. */
  hasOverride(model: string): boolean {
    return this.override(model) !== undefined;
  }

  private override(model: string): ModelPrice | undefined {
    return this.overrides.get(model);
  }
}
