/**
 * Which alerts are due, as pure logic with the clock passed in: an agent's spend crossing a threshold of a budget
 * window, and an `alert` policy firing. Each goes out at most once per agent, rule and window:
 * - hourly (a rolling hour): once an hour has passed since it went out, the same threshold may alert again;
 * - daily: once per local day (the daily budget's day);
 * - total: once, unless the limit changes;
 * - a policy: at most once an hour per agent, on the rising edge the policy engine reports.
 * A changed limit is a new rule: its thresholds alert anew. What went out is remembered by key, and can be
 * restored from the audit's alert events after a restart.
 */
import { formatCost } from '../core/format.js';
import { usdToNanos } from '../control/money.js';

export type AlertWindow = 'hourly' | 'daily' | 'total';

export interface BudgetAlert {
  kind: 'budget';
  /** The rule and window instance; within it each threshold alerts once, in rising order. */
  key: string;
  agent: string;
  window: AlertWindow;
  /** The highest threshold crossed, 0..1. */
  threshold: number;
  spentUsd: number;
  limitUsd: number;
  at: number;
}

export interface PolicyAlert {
  kind: 'policy';
  key: string;
  agent: string;
  policy: string;
  condition: string;
  at: number;
}

export type Alert = BudgetAlert | PolicyAlert;

/** Spend and limit of one window; a null limit has nothing to cross. */
export interface WindowSpend {
  spentUsd: number;
  limitUsd: number | null;
}

export const ALERT_HOUR_MS = 60 * 60 * 1000;
const WINDOWS: readonly AlertWindow[] = ['hourly', 'daily', 'total'];

/** What went out for one rule and window: the highest threshold (budgets) and when. */
export interface SentAlert {
  key: string;
  /** Budgets only: the threshold that went out. */
  threshold?: number | undefined;
  at: number;
}

export class AlertGate {
  /** Rule-and-window key → the highest threshold that went out for it, and when. */
  private readonly sent = new Map<string, { threshold: number; at: number }>();

  /**
   * The budget alerts due for an agent now: per window, the highest threshold crossed when it is higher than what
   * already went out in this window. When one step crosses several thresholds, one alert names the highest.
   */
  budget(agent: string, windows: Readonly<Record<AlertWindow, WindowSpend>>, thresholds: readonly number[], now: number, dayKey: string): BudgetAlert[] {
    const due: BudgetAlert[] = [];
    for (const window of WINDOWS) {
      const { spentUsd, limitUsd } = windows[window];
      if (limitUsd === null || limitUsd <= 0) continue;
      let top: number | undefined;
      // Compared in whole nano-dollars, as the budgets are: 0.8 × $0.05 must be reached by $0.04 spent.
      const spent = usdToNanos(spentUsd);
      for (const t of thresholds) if (spent >= usdToNanos(t * limitUsd) && (top === undefined || t > top)) top = t;
      if (top === undefined) continue;
      const key = budgetKey(agent, window, limitUsd, dayKey);
      const before = this.current(key, window, now);
      if (before !== undefined && before.threshold >= top) continue;
      this.sent.set(key, { threshold: top, at: now });
      due.push({ kind: 'budget', key, agent, window, threshold: top, spentUsd, limitUsd, at: now });
    }
    return due;
  }

  /** The alert for a policy that just fired for an agent, unless it already alerted within the hour. */
  policy(agent: string, policy: string, condition: string, now: number): PolicyAlert | undefined {
    const key = `policy|${agent}|${policy}`;
    if (this.current(key, 'hourly', now) !== undefined) return undefined;
    this.sent.set(key, { threshold: 0, at: now });
    return { kind: 'policy', key, agent, policy, condition, at: now };
  }

  /** Alerts that went out before a restart (from the audit), so they do not go out again in the same window. */
  restore(sent: readonly SentAlert[]): void {
    for (const s of sent) {
      const known = this.sent.get(s.key);
      const threshold = s.threshold ?? 0;
      if (known === undefined || known.threshold < threshold || (known.threshold === threshold && known.at < s.at)) this.sent.set(s.key, { threshold, at: s.at });
    }
  }

  /** What went out in the window still running; a rolling hour's record lapses an hour after it went out. */
  private current(key: string, window: AlertWindow, now: number): { threshold: number; at: number } | undefined {
    const sent = this.sent.get(key);
    if (sent === undefined) return undefined;
    // Daily and total keys carry their window in the key; only a rolling hour reopens with time.
    return window === 'hourly' && now - sent.at >= ALERT_HOUR_MS ? undefined : sent;
  }
}

/** One budget rule of an agent in one window instance: the limit is part of it, so a new limit alerts anew. */
function budgetKey(agent: string, window: AlertWindow, limitUsd: number, dayKey: string): string {
  const instance = window === 'daily' ? `|${dayKey}` : '';
  return `budget|${agent}|${window}|${limitUsd}${instance}`;
}

/** The one line a person reads: in the webhook's `text`, the notification, the dashboard banner and the audit. */
export function alertText(alert: Alert): string {
  if (alert.kind === 'policy') return `agent ${alert.agent}: policy ${alert.policy} fired (${alert.condition})`;
  const pct = Math.round(alert.threshold * 100);
  const amounts = `${formatCost(alert.spentUsd)} of ${formatCost(alert.limitUsd)}`;
  if (alert.threshold >= 1) return `agent ${alert.agent} has used its whole ${alert.window} budget (${amounts}); its calls are refused until there is room`;
  return `agent ${alert.agent} has used ${pct}% of its ${alert.window} budget (${amounts})`;
}
