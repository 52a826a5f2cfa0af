/**
 * Type `azure`: Azure OpenAI. It speaks OpenAI's Chat Completions and Responses, so it is the OpenAI-compatible
 * adapter with Azure's key header (`api-key`) and URL layout (azure-url.ts). The audit and the price table keep
 * the model's name: the deployment name only appears on the wire.
 */
import { OpenAICompatibleProvider } from '../openai-compatible/openai-compatible-provider.js';
import type { AzureSpec, ProviderSpec, UpstreamRequest } from '../provider.js';
import { azureCall } from './azure-url.js';

export class AzureProvider extends OpenAICompatibleProvider {
  private readonly azure: AzureSpec;

  constructor(spec: ProviderSpec) {
    super(spec);
    if (spec.azure === undefined) throw new Error(`provider "${spec.name}" has type azure but no Azure settings`);
    this.azure = spec.azure;
  }

  protected override authHeaders(key: string): Record<string, string> {
    return { 'api-key': key };
  }

  protected override upstreamCall(req: UpstreamRequest): { path: string; body: string | Buffer | undefined } {
    const call = azureCall(this.azure, this.spec.name, req.endpoint, req.model);
    return { path: call.path, body: call.bodyModel === undefined ? (req.bodyBytes ?? req.body) : withModel(req.body, call.bodyModel) };
  }
}

/**
 * The body with its `model` replaced by the deployment's name. Only for a deployment named differently from its
 * model, in the forms that read the deployment from the body (v1, and classic Responses).
 */
function withModel(body: string | undefined, model: string): string | undefined {
  if (body === undefined) return undefined;
  const json = JSON.parse(body) as Record<string, unknown>;
  return JSON.stringify({ ...json, model });
}
