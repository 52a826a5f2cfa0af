import { GatewayError } from '../../core/errors.js';
import { rateLimitSettings, type RateLimitSettings } from '../rate-limit-spec.js';
import type { PolicyAction, PolicyInput } from '../types.js';
import { PolicyParseError } from './errors.js';
import { evaluateCondition } from './evaluate.js';
import { parseCondition, type Expr } from './parser.js';
import type { PolicyVariables } from './variables.js';

export interface CompiledPolicy {
  name: string;
  condition: string;
  action: PolicyAction;
  expr: Expr;
  /** Settings of the throttle bucket, for `throttle` policies. */
  throttle: RateLimitSettings | null;
  /** Agents it applies to; null = all. */
  agents: ReadonlySet<string> | null;
}

/** Parses and checks one policy. Throws PolicyParseError (naming the policy) or a config GatewayError. */
export function compilePolicy(input: PolicyInput): CompiledPolicy {
  let expr: Expr;
  try {
    expr = parseCondition(input.condition);
  } catch (err) {
    if (err instanceof PolicyParseError) throw new PolicyParseError(err.detail, err.position, input.name);
    throw err;
  }
  let throttle: RateLimitSettings | null = null;
  if (input.action === 'throttle') {
    const rate = input.params?.rate;
    if (rate === undefined) {
      throw new GatewayError('config', `policy '${input.name}': throttle needs params.rate, e.g. "10/min"`);
    }
    throttle = rateLimitSettings({ spec: rate });
  }
  return {
    name: input.name,
    condition: input.condition,
    action: input.action,
    expr,
    throttle,
    agents: input.agents === undefined ? null : new Set(input.agents),
  };
}

export interface PolicyFiring {
  policy: string;
  action: PolicyAction;
  condition: string;
}

export interface PolicyEvaluation {
  /** Policies whose condition became true at this evaluation (rising edge). pause and alert act on these only. */
  fired: PolicyFiring[];
  /** The first deny policy whose condition holds now (level: rejects for as long as it holds). */
  denying: PolicyFiring | null;
  /** Throttle policies holding now (level). */
  throttles: { policy: string; rate: RateLimitSettings }[];
}

/**
 * Evaluates every policy against one agent's variables and remembers, per agent, which conditions held last
 * time, so edges can be told from levels.
 */
export class PolicyEngine {
  private compiled: readonly CompiledPolicy[] = [];
  private readonly holding = new Map<string, Set<string>>();

  constructor(policies: readonly PolicyInput[] = []) {
    this.setPolicies(policies);
  }

  get policies(): readonly CompiledPolicy[] {
    return this.compiled;
  }

  /**
   * Replaces the policies (config reload). All are compiled before any is applied, so a bad one leaves the old
   * set in place. Policies that keep their name, condition and action keep their edge memory: a reload does not
   * re-fire a pause that already fired.
   */
  setPolicies(policies: readonly PolicyInput[]): void {
    const seen = new Set<string>();
    for (const p of policies) {
      if (p.name === '') throw new GatewayError('config', 'every policy needs a name');
      if (seen.has(p.name)) throw new GatewayError('config', `two policies are named '${p.name}'`);
      seen.add(p.name);
    }
    const next = policies.map(compilePolicy);
    const kept = new Set(
      next
        .filter((n) => this.compiled.some((o) => o.name === n.name && o.condition === n.condition && o.action === n.action))
        .map((n) => n.name),
    );
    for (const set of this.holding.values()) {
      for (const name of set) if (!kept.has(name)) set.delete(name);
    }
    this.compiled = next;
  }

  evaluate(agent: string, vars: PolicyVariables): PolicyEvaluation {
    const before = this.holding.get(agent) ?? new Set<string>();
    const now = new Set<string>();
    const result: PolicyEvaluation = { fired: [], denying: null, throttles: [] };
    for (const p of this.compiled) {
      if (p.agents !== null && !p.agents.has(agent)) continue;
      if (!evaluateCondition(p.expr, vars)) continue;
      now.add(p.name);
      const firing: PolicyFiring = { policy: p.name, action: p.action, condition: p.condition };
      if (!before.has(p.name)) result.fired.push(firing);
      if (p.action === 'deny' && result.denying === null) result.denying = firing;
      if (p.throttle !== null) result.throttles.push({ policy: p.name, rate: p.throttle });
    }
    this.holding.set(agent, now);
    return result;
  }

  /** Drops an agent's edge memory, so a condition that still holds fires again. */
  forget(agent: string): void {
    this.holding.delete(agent);
  }
}
