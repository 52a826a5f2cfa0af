/** OpenAI and every OpenAI-compatible server (Ollama, vLLM, Groq, OpenRouter): base URL includes `/v1`. */
import { HttpUpstream } from './http-upstream.js';
import { forwardableHeaders, type ProviderAdapter, type ProviderSpec, type UpstreamRequest, type UpstreamResponse } from './provider.js';

export class OpenAICompatibleProvider implements ProviderAdapter {
  readonly format = 'openai-chat' as const;
  private readonly upstream: HttpUpstream;

  constructor(readonly spec: ProviderSpec) {
    this.upstream = new HttpUpstream(spec);
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
