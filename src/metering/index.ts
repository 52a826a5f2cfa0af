export {
  PICO_PER_USD,
  CONFIG_PRICE_VERSION,
  picoPerToken,
  picoFromUsd,
  usdFromPico,
  ratesFor,
  priceFromOverride,
  freePrice,
  type ModelPrice,
  type PriceTier,
  type TokenRates,
  type PriceOverrideInput,
} from './rates.js';
export { PRICE_TABLE_VERSION } from './table-match.js';
export { PriceTable, type PriceLookupOptions, type PriceTableOptions } from './price-table.js';
export { costOf, maxCostOf, type Cost, type CostBound, type CostBreakdown, type MaxCostOptions } from './cost.js';
export { inputTokenBound, imageTokenBound, type InputBoundOptions } from './input-bound.js';
export {
  type TokenCounter,
  type TokenCounts,
  type CountsTokens,
  byteEstimate,
  countText,
  estimateRequestInputTokens,
  TOKENS_PER_MESSAGE,
  TOKENS_REPLY_PRIMER,
  type RequestTextParts,
} from './tokens.js';
export { CAPABILITY_TABLE_VERSION, type ModelCapabilities } from './capability-source.js';
export { CapabilityTable, type CapabilityTableOptions } from './capability-table.js';
