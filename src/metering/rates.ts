/**
 * Prices in the gateway's own exact unit. Tables quote USD per 1M tokens with up to six decimals, so one
 * pico-dollar (1e-12 USD) per token holds every table price as an integer: $3 / 1M tokens = 3_000_000 pUSD/token.
 */

export const PICO_PER_USD = 1_000_000_000_000;
/** Pico-dollars per token for a price of $1 per 1M tokens. */
const PICO_PER_TOKEN_PER_USD_MTOK = 1_000_000;

/** Per-token rates in pico-USD, every fallback already applied, so costing never branches on missing keys. */
export interface TokenRates {
  input: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  output: number;
  /** Rate for reasoning tokens, which are part of output; equals `output` unless the table prices them apart. */
  reasoning: number;
}

/** A long-context tier: its rates apply to the whole request when total input tokens exceed `aboveInputTokens`. */
export interface PriceTier {
  aboveInputTokens: number;
  rates: TokenRates;
}

export interface ModelPrice {
  /** `table` = the bundled price table, `config` = a `prices:` override, `free` = an endpoint that costs nothing. */
  source: 'table' | 'config' | 'free';
  /** Table provider id that matched (absent for config overrides). */
  provider?: string;
  /** Table model id, or the override key that matched. */
  model: string;
  /** Stored with each audit row so a cost can be traced to the prices that produced it. */
  version: string;
  base: TokenRates;
  /** Ascending by `aboveInputTokens`; empty for flat prices. */
  tiers: readonly PriceTier[];
}

/** Converts a USD-per-1M-tokens price to integer pico-USD per token (table prices have at most 6 decimals). */
export function picoPerToken(usdPerMillion: number): number {
  if (!Number.isFinite(usdPerMillion) || usdPerMillion < 0) {
    throw new RangeError(`price must be a finite non-negative number, got ${String(usdPerMillion)}`);
  }
  // Rounding absorbs binary noise such as 0.18000000000000002; repeating decimals (1/12) lose < 1 pUSD/token.
  return Math.round(usdPerMillion * PICO_PER_TOKEN_PER_USD_MTOK);
}

export function usdFromPico(pico: number): number {
  return pico / PICO_PER_USD;
}

/** Rounds a USD amount (a budget limit, say) to whole pico-dollars for exact comparisons with costs. */
export function picoFromUsd(usd: number): number {
  return Math.round(usd * PICO_PER_USD);
}

/** Rates applying to a request with this many input tokens (cached or not), following the package's rule. */
export function ratesFor(price: ModelPrice, totalInputTokens: number): TokenRates {
  let rates = price.base;
  for (const tier of price.tiers) {
    if (totalInputTokens > tier.aboveInputTokens) rates = tier.rates;
  }
  return rates;
}

/** USD per 1M tokens for each kind, as written in config `prices:` entries. */
export interface PriceOverrideInput {
  input: number;
  output: number;
  cache_read?: number;
  cache_write?: number;
  cache_write_1h?: number;
}

/**
 * Builds rates from per-1M USD prices. Missing cache prices fall back to the price of the tokens they are a
 * part of (a cache write is input; a 1h write is a cache write), the same hierarchy the price table uses.
 */
export function ratesFromUsdPerMillion(p: {
  input: number;
  output: number;
  cacheRead?: number | undefined;
  cacheWrite?: number | undefined;
  cacheWrite5m?: number | undefined;
  cacheWrite1h?: number | undefined;
  reasoning?: number | undefined;
}): TokenRates {
  const cacheWrite = p.cacheWrite ?? p.input;
  return {
    input: picoPerToken(p.input),
    cacheRead: picoPerToken(p.cacheRead ?? p.input),
    cacheWrite5m: picoPerToken(p.cacheWrite5m ?? cacheWrite),
    cacheWrite1h: picoPerToken(p.cacheWrite1h ?? cacheWrite),
    output: picoPerToken(p.output),
    reasoning: picoPerToken(p.reasoning ?? p.output),
  };
}

export const CONFIG_PRICE_VERSION = 'config';

export function priceFromOverride(key: string, o: PriceOverrideInput): ModelPrice {
  return {
    source: 'config',
    model: key,
    version: CONFIG_PRICE_VERSION,
    base: ratesFromUsdPerMillion({
      input: o.input,
      output: o.output,
      cacheRead: o.cache_read,
      cacheWrite: o.cache_write,
      cacheWrite1h: o.cache_write_1h,
    }),
    tiers: [],
  };
}

const NO_RATES: TokenRates = { input: 0, output: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 };

/**
 * The price of an endpoint its provider documents as free (Anthropic's token counting): a known $0, recorded
 * with version `free`, never the silent $0 of a call nobody priced.
 */
export function freePrice(endpoint: string): ModelPrice {
  return { source: 'free', model: endpoint, version: 'free', base: NO_RATES, tiers: [] };
}
