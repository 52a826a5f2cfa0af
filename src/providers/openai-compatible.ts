/** OpenAI and every OpenAI-compatible server (Ollama, vLLM, Groq, OpenRouter): base URL includes `/v1`. */
import type { WireFormat } from '../wire/codec.js';
import { HttpUpstream } from './http-upstream.js';
import { formatsOf, forwardableHeaders, type ProviderAdapter, type ProviderSpec, type UpstreamRequest, type UpstreamResponse } from './provider.js';

/** Chat Completions, Responses or both, as the provider's config declares. */
export class OpenAICompatibleProvider implements ProviderAdapter {
  readonly formats: readonly WireFormat[];
  readonly format: WireFormat;
  private readonly upstream: HttpUpstream;

  constructor(readonly spec: ProviderSpec) {
    this.upstream = new HttpUpstream(spec);
    this.formats = formatsOf(spec);
    this.format = this.formats[0] ?? 'openai-chat';
  }

  send(req: UpstreamRequest): Promise<UpstreamResponse> {
    const headers: Record<string, string> = {
      ...forwardableHeaders(req.clientHeaders, 'openai'),
      ...this.spec.headers,
      accept: req.clientHeaders.accept ?? 'application/json',
    };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    const key = this.spec.apiKey ?? req.clientKey;
    if (key) headers.authorization = `Bearer ${key}`;
    return this.upstream.request(req.endpoint, req.method, headers, req.body, req.signal);
  }

  close(): Promise<void> {
    return this.upstream.close();
  }
}
