/**
 * Pure renderers for the fake OpenAI upstream: the same scenario, request and seed always give the same bytes.
 * Shapes follow the Chat Completions API as the official SDK types describe it and as captured streams show it.
 */
import { IdSource } from './ids.js';
import { stringField, type JsonObject } from './json.js';
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
  replyText,
  type ContentScenario,
  type Reply,
  type RenderEnv,
  type RequestFacts,
  type StopKind,
} from './reply.js';
import type { Scenario, ScenarioOf } from './scenario.js';
import { HTML_ERROR_FRAME, OPENAI_DONE, openAIFrame, SSE_HEADERS, truncatedFrame } from './sse.js';
import { openAIUsage, wireUsage } from './usage.js';

export type OpenAIFinishReason = 'stop' | 'length' | 'tool_calls';

const FINISH: Record<StopKind, OpenAIFinishReason> = {
  end: 'stop',
  length: 'length',
  stop_sequence: 'stop',
  tool_use: 'tool_calls',
};

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** Facts the renderer needs from a Chat Completions request body. */
export function openAIRequestFacts(body: JsonObject): RequestFacts & { includeUsage: boolean } {
  const stop = body['stop'];
  const options = body['stream_options'];
  const includeUsage =
    typeof options === 'object' && options !== null && !Array.isArray(options) && options['include_usage'] === true;
  return {
    model: stringField(body, 'model') ?? 'gpt-4o-mini',
    stream: body['stream'] === true,
    includeUsage,
    lastUserText: lastUserText(body['messages']),
    lastToolOutput: lastToolOutput(body['messages']),
    stopSequences: typeof stop === 'string' ? [stop] : Array.isArray(stop) ? stop.filter((s) => typeof s === 'string') : [],
  };
}

export function openAIHeaders(requestId: string, extra: Record<string, string>): Record<string, string> {
  return {
    'x-request-id': requestId,
    'openai-version': '2020-10-01',
    'openai-organization': 'user-fakeorg',
    'openai-processing-ms': '42',
    'x-ratelimit-limit-requests': '10000',
    'x-ratelimit-remaining-requests': '9999',
    'x-ratelimit-reset-requests': '6ms',
    'x-ratelimit-limit-tokens': '30000000',
    'x-ratelimit-remaining-tokens': '29999990',
    'x-ratelimit-reset-tokens': '0s',
    ...extra,
  };
}

export const JSON_TYPE = { 'content-type': 'application/json' };

/** OpenAI pretty-prints error bodies with four spaces and a trailing newline. */
export function openAIErrorBytes(body: OpenAIErrorBody): Buffer {
  return Buffer.from(`${JSON.stringify(body, null, 4)}\n`, 'utf8');
}

interface ErrorDefaults {
  type: string;
  code: string | null;
  message: string;
}

export function openAIErrorDefaults(status: number, model: string): ErrorDefaults {
  switch (status) {
    case 400:
      return { type: 'invalid_request_error', code: null, message: 'Invalid request.' };
    case 401:
      return {
        type: 'invalid_request_error',
        code: 'invalid_api_key',
        message:
          'Incorrect API key provided: sk-fake****************key. You can find your API key at https://platform.openai.com/account/api-keys.',
      };
    case 402:
      return {
        type: 'insufficient_quota',
        code: 'insufficient_quota',
        message: 'You exceeded your current quota, please check your plan and billing details.',
      };
    case 403:
      return { type: 'invalid_request_error', code: null, message: `Project does not have access to model ${model}` };
    case 404:
      return {
        type: 'invalid_request_error',
        code: 'model_not_found',
        message: `The model \`${model}\` does not exist or you do not have access to it.`,
      };
    case 429:
      return {
        type: 'tokens',
        code: 'rate_limit_exceeded',
        message: `Rate limit reached for ${model} in organization org-fake on tokens per min (TPM): Limit 30000, Used 30000, Requested 100. Please try again in 1s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
      };
    case 500:
      return {
        type: 'server_error',
        code: null,
        message: 'The server had an error while processing your request. Sorry about that!',
      };
    case 503:
      return { type: 'server_error', code: null, message: 'The engine is currently overloaded, please try again later.' };
    default:
      return status >= 500
        ? { type: 'server_error', code: null, message: 'The server had an error while processing your request.' }
        : { type: 'invalid_request_error', code: null, message: 'Invalid request.' };
  }
}

/** An error response in OpenAI's shape; used for `error` scenarios and for the fake's own validation. */
export function renderOpenAIError(scenario: ScenarioOf<'error'>, model: string, env: RenderEnv): ResponsePlan {
  const ids = new IdSource(env.seed);
  const d = openAIErrorDefaults(scenario.status, model);
  const body: OpenAIErrorBody = {
    error: {
      message: scenario.message ?? d.message,
      type: scenario.type ?? d.type,
      param: scenario.param ?? null,
      code: scenario.code === undefined ? d.code : scenario.code,
    },
  };
  const headers: Record<string, string> = { ...JSON_TYPE, ...openAIHeaders(ids.openAIRequestId(), {}) };
  const retryAfter = scenario.retryAfter ?? (scenario.status === 429 ? 1 : undefined);
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  if (scenario.retryAfterMs !== undefined) headers['retry-after-ms'] = String(scenario.retryAfterMs);
  if (scenario.shouldRetry !== undefined) headers['x-should-retry'] = String(scenario.shouldRetry);
  if (scenario.status === 429) headers['x-ratelimit-remaining-tokens'] = '0';
  return bodyPlan(scenario.status, { ...headers, ...scenario.headers }, openAIErrorBytes(body));
}

interface ChunkEnv {
  id: string;
  created: number;
  model: string;
  fingerprint: string;
  includeUsage: boolean;
}

type ToolCallDelta = {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
};

interface Delta {
  role?: 'assistant';
  content?: string | null;
  refusal?: null;
  tool_calls?: ToolCallDelta[];
}

function chunk(env: ChunkEnv, delta: Delta, finish: OpenAIFinishReason | null): Buffer {
  return openAIFrame({
    id: env.id,
    object: 'chat.completion.chunk',
    created: env.created,
    model: env.model,
    service_tier: 'default',
    system_fingerprint: env.fingerprint,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    // With include_usage every chunk carries `usage: null` until the final usage chunk.
    ...(env.includeUsage ? { usage: null } : {}),
  });
}

/** Every content frame of a stream up to (not including) the finish chunk, plus the count of content deltas. */
function contentFrames(env: ChunkEnv, reply: Reply): Buffer[] {
  const frames: Buffer[] = [];
  const text = reply.textChunks;
  // A reply that starts with a tool call carries the role on the first tool fragment, as OpenAI does.
  if (text.length > 0 || reply.toolCalls.length === 0) {
    frames.push(chunk(env, { role: 'assistant', content: '', refusal: null }, null));
    for (const piece of text) frames.push(chunk(env, { content: piece }, null));
  }
  reply.toolCalls.forEach((call, index) => {
    const opening: ToolCallDelta = { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } };
    frames.push(
      chunk(
        env,
        frames.length === 0
          ? { role: 'assistant', content: null, tool_calls: [opening], refusal: null }
          : { tool_calls: [opening] },
        null,
      ),
    );
    for (const args of call.fragments) frames.push(chunk(env, { tool_calls: [{ index, function: { arguments: args } }] }, null));
  });
  return frames;
}

function usageFrame(env: ChunkEnv, reply: Reply): Buffer {
  return openAIFrame({
    id: env.id,
    object: 'chat.completion.chunk',
    created: env.created,
    model: env.model,
    service_tier: 'default',
    system_fingerprint: env.fingerprint,
    choices: [],
    usage: wireUsage(openAIUsage(reply.usage), reply.usageWire),
  });
}

function completionBody(env: ChunkEnv, reply: Reply): Buffer {
  const text = replyText(reply);
  const message = {
    role: 'assistant',
    content: text.length > 0 || reply.toolCalls.length === 0 ? text : null,
    refusal: null,
    annotations: [],
    ...(reply.toolCalls.length > 0
      ? {
          tool_calls: reply.toolCalls.map((c) => ({
            id: c.id,
            type: 'function',
            function: { name: c.name, arguments: c.fragments.join('') },
          })),
        }
      : {}),
  };
  const body = {
    id: env.id,
    object: 'chat.completion',
    created: env.created,
    model: env.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: FINISH[reply.stop] }],
    ...(reply.usageWire === 'omit' ? {} : { usage: wireUsage(openAIUsage(reply.usage), reply.usageWire) }),
    service_tier: 'default',
    system_fingerprint: env.fingerprint,
  };
  // Non-stream completions arrive pretty-printed with two spaces.
  return Buffer.from(JSON.stringify(body, null, 2), 'utf8');
}

/** A mid-stream error frame: OpenAI sends `data: {"error":{...}}` and then closes without [DONE]. */
export function openAIStreamErrorFrame(type: string, message: string): Buffer {
  return openAIFrame({ error: { message, type, param: null, code: null } });
}

const GARBAGE = Buffer.from('data {"choices": not sse at all}\n\n<html><body>502 Bad Gateway</body></html>\n', 'utf8');

/** Renders POST /v1/chat/completions for any scenario. */
export function renderOpenAIChat(scenario: Scenario, body: JsonObject, env: RenderEnv): ResponsePlan {
  const facts = openAIRequestFacts(body);
  switch (scenario.kind) {
    case 'error':
      return renderOpenAIError(scenario, facts.model, env);
    case 'timeout_before_headers':
      return HANG_BEFORE_HEADERS;
    case 'reset_before':
      return RESET_BEFORE_HEADERS;
    default:
      return renderContent(scenario, facts, env);
  }
}

function renderContent(
  scenario: ContentScenario,
  facts: RequestFacts & { includeUsage: boolean },
  env: RenderEnv,
): ResponsePlan {
  const ids = new IdSource(env.seed);
  const requestId = ids.openAIRequestId();
  const cenv: ChunkEnv = {
    id: ids.chatCompletionId(),
    created: env.created,
    model: scenario.model ?? facts.model,
    fingerprint: ids.systemFingerprint(),
    includeUsage: facts.includeUsage,
  };
  const reply = buildReply(scenario, facts, {
    toolCallId: () => ids.openAIToolCallId(),
    signature: () => ids.signature(),
  });
  const fault = faultOf(scenario);
  const headers = openAIHeaders(requestId, reply.extraHeaders);

  if (!facts.stream) {
    if (fault.kind === 'midstream_error') {
      return renderOpenAIError(
        {
          kind: 'error',
          status: 500,
          ...(scenario.kind === 'midstream_error' && scenario.message !== undefined ? { message: scenario.message } : {}),
        },
        facts.model,
        env,
      );
    }
    return bodyPlan(200, { ...JSON_TYPE, ...headers }, completionBody(cenv, reply), bodyFaultOf(fault.kind));
  }

  const content = contentFrames(cenv, reply);
  const sseHeaders = { ...SSE_HEADERS, ...headers };
  if (fault.kind === 'midstream_error' && scenario.kind === 'midstream_error') {
    // The role chunk plus `after` content deltas, then the error, then the connection ends.
    const frames = [
      ...content.slice(0, 1 + fault.after),
      openAIStreamErrorFrame(scenario.errorType ?? 'server_error', scenario.message ?? 'The server had an error while processing your request. Sorry about that!'),
    ];
    return streamPlan(200, sseHeaders, frames, reply.delayMs);
  }
  const frames = [
    ...content,
    chunk(cenv, {}, FINISH[reply.stop]),
    ...(facts.includeUsage && reply.usageWire !== 'omit' ? [usageFrame(cenv, reply)] : []),
    OPENAI_DONE,
  ];
  return streamPlan(200, sseHeaders, frames, reply.delayMs, openAIStreamFault(fault.kind, fault.after, frames));
}

/** Where and how a scenario damages a stream of OpenAI frames (Chat Completions or Responses). */
export function openAIStreamFault(kind: ReturnType<typeof faultOf>['kind'], after: number, frames: readonly Buffer[]): StreamFault {
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
      const victim = frames[at] ?? OPENAI_DONE;
      // The damaged frame replaces the one at `after`; the rest of the stream follows.
      return { kind: 'inject', after: at, bytes: truncatedFrame(victim), resumeAt: at + 1 };
    }
    default:
      return { kind: 'none' };
  }
}

/** GET /v1/models */
export function renderOpenAIModels(models: readonly string[], env: RenderEnv): ResponsePlan {
  const ids = new IdSource(env.seed);
  const body = {
    object: 'list',
    data: models.map((id) => ({ id, object: 'model', created: 1715367049, owned_by: 'system' })),
  };
  return bodyPlan(200, { ...JSON_TYPE, ...openAIHeaders(ids.openAIRequestId(), {}) }, Buffer.from(JSON.stringify(body, null, 2), 'utf8'));
}

/** Deterministic unit-ish vector for an input, so equal inputs embed equally. */
export function fakeEmbedding(input: string, dimensions: number): number[] {
  const ids = new IdSource(hash(input));
  const raw = Array.from({ length: dimensions }, () => Number.parseInt(ids.chars('0123456789', 6), 10) / 1e6 - 0.5);
  const norm = Math.sqrt(raw.reduce((s, x) => s + x * x, 0)) || 1;
  // Rounded through float32 so the float and base64 encodings carry the same numbers.
  return raw.map((x) => Math.fround(x / norm));
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** POST /v1/embeddings, honouring `encoding_format: "base64"` (the official SDK's default). */
export function renderOpenAIEmbeddings(body: JsonObject, env: RenderEnv, defaultDimensions: number): ResponsePlan {
  const ids = new IdSource(env.seed);
  const raw = body['input'];
  const inputs: string[] =
    typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))) : [];
  const dims = typeof body['dimensions'] === 'number' ? body['dimensions'] : defaultDimensions;
  const base64 = body['encoding_format'] === 'base64';
  const tokens = inputs.reduce((s, text) => s + Math.max(1, Math.ceil(text.length / 4)), 0);
  const data = inputs.map((text, index) => {
    const vector = fakeEmbedding(text, dims);
    const embedding = base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  const out = {
    object: 'list',
    data,
    model: stringField(body, 'model') ?? 'text-embedding-3-small',
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
  return bodyPlan(200, { ...JSON_TYPE, ...openAIHeaders(ids.openAIRequestId(), {}) }, Buffer.from(JSON.stringify(out, null, 2), 'utf8'));
}
