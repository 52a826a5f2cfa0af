import type { Clock } from '../core/clock.js';
import { CircuitBreaker, type BreakerListener, type BreakerSnapshot } from './circuit-breaker.js';
import type { Actor, BreakerSettings } from './types.js';

/** `provider` for a shared breaker, `agent:provider` for an agent that sets its own thresholds. */
export function breakerKey(provider: string, agent?: string): string {
  return agent === undefined ? provider : `${agent}:${provider}`;
}

export interface BreakerRegistryOptions {
  clock: Clock;
  /** Thresholds of the per-provider breakers. */
  defaults: BreakerSettings;
  /** Agents with their own thresholds get a breaker per (agent, provider). */
  perAgent?: ReadonlyMap<string, BreakerSettings> | undefined;
  onTransition?: BreakerListener | undefined;
}

/** Creates breakers on first use and keeps their state across config reloads. */
export class BreakerRegistry {
  private readonly clock: Clock;
  private defaults: BreakerSettings;
  private perAgent: ReadonlyMap<string, BreakerSettings>;
  private readonly listener: BreakerListener;
  /** Keyed by breaker key; `agent` is set for per-agent breakers. */
  private readonly breakers = new Map<string, { breaker: CircuitBreaker; agent: string | undefined }>();
  /** States other instances reached for breakers this one has not made yet: taken on first use. */
  private readonly adopted = new Map<string, { until: number }>();

  constructor(options: BreakerRegistryOptions) {
    this.clock = options.clock;
    this.defaults = options.defaults;
    this.perAgent = options.perAgent ?? new Map();
    const listener = options.onTransition;
    this.listener = (t) => listener?.(t);
  }

  /** The breaker guarding `agent`'s calls to `provider`. */
  forCall(provider: string, agent: string): CircuitBreaker {
    const own = this.perAgent.get(agent);
    const key = own === undefined ? breakerKey(provider) : breakerKey(provider, agent);
    const found = this.breakers.get(key);
    if (found !== undefined) return found.breaker;
    const breaker = new CircuitBreaker(key, own ?? this.defaults, this.clock, this.listener);
    this.breakers.set(key, { breaker, agent: own === undefined ? undefined : agent });
    const adopted = this.adopted.get(key);
    if (adopted !== undefined) {
      this.adopted.delete(key);
      const left = adopted.until - this.clock.now();
      if (left > 0) breaker.adopt('open', left);
    }
    return breaker;
  }

  /** Takes a state another instance reached (shared state): applied now, or when this breaker is first used. */
  adopt(key: string, to: 'open' | 'closed', openForMs: number): void {
    const b = this.breakers.get(key);
    if (b !== undefined) b.breaker.adopt(to, openForMs);
    else if (to === 'open') this.adopted.set(key, { until: this.clock.now() + openForMs });
    else this.adopted.delete(key);
  }

  get(key: string): CircuitBreaker | undefined {
    return this.breakers.get(key)?.breaker;
  }

  /** Manual reset; false when no breaker has that key. */
  reset(key: string, actor: Actor): boolean {
    const b = this.breakers.get(key);
    if (b === undefined) return false;
    b.breaker.reset(actor);
    return true;
  }

  /** Applies reloaded thresholds; breakers keep their state. Breakers of agents that dropped their own go away. */
  configure(defaults: BreakerSettings, perAgent: ReadonlyMap<string, BreakerSettings>): void {
    this.defaults = defaults;
    this.perAgent = perAgent;
    for (const [key, { breaker, agent }] of this.breakers) {
      if (agent === undefined) {
        breaker.updateSettings(defaults);
        continue;
      }
      const own = perAgent.get(agent);
      if (own === undefined) this.breakers.delete(key);
      else breaker.updateSettings(own);
    }
  }

  snapshot(): BreakerSnapshot[] {
    return [...this.breakers.values()].map((b) => b.breaker.snapshot()).sort((a, b) => a.key.localeCompare(b.key));
  }
}
