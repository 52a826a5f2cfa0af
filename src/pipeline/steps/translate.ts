/**
 * Builds the upstream request body. Same format: the client's own JSON, touched only where the gateway
 * must (model alias, forcing OpenAI stream usage, fitting it to the model); byte for byte when none applies.
 * Other format: decode → canonical → encode. Either way the body is then fitted to what the target model accepts.
 */
import { GatewayError } from '../../core/errors.js';
import type { CanonicalRequest } from '../../wire/canonical.js';
import { ANTHROPIC_TOOL_NAME_MAX, codecFor, decodeGeminiRequest, OPENAI_TOOL_NAME_MAX, toolNameRestorer, type ClientToolName } from '../../wire/index.js';
import type { WireFormat } from '../../wire/codec.js';
import { upstreamFormatFor } from '../../providers/provider.js';
import type { RequestContext } from '../context.js';
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

/** The step: the client's body read into the canonical form by its format's codec. */
export function decode(ctx: RequestContext): void {
  const gemini = ctx.endpoint.gemini;
  const request = gemini === undefined ? codecFor(ctx.endpoint.wire).decodeRequest(ctx.json) : decodeGeminiRequest(ctx.json, gemini);
  ctx.request = request;
  ctx.model = request.model;
  ctx.stream = request.stream;
}

/** Whether a request in the client's format is translated for this target (false: it goes as it came). */
export function translates(target: RouteTarget, clientFormat: WireFormat): boolean {
  return upstreamFormatFor(target.provider, clientFormat) !== clientFormat;
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
    // A Gemini body names no model (the URL does), so a renamed model changes nothing in it.
    const renamed = target.upstreamModel !== request.model && upstreamFormat !== 'gemini';
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

/** What translation dropped and fitting changed, told to the client in headers on every answer from here on. */
export function noteChanges(ctx: RequestContext): void {
  const body = ctx.upstreamBody;
  if (body === undefined) return;
  if (body.dropped.length > 0) ctx.headers['x-ai-gateway-dropped'] = headerSafe(body.dropped.join(','));
  if (body.adjusted.length > 0) ctx.headers['x-ai-gateway-adjusted'] = headerSafe(body.adjusted.join(','));
}

/**
 * Dropped names can be the client's own (a tool's name), and a header value may hold only visible ASCII: anything
 * else (a newline would make Node refuse the whole answer) is percent-encoded. The audit row keeps the names as sent.
 */
export function headerSafe(value: string): string {
  let safe = true;
  for (let i = 0; i < value.length && safe; i++) {
    const code = value.charCodeAt(i);
    safe = code >= 0x20 && code <= 0x7e && code !== 0x25;
  }
  if (safe) return value;
  let out = '';
  for (const char of value) {
    const code = char.charCodeAt(0);
    out += code >= 0x20 && code <= 0x7e && code !== 0x25 ? char : encodeURIComponent(char);
  }
  return out;
}

/** The request as translated, references resolved: what a stored answer follows on from. */
export function sentRequest(ctx: RequestContext): CanonicalRequest {
  const state = ctx.state;
  const translating = ctx.upstreamFormat !== ctx.endpoint.wire;
  return translating && state !== undefined && !(state instanceof GatewayError) ? state.request : ctx.request!;
}

/** Tool names the upstream format had to flatten or shorten are given back to the client as it declared them. */
export function restorerFor(request: CanonicalRequest, upstreamFormat: WireFormat, clientFormat: WireFormat): ((name: string) => ClientToolName) | undefined {
  if (upstreamFormat === clientFormat || request.tools.length === 0) return undefined;
  return toolNameRestorer(request, upstreamFormat === 'anthropic-messages' ? ANTHROPIC_TOOL_NAME_MAX : OPENAI_TOOL_NAME_MAX);
}

/** The upstream endpoint for a chat-style request in a given format; Gemini names the model and streaming in it. */
export function chatEndpoint(format: WireFormat, model: string, stream: boolean): string {
  switch (format) {
    case 'gemini':
      return `/models/${encodeURIComponent(model)}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`;
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
