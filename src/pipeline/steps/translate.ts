/**
 * Builds the upstream request body. Same format: the client's own JSON, touched only where the gateway
 * must (model alias, forcing OpenAI stream usage, fitting it to the model); byte for byte when none applies.
 * Other format: decode → canonical → encode. Either way the body is then fitted to what the target model accepts.
 */
import type { CanonicalRequest } from '../../wire/canonical.js';
import { codecFor } from '../../wire/index.js';
import type { WireFormat } from '../../wire/codec.js';
import { upstreamFormatFor } from '../../providers/provider.js';
import type { RouteTarget } from '../ports.js';
import { fitToModel } from './fit-to-model.js';

export interface UpstreamBody {
  text: string;
  /** Soft fields dropped in translation (spec §8), for the `x-ai-gateway-dropped` header and the log. */
  dropped: string[];
  /** Fields changed to fit the target model (`max_completion_tokens:32000->16384`), for `x-ai-gateway-adjusted`. */
  adjusted: string[];
  /** We asked an OpenAI upstream for stream usage the client did not ask for: strip that chunk again. */
  stripUsageChunk: boolean;
}

export function buildUpstreamBody(
  request: CanonicalRequest,
  bodyText: string,
  clientFormat: WireFormat,
  target: RouteTarget,
  strict: boolean,
): UpstreamBody {
  const upstreamFormat = upstreamFormatFor(target.provider, clientFormat);
  const needsUsage = upstreamFormat === 'openai-chat' && request.stream;

  if (upstreamFormat === clientFormat) {
    const renamed = target.upstreamModel !== request.model;
    const addUsage = needsUsage && !request.includeUsage;
    const { body: fitted, adjusted } = fitToModel(request.raw, upstreamFormat, target.capabilities);
    if (!renamed && !addUsage && adjusted.length === 0) return { text: bodyText, dropped: [], adjusted, stripUsageChunk: false };
    const body: Record<string, unknown> = { ...fitted, model: target.upstreamModel };
    if (addUsage) body.stream_options = { ...asObject(body.stream_options), include_usage: true };
    return { text: JSON.stringify(body), dropped: [], adjusted, stripUsageChunk: addUsage };
  }

  const encoded = codecFor(upstreamFormat).encodeRequest(request, {
    model: target.upstreamModel,
    defaultMaxTokens: target.defaultMaxTokens,
    strict,
  });
  const { body, adjusted } = fitToModel(encoded.body, upstreamFormat, target.capabilities);
  if (needsUsage) body.stream_options = { ...asObject(body.stream_options), include_usage: true };
  return { text: JSON.stringify(body), dropped: encoded.dropped, adjusted, stripUsageChunk: false };
}

/** The upstream endpoint for a chat-style request in a given format. */
export function chatEndpoint(format: WireFormat): string {
  switch (format) {
    case 'openai-chat':
      return '/chat/completions';
    case 'anthropic-messages':
      return '/messages';
    case 'openai-responses':
      return '/responses';
  }
}

function asObject(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
