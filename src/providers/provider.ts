/**
 * Upstream adapters: one per kind of upstream (OpenAI-compatible, Anthropic, the built-in mock).
 * An adapter knows the upstream's URL layout and auth; the pipeline does everything else.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { WireFormat } from '../wire/codec.js';

export type ProviderType = 'openai' | 'anthropic' | 'mock';

export interface ProviderSpec {
  name: string;
  type: ProviderType;
  baseUrl: string;
  /** Absent: the client's own key is passed through. */
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
}

export interface UpstreamRequest {
  /** Endpoint below the API version, e.g. `/chat/completions` or `/messages`. */
  endpoint: string;
  method: 'GET' | 'POST';
  body?: string | undefined;
  clientHeaders: IncomingHttpHeaders;
  /** The client's key when it is not one of our virtual keys (passed through when the provider has none). */
  clientKey?: string | undefined;
  signal: AbortSignal;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: Readable;
}

export interface ProviderAdapter {
  readonly spec: ProviderSpec;
  /** The wire format this upstream speaks. */
  readonly format: WireFormat;
  send(request: UpstreamRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

/**
 * Client headers worth forwarding: the upstream family's own API version, betas and org routing. Everything
 * else stays here — in particular the other family's headers, which some upstreams reject (pitfall 17).
 */
export function forwardableHeaders(headers: IncomingHttpHeaders, family: 'openai' | 'anthropic'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const keep = family === 'anthropic' ? name.startsWith('anthropic-') : name === 'openai-organization' || name === 'openai-project' || name === 'openai-beta';
    if (keep) out[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

/** Flattens undici/node header records into single strings. */
export function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
