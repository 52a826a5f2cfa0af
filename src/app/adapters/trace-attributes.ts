/**
 * What a request's spans say, as pure functions of what the request found out: the OpenTelemetry GenAI semantic
 * conventions (semconv 1.45, incubating `gen_ai.*`) plus the gateway's own `ai_gateway.*` attributes. Kept apart
 * from the SDK so the mapping is tested without exporting anything.
 */
import { totalInput, type Usage } from '../../core/usage.js';
import type { AssistantPart, CanonicalRequest, StopReason, UserPart } from '../../wire/canonical.js';

/** Attribute names. The gen_ai ones are semconv's (its constants are marked as moving to their own package). */
export const ATTR = {
  operation: 'gen_ai.operation.name',
  /** The current name of the provider attribute; `gen_ai.system` is its older name, still read by many backends. */
  providerName: 'gen_ai.provider.name',
  system: 'gen_ai.system',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  cacheReadTokens: 'gen_ai.usage.cache_read.input_tokens',
  cacheWriteTokens: 'gen_ai.usage.cache_creation.input_tokens',
  reasoningTokens: 'gen_ai.usage.reasoning.output_tokens',
  finishReasons: 'gen_ai.response.finish_reasons',
  timeToFirstChunk: 'gen_ai.response.time_to_first_chunk',
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
  systemInstructions: 'gen_ai.system_instructions',
  httpStatus: 'http.response.status_code',
  errorType: 'error.type',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  costUsd: 'ai_gateway.cost_usd',
  costEstimated: 'ai_gateway.cost_estimated',
  agent: 'ai_gateway.agent',
  requestId: 'ai_gateway.request_id',
  provider: 'ai_gateway.provider',
  upstreamModel: 'ai_gateway.upstream_model',
  attempts: 'ai_gateway.attempts',
  attempt: 'ai_gateway.attempt',
  fallbackFrom: 'ai_gateway.fallback_from',
  routeRule: 'ai_gateway.route_rule',
  clientFormat: 'ai_gateway.client_format',
  stream: 'gen_ai.request.stream',
  retryWaitMs: 'ai_gateway.retry.wait_ms',
} as const;

export type AttributeValue = string | number | boolean | string[];
export type Attributes = Record<string, AttributeValue>;

/** gen_ai.provider.name of a provider type (semconv's well-known values; `mock` is the gateway's own). */
export function genAiProvider(type: string): string {
  switch (type) {
    case 'gemini':
      return 'gcp.gemini';
    case 'azure':
      return 'azure.ai.openai';
    default:
      return type;
  }
}

/**
 * The GenAI operation of an endpoint (by its audit format), and the first word of the span name. Token counting
 * and pass-through are no GenAI operation: their spans carry no gen_ai.operation.name.
 */
export function operationOf(clientFormat: string): { genAi: string | undefined; name: string } {
  switch (clientFormat) {
    case 'openai-chat':
    case 'openai-responses':
    case 'anthropic-messages':
      return { genAi: 'chat', name: 'chat' };
    case 'gemini':
      return { genAi: 'generate_content', name: 'generate_content' };
    case 'openai-embeddings':
      return { genAi: 'embeddings', name: 'embeddings' };
    case 'anthropic-count-tokens':
    case 'gemini-count-tokens':
      return { genAi: undefined, name: 'count_tokens' };
    default:
      return { genAi: undefined, name: clientFormat };
  }
}

/** A canonical stop reason in the conventions' finish-reason words (`stop`, `length`, `tool_call`, `content_filter`). */
export function finishReason(reason: StopReason): string {
  switch (reason) {
    case 'stop':
    case 'stop-sequence':
      return 'stop';
    case 'length':
    case 'context-length':
      return 'length';
    case 'tool-calls':
      return 'tool_call';
    case 'content-filter':
      return 'content_filter';
    case 'pause':
    case 'other':
      return reason;
  }
}

/** Everything the request span reports, read from the request once it ended. */
export interface RequestFacts {
  clientFormat: string;
  requestId: string;
  agent: string;
  /** The model the client asked for; empty when it named none the gateway could read. */
  requestModel: string;
  /** The configured provider that answered (or failed last), and its type. */
  provider: string | null;
  providerType: string | undefined;
  upstreamModel: string | null;
  /** The model the upstream says answered. */
  responseModel: string | undefined;
  stream: boolean;
  status: number;
  /** The audit's error code (`rate_limit_exceeded`, `client_closed`…); null when the call succeeded. */
  errorCode: string | null;
  attempts: number;
  fallbackFrom: string | null;
  routeRule: string | null;
  /** Undefined when nothing was metered (never answered). */
  usage: Usage | undefined;
  estimated: boolean;
  /** Undefined when unpriced or never answered. */
  costUsd: number | undefined;
  stopReason: StopReason | undefined;
}

export interface RequestSpanShape {
  name: string;
  attributes: Attributes;
  /** The request failed (status ERROR, error.type set). A client that left on its own is no failure, as in the audit. */
  failed: boolean;
}

export function requestSpan(f: RequestFacts): RequestSpanShape {
  const op = operationOf(f.clientFormat);
  const a: Attributes = {
    [ATTR.requestId]: f.requestId,
    [ATTR.agent]: f.agent,
    [ATTR.clientFormat]: f.clientFormat,
    [ATTR.httpStatus]: f.status,
    [ATTR.attempts]: f.attempts,
    [ATTR.stream]: f.stream,
  };
  if (op.genAi !== undefined) a[ATTR.operation] = op.genAi;
  if (f.requestModel !== '') a[ATTR.requestModel] = f.requestModel;
  if (f.providerType !== undefined) {
    const provider = genAiProvider(f.providerType);
    a[ATTR.providerName] = provider;
    a[ATTR.system] = provider;
  }
  if (f.provider !== null) a[ATTR.provider] = f.provider;
  if (f.upstreamModel !== null) a[ATTR.upstreamModel] = f.upstreamModel;
  const responseModel = f.responseModel ?? (f.usage === undefined ? undefined : (f.upstreamModel ?? undefined));
  if (responseModel !== undefined && responseModel !== '') a[ATTR.responseModel] = responseModel;
  if (f.fallbackFrom !== null) a[ATTR.fallbackFrom] = f.fallbackFrom;
  if (f.routeRule !== null) a[ATTR.routeRule] = f.routeRule;
  if (f.usage !== undefined) {
    a[ATTR.inputTokens] = totalInput(f.usage);
    a[ATTR.outputTokens] = f.usage.output;
    a[ATTR.cacheReadTokens] = f.usage.cacheRead;
    a[ATTR.cacheWriteTokens] = f.usage.cacheWrite5m + f.usage.cacheWrite1h;
    if (f.usage.reasoning > 0) a[ATTR.reasoningTokens] = f.usage.reasoning;
    a[ATTR.costEstimated] = f.estimated;
  }
  if (f.costUsd !== undefined) a[ATTR.costUsd] = f.costUsd;
  if (f.stopReason !== undefined) a[ATTR.finishReasons] = [finishReason(f.stopReason)];
  const failed = f.errorCode !== null && f.errorCode !== 'client_closed';
  if (f.errorCode !== null) a[ATTR.errorType] = f.errorCode;
  const model = f.requestModel !== '' ? f.requestModel : f.upstreamModel;
  return { name: model ? `${op.name} ${model}` : op.name, attributes: a, failed };
}

/** One message part as the conventions write it (gen_ai.input.messages / gen_ai.output.messages). */
export type MessagePart =
  | { type: 'text'; content: string }
  | { type: 'reasoning'; content: string }
  | { type: 'tool_call'; id: string; name: string; arguments: unknown }
  | { type: 'tool_call_response'; id: string; response: string }
  /** Images, documents and provider-specific blocks: named, their bytes left out. */
  | { type: string };

function userPart(part: UserPart): MessagePart {
  switch (part.type) {
    case 'text':
      return { type: 'text', content: part.text };
    case 'tool-result':
      return { type: 'tool_call_response', id: part.toolCallId, response: part.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('') };
    default:
      return { type: part.type };
  }
}

export function assistantPart(part: AssistantPart): MessagePart {
  switch (part.type) {
    case 'text':
      return { type: 'text', content: part.text };
    case 'thinking':
      return { type: 'reasoning', content: part.text };
    case 'tool-call':
      return { type: 'tool_call', id: part.id, name: part.name, arguments: part.invalidArguments ?? part.input };
    default:
      return { type: part.type };
  }
}

/** gen_ai.system_instructions and gen_ai.input.messages of a request, as JSON text. */
export function inputContent(request: CanonicalRequest): Attributes {
  const a: Attributes = {};
  if (request.system.length > 0) a[ATTR.systemInstructions] = JSON.stringify(request.system.map((p) => ({ type: 'text', content: p.text })));
  const messages = request.messages.map((m) => ({
    role: m.role,
    parts: m.role === 'user' ? m.content.map(userPart) : m.content.map(assistantPart),
  }));
  a[ATTR.inputMessages] = JSON.stringify(messages);
  return a;
}

/** gen_ai.output.messages of an answer, as JSON text. */
export function outputContent(parts: readonly MessagePart[], stop: StopReason | undefined): string {
  return JSON.stringify([{ role: 'assistant', parts, ...(stop === undefined ? {} : { finish_reason: finishReason(stop) }) }]);
}
