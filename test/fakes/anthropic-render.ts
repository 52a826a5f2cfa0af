/**
 * Pure renderers for the fake Anthropic upstream: the same scenario, request and seed always give the same bytes.
 * Shapes follow the Messages API as the official SDK types describe it and as the streaming docs show it.
 */
import { IdSource } from './ids.js';
import { parseJsonObject, stringField, type JsonObject } from './json.js';
import {
  bodyPlan,
  HANG_BEFORE_HEADERS,
  RESET_BEFORE_HEADERS,
  streamPlan,
  type ResponsePlan,
  type StreamFault,
} from './plan.js';
import {
  bodyFaultOf,
  buildReply,
  faultOf,
  lastToolOutput,
  lastUserText,
  type ContentScenario,
  type Reply,
  type RenderEnv,
  type RequestFacts,
  type StopKind,
} from './reply.js';
import type { Scenario, ScenarioOf } from './scenario.js';
import { ANTHROPIC_PING, anthropicFrame, HTML_ERROR_FRAME, SSE_HEADERS, truncatedFrame } from './sse.js';
import { anthropicDeltaUsage, anthropicUsage, wireUsage } from './usage.js';

export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use';

const STOP: Record<StopKind, AnthropicStopReason> = {
  end: 'end_turn',
  length: 'max_tokens',
  stop_sequence: 'stop_sequence',
  tool_use: 'tool_use',
};

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
  request_id?: string;
}

export function anthropicRequestFacts(body: JsonObject): RequestFacts {
  const stops = body['stop_sequences'];
  return {
    model: stringField(body, 'model') ?? 'claude-sonnet-4-5',
    stream: body['stream'] === true,
    lastUserText: lastUserText(body['messages']),
    lastToolOutput: lastToolOutput(body['messages']),
    stopSequences: Array.isArray(stops) ? stops.filter((s) => typeof s === 'string') : [],
  };
}

function baseHeaders(requestId: string, extra: Record<string, string>): Record<string, string> {
  return {
    'request-id': requestId,
    'anthropic-organization-id': '00000000-0000-4000-8000-00000000fa4e',
    'anthropic-ratelimit-requests-limit': '4000',
    'anthropic-ratelimit-requests-remaining': '3999',
    'anthropic-ratelimit-requests-reset': '2025-01-01T00:00:01Z',
    'anthropic-ratelimit-input-tokens-limit': '2000000',
    'anthropic-ratelimit-input-tokens-remaining': '2000000',
    'anthropic-ratelimit-output-tokens-limit': '400000',
    'anthropic-ratelimit-output-tokens-remaining': '400000',
    ...extra,
  };
}

const JSON_TYPE = { 'content-type': 'application/json' };

export function anthropicErrorDefaults(status: number, model: string): { type: string; message: string } {
  switch (status) {
    case 400:
      return { type: 'invalid_request_error', message: 'Invalid request.' };
    case 401:
      return { type: 'authentication_error', message: 'invalid x-api-key' };
    case 402:
      return {
        type: 'billing_error',
        message:
          'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
      };
    case 403:
      return { type: 'permission_error', message: 'Your API key does not have permission to use the specified resource.' };
    case 404:
      return { type: 'not_found_error', message: `model: ${model}` };
    case 413:
      return { type: 'request_too_large', message: 'Request exceeds the maximum allowed number of bytes.' };
    case 429:
      return {
        type: 'rate_limit_error',
        message:
          'This request would exceed the rate limit for your organization of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.',
      };
    case 500:
      return { type: 'api_error', message: 'Internal server error' };
    case 504:
      return { type: 'timeout_error', message: 'Request timeout' };
    case 529:
      return { type: 'overloaded_error', message: 'Overloaded' };
    default:
      return status >= 500
        ? { type: 'api_error', message: 'Internal server error' }
        : { type: 'invalid_request_error', message: 'Invalid request.' };
  }
}

export function anthropicErrorBytes(body: AnthropicErrorBody): Buffer {
  return Buffer.from(JSON.stringify(body), 'utf8');
}

/** An error response in Anthropic's shape; used for `error` scenarios and for the fake's own validation. */
export function renderAnthropicError(scenario: ScenarioOf<'error'>, model: string, env: RenderEnv): ResponsePlan {
  const ids = new IdSource(env.seed);
  const requestId = ids.anthropicRequestId();
  const d = anthropicErrorDefaults(scenario.status, model);
  const body: AnthropicErrorBody = {
    type: 'error',
    error: { type: scenario.type ?? d.type, message: scenario.message ?? d.message },
    request_id: requestId,
  };
  const headers: Record<string, string> = { ...JSON_TYPE, ...baseHeaders(requestId, {}) };
  const retryAfter = scenario.retryAfter ?? (scenario.status === 429 ? 1 : undefined);
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  if (scenario.retryAfterMs !== undefined) headers['retry-after-ms'] = String(scenario.retryAfterMs);
  if (scenario.shouldRetry !== undefined) headers['x-should-retry'] = String(scenario.shouldRetry);
  if (scenario.status === 429) headers['anthropic-ratelimit-requests-remaining'] = '0';
  return bodyPlan(scenario.status, { ...headers, ...scenario.headers }, anthropicErrorBytes(body));
}

interface MessageEnv {
  id: string;
  model: string;
  /** Id of the server_tool_use block of a web search. */
  searchId: string;
}

/** The server_tool_use and web_search_tool_result blocks of a search Anthropic ran itself. */
function searchBlocks(search: NonNullable<Reply['webSearch']>, id: string): { use: JsonObject; result: JsonObject } {
  return {
    use: { type: 'server_tool_use', id, name: 'web_search', input: { query: search.query } },
    result: {
      type: 'web_search_tool_result',
      tool_use_id: id,
      content: search.results.map((r, i) => ({
        type: 'web_search_result',
        url: r.url,
        title: r.title,
        encrypted_content: `EqgfCioIARgBIiQ${Buffer.from(`${id}:${i}`).toString('base64')}`,
        page_age: 'April 30, 2025',
      })),
    },
  };
}

/** Usage, with the search count Anthropic reports (and bills) when it searched. */
function usageOf(reply: Reply, outputTokens: number): object | undefined {
  const usage = wireUsage(anthropicUsage(reply.usage, outputTokens), reply.usageWire);
  if (usage === undefined || reply.webSearch === null) return usage;
  return { ...usage, server_tool_use: { web_search_requests: 1, web_fetch_requests: 0 } };
}

/** Content blocks of a non-stream Message. */
function contentBlocks(reply: Reply, searchId: string): JsonObject[] {
  const blocks: JsonObject[] = [];
  if (reply.thinking) {
    blocks.push({ type: 'thinking', thinking: reply.thinking.chunks.join(''), signature: reply.thinking.signature });
  }
  if (reply.webSearch) {
    const { use, result } = searchBlocks(reply.webSearch, searchId);
    blocks.push(use, result);
  }
  const text = reply.textChunks.join('');
  if (text.length > 0 || reply.toolCalls.length === 0) blocks.push({ type: 'text', text });
  for (const call of reply.toolCalls) {
    blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: parseInput(call.fragments.join('')) });
  }
  return blocks;
}

/** A tool_use input is always an object; arguments a scenario made unparseable become `{}`. */
function parseInput(args: string): JsonObject {
  if (args === '') return {};
  const parsed = parseJsonObject(args);
  return parsed ?? {};
}

function messageBody(env: MessageEnv, reply: Reply): Buffer {
  const body = {
    id: env.id,
    type: 'message',
    role: 'assistant',
    model: env.model,
    content: contentBlocks(reply, env.searchId),
    stop_reason: STOP[reply.stop],
    stop_sequence: reply.stopSequence,
    ...(reply.usageWire === 'omit' ? {} : { usage: usageOf(reply, reply.usage.output) }),
  };
  return Buffer.from(JSON.stringify(body), 'utf8');
}

/** The stream split in two: everything up to the last content delta, and what closes the message. */
interface StreamParts {
  /** message_start, block starts, ping, deltas, block stops. */
  body: Buffer[];
  /** Index in `body` just after the n-th content delta (text, thinking or tool argument), for midstream errors. */
  afterDelta: (n: number) => number;
  /** message_delta and message_stop. */
  closing: Buffer[];
}

function streamParts(env: MessageEnv, reply: Reply): StreamParts {
  const body: Buffer[] = [];
  const deltaEnds: number[] = [];
  let index = 0;
  let pinged = false;
  const start = (content_block: JsonObject): void => {
    body.push(anthropicFrame('content_block_start', { type: 'content_block_start', index, content_block }));
    // The API sends one ping right after the first block opens.
    if (!pinged) {
      body.push(ANTHROPIC_PING);
      pinged = true;
    }
  };
  const delta = (d: JsonObject, counts = true): void => {
    body.push(anthropicFrame('content_block_delta', { type: 'content_block_delta', index, delta: d }));
    if (counts) deltaEnds.push(body.length);
  };
  const stop = (): void => {
    body.push(anthropicFrame('content_block_stop', { type: 'content_block_stop', index }));
    index++;
  };

  body.push(
    anthropicFrame('message_start', {
      type: 'message_start',
      message: {
        id: env.id,
        type: 'message',
        role: 'assistant',
        model: env.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        ...(reply.usageWire === 'omit' ? {} : { usage: wireUsage(anthropicUsage(reply.usage, 1), reply.usageWire) }),
      },
    }),
  );
  if (reply.thinking) {
    start({ type: 'thinking', thinking: '', signature: '' });
    for (const t of reply.thinking.chunks) delta({ type: 'thinking_delta', thinking: t });
    delta({ type: 'signature_delta', signature: reply.thinking.signature });
    stop();
  }
  if (reply.webSearch) {
    // The query streams like tool input; the results arrive whole in their block's start.
    const { use, result } = searchBlocks(reply.webSearch, env.searchId);
    start({ ...use, input: {} });
    delta({ type: 'input_json_delta', partial_json: JSON.stringify(use['input']) });
    stop();
    start(result);
    stop();
  }
  if (reply.textChunks.length > 0 || reply.toolCalls.length === 0) {
    start({ type: 'text', text: '' });
    for (const t of reply.textChunks) delta({ type: 'text_delta', text: t });
    stop();
  }
  for (const call of reply.toolCalls) {
    start({ type: 'tool_use', id: call.id, name: call.name, input: {} });
    // The first input_json_delta of a tool block is empty, as the API sends it.
    delta({ type: 'input_json_delta', partial_json: '' }, false);
    for (const f of call.fragments) delta({ type: 'input_json_delta', partial_json: f });
    stop();
  }
  const closing = [
    anthropicFrame('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: STOP[reply.stop], stop_sequence: reply.stopSequence },
      ...(reply.usageWire === 'omit'
        ? {}
        : { usage: { ...wireUsage(anthropicDeltaUsage(reply.usage, reply.fullDeltaUsage), reply.usageWire), ...(reply.webSearch ? { server_tool_use: { web_search_requests: 1 } } : {}) } }),
    }),
    anthropicFrame('message_stop', { type: 'message_stop' }),
  ];
  // With no deltas at all, the error comes right after message_start.
  const afterDelta = (n: number): number => (n <= 0 ? 1 : (deltaEnds[Math.min(n, deltaEnds.length) - 1] ?? 1));
  return { body, afterDelta, closing };
}

/** A mid-stream error event; the API then ends the stream without message_stop. */
export function anthropicStreamErrorFrame(type: string, message: string): Buffer {
  return anthropicFrame('error', { type: 'error', error: { type, message } });
}

const GARBAGE = Buffer.from('event: content_block_delta\n\n<html><body>502 Bad Gateway</body></html>\n', 'utf8');

/** Renders POST /v1/messages for any scenario. */
export function renderAnthropicMessages(scenario: Scenario, body: JsonObject, env: RenderEnv): ResponsePlan {
  const facts = anthropicRequestFacts(body);
  switch (scenario.kind) {
    case 'error':
      return renderAnthropicError(scenario, facts.model, env);
    case 'timeout_before_headers':
      return HANG_BEFORE_HEADERS;
    case 'reset_before':
      return RESET_BEFORE_HEADERS;
    default:
      return renderContent(scenario, facts, env);
  }
}

function renderContent(scenario: ContentScenario, facts: RequestFacts, env: RenderEnv): ResponsePlan {
  const ids = new IdSource(env.seed);
  const requestId = ids.anthropicRequestId();
  const menv: MessageEnv = { id: ids.messageId(), model: scenario.model ?? facts.model, searchId: '' };
  const reply = buildReply(scenario, facts, { toolCallId: () => ids.toolUseId(), signature: () => ids.signature() });
  // Drawn only for searches, so every other scenario keeps its ids.
  if (reply.webSearch) menv.searchId = ids.toolUseId().replace('toolu_', 'srvtoolu_');
  const fault = faultOf(scenario);
  const headers = baseHeaders(requestId, reply.extraHeaders);

  if (!facts.stream) {
    if (fault.kind === 'midstream_error') {
      return renderAnthropicError(
        {
          kind: 'error',
          status: 529,
          ...(scenario.kind === 'midstream_error' && scenario.message !== undefined ? { message: scenario.message } : {}),
        },
        facts.model,
        env,
      );
    }
    return bodyPlan(200, { ...JSON_TYPE, ...headers }, messageBody(menv, reply), bodyFaultOf(fault.kind));
  }

  const parts = streamParts(menv, reply);
  const sseHeaders = { ...SSE_HEADERS, ...headers };
  if (fault.kind === 'midstream_error' && scenario.kind === 'midstream_error') {
    const frames = [
      ...parts.body.slice(0, parts.afterDelta(fault.after)),
      anthropicStreamErrorFrame(scenario.errorType ?? 'overloaded_error', scenario.message ?? 'Overloaded'),
    ];
    return streamPlan(200, sseHeaders, frames, reply.delayMs);
  }
  const frames = [...parts.body, ...parts.closing];
  return streamPlan(200, sseHeaders, frames, reply.delayMs, streamFault(fault.kind, fault.after, frames));
}

function streamFault(kind: ReturnType<typeof faultOf>['kind'], after: number, frames: readonly Buffer[]): StreamFault {
  switch (kind) {
    case 'stall':
      return { kind: 'stall', after };
    case 'reset':
      return { kind: 'reset', after };
    case 'malformed_sse':
      return { kind: 'inject', after, bytes: GARBAGE, resumeAt: null };
    case 'garbage_frame':
      return { kind: 'inject', after, bytes: HTML_ERROR_FRAME, resumeAt: after };
    case 'malformed_json': {
      const at = Math.min(after, frames.length - 1);
      const victim = frames[at];
      if (victim === undefined) return { kind: 'none' };
      return { kind: 'inject', after: at, bytes: truncatedFrame(victim), resumeAt: at + 1 };
    }
    default:
      return { kind: 'none' };
  }
}

/** GET /v1/models */
export function renderAnthropicModels(models: readonly string[], env: RenderEnv): ResponsePlan {
  const ids = new IdSource(env.seed);
  const data = models.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-09-29T00:00:00Z' }));
  const body = { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
  return bodyPlan(200, { ...JSON_TYPE, ...baseHeaders(ids.anthropicRequestId(), {}) }, Buffer.from(JSON.stringify(body), 'utf8'));
}

/**
 * A stable token estimate for count_tokens: about four characters per token over the text-bearing fields.
 * Tests that need an exact number pass their own counter to the fake.
 */
export function estimateAnthropicInputTokens(body: JsonObject): number {
  const text = JSON.stringify([body['system'] ?? null, body['messages'] ?? null, body['tools'] ?? null]);
  return Math.max(1, Math.ceil(text.length / 4));
}

/** POST /v1/messages/count_tokens */
export function renderAnthropicCountTokens(inputTokens: number, env: RenderEnv): ResponsePlan {
  const ids = new IdSource(env.seed);
  return bodyPlan(
    200,
    { ...JSON_TYPE, ...baseHeaders(ids.anthropicRequestId(), {}) },
    Buffer.from(JSON.stringify({ input_tokens: inputTokens }), 'utf8'),
  );
}
