/**
 * Pure text formatting shared by the dashboard and the CLI, so both spell a number the same way: money, token
 * counts, durations, times, fitting to widths. No imports: the status-line command loads this and little else.
 *
 * Money, one rule everywhere a dollar sign is shown (formatCost):
 * - whole dollar amounts have no cents: `$0` (exactly nothing spent), `$5`, `$20`;
 * - other amounts of $1 or more have cents: `$8.40`;
 * - below $1, two to four decimals, trailing zeros past the second dropped: `$0.50`, `$0.12`, `$0.0087`;
 *   a non-zero amount too small for four decimals is `<$0.0001`, never `$0`;
 * - no price at all is `unpriced`, never `$0`.
 * Dashboard columns whose header already says `$` use formatUsd: the same figure without the sign, two decimals.
 *
 * Durations: `820ms` below a second, `2.1s` up to ten seconds, then whole seconds (formatLatency); uptimes and
 * countdowns in `1h12m` style. Times of day are local `HH:MM:SS`.
 */

// Made on first use: building an Intl formatter costs about 20 ms of ICU start-up, which `statusline` never needs.
let grouped: Intl.NumberFormat | undefined;

/** Whole count with thousands separators: 1204 → "1,204". */
export function formatCount(n: number): string {
  grouped ??= new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  return grouped.format(Math.round(n));
}

/** Token count, compact: 800, 1.2k, 310k, 2.1M, 21M. */
export function formatTokens(n: number): string {
  const v = Math.max(0, Math.round(n));
  if (v < 1000) return String(v);
  if (v < 10_000) return `${trimZero((v / 1000).toFixed(1))}k`;
  if (v < 999_500) return `${Math.round(v / 1000)}k`;
  if (v < 9_950_000) return `${trimZero((v / 1_000_000).toFixed(1))}M`;
  if (v < 999_500_000) return `${Math.round(v / 1_000_000)}M`;
  return `${trimZero((v / 1_000_000_000).toFixed(1))}B`;
}

function trimZero(s: string): string {
  return s.endsWith('.0') ? s.slice(0, -2) : s;
}

/** Dollar amount for tables, two decimals, no sign: 3.21. Tiny non-zero amounts never show as 0.00. */
export function formatUsd(v: number): string {
  if (v > 0 && v < 0.005) return '<0.01';
  return fixed(v, 2);
}

/** A dollar amount with its sign (a request's cost, a spend, a limit), by the money rule above. */
export function formatCost(v: number | null): string {
  if (v === null) return 'unpriced';
  if (v < 0) return `-${formatCost(-v)}`;
  if (Number.isInteger(v)) return `$${v}`;
  if (v < 0.0001) return '<$0.0001';
  if (v < 1) return `$${v.toFixed(4).replace(/0{1,2}$/, '')}`;
  return `$${fixed(v, 2)}`;
}

/** toFixed without "-0.00". */
function fixed(v: number, digits: number): string {
  const s = v.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** Fraction 0..1 as a short percentage: 0.004 → "0.4%", 0.5 → "50%". */
export function formatPercent(rate: number): string {
  const p = rate * 100;
  if (p === 0) return '0%';
  if (p < 10) return `${trimZero(p.toFixed(1))}%`;
  return `${Math.round(p)}%`;
}

/** Uptime style: 45s, 12m, 1h12m, 3d4h. */
export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${pad2(m % 60)}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

/** Countdown style: 12s, 4m05s, 1h12m. Rounds up so "retry 0s" only shows when it is due. */
export function formatCountdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${pad2(s % 60)}s`;
  return `${Math.floor(m / 60)}h${pad2(m % 60)}m`;
}

/** Request latency: 820ms, 1.2s, 14s. */
export function formatLatency(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 10_000) return `${trimZero((ms / 1000).toFixed(1))}s`;
  return `${Math.round(ms / 1000)}s`;
}

/** Minutes as a rough human duration for forecasts: "<1 min", "~14 min", "~2h10m". */
export function formatMinutes(minutes: number): string {
  if (minutes < 1) return '<1 min';
  if (minutes < 60) return `~${Math.round(minutes)} min`;
  const total = Math.round(minutes);
  return `~${Math.floor(total / 60)}h${pad2(total % 60)}m`;
}

/** Local wall-clock time HH:MM:SS. */
export function formatClockTime(ts: number): string {
  const d = new Date(ts);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * Fits `text` into exactly `width` cells: truncated with "…" when too long, padded when short.
 * The dashboard only prints single-width characters, so string length is the cell count.
 */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  const chars = Array.from(text);
  if (chars.length > width) return width === 1 ? '…' : `${chars.slice(0, width - 1).join('')}…`;
  const padding = ' '.repeat(width - chars.length);
  return align === 'left' ? text + padding : padding + text;
}

/** Shortens a model name to `width` keeping the informative tail (versions differ at the end). */
export function shortenModel(model: string, width: number): string {
  const chars = Array.from(model);
  if (chars.length <= width) return model;
  if (width <= 1) return '…';
  // Drop a vendor prefix such as "anthropic/" first; it rarely tells models apart.
  const slash = model.lastIndexOf('/');
  if (slash >= 0 && model.length - slash - 1 <= width) return model.slice(slash + 1);
  return `${chars.slice(0, width - 1).join('')}…`;
}

/** A budget bar of `width` cells: "██████░░░░". Ratio is clamped to 0..1. */
export function budgetBar(ratio: number, width: number): string {
  const r = Number.isFinite(ratio) ? Math.min(1, Math.max(0, ratio)) : 1;
  const filled = Math.round(r * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}
