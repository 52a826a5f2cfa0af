/**
 * The base of every upstream that speaks OpenAI's HTTP API: OpenAI itself and the servers that copy it (Ollama,
 * vLLM, Groq, OpenRouter). The base URL includes `/v1`, the key goes in `Authorization: Bearer`, and the provider
 * speaks Chat Completions, Responses or both, as its config declares. A provider that differs only in where the
 * key goes or how a path is spelled (Azure's `api-key` header and deployment paths) subclasses this and overrides
 * `authHeaders` or `upstreamCall`.
 */
import type { WireFormat } from '../../wire/codec.js';
import { HttpUpstream } from '../http-upstream.js';
import { formatsOf, forwardableHeaders, type ProviderAdapter, type ProviderSpec, type UpstreamRequest, type UpstreamResponse } from '../provider.js';

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
      ...req.trace,
      ...this.spec.headers,
      accept: req.clientHeaders.accept ?? 'application/json',
    };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    const key = req.key;
    if (key) Object.assign(headers, this.authHeaders(key));
    const call = this.upstreamCall(req);
    return this.upstream.request(call.path, req.method, headers, call.body, req.signal);
  }

  close(): Promise<void> {
    return this.upstream.close();
  }

  /** The headers that carry the key (the provider's own, or the client's passed through). */
  protected authHeaders(key: string): Record<string, string> {
    return { authorization: `Bearer ${key}` };
  }

  /** The path below the base URL for an endpoint such as `/chat/completions`, and the body sent there. */
  protected upstreamCall(req: UpstreamRequest): { path: string; body: string | Buffer | undefined } {
    return { path: req.endpoint, body: req.bodyBytes ?? req.body };
  }
}
