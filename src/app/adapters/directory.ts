/** The pipeline's Directory over the config and its providers: pass-through targets and the models clients may name. */
import type { GatewayConfig } from '../../config/types.js';
import type { Directory } from '../../pipeline/ports.js';
import type { ProviderAdapter } from '../../providers/provider.js';
import type { ProviderSet } from '../providers.js';

export class ConfigDirectory implements Directory {
  constructor(
    private readonly config: () => GatewayConfig,
    private readonly providers: ProviderSet,
  ) {}

  passthroughRule(): 'all' | readonly string[] {
    return this.config().gateway.passthrough;
  }

  passthroughProvider(agent: string): ProviderAdapter | undefined {
    const config = this.config();
    const name = config.agents.get(agent)?.provider ?? [...config.providers.values()].find((p) => p.type === 'openai')?.name;
    return name === undefined ? undefined : this.providers.get(name);
  }

  modelIds(): string[] {
    const config = this.config();
    const ids = new Set<string>();
    for (const r of config.models) if (r.kind === 'exact') ids.add(r.pattern);
    for (const a of config.agents.values()) if (a.model) ids.add(a.model);
    return [...ids].sort();
  }
}
