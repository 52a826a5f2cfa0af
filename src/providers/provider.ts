/**
 * What every upstream adapter is (one folder per provider type, built through registry.ts), and the helpers they share.
 * An adapter knows the upstream's URL layout and auth; the pipeline does everything else.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { WireFormat } from '../wire/codec.js';

export type ProviderType = 'openai' | 'anthropic' | 'mock' | 'azure' | 'gemini';
/** An API a provider speaks: OpenAI Chat Completions, OpenAI Responses, Anthropic Messages. */
export type ProviderApi = 'chat' | 'responses' | 'messages';

export interface ProviderSpec {
  name: string;
  type: ProviderType;
  baseUrl: string;
  /**
   * The provider's single key. The caller of `send` picks the key of each attempt (`UpstreamRequest.key`): a key
   * of the provider's pool (api_keys), else this one, else the client's own.
   */
  apiKey?: string | undefined;
  headers: Record<string, string>;
  connectTimeoutMs: number;
  /** Until the response headers arrive (first byte). */
  headersTimeoutMs: number;
  /** The whole exchange, body included; 0 = no limit. */
  totalTimeoutMs: number;
  /** Longest silence between two body chunks. */
  idleTimeoutMs: number;
  maxConnections: number;
  /** Wire format of a mock provider (real providers speak their type's format). */
  wire: 'openai' | 'anthropic';
  /** The APIs the upstream speaks, preferred first. */
  apis: readonly ProviderApi[];
  /** Azure OpenAI only: its api-version and deployments. */
  azure?: AzureSpec | undefined;
}

/** How an Azure OpenAI resource is called (src/providers/azure/). */
export interface AzureSpec {
  /** `classic`: `/openai/deployments/{deployment}/…?api-version=`; `v1`: base URL ending `/openai/v1`, deployment in the body. */
  form: 'classic' | 'v1';
  /** Sent as `api-version` on every call; undefined when the base URL carries it or the v1 form needs none. */
  apiVersion: string | undefined;
  /** Model name → deployment name. */
  deployments: Readonly<Record<string, string>>;
}

export interface UpstreamRequest {
  /** Endpoint below the API version, e.g. `/chat/completions` or `/messages`. */
  endpoint: string;
  method: 'GET' | 'POST';
  body?: string | undefined;
  /**
   * The client's own bytes when `body` is exactly their text: sent instead, so a large same-format request is not
   * encoded again on the event loop.
   */
  bodyBytes?: Buffer | undefined;
  /** The model sent upstream, for providers that put it in the URL (Azure deployments); absent for pass-through. */
  model?: string | undefined;
  clientHeaders: IncomingHttpHeaders;
  /**
   * The key sent upstream, chosen by the caller for this attempt: one of the provider's own (its key pool), or the
   * client's when the provider has none and it is not one of the gateway's virtual keys. Absent: no key is sent.
   */
  key?: string | undefined;
  /** W3C trace context headers (traceparent, tracestate) the call carries, or undefined for none. */
  trace?: Readonly<Record<string, string>> | undefined;
  signal: AbortSignal;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: Readable;
}

export interface ProviderAdapter {
  readonly spec: ProviderSpec;
  /** The wire format requests in another format are translated to. */
  readonly format: WireFormat;
  /** Every wire format this upstream speaks (`format` first): a request in one of them goes through unchanged. */
  readonly formats: readonly WireFormat[];
  send(request: UpstreamRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

const API_FORMATS: Record<ProviderApi, WireFormat> = {
  chat: 'openai-chat',
  responses: 'openai-responses',
  messages: 'anthropic-messages',
};

/** The wire formats of a spec's APIs, in its order of preference. */
export function formatsOf(spec: ProviderSpec): WireFormat[] {
  return spec.apis.map((api) => API_FORMATS[api]);
}

/** The format a request in `clientFormat` is sent to this provider in: its own when the provider speaks it. */
export function upstreamFormatFor(provider: ProviderAdapter, clientFormat: WireFormat): WireFormat {
  return provider.formats.includes(clientFormat) ? clientFormat : provider.format;
}

/**
 * Client headers worth forwarding: the upstream family's own API version, betas and org routing. Everything
 * else stays here — in particular the other family's headers, which some upstreams reject (pitfall 17).
 */
export function forwardableHeaders(headers: IncomingHttpHeaders, family: 'openai' | 'anthropic'): Record<string, string> {
  const out: Record<string, string> = {};
  // for…in, not Object.entries: no pair array per header on every request.
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const keep = family === 'anthropic' ? name.startsWith('anthropic-') : name === 'openai-organization' || name === 'openai-project' || name === 'openai-beta';
    if (keep) out[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

/** Flattens undici/node header records into single strings. */
export function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const k in headers) {
    const v = headers[k];
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}
