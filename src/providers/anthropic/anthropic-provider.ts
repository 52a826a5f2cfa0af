/** Anthropic Messages API: base URL without `/v1`, key in `x-api-key`, a pinned `anthropic-version`. */
import { HttpUpstream } from '../http-upstream.js';
import { forwardableHeaders, type ProviderAdapter, type ProviderSpec, type UpstreamRequest, type UpstreamResponse } from '../provider.js';

export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

export class AnthropicProvider implements ProviderAdapter {
  readonly format = 'anthropic-messages' as const;
  readonly formats = ['anthropic-messages'] as const;
  private readonly upstream: HttpUpstream;

  constructor(readonly spec: ProviderSpec) {
    this.upstream = new HttpUpstream(spec);
  }

  send(req: UpstreamRequest): Promise<UpstreamResponse> {
    const headers: Record<string, string> = {
      'anthropic-version': DEFAULT_ANTHROPIC_VERSION,
      ...forwardableHeaders(req.clientHeaders, 'anthropic'),
      ...req.trace,
      ...this.spec.headers,
      accept: req.clientHeaders.accept ?? 'application/json',
    };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    const key = req.key;
    if (key) headers['x-api-key'] = key;
    return this.upstream.request(`/v1${req.endpoint}`, req.method, headers, req.bodyBytes ?? req.body, req.signal);
  }

  close(): Promise<void> {
    return this.upstream.close();
  }
}
