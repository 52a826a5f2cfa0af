import type { GatewayError } from '../core/errors.js';
import type { BudgetLimitsView, BudgetSpend, Reservation } from './budget-ledger.js';
import type { Actor, PauseState, PolicyAction } from './types.js';

/** Shapes the agent registry hands out: admission results, events and snapshots (plain data). */

export type AgentStatus = 'active' | 'idle' | 'paused';

export type RegistryEvent =
  | { type: 'agent_registered'; agent: string; at: number }
  | { type: 'pause_changed'; agent: string; actor: Actor; old: PauseState | null; new: PauseState | null; at: number }
  | { type: 'budget_changed'; agent: string; actor: Actor; old: BudgetLimitsView; new: BudgetLimitsView; at: number }
  | { type: 'policy_fired'; agent: string; policy: string; action: PolicyAction; condition: string; at: number };

export type RegistryListener = (event: RegistryEvent) => void;

export interface AdmitRequest {
  /** Upper bound of the call's cost (see estimateReservationUsd); 0 for a model priced at zero. */
  estimatedCostUsd: number;
  /** Estimated input + output tokens, for the tokens-per-minute limit. */
  estimatedTokens?: number | undefined;
}

export interface CallOutcome {
  ok: boolean;
  tokensIn: number;
  tokensOut: number;
  /** Real cost of the call; replaces the reservation. */
  costUsd: number;
}

/** An admitted call. Exactly one of finish/abandon counts; later calls are ignored. */
export interface AdmissionTicket {
  readonly agent: string;
  readonly reservation: Reservation;
  /** Grows the budget hold as a stream's cost passes it; false = no room left, end the stream. */
  extend(additionalUsd: number): boolean;
  /** Settles the budget with the real cost, counts the call and re-evaluates budget pauses and policies. */
  finish(outcome: CallOutcome): void;
  /** The call never reached the provider: drops the hold and returns the tpm tokens, counts nothing. */
  abandon(): void;
  /**
   * Why the call should stop now, while it runs (a stream checks at each chunk): its agent was paused by hand or
   * by a policy, or its budget was lowered below what is spent and held. Null when it may go on, or once done.
   */
  standing(): GatewayError | null;
}

export type AdmitResult = { ok: true; ticket: AdmissionTicket } | { ok: false; error: GatewayError };

export interface AgentSnapshot {
  id: string;
  /** Listed in the config (false: auto-registered or known only from history). */
  configured: boolean;
  tags: string[];
  status: AgentStatus;
  pause: PauseState | null;
  budget: BudgetLimitsView;
  spend: BudgetSpend;
  /** Epoch ms at which a spent hourly/daily budget has room again; null when not budget-paused or never. */
  budgetFreesAt: number | null;
  calls: number;
  errors: number;
  tokensIn: number;
  tokensOut: number;
  callsThisHour: number;
  errorRate: number;
  lastCallAt: number | null;
  rateLimit: string | null;
  /** Deny policy rejecting calls right now. */
  denyingPolicy: string | null;
  /** Throttle policies limiting calls right now. */
  throttledBy: string[];
}
