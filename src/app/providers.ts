/**
 * Builds one adapter per configured provider. On a config reload, adapters whose settings did not change
 * are kept (their keep-alive pools stay warm); replaced ones are closed once in-flight requests finish.
 */
import type { GatewayConfig, ProviderConfig } from '../config/types.js';
import type { ProviderAdapter, ProviderSpec } from '../providers/provider.js';
import { createProvider, type ProviderContext } from '../providers/registry.js';

export function specFor(p: ProviderConfig, gateway: GatewayConfig['gateway']): ProviderSpec {
  return {
    name: p.name,
    type: p.type,
    baseUrl: p.baseUrl,
    apiKey: p.apiKey,
    headers: { ...p.headers },
    connectTimeoutMs: p.connectTimeoutMs,
    headersTimeoutMs: p.upstreamTimeoutMs,
    totalTimeoutMs: p.upstreamTimeoutMs,
    idleTimeoutMs: p.idleTimeoutMs,
    maxConnections: gateway.maxUpstreamConnections,
    wire: p.wire,
    apis: p.apis,
  };
}

export class ProviderSet {
  private adapters = new Map<string, { adapter: ProviderAdapter; key: string }>();

  constructor(private readonly context: ProviderContext) {}

  /** Applies a config; returns adapters that were replaced, for the caller to close later. */
  apply(config: GatewayConfig): ProviderAdapter[] {
    const next = new Map<string, { adapter: ProviderAdapter; key: string }>();
    const retired: ProviderAdapter[] = [];
    for (const p of config.providers.values()) {
      const spec = specFor(p, config.gateway);
      const key = JSON.stringify(spec);
      const existing = this.adapters.get(p.name);
      if (existing && existing.key === key) next.set(p.name, existing);
      else {
        if (existing) retired.push(existing.adapter);
        next.set(p.name, { adapter: createProvider(spec, this.context), key });
      }
    }
    for (const [name, entry] of this.adapters) if (!next.has(name)) retired.push(entry.adapter);
    this.adapters = next;
    return retired;
  }

  get(name: string): ProviderAdapter | undefined {
    return this.adapters.get(name)?.adapter;
  }

  names(): string[] {
    return [...this.adapters.keys()];
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.adapters.values()].map((e) => e.adapter.close()));
  }
}
