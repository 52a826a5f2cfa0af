/**
 * Pure renderers for the fake OpenAI Responses endpoint (POST /v1/responses): the same scenario, request and seed
 * always give the same bytes. Shapes follow the openai SDK's Response and ResponseStreamEvent types and streams
 * captured from the API: named events, every one with a `sequence_number`, output items opened and closed in
 * order, and `response.completed` (or `.incomplete`) carrying the whole response with its usage. No `[DONE]`.
 */
import { IdSource } from './ids.js';
import { stringField, type JsonObject } from './json.js';
import { JSON_TYPE, openAIHeaders, openAIStreamFault, renderOpenAIError } from './openai-render.js';
import { bodyPlan, HANG_BEFORE_HEADERS, RESET_BEFORE_HEADERS, streamPlan, type ResponsePlan } from './plan.js';
import { bodyFaultOf, buildReply, faultOf, lastToolOutput, type ContentScenario, type Reply, type RenderEnv, type RequestFacts } from './reply.js';
import { stripDirectives, type Scenario } from './scenario.js';
import { SSE_HEADERS } from './sse.js';
import { wireUsage, type ResolvedUsage } from './usage.js';

type Json = Record<string, unknown>;

const HEX = '0123456789abcdef';

/** What the renderer needs from a Responses request (input may be a string or a list of items). */
export function responsesRequestFacts(body: JsonObject, conversation: readonly unknown[]): RequestFacts {
  return {
    model: stringField(body, 'model') ?? 'gpt-4o-mini',
    stream: body['stream'] === true,
    lastUserText: stripDirectives(lastUserInput(conversation)),
    lastToolOutput: lastToolOutput(conversation),
    stopSequences: [],
  };
}

/** Text of the last user message among input items, directives included (where a per-request scenario may sit). */
export function lastUserInput(items: readonly unknown[]): string {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    if (!isObject(item) || item['role'] !== 'user') continue;
    const content = item['content'];
    if (typeof content === 'string') return content;
    if (!Array.isArray(content)) return '';
    return content.map((p) => (isObject(p) && p['type'] === 'input_text' && typeof p['text'] === 'string' ? p['text'] : '')).join('\n');
  }
  return '';
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Responses usage: input_tokens includes cached tokens, output_tokens includes reasoning. */
export function responsesUsage(u: ResolvedUsage): Json {
  const input = u.input + u.cacheRead + u.cacheWrite + u.cacheWrite1h;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u.cacheRead },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: input + u.output,
  };
}

/** A rendered response: the plan to send, and the response object it ends with (for the fake's own store). */
export interface RenderedResponse {
  plan: ResponsePlan;
  /** Null when the scenario sends no response (errors, faults before headers). */
  response: Json | null;
}

/** Renders POST /v1/responses for any scenario. `conversation` is the input with references already resolved. */
export function renderOpenAIResponses(scenario: Scenario, body: JsonObject, conversation: readonly unknown[], env: RenderEnv): RenderedResponse {
  const facts = responsesRequestFacts(body, conversation);
  switch (scenario.kind) {
    case 'error':
      return { plan: renderOpenAIError(scenario, facts.model, env), response: null };
    case 'timeout_before_headers':
      return { plan: HANG_BEFORE_HEADERS, response: null };
    case 'reset_before':
      return { plan: RESET_BEFORE_HEADERS, response: null };
    default:
      return renderContent(scenario, body, facts, env);
  }
}

interface OutputItem {
  item: Json;
  /** The events between output_item.added and output_item.done, as [type, fields] pairs. */
  events: Array<[string, Json]>;
}

function renderContent(scenario: ContentScenario, body: JsonObject, facts: RequestFacts, env: RenderEnv): RenderedResponse {
  const ids = new IdSource(env.seed);
  const requestId = ids.openAIRequestId();
  const responseId = `resp_${ids.chars(HEX, 48)}`;
  const reply = buildReply(scenario, facts, { toolCallId: () => ids.openAIToolCallId(), signature: () => ids.signature() });
  const itemId = (prefix: string): string => `${prefix}_${ids.chars(HEX, 48)}`;
  const include = Array.isArray(body['include']) ? body['include'] : [];
  const items = outputItems(reply, itemId, include.includes('reasoning.encrypted_content'));
  const model = scenario.model ?? facts.model;
  const incomplete = reply.stop === 'length';
  const usage = wireUsage(responsesUsage(reply.usage), reply.usageWire);
  const response = (status: string, output: Json[], final: boolean): Json => ({
    id: responseId,
    object: 'response',
    created_at: env.created,
    status,
    background: false,
    error: null,
    incomplete_details: final && incomplete ? { reason: 'max_output_tokens' } : null,
    instructions: body['instructions'] ?? null,
    max_output_tokens: body['max_output_tokens'] ?? null,
    max_tool_calls: null,
    model,
    output,
    parallel_tool_calls: body['parallel_tool_calls'] ?? true,
    previous_response_id: body['previous_response_id'] ?? null,
    prompt_cache_key: body['prompt_cache_key'] ?? null,
    reasoning: { effort: null, summary: null, ...(isObject(body['reasoning']) ? body['reasoning'] : {}) },
    safety_identifier: body['safety_identifier'] ?? null,
    service_tier: 'default',
    store: body['store'] ?? true,
    temperature: body['temperature'] ?? 1,
    text: { format: { type: 'text' }, verbosity: 'medium', ...(isObject(body['text']) ? body['text'] : {}) },
    tool_choice: body['tool_choice'] ?? 'auto',
    tools: body['tools'] ?? [],
    top_logprobs: 0,
    top_p: body['top_p'] ?? 1,
    truncation: 'disabled',
    usage: final ? (usage ?? null) : null,
    user: body['user'] ?? null,
    metadata: body['metadata'] ?? {},
  });
  const done = response(incomplete ? 'incomplete' : 'completed', items.map((o) => o.item), true);
  const headers = openAIHeaders(requestId, reply.extraHeaders);
  const fault = faultOf(scenario);

  if (!facts.stream) {
    if (fault.kind === 'midstream_error') {
      const message = scenario.kind === 'midstream_error' ? scenario.message : undefined;
      return { plan: renderOpenAIError({ kind: 'error', status: 500, ...(message === undefined ? {} : { message }) }, facts.model, env), response: null };
    }
    // Non-stream responses arrive pretty-printed with two spaces.
    const bytes = Buffer.from(JSON.stringify(done, null, 2), 'utf8');
    return { plan: bodyPlan(200, { ...JSON_TYPE, ...headers }, bytes, bodyFaultOf(fault.kind)), response: fault.kind === 'none' ? done : null };
  }

  let seq = 0;
  const frame = (type: string, fields: Json): Buffer => Buffer.from(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...fields })}\n\n`, 'utf8');
  const frames: Buffer[] = [frame('response.created', { response: response('in_progress', [], false) }), frame('response.in_progress', { response: response('in_progress', [], false) })];
  /** Index in `frames` just after the n-th content delta. */
  const deltaEnds: number[] = [];
  items.forEach((o, outputIndex) => {
    frames.push(frame('response.output_item.added', { output_index: outputIndex, item: openedItem(o.item) }));
    for (const [type, fields] of o.events) {
      frames.push(frame(type, { ...fields, output_index: outputIndex }));
      if (type.endsWith('.delta')) deltaEnds.push(frames.length);
    }
    frames.push(frame('response.output_item.done', { output_index: outputIndex, item: o.item }));
  });
  const sseHeaders = { ...SSE_HEADERS, ...headers };
  if (fault.kind === 'midstream_error' && scenario.kind === 'midstream_error') {
    const cut = fault.after <= 0 ? 2 : (deltaEnds[Math.min(fault.after, deltaEnds.length) - 1] ?? 2);
    const error = { code: scenario.errorType ?? 'server_error', message: scenario.message ?? 'The server had an error while processing your request. Sorry about that!' };
    const failed = frame('response.failed', { response: { ...response('failed', [], false), error } });
    return { plan: streamPlan(200, sseHeaders, [...frames.slice(0, cut), failed], reply.delayMs), response: null };
  }
  frames.push(frame(incomplete ? 'response.incomplete' : 'response.completed', { response: done }));
  return {
    plan: streamPlan(200, sseHeaders, frames, reply.delayMs, openAIStreamFault(fault.kind, fault.after, frames)),
    response: fault.kind === 'none' ? done : null,
  };
}

/** An item as output_item.added announces it: in progress, its content still empty. */
function openedItem(item: Json): Json {
  switch (item['type']) {
    case 'message':
      return { ...item, status: 'in_progress', content: [] };
    case 'reasoning':
      return { ...item, summary: [] };
    case 'function_call':
      return { ...item, status: 'in_progress', arguments: '' };
    case 'web_search_call':
      return { ...item, status: 'in_progress', action: { type: 'search', query: (item['action'] as Json)['query'] } };
    default:
      return item;
  }
}

/** The reply's output items in API order (reasoning, search, message, function calls) with their inner events. */
function outputItems(reply: Reply, itemId: (prefix: string) => string, withEncrypted: boolean): OutputItem[] {
  const out: OutputItem[] = [];
  if (reply.thinking) {
    const id = itemId('rs');
    const text = reply.thinking.chunks.join('');
    const events: Array<[string, Json]> = [];
    if (text !== '') {
      const at = { item_id: id, summary_index: 0 };
      events.push(['response.reasoning_summary_part.added', { ...at, part: { type: 'summary_text', text: '' } }]);
      for (const delta of reply.thinking.chunks) events.push(['response.reasoning_summary_text.delta', { ...at, delta }]);
      events.push(['response.reasoning_summary_text.done', { ...at, text }]);
      events.push(['response.reasoning_summary_part.done', { ...at, part: { type: 'summary_text', text } }]);
    }
    const item: Json = {
      id,
      type: 'reasoning',
      summary: text === '' ? [] : [{ type: 'summary_text', text }],
      ...(withEncrypted ? { encrypted_content: `gAAAAA${Buffer.from(reply.thinking.signature).toString('base64')}` } : {}),
    };
    out.push({ item, events });
  }
  if (reply.webSearch) {
    const id = itemId('ws');
    const at = { item_id: id };
    out.push({
      item: { id, type: 'web_search_call', status: 'completed', action: { type: 'search', query: reply.webSearch.query, sources: reply.webSearch.results.map((r) => ({ type: 'url', url: r.url })) } },
      events: [['response.web_search_call.in_progress', at], ['response.web_search_call.searching', at], ['response.web_search_call.completed', at]]
    });
  }
  const text = reply.textChunks.join('');
  if (reply.textChunks.length > 0 || reply.toolCalls.length === 0) {
    const id = itemId('msg');
    const at = { item_id: id, content_index: 0 };
    const part = { type: 'output_text', annotations: [], logprobs: [], text };
    out.push({
      item: { id, type: 'message', status: 'completed', content: [part], role: 'assistant' },
      events: [
        ['response.content_part.added', { ...at, part: { ...part, text: '' } }],
        ...reply.textChunks.map((delta): [string, Json] => ['response.output_text.delta', { ...at, delta, logprobs: [] }]),
        ['response.output_text.done', { ...at, text, logprobs: [] }],
        ['response.content_part.done', { ...at, part }],
      ]
    });
  }
  for (const call of reply.toolCalls) {
    const id = itemId('fc');
    const args = call.fragments.join('');
    out.push({
      item: { id, type: 'function_call', status: 'completed', arguments: args, call_id: call.id, name: call.name, ...(call.namespace === undefined ? {} : { namespace: call.namespace }) },
      events: [
        ...call.fragments.map((delta): [string, Json] => ['response.function_call_arguments.delta', { item_id: id, delta }]),
        ['response.function_call_arguments.done', { item_id: id, arguments: args }],
      ]
    });
  }
  return out;
}
