/**
 * Budget forecasts: when an agent's budget runs out at its current rate of spend. The rate is the
 * spend of the rolling last hour, which is what the hourly budget measures too.
 */
import { formatMinutes, formatUsd } from '../core/format.js';
import type { AgentStatus } from './source.js';

export type BudgetWindow = 'hourly' | 'daily' | 'total';

export interface BudgetForecast {
  agent: string;
  window: BudgetWindow;
  /** Minutes until the limit is reached; 0 when it already is. */
  minutes: number;
  exhausted: boolean;
  limitUsd: number;
  spentUsd: number;
}

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
 * The soonest budget an agent will exhaust, or undefined when none is in sight. Only active agents are
 * forecast: idle or paused agents are not spending. A window is "in sight" when it runs out before
 * it resets (hourly: within the hour, daily: before midnight, total: within a day).
 */
export function forecastAgent(agent: AgentStatus, now: number): BudgetForecast | undefined {
  if (agent.status !== 'active') return undefined;
  const ratePerMinute = agent.costHourUsd / 60;
  const horizon: Record<BudgetWindow, number> = {
    hourly: 60,
    daily: minutesUntilLocalMidnight(now),
    total: DAY_MINUTES,
  };
  let best: BudgetForecast | undefined;
  for (const window of ['hourly', 'daily', 'total'] as const) {
    const limit = agent.budget[window];
    if (limit === undefined || limit === null) continue;
    const spent = spendFor(agent, window);
    let candidate: BudgetForecast | undefined;
    if (spent >= limit) {
      candidate = { agent: agent.id, window, minutes: 0, exhausted: true, limitUsd: limit, spentUsd: spent };
    } else if (ratePerMinute > 0) {
      const minutes = (limit - spent) / ratePerMinute;
      if (minutes <= horizon[window]) {
        candidate = { agent: agent.id, window, minutes, exhausted: false, limitUsd: limit, spentUsd: spent };
      }
    }
    if (candidate && (!best || candidate.minutes < best.minutes)) best = candidate;
  }
  return best;
}

/** Forecasts for all agents, most urgent first. */
export function budgetForecasts(agents: readonly AgentStatus[], now: number): BudgetForecast[] {
  const out: BudgetForecast[] = [];
  for (const agent of agents) {
    const f = forecastAgent(agent, now);
    if (f) out.push(f);
  }
  return out.sort((a, b) => a.minutes - b.minutes || a.agent.localeCompare(b.agent));
}

/** "researcher: hourly budget gone in ~14 min at the current rate". */
export function describeForecast(f: BudgetForecast): string {
  if (f.exhausted) {
    return `${f.agent}: ${f.window} budget used up ($${formatUsd(f.spentUsd)} of $${formatUsd(f.limitUsd)})`;
  }
  return `${f.agent}: ${f.window} budget gone in ${formatMinutes(f.minutes)} at the current rate`;
}
