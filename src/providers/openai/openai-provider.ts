/**
 * Type `openai`: OpenAI, and any server configured with `type: openai` and its own `base_url`. Both speak the
 * OpenAI-compatible protocol unchanged, so the adapter is the shared base as it is; which APIs the upstream
 * speaks (Chat Completions, Responses) comes from the provider's config.
 */
import { OpenAICompatibleProvider } from '../openai-compatible/openai-compatible-provider.js';
import type { ProviderAdapter, ProviderSpec } from '../provider.js';

export function createOpenAIProvider(spec: ProviderSpec): ProviderAdapter {
  return new OpenAICompatibleProvider(spec);
}
