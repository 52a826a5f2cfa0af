/**
 * Builds one adapter per configured provider. On a config reload, adapters whose settings did not change
 * are kept (their keep-alive pools stay warm); replaced ones are closed once in-flight requests finish.
 */
import type { Clock } from '../core/clock.js';
import type { GatewayConfig, ProviderConfig } from '../config/types.js';
import { AnthropicProvider } from '../providers/anthropic.js';
import { MockProvider, type MockBehaviour } from '../providers/mock.js';
import { OpenAICompatibleProvider } from '../providers/openai-compatible.js';
import type { ProviderAdapter, ProviderSpec } from '../providers/provider.js';

export interface ProviderOptions {
  clock: Clock;
  /** Behaviour of mock providers by name (the demo sets an outage on one). */
  mockBehaviour?: (name: string) => MockBehaviour | undefined;
}

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

export function createProvider(spec: ProviderSpec, options: ProviderOptions): ProviderAdapter {
  switch (spec.type) {
    case 'openai':
      return new OpenAICompatibleProvider(spec);
    case 'anthropic':
      return new AnthropicProvider(spec);
    case 'mock':
      return new MockProvider(spec, spec.wire === 'anthropic' ? 'anthropic-messages' : 'openai-chat', options.clock, options.mockBehaviour?.(spec.name));
  }
}

export class ProviderSet {
  private adapters = new Map<string, { adapter: ProviderAdapter; key: string }>();

  constructor(private readonly options: ProviderOptions) {}

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
        next.set(p.name, { adapter: createProvider(spec, this.options), key });
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
