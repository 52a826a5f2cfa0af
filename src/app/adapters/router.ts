/**
 * The pipeline's Router over the config's model resolution (src/config/resolve-model.ts holds the rules:
 * forced provider, first matching `models:` entry, `<provider>/<model>`, fallbacks) and its providers. Each
 * target carries what its upstream model accepts, from the capability table and the config's `capabilities:`.
 */
import { GatewayError } from '../../core/errors.js';
import type { GatewayConfig } from '../../config/types.js';
import { closeMatches, maxTokensFor, resolveModel } from '../../config/index.js';
import { CapabilityTable } from '../../metering/index.js';
import type { RouteTarget, Router, TaskRules } from '../../pipeline/ports.js';
import type { ProviderSet } from '../providers.js';

export class ConfigRouter implements Router {
  /** Rebuilt when a reload brings a new config object. */
  private capabilities: { config: GatewayConfig; table: CapabilityTable } | undefined;

  constructor(
    private readonly config: () => GatewayConfig,
    private readonly providers: ProviderSet,
  ) {}

  taskRules(agent: string): TaskRules | undefined {
    const config = this.config();
    const rules = config.agents.get(agent)?.routing ?? config.routing;
    return Object.keys(rules).length === 0 ? undefined : rules;
  }

  resolve(model: string, agent: string): RouteTarget[] {
    const config = this.config();
    if (this.capabilities?.config !== config) this.capabilities = { config, table: new CapabilityTable({ overrides: config.capabilities }) };
    const table = this.capabilities.table;
    const resolved = resolveModel(config, model, config.agents.get(agent));
    if (!resolved) {
      const near = closeMatches(config, model, 3);
      const hint = near.length > 0 ? ` Close matches: ${near.join(', ')}.` : '';
      throw new GatewayError('model_not_found', `no route for model "${model}": add it under models: in gateway.yaml.${hint}`, {
        param: 'model',
        code: 'model_not_found',
      });
    }
    return [resolved, ...resolved.fallbacks].map((t) => {
      const provider = this.providers.get(t.provider);
      if (!provider) throw new GatewayError('model_not_found', `model "${model}" routes to provider "${t.provider}", which is not configured`, { code: 'model_not_found' });
      const capabilities = table.lookup(t.upstreamModel, [provider.spec.name, provider.spec.type]);
      return {
        provider,
        upstreamModel: t.upstreamModel,
        defaultMaxTokens: maxTokensFor(config, t.upstreamModel, resolved.requestedModel),
        ...(capabilities === undefined ? {} : { capabilities }),
      };
    });
  }
}
