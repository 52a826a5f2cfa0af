/**
 * Budget forecasts: when an agent's budget runs out at its recent rate of spend, and how sure that is. The rate
 * comes from a rolling window of the last five minutes (from the agent's first spend in it, when that is later),
 * not from the hour's average: an agent that sped up a minute ago is judged on what it does now. The forecast
 * says whether its spend was steady or bursty, and says so when there is too little to go on.
 */
import { formatCost, formatMinutes } from '../core/format.js';
import type { AgentStatus, SpendHistory } from '../live/snapshot.js';

export type BudgetWindow = 'hourly' | 'daily' | 'total';

/**
 * How far to trust a forecast: `steady` and `bursty` describe a minute or more of spend the rate came from; `early`
 * rests on less than a minute of it; `unknown`: no recent spend to go on.
 */
export type ForecastConfidence = 'steady' | 'bursty' | 'early' | 'unknown';

export interface BudgetForecast {
  agent: string;
  window: BudgetWindow;
  /** Minutes until the limit is reached; 0 when it already is, Infinity when unknown. */
  minutes: number;
  exhausted: boolean;
  confidence: ForecastConfidence;
  limitUsd: number;
  spentUsd: number;
}

export interface SpendRate {
  usdPerMinute: number;
  confidence: ForecastConfidence;
}

/** The rate is measured over at most this long. */
export const RATE_WINDOW_MS = 5 * 60_000;
/** Less spending time than this in the window makes an early estimate. */
export const MIN_SPAN_MS = 60_000;
/** Complete buckets whose spread (standard deviation over mean) is at most this are steady. */
const STEADY_SPREAD = 0.75;
/** A budget this far used is worth a line even when no forecast can be made. */
const WORTH_SAYING = 0.8;
const DAY_MINUTES = 24 * 60;

/** Minutes from `now` to the next local midnight, when the daily window resets. */
export function minutesUntilLocalMidnight(now: number): number {
  const d = new Date(now);
  const midnight = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
  return (midnight - now) / 60_000;
}

export function spendFor(agent: AgentStatus, window: BudgetWindow): number {
  if (window === 'hourly') return agent.costHourUsd;
  if (window === 'daily') return agent.costTodayUsd;
  return agent.costTotalUsd;
}

/**
 * Spend per minute over the window, from buckets whose last one holds `at` (buckets start at multiples of their
 * length). The span starts at the first bucket with spend in the window and ends at `at`.
 */
export function spendRate(history: SpendHistory | undefined, at: number): SpendRate {
  if (history === undefined || history.buckets.length === 0) return { usdPerMinute: 0, confidence: 'unknown' };
  const { bucketMs, buckets } = history;
  const lastStart = at - (at % bucketMs);
  const inWindow = Math.min(buckets.length, Math.ceil((RATE_WINDOW_MS - (at - lastStart)) / bucketMs) + 1);
  const recent = buckets.slice(-inWindow);
  const first = recent.findIndex((b) => b > 0);
  if (first < 0) return { usdPerMinute: 0, confidence: 'unknown' };
  const spent = recent.slice(first).reduce((a, b) => a + b, 0);
  // From the first spend when the history knows it (spending began inside a bucket), else that bucket's start.
  const firstStart = lastStart - (recent.length - 1 - first) * bucketMs;
  const spanMs = Math.max(1, at - Math.max(firstStart, history.since ?? firstStart));
  const usdPerMinute = spent / (spanMs / 60_000);
  // Whole buckets after the first (which may have begun part-way) show how even the spending was.
  const whole = recent.slice(first + 1, -1);
  if (spanMs < MIN_SPAN_MS || whole.length < 2) return { usdPerMinute, confidence: 'early' };
  const mean = whole.reduce((a, b) => a + b, 0) / whole.length;
  const spread = mean === 0 ? Infinity : Math.sqrt(whole.reduce((a, b) => a + (b - mean) ** 2, 0) / whole.length) / mean;
  return { usdPerMinute, confidence: spread <= STEADY_SPREAD ? 'steady' : 'bursty' };
}

/**
 * The soonest budget an agent will exhaust, or undefined when none is in sight. Only active agents are
 * forecast: idle or paused agents are not spending. A window is "in sight" when it runs out before it resets
 * (hourly: within the hour, daily: before midnight, total: within a day). `at` is when the snapshot was taken.
 */
export function forecastAgent(agent: AgentStatus, at: number): BudgetForecast | undefined {
  if (agent.status !== 'active') return undefined;
  const rate = spendRate(agent.spendHistory, at);
  const horizon: Record<BudgetWindow, number> = { hourly: 60, daily: minutesUntilLocalMidnight(at), total: DAY_MINUTES };
  let best: BudgetForecast | undefined;
  for (const window of ['hourly', 'daily', 'total'] as const) {
    const limit = agent.budget[window];
    if (limit === undefined || limit === null) continue;
    const spent = spendFor(agent, window);
    const base = { agent: agent.id, window, limitUsd: limit, spentUsd: spent };
    let candidate: BudgetForecast | undefined;
    if (spent >= limit) {
      candidate = { ...base, minutes: 0, exhausted: true, confidence: rate.confidence };
    } else if (rate.usdPerMinute > 0) {
      const minutes = (limit - spent) / rate.usdPerMinute;
      if (minutes <= horizon[window]) candidate = { ...base, minutes, exhausted: false, confidence: rate.confidence };
    } else if (limit > 0 && spent / limit >= WORTH_SAYING) {
      candidate = { ...base, minutes: Infinity, exhausted: false, confidence: 'unknown' };
    }
    if (candidate && (!best || candidate.minutes < best.minutes)) best = candidate;
  }
  return best;
}

/** Forecasts for all agents, most urgent first. */
export function budgetForecasts(agents: readonly AgentStatus[], at: number): BudgetForecast[] {
  const out: BudgetForecast[] = [];
  for (const agent of agents) {
    const f = forecastAgent(agent, at);
    if (f) out.push(f);
  }
  return out.sort((a, b) => a.minutes - b.minutes || a.agent.localeCompare(b.agent));
}

const CONFIDENCE_TEXT: Record<Exclude<ForecastConfidence, 'unknown'>, string> = { steady: 'steady', bursty: 'bursty', early: 'early estimate' };

/** "researcher: hourly budget gone in ~14 min (steady)". */
export function describeForecast(f: BudgetForecast): string {
  const what = `${f.agent}: ${f.window} budget`;
  if (f.exhausted) return `${what} gone (${formatCost(f.spentUsd)} of ${formatCost(f.limitUsd)})`;
  if (f.confidence === 'unknown') return `${what} ${Math.min(99, Math.round((f.spentUsd / f.limitUsd) * 100))}% used; not enough data for a forecast`;
  return `${what} gone in ${formatMinutes(f.minutes)} (${CONFIDENCE_TEXT[f.confidence]})`;
}
