import { GatewayError } from '../core/errors.js';

/**
 * Money inside the controls is integer nano-dollars (1e-9 USD): sums and limit comparisons are then exact
 * integer arithmetic, safe up to about $9 million. USD floats appear only at the API edges.
 */
export const NANOS_PER_USD = 1_000_000_000;

export function usdToNanos(usd: number): number {
  if (!Number.isFinite(usd) || usd < 0) {
    throw new GatewayError('internal', `a cost must be a finite amount of USD >= 0, got ${String(usd)}`);
  }
  return Math.round(usd * NANOS_PER_USD);
}

export function nanosToUsd(nanos: number): number {
  return nanos / NANOS_PER_USD;
}

/** `$0.0123` below a dollar, `$12.35` above: enough digits to see small agents move. */
export function formatUsd(usd: number): string {
  return `$${usd.toFixed(Math.abs(usd) < 1 ? 4 : 2)}`;
}
