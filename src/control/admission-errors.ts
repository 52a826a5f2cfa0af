import { GatewayError } from '../core/errors.js';
import type { BudgetDenial } from './budget-ledger.js';
import { formatUsd } from './money.js';
import type { PolicyFiring } from './policy/engine.js';
import type { PauseState } from './types.js';

/** "45 s", "12 min", "3 h 5 min": how long until something frees up. */
export function formatWait(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.ceil(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
}

const WINDOW_TEXT = { hourly: 'hourly', daily: 'daily', total: 'lifetime' } as const;

export function budgetExceededError(agent: string, d: BudgetDenial, timeZone: string, now: number): GatewayError {
  const name = WINDOW_TEXT[d.window];
  let message: string;
  if (d.cause === 'reserved') {
    message =
      `Agent '${agent}' has no room left in its ${name} budget: ${formatUsd(d.spentUsd)} spent and ` +
      `${formatUsd(d.reservedUsd)} held by requests in flight, limit ${formatUsd(d.limitUsd)}. ` +
      `Room frees up as those requests finish.`;
  } else {
    const spent = `${formatUsd(d.spentUsd)} of ${formatUsd(d.limitUsd)}`;
    let when: string;
    if (d.freesAt === null) {
      when = `Only a higher limit frees it: 'ai-gateway budget ${agent} --${d.window} USD'.`;
    } else if (d.window === 'daily') {
      when = `Room frees up at midnight ${timeZone} (${new Date(d.freesAt).toISOString()}), in ${formatWait(d.freesAt - now)}.`;
    } else {
      when = `Room frees up in ${formatWait(d.freesAt - now)} (${new Date(d.freesAt).toISOString()}).`;
    }
    const span = d.window === 'hourly' ? ' in the last 60 minutes' : d.window === 'daily' ? ' today' : '';
    message = `Agent '${agent}' has spent its ${name} budget: ${spent}${span}. ${when}`;
  }
  // Never an automatic SDK retry (translation.md §9): Retry-After still says when room may come back.
  return new GatewayError('budget_exceeded', message, {
    shouldRetry: false,
    ...(d.retryAfterSeconds === null ? {} : { retryAfter: d.retryAfterSeconds }),
  });
}

/** Resume cannot lift a budget pause while the window is spent: says so, with spend, limit and when room frees up. */
export function stillOverBudgetError(agent: string, d: BudgetDenial, timeZone: string, now: number): GatewayError {
  const why = budgetExceededError(agent, d, timeZone, now).message;
  const raise = d.freesAt === null ? '' : ` Or raise the limit: 'ai-gateway budget ${agent} --${d.window} USD'.`;
  return new GatewayError('invalid_request', `Agent '${agent}' stays paused because its ${WINDOW_TEXT[d.window]} budget is spent. ${why}${raise}`, {
    status: 409,
    code: 'still_over_budget',
  });
}

export function agentPausedError(agent: string, pause: PauseState): GatewayError {
  return new GatewayError(
    'agent_paused',
    `Agent '${agent}' is paused (${pause.reason}) by ${pause.actor} since ${new Date(pause.since).toISOString()}. ` +
      `Resume it with 'ai-gateway resume ${agent}', 'p' in the TUI, or POST /api/agents/${agent}/resume.`,
    { shouldRetry: false },
  );
}

export function policyDeniedError(agent: string, firing: PolicyFiring): GatewayError {
  return new GatewayError(
    'policy_denied',
    `Policy '${firing.policy}' denies calls for agent '${agent}' while '${firing.condition}' holds.`,
    { shouldRetry: false },
  );
}

export function rateLimitedError(agent: string, what: string, retryAfterSeconds: number): GatewayError {
  return new GatewayError(
    'rate_limited',
    `Agent '${agent}' is over ${what}; retry in ${retryAfterSeconds} s.`,
    { retryAfter: retryAfterSeconds },
  );
}
