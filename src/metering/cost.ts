/**
 * Cost of one exchange, exact: token counts times integer pico-dollar rates, summed as integers, converted to
 * USD once at the end. Reasoning tokens are a part of output and are priced once, at the reasoning rate
 * (which equals the output rate unless the table prices them apart).
 */
import { totalInput, type Usage } from '../core/usage.js';
import { ratesFor, usdFromPico, type ModelPrice, type TokenRates } from './rates.js';

export interface CostBreakdown {
  input: number;
  cacheRead: number;
  /** 5-minute and 1-hour cache writes together. */
  cacheWrite: number;
  /** Includes reasoning. */
  output: number;
  /** The part of `output` paid for reasoning tokens. */
  reasoning: number;
}

export interface Cost {
  totalUsd: number;
  /** USD per token kind; `totalUsd` is computed from the exact total, not by adding these floats. */
  breakdown: CostBreakdown;
  /**
   * The same amounts in integer pico-USD (1e-12). Sums of these are exact; keep running totals in this unit.
   * Exact up to Number.MAX_SAFE_INTEGER pUSD (about $9,007 for one call).
   */
  pico: CostBreakdown & { total: number };
}

/** Non-negative integer token count; junk from a misbehaving upstream counts as zero rather than NaN dollars. */
function tokenCount(n: number): number {
  return Number.isFinite(n) && n > 0 ? Math.round(n) : 0;
}

/**
 * Tiered (long-context) prices: the tier is chosen by all input tokens of the call, cached or not, and then
 * applies to every kind of token in it, as the price table defines. Cost is therefore additive across calls
 * only within one tier.
 */
export function costOf(usage: Usage, price: ModelPrice): Cost {
  const r = ratesFor(price, totalInput(usage));
  const output = tokenCount(usage.output);
  const reasoning = Math.min(tokenCount(usage.reasoning), output);
  const input = tokenCount(usage.inputUncached) * r.input;
  const cacheRead = tokenCount(usage.cacheRead) * r.cacheRead;
  const cacheWrite = tokenCount(usage.cacheWrite5m) * r.cacheWrite5m + tokenCount(usage.cacheWrite1h) * r.cacheWrite1h;
  const reasoningCost = reasoning * r.reasoning;
  const out = (output - reasoning) * r.output + reasoningCost;
  const total = input + cacheRead + cacheWrite + out;
  // Integer products and sums are exact in doubles below 2^53 pUSD (about $9,007); the rates and counts are
  // non-negative integers, so a safe total means every term before it was exact too. Past it, BigInt.
  if (!Number.isSafeInteger(total)) return exactCostOf(usage, r);
  return costFromPico({ input, cacheRead, cacheWrite, output: out, reasoning: reasoningCost, total });
}

/** The same cost for amounts past 2^53 pUSD, in BigInt: exact sums, each part then as close as a double gets. */
function exactCostOf(usage: Usage, r: TokenRates): Cost {
  const n = (count: number): bigint => BigInt(tokenCount(count));
  const output = n(usage.output);
  const reasoning = n(usage.reasoning) > output ? output : n(usage.reasoning);
  const input = n(usage.inputUncached) * BigInt(r.input);
  const cacheRead = n(usage.cacheRead) * BigInt(r.cacheRead);
  const cacheWrite = n(usage.cacheWrite5m) * BigInt(r.cacheWrite5m) + n(usage.cacheWrite1h) * BigInt(r.cacheWrite1h);
  const reasoningCost = reasoning * BigInt(r.reasoning);
  const out = (output - reasoning) * BigInt(r.output) + reasoningCost;
  const total = input + cacheRead + cacheWrite + out;
  return costFromPico({
    input: Number(input),
    cacheRead: Number(cacheRead),
    cacheWrite: Number(cacheWrite),
    output: Number(out),
    reasoning: Number(reasoningCost),
    total: Number(total),
  });
}

function costFromPico(pico: Cost['pico']): Cost {
  return {
    totalUsd: usdFromPico(pico.total),
    breakdown: {
      input: usdFromPico(pico.input),
      cacheRead: usdFromPico(pico.cacheRead),
      cacheWrite: usdFromPico(pico.cacheWrite),
      output: usdFromPico(pico.output),
      reasoning: usdFromPico(pico.reasoning),
    },
    pico,
  };
}

export interface MaxCostOptions {
  /**
   * Whether the request may write to a prompt cache (e.g. it carries Anthropic `cache_control`). Cache writes
   * cost more than plain input, so the bound assumes them unless told otherwise. Default true.
   */
  mayWriteCache?: boolean;
}

export interface CostBound {
  totalUsd: number;
  totalPico: number;
}

/**
 * Upper bound on what a call can cost, for budget reservations before the call is made: every input token at
 * the dearest input-side rate and every output token at the dearest output-side rate, in the tier the input
 * count selects. `inputTokens` is the locally counted input; if that count is an estimate, so is the tier.
 */
export function maxCostOf(price: ModelPrice, inputTokens: number, maxOutputTokens: number, options: MaxCostOptions = {}): CostBound {
  const r = ratesFor(price, inputTokens);
  let inRate = Math.max(r.input, r.cacheRead);
  if (options.mayWriteCache ?? true) inRate = Math.max(inRate, r.cacheWrite5m, r.cacheWrite1h);
  const outRate = Math.max(r.output, r.reasoning);
  const inputs = tokenCount(inputTokens);
  const outputs = tokenCount(maxOutputTokens);
  const sum = inputs * inRate + outputs * outRate;
  // As in costOf: exact while safe, else summed in BigInt.
  const totalPico = Number.isSafeInteger(sum) ? sum : Number(BigInt(inputs) * BigInt(inRate) + BigInt(outputs) * BigInt(outRate));
  return { totalUsd: usdFromPico(totalPico), totalPico };
}
