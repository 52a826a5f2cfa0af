/**
 * Model routing: the agent's forced provider, else the first `models:` entry that matches (exact, alias
 * or glob, precompiled by the config loader), then that entry's fallbacks.
 */
import { GatewayError } from '../core/errors.js';
import type { GatewayConfig } from '../config/types.js';
import { closest } from '../config/edit-distance.js';
import type { RouteTarget, Router } from '../pipeline/ports.js';
import type { ProviderSet } from './providers.js';

export class ConfigRouter implements Router {
  constructor(
    private readonly config: () => GatewayConfig,
    private readonly providers: ProviderSet,
  ) {}

  /** The model an agent uses when its request names none. */
  defaultModel(agent: string): string | undefined {
    return this.config().agents.get(agent)?.model;
  }

  resolve(model: string, agent: string): RouteTarget[] {
    const config = this.config();
    const agentConfig = config.agents.get(agent);
    const route = config.models.find((r) => r.matcher(model));
    const upstreamModel = route?.model ?? model;
    const forced = agentConfig?.provider;
    const primaryProvider = forced ?? route?.provider;
    if (primaryProvider === undefined) {
      const known = [...config.models.map((r) => r.pattern), ...[...config.agents.values()].flatMap((a) => (a.model ? [a.model] : []))];
      const near = closest(model, known, 3);
      const hint = near.length > 0 ? ` Close matches: ${near.join(', ')}.` : '';
      throw new GatewayError('model_not_found', `no route for model "${model}": add it under models: in gateway.yaml.${hint}`, {
        param: 'model',
        code: 'model_not_found',
      });
    }
    const targets: RouteTarget[] = [this.target(config, primaryProvider, upstreamModel, route?.maxTokens)];
    if (forced === undefined && route) {
      for (const f of route.fallbacks) targets.push(this.target(config, f.provider, f.model ?? upstreamModel, route.maxTokens));
    }
    return targets;
  }

  private target(config: GatewayConfig, providerName: string, upstreamModel: string, routeMaxTokens: number | undefined): RouteTarget {
    const provider = this.providers.get(providerName);
    if (!provider) throw new GatewayError('model_not_found', `model routes to provider "${providerName}", which is not configured`, { code: 'model_not_found' });
    const rules = config.gateway.defaultMaxTokens;
    const perModel = rules.rules.find((r) => r.matcher(upstreamModel))?.value;
    return { provider, upstreamModel, defaultMaxTokens: routeMaxTokens ?? perModel ?? rules.fallback };
  }
}
