/**
 * Every provider type and the factory that builds its adapter: the one place a new type is added, besides its
 * folder and the type's name in the config schema. The map is typed over ProviderType, so a type without a
 * factory does not compile.
 */
import type { Clock } from '../core/clock.js';
import { AnthropicProvider } from './anthropic/anthropic-provider.js';
import { AzureProvider } from './azure/azure-provider.js';
import { GeminiProvider } from './gemini/gemini-provider.js';
import { createMockProvider, type MockBehaviour } from './mock/mock-provider.js';
import { createOpenAIProvider } from './openai/openai-provider.js';
import type { ProviderAdapter, ProviderSpec, ProviderType } from './provider.js';

/** What a factory may need beyond the provider's own spec. */
export interface ProviderContext {
  clock: Clock;
  /** Behaviour of mock providers by name (the demo gives one an outage). */
  mockBehaviour?: ((name: string) => MockBehaviour | undefined) | undefined;
}

export type ProviderFactory = (spec: ProviderSpec, context: ProviderContext) => ProviderAdapter;

const FACTORIES: { readonly [T in ProviderType]: ProviderFactory } = {
  openai: (spec) => createOpenAIProvider(spec),
  anthropic: (spec) => new AnthropicProvider(spec),
  mock: (spec, context) => createMockProvider(spec, context.clock, context.mockBehaviour?.(spec.name)),
  azure: (spec) => new AzureProvider(spec),
  gemini: (spec) => new GeminiProvider(spec),
};

/** The provider types the gateway can build, in the order they are listed to a user. */
export const REGISTERED_PROVIDER_TYPES: readonly ProviderType[] = Object.keys(FACTORIES) as ProviderType[];

/** The adapter for a spec. Throws, naming the known types, when no factory is registered for its type. */
export function createProvider(spec: ProviderSpec, context: ProviderContext): ProviderAdapter {
  const type: string = spec.type;
  const factory = Object.hasOwn(FACTORIES, type) ? FACTORIES[type as ProviderType] : undefined;
  if (factory === undefined) {
    throw new Error(`provider "${spec.name}" has type "${type}", which this gateway cannot build; known types: ${REGISTERED_PROVIDER_TYPES.join(', ')}`);
  }
  return factory(spec, context);
}
