/**
 * The one code path for every control action, whoever asks (management API, CLI through it, TUI):
 * the registry changes state, persists the override and emits the control event that the audit records.
 */
import { GatewayError } from '../core/errors.js';
import type { BudgetLimitsView, BudgetPatch, PauseState } from '../control/index.js';
import type { GatewayControls } from './controls.js';

export type Surface = 'api' | 'cli' | 'tui';

export class ControlActions {
  constructor(private readonly controls: GatewayControls) {}

  pause(agent: string, actor: string, reason?: string): PauseState {
    this.requireAgent(agent);
    return this.controls.registry.pause(agent, { actor, ...(reason ? { reason } : {}) });
  }

  resume(agent: string, actor: string): boolean {
    this.requireAgent(agent);
    return this.controls.registry.resume(agent, actor);
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

/** Surfaces are actors; a CLI call reaches the API with `x-ai-gateway-actor: cli`. */
export function actorFrom(header: string | string[] | undefined, fallback: Surface): string {
  return header === 'cli' || header === 'tui' || header === 'api' ? header : fallback;
}
