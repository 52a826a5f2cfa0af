/**
 * Reads prices from the bundled @pydantic/genai-prices data. Nothing is fetched at run time: the package's
 * `calcPrice` only uses its built-in table unless `updatePrices` is called, which the gateway never does.
 */
import { createRequire } from 'node:module';
import type * as GenaiPrices from '@pydantic/genai-prices';
import type { ModelPrice as TableModelPrice, PriceCalculation } from '@pydantic/genai-prices';
import { ratesFromUsdPerMillion, type ModelPrice, type PriceTier, type TokenRates } from './rates.js';

/**
 * The package's CommonJS build: the same table and code as its ES module build, minified. Through `import`, the
 * ES module build held about 5 MB more of an idle gateway's memory (its 1.6 MB source text is kept for lazy
 * compilation, and more). The binary's bundle makes this a plain `require` (scripts/binary/patches.mjs).
 */
const { calcPrice } = createRequire(import.meta.url)('@pydantic/genai-prices') as typeof GenaiPrices;

/** Version of the installed price package; a unit test checks it against the installed package.json. */
export const PRICE_TABLE_VERSION = 'genai-prices@0.1.8';

interface TierShape {
  base: number;
  tiers: readonly { start: number; price: number }[];
}
type TableValue = TableModelPrice[string];

function isTiered(v: TableValue): v is TierShape & TableValue {
  return typeof v === 'object' && v !== null && typeof v.base === 'number' && Array.isArray(v.tiers);
}

/** Price of one key for requests whose total input exceeds `threshold` (undefined = the base region). */
function valueAt(v: TableValue, threshold: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  if (!isTiered(v)) return undefined;
  if (threshold === undefined) return v.base;
  // Tiers may be listed in any order: the highest start that is still <= threshold wins.
  let best: { start: number; price: number } | undefined;
  for (const tier of v.tiers) {
    if (tier.start <= threshold && (best === undefined || tier.start > best.start)) best = tier;
  }
  return best?.price ?? v.base;
}

const KEYS = {
  input: 'input_mtok',
  output: 'output_mtok',
  cacheRead: 'cache_read_mtok',
  cacheWrite: 'cache_write_mtok',
  cacheWrite5m: 'cache_write_5m_mtok',
  cacheWrite1h: 'cache_write_1h_mtok',
  reasoning: 'output_reasoning_mtok',
} as const;

function ratesAt(p: TableModelPrice, threshold: number | undefined): TokenRates | undefined {
  const input = valueAt(p[KEYS.input], threshold);
  const output = valueAt(p[KEYS.output], threshold);
  // A model with neither token price is billed per request, image or second: not something tokens can price.
  if (input === undefined && output === undefined) return undefined;
  return ratesFromUsdPerMillion({
    input: input ?? 0,
    output: output ?? 0,
    cacheRead: valueAt(p[KEYS.cacheRead], threshold),
    cacheWrite: valueAt(p[KEYS.cacheWrite], threshold),
    cacheWrite5m: valueAt(p[KEYS.cacheWrite5m], threshold),
    cacheWrite1h: valueAt(p[KEYS.cacheWrite1h], threshold),
    reasoning: valueAt(p[KEYS.reasoning], threshold),
  });
}

/**
 * Converts one table entry. Tier starts differ per key in principle, so every distinct start becomes a
 * region boundary and each key's price is evaluated in every region.
 */
export function fromTablePrice(p: TableModelPrice, providerId: string, modelId: string): ModelPrice | undefined {
  const base = ratesAt(p, undefined);
  if (base === undefined) return undefined;
  const starts = new Set<number>();
  for (const key of Object.values(KEYS)) {
    const v = p[key];
    if (isTiered(v)) for (const t of v.tiers) starts.add(t.start);
  }
  const tiers: PriceTier[] = [];
  for (const start of [...starts].sort((a, b) => a - b)) {
    const rates = ratesAt(p, start);
    if (rates !== undefined) tiers.push({ aboveInputTokens: start, rates });
  }
  return { source: 'table', provider: providerId, model: modelId, version: PRICE_TABLE_VERSION, base, tiers };
}

const NO_USAGE = { input_tokens: 0, output_tokens: 0 };

function calc(model: string, providerId: string | undefined, at: Date): PriceCalculation | null {
  try {
    return calcPrice(NO_USAGE, model, providerId === undefined ? { timestamp: at } : { providerId, timestamp: at });
  } catch {
    // The package throws on inconsistent data for a model; such a model is simply unpriced.
    return null;
  }
}

export interface TableMatch {
  providerId: string;
  modelId: string;
  /** True when the entry has date or time-of-day conditional prices, so the price depends on when it is asked. */
  timeDependent: boolean;
  price: ModelPrice | undefined;
}

/**
 * Finds a model: under each hinted provider id in turn, then by the package's model-name matching across
 * providers (e.g. `gpt-*` → openai, `claude` → anthropic). Dated ids like `claude-sonnet-4-5-20250929` resolve
 * to their family entry inside the package.
 */
export function findInTable(model: string, providerHints: readonly string[], at: Date): TableMatch | undefined {
  let found: PriceCalculation | null = null;
  for (const hint of providerHints) {
    found = calc(model, hint, at);
    if (found) break;
  }
  found ??= calc(model, undefined, at);
  if (!found) return undefined;
  return {
    providerId: found.provider.id,
    modelId: found.model.id,
    timeDependent: Array.isArray(found.model.prices),
    price: fromTablePrice(found.model_price, found.provider.id, found.model.id),
  };
}

/** Re-reads an already matched entry at another time (only needed for time-dependent entries). */
export function priceAt(match: TableMatch, model: string, at: Date): ModelPrice | undefined {
  const found = calc(model, match.providerId, at);
  return found ? fromTablePrice(found.model_price, found.provider.id, found.model.id) : undefined;
}
