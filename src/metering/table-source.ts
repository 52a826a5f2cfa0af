/**
 * Turns price-table entries into token rates. The table is @pydantic/genai-prices' data, shipped in the package
 * as price-table.json; nothing is fetched at run time.
 */
import { ratesFromUsdPerMillion, type ModelPrice, type PriceTier, type TokenRates } from './rates.js';
import { lookupTable, PRICE_TABLE_VERSION, type TableHit, type TablePrices, type TieredPrice } from './table-match.js';

type TableValue = TablePrices[string];

function isTiered(v: TableValue): v is TieredPrice {
  return typeof v === 'object' && typeof v.base === 'number' && Array.isArray(v.tiers);
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

/** The table's price keys that become token rates; scripts/price-table.mjs keeps exactly these. */
export const TABLE_KEYS = {
  input: 'input_mtok',
  output: 'output_mtok',
  cacheRead: 'cache_read_mtok',
  cacheWrite: 'cache_write_mtok',
  cacheWrite5m: 'cache_write_5m_mtok',
  cacheWrite1h: 'cache_write_1h_mtok',
  reasoning: 'output_reasoning_mtok',
} as const;

function ratesAt(p: TablePrices, threshold: number | undefined): TokenRates | undefined {
  const input = valueAt(p[TABLE_KEYS.input], threshold);
  const output = valueAt(p[TABLE_KEYS.output], threshold);
  // A model with neither token price is billed per request, image or second: not something tokens can price.
  if (input === undefined && output === undefined) return undefined;
  return ratesFromUsdPerMillion({
    input: input ?? 0,
    output: output ?? 0,
    cacheRead: valueAt(p[TABLE_KEYS.cacheRead], threshold),
    cacheWrite: valueAt(p[TABLE_KEYS.cacheWrite], threshold),
    cacheWrite5m: valueAt(p[TABLE_KEYS.cacheWrite5m], threshold),
    cacheWrite1h: valueAt(p[TABLE_KEYS.cacheWrite1h], threshold),
    reasoning: valueAt(p[TABLE_KEYS.reasoning], threshold),
  });
}

/**
 * Converts one table entry. Tier starts differ per key in principle, so every distinct start becomes a
 * region boundary and each key's price is evaluated in every region.
 */
export function fromTablePrice(p: TablePrices, providerId: string, modelId: string): ModelPrice | undefined {
  const base = ratesAt(p, undefined);
  if (base === undefined) return undefined;
  const starts = new Set<number>();
  for (const key of Object.values(TABLE_KEYS)) {
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

function calc(model: string, providerId: string | undefined, at: Date): TableHit | null {
  try {
    return lookupTable(model, providerId, at);
  } catch {
    // A constraint the lookup cannot read (a malformed time of day) leaves the model unpriced, not at $0.
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
 * Finds a model: under each hinted provider id in turn, then by the table's model-name matching across
 * providers (e.g. `gpt-*` → openai, `claude` → anthropic). Dated ids like `claude-sonnet-4-5-20250929` resolve
 * to their family entry.
 */
export function findInTable(model: string, providerHints: readonly string[], at: Date): TableMatch | undefined {
  let found: TableHit | null = null;
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
    price: fromTablePrice(found.prices, found.provider.id, found.model.id),
  };
}

/** Re-reads an already matched entry at another time (only needed for time-dependent entries). */
export function priceAt(match: TableMatch, model: string, at: Date): ModelPrice | undefined {
  const found = calc(model, match.providerId, at);
  return found ? fromTablePrice(found.prices, found.provider.id, found.model.id) : undefined;
}
