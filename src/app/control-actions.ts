/**
 * The one code path for every control action, whoever asks (management API, CLI through it, TUI):
 * the registry changes state, persists the override and emits the control event that the audit records.
 */
import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { BudgetLimitsView, BudgetPatch, PauseState } from '../control/index.js';
import { stillOverBudgetError } from '../control/admission-errors.js';
import type { ManagementActions, ResumeOutcome } from '../server/admin-routes.js';
import type { GatewayControls } from './adapters/controls.js';

export class ControlActions implements ManagementActions {
  constructor(
    private readonly controls: GatewayControls,
    private readonly clock: Clock,
  ) {}

  pause(agent: string, actor: string, reason?: string): PauseState {
    this.requireAgent(agent);
    return this.controls.registry.pause(agent, { actor, ...(reason ? { reason } : {}) });
  }

  /**
   * Lifts a manual or policy pause. An agent over budget stays paused: a budget pause alone is a 409 error, and
   * one under a lifted pause is reported in `stillPaused`.
   */
  resume(agent: string, actor: string): ResumeOutcome {
    this.requireAgent(agent);
    const resumed = this.controls.registry.resume(agent, actor);
    const denial = this.controls.registry.agent(agent)?.pause?.kind === 'budget' ? this.controls.ledger.check(agent) : null;
    if (denial === null) return { resumed };
    return { resumed, stillPaused: stillOverBudgetError(agent, denial, this.controls.ledger.timeZone, this.clock.now()).message };
  }

  setBudget(agent: string, patch: BudgetPatch, actor: string): BudgetLimitsView {
    this.requireAgent(agent);
    for (const [window, value] of Object.entries(patch)) {
      if (value !== null && value !== undefined && (!Number.isFinite(value) || value < 0)) {
        throw new GatewayError('invalid_request', `budget ${window} must be a number of USD ≥ 0, or null for no limit`, { param: window });
      }
    }
    return this.controls.registry.setBudget(agent, patch, actor);
  }

  resetBreaker(key: string, actor: string): void {
    // The breaker reports its own transition (reason `manual`), which becomes the control event.
    if (!this.controls.breakers.reset(key, actor)) throw new GatewayError('not_found', `no circuit breaker "${key}"; see GET /api/breakers`);
  }

  private requireAgent(agent: string): void {
    if (!this.controls.registry.has(agent)) throw new GatewayError('not_found', `no agent "${agent}"; see ai-gateway status`);
  }
}
