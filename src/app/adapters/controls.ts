/**
 * The pipeline's Controls port over the control state machines (src/control): config → control inputs, and
 * admission and breaker gates over the agent registry and the breaker registry. Overrides persist through
 * control-persistence.ts.
 */
import { GatewayError } from '../../core/errors.js';
import type { Clock } from '../../core/clock.js';
import type { AgentConfig, GatewayConfig } from '../../config/types.js';
import { DEFAULTS, parseDuration } from '../../config/index.js';
import {
  AgentRegistry,
  BreakerRegistry,
  BudgetLedger,
  isBreakerFailure,
  isBreakerFailureError,
  type AgentDefaults,
  type AgentInput,
  type BreakerSettings,
  type BreakerTransition,
  type RegistryEvent,
  type ControlPersistence,
  type PolicyInput,
  type RateLimitInput,
  type AdmissionTicket,
} from '../../control/index.js';
import type { SharedControls } from '../../state/shared/shared-controls.js';
import type { Admission, AdmissionRequest, BreakerGate, Controls } from '../../pipeline/ports.js';

/** Unpriced models still hold a token amount, so a spent budget blocks them; free models hold nothing. */
const UNPRICED_HOLD_USD = 1e-9;

const UNIT_NAMES: ReadonlyArray<[number, string]> = [
  [86_400_000, 'day'],
  [3_600_000, 'hour'],
  [60_000, 'min'],
  [1000, 's'],
];

/** The controls' rate-limit input for a normalised config rate limit. */
export function rateLimitInput(rl: NonNullable<AgentConfig['rateLimit']>): RateLimitInput {
  const tpm = rl.tokensPerMinute;
  if (rl.requests === undefined) {
    // Tokens-per-minute only: the request bucket never binds.
    return { spec: `${Number.MAX_SAFE_INTEGER}/s`, ...(tpm !== undefined ? { tpm } : {}) };
  }
  const exact = UNIT_NAMES.find(([ms]) => ms === rl.perMs);
  const spec = exact ? `${rl.requests}/${exact[1]}` : `${Math.max(1, Math.round((rl.requests * 3_600_000) / rl.perMs))}/hour`;
  const burst = rl.burst ?? (exact ? undefined : rl.requests);
  return { spec, ...(burst !== undefined ? { burst } : {}), ...(tpm !== undefined ? { tpm } : {}) };
}

export function breakerSettings(cb: NonNullable<AgentConfig['circuitBreaker']>): BreakerSettings {
  // A rate trip ("error_threshold: 0.5") becomes the number of failures it means at the minimum volume.
  const errorThreshold = cb.trip.kind === 'count' ? cb.trip.errors : Math.max(1, Math.ceil(cb.trip.rate * cb.trip.minRequests));
  return { errorThreshold, windowMs: cb.windowMs, resetTimeoutMs: cb.resetTimeoutMs, halfOpenRequests: cb.halfOpenRequests };
}

export const DEFAULT_BREAKER: BreakerSettings = {
  errorThreshold: DEFAULTS.breaker.errorThreshold,
  windowMs: parseDuration(DEFAULTS.breaker.window) ?? 60_000,
  resetTimeoutMs: parseDuration(DEFAULTS.breaker.resetTimeout) ?? 30_000,
  halfOpenRequests: DEFAULTS.breaker.halfOpenRequests,
};

export interface ControlInputs {
  agents: AgentInput[];
  defaults: AgentDefaults;
  policies: PolicyInput[];
  perAgentBreakers: Map<string, BreakerSettings>;
}

export function controlInputs(config: GatewayConfig): ControlInputs {
  const agents: AgentInput[] = [];
  const perAgentBreakers = new Map<string, BreakerSettings>();
  for (const a of config.agents.values()) {
    const input: AgentInput = {
      id: a.id,
      budget: { hourly: a.budget.maxCostPerHour, daily: a.budget.maxCostPerDay, total: a.budget.maxCostTotal },
      tags: a.tags,
    };
    if (a.rateLimit) input.rateLimit = rateLimitInput(a.rateLimit);
    if (a.circuitBreaker) {
      input.breaker = breakerSettings(a.circuitBreaker);
      perAgentBreakers.set(a.id, input.breaker);
    }
    agents.push(input);
  }
  // Agents that register themselves (a new id in a header or path) get the `default` agent's limits.
  const fallback = agents.find((a) => a.id === 'default');
  const defaults: AgentDefaults = { budget: fallback?.budget, rateLimit: fallback?.rateLimit };
  const policies: PolicyInput[] = config.policies.map((p) => {
    // `rate` and `rate_limit` both name a throttle's rate (the example config uses the latter).
    const given = p.params.rate ?? p.params.rate_limit;
    const rate = typeof given === 'string' ? given : undefined;
    const agentsList = Array.isArray(p.params.agents) ? p.params.agents.filter((x): x is string => typeof x === 'string') : undefined;
    return { name: p.name, condition: p.condition, action: p.action, ...(rate ? { params: { rate } } : {}), ...(agentsList ? { agents: agentsList } : {}) };
  });
  return { agents, defaults, policies, perAgentBreakers };
}

export interface GatewayControlsOptions {
  clock: Clock;
  config: GatewayConfig;
  persistence?: ControlPersistence | undefined;
  onControlEvent: (event: RegistryEvent) => void;
  onBreakerTransition: (transition: BreakerTransition) => void;
  onRateLimited: (agent: string) => void;
}

export class GatewayControls implements Controls {
  readonly ledger: BudgetLedger;
  readonly registry: AgentRegistry;
  readonly breakers: BreakerRegistry;
  private readonly onRateLimited: (agent: string) => void;

  constructor(options: GatewayControlsOptions) {
    const inputs = controlInputs(options.config);
    this.ledger = new BudgetLedger({ clock: options.clock, ...(options.config.gateway.timezone ? { timeZone: options.config.gateway.timezone } : {}) });
    this.registry = new AgentRegistry({
      clock: options.clock,
      ledger: this.ledger,
      agents: inputs.agents,
      defaults: inputs.defaults,
      policies: inputs.policies,
      persistence: options.persistence,
    });
    this.registry.on(options.onControlEvent);
    this.breakers = new BreakerRegistry({ clock: options.clock, defaults: DEFAULT_BREAKER, perAgent: inputs.perAgentBreakers, onTransition: options.onBreakerTransition });
    this.onRateLimited = options.onRateLimited;
  }

  /** Applies a reloaded config; throws (and changes nothing) when the new control settings are invalid. */
  reconfigure(config: GatewayConfig): void {
    const inputs = controlInputs(config);
    this.registry.configure({ agents: inputs.agents, defaults: inputs.defaults, policies: inputs.policies });
    this.breakers.configure(DEFAULT_BREAKER, inputs.perAgentBreakers);
  }

  /** Limits shared with other instances through Redis, when shared_state is configured (set once at wiring). */
  shared: SharedControls | undefined;

  admit(request: AdmissionRequest): Admission | Promise<Admission> {
    const estimatedCostUsd = request.maxCostUsd ?? UNPRICED_HOLD_USD;
    const input = { estimatedCostUsd, estimatedTokens: request.tokens };
    if (this.shared !== undefined) {
      return this.shared.admit(request.agent, input).then(
        (ticket) => this.admission(request, ticket),
        (err: unknown) => {
          if (err instanceof GatewayError && err.kind === 'rate_limited') this.onRateLimited(request.agent);
          throw err;
        },
      );
    }
    const result = this.registry.admit(request.agent, input);
    if (!result.ok) {
      if (result.error.kind === 'rate_limited') this.onRateLimited(request.agent);
      throw result.error;
    }
    return this.admission(request, result.ticket);
  }

  private admission(request: AdmissionRequest, ticket: AdmissionTicket): Admission {
    const limits = this.ledger.limits(request.agent);
    const limited = request.maxCostUsd !== null && (limits.hourly !== null || limits.daily !== null || limits.total !== null);
    return {
      limited,
      extend: (usd) => ticket.extend(usd),
      finish: (outcome) => ticket.finish(outcome),
      abandon: () => ticket.abandon(),
      interruption: () => ticket.standing() ?? undefined,
    };
  }

  providerFailed(outcome: number | GatewayError): boolean {
    return typeof outcome === 'number' ? isBreakerFailure(outcome) : isBreakerFailureError(outcome);
  }

  breaker(agent: string, provider: string): BreakerGate {
    const breaker = this.breakers.forCall(provider, agent);
    let permit: { success(): void; failure(): void; release(): void } | undefined;
    return {
      check: () => {
        const decision = breaker.tryAcquire();
        if (!decision.ok) {
          throw new GatewayError('circuit_open', `provider ${provider} is failing and its circuit breaker is open; retry in ${decision.retryAfterSeconds}s`, {
            retryAfter: decision.retryAfterSeconds,
            code: 'circuit_open',
          });
        }
        permit = decision.permit;
      },
      success: () => permit?.success(),
      failure: () => permit?.failure(),
      abandon: () => permit?.release(),
    };
  }
}
