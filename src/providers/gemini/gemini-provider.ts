/**
 * Type `gemini`: Google's Gemini API. The base URL includes the API version (`…/v1beta`), the key goes in
 * `x-goog-api-key`, and the model and streaming are in the path (`/models/{model}:streamGenerateContent?alt=sse`,
 * built by the pipeline's `chatEndpoint`). It speaks one format, Gemini's own.
 */
import { HttpUpstream } from '../http-upstream.js';
import type { ProviderAdapter, ProviderSpec, UpstreamRequest, UpstreamResponse } from '../provider.js';

export const GEMINI_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta';

export class GeminiProvider implements ProviderAdapter {
  readonly format = 'gemini' as const;
  readonly formats = ['gemini'] as const;
  private readonly upstream: HttpUpstream;

  constructor(readonly spec: ProviderSpec) {
    this.upstream = new HttpUpstream(spec);
  }

  send(req: UpstreamRequest): Promise<UpstreamResponse> {
    const headers: Record<string, string> = { ...req.trace, ...this.spec.headers, accept: req.clientHeaders.accept ?? 'application/json' };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    if (req.key) headers['x-goog-api-key'] = req.key;
    return this.upstream.request(req.endpoint, req.method, headers, req.bodyBytes ?? req.body, req.signal);
  }

  close(): Promise<void> {
    return this.upstream.close();
  }
}
